"""Streaming IEEE 1849 XES (also ``.xes.gz``) event logs.

Events are read a batch at a time and converted to compact arrays, so memory does not grow
with the file beyond the result itself. A file in the plain form of :mod:`effmuni.io.xesfast`
is read by that vectorised fast path; any other file with :mod:`pyexpat`, and so is a plain
file in which a problem is found (missing or unparseable values, unnamed traces), so that the
message names its lines. The rules for names, time zones and lifecycle pairing are those of
:mod:`effmuni.io.eventlog`.
"""

from __future__ import annotations

import gc
import gzip
import re
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from .errors import EventLogError
from .logframe import (
    _INSTANCE,
    _LIFECYCLE,
    _REQUIRED,
    _ROLE_NOUN,
    _ROLES,
    _SHOW,
    _finish,
    _gzip_problem,
    _plural,
    _Source,
    _to_text,
    _to_time,
)
from .text import near_miss
from .xesfast import NotPlainXes, PlainPart, plain_xes_parts

__all__ = ["read_xes"]

_XES_DEFAULTS = {
    "case": "concept:name",
    "activity": "concept:name",
    "timestamp": "time:timestamp",
    "start_timestamp": "start_timestamp",
    "resource": "org:resource",
}
_SLOTS = 6  # event values kept: activity, timestamp, start, resource, lifecycle, instance
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


_DECLARED_ENCODING = re.compile(rb"""^<\?xml\s[^>]*?\bencoding\s*=\s*["']([^"']*)["']""")


def _declared_encoding(head: bytes) -> str | None:
    """The encoding the XML declaration at the start of ``head`` names, if any."""
    m = _DECLARED_ENCODING.match(head.lstrip(b"\xef\xbb\xbf \t\r\n"))
    return m.group(1).decode("latin-1") if m else None


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
        self.transitions: dict[str, int] = {}  # lifecycle text -> code (see _transitions)
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
        trace_lines = self.trace_lines
        # Only start tags call Python: end tags are appended to ``ends`` by C code, and the
        # depth of an element is the starts minus the ends before it. Outside events,
        # ``opened`` counts the starts since ``ends`` was last emptied, so the parent of a new
        # element lies at depth ``opened - len(ends)`` (the root at 1, events at 3).
        ends: list[str] = []
        opened = 0
        parent_is_trace = False  # whether the latest element at depth 2 is a <trace>
        trace_no = -1
        line = 0
        in_event = False  # an <event> was opened and not yet emitted
        n = 0  # elements started within the event
        cur: list = []

        def emit() -> None:
            nonlocal in_event
            in_event = False
            batch.append((trace_no, line, *cur))
            if len(batch) >= _XES_BATCH:
                self.flush()

        def first(name: str, attrs: list[str]) -> None:
            nonlocal opened
            local = name.rpartition(":")[2]
            if local != "log":
                raise EventLogError(
                    f"{self.name} is not an XES file: the root element is <{name}>, expected <log>"
                )
            opened = 1
            parser.StartElementHandler = start

        def start(name: str, attrs: list[str]) -> None:
            nonlocal opened, parent_is_trace, trace_no, line, in_event, n, cur
            depth = opened - len(ends)  # of the parent
            opened += 1
            if len(ends) > 4096:  # many elements outside events: keep ``ends`` short
                opened = depth + 1
                ends.clear()
            if depth == 2 and parent_is_trace:
                if name == "event" or name.rpartition(":")[2] == "event":
                    cur = [None] * _SLOTS
                    line = parser.CurrentLineNumber
                    in_event = True
                    n = 0
                    ends.clear()
                    parser.StartElementHandler = child
                elif _attr(attrs, "key") == case_key:
                    trace_names[-1] = _attr(attrs, "value")
            elif depth == 1:
                parent_is_trace = name.rpartition(":")[2] == "trace"
                if parent_is_trace:
                    trace_no += 1
                    trace_names.append(None)
                    trace_lines.append(parser.CurrentLineNumber)

        # Within an event (the hot path): all n elements started in it have ended iff
        # len(ends) == n (a direct attribute of the event starts); fewer: a nested one;
        # more: the event has ended (and len(ends) - n - 1 elements around it).
        def child(name: str, attrs: list[str]) -> None:
            nonlocal n, opened
            closed = len(ends)
            if closed == n:
                n += 1
                if attrs and attrs[0] == "key" and len(attrs) == 4 and attrs[2] == "value":
                    slot = slot_of.get(attrs[1])
                    if slot is not None:
                        cur[slot] = attrs[3]
                elif attrs:
                    slot = slot_of.get(_attr(attrs, "key"))
                    if slot is not None:
                        cur[slot] = _attr(attrs, "value")
            elif closed < n:
                n += 1
            else:
                emit()
                opened = 3 - (closed - n)  # elements open after the event's end
                ends.clear()
                parser.StartElementHandler = start
                start(name, attrs)

        parser.StartElementHandler = first
        parser.EndElementHandler = ends.append
        at_end = False
        head = b""  # the start of the file, for the XML declaration's encoding
        collecting = gc.isenabled()
        gc.disable()  # the batch is many small tuples: the cyclic GC would rescan them often
        try:
            while True:
                chunk = stream.read(1 << 20)
                if not chunk:
                    break
                head = head or chunk[:1024]
                parser.Parse(chunk, False)
            at_end = True
            parser.Parse(b"", True)
            if in_event:  # the document is complete: the last event has ended
                emit()
        except pyexpat.ExpatError as e:
            reason = pyexpat.errors.messages[e.code] if e.code else str(e)
            if opened == 0:
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
        except EventLogError:  # from the handlers (a root that is not <log>)
            raise
        except (LookupError, ValueError) as e:
            if opened:  # not from the XML declaration: a bug, not the file's
                raise
            # pyexpat asks Python for an encoding it does not know itself: LookupError when
            # Python does not know it either, ValueError when it is multi-byte (UTF-7, UTF-32,
            # Shift-JIS ...)
            encoding = _declared_encoding(head)
            named = "an encoding" if encoding is None else f"the encoding {encoding!r}"
            why = (
                "which is unknown"
                if isinstance(e, LookupError)
                else "which the XML reader cannot decode (it reads UTF-8, UTF-16 and "
                "single-byte encodings)"
            )
            raise EventLogError(
                f"{self.name} is not a readable XES file: its XML declaration names {named}, "
                f"{why}; save the log as UTF-8"
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
        values = [pa.array(cols[k], type=pa.large_string()) for k in range(2, 8)]
        self.add(np.asarray(cols[0], dtype=np.int64), np.asarray(cols[1], dtype=np.int64), values)

    def add(self, trace: np.ndarray, line: np.ndarray, values: list[pa.Array]) -> None:
        """Convert events to arrays: their trace numbers and lines, and the Arrow text of each
        slot (activity, timestamp, start timestamp, resource, lifecycle, instance)."""
        offset = self.n_events
        n = len(trace)
        self.n_events += n
        parts = self.parts
        parts["trace"].append(trace)
        parts["line"].append(line)
        parts["activity"].append(values[0])
        parts["resource"].append(values[3])
        parts["lifecycle"].append(_transitions(values[4], self.transitions))
        instance = values[5]
        if instance.null_count == n:
            parts["instance"].append(np.full(n, -1, dtype=np.int32))
        else:  # codes in order of first appearance
            coded = instance.dictionary_encode()
            codes = self.instances
            table = [codes.setdefault(v, len(codes)) for v in coded.dictionary.to_pylist()]
            table = np.array([*table, -1], dtype=np.int32)  # last: missing
            parts["instance"].append(
                table[coded.indices.fill_null(len(table) - 1).to_numpy(zero_copy_only=False)]
            )
        for role, k in (("timestamp", 1), ("start_timestamp", 2)):
            try:  # the usual case, all xs:dateTime with offsets (or none): cast in one go
                utc = values[k].cast(pa.timestamp("us", tz="UTC"))
                parts[role].append(utc.to_numpy(zero_copy_only=False))
                continue
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass
            raw = pd.Series(values[k].to_pylist(), dtype=object)
            parsed, bad = _to_time(raw, self.tz)
            parts[role].append(parsed.dt.tz_convert(None).to_numpy())  # UTC datetime64[us]
            if bad is not None and bad.any():
                pos = np.flatnonzero(bad)
                self.n_bad[role] += len(pos)
                room = _SHOW - len(self.bad[role])
                self.bad[role].extend((offset + int(p), raw.iloc[p]) for p in pos[:room])

    def add_part(self, part: PlainPart) -> None:
        """Take the events and traces of a part read by the fast path."""
        self.trace_names.extend(part.trace_names)
        self.trace_lines.extend([0] * len(part.trace_names))  # only named in errors
        self.add(part.trace, np.zeros(len(part.trace), dtype=np.int64), part.values)

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


def _transitions(values: pa.Array, known: dict[str, int]) -> np.ndarray:
    """Lifecycle transitions as codes: 1 start, 2 complete, 0 other or none (case and
    surrounding spaces ignored). The text rules run once per distinct value, remembered in
    ``known``."""
    coded = values.dictionary_encode()
    distinct = coded.dictionary.to_pylist()
    new = [v for v in distinct if v not in known]
    if new:
        transition = _to_text(pd.Series(new, dtype=object)).str.strip().str.lower()
        code = np.where(transition == "start", 1, np.where(transition == "complete", 2, 0))
        known.update(zip(new, code.tolist(), strict=True))
    table = np.array([known[v] for v in distinct] + [0], dtype=np.int8)  # last: missing
    return table[coded.indices.fill_null(len(distinct)).to_numpy(zero_copy_only=False)]


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


def read_xes(
    path: Path, gz: bool, names: dict[str, str], tz: str, *, fast: bool = True
) -> pd.DataFrame:
    """Read an XES log (gzipped if ``gz``) with the keys ``names`` overriding the defaults.

    A plain file is read by the vectorised fast path of :mod:`effmuni.io.xesfast` (unless
    ``fast`` is false); any other file, and any file with a problem to report (which then
    names lines), by pyexpat.
    """
    keys = {role: names.get(role, _XES_DEFAULTS[role]) for role in _ROLES}
    if keys["case"].startswith("case:"):
        keys["case"] = keys["case"][len("case:") :]
    reader = _read_plain(path, gz, keys, tz) if fast else None
    if reader is not None:
        try:
            return _assemble(path, gz, names, keys, reader)
        except EventLogError:
            pass  # read again with pyexpat, whose message names the lines
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
    return _assemble(path, gz, names, keys, reader)


def _read_plain(path: Path, gz: bool, keys: dict[str, str], tz: str) -> _XesStream | None:
    """The events of a plain XES file, read by the fast path; None if it is not plain (or
    cannot be read: pyexpat then names the problem)."""
    reader = _XesStream(path.name, keys, tz)
    try:
        with gzip.open(path, "rb") if gz else open(path, "rb") as fh:
            for part in plain_xes_parts(fh, reader.slot_of, _SLOTS, reader.case_key):
                reader.add_part(part)
    except (NotPlainXes, OSError, EOFError, zlib.error):
        return None
    return reader


def _assemble(
    path: Path, gz: bool, names: dict[str, str], keys: dict[str, str], reader: _XesStream
) -> pd.DataFrame:
    """The event log frame from the events ``reader`` holds, or the problem with them."""
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
        near = near_miss([keys["case"]], sorted(trace_keys))
        hint = f"; did you mean {near!r}? (pass case={near!r})" if near else ""
        problems.append(f"no trace has the attribute {keys['case']!r} (case id){hint}")
    for role in absent:
        key = keys[role]
        near = near_miss([key], sorted(event_keys))
        hint = f"; did you mean {near!r}? (pass {role}={near!r})" if near else ""
        problems.append(f"no event has the attribute {key!r} ({_ROLE_NOUN[role]}){hint}")
    shown = ", ".join(repr(k) for k in sorted(event_keys)[:20])
    raise EventLogError(f"{path.name}: " + "; ".join(problems) + f". Event keys: {shown}.")
