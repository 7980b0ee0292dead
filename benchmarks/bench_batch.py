"""Benchmark of the batch runner: 26 municipality reports with one and two jobs.

Prints, side by side:

- the floor: a bare ``papermill.execute_notebook`` of an (almost) empty notebook, in-process;
- the report's own compute, measured without a kernel: ``import effmuni`` in a fresh process
  plus one report in-process (its stored inputs read, tables, text and figures drawn);
- ``run_batch`` on the 26 sample municipalities with ``jobs=1`` and ``jobs=2`` (HTML on, warm
  kernels), and with ``jobs=1`` and a fresh kernel per report. Totals include computing the
  analysis once and writing the index page and workbooks.

Aims (issue 5): at least 1.6x faster with two jobs on two cores, and a per-report time (jobs=1)
within 1.5x of floor + compute. Run: ``.venv/bin/python benchmarks/bench_batch.py [--quick]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import nbformat
import papermill as pm

import effmuni as em

REPO = Path(__file__).resolve().parents[1]
REPORT = REPO / "notebooks" / "municipality_report.ipynb"


def _empty_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    cell = nbformat.v4.new_code_cell('municipality = "x"')
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell("pass")]
    nbformat.write(nb, path)
    return path


def floor(tmp: Path, runs: int) -> float:
    nb = _empty_notebook(tmp / "empty.ipynb")
    times = []
    for i in range(runs):
        t = time.perf_counter()
        pm.execute_notebook(
            nb,
            tmp / f"empty_{i}.ipynb",
            parameters={"municipality": "y"},
            kernel_name="python3",
            progress_bar=False,
        )
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def import_time(runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import effmuni"], check=True)
        times.append(time.perf_counter() - t)
    base = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        base.append(time.perf_counter() - t)
    return statistics.median(times) - statistics.median(base)


def report_compute(ids: list[str]) -> float:
    """What one report computes in its kernel: read its inputs (stored once, as the batch does
    before its kernels start), build the report, draw its tables and figures."""
    config = em.AnalysisConfig()  # the report notebook's defaults
    em.report_inputs(ids[0], config=config)  # stores them, like the batch
    times = []
    for m in ids:
        t = time.perf_counter()
        ds, analysis = em.report_inputs(m, config=config)
        rep = em.municipality_report(ds, m, config=config, analysis=analysis)
        for part in (rep.title_md, rep.lead_md, rep.projects_md, rep.savings_md, rep.maturity_md):
            part()
        rep.projects_table().style.hide(axis="index").to_html()
        for fig in (
            rep.quarters_figure(),
            em.plots.savings.forest_plot(rep.projects, sources=("cases", "passport")),
            rep.peers_figure(),
        ):
            fig.savefig(Path(tempfile.gettempdir()) / "bench_fig.png")
            plt.close(fig)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def batch(tmp: Path, jobs: int, ids, warm: bool = True) -> tuple[float, int, float]:
    """Wall seconds of the batch, reports made, and the reports' own seconds summed."""
    out = tmp / f"reports_{jobs}_{warm}"
    t = time.perf_counter()
    summary = em.run_batch(
        REPORT, ids, output_dir=out, jobs=jobs, progress=False, warm_kernels=warm
    )
    wall = time.perf_counter() - t
    return wall, int((summary["status"] == "ok").sum()), float(summary["seconds"].sum())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="8 municipalities instead of 26")
    args = ap.parse_args()
    ds = em.load_dataset()
    ids = ds.municipalities["municipality_id"].tolist()
    if args.quick:
        ids = ids[:8]
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        fl = floor(tmp, 5)
        imp = import_time(3)
        comp = report_compute(ids[:4])
        t1, ok1, r1 = batch(tmp, 1, ids)
        t2, ok2, r2 = batch(tmp, 2, ids)
        tf, okf, _ = batch(tmp, 1, ids, warm=False)
    n = len(ids)
    per1, per2 = t1 / n, t2 / n
    budget = fl + imp + comp
    print(
        f"effmuni batch benchmark: {n} municipality reports with HTML (municipality_report.ipynb)\n"
    )
    print(f"{'what':<52}{'seconds':>10}")
    print(f"{'floor: papermill, empty notebook (median of 5)':<52}{fl:>10.2f}")
    print(f"{'import effmuni in a fresh process (median of 3)':<52}{imp:>10.2f}")
    print(f"{'one report built in-process (median of 4)':<52}{comp:>10.2f}")
    print(f"{'  = floor + import + compute per report':<52}{budget:>10.2f}")
    print(f"{f'run_batch jobs=1: {ok1}/{n} ok, total':<52}{t1:>10.2f}")
    print(f"{'  per report':<52}{per1:>10.2f}")
    print(f"{f'run_batch jobs=2: {ok2}/{n} ok, total':<52}{t2:>10.2f}")
    print(f"{'  per report':<52}{per2:>10.2f}")
    print(f"{f'run_batch jobs=1, fresh kernels: {okf}/{n} ok, total':<52}{tf:>10.2f}")
    print(f"{'  per report':<52}{tf / n:>10.2f}")
    print()
    print(f"speed-up with two jobs: {t1 / t2:.2f}x (aim: at least 1.6x on two cores)")
    once = t1 - r1  # read the data, compute the analysis, write the site: not in parallel
    print(
        f"  the reports themselves take {r1:.1f} s one after another ({r2:.1f} s of the two "
        f"workers' time with two jobs); the rest of the one-job batch, done once (reading the "
        f"data, the analysis, the index page and workbooks), {once:.1f} s: with it, two perfect "
        f"workers would give at most {t1 / (once + r1 / 2):.2f}x"
    )
    print(
        f"per-report time (jobs=1) / (floor + import + compute): {per1 / budget:.2f}x (aim: at most 1.5x)"
    )


if __name__ == "__main__":
    main()
