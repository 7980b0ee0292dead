"""Benchmark: bootstrap intervals of time savings, effmuni against ``scipy.stats.bootstrap``.

Run ``.venv/bin/python benchmarks/bench_savings.py`` (or ``make bench``); it prints a table, it
is not a test. Everything is seeded.

The work: 1,000 projects × 200 completed cases per phase (lognormal lead times), 2,000
bootstrap replicates, three 95 % intervals per project (saving in days, saving in %, ratio
of geometric means).

- effmuni: one call of :func:`effmuni.estimate_savings` (matrix products of shared
  multinomial weight matrices, chunked; symmetric bootstrap-t intervals); the median of three
  runs in one process (the first one included).
- scipy: one ``scipy.stats.bootstrap`` call per project with a vectorised statistic
  returning the three values, with its default BCa and with the cheaper percentile method.
  scipy is timed on the first ``--scipy-projects`` projects and extrapolated linearly to
  1,000 (the work is the same for every project); the output says so.

The censored line does the same work with open cases: each project's after phase is extracted
one mean lead time after its last arrival (arrivals over 30–120 days), so about 4 % of its
cases are still open and enter as right-censored (Kaplan–Meier means with Efron's tail rule,
:mod:`effmuni.savings._censored`). scipy runs the same statistic, a vectorised numpy
Kaplan–Meier on each resample (open cases coded as negative times), percentile method.

Each timed run is a fresh subprocess so that its peak memory (peak resident set size,
``ru_maxrss``, including the interpreter, numpy, pandas and the data) is its own.

Coverage is measured on a smaller simulated set where the truth is known: ``--cov-projects``
projects with 10 or 30 cases per phase, log-SD 1.0 before and 0.8 after, the geometric mean
halved.

``--censoring-study`` prints instead the simulation behind the choice of estimator for open
cases (docs/methods.md, "Censoring"): bias of the mean and geometric mean after, and coverage of
the three intervals, for dropping open cases, Kaplan–Meier with Efron's tail, Kaplan–Meier with
a log-normal tail and a censored log-normal fit, on skewed lead times with 0–20 % censoring.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd

SEED = 2024
N_PROJECTS, N_CASES, N_BOOT = 1000, 200, 2000


def _lognormal(n_projects: int, ns, sigma_b: float, sigma_a: float, ratio: float, seed: int):
    """Per project: (before, after) lead times; and the same as a cases table."""
    rng = np.random.default_rng(seed)
    pairs = []
    for i in range(n_projects):
        n = ns[i % len(ns)]
        pairs.append(
            (
                rng.lognormal(math.log(5.0), sigma_b, n),
                rng.lognormal(math.log(5.0 * ratio), sigma_a, n),
            )
        )
    rows = [
        pd.DataFrame(
            {
                "project_id": i,
                "phase": ["before"] * len(b) + ["after"] * len(a),
                "lead_time_days": np.r_[b, a],
            }
        )
        for i, (b, a) in enumerate(pairs)
    ]
    return pairs, pd.concat(rows, ignore_index=True)


def _censored(n_projects: int, seed: int):
    """Per project: (before, signed after) lead times (negative: open, time open so far), and
    the same as a cases table with receipt dates and each project's extract date."""
    rng = np.random.default_rng(seed)
    mean_after = 2.5 * math.exp(0.8**2 / 2)
    pairs, frames, t0 = [], [], pd.Timestamp("2024-01-01")
    for i in range(n_projects):
        span = rng.uniform(30, 120)
        arr = rng.uniform(0, span, N_CASES)
        b = rng.lognormal(math.log(5.0), 1.0, N_CASES)
        a = rng.lognormal(math.log(2.5), 0.8, N_CASES)
        as_of = arr.max() + mean_after
        open_ = arr + a > as_of
        pairs.append((b, np.where(open_, -(as_of - arr), a)))
        received = t0 + pd.to_timedelta(np.r_[arr - 400, arr], unit="D")
        frames.append(
            pd.DataFrame(
                {
                    "project_id": i,
                    "phase": ["before"] * N_CASES + ["after"] * N_CASES,
                    "received": received,
                    "completed": received
                    + pd.to_timedelta(np.r_[b, np.where(open_, np.nan, a)], unit="D"),
                    "lead_time_days": np.r_[b, np.where(open_, np.nan, a)],
                }
            )
        )
        frames[-1].loc[frames[-1].index[-1] + 1] = [
            i,
            "extract",
            t0 + pd.Timedelta(days=as_of),
            pd.NaT,
            np.nan,
        ]
    return pairs, pd.concat(frames, ignore_index=True)


def _km_means(signed, axis=-1):
    """Kaplan–Meier mean and mean log (Efron's tail) of samples coded as signed times."""
    signed = np.moveaxis(signed, axis, -1)
    t, done = np.abs(signed), signed > 0
    o = np.argsort(t + np.where(done, 0.0, 1e-9 * t), axis=-1)  # completed first at ties
    t, done = np.take_along_axis(t, o, -1), np.take_along_axis(done, o, -1)
    n = t.shape[-1]
    at_risk = n - np.arange(n)
    step = np.where(~done & (at_risk > 1), np.log1p(-1.0 / np.maximum(at_risk, 2)), 0.0)
    mass = np.where(done, np.exp(-(np.cumsum(step, -1) - step)) / n, 0.0)
    tail = 1.0 - mass.sum(-1)
    lt = np.log(t)
    return (mass * t).sum(-1) + tail * t[..., -1], (mass * lt).sum(-1) + tail * lt[..., -1]


def _three_censored(b, a, axis=-1):
    mb, lb = b.mean(axis=axis), np.log(b).mean(axis=axis)
    ma, la = _km_means(a, axis)
    return np.stack([mb - ma, np.log(ma / mb), la - lb])


def _three(b, a, axis=-1):
    mb, ma = b.mean(axis=axis), a.mean(axis=axis)
    return np.stack(
        [mb - ma, np.log(ma / mb), np.log(a).mean(axis=axis) - np.log(b).mean(axis=axis)]
    )


def _scipy_intervals(pairs, method: str, seed: int, statistic=_three) -> np.ndarray:
    """(n_projects, 3, 2) limits on the scales saving, log(ma/mb), log ratio."""
    from scipy import stats

    out = np.empty((len(pairs), 3, 2))
    for i, (b, a) in enumerate(pairs):
        ci = stats.bootstrap(
            (b, a),
            statistic,
            n_resamples=N_BOOT,
            method=method,
            rng=np.random.default_rng([seed, i]),
            vectorized=True,
        ).confidence_interval
        out[i, :, 0], out[i, :, 1] = ci.low, ci.high
    return out


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------------------------
# child processes: one timed run each


def _child(kind: str, n_projects: int) -> dict:
    censored = kind.endswith("+censored")
    kind = kind.removesuffix("+censored")
    if censored:
        pairs, cases = _censored(n_projects, SEED)
    else:
        pairs, cases = _lognormal(n_projects, [N_CASES], 1.0, 0.8, 0.5, SEED)
    before = _peak_rss_mb()
    if kind == "effmuni":
        import effmuni as em

        runs = []
        for _ in range(3):
            t = time.perf_counter()
            s = em.estimate_savings(cases, n_boot=N_BOOT, seed=0, work=None)
            runs.append(time.perf_counter() - t)
        seconds = sorted(runs)[1]  # the median of three runs
        if censored:
            assert (s["n_open"] > 0).mean() > 0.5 and s["saving_low"].notna().all()
    else:
        method = kind.split(":")[1]
        stat = _three_censored if censored else _three
        _scipy_intervals(pairs[:2], method, 0, stat)  # warm-up
        t = time.perf_counter()
        _scipy_intervals(pairs, method, 0, stat)
        seconds = time.perf_counter() - t
    return {"seconds": seconds, "peak_mb": _peak_rss_mb(), "before_mb": before}


def _run_child(kind: str, n_projects: int) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, "--projects", str(n_projects)]
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------------
# coverage


def _coverage(n_projects: int) -> dict[str, dict[str, float]]:
    import effmuni as em

    sigma_b, sigma_a, ratio = 1.0, 0.8, 0.5
    pairs, cases = _lognormal(n_projects, [10, 30], sigma_b, sigma_a, ratio, SEED + 1)
    mb, ma = 5 * math.exp(sigma_b**2 / 2), 5 * ratio * math.exp(sigma_a**2 / 2)
    truth = np.array([mb - ma, math.log(ma / mb), math.log(ratio)])
    s = em.estimate_savings(cases, n_boot=N_BOOT, seed=1, work=None)
    ours = np.stack(
        [
            np.c_[s["saving_low"], s["saving_high"]],
            np.log1p(-np.c_[s["saving_pct_high"], s["saving_pct_low"]] / 100),
            np.log(np.c_[s["ratio_low"], s["ratio_high"]]),
        ],
        axis=1,
    )
    result = {"effmuni (symmetric bootstrap-t)": ours}
    for method in ("BCa", "percentile"):
        result[f"scipy ({method})"] = _scipy_intervals(pairs, method, 1)
    names = ("saving", "saving_pct", "ratio")
    return {
        who: {
            n: float(np.mean((ci[:, j, 0] <= truth[j]) & (truth[j] <= ci[:, j, 1])))
            for j, n in enumerate(names)
        }
        for who, ci in result.items()
    }


# --------------------------------------------------------------------------------------------
# the censoring study (docs/methods.md, "Censoring")

_CANDIDATES = ("drop", "km", "km_lognormal_tail", "lognormal")


def _mills(z):
    from scipy import special

    return np.exp(-0.5 * z * z - special.log_ndtr(-z)) / math.sqrt(2 * math.pi)


def _lognormal_mle(s0, s1, s2, wc, yc, iters=30):
    """Censored log-normal fit per replicate (Newton on (μ/σ, 1/σ), where it is concave)."""
    n = s0 + wc.sum(-1)
    t1, t2 = s1 + (wc * yc).sum(-1), s2 + (wc * yc * yc).sum(-1)
    m0 = t1 / n
    b = 1 / np.sqrt(np.maximum(t2 / n - m0**2, 1e-6))
    a = m0 * b
    for _ in range(iters):
        z = b[..., None] * yc - a[..., None]
        lam = _mills(z)
        lp = lam * (lam - z)
        ga = b * s1 - a * s0 + (wc * lam).sum(-1)
        gb = s0 / b - (b * s2 - a * s1) - (wc * lam * yc).sum(-1)
        haa, hab = -s0 - (wc * lp).sum(-1), s1 + (wc * lp * yc).sum(-1)
        hbb = -s0 / b**2 - s2 - (wc * lp * yc * yc).sum(-1)
        det = haa * hbb - hab * hab
        da, db = -(hbb * ga - hab * gb) / det, -(-hab * ga + haa * gb) / det
        step = np.ones_like(b)
        for _ in range(30):  # keep 1/σ positive
            bad = b + step * db <= 0
            if not bad.any():
                break
            step = np.where(bad, step / 2, step)
        a, b = a + step * da, b + step * db
    return a / b, 1 / b


def _beyond(c_log, mu, sigma):
    """E[X | X > c], E[X² | X > c], E[log X | …], E[log² X | …] under a log-normal."""
    from scipy import special

    al = (c_log - mu) / sigma
    lq = special.log_ndtr(-al)
    ex = np.exp(mu + sigma**2 / 2 + special.log_ndtr(-(al - sigma)) - lq)
    ex2 = np.exp(2 * mu + 2 * sigma**2 + special.log_ndtr(-(al - 2 * sigma)) - lq)
    lam = _mills(al)
    return ex, ex2, mu + sigma * lam, mu**2 + 2 * mu * sigma * lam + sigma**2 * (1 + al * lam)


def _candidates(w, x, done):
    """Each candidate's (mean, se², mean log, se² of log) for counts ``w`` (B, n) over the
    cases sorted by time (completed first at ties)."""
    y, n = np.log(x), w.sum(1)

    def plain(wd, v, nd):
        m = wd @ v / nd
        return m, np.maximum((wd @ (v * v) / nd - m * m) * nd / (nd - 1), 0) / nd

    wd, nd = w[:, done], w[:, done].sum(1)
    out = {"drop": (*plain(wd, x[done], nd), *plain(wd, y[done], nd))}
    if done.all():
        return dict.fromkeys(_CANDIDATES, out["drop"])
    at_risk = np.cumsum(w[:, ::-1], axis=1)[:, ::-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        g = np.where(~done & (w > 0), 1 - w / at_risk, 1.0)
        g_before = np.concatenate([np.ones((len(w), 1)), np.cumprod(g, axis=1)[:, :-1]], 1)
        p = np.where(done & (w > 0), w / (n[:, None] * g_before), 0.0)
    tail = np.clip(1 - p.sum(1), 0, None)
    last = w.shape[1] - 1 - np.argmax(w[:, ::-1] > 0, axis=1)

    def km(v, v2, at, at2):
        m = p @ v + tail * at
        return m, np.maximum(p @ v2 + tail * at2 - m * m, 0) / (n - 1)

    out["km"] = (*km(x, x * x, x[last], x[last] ** 2), *km(y, y * y, y[last], y[last] ** 2))
    s0, s1, s2 = wd.sum(1), wd @ y[done], wd @ (y[done] ** 2)
    mu, sigma = _lognormal_mle(s0, s1, s2, w[:, ~done], y[~done])
    ex, ex2, el, el2 = _beyond(y[last], mu, sigma)
    out["km_lognormal_tail"] = (*km(x, x * x, ex, ex2), *km(y, y * y, el, el2))
    mean = np.exp(mu + sigma**2 / 2)
    out["lognormal"] = (mean, mean**2 * (sigma**2 + sigma**4 / 2) / n, mu, sigma**2 / n)
    return out


def _draw(dist, rng, size):
    kind, p = dist
    if kind == "lognormal":
        return rng.lognormal(math.log(5), p, size)
    if kind == "weibull":
        return 5 / math.log(2) ** (1 / p) * rng.weibull(p, size)
    fast, slow = rng.lognormal(math.log(3), 0.5, size), rng.lognormal(math.log(20), 0.6, size)
    return np.where(rng.uniform(size=size) < 0.7, fast, slow)


def _study_cell(dist, n, gap, n_sim, seed, n_boot=1000):
    """Bias of the mean and geometric mean after, and coverage of the three intervals."""
    rng = np.random.default_rng(seed)
    big = _draw(dist, np.random.default_rng(99), 4_000_000)
    true_mean, true_log = big.mean(), np.log(big).mean()
    truth = [true_mean, math.log(0.5), math.log(0.5)]  # saving (× 1), log pct, log ratio
    rows, opened = {k: [] for k in _CANDIDATES}, []
    for _ in range(n_sim):
        xb = _draw(dist, rng, n) * 2  # before: twice as long
        span = rng.uniform(30, 120)
        arr = rng.uniform(0, span, n)
        xa = _draw(dist, rng, n)
        c = arr.max() + gap * true_mean - arr
        done = xa <= c
        opened.append(1 - done.mean())
        keep = done | (c > 0)
        t, d = np.where(done, xa, c)[keep], done[keep]
        o = np.lexsort((~d, t))
        t, d = t[o], d[o]
        wb = np.vstack([np.ones(n), rng.multinomial(n, np.full(n, 1 / n), n_boot)])
        wa = np.vstack(
            [np.ones(len(t)), rng.multinomial(len(t), np.full(len(t), 1 / len(t)), n_boot)]
        )
        b = _candidates(wb, xb, np.ones(n, bool))["drop"]
        for name, a in _candidates(wa, t, d).items():
            stats_ = [
                (b[0] - a[0], np.sqrt(b[1] + a[1])),
                (np.log(a[0] / b[0]), np.sqrt(a[1] / a[0] ** 2 + b[1] / b[0] ** 2)),
                (a[2] - b[2], np.sqrt(a[3] + b[3])),
            ]
            row = [a[0][0] / true_mean - 1, math.exp(a[2][0] - true_log) - 1]
            for (est, se), tv in zip(stats_, truth, strict=True):
                q = np.nanquantile(np.abs((est[1:] - est[0]) / se[1:]), 0.95)
                row.append(abs(est[0] - tv) <= q * se[0])
            rows[name].append(row)
    return float(np.mean(opened)), {k: np.nanmean(np.array(v, float), 0) for k, v in rows.items()}


def _censoring_study(n_sim: int) -> None:
    dists = [
        ("lognormal", 0.8),
        ("lognormal", 1.0),
        ("lognormal", 1.5),
        ("weibull", 0.7),
        ("mixture", None),
    ]
    print(
        f"censoring study: {n_sim} simulated projects per cell, 1,000 resamples, the after "
        "phase extracted `gap` mean lead times after its last arrival (arrivals over 30–120 "
        "days); bias of the mean and geometric mean after; coverage of 95 % symmetric "
        "bootstrap-t intervals of saving / saving % / ratio (the before phase complete, twice "
        "as long)\n"
    )
    print(
        f"{'lead times':<16}{'n':>4}{'gap':>5}{'open':>6}  "
        + "  ".join(f"{k:>30}" for k in _CANDIDATES)
    )
    for i, dist in enumerate(dists):
        for n in (30, 100):
            for j, gap in enumerate((1.0, 0.0)):
                opened, res = _study_cell(dist, n, gap, n_sim, seed=1000 * i + 10 * n + j)
                label = f"{dist[0]} {dist[1]}" if dist[1] else dist[0]
                cells = "  ".join(
                    f"{v[0]:+6.3f} {v[1]:+6.3f} {v[2]:.2f}/{v[3]:.2f}/{v[4]:.2f}"
                    for v in res.values()
                )
                print(f"{label:<16}{n:>4}{gap:>5}{opened:>6.3f}  {cells}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--projects", type=int, default=N_PROJECTS, help=argparse.SUPPRESS)
    parser.add_argument(
        "--scipy-projects",
        type=int,
        default=50,
        help="projects timed with scipy, extrapolated to 1,000 (default 50)",
    )
    parser.add_argument(
        "--cov-projects",
        type=int,
        default=400,
        help="simulated projects for the coverage check (default 400)",
    )
    parser.add_argument(
        "--censoring-study",
        type=int,
        default=0,
        metavar="N",
        help="print the censoring study (N simulated projects per cell; docs used 300)",
    )
    args = parser.parse_args()
    if args.censoring_study:
        _censoring_study(args.censoring_study)
        return
    if args.child:
        print(json.dumps(_child(args.child, args.projects)))
        return

    print(
        f"bench_savings: {N_PROJECTS} projects × {N_CASES} cases per phase × {N_BOOT} "
        f"resamples, 3 intervals per project"
    )
    print(
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {np.__version__}, pandas {pd.__version__}\n"
    )
    ours = _run_child("effmuni", N_PROJECTS)
    k = args.scipy_projects
    rows = [("effmuni.estimate_savings", ours["seconds"], ours["peak_mb"], "median of 3 runs")]
    for method in ("BCa", "percentile"):
        r = _run_child(f"scipy:{method}", k)
        rows.append(
            (
                f"scipy.stats.bootstrap, {method}",
                r["seconds"] * N_PROJECTS / k,
                r["peak_mb"],
                f"{k} projects timed, ×{N_PROJECTS / k:g}",
            )
        )
    print(f"{'method':<34}{'seconds':>9}{'peak MB':>10}{'× effmuni':>11}  note")
    for name, sec, mb, note in rows:
        print(f"{name:<34}{sec:>9.2f}{mb:>10.0f}{sec / ours['seconds']:>11.1f}  {note}")
    fastest = min(r[1] for r in rows[1:])
    print(
        f"\neffmuni is {fastest / ours['seconds']:.1f}× faster than the fastest scipy method "
        f"(aim: ≥ 5×; < 2 s; < 1024 MB peak)"
    )

    cens = _run_child("effmuni+censored", N_PROJECTS)
    sc = _run_child("scipy:percentile+censored", k)
    sc_sec = sc["seconds"] * N_PROJECTS / k
    print("\nwith open cases (about 4 % of the after cases right-censored, Kaplan–Meier means):")
    print(f"{'method':<34}{'seconds':>9}{'peak MB':>10}{'× effmuni':>11}  note")
    print(
        f"{'effmuni.estimate_savings':<34}{cens['seconds']:>9.2f}{cens['peak_mb']:>10.0f}"
        f"{1.0:>11.1f}  median of 3 runs"
    )
    print(
        f"{'scipy.stats.bootstrap, percentile':<34}{sc_sec:>9.2f}{sc['peak_mb']:>10.0f}"
        f"{sc_sec / cens['seconds']:>11.1f}  {k} projects timed, ×{N_PROJECTS / k:g}"
    )

    cov = _coverage(args.cov_projects)
    print(
        f"\ncoverage of nominal 95 % intervals, {args.cov_projects} simulated projects "
        "(10 or 30 cases per phase, lognormal, log-SD 1.0 before and 0.8 after):"
    )
    print(f"{'method':<34}{'saving':>9}{'saving %':>10}{'ratio':>8}")
    for who, c in cov.items():
        print(f"{who:<34}{c['saving']:>9.3f}{c['saving_pct']:>10.3f}{c['ratio']:>8.3f}")
    se = math.sqrt(0.95 * 0.05 / args.cov_projects)
    print(f"(Monte Carlo standard error of each coverage ≈ {se:.3f})")


if __name__ == "__main__":
    main()
