"""The regional front door: index.html, summary.xlsx and a workbook per municipality."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest
from conftest import DATA, edit
from openpyxl import load_workbook
from test_excel import check_workbook

import effmuni as em
from effmuni.site import FRONT_COLUMNS, front_table, write_site

CFG = em.AnalysisConfig(n_boot=200, maturity_n_boot=10)


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory):
    ds = em.load_dataset()
    a = em.analyse(ds, CFG)
    out = tmp_path_factory.mktemp("site")
    index = write_site(ds, a, out)
    return ds, a, out, index.read_text(encoding="utf-8")


def _visible_text(html: str) -> str:
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", body)


def test_one_row_per_municipality_in_russian_alphabetical_order(sample_site):
    ds, a, _, _ = sample_site
    table = front_table(ds, a)
    assert list(table.columns) == list(FRONT_COLUMNS)
    assert len(table) == len(ds.municipalities)
    names = table["name"].tolist()
    assert names == sorted(names, key=lambda n: n.casefold().replace("ё", "е"))
    # Ибресинский before Чебоксарский: the Russian alphabet, not the transliterated slugs
    assert names.index("Ибресинский муниципальный округ") < names.index(
        "Чебоксарский муниципальный округ"
    )


def test_figures_are_those_of_the_analysis(sample_site):
    ds, a, _, _ = sample_site
    table = front_table(ds, a).set_index("municipality_id")
    annual = a.annual_municipality.set_index("municipality_id")
    pd.testing.assert_series_equal(
        table.loc[annual.index, "citizen_days"], annual["citizen_days"], check_names=False
    )
    cov = a.coverage[a.coverage["alive"]]
    met = cov.groupby("municipality_id")["rule_met"].sum()
    assert (table.loc[met.index, "quarters_with_project"] == met).all()
    assert table["quarters_alive"].max() == 12


def test_the_page_is_readable_offline_and_printable(sample_site):
    _, _, out, html = sample_site
    assert html.startswith("<!DOCTYPE html>") and '<html lang="ru">' in html
    assert "<title>" in html and "@page" in html and "A4" in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing from the network
    text = _visible_text(html)
    for bad in ("NaN", "None", "True", "False", "nan", "<NA>"):
        assert not re.search(rf"\b{re.escape(bad)}\b", text), bad
    for link in re.findall(r'href="([^"]+)"', html):
        assert (out / link).exists(), link
    assert (out / "summary.xlsx").exists() and (out / "cheboksary.xlsx").exists()


@pytest.fixture(scope="module")
def batch_site(sample_site, tmp_path_factory):
    """The folder a batch run leaves: reports beside the workbooks, one municipality failed."""
    ds, a, _, _ = sample_site
    out = tmp_path_factory.mktemp("batch_site")
    ids = ds.municipalities["municipality_id"].tolist()
    failed = "kanash"
    for m in ids:
        if m != failed:
            (out / f"{m}.html").write_text("<!DOCTYPE html>", encoding="utf-8")
    summary = pd.DataFrame(
        {
            "municipality_id": ids,
            "status": ["failed" if m == failed else "ok" for m in ids],
            "html": ["" if m == failed else str(out / f"{m}.html") for m in ids],
        }
    )
    write_site(ds, a, out, summary=summary)
    return ds, a, out, failed


def test_summary_workbook_holds_the_same_table(sample_site):
    ds, a, out, _ = sample_site
    check_workbook(out / "summary.xlsx")
    wb = load_workbook(out / "summary.xlsx")
    assert wb.sheetnames == ["Сводка"]
    ws = wb.active
    header = [c.value for c in ws[1]]
    assert header[:2] == ["Муниципалитет", "Кварталов с новым проектом"]
    assert header[-1] == "Код муниципалитета" and "Статус" not in header  # no batch run here
    assert ws.max_row == len(ds.municipalities) + 1
    table = front_table(ds, a)
    assert [c.value for c in ws["A"][1:]] == table["name"].tolist()  # the page's order
    assert ws.freeze_panes == "B2"
    days = header.index("Время граждан, дн. в год")
    for row, expected in zip(ws.iter_rows(min_row=2), table["citizen_days"], strict=True):
        cell = row[days]
        if pd.isna(expected):
            assert cell.value is None
        else:  # the figure itself, shown without decimals
            assert cell.data_type == "n" and cell.value == pytest.approx(expected)
            assert cell.number_format == "#,##0"
    groups = header.index("Группа зрелости")
    assert all(r[groups] for r in ws.iter_rows(min_row=2, values_only=True))


def test_summary_workbook_links_the_reports_and_workbooks_of_the_folder(batch_site):
    ds, _, out, failed = batch_site
    path = out / "summary.xlsx"
    check_workbook(path)
    ws = load_workbook(path).active
    header = [c.value for c in ws[1]]
    report, workbook = header.index("Отчёт") + 1, header.index("Таблицы Excel") + 1
    status = header.index("Статус") + 1
    links = 0
    for i in range(2, ws.max_row + 1):
        for j in (report, workbook):
            cell = ws.cell(row=i, column=j)
            if cell.value is None:
                continue
            assert cell.hyperlink is not None and cell.hyperlink.target == cell.value
            assert (out / cell.hyperlink.target).is_file(), cell.value  # relative to the folder
            width = ws.column_dimensions[cell.column_letter].width
            assert width >= len(cell.value), (cell.value, width)  # no file name cut off
            links += 1
    assert links == 2 * len(ds.municipalities) - 1  # the failed unit has no report
    code = header.index("Код муниципалитета") + 1
    rows = {ws.cell(row=i, column=code).value: i for i in range(2, ws.max_row + 1)}
    assert ws.cell(row=rows[failed], column=report).value is None
    assert ws.cell(row=rows[failed], column=status).value == "ошибка"
    assert {ws.cell(row=i, column=status).value for i in rows.values()} == {"готов", "ошибка"}


def test_municipality_workbooks_are_readable(batch_site):
    ds, _, out, _ = batch_site
    for m in ds.municipalities["municipality_id"]:
        check_workbook(out / f"{m}.xlsx")
    wb = load_workbook(out / "cheboksary.xlsx")
    assert wb.sheetnames[0] == "Сводка"
    assert set(wb.sheetnames[1:]) <= {"Экономия по проектам", "Годовой эффект", "Достижение целей"}
    head = [c.value for c in wb["Сводка"][1]]
    assert "Таблицы Excel" not in head  # no link to the workbook itself
    row = [c for c in wb["Сводка"][2]]
    link = row[head.index("Отчёт")]
    assert link.hyperlink.target == "cheboksary.html" and (out / "cheboksary.html").is_file()
    annual = wb["Годовой эффект"]
    assert annual["A2"].value == "город Чебоксары"  # the name, not the code


def test_names_from_the_data_are_escaped(tmp_path):
    folder = tmp_path / "mini"
    shutil.copytree(DATA / "mini", folder)
    hostile = '"<script>alert(""x"")</script>Округ & «<Новое>» *_#[]"'
    edit(folder / "municipalities.csv", ",Чебоксары,", f",{hostile},")
    ds = em.load_dataset(folder)
    a = em.analyse(ds, CFG.replace(k=2), cache=False)
    html = write_site(ds, a, tmp_path / "out").read_text(encoding="utf-8")
    assert "<script>alert" not in html
    assert (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;Округ &amp; «&lt;Новое&gt;» *_#[]"
        in html
    )
    assert html.count("<script>") == 1  # only the page's own sorting script
