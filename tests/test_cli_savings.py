"""``effmuni savings``: printed tables, safe Excel/CSV export, clear errors."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from conftest import DATA, edit, run_cli

import effmuni as em


@pytest.fixture(autouse=True)
def _neutral_locale(monkeypatch):
    """The command line follows the locale: run it under one that does not say English."""
    monkeypatch.setenv("LANG", "C.UTF-8")
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)


MINI = DATA / "mini"


def test_prints_project_tables_in_russian_by_default():
    r = run_cli("savings", str(MINI), "--n-boot", "200")
    assert r.returncode == 0, r.stderr
    assert "Сокращение ВПП по проектам" in r.stdout
    assert "паспорт проекта" in r.stdout and "Годовой эффект" in r.stdout
    assert "база — регламентный срок" in r.stdout  # p2's caveat
    assert "Traceback" not in r.stderr


def test_municipality_and_region_levels_in_english():
    r = run_cli("savings", str(MINI), "--by", "municipality", "--lang", "en", "--n-boot", "0")
    assert r.returncode == 0, r.stderr
    assert "Pooled lead-time reduction" in r.stdout
    assert "Kanashsky" in r.stdout and "bootstrap over projects (project cards)" in r.stdout
    assert "Projects whose baseline is a regulation limit are left out" in r.stdout
    r = run_cli("savings", str(MINI), "--by", "region", "--lang", "en", "--seed", "3")
    assert r.returncode == 0, r.stderr
    assert "Target attainment" in r.stdout


def test_excel_export_has_russian_headers_numbers_and_no_formulas(mini_copy, tmp_path):
    edit(mini_copy / "projects.csv", "Выдача разрешения на строительство", "=HYPERLINK(1)")
    edit(mini_copy / "projects.csv", "Выдача архивной справки", "@SUM(A1)")
    out = tmp_path / "savings.xlsx"
    r = run_cli("savings", str(mini_copy), "--out", str(out), "--n-boot", "200")
    assert r.returncode == 0, r.stderr
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Экономия по проектам", "Годовой эффект", "Достижение целей"]
    ws = wb["Экономия по проектам"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["Проект", "Муниципалитет", "Наименование"]
    saving, typical = em.text.label("saving_pct"), em.text.label("reduction_pct")
    assert {saving, typical, "Источник данных"} <= set(header)
    # the typical reduction (the reports' figure) stands right after the card-style one's
    assert header.index(typical) == header.index(em.text.label("saving_pct_high")) + 1
    rows = {row[0]: row for row in ws.iter_rows(min_row=2, values_only=True)}
    process = header.index("Процесс")
    assert rows["p1"][process] == "'=HYPERLINK(1)"
    assert rows["p3"][process] == "'@SUM(A1)"
    pct = header.index(saving)
    assert isinstance(rows["p1"][pct], (int, float)) and rows["p1"][pct] == 60.0
    ratio = rows["p1"][header.index("Отношение «после»/«до»")]
    assert rows["p1"][header.index(typical)] == pytest.approx(100 * (1 - ratio))
    assert ws.cell(row=2, column=pct + 1).data_type == "n"  # stored as a number
    assert rows["p1"][header.index("Источник данных")] == "паспорт проекта"
    # every cell: no live formula anywhere in the workbook
    for sheet in wb:
        for row in sheet.iter_rows(values_only=True):
            for v in row:
                assert not (isinstance(v, str) and v[:1] in "=+-@"), v


def test_csv_export_in_english_holds_the_main_table(tmp_path):
    out = tmp_path / "pooled.csv"
    r = run_cli("savings", str(MINI), "--by", "municipality", "--lang", "en", "--out", str(out))
    assert r.returncode == 0, r.stderr
    frame = pd.read_csv(out, encoding="utf-8-sig")
    assert {"Municipality", "Method", "Typical lead-time reduction, %"} <= set(frame.columns)
    assert len(frame) == 2 * 3  # two methods for each of the 3 municipalities


def test_bad_data_exits_1_with_a_message_and_no_traceback(mini_copy):
    edit(mini_copy / "cases.csv", "p1,A-001", "zz,A-001")  # an unknown project
    r = run_cli("savings", str(mini_copy))
    assert r.returncode == 1
    assert "в данных есть проблемы; сначала исправьте их" in r.stderr
    assert "cases.csv, строка 2, столбец «project_id»" in r.stderr and "Traceback" not in r.stderr
    assert "запустите команду с --lenient" in r.stderr  # the way to run on the accepted rows
    r = run_cli("savings", str(mini_copy), "--lang", "en")
    assert "the data has problems; fix them first" in r.stderr
    assert "cases.csv, row 2, column 'project_id'" in r.stderr


def test_zero_duration_is_a_warning_and_left_out_not_a_failure(mini_copy):
    # since zero or negative durations "hurt only their project" (left out of its estimate,
    # counted in n_invalid), a zero lead time is a validation warning, not a refusal
    edit(
        mini_copy / "cases.csv",
        "2023-01-09 09:00,2023-01-19 09:00",
        "2023-01-09 09:00,2023-01-09 09:00",
    )
    r = run_cli("savings", str(mini_copy), "--n-boot", "0")
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "Сокращение ВПП по проектам" in r.stdout


def test_bad_options_are_usage_errors():
    r = run_cli("savings", str(MINI), "--confidence", "95")
    assert r.returncode == 2 and "аргумент --confidence: нужно число между 0 и 1" in r.stderr
    r = run_cli("--lang", "en", "savings", str(MINI), "--confidence", "95")
    assert (
        r.returncode == 2 and "argument --confidence: must be a number between 0 and 1" in r.stderr
    )
    r = run_cli("savings", str(MINI), "--n-boot", "10")
    assert r.returncode == 2 and "--n-boot" in r.stderr
    r = run_cli("savings", str(MINI), "--out", "x.txt")  # refused before anything runs
    assert r.returncode == 2 and "аргумент --out: нужно имя файла .xlsx / .csv" in r.stderr
