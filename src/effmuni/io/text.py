"""The text layer shared by the table reader and the event-log reader.

One rule each, used by both readers:

Encoding (:func:`sniff_encoding`)
    A zip archive (an ``.xlsx`` saved as ``.csv``) is refused. A UTF-8 BOM means UTF-8, a UTF-16
    BOM (Excel's "Unicode text") UTF-16. Without a BOM, a NUL byte in the first
    :data:`SNIFF_BYTES` means binary (or UTF-16 without a BOM) and is refused; text that
    decodes as UTF-8 is UTF-8, else Windows-1251 (Russian Windows); text that is neither is
    refused.
Separator (:func:`sniff_separator`)
    The one of ``;``, tab and ``,`` that occurs most often in the header line; on a tie the
    earlier in that order wins (:data:`SEPARATORS`), because a Russian export separated by
    ``;`` often has a comma inside a header (``Время, мин``) while a comma-separated file rarely
    has a ``;``. A line with none of them is one column (``,``).
Header names (:func:`normalize_label`, :func:`near_miss`)
    Names match ignoring case, a BOM, surrounding and repeated spaces (also no-break spaces),
    ``ё``/``е`` and a trailing colon. A missing name is suggested from the names present when
    their similarity (:class:`difflib.SequenceMatcher` ratio of the normalised names) is at
    least :data:`NEAR_MISS`; the most similar wins, the first on a tie. A present name longer
    than the wanted one is also compared by its first words (``Этап проекта`` with ``Этап``),
    that likeness weighted by :data:`FIRST_WORDS`.
Dates (:func:`ru_to_iso`)
    Russian ``dd.mm.yyyy [HH:MM[:SS[,f]]]`` is rewritten as ISO 8601 text.
Time zone (:data:`MOSCOW_TZ`)
    Times written without an offset are Moscow local time; the production calendar counts
    Moscow wall-clock days.
"""

from __future__ import annotations

import codecs
import difflib
import re
from collections.abc import Iterable

import pandas as pd

from .errors import ReadFailure

__all__ = [
    "MOSCOW_TZ",
    "FIRST_WORDS",
    "NEAR_MISS",
    "SEPARATORS",
    "SNIFF_BYTES",
    "first_line",
    "near_miss",
    "near_miss_pair",
    "normalize_label",
    "ru_to_iso",
    "sniff_encoding",
    "sniff_separator",
]

MOSCOW_TZ = "Europe/Moscow"
"""The time zone of times written without an offset, and of the production calendar."""

NEAR_MISS = 0.75
"""Least similarity (0-1) of a present name to a missing one for a "did you mean" hint."""

FIRST_WORDS = 0.9
"""Weight of the likeness of a present name's first words to a wanted name (see near_miss)."""

SEPARATORS = (";", "\t", ",")
"""The separators recognised, in tie order: the first wins when two occur equally often."""

SNIFF_BYTES = 1 << 16
"""How much of a file is looked at for NUL bytes (and, for event logs, read to sniff)."""


# --------------------------------------------------------------------------- encodings


def _decoded(data: bytes, encoding: str, complete: bool) -> str:
    """``data`` decoded; when not ``complete`` a character cut at the end is left out."""
    if complete:
        return data.decode(encoding)
    return codecs.getincrementaldecoder(encoding)().decode(data, final=False)


def sniff_encoding(data: bytes, name: str, *, complete: bool = True) -> tuple[str, str]:
    """The encoding of a text file and its decoded text.

    Parameters
    ----------
    data : bytes
        The whole file (``complete=True``), or its first bytes (``complete=False``: the text
        then ends before a character cut by the end of ``data``).
    name : str
        The file name, for messages.

    Returns
    -------
    (encoding, text)
        ``encoding`` is ``"utf-8-sig"``, ``"utf-16"``, ``"utf-8"`` or ``"cp1251"`` (the rule
        is in the module documentation); ``text`` is ``data`` decoded, without its BOM.

    Raises
    ------
    ReadFailure
        For a zip archive, binary data and text that is neither UTF-8 nor Windows-1251.

    Examples
    --------
    >>> sniff_encoding("Дело;Операция".encode("cp1251"), "log.csv")
    ('cp1251', 'Дело;Операция')
    >>> sniff_encoding(codecs.BOM_UTF8 + "Дело".encode(), "log.csv")
    ('utf-8-sig', 'Дело')
    """
    if data.startswith(b"PK\x03\x04"):
        raise ReadFailure("read_zip", name=name)
    if data.startswith(codecs.BOM_UTF8):
        try:
            return "utf-8-sig", _decoded(data[len(codecs.BOM_UTF8) :], "utf-8", complete)
        except UnicodeDecodeError as e:
            raise ReadFailure("read_bad_utf8", name=name, byte=e.start) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return "utf-16", _decoded(data, "utf-16", complete)
        except UnicodeDecodeError:
            raise ReadFailure("read_bad_utf16", name=name) from None
    if b"\x00" in data[:SNIFF_BYTES]:
        raise ReadFailure("read_binary", name=name)
    try:
        return "utf-8", _decoded(data, "utf-8", complete)
    except UnicodeDecodeError:
        pass
    try:
        return "cp1251", data.decode("cp1251")
    except UnicodeDecodeError:
        raise ReadFailure("read_not_text", name=name) from None


# --------------------------------------------------------------------------- separators


def first_line(text: str) -> str:
    """The first line of ``text`` (the header of a CSV file), without its line end."""
    return text.split("\n", 1)[0].rstrip("\r")


def sniff_separator(line: str) -> str:
    """The separator of a CSV file from its header line (rule in the module documentation).

    Examples
    --------
    >>> sniff_separator("Дело;Время, мин;Исполнитель, ФИО")
    ';'
    >>> sniff_separator("case;id,activity")  # a tie: ';' comes first
    ';'
    >>> sniff_separator("case_id,activity")
    ','
    """
    counts = {sep: line.count(sep) for sep in SEPARATORS}
    best = max(counts, key=lambda k: counts[k])  # the first of SEPARATORS on a tie
    return best if counts[best] else ","


# --------------------------------------------------------------------------- names


def normalize_label(text: object) -> str:
    """A header, sheet name or label as compared: case, spaces, ё, BOM, trailing colon.

    Examples
    --------
    >>> normalize_label("\\ufeff  Дата  поступления: ")
    'дата поступления'
    >>> normalize_label("Ещё") == normalize_label("еще")
    True
    """
    s = str(text).replace("\ufeff", "").replace("ё", "е").replace("Ё", "Е")
    s = s.replace("\xa0", " ").strip().casefold()
    s = re.sub(r"\s+", " ", s)
    return s.rstrip(":").strip()


def _likeness(name: str, target: str) -> float:
    """Similarity of two normalised names: the whole names, or ``name``'s first words."""
    ratio = difflib.SequenceMatcher(None, name, target).ratio()
    words, k = name.split(" "), target.count(" ") + 1
    if len(words) > k:  # «Этап проекта» for «Этап»: its first word(s) against the name
        head = " ".join(words[:k])
        ratio = max(ratio, FIRST_WORDS * difflib.SequenceMatcher(None, head, target).ratio())
    return ratio


def near_miss_pair(wanted: Iterable[str], present: Iterable[str]) -> tuple[str, str] | None:
    """The name in ``present`` most like one of ``wanted``, and that wanted name.

    The rule of :func:`near_miss`; returns ``(present name, wanted name)`` or ``None``, so a
    message can point from the name as written to the name expected.

    Examples
    --------
    >>> near_miss_pair(["stage", "Этап", "Стадия"], ["Номер", "Этап проэкта"])
    ('Этап проэкта', 'Этап')
    """
    targets = [(w, normalize_label(w)) for w in wanted]
    best, score = None, 0.0
    for name in present:
        n = normalize_label(name)
        for w, t in targets:
            ratio = _likeness(n, t)
            if ratio >= NEAR_MISS and ratio > score:
                best, score = (name, w), ratio
    return best


def near_miss(wanted: Iterable[str], present: Iterable[str]) -> str | None:
    """The name in ``present`` most like any of ``wanted``, if at least :data:`NEAR_MISS` alike.

    Names are compared normalised (:func:`normalize_label`), whole or by the first words of
    the present name (weighted by :data:`FIRST_WORDS`); on a tie the first in ``present``
    wins. ``None`` when nothing is similar enough.

    Examples
    --------
    >>> near_miss(["received", "Дата поступления"], ["Номер", "Дата поступленя"])
    'Дата поступленя'
    >>> near_miss(["time:timestamp"], ["when"]) is None
    True
    """
    pair = near_miss_pair(wanted, present)
    return None if pair is None else pair[0]


# --------------------------------------------------------------------------- dates

# [0-9] and [ \t] rather than \d and \s: pandas' Arrow-backed strings run these patterns
# natively; the Unicode classes fall back to a slow per-value Python loop (about 5x slower)
_RU = (
    r"^([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})"
    r"(?:[ \tT]+([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}(?:[.,][0-9]+)?))?)?$"
)


def ru_to_iso(text: pd.Series) -> pd.Series:
    """Rewrite Russian-style dates (``09.03.2023``, ``09.03.2023 14:30[:05[,5]]``) as ISO text.

    Values that are not Russian-style dates come back missing, so the caller can tell them apart.

    Examples
    --------
    >>> ru_to_iso(pd.Series(["9.03.2023", "09.03.2023 14:30:05,5", "2023-03-09"])).tolist()
    ['2023-03-09 00:00:00', '2023-03-09 14:30:05.5', nan]
    """
    ru = text.str.extract(_RU)
    return (
        ru[2]
        + "-"
        + ru[1].str.zfill(2)
        + "-"
        + ru[0].str.zfill(2)
        + " "
        + ru[3].fillna("00").str.zfill(2)
        + ":"
        + ru[4].fillna("00")
        + ":"
        + ru[5].fillna("00").str.replace(",", ".", regex=False)
    )
