"""The text layer shared by the table reader and the event-log reader.

One rule each, used by both readers:

Encoding (:func:`sniff_encoding`)
    A zip archive (an ``.xlsx`` saved as ``.csv``) is refused. A UTF-8 BOM means UTF-8, a UTF-16
    BOM (Excel's "Unicode text") UTF-16. Without a BOM, a NUL byte in the first
    :data:`SNIFF_BYTES` means UTF-16 when every other byte is ``0x00`` or ``0x04`` (Latin and
    Cyrillic text), else binary, refused. Text that decodes as UTF-8 is UTF-8, unless it is
    Russian text once read in a wrong encoding and saved again (``РљРѕРґ``, ``Êîä``): refused,
    naming both encodings. Other text is decoded with each of :data:`CYRILLIC_ENCODINGS`
    (Windows-1251, KOI8-R, CP866, MacCyrillic) and the decoding that reads most like Russian
    wins (:func:`russian_likeness`: letter frequencies, where capitals stand, characters
    Russian never uses; plus a prior for Windows-1251, by far the most common). A file that
    reads as plausible Russian in none of them (more than :data:`IMPLAUSIBLE_SHARE`
    implausible characters, or below :data:`LEAST_LIKENESS`), or in two different ways almost
    equally well (within :data:`AMBIGUOUS`), is refused, naming the encodings: never read as
    mojibake.

    Why not charset-normalizer: on the headers and first two and five lines of the sample
    and test tables (and a few made-up headers) in Windows-1251, KOI8-R, CP866, MacCyrillic,
    UTF-8 and UTF-16, 233 small files, it named a wrong code page for 27 (Shift-JIS, CP1125,
    HP Roman-8, Windows-1251 for MacCyrillic). This rule misread two, both a made-up line
    whose only Cyrillic is the capitals «МФЦ» (three letters place no encoding), and refused
    two as ambiguous (two-line MacCyrillic files whose one capital reads either way).
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

import numpy as np
import pandas as pd

from .errors import ReadFailure

__all__ = [
    "AMBIGUOUS",
    "CYRILLIC_ENCODINGS",
    "IMPLAUSIBLE_SHARE",
    "LEAST_LIKENESS",
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
    "russian_likeness",
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

#: the single-byte Russian encodings tried when a file is not UTF-8, each with its prior
#: log-odds against Windows-1251 (Russian Windows, by far the most common in exports)
CYRILLIC_ENCODINGS = {"cp1251": 0.0, "koi8_r": -1.5, "cp866": -1.5, "mac_cyrillic": -3.0}

AMBIGUOUS = 2.0
"""Least lead (log-likelihood with the prior) of the best decoding over a different one."""
_ENCODING_NAMES = {
    "cp1251": "Windows-1251",
    "koi8_r": "KOI8-R",
    "mac_cyrillic": "MacCyrillic",
    "cp866": "CP866 (DOS)",
    "utf-8": "UTF-8",
    "utf-16-le": "UTF-16",
    "utf-16-be": "UTF-16",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1",
}

IMPLAUSIBLE_SHARE = 0.1
"""Most implausible characters (a share of those above ASCII, plus one) in Russian text."""

LEAST_LIKENESS = -4.45
"""Least mean log-likelihood per character above ASCII of Russian text of 20 such characters
or more (Russian text scores above -4.1; Greek read as MacCyrillic -4.7)."""

#: how often each Russian lower-case letter occurs, per cent: U+0430 … U+044F, then U+0451
_LETTER_PCT = (
    8.01, 1.59, 4.54, 1.70, 2.98, 8.45, 0.94, 1.65, 7.35, 1.21, 3.49, 4.40, 3.21, 6.70, 10.97,
    2.81, 4.73, 5.47, 6.26, 2.62, 0.26, 0.97, 0.48, 1.44, 0.73, 0.36, 0.04, 1.90, 1.74, 0.32,
    0.64, 2.01, 0.04,
)  # fmt: skip
_LOG_LETTER = np.log(np.asarray(_LETTER_PCT) / 100)
#: punctuation above ASCII in Russian text: guillemets, dashes, numero sign, quotes, ellipsis,
#: degree, plus-minus, times, middle dot, no-break space
_PUNCT = np.array(
    [0xAB, 0xBB, 0x2014, 0x2013, 0x2116, 0x201E, 0x201C, 0x201D, 0x2018, 0x2019, 0x2026, 0xB0,
     0xB1, 0xD7, 0xB7, 0xA0]
)  # fmt: skip
_OPENING = np.array([0xAB, 0x201E, 0x201C, 0xA0])  # may stand right before a letter
#: Ukrainian and Belarusian letters: rare in a Russian export, not wrong
_NEIGHBOUR = np.array([0x404, 0x406, 0x407, 0x40E, 0x454, 0x456, 0x457, 0x45E, 0x490, 0x491])
_LOG = {
    "punct": np.log(1e-3),
    "neighbour": np.log(1e-3),
    "other": np.log(1e-5),
    "upper_start": np.log(0.15),
    "upper_caps": np.log(0.5),
    "upper_inside": np.log(1e-3),
    "glued": np.log(0.05),
    "mixed": np.log(1e-3),
}


def russian_likeness(text: str) -> tuple[float, int, int]:
    """How much ``text`` reads as Russian: ``(log-likelihood, n_high, n_implausible)``.

    Only the characters above ASCII are scored (``n_high`` of them). A Russian letter scores
    its frequency in Russian, an upper-case one also its place: first letter of a word, a word
    in capitals, or inside a lower-case word (implausible: ``бДНЙОЙ``, KOI8-R read as
    Windows-1251). Russian punctuation and Ukrainian or Belarusian letters score as rare; any
    other character (box drawing, Serbian letters, Latin-1 letters, symbols) as implausible,
    and so does a Russian letter glued to a Latin one (``Grцяe``: Latin-1 read as Cyrillic).

    Examples
    --------
    >>> _, n, bad = russian_likeness("Код проекта;Администрация города")
    >>> n, bad
    (29, 0)
    >>> russian_likeness("Код".encode("koi8_r").decode("cp1251"))[2]  # case inside a word
    1
    """
    cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    high = cp >= 0x80
    n = int(high.sum())
    if n == 0:
        return 0.0, 0, 0
    lower = ((cp >= 0x430) & (cp <= 0x44F)) | (cp == 0x451)
    upper = ((cp >= 0x410) & (cp <= 0x42F)) | (cp == 0x401)
    ru = lower | upper
    latin = ((cp >= 0x41) & (cp <= 0x5A)) | ((cp >= 0x61) & (cp <= 0x7A))
    punct = np.isin(cp, _PUNCT)
    neighbour = np.isin(cp, _NEIGHBOUR)
    other = high & ~(ru | punct | neighbour)

    def before(mask):
        return np.concatenate(([False], mask[:-1]))

    def after(mask):
        return np.concatenate((mask[1:], [False]))

    inside = upper & before(lower)
    caps = upper & before(upper)
    start = upper & ~inside & ~caps
    mixed = ru & (before(latin) | after(latin))
    glued = punct & after(ru) & ~np.isin(cp, _OPENING)
    letter = np.where(upper, cp + 0x20, cp)[ru]
    letter = np.where(letter == 0x451, 32, letter - 0x430)
    counts = {
        "punct": punct,
        "neighbour": neighbour,
        "other": other,
        "upper_start": start,
        "upper_caps": caps,
        "upper_inside": inside,
        "glued": glued,
        "mixed": mixed,
    }
    score = float(_LOG_LETTER[letter].sum())
    score += sum(float(_LOG[k]) * int(mask.sum()) for k, mask in counts.items())
    return score, n, int(other.sum() + inside.sum() + mixed.sum() + glued.sum())


def _plausible(text: str) -> tuple[float, bool]:
    """The likeness score of ``text`` and whether it is plausible Russian (or plain ASCII)."""
    score, n, bad = russian_likeness(text)
    if n >= 20 and score / n < LEAST_LIKENESS:
        return score, False
    return score, bad <= IMPLAUSIBLE_SHARE * n + 1


def _decoded(data: bytes, encoding: str, complete: bool) -> str:
    """``data`` decoded; when not ``complete`` a character cut at the end is left out."""
    if complete:
        return data.decode(encoding)
    return codecs.getincrementaldecoder(encoding)().decode(data, final=False)


def _utf16_without_bom(head: bytes) -> str | None:
    """``"utf-16-le"``/``"utf-16-be"`` when ``head`` looks like UTF-16 text without a BOM.

    In UTF-16 text of Latin and Cyrillic letters every other byte is ``0x00`` (Latin, digits,
    punctuation) or ``0x04`` (Cyrillic); the bytes between are rarely ``0x00``.
    """
    b = np.frombuffer(head[: len(head) // 2 * 2], dtype=np.uint8)
    if b.size < 4:
        return None
    even, odd = b[0::2], b[1::2]
    for enc, hi, lo in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if np.isin(hi, (0x00, 0x04)).mean() >= 0.95 and (lo == 0).mean() <= 0.05:
            return enc
    return None


def _double_encoded(text: str) -> tuple[str, str] | None:
    """``(written, read)`` when UTF-8 ``text`` is Russian text once read in the wrong encoding
    and saved again (``РљРѕРґ`` or ``Êîä`` for ``Код``), else ``None``."""
    for read, written in (
        ("cp1251", "utf-8"),
        ("cp1252", "cp1251"),
        ("latin-1", "cp1251"),
        ("cp1252", "utf-8"),
        ("latin-1", "utf-8"),
    ):
        try:
            repaired = text.encode(read).decode(written)
        except UnicodeError:
            continue
        _, n, bad = russian_likeness(repaired)
        if n and bad <= IMPLAUSIBLE_SHARE * n:
            return written, read
    return None


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
        ``encoding`` is ``"utf-8-sig"``, ``"utf-16"``, ``"utf-16-le"``, ``"utf-16-be"``,
        ``"utf-8"`` or one of :data:`CYRILLIC_ENCODINGS` (the rule is in the module
        documentation); ``text`` is ``data`` decoded, without its BOM.

    Raises
    ------
    ReadFailure
        For a zip archive, binary data, Russian text read in a wrong encoding and saved again,
        and text that reads as Russian in none of the encodings tried.

    Examples
    --------
    >>> sniff_encoding("Дело;Операция".encode("cp1251"), "log.csv")
    ('cp1251', 'Дело;Операция')
    >>> sniff_encoding("Дело;Операция".encode("koi8_r"), "log.csv")
    ('koi8_r', 'Дело;Операция')
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
        encoding = _utf16_without_bom(data[:SNIFF_BYTES])
        try:
            text = _decoded(data, encoding, complete) if encoding else None
        except UnicodeDecodeError:
            text = None
        if text is None or not _plausible(text)[1]:
            raise ReadFailure("read_binary", name=name)
        return encoding, text
    try:
        text = _decoded(data, "utf-8", complete)
    except UnicodeDecodeError:
        text = None
    if text is not None:
        if not _plausible(text)[1]:
            twice = _double_encoded(text)
            if twice is not None:
                written, read = (_ENCODING_NAMES[e] for e in twice)
                raise ReadFailure("read_double_encoded", name=name, written=written, read=read)
        return "utf-8", text
    found: list[tuple[float, str, str]] = []
    for encoding, prior in CYRILLIC_ENCODINGS.items():
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        score, plausible = _plausible(text)
        if plausible:
            found.append((score + prior, encoding, text))
    if not found:
        tried = ", ".join(["UTF-8"] + [_ENCODING_NAMES[e] for e in CYRILLIC_ENCODINGS])
        raise ReadFailure("read_unknown_encoding", name=name, tried=tried)
    found.sort(key=lambda f: -f[0])  # stable: the earlier encoding first on a tie
    score, encoding, text = found[0]
    rival = next((f for f in found[1:] if f[2] != text), None)
    if rival is not None and score - rival[0] < AMBIGUOUS:
        first, second = _ENCODING_NAMES[encoding], _ENCODING_NAMES[rival[1]]
        raise ReadFailure("read_ambiguous_encoding", name=name, first=first, second=second)
    return encoding, text


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
