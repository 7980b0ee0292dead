"""A vectorised reader for plain XES, the fast path of :mod:`effmuni.io.xes`.

Most XES files are written by a program in one plain form: a prolog (XML declaration,
comments, the ``<log>`` start tag, extensions, globals, classifiers), then traces and events
whose attributes are self-closing ``<string key="..." value="..."/>`` elements, then
``</log>``. In that form no Python code needs to run per element: :func:`plain_xes_parts`
checks the prolog with :mod:`pyexpat`, then reads the traces a part of about 1 MiB at a time
(cut after a ``</trace>``) and finds the tags, quotes and whitespace of the whole part with
numpy and Arrow kernels.

It accepts a part only when every byte of it is accounted for by that plain form; anything
else raises :class:`NotPlainXes` and the caller reads the file with pyexpat instead: a
DOCTYPE, an encoding other than UTF-8, and after the prolog comments, CDATA, processing
instructions, entity and character references (``&``), text between elements, nested
attributes (lists, containers, meta-attributes), other attributes or another order than
``key``, ``value``, values quoted with ``'``, tabs or line breaks inside values (XML reads them
as spaces), ``>`` inside values, namespace prefixes, ``<event>`` or ``<trace>`` tags with
attributes or written self-closing, anything after the last trace but ``</log>``, and text that
is not valid UTF-8 or not allowed in XML. Within that form the result is pyexpat's, value for
value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["NotPlainXes", "PlainPart", "plain_xes_parts"]

CHUNK_BYTES = 1 << 20  # traces are cut into parts of about this size

_WS = np.zeros(256, dtype=bool)
_WS[[9, 10, 13, 32]] = True
_NAME = np.zeros(256, dtype=bool)  # ASCII name characters (no ':': no namespace prefixes)
_NAME[[ord(c) for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"]] = True
_NAME_START = _NAME.copy()
_NAME_START[[ord(c) for c in "0123456789.-"]] = False
_OPEN_TRACE, _CLOSE_TRACE, _OPEN_EVENT, _CLOSE_EVENT = 1, 2, 3, 4
_TAIL = re.compile(rb"[ \t\r\n]*</log>[ \t\r\n]*")
_DECLARATION = re.compile(rb"<\?xml[^>]*\?>")
_ENCODING = re.compile(rb"""\bencoding\s*=\s*["']([^"']*)["']""")


class NotPlainXes(Exception):
    """The input has something the fast path does not handle; read it with pyexpat."""


class _Stop(Exception):
    pass


@dataclass
class PlainPart:
    """The events and traces of one part of the file.

    ``trace`` is the trace number of each event (counted from 0 over the file), ``values``
    the Arrow text of each slot (null where the event has no such attribute) and
    ``trace_names`` the case id of each trace that starts in the part (None if it has none).
    """

    trace: np.ndarray
    values: list[pa.Array]
    trace_names: list[str | None]


def _u64(text: bytes) -> int:
    return int.from_bytes(text.ljust(8, b"\0"), "little")


_MARKERS = {
    _OPEN_TRACE: (7, _u64(b"<trace>")),
    _CLOSE_TRACE: (8, _u64(b"</trace>")),
    _OPEN_EVENT: (7, _u64(b"<event>")),
    _CLOSE_EVENT: (8, _u64(b"</event>")),
}
_SEVEN = (1 << 56) - 1  # the first seven bytes of a little-endian word
_FIVE = (1 << 40) - 1
_FOUR = (1 << 32) - 1
_KEY_EQ = _u64(b"key=")
_VALUE_EQ = _u64(b'value="')
_EVENT, _TRACE = _u64(b"event"), _u64(b"trace")


def _gather8(arr: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The 8 bytes at each position ``at`` as little-endian words (the last 8 bytes of ``arr``
    for a position closer to its end, which no caller needs: a part ends with ``</trace>``)."""
    windows = np.lib.stride_tricks.sliding_window_view(arr, 8)
    return np.ascontiguousarray(windows[np.minimum(at, len(arr) - 8)]).view("<u8").ravel()


def _all_in(arr: np.ndarray, starts: np.ndarray, lengths: np.ndarray, table: np.ndarray) -> bool:
    """Whether every byte of the ranges ``[starts[i], starts[i] + lengths[i])`` is in ``table``
    (a lookup table of 256 booleans)."""
    short = lengths <= 8
    windows = np.lib.stride_tricks.sliding_window_view(arr, 8)
    at = np.minimum(starts[short], len(arr) - 8)  # a short range there ends before the end
    inside = np.arange(8) < (lengths[short] + (starts[short] - at))[:, None]
    inside &= np.arange(8) >= (starts[short] - at)[:, None]
    if not np.all(table[windows[at]] | ~inside):
        return False
    starts, lengths = starts[~short], lengths[~short]
    total = int(lengths.sum())
    if total == 0:
        return True
    before = np.cumsum(lengths) - lengths
    where = np.arange(total, dtype=np.int64) + np.repeat(starts - before, lengths)
    return bool(table[arr[where]].all())


def _check_prolog(prolog: bytes) -> None:
    """Accept a prolog that pyexpat reads to the root ``<log>`` with nothing else open, and
    the first ``<trace>`` a start tag there (not in a comment, say): pyexpat reads it followed
    by that tag."""
    import pyexpat

    body = prolog[3:] if prolog.startswith(b"\xef\xbb\xbf") else prolog
    declaration = _DECLARATION.match(body)
    if declaration is not None:
        encoding = _ENCODING.search(declaration.group())
        if encoding is not None and encoding.group(1).lower() != b"utf-8":
            raise NotPlainXes("an encoding other than UTF-8")
    depth = 0
    names: list[str] = []
    boundary = []

    def start(name: str, attrs: list[str]) -> None:
        nonlocal depth
        if depth == 1 and name == "trace" and not attrs:
            boundary.append(parser.CurrentByteIndex)
            raise _Stop  # the sentinel
        names.append(name)
        if name.rpartition(":")[2] in ("trace", "event") or (depth == 0 and name != "log"):
            raise NotPlainXes("a trace or event in the prolog, or a root other than <log>")
        depth += 1

    def end(name: str) -> None:
        nonlocal depth
        depth -= 1

    def doctype(*args) -> None:  # it may declare entities and default attributes
        raise NotPlainXes("a DOCTYPE")

    parser = pyexpat.ParserCreate()
    parser.ordered_attributes = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = doctype
    try:
        parser.Parse(prolog + b"<trace>", False)
    except _Stop:
        pass
    except (pyexpat.ExpatError, LookupError, ValueError):
        raise NotPlainXes("the prolog is not plain XML") from None
    if boundary != [len(prolog)] or depth != 1:
        raise NotPlainXes("the first trace is not a child of <log>")


def _check_tail(tail: bytes) -> None:
    """Accept what follows the last trace if it ends the log without a trace or event in it
    (log attributes, comments)."""
    import pyexpat

    def start(name: str, attrs: list[str]) -> None:
        if name.rpartition(":")[2] in ("trace", "event"):
            raise NotPlainXes("a trace or event after the last trace")

    parser = pyexpat.ParserCreate()
    parser.StartElementHandler = start
    try:
        parser.Parse(b"<log>" + tail, True)
    except pyexpat.ExpatError:
        raise NotPlainXes("the end of the file is not plain XML") from None


class _Parts:
    """Scanning state over the parts of one file."""

    def __init__(self, slot_of: dict[str, int], n_slots: int, case_key: str):
        keys = list(dict.fromkeys([*slot_of, case_key]))
        self.key_set = pa.array(keys, type=pa.large_string())
        self.slot = np.array([slot_of.get(k, -1) for k in keys] + [-1], dtype=np.int64)
        self.is_case = np.array([k == case_key for k in keys] + [False], dtype=bool)
        self.n_slots = n_slots
        self.n_traces = 0

    def part(self, data: bytes) -> PlainPart:
        """The events of ``data``: whole traces, possibly with whitespace before them."""
        arr = np.frombuffer(data, dtype=np.uint8)
        if b"&" in data:
            raise NotPlainXes("an entity or character reference")
        breaks = np.flatnonzero(arr < 32)  # must be tabs and line breaks (other controls
        if not _WS[arr[breaks]].all():  # are not XML characters)
            raise NotPlainXes("a control character")
        lead = np.flatnonzero(arr == 0xEF)  # U+FFFE and U+FFFF are not XML characters
        if len(lead) and np.any(_gather8(arr, lead) & 0xFEFFFF == 0xBEBFEF):
            raise NotPlainXes("a character XML does not allow")
        lt = np.flatnonzero(arr == 60)
        gt = np.flatnonzero(arr == 62)
        if len(lt) != len(gt) or not len(lt):
            raise NotPlainXes("a '<' or '>' outside a tag")
        if not (np.all(lt < gt) and np.all(gt[:-1] < lt[1:])):
            raise NotPlainXes("a '<' or '>' outside a tag")
        after = np.r_[0, gt[:-1] + 1]
        if not _all_in(arr, after, lt - after, _WS):
            raise NotPlainXes("text between elements")

        # markers: <trace>, </trace>, <event>, </event>
        length = gt - lt + 1
        kind = np.zeros(len(lt), dtype=np.int8)
        short = np.flatnonzero(length <= 8)
        word = _gather8(arr, lt[short])
        for code, (size, pattern) in _MARKERS.items():
            hit = (length[short] == size) & ((word & _SEVEN if size == 7 else word) == pattern)
            kind[short[hit]] = code

        # attributes: <name key="k" value="v"/>, four quotes and nothing else
        attr = np.flatnonzero(kind == 0)
        q = np.flatnonzero(arr == 34)
        if len(q) != 4 * len(attr):
            raise NotPlainXes("an element that is not a plain attribute")
        q1, q2, q3, q4 = q[0::4], q[1::4], q[2::4], q[3::4]
        start, end = lt[attr], gt[attr]
        if np.any(q1 < start) or np.any(q4 > end):  # the k-th attribute holds quotes 4k..4k+3
            raise NotPlainXes("an element that is not a plain attribute")
        sep1, sep2, before_slash = arr[q1 - 5], arr[q2 + 1], arr[q4 + 1]
        closing = end - q4  # '/>' or ' />'
        name_len = q1 - 5 - (start + 1)
        name = _gather8(arr, start + 1) & _FIVE
        ok = (
            (name_len >= 1)
            & _NAME_START[arr[start + 1]]
            & ((name_len != 5) | ((name != _EVENT) & (name != _TRACE)))  # pyexpat: an event
            & _WS[sep1]
            & ((_gather8(arr, q1 - 4) & _FOUR) == _KEY_EQ)
            & (q3 - q2 == 8)
            & _WS[sep2]
            & ((_gather8(arr, q2 + 2) & _SEVEN) == _VALUE_EQ)
            & (arr[end - 1] == 47)
            & ((closing == 2) | ((closing == 3) & _WS[before_slash]))
        )
        if not ok.all():
            raise NotPlainXes("an element that is not a plain attribute")
        if not _all_in(arr, start + 1, name_len, _NAME):
            raise NotPlainXes("an element name with a prefix or unusual characters")
        # tabs and line breaks may stand between elements and attributes, not inside values
        # (where XML reads them as spaces)
        tag = np.searchsorted(lt, breaks, side="right") - 1
        inside = (tag >= 0) & (breaks < gt[np.maximum(tag, 0)])
        if inside.any():
            attr_of = np.full(len(lt), -1, dtype=np.int64)
            attr_of[attr] = np.arange(len(attr))
            j, at = attr_of[tag[inside]], breaks[inside]
            if np.any(j < 0) or np.any(
                ((q1[j] < at) & (at < q2[j])) | ((q3[j] < at) & (at < q4[j]))
            ):
                raise NotPlainXes("a tab or line break inside an attribute value")

        # nesting: traces in the log, events in traces, attributes anywhere
        delta = np.zeros(len(kind), dtype=np.int64)
        delta[(kind == _OPEN_TRACE) | (kind == _OPEN_EVENT)] = 1
        delta[(kind == _CLOSE_TRACE) | (kind == _CLOSE_EVENT)] = -1
        depth = np.cumsum(delta) - delta  # before each tag
        need = np.array([-1, 0, 1, 1, 2])[kind]
        if np.any((kind != 0) & (depth != need)) or depth[-1] + delta[-1] != 0:
            raise NotPlainXes("traces and events not nested as in plain XES")

        # keys and values: one Arrow array over the data, [key, -, value, -] per attribute
        bounds = np.column_stack([q1 + 1, q2, q3 + 1, q4]).ravel().astype(np.int64)
        size = len(bounds) - 1
        if size < 0:
            bounds, size = np.zeros(1, dtype=np.int64), 0
        text = pa.Array.from_buffers(
            pa.large_string(), size, [None, pa.py_buffer(bounds), pa.py_buffer(data)]
        )
        try:
            text.validate(full=True)
        except pa.ArrowInvalid:
            raise NotPlainXes("text that is not valid UTF-8") from None
        keys = text.take(pa.array(np.arange(0, 4 * len(attr), 4)))
        which = pc.index_in(keys, self.key_set).fill_null(len(self.slot) - 1)
        which = which.to_numpy(zero_copy_only=False)
        slot, is_case = self.slot[which], self.is_case[which]
        level = depth[attr]
        event_no = np.cumsum(kind == _OPEN_EVENT)[attr] - 1
        trace_no = np.cumsum(kind == _OPEN_TRACE) - 1
        n_events = int(np.count_nonzero(kind == _OPEN_EVENT))
        n_traces = int(np.count_nonzero(kind == _OPEN_TRACE))
        values = [
            _last(text, event_no, (level == 2) & (slot == s), n_events)
            for s in range(self.n_slots)
        ]
        names = _last(text, trace_no[attr], (level == 1) & is_case, n_traces)
        trace = trace_no[kind == _OPEN_EVENT] + self.n_traces
        self.n_traces += n_traces
        return PlainPart(trace, values, names.to_pylist())


def _last(text: pa.Array, owner: np.ndarray, chosen: np.ndarray, n: int) -> pa.Array:
    """For each of ``n`` owners, the value of its last chosen attribute (null if none)."""
    pick = np.flatnonzero(chosen)
    who = owner[pick]
    last = np.r_[who[1:] != who[:-1], True] if len(who) else np.zeros(0, dtype=bool)
    index = np.full(n, -1, dtype=np.int64)
    index[who[last]] = 4 * pick[last] + 2
    return text.take(pa.array(index, mask=index < 0))


def plain_xes_parts(
    stream,
    slot_of: dict[str, int],
    n_slots: int,
    case_key: str,
    *,
    chunk_bytes: int | None = None,
) -> Iterator[PlainPart]:
    """The events of a plain XES byte stream, a part at a time (see the module docstring).

    ``slot_of`` maps an event attribute key to the slot (``0 .. n_slots - 1``) its value goes
    to; ``case_key`` is the trace attribute of the case id; parts are about ``chunk_bytes``
    long (default :data:`CHUNK_BYTES`). Raises :class:`NotPlainXes` as soon as the input
    leaves the plain form (nothing is then known about the rest).
    """
    size = CHUNK_BYTES if chunk_bytes is None else chunk_bytes
    buffer = b""
    while b"<trace>" not in buffer:
        chunk = stream.read(size)
        if not chunk:
            raise NotPlainXes("no <trace>")
        buffer += chunk
    cut = buffer.index(b"<trace>")
    _check_prolog(buffer[:cut])
    buffer = buffer[cut:]
    parts = _Parts(slot_of, n_slots, case_key)
    at_end = False
    while True:
        end = buffer.rfind(b"</trace>")
        if end >= 0 and (at_end or len(buffer) >= size):
            end += len(b"</trace>")
            yield parts.part(buffer[:end])
            buffer = buffer[end:]
        if at_end:
            break
        chunk = stream.read(size)
        if chunk:
            buffer = buffer + chunk if buffer else chunk
        else:
            at_end = True
    if _TAIL.fullmatch(buffer) is None:
        _check_tail(buffer)
