"""Excel workbooks for officials: the empty data-entry template.

The template has one sheet per table, named in Russian, with the Russian headers of the data
dictionary, drop-down lists for categorical columns and a «Справочник» sheet listing the
allowed values and units. :func:`effmuni.load_dataset` reads a filled template back.
"""

from __future__ import annotations

from pathlib import Path

from .schema import TABLE_ORDER, TABLES, Column, Table

__all__ = ["write_template"]

#: sheets a workbook may carry besides the tables; the loader ignores them silently
REFERENCE_SHEETS = ("Справочник", "README", "Инструкция")


def _russian_header(col: Column) -> str:
    return next((a for a in col.aliases if not a.isascii()), col.name)


def _sheet_name(table: Table) -> str:
    return table.aliases[0] if table.aliases else table.name


def write_template(path: str | Path) -> Path:
    """Write the empty data-entry workbook with Russian headers.

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
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    ref = None
    ref_rows: dict[tuple[str, str], str] = {}

    # the reference sheet first: allowed values per categorical column
    ref = wb.create_sheet(REFERENCE_SHEETS[0])
    ref.append(["Таблица", "Столбец", "Допустимые значения", "Единица", "Описание"])
    for cell in ref[1]:
        cell.font = bold
    col_letter = 7  # lists for drop-downs start in column G
    for tname in TABLE_ORDER:
        table = TABLES[tname]
        for col in table.columns:
            ref.append(
                [
                    _sheet_name(table),
                    _russian_header(col),
                    ", ".join(col.categories),
                    col.unit,
                    col.description,
                ]
            )
            if col.categories:
                letter = get_column_letter(col_letter)
                for i, value in enumerate(col.categories, start=1):
                    ref[f"{letter}{i}"] = value
                ref_rows[(tname, col.name)] = (
                    f"'{REFERENCE_SHEETS[0]}'!${letter}$1:${letter}${len(col.categories)}"
                )
                col_letter += 1
    ref.column_dimensions["A"].width = 20
    ref.column_dimensions["B"].width = 36
    ref.column_dimensions["C"].width = 60

    for tname in TABLE_ORDER:
        table = TABLES[tname]
        ws = wb.create_sheet(_sheet_name(table))
        ws.append([_russian_header(c) for c in table.columns])
        for i, col in enumerate(table.columns, start=1):
            cell = ws.cell(row=1, column=i)
            cell.font = bold
            cell.fill = fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            letter = get_column_letter(i)
            ws.column_dimensions[letter].width = max(14, min(40, len(cell.value) + 4))
            if (tname, col.name) in ref_rows:
                dv = DataValidation(
                    type="list", formula1=ref_rows[(tname, col.name)], allow_blank=True
                )
                dv.add(f"{letter}2:{letter}5000")
                ws.add_data_validation(dv)
        ws.freeze_panes = "A2"
    wb.move_sheet(REFERENCE_SHEETS[0], offset=len(TABLE_ORDER))
    wb.active = 0
    wb.save(path)
    return path
