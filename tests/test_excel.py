"""Result tables exported for officials: headers, numbers as numbers, no formulas."""

import pandas as pd
import pytest
from openpyxl import load_workbook

from effmuni.excel import write_tables


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
