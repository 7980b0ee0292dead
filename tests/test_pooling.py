"""Pooling across projects (random effects, bootstrap over projects) and target attainment."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import effmuni as em
from effmuni.savings import pooling

# Colditz et al. (1994): 13 trials of the BCG vaccine, (tpos, tneg, cpos, cneg). The
# DerSimonian–Laird fit published for them (R metafor, rma(method="DL") on dat.bcg):
# estimate −0.7141, se 0.1787, 95 % CI −1.0644 to −0.3638, τ² 0.3088, I² 92.12 %,
# Q 152.2330 on 12 df.
BCG = [
    (4, 119, 11, 128),
    (6, 300, 29, 274),
    (3, 228, 11, 209),
    (62, 13536, 248, 12619),
    (33, 5036, 47, 5761),
    (180, 1361, 372, 1079),
    (8, 2537, 10, 619),
    (505, 87886, 499, 87892),
    (29, 7470, 45, 7232),
    (17, 1699, 65, 1600),
    (186, 50448, 141, 27197),
    (5, 2493, 3, 2338),
    (27, 16886, 29, 17825),
]


def _bcg_as_projects() -> pd.DataFrame:
    a = np.array(BCG, dtype=float)
    tp, tn, cp, cn = a.T
    yi = np.log((tp / (tp + tn)) / (cp / (cp + cn)))
    vi = 1 / tp - 1 / (tp + tn) + 1 / cp - 1 / (cp + cn)
    return pd.DataFrame(
        {
            "project_id": [f"t{i}" for i in range(len(yi))],
            "municipality_id": "m",
            "source": "cases",
            "log_ratio": yi,
            "log_ratio_se": np.sqrt(vi),
            "regulation_baseline": False,
        }
    )


def test_random_effects_reproduce_the_published_dersimonian_laird_example():
    # the classic normal-quantile interval (hksj=False) is the published one
    res = em.pool_savings(_bcg_as_projects(), by=None, n_boot=0, hksj=False)
    re = res[res["method"] == "random_effects"].iloc[0]
    assert re.n_pooled == 13
    assert re.log_ratio == pytest.approx(-0.7141, abs=5e-5)
    assert re.log_ratio_se == pytest.approx(0.1787, abs=5e-5)
    assert math.log(re.ratio_low) == pytest.approx(-1.0644, abs=5e-5)
    assert math.log(re.ratio_high) == pytest.approx(-0.3638, abs=5e-5)
    assert re.tau2 == pytest.approx(0.3088, abs=5e-5)
    assert re.i2 == pytest.approx(92.12, abs=5e-3)
    assert re.q == pytest.approx(152.2330, abs=5e-4)
    assert re.reduction_pct == pytest.approx(100 * (1 - math.exp(-0.7141)), abs=0.01)
    assert list(res.columns) == list(pooling.POOL_COLUMNS)
    # prediction interval (Higgins et al. 2009): t with k − 2 = 11 df on τ² + se²
    half = stats.t.ppf(0.975, 11) * math.sqrt(re.tau2 + re.log_ratio_se**2)
    assert math.log(re.ratio_pi_low) == pytest.approx(re.log_ratio - half)
    assert math.log(re.ratio_pi_high) == pytest.approx(re.log_ratio + half)
    assert re.reduction_pct_pi_low == pytest.approx(100 * (1 - re.ratio_pi_high))


def test_hartung_knapp_sidik_jonkman_interval_by_hand():
    p = _bcg_as_projects()
    y, v = p["log_ratio"].to_numpy(), p["log_ratio_se"].to_numpy() ** 2
    re = em.pool_savings(p, by=None, n_boot=0).iloc[0]  # hksj=True is the default
    # by hand: DL τ², random-effects weights, the weighted residual variance, t with 12 df
    w = 1 / v
    q = (w * (y - (w * y).sum() / w.sum()) ** 2).sum()
    tau2 = max(0.0, (q - 12) / (w.sum() - (w**2).sum() / w.sum()))
    wr = 1 / (v + tau2)
    mu = (wr * y).sum() / wr.sum()
    se = math.sqrt((wr * (y - mu) ** 2).sum() / (12 * wr.sum()))
    assert re.log_ratio == pytest.approx(mu) and re.tau2 == pytest.approx(tau2)
    assert re.log_ratio == pytest.approx(-0.7141, abs=5e-5)  # the mean does not change
    assert re.log_ratio_se == pytest.approx(se)
    assert se == pytest.approx(0.1807, abs=5e-5)  # metafor rma(method="DL", test="knha")
    crit = stats.t.ppf(0.975, 12)
    assert math.log(re.ratio_low) == pytest.approx(mu - crit * se)
    assert math.log(re.ratio_high) == pytest.approx(mu + crit * se)
    half = stats.t.ppf(0.975, 11) * math.sqrt(tau2 + se**2)
    assert math.log(re.ratio_pi_low) == pytest.approx(mu - half)
    # the prediction interval is far wider than that of the mean (I² 92 %)
    assert re.ratio_pi_high - re.ratio_pi_low > 3 * (re.ratio_high - re.ratio_low)


@pytest.mark.parametrize("k", [3, 4, 5])
def test_pooled_interval_covers_the_truth_for_few_projects(k):
    # 600 simulated municipalities with k projects each: true log ratios spread around
    # log(0.6) with τ² = 0.25 (I² about 94 %, as in the sample), bootstrap-like standard errors
    rng = np.random.default_rng(100 + k)
    g, truth = 600, math.log(0.6)
    se = rng.uniform(0.07, 0.23, (g, k))
    y = rng.normal(truth, 0.5, (g, k)) + rng.normal(0, se)
    p = pd.DataFrame(
        {
            "municipality_id": np.repeat(np.arange(g), k),
            "source": "cases",
            "log_ratio": y.ravel(),
            "log_ratio_se": se.ravel(),
        }
    )

    def coverage(**kw):
        re = em.pool_savings(p, n_boot=0, **kw).query("method == 'random_effects'")
        lo, hi = np.log(re["ratio_low"]), np.log(re["ratio_high"])
        return float(((lo <= truth) & (truth <= hi)).mean())

    assert coverage() >= 0.92  # HKSJ, the default
    assert coverage(hksj=False) < 0.90  # normal quantiles: why HKSJ is the default


def test_prediction_interval_for_a_new_project_covers_it():
    rng = np.random.default_rng(5)
    g, k, truth = 600, 6, math.log(0.6)
    se = rng.uniform(0.07, 0.23, (g, k))
    y = rng.normal(truth, 0.5, (g, k)) + rng.normal(0, se)
    p = pd.DataFrame(
        {
            "municipality_id": np.repeat(np.arange(g), k),
            "source": "cases",
            "log_ratio": y.ravel(),
            "log_ratio_se": se.ravel(),
        }
    )
    re = em.pool_savings(p, n_boot=0).query("method == 'random_effects'")
    new = rng.normal(truth, 0.5, g)  # the true effect of one more project
    lo, hi = np.log(re["ratio_pi_low"]), np.log(re["ratio_pi_high"])
    assert ((lo <= new) & (new <= hi)).mean() >= 0.92
    ci_width = np.log(re["ratio_high"]) - np.log(re["ratio_low"])
    assert ((hi - lo) > ci_width).all()


def test_two_projects_have_no_prediction_interval():
    p = pd.DataFrame({"source": "cases", "log_ratio": [-0.5, -0.2], "log_ratio_se": [0.1, 0.1]})
    re = em.pool_savings(p, by=None, n_boot=0).iloc[0]
    assert np.isnan(re.ratio_pi_low) and np.isnan(re.reduction_pct_pi_high)
    assert "fewer than 3 projects: no prediction interval" in re.note
    # t with 1 df: the interval is wide by necessity
    assert math.log(re.ratio_high) - math.log(re.ratio_low) > 2


def test_negative_dersimonian_laird_tau2_is_truncated_to_zero():
    # two agreeing projects: Q < k − 1, so τ² = 0 and the answer is the fixed-effect mean
    p = pd.DataFrame(
        {
            "source": "cases",
            "log_ratio": [-0.41342672, -0.36499525],
            "log_ratio_se": np.sqrt([0.01668585, 0.01397373]),
        }
    )
    re = em.pool_savings(p, by=None, n_boot=0, hksj=False).iloc[0]
    w = 1 / np.array([0.01668585, 0.01397373])
    assert re.tau2 == 0 and re.i2 == 0
    assert re.log_ratio == pytest.approx((w * p["log_ratio"]).sum() / w.sum())
    assert re.log_ratio_se == pytest.approx(1 / math.sqrt(w.sum()))
    hk = em.pool_savings(p, by=None, n_boot=0).iloc[0]  # HKSJ: the same mean, t with 1 df
    assert hk.tau2 == 0 and hk.log_ratio == pytest.approx(re.log_ratio)
    resid = (w * (p["log_ratio"] - re.log_ratio) ** 2).sum() / w.sum()
    assert hk.log_ratio_se == pytest.approx(math.sqrt(resid))


def test_one_extreme_precise_project_does_not_dominate():
    # nine projects around −30 %, one "−95 %" project measured very precisely
    lr = [math.log(0.7)] * 9 + [math.log(0.05)]
    lr = np.array(lr) + np.linspace(-0.05, 0.05, 10)
    se = [0.1] * 9 + [0.01]
    p = pd.DataFrame({"source": "cases", "log_ratio": lr, "log_ratio_se": se})
    re = em.pool_savings(p, by=None, n_boot=0).iloc[0]
    w = 1 / np.square(se)
    fixed = (w * lr).sum() / w.sum()
    assert math.exp(fixed) < 0.1  # the fixed-effect mean is almost the outlier
    assert 0.45 < re.ratio < 0.75  # random effects: close to the typical project
    assert re.i2 > 90


def test_regulation_baselines_are_left_out_unless_asked_for():
    p = _bcg_as_projects()
    p.loc[:2, "regulation_baseline"] = True
    default = em.pool_savings(p, by=None, n_boot=0).iloc[0]
    assert default.n_pooled == 10 and default.n_left_out == 3
    inc = em.pool_savings(p, by=None, n_boot=0, include_regulation_baselines=True).iloc[0]
    assert inc.n_pooled == 13 and inc.n_left_out == 0


def test_card_only_projects_are_pooled_by_a_bootstrap_over_projects():
    rng = np.random.default_rng(1)
    lr = np.log(0.6) + rng.normal(0, 0.3, 12)
    p = pd.DataFrame(
        {
            "municipality_id": ["a"] * 8 + ["b"] * 4,
            "source": "passport",
            "log_ratio": lr,
        }
    )
    res = em.pool_savings(p, n_boot=1000, seed=3)
    bt = res[res["method"] == "bootstrap_projects"].set_index("municipality_id")
    assert bt.loc["a", "ratio"] == pytest.approx(math.exp(lr[:8].mean()))
    assert bt.loc["a", "ratio_low"] < bt.loc["a", "ratio"] < bt.loc["a", "ratio_high"]
    assert bt.loc["a", "log_ratio_sd"] == pytest.approx(np.std(lr[:8], ddof=1))
    assert np.isnan(bt.loc["b", "ratio_low"]) and bt.loc["b", "note"] == "fewer than 5 projects"
    # a new card-only project: t with k − 1 df on the projects' spread
    half = stats.t.ppf(0.975, 7) * np.std(lr[:8], ddof=1) * math.sqrt(1 + 1 / 8)
    assert math.log(bt.loc["a", "ratio_pi_low"]) == pytest.approx(lr[:8].mean() - half)
    assert bt.loc["b", "ratio_pi_low"] < bt.loc["b", "ratio"]  # 4 projects: a PI, no CI
    re = res[res["method"] == "random_effects"].set_index("municipality_id")
    assert (re["n_pooled"] == 0).all() and (re["note"] == "no project with case timings").all()
    again = em.pool_savings(p, n_boot=1000, seed=3)
    pd.testing.assert_frame_equal(res, again)


def test_single_project_is_reported_not_pooled():
    p = pd.DataFrame({"source": ["cases"], "log_ratio": [-0.5], "log_ratio_se": [0.1]})
    re = em.pool_savings(p, by=None, n_boot=0).iloc[0]
    assert re.log_ratio == -0.5 and np.isnan(re.tau2) and np.isnan(re.ratio_pi_low)
    assert math.log(re.ratio_low) == pytest.approx(-0.5 - 1.959964 * 0.1)
    assert re.note == "one project: nothing to pool"


def test_pooling_the_sample_side_by_side():
    ds = em.load_dataset()
    s = em.project_savings(ds, n_boot=300)
    region = em.pool_savings(s, by=None, n_boot=300)
    assert region["method"].tolist() == ["random_effects", "bootstrap_projects"]
    assert (region["ratio_low"] < region["ratio"]).all()
    assert (region["ratio"] < region["ratio_high"]).all()
    per = em.pool_savings(s, n_boot=300)
    assert len(per) == 2 * s["municipality_id"].nunique()
    from effmuni.text import missing

    assert missing(per.columns) == []


def test_reduction_pct_of_projects_has_one_sign_convention():
    s = pd.DataFrame({"ratio": [0.7, 1.25, np.nan], "ratio_low": [0.51, 1.0, np.nan],
                      "ratio_high": [0.95, 1.5, np.nan]})  # fmt: skip
    r = pooling.reduction_pct(s)
    assert r["reduction_pct"].round(6).tolist()[:2] == [30.0, -25.0]  # positive: faster
    assert r.loc[0, "reduction_pct_low"] == pytest.approx(5.0)  # from ratio_high
    assert r.loc[0, "reduction_pct_high"] == pytest.approx(49.0)
    assert (r["reduction_pct_low"] <= r["reduction_pct"]).iloc[:2].all()
    assert r.loc[2, ["reduction_pct", "reduction_pct_low"]].isna().all()
    with pytest.raises(ValueError, match="ratio_low"):
        pooling.reduction_pct(s.drop(columns="ratio_low"))


def test_target_attainment_per_project_and_shares():
    s = pd.DataFrame(
        {
            "project_id": list("abcdef"),
            "municipality_id": ["m1", "m1", "m1", "m2", "m2", "m2"],
            "source": ["cases", "cases", "passport", "passport", "none", "passport"],
            "target_reduction_pct": [30, 50, 40, 20, 30, np.nan],
            "saving_pct": [45, 40, 40, 60, np.nan, 10],
            "saving_pct_low": [35, 20, np.nan, np.nan, np.nan, np.nan],
            "saving_pct_high": [55, 60, np.nan, np.nan, np.nan, np.nan],
            "regulation_baseline": [False, False, False, True, False, False],
        }
    )
    t = em.target_attainment(s).set_index("project_id")
    assert t["target_status"].tolist() == [
        "reached",
        "not_reached",
        "reached",
        "reached",
        "no_result",
        "no_target",
    ]
    assert t.loc["a", "reached_surely"] and not t.loc["b", "reached_surely"]
    assert pd.isna(t.loc["c", "reached_surely"])  # no interval for a card
    by = em.target_attainment(s, by="municipality_id").set_index("municipality_id")
    assert by.loc["m1", "n_assessed"] == 3 and by.loc["m1", "n_reached"] == 2
    assert by.loc["m1", "share_reached"] == pytest.approx(200 / 3)
    assert by.loc["m1", "share_reached_surely"] == pytest.approx(100 / 3)
    # d is a regulation-limit baseline: left out of the share by default
    assert by.loc["m2", "n_assessed"] == 0 and np.isnan(by.loc["m2", "share_reached"])
    assert by.loc["m2", "n_left_out"] == 1 and by.loc["m2", "n_no_result"] == 1
    inc = em.target_attainment(s, by=None, include_regulation_baselines=True).iloc[0]
    assert inc.n_assessed == 4 and inc.n_reached == 3 and inc.n_projects == 6
