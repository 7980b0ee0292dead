"""Staggered difference-in-differences (effmuni.effects) on the real library, no mocks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from effmuni.effects import (
    ATT_GT_COLUMNS,
    EVENT_STUDY_COLUMNS,
    OVERALL_COLUMNS,
    DidResult,
    staggered_did,
)
from effmuni.effects._panel import prepare_panel
from effmuni.effects.did import pre_treatment_cells
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
