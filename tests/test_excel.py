"""Result tables exported for officials: headers, numbers as numbers, no formulas."""

import re
from dataclasses import dataclass

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

import effmuni as em
from effmuni.excel import entry_words, write_tables, write_template
from effmuni.io import convert_column
from effmuni.schema import TABLE_ORDER, TABLES


@pytest.fixture
def table():
    return pd.DataFrame(
        {
            "project_id": ["p1", "p2", "p3"],
            "process_name": ['=HYPERLINK("http://x")', "+7 (8352) 00-00-00", "@SUM(A1)"],
            "municipality_id": ["-cmd", "cheboksary", "\tx"],
            "value": [1.5, -2.0, 3.0],
        }
    )


def test_xlsx_headers_numbers_and_neutralised_text(table, tmp_path):
    path = write_tables({"Проекты": table}, tmp_path / "out.xlsx")
    ws = load_workbook(path)["Проекты"]
    assert [c.value for c in ws[1]] == ["Проект", "Процесс", "Муниципалитет", "Значение"]
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert [r[1] for r in values] == [
        '\'=HYPERLINK("http://x")',
        "'+7 (8352) 00-00-00",
        "'@SUM(A1)",
    ]
    assert [r[2] for r in values] == ["'-cmd", "cheboksary", "'\tx"]
    # numbers stay numbers, a negative number included
    assert [ws.cell(row=i, column=4).data_type for i in (2, 3, 4)] == ["n", "n", "n"]
    assert [r[3] for r in values] == [1.5, -2.0, 3.0]
    # no cell is stored as a formula
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_english_headers_and_csv(table, tmp_path):
    path = write_tables(table, tmp_path / "out.csv", lang="en")
    back = pd.read_csv(path, encoding="utf-8-sig")
    assert list(back.columns) == ["Project", "Process", "Municipality", "Value"]
    assert back["Process"].str.startswith("'").all()
    assert back["Value"].tolist() == [1.5, -2.0, 3.0]


def test_bad_output_names(table, tmp_path):
    with pytest.raises(ValueError, match="must end in .xlsx or .csv"):
        write_tables(table, tmp_path / "out.txt")
    with pytest.raises(ValueError, match="one table"):
        write_tables({"a": table, "b": table}, tmp_path / "out.csv")
    with pytest.raises(ValueError, match="lang must be"):
        write_tables(table, tmp_path / "out.csv", lang="de")


# --------------------------------------------------------------------------- the template

CYRILLIC = re.compile("[\u0400-\u04ff]")


@dataclass(frozen=True)
class pick:  # lower case: reads as a verb in the rows below
    """A cell filled from its drop-down: the word offered for ``code``."""

    code: object


#: one row per table, filled as an official would: coded cells picked from the drop-down
ROWS = {
    "municipalities": {"municipality_id": "cheboksary", "name_ru": "город Чебоксары",
                       "name_en": "Cheboksary", "kind": pick("city_okrug"), "population": "508 100"},
    "institutions": {"institution_id": "cheb-adm", "municipality_id": "cheboksary",
                     "name": "Администрация", "sector": pick("administration"),
                     "model_level": pick("none")},
    "projects": {"project_id": "p1", "institution_id": "cheb-adm", "process_name": "Выдача справки",
                 "start_date": "01.02.2023", "planned_end": "01.08.2023",
                 "actual_end": "20.07.2023", "stage": pick("closed"), "annual_volume": "1200",
                 "target_reduction_pct": "50", "baseline_method": pick("regulation_limit")},
    "passport": {"project_id": "p1", "indicator": pick("lead_time"), "phase": pick("baseline"),
                 "value": "10", "unit": pick("day"), "stat": pick("mean")},
    "steps": {"project_id": "p1", "map_state": pick("current"), "step_no": "1",
              "step_name": "Приём заявления", "actor_role": "специалист", "process_min": "20",
              "wait_min": "30", "value_added": pick(True), "handoff": pick(False),
              "approval": pick(False)},
    "cases": {"project_id": "p1", "case_id": "A-1", "phase": pick("before"),
              "received": "09.01.2023 09:00", "completed": "19.01.2023 09:00"},
}  # fmt: skip


def _sheet(wb, table: str):
    return wb[TABLES[table].aliases[0]]


def _dropdown(wb, table: str, column: str) -> list[str] | None:
    """The values the drop-down of ``column`` offers, read back from the workbook."""
    ws = _sheet(wb, table)
    letter = get_column_letter(TABLES[table].column_names.index(column) + 1)
    for dv in ws.data_validations.dataValidation:
        if f"{letter}2:{letter}5000" in str(dv.sqref):
            sheet, cells = dv.formula1.split("!")
            ref = wb[sheet.strip("'")]
            return [c.value for row in ref[cells.replace("$", "")] for c in row]
    return None


def _word(col, code) -> str:
    words = entry_words(col)
    if col.kind == "bool":
        return words[0 if code else 1]
    return words[list(col.categories).index(code)]


def test_template_dropdowns_offer_the_russian_words_the_loader_accepts(tmp_path):
    wb = load_workbook(write_template(tmp_path / "t.xlsx"))
    coded = 0
    for table in TABLE_ORDER:
        for col in TABLES[table].columns:
            offered = _dropdown(wb, table, col.name)
            if col.kind not in ("category", "bool"):
                assert offered is None, (table, col.name)
                continue
            coded += 1
            assert offered == entry_words(col), (table, col.name)
            assert all(CYRILLIC.search(w) or w == "%" for w in offered), offered
            assert not set(offered) & set(col.categories), offered  # no English codes
            # each word converts to its code, as the loader reads it
            expected = list(col.categories) or [True, False]
            values, bad = convert_column(pd.Series(offered), col)
            assert not bad.any() and values.tolist() == expected, (table, col.name)
    assert coded >= 14
    assert _dropdown(wb, "projects", "stage")[-2:] == ["завершён", "отменён"]
    assert "регламентный срок" in _dropdown(wb, "projects", "baseline_method")
    assert "городской округ" in _dropdown(wb, "municipalities", "kind")


def test_template_reference_sheet_and_notes_are_russian(tmp_path):
    wb = load_workbook(write_template(tmp_path / "t.xlsx"))
    ref = wb["Справочник"]
    assert [c.value for c in ref[1]][:6] == [
        "Таблица", "Столбец", "Допустимые значения", "Единица", "Обязательный", "Описание"
    ]  # fmt: skip
    rows = {(r[0], r[1]): r for r in ref.iter_rows(min_row=2, max_col=6, values_only=True)}
    mid = rows[("Муниципалитеты", "Муниципалитет")]
    assert mid[5] == "короткий код латиницей, например cheboksary"
    assert rows[("Проекты", "Годовой объём")][3] == "случаев в год"
    for table, header, *_rest, description in rows.values():
        assert CYRILLIC.search(description), (table, header, description)
    # every header carries a note with its meaning, and its unit where it has one
    note = _sheet(wb, "steps")["F1"].comment.text
    assert _sheet(wb, "steps")["F1"].value == "Время выполнения, мин"
    assert note.startswith("Время выполнения шага (работа)") and "Единица: мин." in note
    stage = _sheet(wb, "projects")["G1"].comment.text
    assert "Выберите из списка: подготовка, диагностика" in stage
    for table in TABLE_ORDER:
        for cell in _sheet(wb, table)[1]:
            assert cell.comment is not None and CYRILLIC.search(cell.comment.text), cell.value


def test_a_filled_template_loads(tmp_path):
    path = write_template(tmp_path / "t.xlsx")
    wb = load_workbook(path)
    for table, row in ROWS.items():
        spec, ws = TABLES[table], _sheet(wb, table)
        for name, value in row.items():
            col = spec.column(name)
            if isinstance(value, pick):
                value = _word(col, value.code)
                assert value in _dropdown(wb, table, name)
            ws.cell(row=2, column=spec.column_names.index(name) + 1, value=value)
    wb.save(path)
    ds = em.load_dataset(path)
    assert ds.report.ok and ds.report.warnings.empty
    assert ds.municipalities["kind"].tolist() == ["city_okrug"]
    assert ds.institutions[["sector", "model_level"]].iloc[0].tolist() == [
        "administration",
        "none",
    ]
    assert ds.projects[["stage", "baseline_method"]].iloc[0].tolist() == [
        "closed", "regulation_limit"
    ]  # fmt: skip
    p = ds.passport.iloc[0]
    assert (p.indicator, p.phase, p.unit_raw, p.stat) == ("lead_time", "baseline", "day", "mean")
    s = ds.steps.iloc[0]
    assert (s.map_state, s.value_added, s.handoff) == ("current", True, False)
    assert ds.cases["phase"].tolist() == ["before"]
