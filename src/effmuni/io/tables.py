"""Reading the tables of a dataset from what analysts export.

A dataset is a folder of CSV or Parquet files named after the tables (``projects.csv``,
``cases.parquet``; the Russian table names of :mod:`effmuni.schema` are accepted too), or one
``.xlsx`` workbook with one sheet per table.

CSV files may be UTF-8 (with or without a BOM), UTF-16 (Excel's "Unicode text"), Windows-1251,
KOI8-R, MacCyrillic or CP866 (told apart by how Russian the text reads; a file that reads as
Russian in none of them is refused, never read as mojibake); separated by ``;``, tabs or
``,``; with decimal commas; with dates written ``2023-03-09`` or ``09.03.2023``. Headers may
be the canonical English names or the Russian headers listed in the data dictionary.
Encodings, separators, header matching and Russian dates follow the rules of
:mod:`effmuni.io.text`, shared with the event-log reader.

Cells that hold no value are empty whatever they say: the words of the dictionary's
``[missing_values]`` (``nan``, ``NULL``, ``#Н/Д``, ``н/д``, ``-`` …), except where a column
accepts the word as a value (``-`` is "no" in a yes/no column). Excel's error values
(``#ДЕЛ/0!``, ``#VALUE!`` …) and numbers that are not finite (``inf``, ``1e400``) or at least
:data:`LARGEST` are bad cells, each with its own reason (:func:`convert_column` with
``reasons=True``): never numbers. So are dates outside :data:`DATE_RANGE` (``0001-01-01``,
``9999-12-31``): no date of a municipality's projects, units or cases lies there, and a year
typed wrong must not become a working-day duration of centuries.

A Parquet file keeps text as bytes its reader does not check. A column holding bytes that are
not UTF-8 (a damaged file) makes the whole file unreadable, naming the column
(:func:`effmuni.io.parquet.damaged_text_column`), as any other damage to a Parquet file does.

This module only reads and converts cell values; deciding which rows to accept is
:mod:`effmuni.validate`'s job.
"""

from __future__ import annotations

import csv
import functools
import io as _stdio
import re
import tomllib
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ..schema import TABLES, Column, Table
from .errors import Problem, ReadFailure
from .parquet import damaged_text_column, damaged_text_in_file
from .text import (
    MOSCOW_TZ,
    first_line,
    near_miss,
    normalize_label,
    ru_to_iso,
    sniff_encoding,
    sniff_separator,
)

__all__ = [
    "DATE_RANGE",
    "LARGEST",
    "TABLE_SUFFIXES",
    "WORKBOOK_SUFFIXES",
    "RawTable",
    "convert_column",
    "empty_table",
    "map_headers",
    "read_table_file",
    "read_workbook",
    "table_for_name",
]

TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".parquet", ".pq")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")

LARGEST = 1e15
"""Numbers this large (in absolute value) are refused: no count, duration or population of a
municipality comes near, and sums of them must stay exact and finite."""

DATE_RANGE = (pd.Timestamp("1900-01-01"), pd.Timestamp("2100-12-31"))
"""The first and last day a date (or date and time) may fall on; cells outside are refused
with their own reason (``date_out_of_range``): most likely a mistyped year."""


@dataclass
class RawTable:
    """One table as read from its source, every cell still as written."""

    table: str
    file: str  # file name (and sheet) as shown to the user; never an absolute path
    frame: pd.DataFrame  # original headers, values as str (CSV/XLSX) or typed (Parquet)
    rows: np.ndarray  # spreadsheet-style row numbers (header = 1)


# --------------------------------------------------------------------------- names


def _header_lookup(table: Table) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for col in table.columns:
        for name in (col.name, *col.aliases):
            lookup.setdefault(normalize_label(name), col.name)
    return lookup


def table_for_name(stem: str) -> str | None:
    """Return the table whose English or Russian name matches a file stem or sheet name."""
    n = normalize_label(stem)
    for name, table in TABLES.items():
        if n == name or n in {normalize_label(a) for a in table.aliases}:
            return name
    return None


def map_headers(frame: pd.DataFrame, table: Table):
    """Rename recognised headers to canonical names.

    Returns ``(frame, unknown, missing, suggestions, headers)`` where ``unknown`` lists headers
    that match nothing, ``missing`` the required columns not found, ``suggestions`` maps a
    missing column to the near-miss header that was probably meant, and ``headers`` maps each
    recognised canonical column to its header as the file spells it.
    """
    lookup = _header_lookup(table)
    rename: dict[str, str] = {}
    unknown: list[str] = []
    taken: set[str] = set()
    for h in frame.columns:
        target = lookup.get(normalize_label(h))
        if target is None or target in taken:
            unknown.append(str(h))
        else:
            rename[h] = target
            taken.add(target)
    missing = [c for c in table.required_columns if c not in taken]
    suggestions: dict[str, str] = {}
    for col in missing:
        near = near_miss((col, *table.column(col).aliases), unknown)
        if near is not None:
            suggestions[col] = near
    out = frame.rename(columns=rename)
    headers = {target: str(h) for h, target in rename.items()}
    return out[[c for c in out.columns if c in taken]], unknown, missing, suggestions, headers


# --------------------------------------------------------------------------- reading files


def _read_csv_text(
    text: str, name: str
) -> tuple[pd.DataFrame, np.ndarray, list[tuple[int, Problem]]]:
    """Parse CSV text into a frame of strings.

    Returns the frame, the row numbers (header = 1) and a list of ``(row, Problem)`` for lines
    that could not be split into the header's columns (those lines are still counted as read).
    """
    sep = sniff_separator(first_line(text))
    kwargs = dict(
        sep=sep, dtype=str, keep_default_na=False, na_filter=False, skip_blank_lines=False
    )
    try:
        frame = pd.read_csv(_stdio.StringIO(text), **kwargs)
        bad: list[tuple[int, Problem]] = []
        rows = np.arange(2, len(frame) + 2)
    except pd.errors.EmptyDataError:
        raise ReadFailure("read_empty", name=name) from None
    except (pd.errors.ParserError, csv.Error):
        frame, rows, bad = _read_csv_ragged(text, sep)
    if frame.columns.size == 0:
        raise ReadFailure("read_no_header", name=name)
    blank = (frame == "").all(axis=1).to_numpy()
    return frame.loc[~blank].reset_index(drop=True), rows[~blank], bad


def _read_csv_ragged(text: str, sep: str):
    """Fallback reader for files with lines of the wrong width: keeps them as rejected rows."""
    reader = csv.reader(_stdio.StringIO(text, newline=""), delimiter=sep)
    header = next(reader)
    good, rows, bad = [], [], []
    for record in reader:
        line = reader.line_num
        if len(record) == len(header) or not any(record):
            good.append(record if record else [""] * len(header))
            rows.append(line)
        else:
            bad.append((line, Problem("read_ragged_line", {"n": len(record), "m": len(header)})))
    frame = (
        pd.DataFrame(good, columns=header, dtype=str)
        if good
        else pd.DataFrame(columns=header, dtype=str)
    )
    return frame, np.asarray(rows, dtype=np.int64), bad


def read_table_file(path: Path, table: str) -> tuple[RawTable, list[tuple[int, Problem]]]:
    """Read one CSV or Parquet file of ``table``."""
    name = path.name
    if path.suffix.lower() in (".parquet", ".pq"):
        try:
            frame = pd.read_parquet(path)
        except Exception as e:  # pyarrow raises several types for corrupt files
            frame, error = None, type(e).__name__
        # text that is not UTF-8 may fail pandas' reading (a categorical, text its metadata
        # says was a string) or not (a plain string column): named either way
        column = (
            damaged_text_in_file(path, table)
            if frame is None
            else damaged_text_column(frame, table)
        )
        if column is not None:
            raise ReadFailure("read_parquet_not_utf8", name=name, column=column)
        if frame is None:
            raise ReadFailure("read_bad_parquet", name=name, error=error)
        return RawTable(
            table, name, frame.reset_index(drop=True), np.arange(2, len(frame) + 2)
        ), []
    raw = path.read_bytes()
    if not raw.strip():
        raise ReadFailure("read_empty", name=name)
    _, text = sniff_encoding(raw, name)
    frame, rows, bad = _read_csv_text(text, name)
    return RawTable(table, name, frame, rows), bad


def read_workbook(path: Path) -> tuple[dict[str, RawTable], list[str]]:
    """Read every sheet of a workbook named after a table; returns tables and ignored sheets."""
    name = path.name
    if not zipfile.is_zipfile(path):
        raise ReadFailure("read_not_xlsx", name=name)
    try:
        sheets = pd.read_excel(
            path,
            sheet_name=None,
            dtype=object,
            keep_default_na=False,
            na_filter=False,
            engine="openpyxl",
        )
    except Exception as e:  # openpyxl/zipfile raise various types on corrupt files
        raise ReadFailure("read_bad_xlsx", name=name, error=type(e).__name__) from None
    tables: dict[str, RawTable] = {}
    ignored: list[str] = []
    for sheet, frame in sheets.items():
        table = table_for_name(sheet)
        if table is None:
            ignored.append(sheet)
            continue
        frame = _cell_text(frame)
        frame.columns = [str(c) for c in frame.columns]
        rows = np.arange(2, len(frame) + 2)
        blank = (
            (frame == "").all(axis=1).to_numpy()
            if len(frame.columns)
            else np.zeros(len(frame), bool)
        )
        tables[table] = RawTable(
            table, f"{name}[{sheet}]", frame.loc[~blank].reset_index(drop=True), rows[~blank]
        )
    return tables, ignored


#: what an error cell of a workbook (a formula that failed) reads as: pandas gives such a cell
#: as NaN, without its code (``#DIV/0!``, ``#N/A``), and it must not read as an empty cell
EXCEL_ERROR_CELL = "#error"


def _cell_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The cells of a sheet as text: empty cells ``""``, error cells :data:`EXCEL_ERROR_CELL`."""

    def text(v) -> str:
        if v is None or v is pd.NaT:
            return ""
        if isinstance(v, float) and np.isnan(v):  # openpyxl's error cells, through pandas
            return EXCEL_ERROR_CELL
        return str(v)

    return frame.map(text) if len(frame.columns) else frame.astype(str)


# --------------------------------------------------------------------------- cell conversion
# Each converter takes a Series (strings or already typed) and returns (values, bad) where
# ``bad`` is a boolean mask of non-empty cells that could not be converted.


def _is_empty(s: pd.Series) -> np.ndarray:
    if pd.api.types.is_string_dtype(s) or s.dtype == object:
        return (s.isna() | (s.astype(str).str.strip() == "")).to_numpy()
    return s.isna().to_numpy()


@functools.cache
def _no_value_words() -> tuple[frozenset[str], frozenset[str]]:
    """The dictionary's ``[missing_values]``: words meaning "no value", and Excel's errors."""
    text = resources.files("effmuni.schema").joinpath("dictionary.toml").read_text("utf-8")
    spec = tomllib.loads(text)["missing_values"]
    return (
        frozenset(w.strip().casefold() for w in spec["words"]),
        frozenset(w.strip().casefold() for w in spec["errors"]),
    )


def _accepted_words(col: Column) -> set[str]:
    """The words ``col`` accepts as values (categories and their aliases), casefolded."""
    words = {str(c).casefold() for c in col.categories}
    words |= {str(c).replace("_", " ").casefold() for c in col.categories}
    return words | {str(k).strip().casefold() for k in col.category_aliases}


def _no_value_cells(s: pd.Series, col: Column) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the cells that say "no value" and of those holding an Excel error."""
    none = np.zeros(len(s), dtype=bool)
    if not (pd.api.types.is_string_dtype(s) or s.dtype == object):
        return none, none.copy()
    words, errors = _no_value_words()
    t = s.astype("string").str.strip().str.casefold()
    short = (t.str.len() <= max(map(len, words | errors))).fillna(False)
    if not short.any():
        return none, none.copy()
    missing = t.isin(words - _accepted_words(col)) & short
    error = t.isin(errors | {EXCEL_ERROR_CELL}) & short
    return missing.fillna(False).to_numpy(dtype=bool), error.fillna(False).to_numpy(dtype=bool)


def _to_number(s: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Numbers, the bad-cell mask, and the cells bad for being infinite or too large."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        values = s.astype("float64")
        bad = np.zeros(len(s), dtype=bool)
    else:
        t = s.astype(str).str.replace(r"[ \t\r\n\u00a0\u202f]", "", regex=True)
        both = t.str.contains(",", regex=False) & t.str.contains(".", regex=False)
        t = t.str.replace(",", ".", regex=False).where(~both, "x")
        values = pd.to_numeric(t.where(t != "", None), errors="coerce").astype("float64")
        bad = values.isna().to_numpy() & ~_is_empty(s)
    huge = (values.abs() >= LARGEST).fillna(False).to_numpy(dtype=bool)
    return values.where(~huge), bad | huge, huge


def _to_int(s: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    values, bad, huge = _to_number(s)
    frac = values.notna() & (values != np.round(values))
    bad = bad | frac.to_numpy()
    return values.where(~frac).round().astype("Int64"), bad, huge


# [0-9] and [ \t] rather than \d and \s: pandas' Arrow-backed strings run these patterns
# natively; the Unicode classes fall back to a slow per-value Python loop (about 5x slower)
_ISO = re.compile(
    r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?$"
)
_TZ = re.compile(r"(?:Z|[+-][0-9]{2}:?[0-9]{2})$")


def _to_datetime(
    s: pd.Series, date_only: bool = False
) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Dates (and times), the bad-cell mask, and the cells bad for being outside
    :data:`DATE_RANGE`."""
    empty = _is_empty(s)
    if pd.api.types.is_datetime64_any_dtype(s):
        values = s
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_convert(MOSCOW_TZ).dt.tz_localize(None)
    else:
        t = s.astype(str).str.strip()
        iso_text = ru_to_iso(t)
        is_ru = iso_text.notna()
        t = t.where(~is_ru, iso_text)
        has_tz = t.str.contains(_TZ) & ~is_ru
        plain = t.str.fullmatch(_ISO).fillna(False)
        values = pd.to_datetime(t.where(plain & ~has_tz), format="ISO8601", errors="coerce")
        if has_tz.any():
            zoned = pd.to_datetime(t.where(has_tz), format="ISO8601", errors="coerce", utc=True)
            zoned = zoned.dt.tz_convert(MOSCOW_TZ).dt.tz_localize(None)
            values = values.where(~has_tz, zoned.astype(values.dtype))
    if date_only:
        values = values.dt.normalize()
    values = values.astype("datetime64[us]")  # one resolution whatever the source
    first, last = DATE_RANGE
    day = values.dt.normalize()
    far = ((day < first) | (day > last)).fillna(False).to_numpy(dtype=bool)
    values = values.where(~far)
    bad = values.isna().to_numpy() & ~empty
    return values, bad, far


def _to_bool(s: pd.Series, col: Column) -> tuple[pd.Series, np.ndarray]:
    if pd.api.types.is_bool_dtype(s):
        return s.astype("boolean"), np.zeros(len(s), dtype=bool)
    t = s.astype(str).map(normalize_label)
    mapped = t.map(col.category_aliases)
    values = mapped.map({"true": True, "false": False}).astype("boolean")
    bad = values.isna().to_numpy() & ~_is_empty(s)
    return values, bad


def _to_category(s: pd.Series, col: Column) -> tuple[pd.Series, np.ndarray]:
    lookup = {c: c for c in col.categories}
    lookup |= {normalize_label(c.replace("_", " ")): c for c in col.categories}
    lookup |= {normalize_label(k): v for k, v in col.category_aliases.items()}
    t = s.astype(str).map(normalize_label)
    values = t.map(lookup)
    if "" in col.category_aliases:  # an empty cell has a documented default
        values = values.where(~_is_empty(s), col.category_aliases[""])
    bad = values.isna().to_numpy() & ~_is_empty(s)
    return values.astype("string"), bad


_QUARTER = (
    re.compile(r"^(?P<y>[0-9]{4})[ \t]*[-_ ]?[ \t]*[QqКк](?P<q>[1-4])$"),
    re.compile(
        r"^(?P<q>[1-4])[ \t]*(?:кв\.?|квартал|q)[ \t]*(?P<y>[0-9]{4})(?:[ \t]*г\.?)?$", re.I
    ),
)


def _to_quarter(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    t = s.astype(str).str.strip()
    out = pd.Series(pd.NA, index=s.index, dtype="string")
    for pattern in _QUARTER:
        m = t.str.extract(pattern)
        ok = m["y"].notna() & out.isna()
        out = out.where(~ok, m["y"] + "Q" + m["q"])
    bad = out.isna().to_numpy() & ~_is_empty(s)
    return out, bad


_MONTH = (
    re.compile(r"^(?P<y>[0-9]{4})[-./](?P<m>[0-9]{1,2})(?:[-./]0?1(?:[ T]00:00(?::00)?)?)?$"),
    re.compile(r"^(?:0?1[./])?(?P<m>[0-9]{1,2})[./](?P<y>[0-9]{4})$"),
)


def _to_month(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Calendar months as ``2023-01``; ``01.2023``, ``1.2023``, ``01/2023``, ``2023.01`` and a
    first-of-month date (``2023-01-01``, ``01.01.2023``, as Excel stores a typed month) too."""
    if isinstance(s.dtype, pd.PeriodDtype) or pd.api.types.is_datetime64_any_dtype(s):
        periods = s.dt.to_period("M") if not isinstance(s.dtype, pd.PeriodDtype) else s
        out = periods.dt.strftime("%Y-%m").astype("string")
        return out, np.zeros(len(s), dtype=bool)
    t = s.astype(str).str.strip()
    out = pd.Series(pd.NA, index=s.index, dtype="string")
    for pattern in _MONTH:
        m = t.str.extract(pattern)
        month = pd.to_numeric(m["m"], errors="coerce")
        ok = m["y"].notna() & month.between(1, 12) & out.isna()
        out = out.where(~ok, m["y"] + "-" + month.fillna(0).astype(int).astype(str).str.zfill(2))
    bad = out.isna().to_numpy() & ~_is_empty(s)
    return out, bad


def _to_text(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    t = s.astype("string").str.strip()
    return t.where(t != ""), np.zeros(len(s), dtype=bool)


def convert_column(s: pd.Series, col: Column, *, reasons: bool = False):
    """Convert one column to its dictionary kind.

    Returns the values and a mask of the bad cells (non-empty cells that could not be
    converted). With ``reasons=True`` a third item gives, for each cell, the code of a
    particular reason (``"excel_error"``, ``"not_finite"``) or ``None`` (for a bad cell: not of
    the column's kind; ``"date_out_of_range"``, outside :data:`DATE_RANGE`). Cells that say
    "no value" (see the module documentation) are empty.

    Examples
    --------
    >>> from effmuni.schema import TABLES
    >>> col = TABLES["projects"].column("annual_volume")
    >>> values, bad, why = convert_column(
    ...     pd.Series(["1 200", "inf", "NULL", "#DIV/0!", "x"]), col, reasons=True
    ... )
    >>> values.tolist()[:1], bad.tolist(), why.tolist()
    ([1200.0], [False, True, False, True, True], [None, 'not_finite', None, 'excel_error', None])
    """
    missing, error = _no_value_cells(s, col)
    if missing.any() or error.any():
        s = s.where(~(missing | error), "")
    values, bad, beyond = _convert(s, col)  # beyond: too large, or a date out of range
    why = np.full(len(s), None, dtype=object)
    why[beyond] = "date_out_of_range" if col.kind in ("date", "datetime") else "not_finite"
    why[error] = "excel_error"
    bad = bad | error
    return (values, bad, why) if reasons else (values, bad)


def _convert(s: pd.Series, col: Column) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    kind = col.kind
    if kind == "float":
        return _to_number(s)
    if kind == "int":
        return _to_int(s)
    if kind == "date":
        return _to_datetime(s, date_only=True)
    if kind == "datetime":
        return _to_datetime(s)
    none = np.zeros(len(s), dtype=bool)
    if kind in ("id", "text"):
        values, bad = _to_text(s)
    elif kind == "bool":
        values, bad = _to_bool(s, col)
    elif kind == "category":
        values, bad = _to_category(s, col)
    elif kind == "quarter":
        values, bad = _to_quarter(s)
    elif kind == "month":
        values, bad = _to_month(s)
    else:  # pragma: no cover - schema error
        raise ValueError(f"unknown column kind {kind!r}")
    return values, bad, none


def empty_table(table: str) -> pd.DataFrame:
    """An empty, correctly typed frame for ``table`` (used for absent optional tables)."""
    dtypes = {
        "id": "string",
        "text": "string",
        "category": "string",
        "quarter": "string",
        "month": "string",
        "float": "float64",
        "int": "Int64",
        "date": "datetime64[us]",
        "datetime": "datetime64[us]",
        "bool": "boolean",
    }
    return pd.DataFrame({c.name: pd.Series(dtype=dtypes[c.kind]) for c in TABLES[table].columns})
