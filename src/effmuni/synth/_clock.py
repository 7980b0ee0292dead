"""Dates, the working-time clock and small rounding helpers of the sample generator."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from ..calendar import is_workday
from ..schema import MINUTES_PER_UNIT

#: the date the sample's project stages are consistent with
AS_OF = dt.date(2025, 12, 31)
#: quarters covered by the sample (merged city okrugs stop after 2024Q4)
QUARTERS = tuple(f"{y}Q{q}" for y in (2023, 2024, 2025) for q in (1, 2, 3, 4))
MERGED_TO = dt.date(2024, 12, 31)
N_QUARTERS_MERGED = 8

CAL_START = dt.date(2022, 7, 1)
_CAL_END = dt.date(2026, 12, 31)
DAY_MIN = 1440
WORK_OPEN = 8 * 60  # cases are received from 08:00 …
RECEIVE_CLOSE = 17 * 60  # … to 17:00
WORK_CLOSE = 18 * 60  # and worked on until 18:00
WORK_SPAN = WORK_CLOSE - WORK_OPEN
WORKDAY_DAYS = 7 / 5  # calendar days per working day, as analysts convert roughly


# --------------------------------------------------------------------------- calendar helpers


@lru_cache(maxsize=1)
def calendar() -> tuple[np.ndarray, np.ndarray]:
    """Working-day flags from ``CAL_START`` to ``_CAL_END`` and the working minutes before each day.

    A working day holds 600 working minutes (08:00–18:00).
    """
    flags = is_workday(pd.date_range(CAL_START, _CAL_END, freq="D"))
    work_before = np.concatenate([[0], np.cumsum(flags)[:-1]]).astype(np.int64) * WORK_SPAN
    return flags, work_before


def day_index(d: dt.date) -> int:
    return (d - CAL_START).days


def date_of(i: int) -> dt.date:
    return CAL_START + dt.timedelta(days=int(i))


def plus(d: dt.date, days: float) -> dt.date:
    return d + dt.timedelta(days=int(round(days)))


def add_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(d.day, last))


def quarter_bounds(q: str) -> tuple[dt.date, dt.date]:
    year, n = int(q[:4]), int(q[-1])
    first = dt.date(year, 3 * n - 2, 1)
    return first, add_months(first, 3) - dt.timedelta(days=1)


def random_workdays(rng: np.random.Generator, a: dt.date, b: dt.date, size: int) -> np.ndarray:
    """Day indices (since ``CAL_START``) of ``size`` random working days in ``[a, b]``."""
    flags, _ = calendar()
    days = np.flatnonzero(flags[day_index(a) : day_index(b) + 1]) + day_index(a)
    return np.sort(rng.choice(days, size=size, replace=True))


def to_working_clock(t: np.ndarray) -> np.ndarray:
    """Working minutes elapsed from ``CAL_START`` to minute stamps ``t``."""
    flags, work_before = calendar()
    d, tod = t // DAY_MIN, t % DAY_MIN
    return work_before[d] + flags[d] * np.clip(tod - WORK_OPEN, 0, WORK_SPAN)


def from_working_clock(w: np.ndarray) -> np.ndarray:
    """Minute stamps at which ``w`` working minutes have elapsed (always in working time)."""
    _, work_before = calendar()
    d = np.searchsorted(work_before, w, side="right") - 1  # the last day starting at or before w
    return d * DAY_MIN + WORK_OPEN + (w - work_before[d])


# --------------------------------------------------------------------------- small helpers


def round_value(v: float, unit: str) -> float:
    """Round a passport value as an analyst writes it (never to zero)."""
    if unit in ("count", "pct"):
        return float(max(round(v), 1))
    decimals = (0 if v >= 10 else 1) if unit == "min" else (1 if v >= 1 else 2)
    out = round(v, decimals)
    return out if out > 0 else 10.0**-decimals


def round_sig(x: float, digits: int = 2) -> float:
    if x <= 0:
        return 0.0
    return float(round(x, digits - 1 - int(math.floor(math.log10(x)))))


def days_to_unit(days: float, unit: str) -> float:
    if unit == "workday":
        return days / WORKDAY_DAYS
    return days * DAY_MIN / MINUTES_PER_UNIT[unit]


def phase_unit(base: str, days: float) -> str:
    """The unit an analyst uses for a later phase: a smaller calendar unit once below one."""
    if base == "day" and days < 1:
        return "h" if days * 24 >= 1 else "min"
    if base == "h" and days * 24 < 1:
        return "min"
    return base


def pick(rng: np.random.Generator, options: Sequence, weights: Sequence[float] | None = None):
    if weights is None:
        return options[int(rng.integers(len(options)))]
    w = np.asarray(weights, dtype=float)
    return options[int(rng.choice(len(options), p=w / w.sum()))]
