"""Reading process-mining event logs into one tidy frame.

:func:`read_event_log` reads a log written as CSV (also gzip-compressed ``.csv.gz``), Parquet,
Excel (``.xlsx``) or IEEE 1849 XES (also ``.xes.gz``) and returns one row per event with the
columns of :data:`EVENT_LOG_COLUMNS`:

``case_id``, ``activity``, ``resource``
    Text (pandas ``str`` dtype); ``resource`` is missing where the log has none.
``start``, ``end``
    Timezone-aware ``datetime64[us, tz]``. ``end`` is the event's (completion) timestamp;
    ``start`` is its start timestamp, ``NaT`` where the log has none.

Column names
    Without keyword names the pm4py/XES names are recognised: ``case:concept:name``,
    ``concept:name``, ``time:timestamp``, ``start_timestamp`` and ``org:resource``, and also
    this module's own output names (``case_id``, ``activity``, ``end``, ``start``,
    ``resource``), so a log written back to CSV reads again. Names match exactly, else
    ignoring case and surrounding spaces. A keyword name overrides the defaults. In XES,
    ``case`` names a trace attribute (a leading ``case:`` is dropped) and the other names
    event attributes; XES ``<global>`` default values are not applied. Every other column or
    attribute is dropped. An Excel workbook is read from its first sheet.

Time zones
    Offsets written in the data (``+03:00``, ``Z``) are honoured. Timestamps without an offset
    (and Excel date cells) are taken as local time in ``tz`` (default ``Europe/Moscow``);
    a wall time that does not exist in ``tz`` is moved forward and an ambiguous one is taken
    as standard time. The result is expressed in ``tz``. Timestamps may be ISO 8601 (``T``
    or a space, optional fraction) or Russian ``dd.mm.yyyy [HH:MM[:SS]]``.

Lifecycle transitions
    When the log has a ``lifecycle:transition`` attribute (or column) with ``start`` events
    and no start-timestamp column, each ``start`` event is paired with the next ``complete``
    event of the same case and activity (and the same ``concept:instance`` if the log has
    one), oldest open ``start`` first. The pair becomes one row at the position of the
    ``complete`` event, with ``start`` and ``end`` from the two events and the resource of
    the ``complete`` event (else of the ``start`` event). Every other event, including an
    unpaired ``start`` or ``complete`` and other transitions (``schedule``, ``suspend``, ...),
    stays one row with ``end`` at its own timestamp and ``start`` missing.

Row order
    Rows are returned in file order and never sorted (for XES: traces in file order, events
    in order within their trace); :func:`effmuni.timing.case_timings` sorts only when needed.

Reading speed
    CSV (``,``, ``;`` or tab separated; UTF-8, Windows-1251 or UTF-16 with a BOM) is parsed by
    pyarrow's multithreaded reader, which also parses ISO 8601 timestamps; other timestamp
    forms and mixed offsets are parsed afterwards with vectorised pandas code (slower).
    XES is streamed with :mod:`pyexpat`, a batch of events at a time: memory does not grow
    with the file beyond the result itself.

Bad input raises :class:`EventLogError` (a :class:`ValueError`) naming the file and the
problem: a missing column (with the near miss that was probably meant), unparseable or
missing values (with spreadsheet-style row numbers, header = row 1, blank lines not counted;
Parquet records counted from 1; XES line numbers), a file that is not XES, a corrupt or
truncated gzip stream, an empty file. A CSV with a header but no rows is an empty log.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import gc
import gzip
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from .io import ru_to_iso
from .labels import label, register

__all__ = ["DEFAULT_TZ", "EVENT_LOG_COLUMNS", "EventLogError", "log_summary", "read_event_log"]

register(
    {
        "log_events": ("события", "events"),
        "log_cases": ("случаи", "cases"),
        "log_activities": ("виды операций", "activities"),
        "log_resources": ("исполнители", "resources"),
        "log_period": ("период", "period"),
        "log_starts": ("события со временем начала", "events with a start time"),
    }
)

EVENT_LOG_COLUMNS = ("case_id", "activity", "start", "end", "resource")
DEFAULT_TZ = "Europe/Moscow"

_ROLES = ("case", "activity", "timestamp", "start_timestamp", "resource")
_REQUIRED = ("case", "activity", "timestamp")
_ALIASES: dict[str, tuple[str, ...]] = {
    "case": ("case:concept:name", "case_id"),
    "activity": ("concept:name", "activity"),
    "timestamp": ("time:timestamp", "end"),
    "start_timestamp": ("start_timestamp", "start"),
    "resource": ("org:resource", "resource"),
}
_XES_DEFAULTS = {
    "case": "concept:name",
    "activity": "concept:name",
    "timestamp": "time:timestamp",
    "start_timestamp": "start_timestamp",
    "resource": "org:resource",
}
_LIFECYCLE = "lifecycle:transition"
_INSTANCE = "concept:instance"
_ROLE_NOUN = {
    "case": "case",
    "activity": "activity",
    "timestamp": "timestamp",
    "start_timestamp": "start timestamp",
    "resource": "resource",
}
_XES_BATCH = 16_384  # events converted to arrays at a time while streaming XES
_XES_COLUMNS = (
    "trace",
    "line",
    "activity",
    "resource",
    "lifecycle",
    "instance",
    "timestamp",
    "start_timestamp",
)
_SHOW = 5  # problems quoted in an error message


class EventLogError(ValueError):
    """A file that cannot be read as an event log; the message names the file and the problem."""


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


# --------------------------------------------------------------------------- public API


def read_event_log(
    path: str | Path,
    case: str | None = None,
    activity: str | None = None,
    timestamp: str | None = None,
    start_timestamp: str | None = None,
    resource: str | None = None,
    *,
    tz: str = DEFAULT_TZ,
) -> pd.DataFrame:
    """Read an event log from CSV, CSV.GZ, Parquet, XLSX, XES or XES.GZ.

    Parameters
    ----------
    path : str or Path
        The file. Its format comes from the suffix: ``.csv``, ``.txt``, ``.tsv`` (optionally
        followed by ``.gz``), ``.parquet``/``.pq``, ``.xlsx``/``.xlsm`` (first sheet),
        ``.xes``/``.xml`` (optionally ``.gz``).
    case, activity, timestamp, start_timestamp, resource : str, optional
        Column (or XES attribute) names, overriding the recognised defaults. ``timestamp`` is
        the event's completion time; ``start_timestamp`` and ``resource`` are optional.
    tz : str, default "Europe/Moscow"
        Time zone of timestamps written without an offset, and of the result.

    Returns
    -------
    pandas.DataFrame
        One row per event, in file order, with ``case_id``, ``activity``, ``start``, ``end``
        and ``resource`` (see the module documentation for the rules).

    Raises
    ------
    EventLogError
        When the file cannot be read as an event log; the message says why.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "log.csv"
    >>> _ = path.write_text(
    ...     "case:concept:name,concept:name,time:timestamp,org:resource\\n"
    ...     "A-1,Регистрация,2024-04-26T09:00:00+03:00,Иванова\\n"
    ...     "A-1,Решение,2024-04-27 15:30:00,\\n",
    ...     encoding="utf-8",
    ... )
    >>> log = read_event_log(path)
    >>> log.columns.tolist()
    ['case_id', 'activity', 'start', 'end', 'resource']
    >>> log["end"].dt.strftime("%d.%m.%Y %H:%M %z").tolist()
    ['26.04.2024 09:00 +0300', '27.04.2024 15:30 +0300']
    >>> log["resource"].isna().tolist()
    [False, True]
    """
    path = Path(path)
    names = {
        "case": case,
        "activity": activity,
        "timestamp": timestamp,
        "start_timestamp": start_timestamp,
        "resource": resource,
    }
    names = {k: v for k, v in names.items() if v is not None}
    _check_tz(tz)
    if not path.is_file():
        raise EventLogError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise EventLogError(f"{path.name} is empty")
    kind, gz = _detect(path)
    if kind == "xes":
        return _read_xes(path, gz, names, tz)
    if kind == "csv":
        return _read_csv(path, gz, names, tz)
    if kind == "parquet":
        return _read_parquet(path, names, tz)
    return _read_excel(path, names, tz)


# --------------------------------------------------------------------------- formats


def _check_tz(tz: str) -> None:
    try:
        pd.Timestamp("2024-01-01").tz_localize(tz)
    except Exception:  # pytz/zoneinfo raise various types for unknown zones
        raise ValueError(f"unknown time zone tz={tz!r}") from None


def _detect(path: Path) -> tuple[str, bool]:
    """The format of ``path`` ("csv", "parquet", "excel" or "xes") and whether it is gzipped."""
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    inner = suffixes[-2] if gz and len(suffixes) == 2 else (suffixes[-1] if suffixes else "")
    kind = {
        ".csv": "csv",
        ".txt": "csv",
        ".tsv": "csv",
        ".parquet": "parquet",
        ".pq": "parquet",
        ".xlsx": "excel",
        ".xlsm": "excel",
        ".xes": "xes",
        ".xml": "xes",
    }.get(inner)
    if kind is None or (gz and kind not in ("csv", "xes")):
        raise EventLogError(
            f"{path.name}: unsupported file type; expected .csv, .csv.gz, .parquet, .xlsx, "
            ".xes or .xes.gz"
        )
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if gz and magic[:2] != b"\x1f\x8b":
        raise EventLogError(f"{path.name} is not a gzip file (it has a .gz suffix)")
    if kind == "excel" and magic != b"PK\x03\x04":
        raise EventLogError(
            f"{path.name} is not a valid .xlsx workbook (corrupt, or another format)"
        )
    if kind == "parquet" and magic != b"PAR1":
        raise EventLogError(f"{path.name} is not a Parquet file")
    return kind, gz


def _gzip_problem(name: str, exc: BaseException) -> EventLogError:
    if isinstance(exc, EOFError) or "runcated" in str(exc):
        return EventLogError(f"{name}: the gzip stream is truncated (the file is incomplete)")
    return EventLogError(f"{name}: the gzip stream is corrupt ({exc})")


def _read_head(path: Path, gz: bool, size: int = 1 << 16) -> bytes:
    """The first ``size`` bytes of the (decompressed) file."""
    try:
        if gz:
            with gzip.open(path, "rb") as fh:
                return fh.read(size)
        with open(path, "rb") as fh:
            return fh.read(size)
    except (OSError, EOFError, zlib.error) as e:
        if gz:
            raise _gzip_problem(path.name, e) from None
        raise EventLogError(f"{path.name} cannot be read: {e}") from None


# --------------------------------------------------------------------------- column names


def _norm(name: object) -> str:
    return str(name).replace("\ufeff", "").strip().casefold()


def _near_miss(wanted: Sequence[str], present: Sequence[str]) -> str | None:
    """The name in ``present`` most like any of ``wanted`` (ignoring case), if similar enough."""
    best, score = None, 0.6
    for name in present:
        for w in wanted:
            ratio = difflib.SequenceMatcher(None, _norm(w), _norm(name)).ratio()
            if ratio > score:
                best, score = name, ratio
    return best


def _resolve(
    header: Sequence[str], names: dict[str, str], source: str, what: str = "column"
) -> dict[str, str]:
    """Map each role to a header name, or raise with a "did you mean" for a near miss."""
    exact = {h: h for h in header}
    folded: dict[str, str] = {}
    for h in header:
        folded.setdefault(_norm(h), h)
    found: dict[str, str] = {}
    problems: list[str] = []
    for role in _ROLES:
        given = names.get(role)
        candidates = (given,) if given is not None else _ALIASES[role]
        hit = next((exact[c] for c in candidates if c in exact), None)
        if hit is None:
            hit = next((folded[_norm(c)] for c in candidates if _norm(c) in folded), None)
        if hit is not None:
            found[role] = hit
            continue
        if given is None and role not in _REQUIRED:
            continue
        near = _near_miss(candidates, [h for h in header if h not in found.values()])
        hint = f"; did you mean {near!r}? (pass {role}={near!r})" if near else ""
        if given is not None:
            problems.append(f"no {what} {given!r} (given as {role}=){hint}")
        else:
            alts = " or ".join(repr(c) for c in candidates)
            hint = hint or f"; name it with {role}=..."
            problems.append(f"no {_ROLE_NOUN[role]} {what}: expected {alts}{hint}")
    if problems:
        shown = ", ".join(repr(h) for h in list(header)[:20])
        more = f" and {len(header) - 20} more" if len(header) > 20 else ""
        raise EventLogError(
            f"{source}: " + "; ".join(problems) + f". The {what}s are: {shown}{more}."
        )
    return found


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
        return s.dt.tz_convert(tz).dt.as_unit("us"), None
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


# --------------------------------------------------------------------------- CSV


def _sniff_text(head: bytes, name: str) -> tuple[str, str]:
    """The encoding of a CSV file (for pyarrow) and its first line."""
    if head.startswith(codecs.BOM_UTF8):
        encoding, body = "utf8", head[len(codecs.BOM_UTF8) :]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, body = "utf-16", head
    else:
        if b"\x00" in head:
            raise EventLogError(f"{name} is binary (or UTF-16 without a BOM), not CSV text")
        encoding, body = "utf8", head
    if encoding == "utf8":
        try:
            codecs.getincrementaldecoder("utf-8")().decode(body, final=False)
        except UnicodeDecodeError:
            encoding = "cp1251"  # Russian Windows; every byte decodes
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(body, final=False)
    first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    return encoding, first


def _sniff_separator(line: str) -> str:
    counts = {sep: line.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else ","


def _arrow_csv(
    path: Path,
    gz: bool,
    encoding: str,
    sep: str,
    include: list[str],
    text_columns: list[str],
) -> pa.Table:
    stream = pa.input_stream(str(path), compression="gzip" if gz else None)
    try:
        return pacsv.read_csv(
            stream,
            read_options=pacsv.ReadOptions(encoding=encoding),
            parse_options=pacsv.ParseOptions(delimiter=sep),
            convert_options=pacsv.ConvertOptions(
                include_columns=include,
                column_types={c: pa.string() for c in text_columns},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    finally:
        stream.close()


def _read_csv(path: Path, gz: bool, names: dict[str, str], tz: str) -> pd.DataFrame:
    source = _Source(path.name)
    head = _read_head(path, gz)
    if not head.strip():
        raise EventLogError(f"{path.name} is empty")
    encoding, first = _sniff_text(head, path.name)
    if not first.strip():
        raise EventLogError(f"{path.name} has no header row (the first line is blank)")
    sep = _sniff_separator(first)
    header = next(csv.reader([first], delimiter=sep))
    found = _with_lifecycle(_resolve(header, names, path.name), header)
    include = list(dict.fromkeys(found.values()))
    time_columns = {found[r] for r in ("timestamp", "start_timestamp") if r in found}
    text_columns = [c for c in include if c not in time_columns]
    try:
        try:
            table = _arrow_csv(path, gz, encoding, sep, include, text_columns)
        except pa.ArrowInvalid as e:
            if "conversion error" not in str(e):
                raise
            # A timestamp column that pyarrow's ISO 8601 parser rejects part-way through:
            # read it as text and parse it here, to name the bad rows.
            table = _arrow_csv(path, gz, encoding, sep, include, include)
    except pa.ArrowInvalid as e:
        raise EventLogError(f"{path.name} is not a readable CSV file: {e}") from None
    except (OSError, EOFError) as e:
        if gz:
            raise _gzip_problem(path.name, e) from None
        raise EventLogError(f"{path.name} cannot be read: {e}") from None
    typed = {}
    for name in include:
        col = table.column(name)
        if name in time_columns and not pa.types.is_timestamp(col.type):
            col = col.cast(pa.string())  # dates, text timestamps, all-empty columns
        typed[name] = col
    frame = pa.table(typed).to_pandas()
    return _frame_columns(source, found, frame, tz, blanks=False)


# --------------------------------------------------------------------------- Parquet, Excel


def _read_parquet(path: Path, names: dict[str, str], tz: str) -> pd.DataFrame:
    import pyarrow.parquet as pq

    try:
        header = pq.read_schema(path).names
        found = _with_lifecycle(_resolve(header, names, path.name), header)
        table = pq.read_table(path, columns=list(dict.fromkeys(found.values())))
    except EventLogError:
        raise
    except Exception as e:  # pyarrow raises several types for corrupt files
        raise EventLogError(f"{path.name} is not a readable Parquet file ({e})") from None
    frame = table.to_pandas()
    return _frame_columns(_Source(path.name, "record", 1), found, frame, tz)


def _read_excel(path: Path, names: dict[str, str], tz: str) -> pd.DataFrame:
    try:
        frame = pd.read_excel(path, sheet_name=0, engine="openpyxl")
    except Exception as e:  # openpyxl/zipfile raise various types on corrupt files
        raise EventLogError(
            f"{path.name} is not a readable .xlsx workbook ({type(e).__name__}: {e})"
        ) from None
    frame.columns = [str(c) for c in frame.columns]
    header = list(frame.columns)
    if not header:
        raise EventLogError(f"{path.name}: the first sheet is empty")
    found = _with_lifecycle(_resolve(header, names, path.name), header)
    return _frame_columns(_Source(path.name), found, frame, tz)


# --------------------------------------------------------------------------- XES


def _attr(attrs: list[str], name: str) -> str | None:
    """Value of attribute ``name`` in pyexpat's ordered attribute list."""
    for i in range(0, len(attrs) - 1, 2):
        if attrs[i] == name:
            return attrs[i + 1]
    return None


class _XesStream:
    """Streaming XES reader: pyexpat callbacks fill a small batch, flushed to arrays.

    Only the wanted attributes of the last ``_XES_BATCH`` events are held as Python objects;
    then they are converted to compact arrays (Arrow text, int64 microseconds, small integer
    codes for the lifecycle transition and instance), so memory grows only with the result.
    Nested attributes (lists, containers, meta-attributes) are skipped: only direct children
    of an ``<event>`` or ``<trace>`` count.
    """

    def __init__(self, name: str, keys: dict[str, str], tz: str):
        self.name = name
        self.tz = tz
        self.case_key = keys["case"]
        wanted = ["activity", "timestamp", "start_timestamp", "resource"]
        self.slot_of: dict[str, int] = {}
        for i, role in enumerate(wanted):
            self.slot_of.setdefault(keys[role], i)
        self.slot_of.setdefault(_LIFECYCLE, 4)
        self.slot_of.setdefault(_INSTANCE, 5)
        self.keys = keys
        self.trace_names: list[str | None] = []
        self.trace_lines: list[int] = []
        self.batch: list[tuple] = []
        self.parts: dict[str, list] = {column: [] for column in _XES_COLUMNS}
        self.instances: dict[str, int] = {}
        self.bad: dict[str, list] = {"timestamp": [], "start_timestamp": []}
        self.n_bad = {"timestamp": 0, "start_timestamp": 0}
        self.n_events = 0

    def parse(self, stream) -> None:
        import pyexpat

        parser = pyexpat.ParserCreate()
        parser.ordered_attributes = True
        slot_of = self.slot_of
        case_key = self.case_key
        batch = self.batch
        trace_names = self.trace_names
        depth = 0  # of the current element, outside events
        in_trace = -1  # depth of the open <trace>, else -1
        trace_child = -1  # depth of its children
        trace_no = -1
        line = 0
        level = 0
        cur: list = []

        def first(name: str, attrs: list[str]) -> None:
            nonlocal depth
            local = name.rpartition(":")[2]
            if local != "log":
                raise EventLogError(
                    f"{self.name} is not an XES file: the root element is <{name}>, expected <log>"
                )
            depth = 1
            parser.StartElementHandler = start

        # Outside events: track the depth, open traces and events, read trace attributes.
        def start(name: str, attrs: list[str]) -> None:
            nonlocal depth, in_trace, trace_child, trace_no, line, cur, level
            depth += 1
            if depth == trace_child:
                if name == "event" or name.rpartition(":")[2] == "event":
                    cur = [None] * 6
                    line = parser.CurrentLineNumber
                    level = 0
                    parser.StartElementHandler = event_start
                    parser.EndElementHandler = event_end
                elif _attr(attrs, "key") == case_key:
                    trace_names[-1] = _attr(attrs, "value")
            elif depth == 2 and name.rpartition(":")[2] == "trace":
                in_trace, trace_child = depth, depth + 1
                trace_no += 1
                trace_names.append(None)
                self.trace_lines.append(parser.CurrentLineNumber)

        def end(name: str) -> None:
            nonlocal depth, in_trace, trace_child
            if depth == in_trace:
                in_trace = trace_child = -1
            depth -= 1

        # Inside an event (the hot path): ``level`` counts the elements open within it.
        def event_start(name: str, attrs: list[str]) -> None:
            nonlocal level
            level += 1
            if level == 1 and attrs:  # a direct attribute of the event
                if attrs[0] == "key" and len(attrs) == 4 and attrs[2] == "value":
                    slot = slot_of.get(attrs[1])
                    if slot is not None:
                        cur[slot] = attrs[3]
                else:
                    slot = slot_of.get(_attr(attrs, "key"))
                    if slot is not None:
                        cur[slot] = _attr(attrs, "value")

        def event_end(name: str) -> None:
            nonlocal level, depth
            if level:
                level -= 1
                return
            batch.append((trace_no, line, *cur))  # the </event>
            depth -= 1
            parser.StartElementHandler = start
            parser.EndElementHandler = end
            if len(batch) >= _XES_BATCH:
                self.flush()

        parser.StartElementHandler = first
        parser.EndElementHandler = end
        at_end = False
        collecting = gc.isenabled()
        gc.disable()  # the batch is many small tuples: the cyclic GC would rescan them often
        try:
            while True:
                chunk = stream.read(1 << 20)
                if not chunk:
                    break
                parser.Parse(chunk, False)
            at_end = True
            parser.Parse(b"", True)
        except pyexpat.ExpatError as e:
            reason = pyexpat.errors.messages[e.code] if e.code else str(e)
            if depth == 0:
                raise EventLogError(
                    f"{self.name} is not an XES file: not well-formed XML ({reason} at line "
                    f"{e.lineno}, column {e.offset})"
                ) from None
            if at_end:
                raise EventLogError(
                    f"{self.name}: broken XES: the file ends inside an element at line "
                    f"{e.lineno} ({reason}); it is probably truncated"
                ) from None
            raise EventLogError(
                f"{self.name}: broken XES at line {e.lineno}, column {e.offset}: {reason}"
            ) from None
        finally:
            if collecting:
                gc.enable()
        self.flush()

    def flush(self) -> None:
        """Convert the pending events to arrays; remember unparseable timestamps."""
        if not self.batch:
            return
        cols = list(zip(*self.batch, strict=True))
        self.batch.clear()
        offset = self.n_events
        n = len(cols[0])
        self.n_events += n
        parts = self.parts
        parts["trace"].append(np.asarray(cols[0], dtype=np.int64))
        parts["line"].append(np.asarray(cols[1], dtype=np.int64))
        parts["activity"].append(pa.array(cols[2], type=pa.large_string()))
        parts["resource"].append(pa.array(cols[5], type=pa.large_string()))
        transition = _to_text(pd.Series(cols[6], dtype=object)).str.strip().str.lower()
        parts["lifecycle"].append(
            np.where(transition == "start", 1, np.where(transition == "complete", 2, 0)).astype(
                np.int8
            )
        )
        if cols[7].count(None) == n:
            parts["instance"].append(np.full(n, -1, dtype=np.int32))
        else:
            codes = self.instances
            parts["instance"].append(
                np.array(
                    [-1 if v is None else codes.setdefault(v, len(codes)) for v in cols[7]],
                    dtype=np.int32,
                )
            )
        for role, k in (("timestamp", 3), ("start_timestamp", 4)):
            raw = pd.Series(cols[k], dtype=object)
            parsed, bad = _to_time(raw, self.tz)
            parts[role].append(parsed.dt.tz_convert(None).to_numpy())  # UTC datetime64[us]
            if bad is not None and bad.any():
                pos = np.flatnonzero(bad)
                self.n_bad[role] += len(pos)
                room = _SHOW - len(self.bad[role])
                self.bad[role].extend((offset + int(p), raw.iloc[p]) for p in pos[:room])

    def column(self, name: str) -> pd.Series:
        """One column of all events, assembled from the flushed parts (which are released)."""
        parts = self.parts[name]
        self.parts[name] = []
        if name in ("activity", "resource"):
            text = pa.chunked_array(parts, type=pa.large_string()).to_pandas()
            return _to_text(text)
        if name in ("timestamp", "start_timestamp"):
            values = np.concatenate(parts) if parts else np.zeros(0, dtype="datetime64[us]")
            return pd.Series(values).dt.tz_localize("UTC").dt.tz_convert(self.tz)
        dtype = {"lifecycle": np.int8, "instance": np.int32}.get(name, np.int64)
        return pd.Series(np.concatenate(parts) if parts else np.zeros(0, dtype=dtype))


def _xes_keys(path: Path, gz: bool, limit: int = 10_000) -> tuple[set[str], set[str]]:
    """Attribute keys used by the first ``limit`` events and traces (for error messages)."""
    import pyexpat

    event_keys: set[str] = set()
    trace_keys: set[str] = set()
    stack: list[str] = []

    class _Enough(Exception):
        pass

    def start(name: str, attrs: list[str]) -> None:
        local = name.rpartition(":")[2]
        parent = stack[-1] if stack else ""
        key = _attr(attrs, "key")
        if key is not None and parent == "event":
            event_keys.add(key)
        elif key is not None and parent == "trace":
            trace_keys.add(key)
        stack.append(local)

    def end(name: str) -> None:
        stack.pop()
        if name.rpartition(":")[2] == "trace" and len(trace_keys) and len(event_keys) > limit:
            raise _Enough

    parser = pyexpat.ParserCreate()
    parser.ordered_attributes = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    opener = gzip.open if gz else open
    try:
        with opener(path, "rb") as fh:
            parser.ParseFile(fh)
    except (_Enough, pyexpat.ExpatError, OSError, EOFError):
        pass
    return event_keys, trace_keys


def _read_xes(path: Path, gz: bool, names: dict[str, str], tz: str) -> pd.DataFrame:
    keys = {role: names.get(role, _XES_DEFAULTS[role]) for role in _ROLES}
    if keys["case"].startswith("case:"):
        keys["case"] = keys["case"][len("case:") :]
    reader = _XesStream(path.name, keys, tz)
    try:
        if gz:
            with gzip.open(path, "rb") as fh:
                reader.parse(fh)
        else:
            with open(path, "rb") as fh:
                reader.parse(fh)
    except (OSError, EOFError, zlib.error) as e:
        raise _gzip_problem(path.name, e) from None
    if not reader.trace_names:
        raise EventLogError(f"{path.name}: the XES log has no traces")
    events = {column: reader.column(column) for column in _XES_COLUMNS}
    _check_xes_keys(path, gz, names, keys, events, reader)
    source = _Source(path.name, lines=events["line"].to_numpy())
    for role in ("timestamp", "start_timestamp"):
        count = reader.n_bad[role]
        if count:
            shown = ", ".join(f"{source.label(p)} ({v!r})" for p, v in reader.bad[role])
            more = f" and {count - len(reader.bad[role])} more" if count > _SHOW else ""
            raise EventLogError(
                f"{path.name}: {_plural(count, 'event')} with an unparseable {keys[role]!r}: "
                f"{shown}{more}. XES dates must be xs:dateTime (2024-04-27T09:30:00.000+03:00)."
            )
    trace_names = pd.Series(reader.trace_names, dtype=object)
    unnamed = np.flatnonzero(trace_names.isna().to_numpy())
    if len(unnamed):
        lines = ", ".join(str(reader.trace_lines[i]) for i in unnamed[:_SHOW])
        raise EventLogError(
            f"{path.name}: {_plural(len(unnamed), 'trace')} without a {keys['case']!r} "
            f"attribute (the case id), at line {lines}"
        )
    case = _to_text(trace_names).take(events["trace"].to_numpy()).reset_index(drop=True)
    found = dict(keys)
    has_start = bool(events["start_timestamp"].notna().any())
    if not has_start:
        found.pop("start_timestamp")
    lifecycle = events["lifecycle"]
    paired = bool((lifecycle == 1).any())
    return _finish(
        source,
        found,
        case=case,
        activity=events["activity"],
        end=events["timestamp"],
        start=events["start_timestamp"] if has_start else None,
        resource=events["resource"],
        lifecycle=lifecycle.map({1: "start", 2: "complete"}) if paired else None,
        instance=events["instance"] if paired else None,
    )


def _check_xes_keys(
    path: Path,
    gz: bool,
    names: dict[str, str],
    keys: dict[str, str],
    events: dict[str, pd.Series],
    reader: _XesStream,
) -> None:
    """Raise with a "did you mean" when no event (trace) has a required or named attribute."""
    absent = []
    if reader.n_events == 0:
        return
    for role in ("activity", "timestamp", "start_timestamp", "resource"):
        present = events[role].notna().any() or reader.n_bad.get(role, 0) > 0
        if not present and (role in _REQUIRED or role in names):
            absent.append(role)
    case_absent = all(n is None for n in reader.trace_names)
    if not absent and not case_absent:
        return
    event_keys, trace_keys = _xes_keys(path, gz)
    problems = []
    if case_absent:
        near = _near_miss([keys["case"]], sorted(trace_keys))
        hint = f"; did you mean {near!r}? (pass case={near!r})" if near else ""
        problems.append(f"no trace has the attribute {keys['case']!r} (case id){hint}")
    for role in absent:
        key = keys[role]
        near = _near_miss([key], sorted(event_keys))
        hint = f"; did you mean {near!r}? (pass {role}={near!r})" if near else ""
        problems.append(f"no event has the attribute {key!r} ({_ROLE_NOUN[role]}){hint}")
    shown = ", ".join(repr(k) for k in sorted(event_keys)[:20])
    raise EventLogError(f"{path.name}: " + "; ".join(problems) + f". Event keys: {shown}.")


def log_summary(log: pd.DataFrame, lang: str = "ru") -> pd.DataFrame:
    """What an event log holds: events, cases, activities, resources, period, start stamps.

    Returns ``item`` and ``value`` columns (text), in ``lang``.

    Examples
    --------
    >>> from pathlib import Path
    >>> log = read_event_log(Path("tests/data/eventlog/running-example.xes"))
    >>> log_summary(log, "en").set_index("item").loc["cases", "value"]
    '6'
    """
    ends = log["end"].dropna()
    period = f"{ends.min():%Y-%m-%d} … {ends.max():%Y-%m-%d}" if len(ends) else "—"
    rows = [
        ("log_events", f"{len(log)}"),
        ("log_cases", f"{log['case_id'].nunique()}"),
        ("log_activities", f"{log['activity'].nunique()}"),
        ("log_resources", f"{log['resource'].nunique()}"),
        ("log_period", period),
        ("log_starts", f"{int(log['start'].notna().sum())}"),
    ]
    return pd.DataFrame([(label(k, lang), v) for k, v in rows], columns=["item", "value"])
