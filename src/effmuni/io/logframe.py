"""Turning the columns of an event log into the tidy frame (shared by every log format).

Value conversion (text, timestamps in a time zone), the checks that name bad rows, lifecycle
pairing and the assembly of the result; the rules are in :mod:`effmuni.io.eventlog`.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from .errors import EventLogError
from .text import ru_to_iso

EVENT_LOG_COLUMNS = ("case_id", "activity", "start", "end", "resource")

_ROLES = ("case", "activity", "timestamp", "start_timestamp", "resource")
_REQUIRED = ("case", "activity", "timestamp")
_ROLE_NOUN = {
    "case": "case",
    "activity": "activity",
    "timestamp": "timestamp",
    "start_timestamp": "start timestamp",
    "resource": "resource",
}
_LIFECYCLE = "lifecycle:transition"
_INSTANCE = "concept:instance"
_SHOW = 5  # problems quoted in an error message


@dataclass(frozen=True)
class _Source:
    """Where values came from, to name them in messages."""

    name: str  # file name as shown to the user
    noun: str = "row"
    first: int = 2  # the label of position 0 (CSV/XLSX: the header is row 1)
    lines: np.ndarray | None = None  # XES: the line of each event

    def label(self, pos: int) -> str:
        if self.lines is not None:
            return f"event at line {int(self.lines[pos])}"
        return f"{self.noun} {pos + self.first}"


# Integer codes of text columns read dictionary-encoded (CSV), for effmuni.timing: keyed by the
# identity of the column's immutable Arrow data, dropped when that data is freed. A column
# changed in place, sliced or rebuilt has new Arrow data, so it is simply not found.
_CODES: dict[int, tuple[weakref.ref, np.ndarray, pa.Array]] = {}


def _remember_codes(values: pd.Series, codes: np.ndarray, dictionary: pa.Array) -> None:
    """Remember ``codes`` of the text ``values``: ``values[i] == dictionary[codes[i]]``,
    missing where ``codes[i] == -1``."""
    arrow = getattr(values.array, "_pa_array", None)
    if arrow is None or len(codes) != len(values):
        return
    key = id(arrow)

    def forget(ref: weakref.ref, key: int = key) -> None:
        if _CODES.get(key, (None,))[0] is ref:
            del _CODES[key]

    _CODES[key] = (weakref.ref(arrow, forget), codes, dictionary)


def known_codes(values: pd.Series) -> tuple[np.ndarray, pa.Array] | None:
    """The codes and the distinct values remembered for ``values``, else None.

    ``values[i] == dictionary[codes[i]]`` (the distinct values in order of first
    appearance); -1 marks a missing value.
    """
    arrow = getattr(values.array, "_pa_array", None)
    hit = _CODES.get(id(arrow)) if arrow is not None else None
    if hit is None or hit[0]() is not arrow or len(hit[1]) != len(values):
        return None
    return hit[1], hit[2]


def _gzip_problem(name: str, exc: BaseException) -> EventLogError:
    if isinstance(exc, EOFError) or "runcated" in str(exc):
        return EventLogError(f"{name}: the gzip stream is truncated (the file is incomplete)")
    return EventLogError(f"{name}: the gzip stream is corrupt ({exc})")


# --------------------------------------------------------------------------- value conversion

# [0-9] and [ ] rather than \d and \s: pandas then runs them in pyarrow (RE2), not per value
_OFFSET = r"[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?[ ]*(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)$"
_RU_START = r"[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}"


def _to_text(s: pd.Series, blanks: bool = True) -> pd.Series:
    """Text values as pandas ``str``; empty strings become missing (unless ``blanks=False``:
    the caller knows there are none)."""
    if pd.api.types.is_float_dtype(s.dtype):
        v = s.to_numpy(dtype=float, na_value=np.nan)
        if np.all(np.isnan(v) | (v == np.round(v))):
            s = s.astype("Int64")  # 17.0 (a number column with gaps) reads as "17"
    if not (isinstance(s.dtype, pd.StringDtype) and s.dtype.na_value is np.nan):
        if s.dtype == object and s.isna().all():  # e.g. an XES attribute no event has
            return pd.Series(np.nan, index=range(len(s)), dtype="str")
        s = s.astype("str")
    if blanks and len(s) and (s == "").any():
        s = s.where(s != "")
    return s.reset_index(drop=True)


def _localize(s: pd.Series, tz: str) -> pd.Series:
    """Naive local times to aware ones in ``tz`` (DST gaps shifted forward, overlaps standard)."""
    return s.dt.tz_localize(
        tz, ambiguous=np.zeros(len(s), dtype=bool), nonexistent="shift_forward"
    )


def _to_time(s: pd.Series, tz: str) -> tuple[pd.Series, np.ndarray | None]:
    """Timestamps as ``datetime64[us, tz]``; also a mask of values that could not be parsed.

    Typed timestamps are converted directly (``None`` is returned for the mask). Text that is
    all ISO 8601 with offsets is cast by pyarrow in one go; other text is classified with
    vectorised regular expressions: ``dd.mm.yyyy`` is rewritten as ISO, values ending in an
    offset are parsed as instants, the others as local time in ``tz``.
    """
    s = s.reset_index(drop=True)
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_convert(tz)
        return (s if s.dt.unit == "us" else s.dt.as_unit("us")), None
    if pd.api.types.is_datetime64_dtype(s.dtype):
        return _localize(s.dt.as_unit("us"), tz), None
    out = pd.Series(pd.NaT, index=s.index, dtype=pd.DatetimeTZDtype("us", tz))
    if s.isna().all():
        return out, np.zeros(len(s), dtype=bool)
    if not (isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow"):
        s = s.astype(pd.StringDtype("pyarrow", na_value=np.nan))  # vectorised .str methods
    try:  # the usual case, every value ISO 8601 with an offset: no need to classify
        utc = pa.array(s.array).cast(pa.timestamp("us", tz="UTC"))
        return pd.Series(utc.to_pandas(), index=s.index).dt.tz_convert(tz), np.zeros(
            len(s), dtype=bool
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    text = s.str.strip()
    empty = (text.isna() | (text == "")).to_numpy(dtype=bool)
    if empty.all():
        return out, np.zeros(len(s), dtype=bool)
    is_ru = text.str.match(_RU_START).fillna(False).to_numpy(dtype=bool)
    if is_ru.any():
        iso = ru_to_iso(text[is_ru])
        text = text.copy()
        text[is_ru] = iso.fillna("invalid")
    zoned = text.str.contains(_OFFSET, regex=True).fillna(False).to_numpy(dtype=bool)
    naive = ~zoned & ~empty
    if naive.any():
        parsed = _parse_iso(text.where(naive), utc=False)
        out = out.where(~naive, _localize(parsed, tz))
    if zoned.any():
        parsed = _parse_iso(text.where(zoned), utc=True)
        out = out.where(~zoned, parsed.dt.tz_convert(tz))
    bad = out.isna().to_numpy(dtype=bool) & ~empty
    return out, bad


def _parse_iso(text: pd.Series, utc: bool) -> pd.Series:
    """ISO 8601 text (missing where not to parse) to ``datetime64[us]`` (UTC if ``utc``).

    pyarrow's ISO 8601 cast is tried first (fast, vectorised); pandas parses what it rejects
    (odd forms, nanoseconds), turning the unparseable into NaT.
    """
    try:
        cast = pa.array(text.array).cast(pa.timestamp("us", tz="UTC" if utc else None))
        return pd.Series(cast.to_pandas(), index=text.index).dt.as_unit("us")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=utc)
        return parsed.dt.as_unit("us")


def _quote(source: _Source, positions: np.ndarray, values: pd.Series | None = None) -> str:
    """``row 5 ('x'), row 9 ('y') and 3 more`` for the first few positions."""
    parts = []
    for p in positions[:_SHOW]:
        label = source.label(int(p))
        parts.append(label if values is None else f"{label} ({values.iloc[int(p)]!r})")
    more = f" and {len(positions) - _SHOW} more" if len(positions) > _SHOW else ""
    return ", ".join(parts) + more


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _raise_bad_times(source: _Source, column: str, bad: np.ndarray, raw: pd.Series) -> None:
    pos = np.flatnonzero(bad)
    if len(pos) == 0:
        return
    noun = "event" if source.lines is not None else source.noun
    raise EventLogError(
        f"{source.name}: {_plural(len(pos), noun)} with an unparseable {column!r}: "
        f"{_quote(source, pos, raw)}. Timestamps must be ISO 8601 (2024-04-27T09:30:00+03:00, "
        "2024-04-27 09:30) or dd.mm.yyyy [HH:MM[:SS]]."
    )


def _raise_missing(source: _Source, column: str, missing: np.ndarray) -> None:
    pos = np.flatnonzero(missing)
    if len(pos) == 0:
        return
    noun = "event" if source.lines is not None else source.noun
    raise EventLogError(
        f"{source.name}: {_plural(len(pos), noun)} without a {column!r} value: "
        f"{_quote(source, pos)}"
    )


# --------------------------------------------------------------------------- assembling


def _finish(
    source: _Source,
    columns: dict[str, str],
    case: pd.Series,
    activity: pd.Series,
    end: pd.Series,
    start: pd.Series | None,
    resource: pd.Series | None,
    lifecycle: pd.Series | None = None,
    instance: pd.Series | None = None,
) -> pd.DataFrame:
    """Check the required values and build the result frame (text and times converted)."""
    n = len(end)
    _raise_missing(source, columns["case"], case.isna().to_numpy(dtype=bool))
    _raise_missing(source, columns["activity"], activity.isna().to_numpy(dtype=bool))
    _raise_missing(source, columns["timestamp"], end.isna().to_numpy(dtype=bool))
    if start is None:
        start = pd.Series(pd.NaT, index=range(n), dtype=end.dtype)
    if resource is None:
        resource = pd.Series(np.nan, index=range(n), dtype="str")
    frame = pd.DataFrame(
        {"case_id": case, "activity": activity, "start": start, "end": end, "resource": resource},
        copy=False,
    )
    if lifecycle is not None and columns.get("start_timestamp") is None:
        frame = _pair_lifecycle(frame, lifecycle, instance)
    return frame


def _pair_lifecycle(
    frame: pd.DataFrame, lifecycle: pd.Series, instance: pd.Series | None
) -> pd.DataFrame:
    """Collapse start/complete pairs into one row each (rule in the module docstring).

    Within a group (case, activity, instance) the events form a bracket sequence: ``start``
    opens, ``complete`` closes. A ``complete`` is paired iff an earlier ``start`` is still
    open; the number of unpaired completes so far is ``max(0, running max of
    (completes - starts))``, and the k-th paired complete closes the k-th start (FIFO).
    """
    lc = lifecycle.reset_index(drop=True).astype("str").str.strip().str.lower()
    is_start = (lc == "start").to_numpy(dtype=bool)
    if not is_start.any():
        return frame
    is_complete = (lc == "complete").to_numpy(dtype=bool)
    keys = frame[["case_id", "activity"]].copy()
    keys["instance"] = "" if instance is None else instance.reset_index(drop=True).fillna("")
    group = keys.groupby(["case_id", "activity", "instance"], sort=False).ngroup().to_numpy()
    rows = np.flatnonzero(is_start | is_complete)
    g = group[rows]
    opens = is_start[rows]
    closes = is_complete[rows]
    n_open = pd.Series(opens.astype(np.int64)).groupby(g).cumsum().to_numpy()
    n_close = pd.Series(closes.astype(np.int64)).groupby(g).cumsum().to_numpy()
    unpaired = np.maximum(pd.Series(n_close - n_open).groupby(g).cummax().to_numpy(), 0)
    before = pd.Series(unpaired).groupby(g).shift(1, fill_value=0).to_numpy()
    paired = closes & (unpaired == before)
    if not paired.any():
        return frame
    width = len(frame) + 1
    start_rows = rows[opens]
    start_keys = g[opens] * width + n_open[opens]
    close_rows = rows[paired]
    close_keys = g[paired] * width + (n_close - unpaired)[paired]
    partner = start_rows[pd.Index(start_keys).get_indexer(close_keys)]
    start = frame["start"].array.copy()
    start[close_rows] = frame["end"].array.take(partner)
    resource = frame["resource"].array.copy()
    lacking = close_rows[frame["resource"].isna().to_numpy()[close_rows]]
    if len(lacking):
        resource[lacking] = frame["resource"].array.take(partner[np.isin(close_rows, lacking)])
    keep = np.ones(len(frame), dtype=bool)
    keep[partner] = False
    out = frame.assign(start=start, resource=resource)
    return out.loc[keep].reset_index(drop=True)


def _frame_columns(
    source: _Source, found: dict[str, str], frame: pd.DataFrame, tz: str, blanks: bool = True
) -> pd.DataFrame:
    """Convert the found columns of a typed or text frame (CSV, Parquet, Excel).

    ``blanks=False`` when empty strings were already read as missing (pyarrow's CSV reader).
    """
    times: dict[str, pd.Series | None] = {}
    for role in ("timestamp", "start_timestamp"):
        name = found.get(role)
        if name is None:
            times[role] = None
            continue
        raw = frame[name].reset_index(drop=True)
        parsed, bad = _to_time(raw, tz)
        if bad is not None:
            _raise_bad_times(source, name, bad, raw)
        times[role] = parsed

    def text(role: str) -> pd.Series | None:
        name = found.get(role)
        return None if name is None or name not in frame else _to_text(frame[name], blanks)

    return _finish(
        source,
        found,
        case=text("case"),
        activity=text("activity"),
        end=times["timestamp"],
        start=times["start_timestamp"],
        resource=text("resource"),
        lifecycle=text("lifecycle"),
        instance=text("instance"),
    )


def _with_lifecycle(found: dict[str, str], header: Sequence[str]) -> dict[str, str]:
    """Add the lifecycle (and instance) columns when present and there is no start column."""
    out = dict(found)
    if "start_timestamp" not in found and _LIFECYCLE in header:
        out["lifecycle"] = _LIFECYCLE
        if _INSTANCE in header:
            out["instance"] = _INSTANCE
    return out
