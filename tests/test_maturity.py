"""Lean-maturity features, clustering, the rule-based index and their comparison."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import DATA, edit
from sklearn.metrics import adjusted_rand_score
from sklearn.pipeline import Pipeline

import effmuni as em
from effmuni import labels
from effmuni.maturity import (
    FEATURE_GROUPS,
    FEATURES,
    INDEX_ANCHORS,
    default_index_weights,
)

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


def planted(n_per=(8, 8, 8), p=12, sep=1.6, noise=0.5, seed=1):
    """Features with k planted groups; group g has mean (g − mid) × sep on every feature."""
    rng = np.random.default_rng(seed)
    k = len(n_per)
    truth = np.repeat(np.arange(k), n_per)
    X = (truth[:, None] - (k - 1) / 2) * sep + rng.normal(0, noise, (len(truth), p))
    order = rng.permutation(len(truth))  # rows not sorted by group
    ids = [f"m{i:02d}" for i in range(len(truth))]
    cols = [f"f{j}" for j in range(p)]
    frame = pd.DataFrame(X[order], index=pd.Index(ids, name="municipality_id"), columns=cols)
    return frame, pd.Series(truth[order] + 1, index=frame.index)


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
        "median_reduction_pct": 0.0,
        "target_reached_share": 0.0,
        "sustained_share": 0.0,
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


def test_a_municipality_without_projects_gets_defined_values(mini_copy):
    with (mini_copy / "municipalities.csv").open("a", encoding="utf-8") as fh:
        fh.write("yadrinsky,Ядринский,Yadrinsky,municipal_okrug,30500,,,,\n")
    f = em.maturity_features(em.load_dataset(mini_copy))
    row = f.loc["yadrinsky"]
    assert row.notna().all()
    assert (row == 0).all()  # no projects, no model institution, no engagement rows
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
    assert c["closed_share"] == 0.0 and c["sustained_share"] == 0.0
    assert c["median_reduction_pct"] == 0.0  # p1's actual value is dated 2023-07-15
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


# --------------------------------------------------------------------------- clustering


@pytest.mark.parametrize("method", ["ward", "kmeans", "gmm"])
def test_recovers_planted_structure(method):
    x, truth = planted()
    r = em.cluster_maturity(x, method=method, seed=0, n_boot=20)
    assert r.k == 3
    assert adjusted_rand_score(truth, r.levels) == 1.0
    assert (r.levels == truth).all()  # right order: the lowest group is level 1
    assert r.silhouette > 0.5 and r.stability > 0.8
    assert r.sizes.tolist() == [8, 8, 8]


def test_recovers_two_and_four_planted_groups():
    for n_per in [(10, 10), (6, 6, 6, 6)]:
        x, truth = planted(n_per=n_per, sep=2.0, seed=3)
        r = em.cluster_maturity(x, seed=0, n_boot=0)
        assert r.k == len(n_per)
        assert (r.levels == truth).all()


def test_levels_are_ordered_by_the_composite_score():
    x, _ = planted(sep=0.8, noise=0.8, seed=5)
    for method in ("ward", "kmeans", "gmm"):
        r = em.cluster_maturity(x, k=4, method=method, n_boot=0)
        means = r.scores.groupby(r.levels).mean()
        assert means.index.tolist() == [1, 2, 3, 4]
        assert means.is_monotonic_increasing
        np.testing.assert_allclose(r.scores, r.standardised.mean(axis=1))
        assert r.levels.name == "level" and r.levels.dtype.kind == "i"


@pytest.mark.parametrize("method", ["ward", "kmeans", "gmm"])
def test_deterministic_for_a_seed(method):
    x, _ = planted(sep=0.6, noise=1.0, seed=11)
    a = em.cluster_maturity(x, method=method, seed=7, n_boot=15)
    b = em.cluster_maturity(x, method=method, seed=7, n_boot=15)
    pd.testing.assert_series_equal(a.levels, b.levels)
    np.testing.assert_array_equal(a.stability_samples, b.stability_samples)
    assert a.k == b.k and a.stability == b.stability
    if method == "gmm":
        pd.testing.assert_frame_equal(a.probabilities, b.probabilities)


def test_k_auto_limits():
    x, _ = planted(n_per=(4, 4, 4), seed=2)  # n = 12: k at most 4
    r = em.cluster_maturity(x, n_boot=0)
    assert r.selection["k"].tolist() == [2, 3, 4]
    assert r.selection["chosen"].sum() == 1
    x, _ = planted(n_per=(9, 9, 9, 9), seed=2)  # n = 36: k at most 6
    assert em.cluster_maturity(x, n_boot=0).selection["k"].max() == 6
    x, _ = planted(n_per=(3, 3, 2), seed=2)  # n = 8: only k = 2
    assert em.cluster_maturity(x, n_boot=0).selection["k"].tolist() == [2]
    with pytest.raises(ValueError, match="at least 6"):
        em.cluster_maturity(x.iloc[:5], n_boot=0)


def test_explicit_k_limits():
    x, _ = planted(n_per=(3, 3, 3), seed=2)
    assert em.cluster_maturity(x, k=8, n_boot=0).k == 8  # n − 1 is allowed on request
    for bad in (1, 9, 0, 2.5, "three", True):
        with pytest.raises(ValueError, match="k must"):
            em.cluster_maturity(x, k=bad, n_boot=0)


def test_robust_to_a_constant_column_and_missing_values():
    x, truth = planted(seed=4)
    base = em.cluster_maturity(x, n_boot=0)
    const = x.assign(constant=1.0)
    r = em.cluster_maturity(const, n_boot=0)
    pd.testing.assert_series_equal(r.levels, base.levels)
    assert (r.standardised["constant"] == 0).all()
    holes = x.copy()
    holes.iloc[0, 0] = np.nan
    holes.iloc[5, 3] = np.nan
    holes["empty"] = np.nan
    r = em.cluster_maturity(holes, n_boot=0)
    assert r.scores.notna().all() and r.standardised.notna().all().all()
    assert adjusted_rand_score(truth, r.levels) == 1.0
    assert list(r.profiles.columns) == list(holes.columns)


def test_degenerate_inputs_give_clear_errors():
    x, _ = planted(seed=4)
    with pytest.raises(ValueError, match="at least 3 municipalities"):
        em.cluster_maturity(x.iloc[:1], k=2)
    with pytest.raises(ValueError, match="at least 3 municipalities"):
        em.cluster_maturity(x.iloc[:2], k=2)
    with pytest.raises(ValueError, match="do not vary"):
        em.cluster_maturity(pd.DataFrame({"a": [1.0] * 9, "b": [2.0] * 9}))
    with pytest.raises(ValueError, match="numeric"):
        em.cluster_maturity(x.assign(name="x"))
    with pytest.raises(ValueError, match="infinite"):
        em.cluster_maturity(x.assign(f0=np.inf))
    with pytest.raises(ValueError, match="duplicate"):
        em.cluster_maturity(pd.concat([x, x.iloc[:1]]))
    with pytest.raises(ValueError, match="method"):
        em.cluster_maturity(x, method="dbscan")
    with pytest.raises(TypeError):
        em.cluster_maturity(x.to_numpy())


def test_model_is_the_fitted_pipeline_and_predicts_levels():
    x, _ = planted(seed=6)
    for method, last in (("ward", "AgglomerativeClustering"), ("kmeans", "KMeans")):
        r = em.cluster_maturity(x, method=method, n_boot=0)
        assert isinstance(r.model, Pipeline)
        assert [name for name, _ in r.model.steps] == ["impute", "scale", "cluster"]
        assert type(r.model[-1]).__name__ == last
        pd.testing.assert_series_equal(r.predict(x), r.levels)
    r = em.cluster_maturity(x, method="gmm", n_boot=0)
    assert type(r.model[-1]).__name__ == "GaussianMixture" and r.converged
    pd.testing.assert_series_equal(r.predict(x), r.levels)


def test_gmm_gives_probabilities_per_level():
    x, _ = planted(seed=8)
    r = em.cluster_maturity(x, method="gmm", n_boot=0)
    p = r.probabilities
    assert p.columns.tolist() == [1, 2, 3]
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert (p.idxmax(axis=1) == r.levels).all()
    assert r.selection["bic"].notna().all()
    assert em.cluster_maturity(x, n_boot=0).probabilities is None


def test_stability_and_tables():
    x, _ = planted(sep=0.7, noise=1.0, seed=9)
    r = em.cluster_maturity(x, k=3, n_boot=30)
    assert -1 <= r.stability <= 1 and len(r.stability_samples) == 30
    assert r.level_stability.index.tolist() == [1, 2, 3]
    assert r.level_stability.between(0, 1).all()
    assert np.isnan(em.cluster_maturity(x, k=3, n_boot=0).stability)
    table = r.level_table(lang="en")
    assert table["level"].is_monotonic_decreasing
    assert set(table["level_name"]) == {"Lagging", "Developing", "Leading"}
    assert r.profiles.shape == (3, x.shape[1]) and r.profiles_z.shape == (3, x.shape[1])
    s = r.summary("en")
    assert s["item"].tolist()[:2] == ["Method", "Number of groups k"]


def test_level_names_by_k():
    x, _ = planted(n_per=(6, 6, 6, 6), seed=2)
    for k, first, last in [(2, "Отстающие", "Продвинутые"), (6, "Неактивные", "Лидеры")]:
        names = em.cluster_maturity(x, k=k, n_boot=0).level_names("ru")
        assert names.index.tolist() == list(range(1, k + 1))
        assert (names.iloc[0], names.iloc[-1]) == (first, last)


def test_sample_clustering_with_context(sample, sample_features):
    ctx = em.municipality_context(sample)
    r = em.cluster_maturity(sample_features, n_boot=20)
    assert 2 <= r.k <= 6 and r.levels.between(1, r.k).all()
    table = r.level_table(ctx, lang="ru")
    assert table.index.tolist() != [] and table["name"].str.contains("[А-Яа-я]").all()
    prof = r.context_profile(ctx, lang="en")
    assert prof["n_municipalities"].sum() == 26
    assert prof["merger_affected"].sum() == 6  # three merged city okrugs, three successors


# --------------------------------------------------------------------------- index


def _frame(values: dict[str, float], index=("a",)) -> pd.DataFrame:
    return pd.DataFrame(values, index=pd.Index(list(index), name="municipality_id"))


def test_default_weights_give_each_aspect_the_same_share():
    w = default_index_weights()
    assert set(w) == set(FEATURES) and sum(w.values()) == pytest.approx(1.0)
    per_aspect = pd.Series(w).groupby(FEATURE_GROUPS).sum()
    np.testing.assert_allclose(per_aspect, 1 / 7)
    assert set(INDEX_ANCHORS) == set(FEATURES)


def test_index_full_and_empty_marks():
    full = _frame({f: [INDEX_ANCHORS[f] * 2] for f in FEATURES})
    out = em.maturity_index(full, lang="en")
    assert out.loc["a", "index_score"] == 100.0
    assert out.loc["a", "index_level"] == 5 and out.loc["a", "index_level_name"] == "Exemplary"
    assert not out.loc["a", "capped"]
    assert (out.filter(like="aspect_") == 100).all().all()
    zero = _frame({f: [0.0] for f in FEATURES})
    out = em.maturity_index(zero)
    assert out.loc["a", "index_score"] == 0 and out.loc["a", "index_level"] == 1


def test_index_levels_are_gated_by_model_institutions():
    full = {f: [INDEX_ANCHORS[f]] * 4 for f in FEATURES}
    full["top_model_level"] = [0, 1, 2, 3]
    full["models_per_10k"] = [0.0, 1.0, 1.0, 1.0]
    out = em.maturity_index(_frame(full, index="abcd"))
    assert out["index_level"].tolist() == [2, 3, 4, 5]
    assert out["capped"].tolist() == [True, True, True, False]
    assert out.loc["a", "index_score"] > 80  # the score itself is not changed


def test_index_weights_anchors_and_missing_values():
    f = _frame({"trained_share": [0.25, 0.5], "closed_share": [1.0, np.nan]}, index="ab")
    out = em.maturity_index(f, weights={"trained_share": 1.0})
    assert out["index_score"].tolist() == [50.0, 100.0]
    out = em.maturity_index(f, weights={"trained_share": 1, "closed_share": 1})
    assert out.loc["a", "index_score"] == 75.0
    assert out.loc["b", "index_score"] == 100.0  # the missing value is left out
    out = em.maturity_index(f, weights={"trained_share": 1}, anchors={"trained_share": 1.0})
    assert out.loc["a", "index_score"] == 25.0
    with pytest.raises(ValueError, match="not columns"):
        em.maturity_index(f, weights={"staff": 1})
    with pytest.raises(ValueError, match="non-negative"):
        em.maturity_index(f, weights={"trained_share": -1})
    with pytest.raises(ValueError, match="anchor"):
        em.maturity_index(f.assign(other=1.0), weights={"other": 1})


def test_index_level_wording():
    for lang in ("ru", "en"):
        lv = em.maturity_index_levels(lang)
        assert lv["level"].tolist() == [1, 2, 3, 4, 5]
        assert lv["description"].str.contains("LESAT").all()
    assert em.maturity_index_levels("ru")["name"].iloc[-1] == "Образцовый"


# --------------------------------------------------------------------------- comparison


def test_comparison_of_clusters_and_index():
    x, truth = planted(seed=12)
    r = em.cluster_maturity(x, n_boot=0)
    # an index that agrees with the truth, except one municipality placed at the top
    idx = pd.DataFrame(
        {
            "index_score": truth * 30.0,
            "index_level": (truth * 2 - 1).astype("Int64"),  # 1, 3, 5
        }
    )
    odd = truth[truth == 1].index[0]
    idx.loc[odd, ["index_score", "index_level"]] = [95.0, 5]
    cmp = em.compare_levels(r, idx)
    assert int(cmp.crosstab.to_numpy().sum()) == len(x)
    assert cmp.crosstab.loc[1, 5] == 1 and cmp.crosstab.loc[3, 5] == 8
    assert cmp.disagreements.index.tolist() == [odd]
    assert 0.8 < cmp.spearman_levels < 1.0
    with pytest.raises(ValueError, match="no municipality"):
        em.compare_levels(r, idx.rename(index=lambda s: s + "x"))


def test_comparison_on_the_sample(sample_features):
    r = em.cluster_maturity(sample_features, k=3, n_boot=0)
    cmp = em.compare_levels(r, em.maturity_index(sample_features))
    assert cmp.crosstab.shape == (3, 5)
    assert cmp.spearman_scores > 0.7
    assert cmp.table["disagree"].dtype == bool
