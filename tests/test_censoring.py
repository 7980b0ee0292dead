"""Open cases as right-censored durations: Kaplan–Meier against references, simulations with
known truth (bias, coverage, the end of a control chart), bad cases that hurt only their project.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import effmuni as em
from effmuni.savings import _bootstrap as bs
from effmuni.savings._censored import _KMDesign
from effmuni.savings.survival import censoring_times, km_quantile, km_summary

T0 = pd.Timestamp("2024-01-01")


def _sorted(t, e):
    o = np.lexsort((~e, t))
    return t[o], e[o]


# ---------------------------------------------------------------------------------------------
# Kaplan–Meier: the vectorised code against scipy, lifelines and brute force


def test_km_summary_matches_scipy_ecdf_and_the_plain_statistics_without_censoring():
    rng = np.random.default_rng(0)
    for _ in range(100):
        n = int(rng.integers(2, 40))
        t = np.round(rng.lognormal(1, 1, n), 1) + 0.1
        e = rng.uniform(size=n) < 0.75
        e[rng.integers(n)] = True
        s = km_summary(t, e)
        res = stats.ecdf(stats.CensoredData(uncensored=t[e], right=t[~e]))
        q, sf = res.sf.quantiles, res.sf.probabilities
        # the mean is the area under the curve up to the largest observation (Efron)
        area = np.sum(np.r_[1.0, sf[:-1]] * np.diff(np.r_[0.0, q])) + (
            sf[-1] * (t.max() - q[-1]) if t.max() > q[-1] else 0.0
        )
        assert s["mean"][0] == pytest.approx(area, rel=1e-12)
        # mass beyond the largest observation only when it is open
        longest_open = not e[t == t.max()].any()
        assert (s["tail"][0] > 0) == longest_open
        assert s["tail"][0] == pytest.approx(sf[-1] if longest_open else 0.0, abs=1e-12)
    x = rng.lognormal(1, 1, 31)
    s = km_summary(
        np.r_[x, x[:6]], np.ones(37, bool), codes=np.r_[np.zeros(31), np.ones(6)].astype(int)
    )
    assert s["mean"][0] == pytest.approx(x.mean(), rel=1e-13)
    assert s["median"].tolist() == [np.median(x), np.median(x[:6])]
    assert s["var_log"][0] == pytest.approx(np.var(np.log(x), ddof=1), rel=1e-12)


def test_km_summary_and_the_bootstrap_engine_equal_lifelines():
    lifelines = pytest.importorskip("lifelines")
    from lifelines.utils import restricted_mean_survival_time

    rng = np.random.default_rng(1)
    g, n = 40, 25
    t = np.round(rng.lognormal(1, 1, (g, n)), 1) + 0.1
    e = rng.uniform(size=(g, n)) < 0.8
    for i in range(g):
        t[i], e[i] = _sorted(t[i], e[i])
    s = km_summary(t.ravel(), e.ravel(), codes=np.repeat(np.arange(g), n), n_groups=g)
    w = rng.multinomial(n, np.full(n, 1 / n), size=30).astype(float)
    mean, _, _, _ = _KMDesign(t, e).moments(w)
    for i in range(g):
        if not e[i].any():
            continue
        kmf = lifelines.KaplanMeierFitter().fit(t[i], e[i])
        assert s["mean"][i] == pytest.approx(
            restricted_mean_survival_time(kmf, t=t[i].max()), rel=1e-12
        )
        sf = kmf.survival_function_["KM_estimate"].to_numpy()
        if not np.isclose(sf, 0.5).any():
            assert s["median"][i] == pytest.approx(kmf.median_survival_time_)
        for b in range(0, 30, 7):  # resampled counts are lifelines' case weights
            k = w[b] > 0
            if not e[i][k].any():
                assert np.isnan(mean[b, i])
                continue
            f = lifelines.KaplanMeierFitter().fit(t[i][k], e[i][k], weights=w[b][k])
            ref = restricted_mean_survival_time(f, t=t[i][k].max())
            assert mean[b, i] == pytest.approx(ref, rel=1e-12)


def test_bootstrap_engine_equals_km_summary_on_the_resampled_cases():
    """A replicate's counts, expanded into repeated cases, give the same KM moments."""
    rng = np.random.default_rng(2)
    g, n = 12, 30
    t = rng.lognormal(1, 1.2, (g, n))
    e = rng.uniform(size=(g, n)) < 0.7
    for i in range(g):
        t[i], e[i] = _sorted(t[i], e[i])
    w = rng.multinomial(n, np.full(n, 1 / n), size=25).astype(float)
    got = _KMDesign(t, e).moments(w)
    for b in range(25):
        reps = w[b].astype(int)
        rows = np.repeat(np.arange(n), reps)
        codes = np.repeat(np.arange(g), n).reshape(g, n)[:, rows].ravel()
        s = km_summary(t[:, rows].ravel(), e[:, rows].ravel(), codes=codes, n_groups=g)
        for j, key in enumerate(("mean", "var", "mean_log", "var_log")):
            np.testing.assert_allclose(got[j][b], s[key], rtol=1e-10)


def test_km_quantile_and_censoring_times():
    assert km_quantile([1.0, 2.0, 3.0, 4.0], [True, False, True, True], 0.5) == 3.0
    assert np.isnan(km_quantile([1.0, 2.0], [False, False], 0.5))
    when = pd.to_datetime(["2024-03-01 12:00", None])
    np.testing.assert_allclose(censoring_times(when, "2024-03-02"), [0.5, np.nan])
    assert censoring_times(when[:1], "2024-03-02", unit="hours").tolist() == [12.0]
    # Fri 2024-03-08 12:00 to Mon 2024-03-11 12:00: Friday's half day (8 March is a holiday:
    # none), Monday's half day
    assert censoring_times(
        pd.to_datetime(["2024-03-07 12:00"]), "2024-03-11 12:00", unit="workdays"
    ).tolist() == [1.0]


# ---------------------------------------------------------------------------------------------
# estimate_savings with open cases


def _extracts(n_projects, ns, sigma, seed, gap=1.0, median=5.0):
    """Per project: a before phase long finished and an after phase extracted ``gap`` mean
    lead times after its last arrival (arrivals over 30–120 days), lognormal lead times with
    the geometric mean halved. Returns (cases, true mean after)."""
    rng = np.random.default_rng(seed)
    mean = median * math.exp(sigma**2 / 2)
    frames = []
    for p in range(n_projects):
        n = ns[p % len(ns)]
        span = rng.uniform(30, 120)
        arr_b, arr_a = rng.uniform(0, span, n), 400 + rng.uniform(0, span, n)
        xb = rng.lognormal(math.log(2 * median), sigma, n)
        xa = rng.lognormal(math.log(median), sigma, n)
        as_of = arr_a.max() + gap * mean
        xa = np.where(arr_a + xa <= as_of, xa, np.nan)
        received = T0 + pd.to_timedelta(np.r_[arr_b, arr_a], unit="D")
        x = np.r_[xb, xa]
        frames.append(
            pd.DataFrame(
                {
                    "project_id": p,
                    "phase": ["before"] * n + ["after"] * n,
                    "received": received,
                    "completed": received + pd.to_timedelta(x, unit="D"),
                    "lead_time_days": x,
                }
            )
        )
    return pd.concat(frames, ignore_index=True), mean


def test_censoring_removes_the_bias_of_dropping_open_cases():
    """The issue's simulation: 4 % of the after cases open, dropping them gives ~12 % too low a
    mean; Kaplan–Meier is within ±5 % of the true mean (about −1.5 % here)."""
    cases, mean = _extracts(300, [100], 0.9, seed=11)
    open_after = cases.loc[cases["phase"] == "after", "lead_time_days"].isna().mean()
    assert 0.03 < open_after < 0.06
    dropped = em.estimate_savings(cases.drop(columns=["received", "completed"]), n_boot=0)
    km = em.estimate_savings(cases, n_boot=0)
    bias_drop = dropped["mean_after"].mean() / mean - 1
    bias_km = km["mean_after"].mean() / mean - 1
    assert -0.16 < bias_drop < -0.09, bias_drop
    assert abs(bias_km) < 0.05, bias_km
    # geometric means too (the truth: exp(mu) = 5)
    assert abs(np.exp(np.log(km["ratio"]).mean()) - 0.5) < 0.02
    assert (km["n_open"] > 0).mean() > 0.9
    assert km["note"].str.contains("censored at the latest date").mean() > 0.9


def test_coverage_with_censored_cases():
    """95 % intervals still cover at close to 95 % with about 10 % of the after cases open."""
    cases, _ = _extracts(400, [30, 100], 0.8, seed=12, gap=0.3)
    s = em.estimate_savings(cases, n_boot=500, seed=3, work=None)
    mb, ma = 10 * math.exp(0.32), 5 * math.exp(0.32)
    truth = {"saving": mb - ma, "saving_pct": 100 * (1 - ma / mb), "ratio": 0.5}
    cov = {
        k: float(((s[f"{k}_low"] <= v) & (v <= s[f"{k}_high"])).mean()) for k, v in truth.items()
    }
    assert 0.08 < cases.loc[cases["phase"] == "after", "lead_time_days"].isna().mean() < 0.14
    print(cov)
    for key, value in cov.items():
        assert 0.91 <= value <= 0.98, (key, cov)


def test_uncensored_data_give_todays_numbers_bit_for_bit():
    cases, _ = _extracts(30, [8, 40], 1.0, seed=13, gap=1e6)  # nothing open
    assert cases["lead_time_days"].notna().all()
    with_dates = em.estimate_savings(cases, n_boot=300, seed=1)
    without = em.estimate_savings(
        cases[["project_id", "phase", "lead_time_days"]], n_boot=300, seed=1
    )
    cols = [c for c in with_dates.columns if c not in ("as_of", "note")]
    pd.testing.assert_frame_equal(with_dates[cols], without[cols], check_exact=True)
    assert (without["note"] == "").all()
    # a project with open cases changes nothing for the others
    mixed, _ = _extracts(30, [8, 40], 1.0, seed=13, gap=0.3)
    closed = mixed.groupby("project_id")["lead_time_days"].transform(lambda v: v.notna().all())
    both = em.estimate_savings(mixed, n_boot=300, seed=1).set_index("project_id")
    alone = em.estimate_savings(mixed[closed], n_boot=300, seed=1).set_index("project_id")
    pd.testing.assert_frame_equal(both.loc[alone.index], alone, rtol=1e-12)


@pytest.mark.parametrize("method", ["symmetric", "percentile", "bca", "studentized"])
def test_every_interval_method_runs_with_open_cases(method):
    cases, _ = _extracts(6, [20], 1.0, seed=14, gap=0.2)
    s = em.estimate_savings(cases, n_boot=400, method=method)
    assert (s["n_open"] > 0).all()
    ok = s[["saving_low", "saving_high", "ratio_low", "ratio_high"]].notna().all(axis=1)
    assert ok.all()
    assert ((s["saving_low"] <= s["saving"]) & (s["saving"] <= s["saving_high"])).all()


def test_bca_jackknife_of_a_censored_group_is_the_brute_force_one():
    cases, _ = _extracts(2, [15], 1.0, seed=15, gap=0.1)
    after = cases[cases["phase"] == "after"]
    x = after["lead_time_days"].to_numpy()
    smp = bs._Sample(
        after["project_id"].to_numpy(),
        {"x": x, "logx": np.log(x)},
        2,
        censored=(np.where(np.isnan(x), 1.0, x), ~np.isnan(x)),
    )
    d = smp.jackknife_delta("x")
    for g in range(2):
        rows = np.flatnonzero(smp.codes == g)
        t = np.where(np.isnan(x), 1.0, x)[after["project_id"].to_numpy() == g]
        e = ~np.isnan(x)[after["project_id"].to_numpy() == g]
        t, e = _sorted(t, e)
        full = km_summary(t, e)["mean"][0]
        loo = [
            km_summary(np.delete(t, i), np.delete(e, i))["mean"][0] - full for i in range(len(t))
        ]
        np.testing.assert_allclose(d[rows], loo, rtol=1e-10, atol=1e-12)


def test_as_of_given_censors_late_completions_and_drops_later_receipts():
    c = pd.DataFrame(
        {
            "project_id": "x",
            "phase": ["before"] * 5 + ["after"] * 7,
            "received": pd.to_datetime(
                ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"]
                + [
                    "2024-06-01",
                    "2024-06-02",
                    "2024-06-03",
                    "2024-06-04",
                    "2024-06-05",
                    "2024-06-08",
                    "2024-06-20",
                ]
            ),
            "lead_time_days": [4.0, 5, 6, 7, 8] + [1.0, 2, 3, 4, 9, np.nan, 1.0],
        }
    )
    s = em.estimate_savings(c, n_boot=0, as_of="2024-06-10").iloc[0]
    # 06-05 + 9 d ends after the extract: open then, censored at 5 d; 06-08: open 2 d;
    # 06-20: not yet received
    assert (s.n_after, s.n_open) == (4, 2)
    assert s.as_of == pd.Timestamp("2024-06-10")
    t = np.array([1.0, 2, 3, 4, 5, 2])
    e = np.array([True, True, True, True, False, False])
    assert s.mean_after == pytest.approx(km_summary(t, e)["mean"][0])
    assert "cases received after as_of left out" in s.note
    assert "the longest case after is still open" in s.note
    assert "as_of not given" not in s.note
    # no receipt dates: open cases cannot be censored, they are left out and noted
    s = em.estimate_savings(c.drop(columns="received"), n_boot=0).iloc[0]
    assert s.n_open == 1 and s.mean_after == pytest.approx(20 / 6)
    assert pd.isna(s.as_of)


def test_working_days_are_censored_on_the_production_calendar():
    c = pd.DataFrame(
        {
            "project_id": "x",
            "phase": ["after"] * 3,
            "received": pd.to_datetime(
                ["2024-03-04 09:00", "2024-03-05 09:00", "2024-03-07 09:00"]
            ),
            "lead_time_workdays": [1.0, 2.0, np.nan],
        }
    )
    s = em.estimate_savings(c, value="lead_time_workdays", n_boot=0, as_of="2024-03-11 09:00")
    # open Thu 09:00 → Mon 09:00 with the 8 March holiday: 15/24 + 9/24 = 1 working day
    assert s.loc[0, "mean_after"] == pytest.approx(
        km_summary([1.0, 2.0, 1.0], [True, True, False])["mean"][0]
    )


# ---------------------------------------------------------------------------------------------
# item 6: a bad case hurts only its project


def test_zero_duration_case_affects_only_its_project():
    cases, _ = _extracts(3, [12], 0.8, seed=16, gap=1e6)
    good = em.estimate_savings(cases, n_boot=300, seed=2).set_index("project_id")
    bad = cases.copy()
    bad.loc[(bad["project_id"] == 1).to_numpy().nonzero()[0][:2], "lead_time_days"] = [0.0, -1.0]
    s = em.estimate_savings(bad, n_boot=300, seed=2).set_index("project_id")
    assert s["n_invalid"].tolist() == [0, 2, 0]
    assert s.loc[1, "n_before"] == 10
    assert "cases with a zero or negative duration left out" in s.loc[1, "note"]
    others = [0, 2]
    pd.testing.assert_frame_equal(s.loc[others], good.loc[others])
    ps = em.project_savings(em.load_dataset("tests/data/mini"), n_boot=0)
    assert "n_invalid" in ps.columns and "as_of" in ps.columns


# ---------------------------------------------------------------------------------------------
# control charts: the last weeks of a stable process


def _stable_process(rng, weeks=30, per_day=5.0, sigma=1.0, median=5.0):
    days = weeks * 7
    arr = np.sort(rng.uniform(0, days, rng.poisson(per_day * days)))
    x = rng.lognormal(math.log(median), sigma, len(arr))
    done = arr + x <= days
    t = pd.DataFrame(
        {"start": T0 + pd.to_timedelta(arr, unit="D"), "lead_time_days": np.where(done, x, np.nan)}
    )
    return t, T0 + pd.Timedelta(days=days)


def _alarm_in_last_weeks(weekly, k=4) -> bool:
    chart = em.xmr(weekly["value"], index=weekly["period"]).iloc[-k:]
    return bool((chart["value"] < chart["lcl"]).any())


def test_last_weeks_of_a_stable_process_raise_no_false_alarm():
    """200 stable processes: dropping open cases puts a point below the lower limit in the last
    4 weeks of about 1 in 4 charts; with only the weeks that had time to finish, the rate is the
    chart's usual one (a few per cent at most)."""
    rng = np.random.default_rng(17)
    old = new = 0
    for _ in range(200):
        t, as_of = _stable_process(rng)
        old += _alarm_in_last_weeks(em.period_lead_times(t.dropna(), freq="W-SUN"))
        weekly = em.period_lead_times(t, freq="W-SUN", as_of=as_of)
        new += _alarm_in_last_weeks(weekly)
    assert old / 200 > 0.15, old
    assert new / 200 <= 0.03, new


def test_period_lead_times_with_open_cases():
    t = pd.DataFrame(
        {
            "start": pd.to_datetime(
                [
                    "2024-01-01",
                    "2024-01-02",
                    "2024-01-03",
                    "2024-01-08",
                    "2024-01-09",
                    "2024-01-22",
                    "2024-01-23",
                ]
            ),
            "lead_time_days": [1.0, 3.0, np.nan, 2.0, 4.0, 1.0, np.nan],
        }
    )
    out = em.period_lead_times(t, freq="W-SUN", as_of="2024-01-30", horizon=7)
    # the week of 22 January ended 1 day before the extract: left out
    assert out["period"].tolist() == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-08")]
    assert out["n_cases"].tolist() == [3, 2] and out["n_open"].tolist() == [1, 0]
    # week 1: 1, 3 and one open for 27 days: the median is 3
    assert out["value"].tolist() == [3.0, 3.0]
    assert "1 period(s)" in out.attrs["note"]
    # without open cases and as_of, nothing changes
    same = em.period_lead_times(t.dropna(), freq="W-SUN")
    assert same["n_open"].eq(0).all() and same.attrs == {}
    # the default extract date: the latest date in the table, with a note
    auto = em.period_lead_times(t, freq="W-SUN", horizon=0)
    assert auto.attrs["as_of"] == pd.Timestamp("2024-01-23")
    assert auto.attrs["note"].startswith("as_of not given")


def test_project_savings_censor_each_project_at_its_own_extract():
    import effmuni as em

    ds = em.load_dataset()  # the registry's extract_date (2025-12-31) is not the cases' one
    s = em.project_savings(ds, n_boot=0)
    open_ = s["n_open"] > 0
    assert open_.any() and (s.loc[open_, "as_of"] < ds.extract_date).all()
    c = ds.cases
    last = c.groupby("project_id")[["received", "completed"]].max().max(axis=1)
    ids = s.loc[open_, "project_id"]
    assert (s.loc[open_, "as_of"].to_numpy() == last.loc[ids].to_numpy()).all()
    # so an old open case never becomes a two-year case: no project looks slower for it
    assert (s.loc[open_ & (s["source"] == "cases"), "mean_after"] < 60).all()
