"""Benchmark of the federal scale: generate, validate and analyse at 1, 10 and all regions.

Each step runs as the command a user types (``effmuni sample --scale federal``,
``effmuni validate``, ``effmuni analyse``) in a child process; its wall time and the peak
resident memory of its whole process tree (the command, its Dask scheduler and workers,
sampled every 0.1 s with psutil) are printed side by side, with the growth against the
one-region run. In the same run:

- ``effmuni analyse`` with one and with two local workers on the middle size: the speed-up;
- the report batch: the cost of one municipality report (jobs=1, the analysis computed once
  before the kernels and read from the cache by each) against the floor of its kernel (a bare
  papermill run of an empty notebook), on the regional sample.

Run: ``.venv/bin/python benchmarks/bench_scale.py [--sizes 1,10,85] [--n-boot 200]``
(all 85 regions take about half an hour on two cores; ``--sizes 1,3`` is a quick look).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
EFFMUNI = [sys.executable, "-m", "effmuni"]


class _Peak(threading.Thread):
    """Samples the resident memory of a process and all its descendants."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0, threading.Event()

    def run(self):
        while not self.done.is_set():
            try:
                root = psutil.Process(self.pid)
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                break
            total = 0
            for p in procs:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self.done.wait(0.1)


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """Wall seconds, peak MB of the process tree, and stdout of ``cmd`` (which must succeed)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    watch = _Peak(proc.pid)
    watch.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    watch.done.set()
    watch.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-2000:]}")
    return seconds, watch.peak / 2**20, out


def report_cost(tmp: Path, n_reports: int, analysis_dir: Path) -> dict[str, dict[str, float]]:
    """Seconds per report with jobs=1: the regional sample (the analysis computed once by the
    batch, each report reading its stored slice) and a federal run from ``analysis_dir``, each
    with warm kernels (the default: one kernel reset between reports) and with a fresh kernel
    per report. ``median`` is the median report; ``amortised`` the batch's wall time divided
    by the reports (the kernel's start and warm-up, the analysis and the index page included)."""
    import effmuni as em

    ids = em.load_dataset().municipalities["municipality_id"].tolist()[:n_reports]
    report = REPO / "notebooks" / "municipality_report.ipynb"
    cost = {}
    for name, kw in (("regional", {}), ("federal", {"analysis_dir": analysis_dir})):
        for warm in (True, False):
            out = tmp / f"reports_{name}_{warm}"
            start = time.perf_counter()
            summary = em.run_batch(
                report, ids, output_dir=out, jobs=1, progress=False, warm_kernels=warm, **kw
            )
            wall = time.perf_counter() - start
            assert (summary["status"] == "ok").all(), summary
            cost[f"{name}, {'warm kernel' if warm else 'fresh kernels'}"] = {
                "median": float(summary["seconds"].median()),
                "first": float(summary["seconds"].iloc[0]),
                "amortised": wall / len(ids),
            }
    return cost


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1,10,85", help="numbers of regions (default 1,10,85)")
    ap.add_argument("--n-boot", type=int, default=200, help="bootstrap resamples (default 200)")
    ap.add_argument("--reports", type=int, default=26, help="reports in each batch (default 26)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    middle = sizes[len(sizes) // 2] if len(sizes) > 1 else sizes[0]
    rows = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        env = {"EFFMUNI_CACHE": str(tmp / "cache")}
        units: dict[int, int] = {}
        for n in sizes:
            data = tmp / f"federal_{n}"
            gen = timed(
                [*EFFMUNI, "sample", "--scale", "federal", "--regions", str(n), "--out", str(data)]
                + ["--workers", "2", "--lang", "en"],
                env,
            )
            import pyarrow.dataset as pads

            units[n] = pads.dataset(data / "municipalities", partitioning="hive").count_rows()
            rows.append(("generate", n, *gen[:2]))
            val = timed([*EFFMUNI, "validate", str(data), "--lang", "en"], env)
            rows.append(("validate", n, *val[:2]))
            for workers in (2, 1) if n == middle else (2,):
                ana = timed(
                    [*EFFMUNI, "analyse", str(data), "--out", str(tmp / f"analysis_{n}_{workers}")]
                    + ["--workers", str(workers), "--n-boot", str(args.n_boot), "--lang", "en"],
                    env,
                )
                rows.append(
                    (f"analyse, {workers} worker{'s' if workers > 1 else ''}", n, *ana[:2])
                )
        os.environ.update(env)  # the batch and its kernels: a cache of this run only
        from bench_batch import floor as floor_of  # the batch benchmark's floor (this folder)

        cost = report_cost(tmp, args.reports, tmp / f"analysis_{sizes[-1]}_2")
        floor = floor_of(tmp, 5)

    print("effmuni federal-scale benchmark (2 cores unless said otherwise)\n")
    head = f"{'step':<22}{'regions':>8}{'units':>7}{'seconds':>10}{'peak MB':>10}{'s/unit':>9}{'x 1st':>8}"
    print(head)
    first: dict[str, float] = {}
    for step, n, sec, peak in rows:
        first.setdefault(step, sec)
        print(
            f"{step:<22}{n:>8}{units[n]:>7}{sec:>10.1f}{peak:>10.0f}"
            f"{sec / units[n]:>9.3f}{sec / first[step]:>8.2f}"
        )
    by = {(s, n): sec for s, n, sec, _ in rows}
    if ("analyse, 1 worker", middle) in by:
        speed = by[("analyse, 1 worker", middle)] / by[("analyse, 2 workers", middle)]
        print(f"\nanalyse speed-up, 2 workers vs 1 at {middle} regions: {speed:.2f}x")
    print(
        f"\nempty-notebook floor of a kernel (papermill, fresh kernel, median of 5): {floor:.2f} s"
    )
    print(
        f"reports, jobs=1, {args.reports} municipalities (federal: --analysis of {sizes[-1]} regions)"
    )
    print(f"{'':<30}{'median s':>10}{'x floor':>9}{'first s':>9}{'amortised s':>13}{'x floor':>9}")
    for name, c in cost.items():
        print(
            f"{name:<30}{c['median']:>10.2f}{c['median'] / floor:>9.2f}{c['first']:>9.2f}"
            f"{c['amortised']:>13.2f}{c['amortised'] / floor:>9.2f}"
        )
    print("aim: a report at most 1.5x the floor")


if __name__ == "__main__":
    main()
