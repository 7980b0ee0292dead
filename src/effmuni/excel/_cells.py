"""Cells as officials read them: values, number formats, widths, links and sheet names.

The machinery of :func:`effmuni.excel.write_tables`: every column of a result table becomes a
list of cell values (numbers stay numbers, yes/no and codes become words in the language, gaps
become empty cells) with a number format chosen by the column's meaning; a sheet gets widths
from its content, a styled frozen header, a filter and relative hyperlinks.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from ..text import MISSING, catalogue, label, show_value

__all__ = ["LINK_COLUMNS", "neutralise_text"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_text(values: pd.Series) -> pd.Series:
    """Prefix text cells that a spreadsheet would run as a formula with an apostrophe.

    Non-text columns are returned unchanged (a negative number stays a number).

    Examples
    --------
    >>> neutralise_text(pd.Series(["=1+1", "ok", "-x"])).tolist()
    ["'=1+1", 'ok', "'-x"]
    """
    if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
        return values
    text = values.astype("string")
    risky = text.str.startswith(_FORMULA_START).fillna(False).to_numpy(dtype=bool)
    if not risky.any():
        return values
    out = values.astype(object).copy()
    out[risky] = ("'" + text[risky]).to_numpy(dtype=object)
    return out


def _safe(text: str) -> str:
    """One text cell with a formula-like start neutralised (see :func:`neutralise_text`)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


# ---------------------------------------------------------------- cells as officials read them

#: columns whose values are file names beside the workbook: written as relative hyperlinks
LINK_COLUMNS = ("report", "workbook")
#: free text and identifiers: never looked up as coded values
_FREE_TEXT = frozenset(
    {"name", "name_ru", "name_en", "process_name", "project_id", "municipality_id",
     "municipality", "municipality_code", "institution_id", "service_id", "case_id",
     "step_name", "actor_role", "item", "value", "level_name", "maturity_group",
     "index_level_name", *LINK_COLUMNS}
)  # fmt: skip
#: leading columns that name a row: frozen with the header when they come first
_ROW_NAMES = frozenset(
    {"name", "municipality", "municipality_id", "project_id", "service_id", "item", "level_name",
     "feature"}
)  # fmt: skip
#: text a computation may leave for "nothing here"
_GAP_TEXT = frozenset({"nan", "NaN", "None", "<NA>", "NaT", "null"})
#: words of a canonical column name that call for two decimals (ratios, logs, errors, scores)
_TWO_DECIMALS = frozenset(
    {"ratio", "log", "se", "sd", "tau2", "q", "silhouette", "stability", "position",
     "difference", "fte", "ari"}
)  # fmt: skip
#: words of a canonical column name that mean a duration or a volume (0 or 1 decimal)
_UNITS = frozenset({"days", "hours", "min", "minutes", "volume", "weeks"})
_NUMBER_TEXT = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
_EN_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_SPACES = re.compile(r"(?<=\d)[\s\u00a0\u202f\u2009]+(?=\d{3}\b)")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_SHEET_MAX = 31
_WIDTH_MIN, _WIDTH_MAX = 8, 60
_INT = "#,##0"
_DECIMALS = {0: "#,##0", 1: "#,##0.0", 2: "#,##0.00"}
_SHARE = "0.0%"


def _p_format(lang: str) -> str:
    # tiny p-values read "<0.001", the others with three decimals
    shown = "<0,001" if lang == "ru" else "<0.001"
    return f'[<0.001]"{shown}";0.000'


def _is_gap(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, np.datetime64 | np.timedelta64):
        return bool(np.isnat(value))
    if isinstance(value, float | np.floating):
        return not np.isfinite(value)
    return isinstance(value, str) and (value.strip() in _GAP_TEXT or not value.strip())


def _number_from_text(text: str, lang: str) -> int | float | None:
    """A number written as text in ``lang``, or None for any other text.

    ``"2"`` → 2; in Russian ``"0,45"`` → 0.45 and ``"12 300"`` → 12300; in English
    ``"0.45"`` → 0.45 and ``"12,300"`` → 12300 (the comma groups thousands there).
    """
    t = _SPACES.sub("", text.strip()).replace("\u2212", "-")
    if lang == "en" and _EN_THOUSANDS.fullmatch(t):
        t = t.replace(",", "")
    if not _NUMBER_TEXT.fullmatch(t) or (lang == "en" and "," in t):
        return None
    t = t.replace(",", ".")
    return float(t) if "." in t else int(t)


def _magnitude_decimals(values: np.ndarray) -> int:
    typical = float(np.median(np.abs(values))) if len(values) else 0.0
    return 0 if typical >= 100 else 1 if typical >= 1 else 2


def _float_format(name: str, header: str, values: np.ndarray, lang: str) -> str:
    """The number format of a float column, by the column's meaning, then by its size."""
    words = set(name.lower().split("_"))
    finite = values[np.isfinite(values)]
    if "pvalue" in words or "p" in words or header.rstrip().endswith(", p"):
        return _p_format(lang)
    if (
        "share" in words
        and "%" not in header
        and len(finite)
        and 0 <= finite.min() <= finite.max() <= 1
    ):
        return _SHARE  # a proportion: shown as a real percentage, stored as 0..1
    if "pct" in words or "i2" in words or "%" in header:
        return _DECIMALS[1]
    if words & _TWO_DECIMALS or name == "maturity_score":
        return _DECIMALS[2]
    if len(finite) and np.all(finite == np.round(finite)):
        return _INT  # counts and whole numbers stored as floats
    if words & _UNITS:
        return _DECIMALS[0 if _magnitude_decimals(finite) == 0 else 1]
    return _DECIMALS[_magnitude_decimals(finite)]


def _value_format(value) -> str:
    """The number format of one number in a mixed column (an item/value summary)."""
    if isinstance(value, int):
        return _INT
    return _DECIMALS[_magnitude_decimals(np.array([value]))]


def _date_format(values: pd.Series, lang: str) -> str:
    day = "DD.MM.YYYY" if lang == "ru" else "YYYY-MM-DD"
    times = values.dropna()
    has_time = len(times) and bool((times != times.dt.normalize()).any())
    return f"{day} HH:MM" if has_time else day


def _python_datetime(value):
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.to_pydatetime()


class _Column:
    """One column as written: header, cell values (None = empty) and number formats."""

    def __init__(self, name: str, header: str) -> None:
        self.name = name
        self.header = _safe(header)
        self.values: list = []
        self.formats: list[str | None] = []


def _text_cell(name: str, value, lang: str):
    """An object cell: a number stays a number, a code or yes/no is shown in ``lang``."""
    if _is_gap(value):
        return (MISSING if name == "value" else None), None
    if isinstance(value, bool | np.bool_):
        return label("yes" if value else "no", lang), None
    if isinstance(value, int | np.integer):
        return int(value), _INT
    if isinstance(value, float | np.floating):
        return float(value), _value_format(float(value))
    if isinstance(value, pd.Timestamp | np.datetime64 | dt.datetime | dt.date):
        return _python_datetime(value), "DD.MM.YYYY" if lang == "ru" else "YYYY-MM-DD"
    text = str(value)
    if name == "value":  # an item/value summary: numbers written as text become numbers
        number = _number_from_text(text, lang)
        if number is not None:
            return number, _value_format(number)
    if name not in _FREE_TEXT:
        text = str(show_value(name, text, lang=lang))
    return _safe(text), None


def _column(name: str, series: pd.Series, lang: str) -> _Column:
    col = _Column(name, label(name, lang) if name else "")
    s = series
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    n = len(s)
    if pd.api.types.is_bool_dtype(s):
        col.values = [None if _is_gap(v) else label("yes" if v else "no", lang) for v in s]
        col.formats = [None] * n
    elif pd.api.types.is_datetime64_any_dtype(s):
        fmt = _date_format(s.dt.tz_localize(None) if s.dt.tz is not None else s, lang)
        col.values = [None if _is_gap(v) else _python_datetime(v) for v in s]
        col.formats = [fmt] * n
    elif pd.api.types.is_timedelta64_dtype(s):
        days = (s.dt.total_seconds() / 86400).to_numpy(dtype=float)
        fmt = _float_format(name, col.header, days, lang)
        col.values = [float(v) if np.isfinite(v) else None for v in days]
        col.formats = [fmt] * n
    elif pd.api.types.is_integer_dtype(s):
        col.values = [None if _is_gap(v) else int(v) for v in s]
        col.formats = [_INT] * n
    elif pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_complex_dtype(s):
        x = s.to_numpy(dtype=float, na_value=np.nan)
        fmt = _float_format(name, col.header, x, lang)
        col.values = [float(v) if np.isfinite(v) else None for v in x]
        col.formats = [fmt] * n
    else:
        for value in s:
            v, fmt = _text_cell(name, value, lang)
            col.values.append(v)
            col.formats.append(fmt)
    return col


def _columns(frame: pd.DataFrame, lang: str, index: bool) -> list[_Column]:
    """The columns of ``frame`` as written (the index first when ``index``)."""
    out = frame
    if index:
        names = [n if n is not None else "" for n in out.index.names]
        out = out.copy()
        out.index = out.index.set_names(names)
        out = out.reset_index()
    if isinstance(out.columns, pd.MultiIndex):
        out = out.copy()
        out.columns = [" / ".join(str(p) for p in c if str(p)) for c in out.columns]
    return [_column(str(name), out.iloc[:, i], lang) for i, name in enumerate(out.columns)]


# ---------------------------------------------------------------- sheets


def _sheet_names(keys, lang: str) -> list[str]:
    """Sheet names Excel accepts: catalogue words for known keys, ≤ 31 characters, unique.

    A lower-case key with a catalogue entry ``sheet_<key>`` (``"levels"``, ``"index
    comparison"``) is written in ``lang``, any other key as it is; ``[ ] : * ? / \\`` become
    spaces, and a repeated name gets a number.
    """
    names: list[str] = []
    seen: set[str] = set()
    for i, key in enumerate(keys, start=1):
        text = str(key)
        slug = "sheet_" + re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
        if re.fullmatch(r"[a-z0-9_ ]+", text) and slug in catalogue():
            text = label(slug, lang)
        text = re.sub(r"\s+", " ", _SHEET_FORBIDDEN.sub(" ", text)).strip().strip("'").strip()
        text = text[:_SHEET_MAX].rstrip() or str(i)
        if text.casefold() == "history":  # a name Excel keeps for itself
            text = f"{text} ({i})"
        base, n = text, 2
        while text.casefold() in seen:
            suffix = f" ({n})"
            text = base[: _SHEET_MAX - len(suffix)].rstrip() + suffix
            n += 1
        seen.add(text.casefold())
        names.append(text)
    return names


def _shown_length(value, fmt: str | None) -> int:
    """About how many characters a cell shows (for the column width)."""
    if value is None:
        return 0
    if isinstance(value, str):
        return max(len(line) for line in value.split("\n"))
    if isinstance(value, dt.datetime | dt.date):
        return 16 if fmt and "HH" in fmt else 10
    if fmt and fmt.startswith("[<"):
        return 6
    if fmt == _SHARE:
        return len(f"{100 * value:,.1f}") + 1
    decimals = len(fmt.split(".")[1]) if fmt and "." in fmt else 0
    return len(f"{value:,.{decimals}f}")


def _wrapped_lines(text: str, width: float) -> int:
    """Lines a text takes when wrapped at ``width`` characters (greedy, by words)."""
    lines = 0
    for paragraph in text.split("\n"):
        used, lines = 0, lines + 1
        for word in paragraph.split():
            if used and used + 1 + len(word) > width:
                lines, used = lines + 1, len(word)
            else:
                used += len(word) + (1 if used else 0)
    return max(lines, 1)


def _link_target(text: str) -> str | None:
    """A relative file name beside the workbook, or None (no scheme, no absolute path)."""
    if not text or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", text) or text[0] in "/\\'":
        return None
    if ".." in re.split(r"[/\\]", text):
        return None
    return text


def _csv_value(value):
    if isinstance(value, dt.datetime) and value == dt.datetime.combine(value.date(), dt.time()):
        return value.date()  # a date without a time reads 2025-12-31, not 2025-12-31 00:00:00
    return value


def _frozen_columns(columns: list[_Column], lang: str) -> int:
    """How many leading columns stay in view: up to the last one naming the row (of three).

    A column names the row by its canonical name or, in a table translated beforehand, by
    its header.
    """
    headers = {label(k, lang) for k in _ROW_NAMES}
    return max(
        (i + 1 for i, c in enumerate(columns[:3]) if c.name in _ROW_NAMES or c.header in headers),
        default=0,
    )


def _write_sheet(ws, columns: list[_Column], lang: str) -> None:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    header_align = Alignment(wrap_text=True, vertical="top")
    header_border = Border(bottom=Side(style="thin", color="8EA9DB"))
    link_font = Font(color="0563C1", underline="single")
    wrap = Alignment(wrap_text=True, vertical="top")
    n_rows = max((len(c.values) for c in columns), default=0)
    header_lines = 1
    row_lines = [1] * (n_rows + 2)
    for j, col in enumerate(columns, start=1):
        letter = get_column_letter(j)
        col.header = ILLEGAL_CHARACTERS_RE.sub("", col.header)
        cell = ws.cell(row=1, column=j, value=col.header or None)
        cell.font, cell.fill, cell.alignment, cell.border = (
            header_font, header_fill, header_align, header_border
        )  # fmt: skip
        content = max(
            (_shown_length(v, f) for v, f in zip(col.values, col.formats, strict=True)),
            default=0,
        )
        words = max((len(w) for w in col.header.split()), default=0)
        header_need = max(words, min(len(col.header), 14))
        width = min(_WIDTH_MAX, max(_WIDTH_MIN, content + 2, header_need + 2))
        ws.column_dimensions[letter].width = width
        header_lines = max(header_lines, _wrapped_lines(col.header, width - 1))
        link = col.name in LINK_COLUMNS
        for i, (value, fmt) in enumerate(zip(col.values, col.formats, strict=True), start=2):
            if value is None:
                continue
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters Excel refuses
            cell = ws.cell(row=i, column=j, value=value)
            if fmt:
                cell.number_format = fmt
            if isinstance(value, str):
                target = _link_target(value) if link else None
                if target is not None:
                    cell.hyperlink = target
                    cell.font = link_font
                elif len(value) > width - 2 or "\n" in value:
                    cell.alignment = wrap
                    row_lines[i] = max(row_lines[i], _wrapped_lines(value, width - 2))
    ws.row_dimensions[1].height = 15 * header_lines + 3
    for i in range(2, n_rows + 2):
        if row_lines[i] > 1:
            ws.row_dimensions[i].height = 15 * min(row_lines[i], 10)
    frozen = _frozen_columns(columns, lang)
    ws.freeze_panes = f"{get_column_letter(frozen + 1)}2"
    if columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(n_rows + 1, 1)}"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
