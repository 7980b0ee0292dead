"""The empty data-entry workbook (``effmuni template``) and the Russian words it offers.

The template has one sheet per table, named in Russian, with the Russian headers of the data
dictionary, a note on every header (meaning, format, unit), drop-down lists of the Russian words
the loader accepts for coded and yes/no columns, and a «Справочник» sheet listing the allowed
values, units and meanings. :func:`effmuni.load_dataset` reads a filled template back.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..schema import TABLE_ORDER, TABLES, Column, Table
from ..text import catalogue, label

__all__ = ["REFERENCE_SHEETS", "entry_words", "write_template"]


#: sheets a workbook may carry besides the tables; the loader ignores them silently
REFERENCE_SHEETS = (
    label("sheet_reference", "ru"),
    "README",
    label("sheet_instructions", "ru"),
    label("sheet_reference", "en"),
    label("sheet_instructions", "en"),
)

_LANG = "ru"  # the template is Russian: its headers are the Russian headers the loader accepts


def _word(key: str, default: str) -> str:
    return label(key, _LANG) if key in catalogue() else default


def _russian_header(col: Column) -> str:
    return next((a for a in col.aliases if not a.isascii()), col.name)


def _sheet_name(table: Table) -> str:
    return table.aliases[0] if table.aliases else table.name


def entry_words(col: Column) -> list[str]:
    """The Russian words a template offers for a coded column (the loader accepts each).

    Categories are offered by their catalogue word (``<column>_<value>``, else the code);
    yes/no columns as «да»/«нет». Empty for other columns.

    Examples
    --------
    >>> from effmuni.schema import TABLES
    >>> entry_words(TABLES["projects"].column("stage"))[-2:]
    ['завершён', 'отменён']
    >>> entry_words(TABLES["steps"].column("handoff"))
    ['да', 'нет']
    """
    if col.kind == "bool":
        return [label("yes", _LANG), label("no", _LANG)]
    return [_word(f"{col.name}_{value}", value) for value in col.categories]


def _unit(col: Column) -> str:
    if not col.unit:
        return ""
    return _word("dd_unit_" + re.sub(r"[^a-z0-9]+", "_", col.unit).strip("_"), col.unit)


def _description(table: Table, col: Column) -> str:
    return _word(f"dd_{table.name}_{col.name}", col.description)


def _required(col: Column) -> str:
    if not col.required:
        return label("tpl_required_no", _LANG)
    return label("tpl_required_column" if col.nullable else "tpl_required_yes", _LANG)


def _note(table: Table, col: Column) -> str:
    """The note (comment) on a header: meaning, format, unit, allowed values, obligation."""
    meaning = _description(table, col)
    lines = [meaning[:1].upper() + meaning[1:]]
    lines.append(_word(f"tpl_kind_{col.kind}", ""))
    if col.unit:
        lines.append(label("tpl_note_unit", _LANG, unit=_unit(col)))
    words = entry_words(col)
    if words:
        lines.append(label("tpl_note_allowed", _LANG, values=", ".join(words)))
    status = "tpl_note_optional" if not col.required else "tpl_note_required"
    lines.append(label("tpl_note_nullable" if col.required and col.nullable else status, _LANG))
    return "\n".join(line for line in lines if line)


def write_template(path: str | Path) -> Path:
    """Write the empty data-entry workbook with Russian headers.

    One sheet per table with the Russian headers of the data dictionary, a note on every header
    (meaning, format, unit, allowed values), drop-down lists of the Russian words the loader
    accepts for coded and yes/no columns, and a «Справочник» (reference) sheet.

    Parameters
    ----------
    path : str or Path
        Where to write the ``.xlsx`` file (parent folders are created).

    Returns
    -------
    Path
        The path written.

    Examples
    --------
    >>> import tempfile, effmuni as em
    >>> from effmuni.excel import write_template
    >>> p = write_template(tempfile.mkdtemp() + "/template.xlsx")
    >>> em.load_dataset(p).projects.shape[0]
    0
    """
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    lists: dict[tuple[str, str], str] = {}
    sheet = label("sheet_reference", _LANG)

    # the reference sheet first: every column with its allowed values, unit and meaning
    ref = wb.create_sheet(sheet)
    ref.append(
        [label(k, _LANG) for k in ("tpl_table", "tpl_column", "tpl_allowed", "tpl_unit",
                                   "tpl_required", "tpl_description")]
    )  # fmt: skip
    for cell in ref[1]:
        cell.font = bold
    list_column = 8  # the drop-down lists start in column H
    for tname in TABLE_ORDER:
        table = TABLES[tname]
        for col in table.columns:
            words = entry_words(col)
            ref.append(
                [
                    _sheet_name(table),
                    _russian_header(col),
                    ", ".join(words),
                    _unit(col),
                    _required(col),
                    _description(table, col),
                ]
            )
            if words:
                letter = get_column_letter(list_column)
                for i, word in enumerate(words, start=1):
                    ref[f"{letter}{i}"] = word
                lists[(tname, col.name)] = f"'{sheet}'!${letter}$1:${letter}${len(words)}"
                list_column += 1
    for letter, width in zip("ABCDEF", (18, 34, 50, 14, 14, 70), strict=True):
        ref.column_dimensions[letter].width = width

    for tname in TABLE_ORDER:
        table = TABLES[tname]
        ws = wb.create_sheet(_sheet_name(table))
        ws.append([_russian_header(c) for c in table.columns])
        for i, col in enumerate(table.columns, start=1):
            cell = ws.cell(row=1, column=i)
            cell.font = bold
            cell.fill = fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.comment = Comment(_note(table, col), "effmuni", width=320, height=160)
            letter = get_column_letter(i)
            ws.column_dimensions[letter].width = max(14, min(40, len(cell.value) + 4))
            if (tname, col.name) in lists:
                dv = DataValidation(
                    type="list", formula1=lists[(tname, col.name)], allow_blank=True
                )
                dv.add(f"{letter}2:{letter}5000")
                ws.add_data_validation(dv)
        ws.freeze_panes = "A2"
    wb.move_sheet(sheet, offset=len(TABLE_ORDER))
    wb.active = 0
    wb.save(path)
    return path
