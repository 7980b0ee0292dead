"""Staggered difference-in-differences (effmuni.effects) on the real library, no mocks; and the
causal effects on service statistics (service_effects) on the sample and on bad panels."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from conftest import REPO, run_cli

import effmuni as em
from effmuni.effects import (
    ATT_GT_COLUMNS,
    COHORT_COLUMNS,
    COHORT_EFFECT_COLUMNS,
    EFFECT_COLUMNS,
    EVENT_COLUMNS,
    EVENT_STUDY_COLUMNS,
    NOTE_COLUMNS,
    OVERALL_COLUMNS,
    OVERALL_EFFECT_COLUMNS,
    SERVICE_EFFECT_COLUMNS,
    UNIT_COLUMNS,
    DidResult,
    municipality_effects_text,
    note_text,
    service_effects,
    staggered_did,
)
from effmuni.effects._panel import prepare_panel
from effmuni.effects.did import group_time_cells, pre_treatment_cells
from effmuni.synth import planted_effects
from effmuni.validate import DataError

MPDTA = Path(__file__).parent / "data" / "did" / "mpdta.csv"

# R did: att_gt(yname="lemp", tname="year", idname="countyreal", gname="first.treat",
# xformla=~1, data=mpdta), never-treated controls (Callaway & Sant'Anna 2021)
PUBLISHED_POST = {
    (2004, 2004): -0.0105,
    (2004, 2005): -0.0704,
    (2004, 2006): -0.1373,
    (2004, 2007): -0.1008,
    (2006, 2006): -0.0046,
    (2006, 2007): -0.0412,
    (2007, 2007): -0.0261,
}
PUBLISHED_PRETEST_P = 0.16812  # "P-value for pre-test of parallel trends assumption"


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(MPDTA)


@pytest.fixture(scope="module")
def mpdta_fit(mpdta) -> DidResult:
    return staggered_did(
        mpdta, "countyreal", "year", "first.treat", "lemp", control="never_treated"
    )


def simulate(
    seed: int,
    effect: float = 0.0,
    n: int = 60,
    periods: int = 8,
    cohorts=(0, 4, 6),
    drift: float = 0.0,
) -> pd.DataFrame:
    """Offices adopting at different months; a common trend of 0.5 a month.

    ``drift`` adds a trend of its own to the offices that adopt (breaking parallel trends).
    """
    rng = np.random.default_rng(seed)
    office = np.repeat(np.arange(n), periods)
    month = np.tile(np.arange(1, periods + 1), n)
    start = np.repeat(rng.choice(cohorts, size=n), periods)
    level = np.repeat(rng.normal(0, 1, n), periods)
    treated = (start > 0) & (month >= start)
    y = 10 + level + 0.5 * month + drift * month * (start > 0) + effect * treated
    y = y + rng.normal(0, 1, office.size)
    return pd.DataFrame({"office": office, "month": month, "start": start, "days": y})


def fit_sim(panel: pd.DataFrame, **kwargs) -> DidResult:
    return staggered_did(panel, "office", "month", "start", "days", **kwargs)


# --- (1) the published numbers --------------------------------------------------------------


def test_reproduces_published_att_gt_of_r_did(mpdta_fit):
    cells = mpdta_fit.att_gt.set_index(["cohort", "time"])["att"]
    for key, value in PUBLISHED_POST.items():
        assert round(float(cells[key]), 4) == value, key
    assert len(cells) == 12  # and the five pre-treatment cells


def test_reproduces_published_pretest_and_simple_aggregate(mpdta_fit):
    assert mpdta_fit.pretrend_pvalue == pytest.approx(PUBLISHED_PRETEST_P, abs=5e-6)
    # R aggte(type = "simple"): -0.0400, s.e. about 0.012
    assert round(float(mpdta_fit.overall["att"].iloc[0]), 4) == -0.0400
    assert 0.009 < float(mpdta_fit.overall["se"].iloc[0]) < 0.016


def test_result_shape(mpdta_fit):
    assert tuple(mpdta_fit.att_gt.columns) == ATT_GT_COLUMNS
    assert tuple(mpdta_fit.event_study.columns) == EVENT_STUDY_COLUMNS
    assert tuple(mpdta_fit.overall.columns) == OVERALL_COLUMNS and len(mpdta_fit.overall) == 1
    assert list(mpdta_fit.event_study["event_time"]) == [-3, -2, -1, 0, 1, 2, 3]
    for table in (mpdta_fit.att_gt, mpdta_fit.event_study, mpdta_fit.overall):
        assert table[["att", "se", "low", "high"]].notna().all().all()
        assert (table["low"] <= table["att"]).all() and (table["att"] <= table["high"]).all()
    # R did's published standard errors are 0.016-0.040 for the post-treatment cells
    post = mpdta_fit.att_gt[mpdta_fit.att_gt["time"] >= mpdta_fit.att_gt["cohort"]]
    assert post["se"].between(0.012, 0.045).all()
    assert mpdta_fit.notes[0].startswith("500 units over 5 periods (2003 to 2007)")
    assert "DidResult(overall att=-0.03995" in repr(mpdta_fit)


def test_simultaneous_band_is_wider_than_pointwise(mpdta_fit):
    es = mpdta_fit.event_study
    z = 1.959964
    assert ((es["high"] - es["low"]) > 2 * z * es["se"]).all()


@pytest.mark.filterwarnings("ignore:pweight weights normalized")
@pytest.mark.parametrize("control", ["never_treated", "not_yet_treated"])
@pytest.mark.parametrize("weighted", [False, True])
def test_pre_trend_cells_agree_with_the_library(mpdta, control, weighted):
    """The Wald test's own pre-treatment cells equal diff-diff's, weighted or not."""
    from diff_diff import CallawaySantAnna, SurveyDesign

    panel = mpdta.assign(w=np.exp(mpdta["lpop"]))
    weights = "w" if weighted else None
    prep = prepare_panel(panel, "countyreal", "year", "first.treat", "lemp", weights, control, 0)
    fit = CallawaySantAnna(control_group=control, estimation_method="reg").fit(
        prep.data,
        outcome="_y",
        unit="_unit",
        time="_t",
        first_treat="_g",
        survey_design=SurveyDesign(weights="_w") if weighted else None,
    )
    cells = pd.DataFrame(
        [
            {"group": g, "time": t, "effect": c["effect"], "se": c["se"]}
            for (g, t), c in fit.group_time_effects.items()
        ]
    )
    theta, psi = pre_treatment_cells(prep, cells, control, 0)
    pre = cells[cells["time"] < cells["group"]]
    np.testing.assert_allclose(theta, pre["effect"], atol=1e-12)
    np.testing.assert_allclose(np.sqrt(np.diag(psi.T @ psi)), pre["se"], rtol=1e-8)


def test_weights(mpdta):
    plain = staggered_did(mpdta, "countyreal", "year", "first.treat", "lemp")
    ones = staggered_did(
        mpdta.assign(w=1.0), "countyreal", "year", "first.treat", "lemp", weights="w"
    )
    np.testing.assert_allclose(ones.att_gt["att"], plain.att_gt["att"], atol=1e-12)
    panel = mpdta.assign(w=np.exp(mpdta["lpop"]))
    res = staggered_did(
        panel, "countyreal", "year", "first.treat", "lemp", control="never_treated", weights="w"
    )
    # by hand: the weighted 2x2 DiD of cohort 2006 against never-treated, 2005 -> 2007
    wide = panel.pivot(index="countyreal", columns="year", values="lemp")
    unit = panel.drop_duplicates("countyreal").set_index("countyreal")
    dy, w, g = wide[2007] - wide[2005], unit["w"], unit["first.treat"]
    by_hand = np.average(dy[g == 2006], weights=w[g == 2006]) - np.average(
        dy[g == 0], weights=w[g == 0]
    )
    cell = res.att_gt.set_index(["cohort", "time"]).loc[(2006, 2007), "att"]
    assert cell == pytest.approx(by_hand, abs=1e-10)
    assert "weighted by 'w'" in res.notes[0]
    varying = panel.assign(w=panel["w"] * (1 + (panel["year"] % 2)))
    res2 = staggered_did(varying, "countyreal", "year", "first.treat", "lemp", weights="w")
    assert any("change over time within units" in n for n in res2.notes)


# --- (2) simulations with a known truth -----------------------------------------------------


def test_recovers_a_known_effect_where_before_after_is_biased():
    panel = simulate(seed=7, effect=-2.0, n=90)
    treated = panel[panel["start"] > 0]
    after = treated["month"] >= treated["start"]
    naive = treated.loc[after, "days"].mean() - treated.loc[~after, "days"].mean()
    assert abs(naive - -2.0) > 1.0  # the trend masks most of the saving
    res = fit_sim(panel)
    o = res.overall.iloc[0]
    assert o["low"] <= -2.0 <= o["high"]
    assert not o["low"] <= naive <= o["high"]
    post = res.event_study[res.event_study["event_time"] >= 0]
    assert ((post["low"] <= -2.0) & (-2.0 <= post["high"])).all()
    assert res.pretrend_pvalue > 0.05


def test_no_effect_intervals_cover_zero_at_about_the_nominal_rate():
    overall, band, pretest = [], [], []
    for seed in range(100):
        res = fit_sim(simulate(seed), n_bootstrap=199, seed=seed)
        o = res.overall.iloc[0]
        overall.append(o["low"] <= 0 <= o["high"])
        es = res.event_study
        band.append(bool(((es["low"] <= 0) & (0 <= es["high"])).all()))
        pretest.append(res.pretrend_pvalue < 0.05)
    assert 0.88 <= np.mean(overall) <= 0.99
    assert 0.88 <= np.mean(band) <= 0.99  # simultaneous: all event times at once
    assert np.mean(pretest) <= 0.2  # the asymptotic Wald test over-rejects with 20 per cohort


def test_pretrend_test_flags_diverging_trends():
    res = fit_sim(simulate(seed=3, n=120, drift=0.4))
    assert res.pretrend_pvalue < 0.01


# --- (3) bad panels -------------------------------------------------------------------------


def _mpdta_fit(panel, **kwargs) -> DidResult:
    return staggered_did(panel, "countyreal", "year", "first.treat", "lemp", **kwargs)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("duplicates", "repeat a unit-period pair"),
        ("missing column", "has no column 'lemp'"),
        ("text outcome", "not numeric"),
        ("everyone at once", "Every unit is treated at once"),
        ("no treated", "No unit is treated"),
        ("no never-treated", "use control='not_yet_treated'"),
        ("cohort varies", "differs between rows"),
        ("fractional time", "whole periods"),
        ("infinite outcome", "infinite"),
        ("empty", "empty"),
        ("no post period", "No post-treatment effect"),
    ],
)
def test_bad_panel_raises_a_data_error(mpdta, case, message):
    d = mpdta
    g = d["first.treat"]
    panel, kwargs = {
        "duplicates": (pd.concat([d, d.iloc[:3]]), {}),
        "missing column": (d.drop(columns="lemp"), {}),
        "text outcome": (d.assign(lemp=d["lemp"].astype(str).where(d.index != 7, "n/a")), {}),
        "everyone at once": (d[g == 2006], {}),
        "no treated": (d[g == 0], {}),
        "no never-treated": (d[g != 0], {"control": "never_treated"}),
        "cohort varies": (d.assign(**{"first.treat": np.where(d.index == 0, 2006, g)}), {}),
        "fractional time": (d.assign(year=d["year"] + 0.5), {}),
        "infinite outcome": (d.assign(lemp=d["lemp"].where(d.index != 9, np.inf)), {}),
        "empty": (d.iloc[:0], {}),
        "no post period": (d[(g == 0) | (d["year"] < g)], {}),
    }[case]
    with pytest.raises(DataError, match=message):
        _mpdta_fit(panel, **kwargs)


def test_bad_panel_is_a_value_error_too(mpdta):
    with pytest.raises(ValueError, match="repeat a unit-period pair"):
        _mpdta_fit(pd.concat([mpdta, mpdta.iloc[:1]]))


def _notes(res: DidResult) -> str:
    return "\n".join(res.notes)


def test_unbalanced_panel_is_noted(mpdta):
    res = _mpdta_fit(mpdta.drop(index=[5, 6, 100]))
    assert "unbalanced: 2 of 500 units miss some of the 5 periods" in _notes(res)


def test_missing_outcome_rows_are_noted(mpdta):
    res = _mpdta_fit(mpdta.assign(lemp=mpdta["lemp"].where(mpdta.index != 3)))
    assert "1 rows with no value of 'lemp' were left out" in _notes(res)
    assert "unbalanced" in _notes(res)


def test_no_not_yet_treated_comparison_left_is_noted(mpdta):
    res = _mpdta_fit(mpdta[mpdta["first.treat"] != 0])
    notes = _notes(res)
    assert "No unit stays untreated" in notes
    assert "Cohort 2007: no effect for period(s) 2006, 2007" in notes
    assert "Cohort 2004: no effect for period(s) 2007" in notes
    assert not ((res.att_gt["cohort"] == 2007) & (res.att_gt["time"] == 2007)).any()
    assert res.att_gt["att"].notna().all()


def test_too_few_pre_periods_are_noted(mpdta):
    res = _mpdta_fit(mpdta, control="never_treated")
    assert "Cohort 2004 has a single pre-treatment period" in _notes(res)
    always = _mpdta_fit(mpdta.assign(**{"first.treat": mpdta["first.treat"].replace(2004, 2003)}))
    assert "Cohort(s) 2003 (20 units) are treated from the first period on" in _notes(always)
    assert 2003 not in set(always.att_gt["cohort"])
    only = _mpdta_fit(mpdta[mpdta["first.treat"].isin([0, 2004])])
    assert np.isnan(only.pretrend_pvalue)
    assert "parallel trends were not tested" in _notes(only)


def test_other_notes(mpdta):
    g = mpdta["first.treat"]
    late = _mpdta_fit(mpdta.assign(**{"first.treat": g.replace(2007, 2010)}))
    assert "131 units are first treated after the panel ends" in _notes(late)
    gapped = _mpdta_fit(mpdta[mpdta["year"] != 2005])
    assert "not evenly spaced" in _notes(gapped)
    three = mpdta.loc[g == 2004, "countyreal"].unique()[:3]
    small = _mpdta_fit(mpdta[(g != 2004) | mpdta["countyreal"].isin(three)])
    assert "Cohort 2004 has only 3 unit(s)" in _notes(small)
    missing = _mpdta_fit(mpdta.assign(**{"first.treat": g.replace(0, np.nan)}))
    plain = _mpdta_fit(mpdta)
    pd.testing.assert_frame_equal(missing.att_gt, plain.att_gt)


def test_dates_and_periods_as_time(mpdta):
    g = mpdta["first.treat"].replace(0, np.nan)
    as_periods = mpdta.assign(
        year=pd.PeriodIndex(mpdta["year"].astype(str), freq="Y"),
        **{
            "first.treat": pd.PeriodIndex(g.astype("Int64").astype(str).where(g.notna()), freq="Y")
        },
    )
    res = _mpdta_fit(as_periods, control="never_treated")
    assert res.att_gt["time"].iloc[0] == pd.Period("2004", freq="Y")
    cells = res.att_gt.assign(
        key=lambda x: list(zip(x["cohort"].dt.year, x["time"].dt.year, strict=True))
    )
    for key, value in PUBLISHED_POST.items():
        assert round(float(cells.set_index("key").loc[[key], "att"].iloc[0]), 4) == value
    monthly = simulate(seed=1, effect=-2.0)
    monthly["month"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(
        (monthly["month"] - 1) * 31, unit="D"
    )
    monthly["start"] = monthly["start"].map(
        {0: pd.NaT, 4: pd.Timestamp("2024-04-15"), 6: pd.Timestamp("2024-06-01")}
    )
    res = fit_sim(monthly)
    assert res.att_gt["cohort"].iloc[0] == pd.Timestamp("2024-04-01")
    assert res.overall["low"].iloc[0] <= -2.0 <= res.overall["high"].iloc[0]


def test_bad_arguments():
    panel = simulate(0)
    for kwargs in (
        {"control": "everyone"},
        {"anticipation": -1},
        {"confidence": 1.5},
        {"n_bootstrap": 10},
        {"anticipation": 0.5},
    ):
        with pytest.raises(ValueError):
            fit_sim(panel, **kwargs)


def test_anticipation_moves_the_base_period():
    panel = simulate(seed=5, effect=-2.0, n=90)
    # the project acts one month early: the month before the start already saves 2 days
    early = (panel["start"] > 0) & (panel["month"] == panel["start"] - 1)
    panel.loc[early, "days"] -= 2.0
    naive = fit_sim(panel).event_study.set_index("event_time")
    res = fit_sim(panel, anticipation=1).event_study.set_index("event_time")
    assert naive.loc[0, "att"] > -1.0  # the early saving is in the base: effect understated
    assert res.loc[-1, "low"] <= -2.0 <= res.loc[-1, "high"]
    assert res.loc[0, "low"] <= -2.0 <= res.loc[0, "high"]


# --- (4) determinism ------------------------------------------------------------------------


def test_same_seed_same_numbers():
    panel = simulate(seed=11, effect=-1.0)
    a, b = fit_sim(panel, seed=3), fit_sim(panel, seed=3)
    for name in ("att_gt", "event_study", "overall"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    assert a.pretrend_pvalue == b.pretrend_pvalue and a.notes == b.notes
    c = fit_sim(panel, seed=4)
    pd.testing.assert_series_equal(a.att_gt["att"], c.att_gt["att"], check_exact=True)
    assert not a.event_study["low"].equals(c.event_study["low"])


def test_by_cohort_reproduces_r_did_group_aggregate(mpdta_fit):
    # R did: aggte(att_gt(...), type = "group")
    groups = mpdta_fit.by_cohort.set_index("cohort")
    assert tuple(mpdta_fit.by_cohort.columns) == COHORT_COLUMNS
    assert round(float(groups.loc[2004, "att"]), 4) == -0.0797
    assert round(float(groups.loc[2006, "att"]), 4) == -0.0229
    assert round(float(groups.loc[2007, "att"]), 4) == -0.0261
    assert groups["n_units"].to_dict() == {2004: 20, 2006: 40, 2007: 131}


def test_group_time_cells_are_the_estimators_cells(mpdta, mpdta_fit):
    cells, notes = group_time_cells(
        mpdta, "countyreal", "year", "first.treat", "lemp", control="never_treated"
    )
    np.testing.assert_allclose(cells["att"], mpdta_fit.att_gt["att"], atol=1e-12)
    assert notes[0] == mpdta_fit.notes[0]


def test_a_single_unit_cohort_is_said_to_have_too_narrow_intervals(mpdta):
    g = mpdta["first.treat"]
    one = mpdta["countyreal"].isin(mpdta.loc[g == 2004, "countyreal"].unique()[:1])
    res = _mpdta_fit(mpdta[(g != 2004) | one])
    assert "Cohort 2004 has only 1 unit(s): its estimates are noisy and its standard errors" in (
        _notes(res)
    )


# --- (5) service_effects: the panel of municipal service statistics ------------------------


def toy(
    cohorts: dict[str, str | None],
    *,
    months: int = 24,
    effect: float = -0.3,
    trend: float = np.log(0.99),
    seed: int = 0,
    service: str = "s1",
    noise: float = 0.03,
) -> SimpleNamespace:
    """A dataset-like object: one service in municipalities m0, m1, ... with a planted effect.

    ``cohorts`` maps municipality to the date its project was implemented (None: no project);
    the effect starts the month after. Lead times fall by ``trend`` a month everywhere.
    """
    rng = np.random.default_rng(seed)
    idx = pd.period_range("2023-01", periods=months, freq="M")
    rows, projects = [], []
    for k, (m, done) in enumerate(cohorts.items()):
        level = rng.normal(2.3, 0.2)
        start = pd.Period(done, freq="M") + 1 if done else None
        for t, month in enumerate(idx):
            treated = start is not None and month >= start
            y = level + trend * t + effect * treated + rng.normal(0, noise)
            rows.append((m, service, str(month), 20 + k, round(float(np.exp(y)), 3), None, 2))
        if done is not None or k % 3 == 0:  # some untreated municipalities run a project too
            projects.append(
                {
                    "project_id": f"{service}-{m}",
                    "institution_id": f"{m}-adm",
                    "process_name": f"process of {service}",
                    "stage": "closed" if done else "diagnosis",
                    "actual_end": pd.Timestamp(done) + pd.Timedelta(days=60) if done else pd.NaT,
                    "service_id": service,
                    "implemented_on": pd.Timestamp(done) if done else pd.NaT,
                }
            )
    stats = pd.DataFrame(
        rows,
        columns=["municipality_id", "service_id", "month", "n_completed", "mean_lead_days",
                 "median_lead_days", "n_open"],
    )  # fmt: skip
    institutions = pd.DataFrame(
        {"institution_id": [f"{m}-adm" for m in cohorts], "municipality_id": list(cohorts)}
    )
    return SimpleNamespace(
        service_stats=stats, projects=pd.DataFrame(projects), institutions=institutions
    )


def merge(*parts: SimpleNamespace) -> SimpleNamespace:
    return SimpleNamespace(
        service_stats=pd.concat([p.service_stats for p in parts], ignore_index=True),
        projects=pd.concat([p.projects for p in parts], ignore_index=True),
        institutions=pd.concat([p.institutions for p in parts]).drop_duplicates(),
    )


def staggered(n: int = 24, never: int = 8) -> dict[str, str | None]:
    """``n`` municipalities: ``never`` without a project, the rest implemented from 2023-05 on."""
    dates = ["2023-05-10", "2023-08-20", "2023-11-05", "2024-02-15", "2024-06-03"]
    return {f"m{k}": None if k < never else dates[k % len(dates)] for k in range(n)}


def fx_notes(fx, code: str) -> pd.DataFrame:
    return fx.notes[fx.notes["code"] == code]


@pytest.fixture(scope="module")
def sample_ds():
    return em.load_dataset()


@pytest.fixture(scope="module")
def sample_fx(sample_ds):
    return service_effects(sample_ds, n_bootstrap=499)


def test_the_sample_recovers_its_planted_truth(sample_ds, sample_fx):
    truth = planted_effects(sample_ds.report.tables).set_index("service_id")
    o = sample_fx.overall.iloc[0]
    true = float(truth.loc["all", "effect_log"])
    assert o["att_low"] <= true <= o["att_high"]
    assert o["reduction_pct_low"] <= truth.loc["all", "reduction_pct"] <= o["reduction_pct_high"]
    assert o["att_high"] - o["att_low"] < 0.1
    # the before/after comparison credits the projects with the trend: far off, and sure of it
    assert not o["att_low"] <= o["naive_att"] <= o["att_high"]
    assert o["naive_reduction_pct_low"] > truth.loc["all", "reduction_pct"] + 5
    assert o["pretrend_pvalue"] > 0.05
    assert int(o["n_treated"]) == int(truth.loc["all", "n_treated"]) == 67
    assert (int(o["n_units"]), int(o["n_services"])) == (260, 10)
    # by service: the planted effect differs by service; 95 % intervals cover (nearly) all
    s = sample_fx.by_service.set_index("service_id")
    planted = truth["effect_log"].reindex(s.index)
    assert ((s["att_low"] <= planted) & (planted <= s["att_high"])).sum() >= 8
    assert (s["n_treated"] == truth["n_treated"].reindex(s.index)).all()
    # the event study: nothing before the projects, the effect after
    es = sample_fx.event_study.set_index("event_time")
    assert list(es.index) == list(range(-12, 13))
    pre, post = es.loc[-12:-1], es.loc[0:12]
    assert ((pre["low"] <= 0) & (0 <= pre["high"])).all()
    assert ((post["low"] <= true) & (true <= post["high"])).all()
    assert (post["high"] < 0).all()


def test_the_sample_readme_states_the_planted_truth(sample_ds):
    readme = (REPO / "data" / "sample" / "README.md").read_text(encoding="utf-8")
    truth = planted_effects(sample_ds.report.tables).set_index("service_id")
    assert f"**{truth.loc['all', 'reduction_pct']:.1f} %**" in readme
    assert "regional trend of −1 % a month" in readme
    for sid, row in truth.drop(index="all").iterrows():
        assert f"| `{sid}` |" in readme and f"{row['effect_log']:.2f}" in readme


def test_service_effect_tables_have_their_columns_and_no_silent_nan(sample_fx):
    fx = sample_fx
    assert tuple(fx.overall.columns) == OVERALL_EFFECT_COLUMNS
    assert tuple(fx.by_service.columns) == SERVICE_EFFECT_COLUMNS
    assert tuple(fx.by_cohort.columns) == COHORT_EFFECT_COLUMNS
    assert tuple(fx.event_study.columns) == EVENT_COLUMNS
    assert tuple(fx.units.columns) == UNIT_COLUMNS
    assert tuple(fx.notes.columns) == NOTE_COLUMNS
    numbers = [c for c in EFFECT_COLUMNS if c != "pretrend_pvalue"]
    assert fx.overall[numbers].notna().all().all()
    assert fx.by_service[numbers].notna().all().all()
    # a cohort of one municipality has an estimate but no interval: its own noise is unseen
    one = fx.by_cohort["n_treated"] == 1
    assert one.any() and fx.by_cohort.loc[one, "se"].isna().all()
    assert fx.by_cohort.loc[~one, "se"].notna().all()
    # reductions are 100 (1 - e^att), positive = faster, limits swapped
    o = fx.overall.iloc[0]
    assert o["reduction_pct"] == pytest.approx(100 * (1 - np.exp(o["att"])))
    assert o["reduction_pct_low"] == pytest.approx(100 * (1 - np.exp(o["att_high"])))
    assert set(fx.units["status"]) <= {
        "treated", "untreated", "implemented_after_series", "no_pre_period", "no_date"}  # fmt: skip
    assert fx.units["naive_att"].notna().sum() == int(o["n_treated"])
    assert "ServiceEffects(reduction 24." in repr(fx)


def test_every_note_is_worded_in_both_languages(sample_fx):
    for lang in ("ru", "en"):
        texts = sample_fx.note_texts(lang, details=True)
        assert texts and not any("note_eff_" in t or "eff_reason_" in t for t in texts)
    assert sample_fx.note_texts("ru")[0] != sample_fx.note_texts("en")[0]
    assert note_text("all", "no_cases", {"n": 3}, lang="ru").startswith("3 месяц")


def test_toy_panel_recovers_the_effect_where_before_after_is_biased():
    fx = service_effects(toy(staggered(), seed=1), n_bootstrap=199)
    o = fx.overall.iloc[0]
    assert o["att_low"] <= -0.3 <= o["att_high"]
    assert o["naive_att"] < -0.35  # the trend of -1 % a month, credited to the projects
    assert fx.units["status"].value_counts().to_dict() == {"treated": 16, "untreated": 8}


def test_same_seed_same_numbers_and_the_seed_moves_only_the_intervals():
    ds = toy(staggered(), seed=2)
    a, b = (service_effects(ds, n_bootstrap=199, seed=5) for _ in range(2))
    for name, frame in a.tables().items():
        pd.testing.assert_frame_equal(frame, b.tables()[name], check_exact=True)
    c = service_effects(ds, n_bootstrap=199, seed=6)
    assert c.overall["att"].iloc[0] == a.overall["att"].iloc[0]
    assert c.overall["se"].iloc[0] != a.overall["se"].iloc[0]


def test_never_treated_controls_and_unweighted_units_run_and_agree_roughly():
    ds = toy(staggered(), seed=3)
    base = service_effects(ds, n_bootstrap=199).overall.iloc[0]
    for kwargs in ({"control": "never_treated"}, {"weighted": False}):
        o = service_effects(ds, n_bootstrap=199, **kwargs).overall.iloc[0]
        assert o["att"] == pytest.approx(base["att"], abs=0.05)
        assert o["att_low"] <= -0.3 <= o["att_high"]


# --- (6) service_effects: bad panels get clear answers --------------------------------------


def test_repeated_municipality_service_months_are_a_data_error():
    ds = toy(staggered())
    ds.service_stats = pd.concat([ds.service_stats, ds.service_stats.iloc[[3]]])
    with pytest.raises(
        DataError, match=r"repeat a municipality-service-month .*m0 / s1 / 2023-04"
    ):
        service_effects(ds, n_bootstrap=199)


def test_no_statistics_or_no_links_are_data_errors(mini_dir):
    with pytest.raises(DataError, match="no service statistics"):
        service_effects(em.load_dataset(mini_dir))
    ds = toy(staggered())
    ds.projects = ds.projects.assign(service_id=None)
    with pytest.raises(DataError, match="No project names the service it changes"):
        service_effects(ds)
    never = toy({f"m{k}": None for k in range(6)})
    with pytest.raises(DataError, match="No municipality-service was treated"):
        service_effects(never)


def test_a_service_treated_everywhere_at_once_is_left_out_and_said():
    same = toy({f"m{k}": "2023-09-01" for k in range(10)}, service="s2")
    fx = service_effects(merge(toy(staggered()), same), n_bootstrap=199)
    skipped = fx_notes(fx, "service_skipped")
    assert list(skipped["scope"]) == ["s2"] and "everyone_at_once" in skipped["params"].iloc[0]
    assert list(fx.by_service["service_id"]) == ["s1"]
    assert "s2: not estimated: every municipality implemented it in the same month" in " ".join(
        fx.note_texts("en")
    )
    with pytest.raises(DataError, match=r"No service could be estimated \(s2: everyone_at_once\)"):
        service_effects(same, n_bootstrap=199)


def test_a_cohort_with_no_not_yet_treated_comparison_left_is_noted():
    everyone = {f"m{k}": d for k, d in enumerate(["2023-04-10"] * 6 + ["2024-03-10"] * 6)}
    fx = service_effects(toy(everyone), n_bootstrap=199)
    left = list(fx_notes(fx, "no_comparison_left")["params"])
    # the first cohort loses its comparison when the second is treated; the second has none
    # from the month the first is treated on (not even for its pre-trend check)
    assert left == [
        '{"cohort": "2023-05", "first": "2024-04", "n": 9}',
        '{"cohort": "2024-04", "first": "2023-05", "n": 20}',
    ]
    assert "cohort 2023-05 has no untreated comparison left from 2024-04 on" in " ".join(
        fx.note_texts("en")
    )
    assert fx.overall[["att", "att_low", "att_high"]].notna().all().all()
    with pytest.raises(DataError, match="no_never_treated"):
        service_effects(toy(everyone), control="never_treated", n_bootstrap=199)


def test_too_few_pre_periods_are_noted_or_left_out():
    cohorts = staggered() | {"m8": "2023-01-20", "m9": "2022-11-01"}  # 1 month before; none
    fx = service_effects(toy(cohorts), n_bootstrap=199)
    units = fx.units.set_index("municipality_id")
    assert units.loc["m8", "status"] == "treated" and units.loc["m8", "n_pre"] == 1
    assert units.loc["m9", "status"] == "no_pre_period"
    assert '"n": 1' in fx_notes(fx, "few_pre")["params"].iloc[0]
    assert '"n": 1' in fx_notes(fx, "no_pre")["params"].iloc[0]


def test_gaps_empty_months_and_zero_lead_times_are_noted_not_silent():
    ds = toy(staggered())
    s = ds.service_stats
    gap = (s["municipality_id"] == "m3") & s["month"].isin(["2023-06", "2023-07"])
    empty = (s["municipality_id"] == "m4") & (s["month"] == "2023-03")
    zero = (s["municipality_id"] == "m5") & (s["month"] == "2023-04")
    s.loc[empty, ["n_completed", "mean_lead_days"]] = [0, np.nan]
    s.loc[zero, "mean_lead_days"] = 0.0
    ds.service_stats = s[~gap]
    fx = service_effects(ds, n_bootstrap=199)
    params = {c: fx_notes(fx, c)["params"].iloc[0] for c in ("gaps", "no_cases", "zero_lead")}
    assert params == {
        "gaps": '{"months": 2, "n": 1}',  # m3 misses two months
        "no_cases": '{"n": 1}',
        "zero_lead": '{"n": 1}',
    }
    absent = toy(staggered())
    absent.service_stats = absent.service_stats[absent.service_stats["month"] != "2023-10"]
    fx = service_effects(absent, n_bootstrap=199)
    assert "2023-10" in fx_notes(fx, "absent_months")["params"].iloc[0]
    assert fx.overall["att"].notna().all()


def test_missing_implementation_dates_fall_back_or_leave_units_out():
    ds = toy(staggered())
    p = ds.projects
    closed = p["implemented_on"].notna()
    p.loc[closed & (p["institution_id"] == "m8-adm"), "implemented_on"] = pd.NaT
    sustain = closed & (p["institution_id"] == "m9-adm")
    p.loc[sustain, ["implemented_on", "actual_end", "stage"]] = [pd.NaT, pd.NaT, "sustain"]
    late = closed & (p["institution_id"] == "m10-adm")
    p.loc[late, "implemented_on"] = pd.Timestamp("2025-06-01")  # after the statistics end
    fx = service_effects(ds, n_bootstrap=199)
    units = fx.units.set_index("municipality_id")["status"]
    assert (units["m9"], units["m10"]) == ("no_date", "implemented_after_series")
    assert units["m8"] == "treated"  # dated by its actual_end
    for code in ("date_fallback", "no_date", "after_series"):
        assert len(fx_notes(fx, code)) == 1, code


# --- (7) the analysis, the command line -----------------------------------------------------


def test_the_analysis_holds_the_effects_and_caches_them(sample_ds, tmp_path, monkeypatch):
    monkeypatch.setenv("EFFMUNI_CACHE", str(tmp_path))
    config = em.AnalysisConfig(n_boot=0, maturity_n_boot=0)
    first = em.analyse(sample_ds, config)
    direct = service_effects(sample_ds, confidence=0.95, seed=0)
    pd.testing.assert_frame_equal(first.effects_overall, direct.overall)
    second = em.analyse(sample_ds, config)  # from the cache: Parquet tables
    for name in ("effects_overall", "effects_service", "effects_cohort", "effects_event",
                 "effects_units", "effects_notes"):  # fmt: skip
        pd.testing.assert_frame_equal(
            getattr(second, name), getattr(first, name), check_dtype=False
        )
    assert second.effects.note_texts("en") == first.effects.note_texts("en")
    other = em.analyse(sample_ds, config.replace(did_control="never_treated"), cache=False)
    assert other.key != first.key and other.effects.control == "never_treated"
    with pytest.raises(ValueError, match="did_control"):
        em.AnalysisConfig(did_control="everyone")
    paragraph = municipality_effects_text(first, "cheboksary", lang="ru")
    u = first.effects_units
    mine = u[(u["municipality_id"] == "cheboksary") & (u["status"] == "treated")]
    assert paragraph.startswith("Статистика услуг:") and "24,4" in paragraph
    # service ids (no names given) are shown as written, escaped for Markdown
    assert len(mine) and all(em.text.md_escape(s) in paragraph for s in mine["service_id"])


def test_an_analysis_without_statistics_says_why(mini_dir):
    a = em.analyse(em.load_dataset(mini_dir), em.AnalysisConfig(n_boot=0), cache=False)
    assert a.effects is None and a.effects_overall.empty
    assert any("no service statistics" in n for n in a.notes)
    ru = municipality_effects_text(a, "cheboksary", lang="ru")
    assert "не оценён: в наборе нет статистики услуг" in ru  # the reason in Russian too
    # statistics, but no project names its service: that reason in Russian as well
    ds = em.load_dataset()
    ds.projects = ds.projects.assign(service_id=pd.NA)
    a = em.analyse(ds, em.AnalysisConfig(n_boot=0, maturity_n_boot=0), cache=False)
    assert a.effects is None
    ru = em.effects.effects_none_text(a, "ru")
    assert ru.endswith("ни один проект не указывает услугу, которую он меняет (столбец "
                       "service_id таблицы проектов): оценивать нечего.")  # fmt: skip


def test_cli_effects_writes_excel_in_english_and_csv_in_russian(tmp_path):
    xlsx = tmp_path / "effects.xlsx"
    r = run_cli("effects", "--lang", "en", "--out", str(xlsx))
    assert r.returncode == 0, r.stderr
    sheets = pd.read_excel(xlsx, sheet_name=None, engine="openpyxl")
    assert list(sheets) == [
        "Effect by service", "Effect by cohort", "Effect by month", "Municipality-services",
        "Notes"]  # fmt: skip
    summary = sheets["Effect by service"].set_index("Service")
    assert summary.loc["All services", "Lead-time reduction (causal), %"] == pytest.approx(
        24.4, abs=0.5
    )
    assert "Lead-time reduction, before/after, %" in summary.columns
    csv = tmp_path / "effects.csv"
    r = run_cli("effects", "data/sample", "--out", str(csv))
    assert r.returncode == 0, r.stderr
    frame = pd.read_csv(csv, encoding="utf-8-sig")
    assert frame.columns[0] == "Услуга" and frame.iloc[0, 0] == "Все услуги"
    assert "Сокращение ВПП (причинный эффект), %" in frame.columns


def test_cli_effects_prints_and_fails_clearly(mini_dir):
    r = run_cli("effects", "--lang", "en")
    assert r.returncode == 0, r.stderr
    assert "Projects cut service lead times by 24.4 %" in r.stdout
    assert "Pre-trend test over the 12 months before implementation" in r.stdout
    # services by their process names, in the table and in the notes; numbers as the reader
    # writes them (a decimal comma in Russian)
    fx = em.analyse(em.load_dataset()).effects
    names = em.effects.service_names(em.load_dataset())
    ru = run_cli("effects")
    assert ru.returncode == 0, ru.stderr
    for sid in fx.by_service["service_id"]:
        assert (
            names[sid] in ru.stdout and f"{sid}:" not in ru.stdout and f" {sid} " not in ru.stdout
        )
    scoped = fx.notes.loc[(fx.notes["scope"] != "all") & (fx.notes["code"] != "detail"), "scope"]
    assert len(scoped) and all(f"- {names[s]}: " in ru.stdout for s in scoped)
    first = fx.by_service.iloc[0]
    assert em.text.fmt_number(first["reduction_pct"], digits=1) in ru.stdout
    r = run_cli("effects", str(mini_dir), "--lang", "en")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "not estimated" in r.stderr and "no service statistics" in r.stderr
