"""Lean-maturity features, their definitions and the context kept aside."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import DATA, edit

import effmuni as em
from effmuni import text as labels
from effmuni.maturity import FEATURE_GROUPS, FEATURES
from effmuni.maturity.features import MAY_BE_MISSING

# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def sample():
    return em.load_dataset()


@pytest.fixture(scope="module")
def sample_features(sample):
    return em.maturity_features(sample)


@pytest.fixture(scope="module")
def mini():
    return em.load_dataset(DATA / "mini")


# --------------------------------------------------------------------------- features


MINI_EXPECTED = {
    # hand-computed from tests/data/mini (window 2023Q1–2024Q4: 8 quarters)
    "cheboksary": {
        "active_quarter_share": 2 / 8,  # starts in 2023Q1 (p1) and 2023Q2 (p2)
        "projects_per_quarter": 2 / 8,
        "closed_share": 1 / 2,  # p1 closed; p2 due (planned end 2023-10-10) and open
        "on_time_share": 1 / 2,  # p1 closed 2023-07-20, planned 2023-08-01
        "median_reduction_pct": 60.0,  # p1: 10 → 4 days; p2 is a regulation limit: left out
        "target_reached_share": 1.0,  # p1: 4 ≤ 5 days
        "sustained_share": 1.0,  # p1 has after-phase case timings
        "models_per_10k": 2 / 508_100 * 10_000,  # one regional model institution (weight 2)
        "top_model_level": 2.0,
        "trained_share": 80 / 400,  # latest quarter 2023Q2
        "proposals_per_100_staff": 400 * (12 + 20) / (400 + 400),
        "proposals_implemented_share": (5 + 9) / (12 + 20),
        "measured_baseline_share": 1 / 2,
    },
    "kanashsky": {
        "active_quarter_share": 1 / 8,
        "projects_per_quarter": 1 / 8,
        "closed_share": 1.0,
        "on_time_share": 0.0,  # p3 closed 2024-08-01 after its planned end 2024-06-30
        "median_reduction_pct": 50.0,  # 48 h → 1440 min
        "target_reached_share": 1.0,  # no passport target: 50 % ≥ target_reduction_pct 30
        "sustained_share": 1.0,
        "models_per_10k": 1 / 40_987 * 10_000,
        "top_model_level": 1.0,
        "trained_share": 10 / 120,
        "proposals_per_100_staff": 400 * 3 / 120,
        "proposals_implemented_share": 1 / 3,
        "measured_baseline_share": 1.0,
    },
    "kanash": {
        "active_quarter_share": 1 / 8,  # p4 started 2024Q2 (then cancelled)
        "projects_per_quarter": 1 / 8,
        "closed_share": 0.0,  # p4 due 2024-11-01, cancelled
        "on_time_share": 0.0,
        "median_reduction_pct": np.nan,  # no comparable result: missing, not 0
        "target_reached_share": np.nan,  # no result to judge
        "sustained_share": np.nan,  # no closed project
        "models_per_10k": 0.0,
        "top_model_level": 0.0,
        "trained_share": 15 / 90,
        "proposals_per_100_staff": 400 * 2 / 90,
        "proposals_implemented_share": 1.0,
        "measured_baseline_share": 0.0,  # an estimate
    },
}


def test_features_on_the_hand_made_dataset(mini):
    f = em.maturity_features(mini)
    assert list(f.columns) == list(FEATURES)
    assert f.index.name == "municipality_id"
    assert f.index.tolist() == ["cheboksary", "kanashsky", "kanash"]
    expected = pd.DataFrame(MINI_EXPECTED).T.loc[f.index, list(FEATURES)]
    pd.testing.assert_frame_equal(f, expected.astype("float64"), check_names=False)


def test_every_feature_is_defined_and_labelled():
    for lang in ("ru", "en"):
        d = em.maturity_definitions(lang)
        assert d["feature"].tolist() == list(FEATURES)
        assert d["definition"].str.len().gt(20).all()
        assert d["no_data"].str.len().gt(0).all()
    assert labels.missing(FEATURES) == []
    assert set(FEATURE_GROUPS.values()) == {
        "cadence",
        "delivery",
        "results",
        "sustainment",
        "models",
        "people",
        "data_quality",
    }
    assert labels.label("median_reduction_pct", "en") == "Median lead-time reduction, %"


def test_a_municipality_without_projects_gets_counts_of_0_and_missing_shares(mini_copy):
    with (mini_copy / "municipalities.csv").open("a", encoding="utf-8") as fh:
        fh.write("yadrinsky,Ядринский,Yadrinsky,municipal_okrug,30500,,,,\n")
    f = em.maturity_features(em.load_dataset(mini_copy))
    row = f.loc["yadrinsky"]
    # no projects started, no model institution: counts of 0
    counted = ["active_quarter_share", "projects_per_quarter", "models_per_10k", "top_model_level"]
    assert (row[counted] == 0).all()
    # nothing to measure a share, a median or a rate on: missing, never 0
    assert set(row.index[row.isna()]) == set(FEATURES) - set(counted)
    assert set(row.index[row.isna()]) <= set(MAY_BE_MISSING)
    ctx = em.municipality_context(em.load_dataset(mini_copy))
    assert ctx.loc["yadrinsky", "n_projects"] == 0
    assert ctx.loc["yadrinsky", "n_quarters"] == 8


def test_regulation_limit_baselines_do_not_count_as_results(mini_copy):
    # p2 (regulation-limit baseline, 30 working days) closes at 6 working days: −80 %
    edit(
        mini_copy / "projects.csv",
        "2023-10-10,,implementation",
        "2023-10-10,2023-09-30,closed",
    )
    with (mini_copy / "passport.csv").open("a", encoding="utf-8") as fh:
        fh.write("p2,lead_time,actual,6,workday,mean,20,2023-10-01\n")
    f = em.maturity_features(em.load_dataset(mini_copy)).loc["cheboksary"]
    assert f["closed_share"] == 1.0 and f["on_time_share"] == 1.0
    assert f["median_reduction_pct"] == 60.0  # p1 only
    assert f["target_reached_share"] == 1.0  # p1 only
    assert f["sustained_share"] == 0.5  # p2 closed with no map, after-cases or follow-up


@pytest.mark.parametrize(("followup", "sustained"), [(5.4, 1.0), (8.0, 0.5)])
def test_a_holding_follow_up_counts_as_sustained(mini_copy, followup, sustained):
    with (mini_copy / "projects.csv").open("a", encoding="utf-8") as fh:
        fh.write(
            "p5,kanashsky-mfc,Выдача справок,2024-02-01,2024-05-01,2024-04-20,closed,,,measured\n"
        )
    with (mini_copy / "passport.csv").open("a", encoding="utf-8") as fh:
        fh.write("p5,lead_time,baseline,10,day,single,,2024-02-01\n")
        fh.write("p5,lead_time,actual,5,day,single,,2024-04-25\n")
        fh.write(f"p5,lead_time,followup,{followup},day,single,,2024-10-25\n")
    f = em.maturity_features(em.load_dataset(mini_copy)).loc["kanashsky"]
    assert f["sustained_share"] == sustained  # p3 holds by its after-phase cases


def test_as_of_cuts_projects_quarters_and_closures(mini):
    # 2023-06-30 ends 2023Q2: two complete quarters; p1 closes only on 2023-07-20
    f = em.maturity_features(mini, as_of="2023-06-30")
    assert f.index.tolist() == ["cheboksary", "kanashsky", "kanash"]
    c = f.loc["cheboksary"]
    assert c["active_quarter_share"] == 1.0 and c["projects_per_quarter"] == 1.0
    # nothing due yet (p1 planned 2023-08-01) and nothing closed: missing, not 0
    assert np.isnan(c["closed_share"]) and np.isnan(c["sustained_share"])
    assert np.isnan(c["median_reduction_pct"])  # p1's actual value is dated 2023-07-15
    assert c["models_per_10k"] == pytest.approx(2 / 508_100 * 10_000)  # granted 2023-06-01
    assert f.loc["kanashsky", "projects_per_quarter"] == 0.0  # p3 starts in 2024
    assert f.loc["kanashsky", "models_per_10k"] == 0.0  # status granted 2024-03-15


def test_the_running_quarter_is_not_a_missed_quarter(mini):
    # on 2023-05-15 only 2023Q1 has ended: p2 (April) counts as a project, not for cadence
    f = em.maturity_features(mini, as_of="2023-05-15").loc["cheboksary"]
    assert f["active_quarter_share"] == 1.0
    assert f["projects_per_quarter"] == 1.0
    assert f["measured_baseline_share"] == 0.5  # p1 measured, p2 a regulation limit


def test_merged_unit_is_folded_into_its_successor(mini):
    f = em.maturity_features(mini, as_of="2025-01-01")
    assert f.index.tolist() == ["cheboksary", "kanashsky"]  # kanash ceased 2024-12-31
    k = f.loc["kanashsky"]
    assert k["active_quarter_share"] == 2 / 8  # own 2024Q1 plus kanash's 2024Q2
    assert k["closed_share"] == 1 / 2  # p3 closed, kanash's p4 cancelled
    assert k["models_per_10k"] == pytest.approx(10_000 / (40_987 + 47_069))
    assert k["proposals_per_100_staff"] == pytest.approx(400 * (3 + 2) / (120 + 90))
    ctx = em.municipality_context(mini, as_of="2025-01-01")
    assert ctx.loc["kanashsky", "population"] == 40_987 + 47_069
    assert ctx.loc["kanashsky", "folded"] == "kanash"
    assert ctx.loc["kanashsky", "n_projects"] == 2


def test_merged_history_can_be_dropped(mini):
    dropped = em.maturity_features(mini, as_of="2025-01-01", merged="drop")
    own = em.maturity_features(mini)
    assert dropped.index.tolist() == ["cheboksary", "kanashsky"]
    pd.testing.assert_series_equal(dropped.loc["kanashsky"], own.loc["kanashsky"])
    ctx = em.municipality_context(mini, as_of="2025-01-01", merged="drop")
    assert ctx.loc["kanashsky", "population"] == 40_987
    assert ctx.loc["kanashsky", "folded"] == ""
    assert ctx.loc["kanashsky", "predecessors"] == "kanash"


def test_context_flags_mergers_without_as_of(mini):
    ctx = em.municipality_context(mini)
    assert ctx["merged"].tolist() == [False, False, True]
    assert ctx.loc["kanash", "successor_id"] == "kanashsky"
    assert ctx.loc["kanashsky", "predecessors"] == "kanash"
    assert {"population", "kind", "n_institutions"} <= set(ctx.columns)


def test_bad_arguments_are_clear(mini):
    with pytest.raises(ValueError, match="as_of"):
        em.maturity_features(mini, as_of="not a date")
    with pytest.raises(ValueError, match="merged"):
        em.maturity_features(mini, merged="keep")
    with pytest.raises(ValueError, match="model_weights"):
        em.maturity_features(mini, model_weights={"national": 5})


def test_model_weights_can_be_changed(mini):
    f = em.maturity_features(mini, model_weights={"local": 1, "regional": 10, "federal": 100})
    assert f.loc["cheboksary", "models_per_10k"] == pytest.approx(10 / 508_100 * 10_000)


def test_sample_features_are_complete_and_in_range(sample, sample_features):
    f = sample_features
    assert f.shape == (26, len(FEATURES)) and f.notna().all().all()
    shares = [c for c in f.columns if c.endswith("_share")]
    assert f[shares].ge(0).all().all() and f[shares].le(1).all().all()
    assert f["top_model_level"].isin([0, 1, 2, 3]).all()
    after = em.maturity_features(sample, as_of="2025-12-31")
    assert len(after) == 23
    assert not {"kanash", "alatyr", "shumerlya"} & set(after.index)


def test_sample_features_track_the_planted_maturity(sample_features):
    """The sample plants a latent maturity per municipality; the features must follow it."""
    from scipy.stats import spearmanr

    from effmuni import synth

    draw = getattr(synth, "_draw_maturity", None)
    if draw is None:  # pragma: no cover - the generator's internals changed
        pytest.skip("effmuni.synth no longer exposes the planted maturity")
    latent = pd.Series(
        {m: v[1] for m, v in draw(np.random.default_rng(2023), synth._municipalities()).items()}
    ).reindex(sample_features.index)
    result = em.cluster_maturity(sample_features, k=3, n_boot=0)
    assert spearmanr(result.scores, latent).statistic > 0.8
    index = em.maturity_index(sample_features)
    assert spearmanr(index["index_score"], latent).statistic > 0.8
