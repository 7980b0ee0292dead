"""Data-driven maturity levels: cluster_maturity and MaturityResult."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score
from sklearn.pipeline import Pipeline

import effmuni as em

# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def sample():
    return em.load_dataset()


@pytest.fixture(scope="module")
def sample_features(sample):
    return em.maturity_features(sample)


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
    # weak structure (k given: with "auto" these data are "no distinct groups")
    x, _ = planted(sep=0.6, noise=1.0, seed=11)
    a = em.cluster_maturity(x, k=3, method=method, seed=7, n_boot=15)
    b = em.cluster_maturity(x, k=3, method=method, seed=7, n_boot=15)
    pd.testing.assert_series_equal(a.levels, b.levels)
    np.testing.assert_array_equal(a.stability_samples, b.stability_samples)
    np.testing.assert_array_equal(a.null_samples, b.null_samples)
    assert a.k == b.k and a.stability == b.stability and a.null_pvalue == b.null_pvalue
    if method == "gmm":
        pd.testing.assert_frame_equal(a.probabilities, b.probabilities)


def test_k_auto_limits():
    # k = 1 ("no distinct groups", from the test against one group) is always a candidate
    x, _ = planted(n_per=(4, 4, 4), seed=2)  # n = 12: k at most 4
    r = em.cluster_maturity(x, n_boot=0)
    assert r.selection["k"].tolist() == [1, 2, 3, 4]
    assert r.selection["chosen"].sum() == 1
    x, _ = planted(n_per=(9, 9, 9, 9), seed=2)  # n = 36: k at most 6
    assert em.cluster_maturity(x, n_boot=0).selection["k"].max() == 6
    x, _ = planted(n_per=(3, 3, 2), seed=2)  # n = 8: only k = 1 or 2
    assert em.cluster_maturity(x, n_boot=0).selection["k"].tolist() == [1, 2]
    # without the test, "auto" chooses among k ≥ 2 as before
    assert em.cluster_maturity(x, n_boot=0, null_n_boot=0).selection["k"].tolist() == [2]
    with pytest.raises(ValueError, match="at least 6"):
        em.cluster_maturity(x.iloc[:5], n_boot=0)


def test_explicit_k_limits():
    x, _ = planted(n_per=(3, 3, 3), seed=2)
    assert em.cluster_maturity(x, k=8, n_boot=0).k == 8  # n − 1 is allowed on request
    assert em.cluster_maturity(x, k=1, n_boot=0).k == 1  # one group is an answer too
    for bad in (9, 0, 2.5, "three", True):
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
    assert r.selection.query("k > 1")["bic"].notna().all()
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
    auto = em.cluster_maturity(sample_features, n_boot=20)
    assert 1 <= auto.k <= 6 and auto.levels.between(1, auto.k).all()
    # the sample's features form a continuum: "auto" answers one group, so a grouping of
    # three is a choice of the analyst (k=3), described the same way
    r = em.cluster_maturity(sample_features, k=3, n_boot=20)
    table = r.level_table(ctx, lang="ru")
    assert table.index.tolist() != [] and table["name"].str.contains("[А-Яа-я]").all()
    prof = r.context_profile(ctx, lang="en")
    assert prof["n_municipalities"].sum() == 26
    assert prof["merger_affected"].sum() == 6  # three merged city okrugs, three successors


# --------------------------------------------------------------------------- one group or more


def no_groups(seed: int, n: int = 26, corr=None) -> pd.DataFrame:
    """One Gaussian: no groups, with the correlations ``corr`` (default: a common factor)."""
    p = 13 if corr is None else len(corr)
    if corr is None:
        corr = np.full((p, p), 0.45) + 0.55 * np.eye(p)  # one strong "maturity" factor
    x = np.random.default_rng(seed).multivariate_normal(np.zeros(p), corr, size=n, method="eigh")
    ids = pd.Index([f"m{i:02d}" for i in range(n)], name="municipality_id")
    return pd.DataFrame(x, index=ids, columns=[f"f{j}" for j in range(p)])


def test_no_groups_gives_k_one_and_planted_groups_are_still_found(sample_features):
    # 20 datasets from one Gaussian with the sample's correlations: at most 4 may show groups
    z = em.cluster_maturity(sample_features, k=1, n_boot=0).standardised
    corr = np.nan_to_num(np.corrcoef(z.to_numpy(), rowvar=False))
    np.fill_diagonal(corr, 1.0)
    ks = [em.cluster_maturity(no_groups(s, corr=corr), n_boot=0).k for s in range(20)]
    assert sum(k == 1 for k in ks) >= 16, ks
    ks = [em.cluster_maturity(no_groups(100 + s), n_boot=0).k for s in range(20)]
    assert sum(k == 1 for k in ks) >= 16, ks
    # planted three-level data still give k = 3, for every method
    for seed in range(5):
        x, truth = planted(seed=seed)
        for method in ("ward", "kmeans", "gmm"):
            r = em.cluster_maturity(x, method=method, seed=seed, n_boot=0)
            assert r.k == 3 and r.null_pvalue <= r.null_alpha, (seed, method)


def test_one_group_result_is_complete():
    r = em.cluster_maturity(no_groups(3), n_boot=30)
    assert r.k == 1 and (r.levels == 1).all() and r.sizes.tolist() == [26]
    assert r.null_pvalue > 0.05 and r.null_n_boot == 1000 and len(r.null_samples) == 1000
    assert r.selection.loc[r.selection["chosen"], "k"].tolist() == [1]
    assert r.level_names("en").tolist() == ["No distinct groups"]
    assert r.level_names("ru").tolist() == ["Без выраженных групп"]
    # silhouette and stability are undefined for one level: NaN, with a note
    assert np.isnan(r.silhouette) and r.silhouette_samples.isna().all()
    assert np.isnan(r.stability) and len(r.stability_samples) == 0
    assert r.level_stability.index.tolist() == [1] and r.level_stability.isna().all()
    assert "no distinct groups" in r.note
    assert r.profiles.shape == (1, 13)
    pd.testing.assert_series_equal(
        r.predict(no_groups(4)), pd.Series(1, index=no_groups(4).index, name="level")
    )
    s = r.summary("en").set_index("item")["value"]
    assert s["Mean silhouette"] == "—" and s["Test against one group: p"].endswith("(1000)")
    summary = r.null_summary
    assert summary["pvalue"] == r.null_pvalue and summary["null_q95"] > summary["null_median"]
    assert summary["statistic"] < summary["null_q95"]  # not better separated than one Gaussian
    g = em.cluster_maturity(no_groups(3), method="gmm", n_boot=0)
    assert g.k == 1 and g.probabilities.columns.tolist() == [1]
    assert (g.probabilities[1] == 1).all()


def test_explicit_k_reports_the_test_and_keeps_k():
    x = no_groups(5)
    r = em.cluster_maturity(x, k=3, n_boot=0)
    assert r.k == 3 and r.null_pvalue > r.null_alpha  # asked for: kept, but the p-value says
    assert "chosen" in r.selection and r.selection["k"].tolist() == [3]
    off = em.cluster_maturity(x, n_boot=0, null_n_boot=0)
    assert off.k >= 2 and np.isnan(off.null_pvalue) and off.null_n_boot == 0
    with pytest.raises(ValueError, match="null_n_boot"):
        em.cluster_maturity(x, null_n_boot=-1)
    with pytest.raises(ValueError, match="null_alpha"):
        em.cluster_maturity(x, null_alpha=1.5)


def test_the_whole_grouping_is_quick(sample_features):
    import time

    em.cluster_maturity(sample_features, n_boot=5)  # imports and first-call costs
    start = time.perf_counter()
    em.cluster_maturity(sample_features, n_boot=100)
    assert time.perf_counter() - start < 2.0
