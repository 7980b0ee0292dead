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

Each timed run is a fresh subprocess so that its peak memory (peak resident set size,
``ru_maxrss``, including the interpreter, numpy, pandas and the data) is its own.

Coverage is measured on a smaller simulated set where the truth is known: ``--cov-projects``
projects with 10 or 30 cases per phase, log-SD 1.0 before and 0.8 after, the geometric mean
halved.
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


def _three(b, a, axis=-1):
    mb, ma = b.mean(axis=axis), a.mean(axis=axis)
    return np.stack(
        [mb - ma, np.log(ma / mb), np.log(a).mean(axis=axis) - np.log(b).mean(axis=axis)]
    )


def _scipy_intervals(pairs, method: str, seed: int) -> np.ndarray:
    """(n_projects, 3, 2) limits on the scales saving, log(ma/mb), log ratio."""
    from scipy import stats

    out = np.empty((len(pairs), 3, 2))
    for i, (b, a) in enumerate(pairs):
        ci = stats.bootstrap(
            (b, a),
            _three,
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
    pairs, cases = _lognormal(n_projects, [N_CASES], 1.0, 0.8, 0.5, SEED)
    before = _peak_rss_mb()
    if kind == "effmuni":
        import effmuni as em

        runs = []
        for _ in range(3):
            t = time.perf_counter()
            em.estimate_savings(cases, n_boot=N_BOOT, seed=0, work=None)
            runs.append(time.perf_counter() - t)
        seconds = sorted(runs)[1]  # the median of three runs
    else:
        method = kind.split(":")[1]
        _scipy_intervals(pairs[:2], method, 0)  # warm-up
        t = time.perf_counter()
        _scipy_intervals(pairs, method, 0)
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
    args = parser.parse_args()
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
