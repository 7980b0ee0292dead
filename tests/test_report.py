"""The per-municipality report: its facts agree with the tables they come from."""

from __future__ import annotations

import nbformat
import papermill as pm
import pytest
from conftest import REPO, output_problems, outputs_text

import effmuni as em

CFG = em.AnalysisConfig(n_boot=200, maturity_n_boot=20)


@pytest.fixture(scope="module")
def ds():
    return em.load_dataset()


def test_project_counts_and_rule_coverage(ds):
    rep = em.municipality_report(ds, "shemurshinsky", config=CFG)
    pm_ = ds.project_municipality()
    expected = set(pm_.loc[pm_["municipality_id"] == "shemurshinsky", "project_id"])
    assert set(rep.projects["project_id"]) == expected
    cov = em.project_coverage(ds)
    cov = cov[(cov["municipality_id"] == "shemurshinsky") & cov["alive"]]
    text = rep.projects_md()
    assert f"выполнено в {int(cov['rule_met'].sum())} из {len(cov)} кварталов" in text
    missed = cov.loc[~cov["rule_met"], "quarter"].tolist()
    assert ", ".join(em.text.fmt_quarter(q) for q in missed) in text  # «I кв. 2023»
    assert "2023Q" not in text
    assert len(rep.projects_table()) == len(expected)


def test_merged_unit_says_so_in_english(ds):
    rep = em.municipality_report(ds, "kanash", lang="en", config=CFG)
    assert rep.name == "Kanash"
    assert "ceased to exist on 31.12.2024 and merged into Kanashsky" in rep.lead_md()
    assert rep.projects_table().columns[0] == "Project"


def test_maturity_rank_and_level_match_the_clustering(ds):
    rep = em.municipality_report(ds, "novocheboksarsk", config=CFG)
    # the same grouping as the maturity command: k chosen by the data, not fixed
    result = em.cluster_maturity(
        em.maturity_features(ds, as_of=ds.extract_date), k="auto", seed=0, n_boot=0
    )
    assert rep.k == result.k
    assert rep.level == int(result.levels["novocheboksarsk"])
    assert (
        rep.rank
        == list(result.scores.sort_values(ascending=False).index).index("novocheboksarsk") + 1
    )
    text = rep.maturity_md()
    assert "место" not in text  # groups, not a ranking: no rank sentence
    assert "по 23 муниципалитетам" in text  # the units that exist at the extract date
    assert rep.peers["percentile"].between(0, 100).all()
    # strengths are features above the regional median, never the least bad ones
    above = rep.peers.loc[rep.peers["value"] > rep.peers["median"], "feature_label"]
    below = rep.peers.loc[rep.peers["value"] < rep.peers["median"], "feature_label"]
    strengths = text.split("Сильные стороны", 1)[1].split(".", 1)[0]
    assert not any(f in strengths for f in below)
    assert any(f in strengths for f in above)


def test_savings_text_matches_annual_effect(ds):
    rep = em.municipality_report(ds, "cheboksary", config=CFG)
    a = rep.annual.iloc[0]
    hours = em.text.fmt_number(a["staff_hours"])
    text = rep.savings_md()
    assert f"**{hours}** часов" in text
    # fewer than 5 projects behind the total: no range is printed, the text says why
    assert bool(a["citizen_days_no_interval"])
    assert "надёжного интервала нет" in text and "интервал " not in text
    # the regional total has enough projects for an honest interval
    region = em.analyse(ds, CFG).annual_region.iloc[0]
    assert region["citizen_days_low"] < region["citizen_days"] < region["citizen_days_high"]


def test_results_without_a_total_are_not_called_missing(ds):
    """Alatyr's three projects all have a result, none counts in the totals (two card
    medians, one regulation-limit baseline): the report says so and gives the targets."""
    rep = em.municipality_report(ds, "alatyr", config=CFG)
    measured = int(rep.projects["saving_pct"].notna().sum())
    assert measured == len(rep.projects) > 0
    assert rep.annual.iloc[0]["n_citizen"] == 0 and rep.annual.iloc[0]["n_staff"] == 0
    text = rep.savings_md()
    assert em.text.label("rep_savings_none") not in text
    assert f"Результат измерен у {measured} проектов" in text
    n_reg = int(rep.projects["regulation_baseline"].sum())
    assert em.text.label("rep_savings_regulation", n_reg=n_reg) in text
    t = rep.attainment.iloc[0]
    assert f"ни в одном из {int(t['n_assessed'])} проектов" in text and t["n_reached"] == 0
    en = em.municipality_report(ds, "alatyr", lang="en", config=CFG).savings_md()
    assert f"{measured} projects have a measured result" in en


def test_the_workbook_holds_the_reports_reduction(ds, tmp_path):
    """The typical reduction of the report's table is in the municipality's workbook too."""
    from openpyxl import load_workbook

    from effmuni.site import write_site

    a = em.analyse(ds, CFG)
    write_site(ds, a, tmp_path)
    rep = em.municipality_report(ds, "novocheboksarsk", config=CFG)
    shown = rep.projects_table().set_index("Проект")["Типичное сокращение ВПП, % (интервал)"]
    ws = load_workbook(tmp_path / "novocheboksarsk.xlsx")[em.text.label("sheet_savings")]
    rows = list(ws.iter_rows(values_only=True))
    head = list(rows[0])
    cols = [head.index(em.text.label(c)) for c in ("reduction_pct", "reduction_pct_low",
                                                   "reduction_pct_high")]  # fmt: skip
    checked = 0
    for row in rows[1:]:
        pid, (pct, lo, hi) = row[0], (row[c] for c in cols)
        if pct is None:
            continue
        text = em.text.fmt_number(pct)
        if lo is not None and hi is not None:
            text += f" ({em.text.fmt_interval(lo, hi)})"
        assert shown[pid] == text
        checked += 1
    assert checked == int((shown != em.text.MISSING).sum()) > 0


def test_one_estimate_per_project_in_the_table(ds):
    rep = em.municipality_report(ds, "cheboksary", config=CFG)
    table = rep.projects_table().set_index("Проект")
    p = em.reduction_pct(rep.projects).set_index("project_id")
    row = p.loc["P264"]  # case timings: the typical reduction and its own interval
    shown = table.loc["P264", "Типичное сокращение ВПП, % (интервал)"]
    assert shown.startswith(em.text.fmt_number(row["reduction_pct"]))
    assert em.text.fmt_interval(row["reduction_pct_low"], row["reduction_pct_high"]) in shown


def test_no_groups_shows_the_composite_score_and_the_index_cap(ds):
    rep = em.municipality_report(ds, "kanash", config=CFG)
    a = em.analyse(ds, CFG)
    text = rep.maturity_md()
    if a.maturity.k == 1:
        assert "групп зрелости в данных нет" in text
        assert em.text.fmt_signed(a.scores.loc["kanashsky", "maturity_score"], digits=2) in text
    idx = a.index.loc["kanashsky"]
    if idx["capped"]:
        assert f"По баллу это уровень {int(idx['index_level_uncapped'])}" in text


def test_a_merged_unit_says_whose_maturity_it_shows(ds):
    """Kanash (merged into Kanashsky) has no maturity of its own: its report shows the
    successor's figures and says so, the successor's report does not."""
    rep = em.municipality_report(ds, "kanash", config=CFG)
    own = em.municipality_report(ds, "kanashsky", config=CFG)
    successor = ds.municipalities.set_index("municipality_id").loc["kanashsky", "name_ru"]
    said = em.text.label("rep_maturity_of", successor=successor)
    assert said in rep.maturity_md() and said not in own.maturity_md()
    assert rep.maturity_md().replace(said + " ", "") == own.maturity_md()


def test_unknown_municipality(ds):
    with pytest.raises(ValueError, match="unknown municipality 'atlantis'"):
        em.municipality_report(ds, "atlantis")


def test_report_notebook_through_papermill(ds, tmp_path):
    out = tmp_path / "kanash.ipynb"
    pm.execute_notebook(
        REPO / "notebooks" / "municipality_report.ipynb",
        out,
        parameters={"municipality": "kanash", "lang": "en", "n_boot": 200},
        kernel_name="python3",
        progress_bar=False,
    )
    nb = nbformat.read(out, as_version=4)
    md = outputs_text(nb.cells)
    assert "# Lean management: Kanash" in md
    pm_ = ds.project_municipality()
    assert f"Projects started: {int((pm_['municipality_id'] == 'kanash').sum())};" in md
    assert not output_problems(nb.cells)


def test_describe_saving_in_words(ds):
    cases = ds.cases[ds.cases["project_id"] == ds.cases["project_id"].iloc[0]]
    row = em.estimate_savings(cases, by=None, n_boot=300, seed=1).iloc[0]
    text = em.describe_saving(row, lang="en")
    verb = "fell" if row["saving"] >= 0 else "rose"
    assert text.startswith(
        f"The mean lead time {verb} from {row['mean_before']:.2f} to {row['mean_after']:.2f} days"
    )
    assert f"by {abs(row['saving_pct']):.0f} %" in text
    assert f"Cases: {int(row['n_before'])} before, {int(row['n_after'])} after." in text
    ru = em.describe_saving(row)
    assert (
        "Среднее время протекания процесса" in ru
        and f"{row['mean_before']:.2f}".replace(".", ",") in ru
    )


def test_describe_saving_without_a_phase(ds):
    cases = ds.cases[ds.cases["project_id"] == ds.cases["project_id"].iloc[0]]
    row = em.estimate_savings(cases[cases["phase"] == "after"], by=None, n_boot=100).iloc[0]
    assert "No before/after comparison is possible: 0 cases before" in em.describe_saving(
        row, lang="en"
    )


def test_reports_share_one_cached_analysis(ds, tmp_path, monkeypatch, mini_dir):
    monkeypatch.setenv("EFFMUNI_CACHE", str(tmp_path))
    first = em.municipality_report(ds, "cheboksary", config=CFG)
    entries = list((tmp_path / "analysis").iterdir())
    assert len(entries) == 1
    again = em.municipality_report(ds, "kanash", config=CFG)  # another unit, same dataset: a hit
    assert list((tmp_path / "analysis").iterdir()) == entries
    fresh = em.municipality_report(ds, "kanash", config=CFG, cache=False)
    assert (again.level, again.rank, again.k) == (fresh.level, fresh.rank, fresh.k)
    assert again.peers.equals(fresh.peers)
    assert again.projects.equals(fresh.projects)
    assert first.n_municipalities == fresh.n_municipalities
    # other data (or other options) never reuse the entry
    em.municipality_report(em.load_dataset(mini_dir), "kanash", config=CFG.replace(k=2))
    assert len(list((tmp_path / "analysis").iterdir())) == 2
