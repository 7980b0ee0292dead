"""The composite score with a bootstrap interval over features (shown when there are no groups)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import effmuni as em


@pytest.fixture(scope="module")
def result():
    return em.cluster_maturity(em.maturity_features(em.load_dataset()), k=2, seed=0, n_boot=0)


def test_score_is_the_mean_of_standardised_features_and_inside_its_interval(result):
    s = em.composite_scores(result, n_boot=500, seed=1)
    pd.testing.assert_series_equal(
        s["maturity_score"].sort_index(), result.scores.sort_index(), check_names=False
    )
    assert (s["maturity_score_low"] <= s["maturity_score"] + 1e-12).all()
    assert (s["maturity_score"] <= s["maturity_score_high"] + 1e-12).all()
    assert s["maturity_score"].is_monotonic_decreasing
    again = em.composite_scores(result, n_boot=500, seed=1)
    pd.testing.assert_frame_equal(s, again)  # seeded


def test_interval_width_follows_the_spread_of_a_units_features(result):
    z = result.standardised.copy()
    z.iloc[0] = 0.7  # one unit equal on every feature: no feature choice moves its score
    flat = type(result).__new__(type(result))
    flat.__dict__.update(result.__dict__)
    flat.standardised = z
    s = em.composite_scores(flat, n_boot=300, seed=0).loc[z.index[0]]
    assert s["maturity_score"] == pytest.approx(0.7)
    assert s["maturity_score_high"] - s["maturity_score_low"] == pytest.approx(0, abs=1e-12)


def test_known_interval_by_simulation():
    # 40 features drawn around a known mean: the interval covers it about as often as claimed
    rng = np.random.default_rng(5)
    hits = 0
    for _ in range(200):
        z = pd.DataFrame(rng.normal(0.3, 1.0, size=(1, 40)), index=["m"])
        fake = type("R", (), {"standardised": z})()
        s = em.composite_scores(fake, n_boot=400, seed=int(rng.integers(1_000_000))).iloc[0]
        hits += s["maturity_score_low"] <= 0.3 <= s["maturity_score_high"]
    assert 0.88 <= hits / 200 <= 0.99


def test_no_bootstrap_gives_no_interval(result):
    s = em.composite_scores(result, n_boot=0)
    assert s["maturity_score_low"].isna().all()
    with pytest.raises(ValueError, match="confidence"):
        em.composite_scores(result, confidence=1.5)
