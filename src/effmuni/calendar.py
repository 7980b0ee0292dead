"""The Russian production calendar and working-day durations.

The calendar comes from the maintained `holidays <https://pypi.org/project/holidays/>`_ package
(``holidays.RU``), which models public holidays, the government's transferred days off (e.g.
2023-02-24) and the working Saturdays they are swapped with (e.g. 2024-04-27). A day is a working
day when it is a Monday–Friday that is not a holiday or transferred day off, or a Saturday/Sunday
listed as a working day.

Working-day durations are computed without loops: a cumulative count of working days over the
span of the data, plus the fraction of the start and end days that falls inside the interval.

Outside the years the calendar covers (``holidays.RU``: 1991–2100) every Monday–Friday is a
working day; any date pandas can hold (years 1 to 9999) is counted.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
import pandas as pd

from .io import MOSCOW_TZ

__all__ = ["is_workday", "workdays_between", "working_days"]


@lru_cache(maxsize=1)
def _calendar_years() -> tuple[int, int]:
    """The first and last year of the production calendar (``holidays.RU``)."""
    import holidays

    return getattr(holidays.RU, "start_year", 1), getattr(holidays.RU, "end_year", 9999)


@lru_cache(maxsize=64)
def _year_flags(year: int) -> np.ndarray:
    """Boolean array, one per day of ``year``: True for a working day."""
    import holidays

    ru = holidays.country_holidays("RU", years=year)
    # Timestamps, not text: f"{year}-01-01" reads year 1 as 2001
    days = pd.date_range(pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31), freq="D")
    flags = days.day_of_week.to_numpy() < 5
    off = np.array([d in ru for d in days.date], dtype=bool)
    flags &= ~off
    extra = {d for d in getattr(ru, "weekend_workdays", set()) if d.year == year}
    if extra:
        flags |= np.isin(days.date, list(extra))
    return flags


def working_days(start: str | dt.date, end: str | dt.date) -> pd.Series:
    """Working-day flags for every calendar day from ``start`` to ``end`` inclusive.

    Returns
    -------
    pandas.Series
        Boolean, indexed by day (``DatetimeIndex``), True on working days.

    Examples
    --------
    >>> flags = working_days("2024-04-26", "2024-04-29")
    >>> flags.astype(int).tolist()  # Fri, working Sat, Sun, transferred day off
    [1, 1, 0, 0]
    >>> working_days("0001-01-01", "0001-01-07").astype(int).tolist()  # before the calendar
    [1, 1, 1, 1, 1, 0, 0]
    """
    start = pd.Timestamp(start).normalize().as_unit("us")
    end = pd.Timestamp(end).normalize().as_unit("us")
    index = pd.date_range(start, end, freq="D")
    flags = index.day_of_week.to_numpy() < 5  # years the calendar does not cover
    first, last = _calendar_years()
    for year in range(max(start.year, first), min(end.year, last) + 1):
        at = (pd.Timestamp(year, 1, 1) - start).days  # of 1 January in ``index``
        year_flags = _year_flags(year)
        lo, hi = max(0, -at), min(len(year_flags), len(flags) - at)
        flags[at + lo : at + hi] = year_flags[lo:hi]
    return pd.Series(flags, index=index)


def is_workday(dates) -> np.ndarray:
    """Return a boolean array: is each date a working day in Russia?

    Examples
    --------
    >>> is_workday(["2023-02-24", "2024-04-27", "2024-04-28"]).tolist()
    [False, True, False]
    """
    d = pd.DatetimeIndex(pd.to_datetime(dates)).normalize()
    if len(d) == 0:
        return np.zeros(0, dtype=bool)
    flags = working_days(d.min(), d.max())
    return flags.reindex(d).to_numpy(dtype=bool)


def workdays_between(start, end) -> np.ndarray:
    """Working time between ``start`` and ``end``, in working days (float).

    Each working day counts fully in proportion to the part of it inside the interval; weekends,
    holidays and transferred days off count zero. A case received on Friday 09:00 and completed
    on Monday 09:00 therefore takes 1.0 working day. Missing ends give NaN.

    Parameters
    ----------
    start, end : array-like of datetime
        Interval ends: naive Moscow local time, or timezone-aware (converted to Moscow time).

    Examples
    --------
    >>> workdays_between(["2023-03-10 09:00"], ["2023-03-13 09:00"]).round(3).tolist()
    [1.0]
    >>> # Fri 09:00 to Tue 09:00 around 2024-04-27, a working Saturday, and two days off
    >>> workdays_between(["2024-04-26 09:00"], ["2024-04-30 09:00"]).round(3).tolist()
    [1.625]
    """
    s = pd.DatetimeIndex(pd.to_datetime(start))
    e = pd.DatetimeIndex(pd.to_datetime(end))
    # the calendar is Russia's: aware times are counted on Moscow wall-clock days
    if s.tz is not None:
        s = s.tz_convert(MOSCOW_TZ).tz_localize(None)
    if e.tz is not None:
        e = e.tz_convert(MOSCOW_TZ).tz_localize(None)
    out = np.full(len(s), np.nan)
    ok = ~(s.isna() | e.isna())
    if not ok.any():
        return out
    s, e = s[ok], e[ok]
    lo = min(s.min(), e.min()).normalize()
    hi = max(s.max(), e.max()).normalize()
    flags = working_days(lo, hi).to_numpy(dtype=float)
    cum = np.concatenate([[0.0], np.cumsum(flags)])  # working days before day i

    def position(t: pd.DatetimeIndex) -> np.ndarray:
        day = t.normalize()
        i = ((day - lo) // pd.Timedelta(days=1)).to_numpy().astype(np.int64)
        frac = ((t - day) / pd.Timedelta(days=1)).to_numpy(dtype=float)
        return cum[i] + flags[i] * frac

    out[np.asarray(ok)] = position(e) - position(s)
    return out
