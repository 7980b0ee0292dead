"""Result tables exported for officials: headers, numbers as numbers, no formulas; the template."""

import re
import shutil
from dataclasses import dataclass

import pandas as pd
import pytest
from conftest import DATA, run_cli
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


# --------------------------------------------------------------------------- result tables as officials read them

BAD_VALUES = {"True", "False", "nan", "NaN", "None", "<NA>", "NaT", "null"}
FORBIDDEN_IN_SHEET_NAMES = set("[]:*?/\\")


def check_workbook(path, lang: str = "ru") -> None:
    """What every workbook of effmuni must be, read back through openpyxl.

    Sheet names Excel accepts; a bold, wrapped header frozen on row 1; no True/False/NaN/None
    cell; numbers stored as numbers with a number format (never General); no formula, no text
    a spreadsheet would run; columns at least as wide as their text (up to the cap of 60).
    """
    wb = load_workbook(path)
    assert wb.sheetnames
    for ws in wb:
        title = ws.title
        assert 0 < len(title) <= 31 and not FORBIDDEN_IN_SHEET_NAMES & set(title), title
        if lang == "ru":
            assert CYRILLIC.search(title), title
        assert ws.freeze_panes and ws.freeze_panes.endswith("2"), (title, ws.freeze_panes)
        for cell in ws[1]:
            assert cell.font.bold and cell.alignment.wrap_text, (title, cell.coordinate)
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                v, where = cell.value, (title, cell.coordinate, cell.value)
                assert cell.data_type != "f", where
                assert not isinstance(v, bool), where
                if isinstance(v, str):
                    assert v.strip() not in BAD_VALUES and v != "", where
                    assert not v.startswith(("=", "+", "-", "@", "\t", "\r")), where
                    width = ws.column_dimensions[cell.column_letter].width
                    assert width >= min(len(v), 58) or cell.alignment.wrap_text, where
                elif isinstance(v, int | float):
                    assert cell.data_type == "n" and cell.number_format != "General", where


def _formats(ws) -> dict[str, str]:
    """Header → number format of its first filled cell below."""
    out = {}
    for j, head in enumerate(ws[1], start=1):
        for i in range(2, ws.max_row + 1):
            if ws.cell(row=i, column=j).value is not None:
                out[head.value] = ws.cell(row=i, column=j).number_format
                break
    return out


def _column_values(ws, header: str) -> list:
    j = [c.value for c in ws[1]].index(header) + 1
    return [ws.cell(row=i, column=j).value for i in range(2, ws.max_row + 1)]


def test_numbers_keep_their_value_and_get_a_format_by_meaning(tmp_path):
    frame = pd.DataFrame(
        {
            "n_projects": [3, 12, 1200],
            "citizen_days": [9549.331869960626, 120.5, float("nan")],
            "mean_before": [4.263, 2.49, 13.2],
            "saving_pct": [41.55079132365219, 12.0, 3.5],
            "ratio": [0.5495397380930559, 0.9, 1.2],
            "active_quarter_share": [0.68, 0.25, 1.0],
            "q_pvalue": [8.4e-168, 0.0693, 0.5],
            "target_reduction_pct": [40.0, 45.0, 30.0],
            "annual_volume": [1200.0, 800.0, 5400.0],
            "population": pd.array([508100, None, 40987], dtype="Int64"),
        }
    )
    path = write_tables({"Числа": frame}, tmp_path / "n.xlsx")
    check_workbook(path)
    ws = load_workbook(path).active
    fmt = _formats(ws)
    assert fmt["Проектов"] == "#,##0"
    assert fmt["Время граждан, дн. в год"] == "#,##0"
    assert fmt[em.text.label("saving_pct")] == "#,##0.0"
    assert fmt["Отношение «после»/«до»"] == "#,##0.00"
    assert fmt["Доля кварталов с новым проектом"] == "0.0%"  # a real percentage of 0..1
    assert fmt["p-значение Q"].startswith("[<0.001]") and fmt["p-значение Q"].endswith("0.000")
    assert fmt["Целевое сокращение, %"] == "#,##0.0"  # a percentage, even when whole
    assert fmt["Годовой объём, случаев"] == "#,##0"  # whole numbers stay whole
    assert fmt["Население"] == "#,##0"
    # the stored values are the computed ones, at full precision, as numbers
    assert _column_values(ws, "Время граждан, дн. в год") == [9549.331869960626, 120.5, None]
    assert _column_values(ws, "Население") == [508100, None, 40987]
    assert _column_values(ws, "Доля кварталов с новым проектом") == [0.68, 0.25, 1.0]


def test_yes_no_codes_and_gaps_are_words_or_empty(tmp_path):
    frame = pd.DataFrame(
        {
            "municipality_id": ["cheboksary", "kanashsky", "kanash"],
            "kind": ["city_okrug", "municipal_okrug", None],
            "stage": ["closed", "implementation", "nan"],
            "included": [True, False, True],
            "reached": pd.array([True, None, False], dtype="boolean"),
            "note": ["fewer than 5 projects", "", None],
            "saving": [1.5, float("nan"), float("inf")],
        }
    )
    for lang, words in (("ru", ("да", "нет")), ("en", ("yes", "no"))):
        path = write_tables(frame, tmp_path / f"c_{lang}.xlsx", lang=lang)
        check_workbook(path, lang="en")  # the default sheet name is the word "table"
        ws = load_workbook(path).active
        assert ws.title == em.text.label("table", lang)
        rows = list(ws.iter_rows(min_row=2, values_only=True))
        assert [r[3] for r in rows] == [words[0], words[1], words[0]]
        assert [r[4] for r in rows] == [words[0], None, words[1]]
        assert [r[6] for r in rows] == [1.5, None, None]
        assert rows[2][1] is None and rows[2][2] is None and rows[1][5] is None
        if lang == "ru":
            assert [r[1] for r in rows[:2]] == ["городской округ", "муниципальный округ"]
            assert [r[2] for r in rows[:2]] == ["завершён", "внедрение"]
            assert rows[0][0] == "cheboksary"  # an identifier is never looked up
            assert rows[0][5] == em.text.label("note_fewer_than_5_projects", "ru")
        else:
            assert [r[1] for r in rows[:2]] == ["city okrug", "municipal okrug"]


def test_an_item_value_summary_stores_numbers_as_numbers(tmp_path):
    summary = pd.DataFrame(
        {
            "item": ["Метод", "Число групп k", "Силуэт", "Население", "Устойчивость", "Спирмен"],
            "value": ["Ward", "2", "0,45", "12\u00a0300", "0,83 (10 × 100)", "nan"],
        }
    )
    path = write_tables({"summary": summary}, tmp_path / "s.xlsx")
    check_workbook(path)
    ws = load_workbook(path)["Сводка"]  # the catalogue's sheet name of "summary"
    assert ws.freeze_panes == "B2"
    cells = {ws.cell(row=i, column=1).value: ws.cell(row=i, column=2) for i in range(2, 8)}
    assert cells["Число групп k"].value == 2 and cells["Число групп k"].data_type == "n"
    assert isinstance(cells["Число групп k"].value, int)
    assert cells["Число групп k"].number_format == "#,##0"
    assert cells["Силуэт"].value == 0.45 and cells["Силуэт"].number_format == "#,##0.00"
    assert cells["Население"].value == 12300
    assert cells["Метод"].value == "Ward" and cells["Устойчивость"].value == "0,83 (10 × 100)"
    assert cells["Спирмен"].value == "—"  # an item without a value says so
    # in English the comma groups thousands, and a decimal comma is not a number
    en = pd.DataFrame({"item": ["a", "b", "c"], "value": ["12,300", "0.45", "1,5"]})
    ws = load_workbook(write_tables({"s": en}, tmp_path / "en.xlsx", lang="en")).active
    assert [c.value for c in ws["B"][1:]] == [12300, 0.45, "1,5"]


def test_sheet_names_are_translated_short_unique_and_allowed(tmp_path):
    t = pd.DataFrame({"x": [1]})
    frames = {
        "levels": t,
        "index comparison": t,
        "crosstab": t,
        "Итоги: [2023/2024] * по округам?": t,
        "Очень длинное название листа, которое Excel не примет целиком": t,
        "Очень длинное название листа, которое Excel не примет целиком!": t,
        "history": t,
    }
    path = write_tables(frames, tmp_path / "names.xlsx")
    names = load_workbook(path).sheetnames
    assert names[:3] == ["Уровни", "Сравнение с индексом", "Группы и индекс"]
    assert names[3] == "Итоги 2023 2024 по округам"
    assert len(set(n.casefold() for n in names)) == len(names)
    assert all(len(n) <= 31 and not FORBIDDEN_IN_SHEET_NAMES & set(n) for n in names)
    assert names[5].endswith("(2)") and names[6].casefold() != "history"
    en = load_workbook(write_tables(frames, tmp_path / "en.xlsx", lang="en")).sheetnames
    assert en[:3] == [em.text.label(f"sheet_{k}", "en") for k in ("levels", "index_comparison",
                                                                     "crosstab")]  # fmt: skip


def test_widths_header_frozen_panes_and_wrapping(tmp_path):
    long_note = "очень длинное примечание " * 8
    frame = pd.DataFrame(
        {
            "project_id": ["p1", "p2"],
            "municipality_id": ["cheboksary", "kanashsky"],
            "name": ["Чебоксарский муниципальный округ", "город Канаш"],
            "n_before": [1, 2],
            "note": [long_note.strip(), "коротко"],
        }
    )
    path = write_tables({"Проекты": frame}, tmp_path / "w.xlsx")
    check_workbook(path)
    ws = load_workbook(path)["Проекты"]
    assert ws.freeze_panes == "D2"  # the header and the columns naming the row
    assert ws.auto_filter.ref == "A1:E3"
    width = {c.value: ws.column_dimensions[c.column_letter].width for c in ws[1]}
    assert width["Наименование"] >= len("Чебоксарский муниципальный округ")
    assert width["Примечание"] == 60  # capped; the long text wraps instead
    assert ws["E2"].alignment.wrap_text and not ws["E3"].alignment.wrap_text
    assert ws.row_dimensions[2].height > 15
    head = ws["A1"]
    assert head.font.bold and head.alignment.wrap_text and head.fill.fgColor.rgb.endswith("DDEBF7")
    no_names = write_tables(pd.DataFrame({"n_before": [1]}), tmp_path / "plain.xlsx")
    assert load_workbook(no_names).active.freeze_panes == "A2"


def test_report_and_workbook_file_names_are_relative_links(tmp_path):
    frame = pd.DataFrame(
        {
            "name": ["Чебоксары", "Канаш", "Злой", "Ещё злой", "Выше", "Без отчёта"],
            "report": ["cheboksary.html", "reports/kanash.html", "http://evil.example/x",
                       "/etc/passwd", "../up.html", ""],
            "workbook": ["cheboksary.xlsx", "kanash.xlsx", "=HYPERLINK(\"http://x\")",
                         "C:\\x.xlsx", "up.xlsx", "none.xlsx"],
        }
    )  # fmt: skip
    path = write_tables({"Сводка": frame}, tmp_path / "links.xlsx")
    check_workbook(path)
    ws = load_workbook(path)["Сводка"]
    links = {
        c.coordinate: c.hyperlink.target for row in ws.iter_rows() for c in row if c.hyperlink
    }
    assert links == {
        "B2": "cheboksary.html", "C2": "cheboksary.xlsx", "B3": "reports/kanash.html",
        "C3": "kanash.xlsx", "C6": "up.xlsx", "C7": "none.xlsx",
    }  # fmt: skip
    assert ws["C4"].value == '\'=HYPERLINK("http://x")' and ws["B7"].value is None
    assert ws["B2"].font.underline == "single"
    odd = pd.DataFrame({"name": ["bell\x07 in a name"]})  # a control character Excel refuses
    assert load_workbook(write_tables(odd, tmp_path / "odd.xlsx")).active["A2"].value == (
        "bell in a name"
    )
    assert ws.column_dimensions["B"].width >= len("reports/kanash.html")


def test_dates_are_dates_and_the_index_can_be_written(tmp_path):
    frame = pd.DataFrame(
        {
            "as_of": pd.to_datetime(["2025-12-31", None]),
            "actual_end": pd.to_datetime(["2023-01-09 09:00", "2023-01-10 17:30"]),
        },
        index=pd.Index(["p1", "p2"], name="project_id"),
    )
    path = write_tables({"d": frame}, tmp_path / "d.xlsx", index=True)
    ws = load_workbook(path).active
    assert [c.value for c in ws[1]] == ["Проект", "Дата выгрузки", "Фактическое окончание"]
    assert ws["B2"].is_date and ws["B2"].number_format == "DD.MM.YYYY" and ws["B3"].value is None
    assert ws["C3"].is_date and ws["C3"].number_format == "DD.MM.YYYY HH:MM"
    assert ws.freeze_panes == "B2"
    en = load_workbook(write_tables({"d": frame}, tmp_path / "en.xlsx", lang="en")).active
    assert en["A2"].number_format == "YYYY-MM-DD"
    csv = write_tables(frame, tmp_path / "d.csv", lang="en")
    assert csv.read_text(encoding="utf-8-sig").splitlines()[1].startswith("2025-12-31,")


# --------------------------------------------------------------------------- the commands, for real

MINI = DATA / "mini"


def test_savings_command_writes_a_workbook_officials_can_read(tmp_path):
    mini = tmp_path / "mini"
    shutil.copytree(MINI, mini)
    text = (mini / "projects.csv").read_text(encoding="utf-8")
    (mini / "projects.csv").write_text(
        text.replace("Выдача архивной справки", "=HYPERLINK(1)"), encoding="utf-8"
    )
    out = tmp_path / "savings.xlsx"
    r = run_cli("savings", str(mini), "--out", str(out), "--n-boot", "200")
    assert r.returncode == 0, r.stderr
    check_workbook(out)
    wb = load_workbook(out)
    assert wb.sheetnames == ["Экономия по проектам", "Годовой эффект", "Достижение целей"]
    ws = wb["Экономия по проектам"]
    assert ws.freeze_panes == "D2"  # project, municipality and its name stay in view
    fmt = _formats(ws)
    assert fmt[em.text.label("saving_pct")] == "#,##0.0"
    assert fmt[em.text.label("reduction_pct")] == "#,##0.0"
    assert fmt["Отношение «после»/«до»"] == "#,##0.00"
    assert fmt["Случаев «до»"] == "#,##0"
    assert "'=HYPERLINK(1)" in _column_values(ws, "Процесс")
    stages = [em.text.label(f"stage_{c}") for c in TABLES["projects"].column("stage").categories]
    assert set(_column_values(ws, "Этап")) <= set(stages)
    assert set(_column_values(ws, "База — регламентный срок")) == {"да", "нет"}
    annual = wb["Годовой эффект"]
    assert _formats(annual)["Время граждан, дн. в год"] in ("#,##0", "#,##0.0")
    assert set(_column_values(annual, "Учтён в итогах")) <= {"да", "нет"}
    by_muni = tmp_path / "pooled.xlsx"
    r = run_cli("savings", str(MINI), "--by", "municipality", "--out", str(by_muni))
    assert r.returncode == 0, r.stderr
    check_workbook(by_muni)
    pooled = load_workbook(by_muni)["Объединённая оценка"]
    assert pooled.freeze_panes == "C2"


def test_maturity_command_writes_russian_sheets_and_typed_summary(tmp_path):
    out = tmp_path / "maturity.xlsx"
    r = run_cli("maturity", str(MINI), "--k", "2", "--out", str(out))
    assert r.returncode == 0, r.stderr
    check_workbook(out)
    wb = load_workbook(out)
    assert wb.sheetnames[:6] == [
        "Сводка", "Уровни", "Профили групп", "Признаки", "Сравнение с индексом",
        "Группы и индекс",
    ]  # fmt: skip
    summary = {row[0]: row[1] for row in wb["Сводка"].iter_rows(min_row=2, values_only=True)}
    assert summary["Число групп k"] == 2 and isinstance(summary["Число групп k"], int)
    levels = wb["Уровни"]
    assert set(_column_values(levels, "Тип")) == {"городской округ", "муниципальный округ"}
    assert set(_column_values(levels, "Ограничен уровнем образца")) <= {"да", "нет"}
    assert levels.freeze_panes == "C2"
    assert _formats(levels)["Сводный балл (z)"] == "#,##0.00"
    features = _formats(wb["Признаки"])
    assert features["Доля закрытых проектов"] == "0.0%"
    en = tmp_path / "maturity_en.xlsx"
    r = run_cli("maturity", str(MINI), "--k", "2", "--lang", "en", "--out", str(en))
    assert r.returncode == 0, r.stderr
    check_workbook(en, lang="en")
    kinds = set(_column_values(load_workbook(en)[em.text.label("sheet_levels", "en")], "Kind"))
    assert kinds == {"city okrug", "municipal okrug"}
