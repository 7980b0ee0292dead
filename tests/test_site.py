"""The regional front door: index.html, summary.xlsx and a workbook per municipality."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest
from conftest import DATA, edit
from openpyxl import load_workbook

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


def test_summary_workbook_holds_the_same_table(sample_site):
    ds, a, out, _ = sample_site
    ws = load_workbook(out / "summary.xlsx").active
    header = [c.value for c in ws[1]]
    assert header[:2] == ["Муниципалитет", "Наименование"]
    assert ws.max_row == len(ds.municipalities) + 1


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
