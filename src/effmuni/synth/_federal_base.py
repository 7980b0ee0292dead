"""Shared pieces of the federal generator: reference data, arrow types, array helpers."""

from __future__ import annotations

import csv
import re
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa

from ..schema import MINUTES_PER_UNIT, TABLES
from ._clock import (
    AS_OF,
    CAL_START,
    DAY_MIN,
)
from ._reference import _DATA, processes, step_templates

_D0 = np.datetime64(CAL_START, "D")
_AS_OF = int((np.datetime64(AS_OF, "D") - _D0).astype(int))
_CALENDAR_UNITS = ("min", "h", "day")
_MODEL_FROM = int((np.datetime64("2023-03-01") - _D0).astype(int))
_MODEL_TO = int((np.datetime64("2025-11-28") - _D0).astype(int))


# --------------------------------------------------------------------------- reference data


def _rows(name: str) -> list[dict[str, str]]:
    with _DATA.joinpath(name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@cache
def _names() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    stems = _rows("federal_stems.csv")
    prefixes = _rows("federal_prefixes.csv")
    return (
        np.array([r["stem_ru"] for r in stems], dtype=object),
        np.array([r["stem_en"] for r in stems], dtype=object),
        np.array([r["prefix_ru"] for r in prefixes], dtype=object),
        np.array([r["prefix_en"] for r in prefixes], dtype=object),
    )


@cache
def _kinds() -> dict[str, dict[str, str]]:
    return {r["kind"]: r for r in _rows("federal_kinds.csv")}


@cache
def _institution_rows() -> tuple[dict[str, str], ...]:
    return tuple(_rows("federal_institutions.csv"))


@cache
def federal_services() -> pd.DataFrame:
    """The services of the federal statistics (``federal_services.csv``), in order."""
    rows = _rows("federal_services.csv")
    out = pd.DataFrame(rows)
    for col in ("base_lead_days", "cases_per_10k", "season_amplitude", "effect_log"):
        out[col] = out[col].astype(float)
    out["season_peak_month"] = out["season_peak_month"].astype(int)
    return out


@cache
def _process_arrays() -> dict[str, np.ndarray]:
    procs = processes()
    families = list(step_templates())
    sv = federal_services()
    service_of = dict(zip(sv["process_name"], sv["service_id"], strict=True))
    return {
        "name": np.array([p.name for p in procs], dtype=object),
        "lo": np.array([p.lead_days[0] for p in procs]),
        "hi": np.array([p.lead_days[1] for p in procs]),
        "vol_lo": np.array([p.volume[0] for p in procs], dtype=float),
        "vol_hi": np.array([p.volume[1] for p in procs], dtype=float),
        "limit_value": np.array([p.limit[0] if p.limit else np.nan for p in procs]),
        "limit_unit": np.array([p.limit[1] if p.limit else "" for p in procs], dtype=object),
        "n_units": np.array([len(p.units) for p in procs]),
        "units": np.array([(p.units + p.units[-1:] * 3)[:3] for p in procs], dtype=object),
        "family": np.array([families.index(p.family) for p in procs]),
        "service": np.array([service_of.get(p.name) for p in procs], dtype=object),
    }


def _fill(pattern: str, **fields: pd.Series | str) -> pd.Series:
    """``pattern`` with ``{field}`` placeholders filled element-wise from string series."""
    n = max(len(v) for v in fields.values() if isinstance(v, pd.Series))
    out = pd.Series([""] * n, dtype=object)
    for piece in re.split(r"(\{\w+\})", pattern):
        if piece.startswith("{") and piece.endswith("}"):
            value = fields[piece[1:-1]]
            out = out + (value.astype(str).to_numpy() if isinstance(value, pd.Series) else value)
        elif piece:
            out = out + piece
    return out


# --------------------------------------------------------------------------- arrow helpers


_ARROW_TYPES = {
    "id": pa.string(),
    "text": pa.string(),
    "category": pa.string(),
    "quarter": pa.string(),
    "month": pa.string(),
    "float": pa.float64(),
    "int": pa.int64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us"),
}


def arrow_schema(table: str) -> pa.Schema:
    """The Parquet schema of ``table`` in the federal sample (``region_id`` is the partition)."""
    return pa.schema(
        [
            pa.field(c.name, _ARROW_TYPES[c.kind])
            for c in TABLES[table].columns
            if c.name != "region_id"
        ]
    )


def to_arrow(table: str, columns: dict[str, object]) -> pa.Table:
    """An arrow table of ``table`` from numpy arrays or pandas series (NaN/NaT/None: null)."""
    schema = arrow_schema(table)
    arrays = []
    for field in schema:
        values = columns[field.name]
        if isinstance(values, pd.Series):
            values = values.astype(object).where(values.notna(), None).to_numpy()
        if pa.types.is_date32(field.type) and isinstance(values, np.ndarray):
            if values.dtype.kind == "M":
                values = values.astype("datetime64[D]")
        arr = pa.array(values, from_pandas=True)
        arrays.append(arr.cast(field.type) if arr.type != field.type else arr)
    return pa.Table.from_arrays(arrays, schema=schema)


def _dates(days: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """Day indices since ``CAL_START`` as ``datetime64[D]`` (NaT where not ``valid``)."""
    out = _D0 + days.astype("timedelta64[D]")
    if valid is not None:
        out = np.where(valid, out, np.datetime64("NaT", "D"))
    return out


def _stamps(minutes: np.ndarray) -> np.ndarray:
    """Minutes since ``CAL_START`` as ``datetime64[us]`` (negative: NaT)."""
    base = np.datetime64(CAL_START, "m")
    out = (base + minutes.astype("timedelta64[m]")).astype("datetime64[us]")
    return np.where(minutes >= 0, out, np.datetime64("NaT", "us"))


def _within(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2, … within runs of equal values of a sorted ``groups`` array."""
    if groups.size == 0:
        return groups.astype(np.int64)
    starts = np.r_[0, np.flatnonzero(np.diff(groups)) + 1]
    lengths = np.diff(np.r_[starts, groups.size])
    return np.arange(groups.size) - np.repeat(starts, lengths)


def _round_sig2(v: np.ndarray) -> np.ndarray:
    mag = 10.0 ** (np.floor(np.log10(np.maximum(v, 1e-9))) - 1)
    return np.round(v / mag) * mag


def _round_value(v: np.ndarray, unit: np.ndarray) -> np.ndarray:
    """The regional generator's :func:`round_value`, element-wise (calendar/working units)."""
    decimals = np.where(unit == "min", np.where(v >= 10, 0, 1), np.where(v >= 1, 1, 2))
    out = np.select(
        [decimals == 0, decimals == 1], [np.round(v, 0), np.round(v, 1)], np.round(v, 2)
    )
    return np.where(out > 0, out, 10.0 ** (-decimals))


def _to_unit(days: np.ndarray, unit: np.ndarray) -> np.ndarray:
    per = np.array([MINUTES_PER_UNIT.get(u, DAY_MIN * 7 / 5) for u in unit]) if unit.size else days
    return days * DAY_MIN / per


def _phase_unit(base: np.ndarray, days: np.ndarray) -> np.ndarray:
    """A smaller calendar unit once a later phase's value falls below one."""
    out = base.copy()
    small_day = (base == "day") & (days < 1)
    out[small_day] = np.where(days[small_day] * 24 >= 1, "h", "min")
    out[(base == "h") & (days * 24 < 1)] = "min"
    return out


def _phase_value(days: np.ndarray, base_unit: np.ndarray, phase: str):
    """Unit, rounded value and minutes of a phase's lead time (later phases may change unit)."""
    unit = base_unit if phase == "baseline" else _phase_unit(base_unit, days)
    value = _round_value(_to_unit(days, unit), unit)
    minutes = (
        value * np.array([MINUTES_PER_UNIT.get(u, np.nan) for u in unit]) if unit.size else value
    )
    return unit, value, minutes
