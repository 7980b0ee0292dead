"""The federal front door of a batch drawn from ``effmuni analyse`` (site/federal.py)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

import effmuni as em
from effmuni.analysis import analyse_regions, national_rollup, region_inputs
from effmuni.analysis.regions import region_of
from effmuni.text import Refusal, fmt_interval, fmt_number, fmt_signed, html_escape, label

pytest.importorskip("distributed")

REPORT = Path(__file__).resolve().parents[1] / "notebooks" / "municipality_report.ipynb"


@pytest.fixture(scope="module")
def run(federal, tmp_path_factory):
    """Regions 1 (a part file broken: quarantined), 2 and 21 analysed; two reports."""
    data, _ = federal
    tmp = tmp_path_factory.mktemp("fedsite")
    copy = tmp / "fed"
    shutil.copytree(data, copy)
    (copy / "projects" / "region_id=01" / "part-0.parquet").write_bytes(b"broken" * 40)
    out = tmp / "analysis"
    config = em.AnalysisConfig(n_boot=200, maturity_n_boot=0)
    regions = analyse_regions(copy, config, output_dir=out, workers=2, progress=False)
    units = pd.read_parquet(out / "municipalities.parquet")
    other = units.loc[units["region_id"] == 2, "municipality_id"].iloc[0]
    summary = em.run_batch(
        REPORT, ["kanash", other], output_dir=tmp / "reports", analysis_dir=out, jobs=1,
        parameters={"n_boot": 200}, progress=False,
    )  # fmt: skip
    return out, tmp / "reports", regions, units, summary, other, copy


def _rows(page: str, table: int) -> list[str]:
    body = page.split("<tbody>")[table + 1].split("</tbody>")[0]
    return re.findall(r"<tr[^>]*>.*?</tr>", body, flags=re.S)


def test_the_page_lists_every_region_and_every_unit_of_the_computed_ones(run):
    out, reports, regions, units, summary, other, _ = run
    assert summary["status"].tolist() == ["ok", "ok"]
    assert regions.set_index("region_id")["status"].to_dict() == {
        1: "quarantined", 2: "ok", 21: "ok"
    }  # fmt: skip
    page = (reports / "index.html").read_text(encoding="utf-8")
    region_rows = _rows(page, 0)
    assert len(region_rows) == 3
    broken = next(r for r in region_rows if ">Регион 1<" in r)
    assert "в карантине" in broken and "projects/region_id=01/part-0.parquet" in broken
    assert 'class="failed"' in broken
    unit_rows = _rows(page, 1)
    assert len(unit_rows) == len(units) == 26 + (units["region_id"] == 2).sum()
    linked = re.findall(r'<a href="([^"]+)">', "".join(unit_rows))
    assert sorted(linked) == sorted(["kanash.html", f"{other}.html"])
    assert "Группы зрелости выделяются внутри каждого региона" in page


def test_the_figures_are_those_of_the_regions_results(run):
    out, reports, regions, units, summary, other, _ = run
    page = (reports / "index.html").read_text(encoding="utf-8")
    # a region's saving with its interval, as its analysis says
    ds, analysis = region_inputs(out, 21)
    kanash = ds.municipalities.set_index("municipality_id").loc["kanash", "name_ru"]
    r = analysis.annual_region.iloc[0]
    shown = f"{fmt_number(r['citizen_days'], 'ru')} ({fmt_interval(r['citizen_days_low'], r['citizen_days_high'], lang='ru')})"
    row21 = next(row for row in _rows(page, 0) if ">Регион 21<" in row)
    assert shown in row21
    # a unit's composite maturity score, signed and with its interval, as on the region's page
    sc = analysis.scores.loc["alikovsky"]
    alikovsky = ds.municipalities.set_index("municipality_id").loc["alikovsky", "name_ru"]
    score = fmt_signed(sc["maturity_score"], "ru", digits=2)
    ci = fmt_interval(sc["maturity_score_low"], sc["maturity_score_high"], lang="ru", digits=2)
    unit_row = next(row for row in _rows(page, 1) if ">" + html_escape(alikovsky) + "<" in row)
    assert f"{score} ({ci})" in unit_row
    # the national effect: the regions' effects pooled, or the reason there is none
    national = national_rollup(out)["effects_national"].iloc[0]
    if national["n_regions"] >= 2:
        pct = fmt_number(national["reduction_pct"], "ru", digits=1)
        pi = fmt_interval(
            100 * (1 - np.exp(national["pi_high"])), 100 * (1 - np.exp(national["pi_low"])),
            lang="ru", digits=1,
        )  # fmt: skip
        assert f"{pct} %" in page
        if np.isfinite(national["pi_low"]):
            assert f"в пределах {pi} %" in page
        else:  # two regions: no prediction interval, and no empty sentence about it
            assert "в пределах" not in page
    else:
        assert "Общий по регионам причинный эффект не оценён" in page
    # the workbook: every unit with its region, numbers as numbers
    ws = load_workbook(reports / "summary.xlsx").active
    header = [c.value for c in ws[1]]
    assert header[0] == "Регион" and ws.max_row == len(units) + 1
    col = header.index("Муниципалитет") + 1
    names = {ws.cell(i, col).value: ws.cell(i, 1).value for i in range(2, ws.max_row + 1)}
    assert names[kanash] == 21
    days = analysis.annual_municipality.set_index("municipality_id").loc["kanash", "citizen_days"]
    days_col = next(i for i, h in enumerate(header, 1) if h and h == label("citizen_days", "ru"))
    row = next(i for i in range(2, ws.max_row + 1) if ws.cell(i, col).value == kanash)
    assert ws.cell(row, days_col).value == pytest.approx(days)


def test_regions_computed_by_an_earlier_run_stay_on_the_page(run, tmp_path):
    """``regions.csv`` lists the last run's regions only; the page still shows every region
    with a result, and the last run's word on the ones it names."""
    out, reports, regions, units, summary, other, fed = run
    later = tmp_path / "analysis"
    shutil.copytree(out, later)
    config = em.AnalysisConfig(n_boot=200, maturity_n_boot=0)
    rerun = analyse_regions(fed, config, output_dir=later, regions=[2], workers=1, progress=False)
    assert rerun["region_id"].tolist() == [2]
    assert pd.read_csv(later / "regions.csv")["region_id"].tolist() == [2]
    from effmuni.site import write_federal_site

    page = write_federal_site(later, tmp_path / "site", summary=summary).read_text("utf-8")
    shown = _rows(page, 0)
    assert [">Регион 2<" in r for r in shown] == [True, False]
    assert ">Регион 21<" in shown[1] and "готов" in shown[1]
    assert len(_rows(page, 1)) == len(units)


def test_a_unit_in_two_computed_regions_is_refused_not_guessed(run, tmp_path):
    """Results of two analyse runs whose data disagree on a unit's region: the batch and the
    region look-up refuse, naming the unit and the regions to compute again."""
    out = run[0]
    later = tmp_path / "analysis"
    shutil.copytree(out, later)
    index = pd.read_parquet(later / "municipalities.parquet")
    moved = pd.DataFrame({"municipality_id": ["kanash"], "region_id": [2]})
    pd.concat([index, moved], ignore_index=True).to_parquet(later / "municipalities.parquet")
    with pytest.raises(Refusal) as caught:
        em.run_batch(REPORT, "all", output_dir=tmp_path / "r", analysis_dir=later, progress=False)
    assert "kanash (2, 21)" in str(caught.value) and "--regions 2,21" in str(caught.value)
    assert "относят муниципалитет к двум регионам: kanash (2, 21)" in caught.value.message("ru")
    with pytest.raises(Refusal):
        region_of(later, "kanash")
    assert not (tmp_path / "r").exists()
    assert region_of(out, "kanash") == 21  # the consistent results as before
