"""The rule-based maturity index and its comparison with the data-driven levels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_maturity_clustering import planted

import effmuni as em
from effmuni.maturity import FEATURE_GROUPS, FEATURES, INDEX_ANCHORS, default_index_weights

# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def sample():
    return em.load_dataset()


@pytest.fixture(scope="module")
def sample_features(sample):
    return em.maturity_features(sample)


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
