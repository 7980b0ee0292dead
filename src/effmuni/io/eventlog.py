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
    ignoring case and spaces (the header rule of :mod:`effmuni.io.text`). A keyword name overrides the defaults. In XES,
    ``case`` names a trace attribute (a leading ``case:`` is dropped) and the other names
    event attributes; XES ``<global>`` default values are not applied. Every other column or
    attribute is dropped. An Excel workbook is read from its first sheet.

Time zones
    Offsets written in the data (``+03:00``, ``Z``) are honoured. Timestamps without an offset
    (and Excel date cells) are taken as local time in ``tz`` (default :data:`MOSCOW_TZ`);
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
    CSV (``;``, tab or ``,`` separated; UTF-8, UTF-16, Windows-1251, KOI8-R, MacCyrillic or
    CP866: the encoding and separator rules of :mod:`effmuni.io.text`, shared with the table
    reader) is parsed by
    pyarrow's multithreaded reader, which also parses ISO 8601 timestamps (as instants, without
    type inference, when the first rows all carry offsets) and reads activities
    and resources dictionary-encoded (their codes are kept for
    :func:`effmuni.timing.case_timings`; the result holds plain text); other timestamp
    forms and mixed offsets are parsed afterwards with vectorised pandas code (slower).
    XES is streamed a part at a time, so memory does not grow with the file beyond the
    result: a file in the plain form most programs write (self-closing ``key``/``value``
    attributes, no comments or references after the prolog: :mod:`effmuni.io.xesfast`) by a
    vectorised reader, any other file, and any file with a problem to name, by :mod:`pyexpat`,
    with the same result.

Bad input raises :class:`EventLogError` (a :class:`DataError`) naming the file and the
problem: a missing column (with the near miss that was probably meant), unparseable or
missing values (with spreadsheet-style row numbers, header = row 1, blank lines not counted;
Parquet records counted from 1; XES line numbers), a file that is not XES, a corrupt or
truncated gzip stream, an empty file. A CSV with a header but no rows is an empty log.
"""

from __future__ import annotations

import csv
import gzip
import re
import zlib
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from ..text import label
from .errors import EventLogError, ReadFailure
from .logframe import (
    _REQUIRED,
    _ROLE_NOUN,
    _ROLES,
    EVENT_LOG_COLUMNS,
    _finish,
    _frame_columns,
    _gzip_problem,
    _remember_codes,
    _Source,
    _with_lifecycle,
)
from .parquet import arrow_to_pandas, damaged_text_column
from .text import (
    MOSCOW_TZ,
    SNIFF_BYTES,
    first_line,
    near_miss,
    normalize_label,
    sniff_encoding,
    sniff_separator,
)
from .xes import read_xes

__all__ = ["EVENT_LOG_COLUMNS", "EventLogError", "log_summary", "read_event_log"]


_DICT = pa.dictionary(pa.int32(), pa.string())
_INSTANT = pa.timestamp("us", tz="UTC")
_ZONED = re.compile(  # what pyarrow's ISO 8601 parser reads as an instant
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
    r"(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)"
)
_SAMPLE_ROWS = 200
_CODED = (("case", "case_id"), ("activity", "activity"), ("resource", "resource"))
_ALIASES: dict[str, tuple[str, ...]] = {
    "case": ("case:concept:name", "case_id"),
    "activity": ("concept:name", "activity"),
    "timestamp": ("time:timestamp", "end"),
    "start_timestamp": ("start_timestamp", "start"),
    "resource": ("org:resource", "resource"),
}


# --------------------------------------------------------------------------- public API


def read_event_log(
    path: str | Path,
    *,
    case: str | None = None,
    activity: str | None = None,
    timestamp: str | None = None,
    start_timestamp: str | None = None,
    resource: str | None = None,
    tz: str = MOSCOW_TZ,
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
    tz : str, default Europe/Moscow (:data:`~effmuni.io.MOSCOW_TZ`)
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
        return read_xes(path, gz, names, tz)
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


def _read_head(path: Path, gz: bool, size: int = SNIFF_BYTES) -> bytes:
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


def _resolve(
    header: Sequence[str], names: dict[str, str], source: str, what: str = "column"
) -> dict[str, str]:
    """Map each role to a header name, or raise with a "did you mean" for a near miss."""
    exact = {h: h for h in header}
    folded: dict[str, str] = {}
    for h in header:
        folded.setdefault(normalize_label(h), h)
    found: dict[str, str] = {}
    problems: list[str] = []
    for role in _ROLES:
        given = names.get(role)
        candidates = (given,) if given is not None else _ALIASES[role]
        hit = next((exact[c] for c in candidates if c in exact), None)
        if hit is None:
            hit = next(
                (folded[normalize_label(c)] for c in candidates if normalize_label(c) in folded),
                None,
            )
        if hit is not None:
            found[role] = hit
            continue
        if given is None and role not in _REQUIRED:
            continue
        near = near_miss(candidates, [h for h in header if h not in found.values()])
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


# --------------------------------------------------------------------------- CSV


def _arrow_csv(
    path: Path,
    gz: bool,
    encoding: str,
    sep: str,
    include: list[str],
    text_columns: list[str],
    coded: frozenset[str] = frozenset(),
    instants: frozenset[str] = frozenset(),
) -> pa.Table:
    types = {c: _DICT if c in coded else pa.string() for c in text_columns}
    types.update({c: _INSTANT for c in instants})
    stream = pa.input_stream(str(path), compression="gzip" if gz else None)
    try:
        return pacsv.read_csv(
            stream,
            read_options=pacsv.ReadOptions(encoding=encoding),
            parse_options=pacsv.ParseOptions(delimiter=sep),
            convert_options=pacsv.ConvertOptions(
                include_columns=include,
                column_types=types,
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
    try:
        encoding, text = sniff_encoding(head, path.name, complete=False)
    except ReadFailure as e:  # event-log messages are in English, like the reader's options
        raise EventLogError(e.message("en")) from None
    first = first_line(text)
    if not first.strip():
        raise EventLogError(f"{path.name} has no header row (the first line is blank)")
    sep = sniff_separator(first)
    if encoding in ("utf-8", "utf-8-sig"):
        encoding = "utf8"  # pyarrow decodes UTF-8 itself (and skips a BOM); others are transcoded
    try:
        header = next(csv.reader([first], delimiter=sep))
    except csv.Error as e:  # e.g. a bare carriage return inside the header line
        raise EventLogError(f"{path.name}: the header row cannot be read ({e})") from None
    found = _with_lifecycle(_resolve(header, names, path.name), header)
    include = list(dict.fromkeys(found.values()))
    time_columns = {found[r] for r in ("timestamp", "start_timestamp") if r in found}
    text_columns = [c for c in include if c not in time_columns]
    try:
        try:
            # activity and resource dictionary-encoded by the (multithreaded) reader: integer
            # codes for case_timings; the case ids, mostly distinct, are cheaper as plain text.
            # Timestamps that all carry an offset in the first rows are read as instants
            # straight away (no type inference); a later value without one is a conversion
            # error, and the column is read as text below.
            coded = frozenset(found[r] for r in ("activity", "resource") if r in found)
            instants = _zoned_columns(text, sep, header, time_columns)
            table = _arrow_csv(
                path, gz, encoding, sep, include, text_columns, coded - {found["case"]}, instants
            )
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
    typed, codes = {}, {}
    for name in include:
        col = table.column(name)
        if name in time_columns and not pa.types.is_timestamp(col.type):
            col = col.cast(pa.string())  # dates, text timestamps, all-empty columns
        elif name in time_columns and col.type.tz is not None:
            # what _to_time makes of it, in Arrow; nanoseconds cut to microseconds, as there
            col = col.cast(pa.timestamp("us", tz=tz), safe=False)
        elif pa.types.is_dictionary(col.type):
            col = col.unify_dictionaries()
            indices = pa.chunked_array([c.indices for c in col.chunks], type=col.type.index_type)
            values = col.chunk(0).dictionary if col.num_chunks else pa.array([], pa.string())
            codes[name] = (indices.fill_null(-1).to_numpy(), values)
            col = col.cast(pa.large_string())
        typed[name] = col
    if "lifecycle" not in found and all(
        pa.types.is_timestamp(typed[c].type) and typed[c].type.tz is not None for c in time_columns
    ):
        # every value converted by the reader: the columns are the result's as they are
        column = {name: col.to_pandas() for name, col in typed.items()}

        def role(r: str) -> pd.Series | None:
            return column[found[r]] if r in found else None

        out = _finish(
            source,
            found,
            case=role("case"),
            activity=role("activity"),
            end=role("timestamp"),
            start=role("start_timestamp"),
            resource=role("resource"),
        )
    else:
        out = _frame_columns(source, found, pa.table(typed).to_pandas(), tz, blanks=False)
    if len(out) == table.num_rows:  # rows as read (no lifecycle pairs merged)
        for role, column in _CODED:
            name = found.get(role)
            if name in codes:
                _remember_codes(out[column], *codes[name])
    return out


def _zoned_columns(text: str, sep: str, header: list[str], columns: set[str]) -> frozenset[str]:
    """The time ``columns`` whose values in the first rows of ``text`` (the start of the file)
    all carry an offset, as ISO 8601 that pyarrow's reader parses."""
    if not columns or len(set(header)) != len(header):
        return frozenset()
    lines = text.split("\n")[1:-1][:_SAMPLE_ROWS]  # the last line may be cut short
    try:
        rows = list(csv.reader(lines, delimiter=sep))
    except csv.Error:
        return frozenset()
    zoned = set()
    for name in columns:
        i = header.index(name)
        values = [row[i] for row in rows if len(row) == len(header) and row[i]]
        if values and all(_ZONED.fullmatch(v) for v in values):
            zoned.add(name)
    return frozenset(zoned)


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
    column = damaged_text_column(table)
    if column is not None:
        raise EventLogError(
            f"{path.name} is damaged: column {column!r} holds text that is not valid UTF-8"
        )
    try:
        frame = arrow_to_pandas(table)  # damaged pandas metadata ignored
    except Exception as e:  # pyarrow raises several types for corrupt data
        raise EventLogError(
            f"{path.name} is not a readable Parquet file ({type(e).__name__}: {e})"
        ) from None
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


# --------------------------------------------------------------------------- summary


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
