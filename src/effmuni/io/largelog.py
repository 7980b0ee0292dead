"""Case timings of a Parquet event log larger than memory, computed out of core.

:func:`case_timings_from_parquet` gives the table that
``case_timings(read_event_log(path))`` gives, with memory bounded by a budget instead of
growing with the file:

1. the file is streamed a batch of rows at a time (pyarrow, only the log's columns); each batch
   is converted as :func:`~effmuni.io.read_event_log` converts the whole file (the same column
   names, time zones and text rules, with its helpers) and checked. Problems are gathered over
   the whole file and reported as ``read_event_log`` reports them: the same message, counts and
   first records;
2. the events are hash-partitioned by case id into B buckets, spilled to temporary files
   (Arrow IPC streams, lz4-compressed: a Parquet writer would keep the metadata of every row
   group written until closed, growing with the file), each event keeping its position in
   the file. B comes from the number of events, their size in memory (measured on the first
   rows) and the budget; when B is 1 the file is simply read as ``read_event_log`` reads it;
3. each bucket holds whole cases, in file order: lifecycle start/complete pairs are merged in
   it and :func:`effmuni.timing.case_timings` runs on it. The results are put back in order of
   the cases' first appearance in the file, as ``case_timings`` orders them for the whole log
   (with ``out=``, through files by ranges of that position, each sorted in memory). Working
   days (``calendar="ru"``) are counted last, over the span of the whole log: counted bucket by
   bucket they would differ in the last bit.

Here :mod:`effmuni.io` hands its rows straight to :mod:`effmuni.timing` (the one place it
does): the log as a whole never exists in memory. The temporary files are removed at the end,
also on error or interruption.
"""

from __future__ import annotations

import logging
import math
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..calendar import workdays_between
from ..timing import case_timings
from .errors import EventLogError
from .eventlog import _check_tz, _detect, _read_parquet, _resolve
from .logframe import (
    _SHOW,
    EVENT_LOG_COLUMNS,
    _pair_lifecycle,
    _plural,
    _Source,
    _to_text,
    _to_time,
    _with_lifecycle,
)
from .parquet import arrow_to_pandas, damaged_text_column
from .text import MOSCOW_TZ

__all__ = ["case_timings_from_parquet"]

_logger = logging.getLogger(__name__)

#: memory of case_timings on a bucket (read, converted, worked on), per byte of its events
_BUCKET_FACTOR = 5.0
#: memory of converting and partitioning a batch, per byte of its converted events
_BATCH_FACTOR = 8.0
_PROBE_ROWS = 65_536  # rows converted first, to measure an event's size in memory
_FALLBACK_ROW_BYTES = 512.0  # when the first rows cannot be converted (the file is bad)
_MIN_BATCH, _MAX_BATCH = 1_024, 1 << 20
_MAX_BUCKETS = 512  # open files at once; beyond ~500 x the budget a bucket outgrows it
_IO_BUFFER = 1 << 22  # pages are read through a 4 MiB buffer, not a row group at a time
_SPILL = pa.ipc.IpcWriteOptions(compression="lz4")
_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}
_UNITS |= {f"{p}{s}": 2 ** (10 * i) for i, p in enumerate("kmgt", 1) for s in ("", "ib")}
#: read_event_log's checks, in its order: the first that fails is reported
_CHECKS = (
    ("bad", "timestamp"),
    ("bad", "start_timestamp"),
    ("missing", "case"),
    ("missing", "activity"),
    ("missing", "timestamp"),
)


def case_timings_from_parquet(
    path: str | Path,
    calendar: str | None = None,
    *,
    case: str | None = None,
    activity: str | None = None,
    timestamp: str | None = None,
    start_timestamp: str | None = None,
    resource: str | None = None,
    tz: str = MOSCOW_TZ,
    as_of=None,
    end_activities=None,
    memory_budget: int | str = "1GiB",
    tmp_dir: str | Path | None = None,
    out: str | Path | None = None,
) -> pd.DataFrame | None:
    """Case timings of a Parquet event log, out of core: memory bounded by ``memory_budget``.

    The result is ``case_timings(read_event_log(path, ...), calendar, as_of=...,
    end_activities=...)``, computed without holding the log in memory: the file is streamed,
    its events are split by case into buckets written to temporary files, and
    :func:`~effmuni.timing.case_timings` runs on one bucket at a time (see the module
    documentation). Use it for logs of tens or hundreds of millions of events.

    Parameters
    ----------
    path : str or Path
        A Parquet event log (``.parquet`` or ``.pq``).
    calendar : {None, "ru"}, optional
        As for :func:`~effmuni.timing.case_timings`.
    case, activity, timestamp, start_timestamp, resource : str, optional
        Column names, as for :func:`~effmuni.io.read_event_log` (pm4py names, this package's
        names and Russian headers given here are matched by the same rules).
    tz : str, default Europe/Moscow
        As for :func:`~effmuni.io.read_event_log`.
    as_of, end_activities : optional
        As for :func:`~effmuni.timing.case_timings`.
    memory_budget : int or str, default "1GiB"
        Memory the work may use, in bytes or as a size such as ``"1GiB"``, ``"512MiB"`` or
        ``"2GB"``: besides it, the result and about 100 MB for reading Parquet. It sets the
        number of buckets (at most 512) and the size of the batches read. A single case is
        never split, so one huge case may exceed it.
    tmp_dir : str or Path, optional
        Where the temporary files go (default: the system's temporary folder). They take up
        to about twice the size of the file, and are removed as they are used, also on
        error.
    out : str or Path, optional
        Write the timings to this Parquet file (in the same row order, written a part at a
        time) and return None, instead of returning them: then the memory does not grow with
        the number of cases either. The frame's ``attrs`` are not written.

    Returns
    -------
    pandas.DataFrame or None
        The table of :func:`~effmuni.timing.case_timings`, cases in order of first appearance
        in the file, with its ``attrs``; None when ``out`` is given.

    Raises
    ------
    EventLogError
        When the file cannot be read as an event log: the message of
        :func:`~effmuni.io.read_event_log` for the same file.
    ValueError
        For a bad ``memory_budget``, ``calendar`` or ``tz``.

    Examples
    --------
    >>> import tempfile
    >>> from effmuni import case_timings, read_event_log
    >>> path = Path(tempfile.mkdtemp()) / "log.parquet"
    >>> read_event_log("tests/data/eventlog/running-example.xes").to_parquet(path)
    >>> t = case_timings_from_parquet(path, memory_budget="4KiB")  # tiny: 3 buckets
    >>> t[["case_id", "n_events", "n_handoffs"]].head(3)
      case_id  n_events  n_handoffs
    0       3         9           7
    1       2         5           3
    2       1         5           4
    >>> t.equals(case_timings(read_event_log(path)))
    True
    """
    path = Path(path)
    budget = _budget(memory_budget)
    if calendar not in (None, "ru"):
        raise ValueError(f"calendar must be None or 'ru', not {calendar!r}")
    _check_tz(tz)
    if not path.is_file():
        raise EventLogError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise EventLogError(f"{path.name} is empty")
    if _detect(path)[0] != "parquet":
        raise EventLogError(
            f"{path.name} is not a Parquet event log (.parquet, .pq); read other formats with "
            "read_event_log and pass the log to case_timings"
        )
    names = dict(
        case=case,
        activity=activity,
        timestamp=timestamp,
        start_timestamp=start_timestamp,
        resource=resource,
    )
    names = {k: v for k, v in names.items() if v is not None}
    options = dict(as_of=as_of, end_activities=end_activities)
    try:
        parquet = pq.ParquetFile(path, pre_buffer=False, buffer_size=_IO_BUFFER)
        header = parquet.schema_arrow.names
    except Exception as e:  # pyarrow raises several types for corrupt files
        raise EventLogError(f"{path.name} is not a readable Parquet file ({e})") from None
    with parquet:
        found = _with_lifecycle(_resolve(header, names, path.name), header)
        reader = _Reader(parquet, path.name, found, tz)
        n_events = parquet.metadata.num_rows
        per_event = reader.bytes_per_event()
        n_buckets = min(_MAX_BUCKETS, math.ceil(n_events * per_event * _BUCKET_FACTOR / budget))
        batch = budget / (max(per_event, 1.0) * _BATCH_FACTOR)
        batch = int(np.clip(batch, _MIN_BATCH, _MAX_BATCH))
        _logger.info(
            "%s: %d events of about %.0f bytes, %d buckets, batches of %d events",
            *(path.name, n_events, per_event, n_buckets, batch),
        )
        if n_buckets <= 1:  # it fits: read as read_event_log reads it
            timings = case_timings(_read_parquet(path, names, tz), calendar, **options)
            if out is None:
                return timings
            _write_atomically(Path(out), [timings])
            return None
        with tempfile.TemporaryDirectory(prefix="effmuni-", dir=tmp_dir) as folder:
            buckets = reader.partition(Path(folder), n_buckets, batch)
            parts = (_bucket_timings(p, options) for p in buckets)
            if out is None:
                return _in_order(parts, calendar, options)
            frames = _ordered_frames(parts, calendar, reader.n_read, n_buckets, Path(folder))
            _write_atomically(Path(out), frames)
    return None


# --------------------------------------------------------------------------- reading


class _Reader:
    """Batches of a Parquet log converted as read_event_log converts the whole file."""

    def __init__(self, parquet: pq.ParquetFile, name: str, found: dict[str, str], tz: str):
        self.parquet, self.name, self.found, self.tz = parquet, name, found, tz
        self.columns = list(dict.fromkeys(found.values()))
        self.n_read = 0
        # read_event_log turns a float column into text as integers only when every value
        # of the column is one: decided for the whole file, not batch by batch
        self.as_float_text = {
            name
            for role, name in found.items()
            if role not in ("timestamp", "start_timestamp")
            and pa.types.is_floating(parquet.schema_arrow.field(name).type)
            and not self._integral(name)
        }

    def batches(self, size: int, columns: list[str] | None = None) -> Iterator[pa.Table]:
        it = self.parquet.iter_batches(batch_size=size, columns=columns or self.columns)
        while True:
            try:
                batch = next(it)
            except StopIteration:
                return
            except Exception as e:  # pyarrow raises several types for corrupt files
                raise EventLogError(f"{self.name} is not a readable Parquet file ({e})") from None
            yield pa.Table.from_batches([batch])

    def _integral(self, column: str) -> bool:
        for table in self.batches(_MAX_BATCH, [column]):
            v = table.column(0)
            fraction = pc.and_(pc.invert(pc.is_nan(v)), pc.not_equal(v, pc.round(v)))
            if pc.any(fraction).as_py():
                return False
        return True

    def bytes_per_event(self) -> float:
        """The size in memory of a converted event, measured on the first rows."""
        table = next(self.batches(_PROBE_ROWS), None)
        if table is None or table.num_rows == 0:
            return 0.0
        problems = _Problems(self.name, self.columns)
        frame = self.convert(table, 0, problems)
        if frame is None or problems:
            return _FALLBACK_ROW_BYTES
        return float(frame.memory_usage(deep=True, index=False).sum()) / table.num_rows

    def convert(self, table: pa.Table, offset: int, problems: _Problems) -> pd.DataFrame | None:
        """The events of rows ``offset...`` in the tidy columns (with lifecycle and instance
        text when pairs are to be merged); None once the file is known to be bad."""
        damaged = {c for c in table.column_names if damaged_text_column(table.select([c]))}
        problems.damaged |= damaged
        if problems.damaged or problems.unreadable:
            return None  # only more damaged columns can change the message now
        try:
            frame = arrow_to_pandas(table)  # damaged pandas metadata ignored
        except Exception as e:  # pyarrow raises several types for corrupt data
            problems.unreadable = (
                f"{self.name} is not a readable Parquet file ({type(e).__name__}: {e})"
            )
            return None
        source = _Source(self.name, "record", 1 + offset)
        times = {}
        for role in ("timestamp", "start_timestamp"):
            if role in self.found:
                raw = frame[self.found[role]].reset_index(drop=True)
                times[role], bad = _to_time(raw, self.tz)
                if bad is not None:
                    problems.add("bad", role, self.found[role], source, bad, raw)
        text = {}
        for role in ("case", "activity", "resource", "lifecycle", "instance"):
            if role in self.found:
                values = frame[self.found[role]]
                if self.found[role] in self.as_float_text:
                    values = values.astype("str")
                text[role] = _to_text(values)
        end = times["timestamp"]
        for role, values in (("case", text["case"]), ("activity", text["activity"])):
            problems.add("missing", role, self.found[role], source, values.isna().to_numpy())
        problems.add(
            "missing", "timestamp", self.found["timestamp"], source, end.isna().to_numpy()
        )
        n = len(end)
        events = {
            "case_id": text["case"],
            "activity": text["activity"],
            "start": times.get(
                "start_timestamp", pd.Series(pd.NaT, index=range(n), dtype=end.dtype)
            ),
            "end": end,
            "resource": text.get("resource", pd.Series(np.nan, index=range(n), dtype="str")),
        }
        if "lifecycle" in text:
            events["lifecycle"] = text["lifecycle"]
            if "instance" in text:
                events["instance"] = text["instance"]
        events["_row"] = pd.Series(np.arange(offset, offset + n, dtype=np.int64))
        return pd.DataFrame(events, copy=False)

    def partition(self, folder: Path, n_buckets: int, batch: int) -> list[Path]:
        """Spill the events to ``n_buckets`` temporary files by a hash of the case id.

        Every bucket holds whole cases, their events in file order. Raises the problems of
        the file (once it has been read to the end, to count them as read_event_log does).
        """
        problems = _Problems(self.name, self.columns)
        paths = [folder / f"bucket-{b:03d}.arrows" for b in range(n_buckets)]
        writers: list[pa.ipc.RecordBatchStreamWriter | None] = [None] * n_buckets
        schema = None
        with ExitStack() as stack:
            for table in self.batches(batch):
                offset, self.n_read = self.n_read, self.n_read + table.num_rows
                frame = self.convert(table, offset, problems)
                if frame is None or problems:
                    continue  # the file is bad: read on only to count its problems
                if schema is None:
                    schema = pa.Schema.from_pandas(frame, preserve_index=False).remove_metadata()
                hashed = pd.util.hash_pandas_object(frame["case_id"], index=False).to_numpy()
                bucket = (hashed % np.uint64(n_buckets)).astype(np.int16)
                order = np.argsort(bucket, kind="stable")  # radix sort, file order kept
                counts = np.bincount(bucket, minlength=n_buckets)
                spill = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
                spill = spill.take(order)
                del frame
                ends = np.cumsum(counts)
                for b in np.flatnonzero(counts):
                    if writers[b] is None:
                        writers[b] = _spill_writer(stack, paths[b], schema)
                    writers[b].write_table(spill.slice(ends[b] - counts[b], counts[b]))
        error = problems.error()
        if error is not None:
            raise error
        return [p for p, w in zip(paths, writers, strict=True) if w is not None]


class _Problems:
    """What is wrong with the file, gathered batch by batch and worded at the end as
    read_event_log words it for the whole file (the same counts and first records; the
    wording is that of io.logframe and io.eventlog, and tests/test_largelog.py holds the two
    messages equal)."""

    def __init__(self, name: str, columns: list[str]):
        self.name, self.columns = name, columns
        self.damaged: set[str] = set()
        self.unreadable: str | None = None
        self.found: dict[tuple[str, str], tuple[str, list[int], list[str]]] = {}

    def __bool__(self) -> bool:
        return bool(self.damaged or self.unreadable or self.found)

    def add(self, check, role, column, source: _Source, mask, raw=None) -> None:
        pos = np.flatnonzero(mask)
        if len(pos) == 0:
            return
        _, count, quoted = self.found.setdefault((check, role), (column, [0], []))
        count[0] += len(pos)
        for p in pos[: _SHOW - len(quoted)]:  # at most the first five
            label = source.label(int(p))
            quoted.append(label if raw is None else f"{label} ({raw.iloc[int(p)]!r})")

    def error(self) -> EventLogError | None:
        if self.damaged:
            column = next(c for c in self.columns if c in self.damaged)
            return EventLogError(
                f"{self.name} is damaged: column {column!r} holds text that is not valid UTF-8"
            )
        if self.unreadable:
            return EventLogError(self.unreadable)
        for check in _CHECKS:
            if check not in self.found:
                continue
            column, (count,), quoted = self.found[check]
            listing = ", ".join(quoted) + (f" and {count - _SHOW} more" if count > _SHOW else "")
            if check[0] == "bad":
                return EventLogError(
                    f"{self.name}: {_plural(count, 'record')} with an unparseable {column!r}: "
                    f"{listing}. Timestamps must be ISO 8601 (2024-04-27T09:30:00+03:00, "
                    "2024-04-27 09:30) or dd.mm.yyyy [HH:MM[:SS]]."
                )
            return EventLogError(
                f"{self.name}: {_plural(count, 'record')} without a {column!r} value: {listing}"
            )
        return None


# --------------------------------------------------------------------------- timings


def _bucket_timings(path: Path, options: dict) -> tuple[pd.DataFrame, np.ndarray]:
    """case_timings of one bucket (no calendar yet), and the file position of each case's
    first event."""
    frame = _read_spill(path).to_pandas()
    if "lifecycle" in frame.columns:
        lifecycle = frame.pop("lifecycle")
        instance = frame.pop("instance") if "instance" in frame.columns else None
        frame = _pair_lifecycle(frame, lifecycle, instance)
    events = frame[list(EVENT_LOG_COLUMNS)]
    timings = case_timings(events, **options)
    rows, case = frame["_row"].to_numpy(), events["case_id"]
    if options["as_of"] is not None:  # the cases as case_timings saw them: events until as_of
        when = timings.attrs["as_of"]
        kept = ~((events["end"] > when) | (events["start"] > when)).to_numpy(dtype=bool)
        rows, case = rows[kept], case[kept]
    first = rows[~case.duplicated().to_numpy()]  # in case_timings' order: first appearance
    if len(first) != len(timings):  # pragma: no cover - a broken assumption, not bad data
        raise RuntimeError("case order of a bucket does not match case_timings")
    return timings, first


def _with_workdays(timings: pd.DataFrame, bounds: tuple | None = None) -> pd.DataFrame:
    """Add ``lead_time_workdays`` as ``case_timings(calendar="ru")`` adds it to the whole log.

    The calendar counts working days from the first day of the cases given; ``bounds`` (the
    earliest and latest timestamps of all cases) make it count from the log's first day, so
    that some of the cases get the values of the whole log to the last bit.
    """
    start, end = pd.DatetimeIndex(timings["start"]), pd.DatetimeIndex(timings["end"])
    days = np.zeros(0)
    if len(timings):
        if bounds is not None:
            start, end = (
                start.append(pd.DatetimeIndex([bounds[0]])),
                end.append(pd.DatetimeIndex([bounds[1]])),
            )
        days = np.asarray(workdays_between(start, end), dtype=np.float64)[: len(timings)]
    if "complete" in timings.columns:  # unknown for an open case, as case_timings has it
        days[~timings["complete"].to_numpy(dtype=bool)] = np.nan
    timings.insert(timings.columns.get_loc("wait_time_hours") + 1, "lead_time_workdays", days)
    return timings


def _in_order(parts, calendar, options: dict) -> pd.DataFrame:
    """The buckets' timings as one frame, cases in order of first appearance in the file."""
    frames, firsts, empty = [], [], None
    for timings, first in parts:
        if len(timings):
            frames.append(timings)
            firsts.append(first)
        elif empty is None:
            empty = timings  # the result when no bucket has a case (as_of before them all)
    if frames:
        attrs = dict(frames[0].attrs)
        if "as_of" in attrs and options["as_of"] is None:  # the latest timestamp of the log
            attrs["as_of"] = max(f.attrs["as_of"] for f in frames)
        order = np.argsort(np.concatenate(firsts), kind="stable")
        out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        frames.clear()  # at most two copies of the result at a time
        out = out.take(order).reset_index(drop=True)
        out.attrs = attrs
    else:
        out = empty
    return _with_workdays(out) if calendar else out


def _ordered_frames(
    parts, calendar, n_events: int, n_ranges: int, folder: Path
) -> Iterator[pd.DataFrame]:
    """The buckets' timings in order of first appearance, a range of the file at a time.

    Each bucket's cases go to ``n_ranges`` files by the position of their first event in the
    file; a range is then small enough to be sorted in memory. The first frame yielded is
    empty: it gives the columns, also for a log without cases.
    """
    paths = [folder / f"range-{r:03d}.arrows" for r in range(n_ranges)]
    writers: list[pa.ipc.RecordBatchStreamWriter | None] = [None] * n_ranges
    empty, low, high = None, [], []
    with ExitStack() as stack:
        for timings, first in parts:
            empty = timings.iloc[:0] if empty is None else empty
            if not len(timings):
                continue
            low.append(min(timings["start"].min(), timings["end"].min()))
            high.append(max(timings["start"].max(), timings["end"].max()))
            table = pa.Table.from_pandas(timings.assign(_first=first), preserve_index=False)
            where = first * n_ranges // n_events
            for r in np.unique(where):
                if writers[r] is None:
                    writers[r] = _spill_writer(stack, paths[r], table.schema)
                writers[r].write_table(table.filter(pa.array(where == r)))
    yield _with_workdays(empty.copy()) if calendar else empty
    bounds = (min(low), max(high)) if low else None
    for path, writer in zip(paths, writers, strict=True):
        if writer is not None:
            frame = _read_spill(path).to_pandas()
            frame = frame.sort_values("_first").drop(columns="_first").reset_index(drop=True)
            yield _with_workdays(frame, bounds) if calendar else frame


def _spill_writer(stack: ExitStack, path: Path, schema: pa.Schema):
    """A temporary file of record batches, closed with ``stack``.

    An Arrow IPC stream, lz4-compressed: unlike a Parquet writer, which keeps the metadata of
    every row group it has written until it is closed, it keeps nothing per batch written,
    so that memory stays flat however many batches go into however many buckets.
    """
    sink = stack.enter_context(pa.OSFile(str(path), "wb"))
    return stack.enter_context(pa.ipc.new_stream(sink, schema, options=_SPILL))


def _read_spill(path: Path) -> pa.Table:
    """A temporary file read back in one piece, then removed (disk given back as we go)."""
    with pa.OSFile(str(path)) as source:
        table = pa.ipc.open_stream(source).read_all()
    path.unlink()
    return table.combine_chunks()


def _write_atomically(out: Path, frames) -> None:
    """Write the frames (the first gives the schema) to ``out`` through a partial file."""
    partial = out.with_name(f".{out.name}.partial")
    writer = None
    try:
        for frame in frames:
            frame = frame.copy(deep=False)
            frame.attrs = {}  # as_of and note are not written
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(partial, table.schema)
            if table.num_rows:
                writer.write_table(table.cast(writer.schema))
        writer.close()
        os.replace(partial, out)
    finally:
        if writer is not None:
            writer.close()
        partial.unlink(missing_ok=True)


def _budget(value: int | str) -> int:
    """A memory budget in bytes, from a number of bytes or a size such as "1GiB"."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?)\s*([a-zA-Z]*)\s*", str(value))
    unit = match.group(2).lower() if match else None
    if isinstance(value, bool) or unit not in _UNITS:
        raise ValueError(
            f"memory_budget must be a number of bytes or a size such as '1GiB' or '512MB', "
            f"not {value!r}"
        )
    size = int(float(match.group(1)) * _UNITS[unit])
    if size <= 0:
        raise ValueError(f"memory_budget must be positive, not {value!r}")
    return size
