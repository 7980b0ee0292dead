"""``effmuni maturity``: readable table, exports, and clear messages on bad input."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import DATA, edit, run_cli

from effmuni.text import fmt_number


@pytest.fixture(autouse=True)
def _neutral_locale(monkeypatch):
    """The command line follows the locale: run it under one that does not say English."""
    monkeypatch.setenv("LANG", "C.UTF-8")
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)


def test_prints_a_readable_table_for_the_sample():
    r = run_cli("maturity", "--k", "3", "--method", "kmeans", "--as-of", "2025-12-31")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "k-means (Ward)" in out and "Число групп k" in out
    assert "Отстающие" in out and "Лидеры" in out
    assert "Шумерлинский муниципальный округ" in out
    assert "город Канаш" not in out  # merged into Kanashsky at the end of 2024
    assert "Муниципалитетов всего 23" in out
    assert "Traceback" not in r.stderr


def test_the_index_score_is_the_workbooks(tmp_path):
    """The rules-based index score reads the same on the command line as in its workbook:
    two decimals and a decimal comma (it was once rounded to whole points, shown as «89.0»)."""
    r = run_cli("maturity")
    assert r.returncode == 0, r.stderr
    out = tmp_path / "m.xlsx"
    assert run_cli("maturity", "--out", str(out)).returncode == 0
    sheets = pd.read_excel(out, sheet_name=None, engine="openpyxl")
    levels = next(f for f in sheets.values() if "Балл индекса (0–100)" in f.columns)
    scores = levels.set_index("Наименование")["Балл индекса (0–100)"]
    for name, score in scores.items():
        line = next(x for x in r.stdout.splitlines() if x.strip().startswith(name))
        assert " " + fmt_number(round(score, 2), digits=2) in line, (name, score, line)
    assert ".0 " not in r.stdout


def test_english_and_mini_dataset():
    r = run_cli("maturity", str(DATA / "mini"), "--k", "2", "--lang", "en", "--seed", "3")
    assert r.returncode == 0, r.stderr
    assert "Number of groups k" in r.stdout and "Cheboksary" in r.stdout


def test_writes_excel_and_csv(tmp_path):
    xlsx, csv = tmp_path / "out" / "maturity.xlsx", tmp_path / "levels.csv"
    r = run_cli("maturity", str(DATA / "mini"), "--k", "2", "--out", str(xlsx))
    assert r.returncode == 0, r.stderr
    sheets = pd.read_excel(xlsx, sheet_name=None)
    assert list(sheets) == [
        "Сводка",
        "Уровни",
        "Профили групп",
        "Признаки",
        "Сравнение с индексом",
        "Группы и индекс",
        "Нет данных",  # kanash has no comparable result: missing, not 0
    ]
    missing = sheets["Нет данных"]
    assert set(missing["Муниципалитет"]) == {"kanash"}
    assert "Медиана сокращения ВПП, %" in set(missing["Признак"])
    levels = sheets["Уровни"]
    assert {"Муниципалитет", "Уровень", "Группа", "Уровень индекса"} <= set(levels.columns)
    assert len(levels) == 3 and len(sheets["Признаки"]) == 3
    r = run_cli("maturity", str(DATA / "mini"), "--k", "2", "--lang", "en", "--out", str(csv))
    assert r.returncode == 0, r.stderr
    table = pd.read_csv(csv, encoding="utf-8-sig")
    assert {"Municipality", "Level", "Group", "Index level"} <= set(table.columns)


def test_bad_data_gives_a_message_not_a_traceback(mini_copy, tmp_path):
    edit(mini_copy / "projects.csv", "2023-02-01", "someday")
    r = run_cli("maturity", str(mini_copy), "--k", "2")
    assert r.returncode == 1
    assert "Traceback" not in r.stderr and "start_date" in r.stderr
    r = run_cli("maturity", str(tmp_path / "missing"), "--k", "2")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    r = run_cli("maturity", str(DATA / "mini"))  # k=auto needs at least 6 municipalities
    assert r.returncode == 2  # a request the data cannot answer, refused like bad usage
    assert "k=auto требует не меньше 6 муниципалитетов" in r.stderr
    assert "Traceback" not in r.stderr
    # a file that cannot be written: the reason in the reader's language
    (tmp_path / "m.xlsx").mkdir()
    r = run_cli("maturity", str(DATA / "mini"), "--k", "2", "--out", str(tmp_path / "m.xlsx"))
    assert r.returncode == 1 and f"не удалось записать {tmp_path / 'm.xlsx'}" in r.stderr


def test_usage_errors_exit_2(capsys):
    from effmuni.cli import main

    for args in (["--k", "1"], ["--k", "many"], ["--as-of", "soon"], ["--method", "dbscan"]):
        with pytest.raises(SystemExit) as stop:
            main(["maturity", *args])
        assert stop.value.code == 2, args
        assert "использование:" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["maturity", "--k", "1", "--lang", "en"])
    err = capsys.readouterr().err
    assert "usage:" in err and "argument --k: must be at least 2" in err
