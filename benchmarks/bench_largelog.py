"""Benchmark: case timings of Parquet event logs in memory and out of core, against file size.

Run ``.venv/bin/python benchmarks/bench_largelog.py`` (1, 4 and 16 million events) or with
``--quick`` (1 and 2 million); it prints a table, it is not a test. Synthetic logs are
generated once (seeded) into ``benchmarks/_data/`` (git-ignored): cases of 5-15 events, the
events of a million at a time shuffled (an export in rough time order: the events of a case
are spread over the file), typed UTC timestamps with start and completion times, Russian
activity names, a resource column (2 % missing).

Each path runs once in a fresh interpreter on the same file:

- in memory: ``case_timings(read_event_log(path))``, the reference;
- out of core: ``case_timings_from_parquet(path, memory_budget=...)`` returning the frame;
- out of core to a file: the same with ``out=``, the timings written to Parquet.

Printed side by side: wall seconds, and the peak resident memory of the child's process,
as growth over its size after the imports (``VmHWM`` from ``/proc/self/status``), with the
size of the returned frame where there is one. The last lines give the growth of each peak
from the smallest log to the largest, against the growth of the file, and check that both
paths give identical timings on the smallest log.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from bench_io import ACTIVITIES  # the same activity names as the 1M-event CSV log

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data"
SEED = 2024
CHUNK = 1_000_000

# --------------------------------------------------------------------------- data


def _chunk(n_events: int, first_case: int, rng: np.random.Generator) -> pa.Table:
    """``n_events`` events of whole cases numbered from ``first_case``, shuffled."""
    sizes = rng.integers(5, 16, n_events // 5 + 1)
    sizes = sizes[: np.searchsorted(np.cumsum(sizes), n_events) + 1]
    sizes[-1] -= sizes.sum() - n_events
    case = np.repeat(np.arange(first_case, first_case + len(sizes)), sizes)
    work = rng.integers(5 * 60, 4 * 3600, n_events)  # seconds of work per event
    wait = rng.exponential(8 * 3600, n_events).astype(np.int64)  # seconds before it
    heads = np.r_[0, np.cumsum(sizes)[:-1]]
    elapsed = np.cumsum(work + wait)
    elapsed -= np.repeat(elapsed[heads] - work[heads] - wait[heads], sizes)
    opened = np.datetime64("2023-01-09T06:00", "s") + rng.integers(0, 700 * 86400, len(sizes))
    end = np.repeat(opened, sizes) + elapsed.astype("timedelta64[s]")
    resource = np.char.add("Специалист ", rng.integers(0, 400, n_events).astype(str))
    order = rng.permutation(n_events)
    utc = pa.timestamp("us", tz="UTC")
    return pa.table(
        {
            "case:concept:name": pa.array(np.char.add("Дело-", case.astype(str))[order]),
            "concept:name": pa.array(np.array(ACTIVITIES)[rng.integers(0, 12, n_events)]),
            "start_timestamp": pa.array((end - work.astype("timedelta64[s]"))[order]).cast(utc),
            "time:timestamp": pa.array(end[order]).cast(utc),
            "org:resource": pa.array(resource, mask=rng.random(n_events) < 0.02),
        }
    )


def make_log(path: Path, n_events: int) -> None:
    rng = np.random.default_rng(SEED + n_events)
    tmp = path.with_suffix(".tmp")
    first_case = 0
    with pq.ParquetWriter(tmp, _chunk(1, 0, rng).schema) as writer:
        for lo in range(0, n_events, CHUNK):
            table = _chunk(min(CHUNK, n_events - lo), first_case, rng)
            first_case += table.num_rows  # more than enough numbers: ids stay distinct
            writer.write_table(table)
    tmp.replace(path)


#: the largest log the in-memory reference is run on (16 million events take 4.4 GiB)
IN_MEMORY_MAX = 20_000_000


def ensure_data(sizes: list[int]) -> dict[int, Path]:
    DATA.mkdir(exist_ok=True)
    paths = {n: DATA / f"largelog_{n // 1_000_000}m.parquet" for n in sizes}
    for n, path in paths.items():
        if not path.exists():
            t = time.perf_counter()
            make_log(path, n)
            print(f"generated {path.name} in {time.perf_counter() - t:.1f} s")
    return paths


# --------------------------------------------------------------------------- steps


def _high_water_kib() -> int:
    """This process's peak resident set size so far (KiB): ``VmHWM``, which starts afresh at
    ``exec`` (``ru_maxrss`` keeps the parent's peak at ``fork``)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _child(step: str, path: Path, budget: str) -> None:
    """Subprocess entry: run one step once; print seconds, peak growth and result size."""
    import effmuni as em

    before = _high_water_kib()
    t = time.perf_counter()
    if step == "memory":
        result = em.case_timings(em.read_event_log(path))
    elif step == "frame":
        result = em.case_timings_from_parquet(path, memory_budget=budget)
    else:
        with tempfile.TemporaryDirectory() as folder:
            result = em.case_timings_from_parquet(
                path, memory_budget=budget, out=Path(folder) / "timings.parquet"
            )
    seconds = time.perf_counter() - t
    peak = (_high_water_kib() - before) * 1024
    size = int(result.memory_usage(deep=True).sum()) if result is not None else 0
    print(json.dumps({"seconds": seconds, "peak": peak, "result": size}))


def run(step: str, path: Path, budget: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", step, str(path), budget],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def identical(path: Path, budget: str) -> bool:
    import effmuni as em

    expected = em.case_timings(em.read_event_log(path))
    got = em.case_timings_from_parquet(path, memory_budget=budget)
    return got.equals(expected) and list(got.dtypes) == list(expected.dtypes)


# --------------------------------------------------------------------------- report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="1 and 2 million events only")
    parser.add_argument(
        "--sizes",
        help="millions of events, comma-separated (default 1,4,16); above "
        f"{IN_MEMORY_MAX // 1_000_000} million only the out-of-core run to a file is made "
        "(the in-memory path would need more memory than this machine has)",
    )
    parser.add_argument(
        "--budget", default="256MiB", help="memory_budget of the out-of-core runs (256MiB)"
    )
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], Path(args.child[1]), args.child[2])
        return

    started = time.perf_counter()
    sizes = [1_000_000, 2_000_000] if args.quick else [1_000_000, 4_000_000, 16_000_000]
    if args.sizes:
        sizes = [int(float(x) * 1_000_000) for x in args.sizes.split(",")]
    paths = ensure_data(sizes)
    print(
        f"Python {platform.python_version()}, pandas {pd.__version__}, pyarrow {pa.__version__}, "
        f"numpy {np.__version__}, {os.cpu_count()} CPUs; out of core with "
        f"memory_budget={args.budget}"
    )
    print(
        "one run each in a fresh process; peak = growth of its peak RSS over the size after "
        "the imports; result = the returned frame\n"
    )
    head = f"{'events':>11} {'file MiB':>9} {'cases':>10}"
    print(f"{'':>32} | {'in memory':^24} | {'out of core':^24} | {'out of core, to file':^20}")
    print(
        f"{head} | {'s':>6} {'peak MiB':>9} {'result':>7} | {'s':>6} {'peak MiB':>9} "
        f"{'result':>7} | {'s':>6} {'peak MiB':>9}"
    )
    rows = {}
    mib = 2**20

    def cells(r: dict, step: str, result: bool = True) -> str:
        if step not in r:
            return f"{'-':>6} {'-':>9}" + (f" {'-':>7}" if result else "")
        text = f"{r[step]['seconds']:>6.1f} {r[step]['peak'] / mib:>9.0f}"
        return text + (f" {r[step]['result'] / mib:>7.0f}" if result else "")

    for n, path in paths.items():
        cases = pq.read_table(path, columns=["case:concept:name"]).column(0)
        n_cases = len(cases.unique())
        del cases
        steps = ("memory", "frame", "file") if n <= IN_MEMORY_MAX else ("file",)
        r = {step: run(step, path, args.budget) for step in steps}
        rows[n] = r
        print(
            f"{n:>11,} {path.stat().st_size / mib:>9.0f} {n_cases:>10,} | "
            f"{cells(r, 'memory')} | {cells(r, 'frame')} | {cells(r, 'file', result=False)}",
            flush=True,
        )
    small, large = rows[sizes[0]], rows[sizes[-1]]
    grow = sizes[-1] / sizes[0]
    print(f"\nfrom {sizes[0]:,} to {sizes[-1]:,} events (file {grow:.0f}x):")
    for step, name in (("memory", "in memory"), ("frame", "out of core"), ("file", "to file")):
        if step not in large:
            print(f"  {name:<12} not run on the largest log")
            continue
        peak = large[step]["peak"] / small[step]["peak"]
        secs = large[step]["seconds"] / small[step]["seconds"]
        over = (large[step]["peak"] - large[step]["result"]) / 2**20
        print(
            f"  {name:<12} peak {peak:>5.2f}x, time {secs:>5.2f}x; largest log: peak minus "
            f"result {over:,.0f} MiB"
        )
    for n, r in rows.items():
        if "memory" not in r:
            continue
        print(
            f"  {n:>11,} events: out of core / in memory: time "
            f"{r['frame']['seconds'] / r['memory']['seconds']:.2f}x, peak "
            f"{r['frame']['peak'] / r['memory']['peak']:.2f}x (to file: time "
            f"{r['file']['seconds'] / r['memory']['seconds']:.2f}x, peak "
            f"{r['file']['peak'] / r['memory']['peak']:.2f}x)"
        )
    same = identical(paths[sizes[0]], args.budget)
    print(f"identical timings on {sizes[0]:,} events (out of core vs in memory): {same}")
    print(
        f"load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}; "
        f"total bench time {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
