"""Excel and CSV files for officials: result tables and the empty data-entry template.

:func:`write_tables` exports result tables as people read them: headers, sheet names, yes/no
and coded values in the chosen language (Russian by default), numbers stored as numbers with a
number format by the column's meaning, widths from the content, a frozen and filtered header,
relative hyperlinks to the report and workbook files beside the workbook, and text cells that
begin with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) neutralised with a leading
apostrophe, so no formula runs when an official opens the file (the OWASP "CSV injection" rule,
applied to both formats). The cells themselves are made in :mod:`effmuni.excel._cells`.

:func:`write_template` (:mod:`effmuni.excel.template`) writes the empty data-entry workbook
with Russian headers, notes and drop-down lists; :func:`effmuni.load_dataset` reads it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ..text import Refusal, check_lang, label
from ._cells import LINK_COLUMNS, _columns, _csv_value, _sheet_names, _write_sheet, neutralise_text
from .template import REFERENCE_SHEETS, entry_words, write_template

__all__ = [
    "LINK_COLUMNS",
    "REFERENCE_SHEETS",
    "entry_words",
    "neutralise_text",
    "write_tables",
    "write_template",
]


def write_tables(
    tables: pd.DataFrame | Mapping[str, pd.DataFrame],
    path: str | Path,
    *,
    lang: str = "ru",
    index: bool = False,
) -> Path:
    """Write result tables to ``.xlsx`` (one sheet per table) or ``.csv`` (one table).

    Every table is written as an official reads it, in ``lang``: headers from the catalogue;
    yes/no as «да»/«нет»; coded values (``kind``, ``stage``, ``source``, notes …) as words
    (:func:`effmuni.text.show_value`); gaps as empty cells; numbers stored as numbers at full
    precision (numeric text in the ``value`` column of an item/value summary too); text that a
    spreadsheet would run as a formula neutralised with a leading apostrophe.

    In ``.xlsx`` files, besides: a number format by column meaning (whole numbers ``#,##0``;
    percentages one decimal; ratios, logarithms and errors two; days and hours by size;
    proportions 0..1 as a real percentage; p-values three decimals or «<0,001»), dates as
    dates, column widths from the content (at most 60 characters, longer text wraps), a bold
    filled header that wraps and stays frozen (with the leading columns that name the row),
    a filter on the header, relative hyperlinks in :data:`LINK_COLUMNS` (file names beside the
    workbook, so the links work when the folder is mailed), and sheet names Excel accepts
    (31 characters, no ``[]:*?/\\``; a lower-case key with a catalogue entry ``sheet_<key>``
    in ``lang``).

    Parameters
    ----------
    tables : DataFrame or mapping of sheet name to DataFrame
        The tables, with canonical column names (translated on the way out).
    path : str or Path
        ``.xlsx`` or ``.csv``; parent folders are created.
    lang : {"ru", "en"}
        Language of the headers, sheet names and shown values.
    index : bool
        Write the index as the first column(s).

    Examples
    --------
    >>> import tempfile
    >>> df = pd.DataFrame({"project_id": ["=cmd"], "saving": [1.5], "included": [True]})
    >>> p = write_tables(df, tempfile.mkdtemp() + "/out.csv", lang="en")
    >>> p.read_text(encoding="utf-8-sig").splitlines()[1]
    "'=cmd,1.5,yes"
    """
    check_lang(lang)
    path = Path(path)
    frames = {label("table", lang): tables} if isinstance(tables, pd.DataFrame) else dict(tables)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        if len(frames) != 1:
            raise ValueError(
                f"{path.name}: a CSV file holds one table; use .xlsx for {len(frames)}"
            )
    elif suffix != ".xlsx":
        raise Refusal("err_output_suffix", name=path.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        (frame,) = frames.values()
        columns = _columns(frame, lang, index)
        out = pd.DataFrame(
            {j: pd.Series([_csv_value(v) for v in c.values], dtype=object)
             for j, c in enumerate(columns)},
            index=range(len(frame)),
        )  # fmt: skip
        out.columns = [c.header for c in columns]
        out.to_csv(path, index=False, encoding="utf-8-sig")
        return path
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, frame in zip(_sheet_names(frames, lang), frames.values(), strict=True):
        _write_sheet(wb.create_sheet(name), _columns(frame, lang, index), lang)
    if not wb.worksheets:
        wb.create_sheet(label("table", lang))
    wb.save(path)
    return path
