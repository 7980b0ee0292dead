"""Benchmark: reading event logs and computing case timings.

Run ``.venv/bin/python benchmarks/bench_io.py`` (or ``make bench``); it prints tables, it is not
a test. Synthetic logs are generated once (seeded) into ``benchmarks/_data/`` (git-ignored):

- ``log_1m.csv``: 1,000,000 events of about 100,000 cases, ISO 8601 timestamps with ``+03:00`` and
  ``+05:00`` offsets, start and completion times, a resource column (2 % missing);
- ``log_50k.xes``, ``log_100k.xes`` and ``log_100k.xes.gz``: XES with the same kind of events.

Timings are wall-clock, best and median of several runs in this process (warm page cache);
the CSV runs alternate the bare read and ours (A/B, then B/A), so that load changes on a shared
machine hit both alike, and the ratio is also given per interleaved pair, with the load average;
XES reading, which is single-threaded, is also timed in process CPU time, which varies less
when other work shares the machine.
Peak memory is measured in a fresh subprocess per step: the growth of its peak resident set
size (``VmHWM``) over the size after imports. The PM4Py figures are references measured
earlier on this machine; pm4py (AGPL) is not installed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data"
SEED = 2024
N_EVENTS = 1_000_000
PM4PY_CSV_SECONDS = 4.7  # PM4Py CSV route, 1,000,000 events, measured earlier on this machine
PM4PY_XES_EVENTS_PER_SECOND = 14_000
ACTIVITIES = [
    "Регистрация заявления",
    "Проверка комплектности",
    "Межведомственный запрос",
    "Получение ответа",
    "Проверка документов",
    "Выезд на место",
    "Подготовка проекта решения",
    "Согласование",
    "Подписание",
    "Выдача результата",
    "Возврат на доработку",
    "Уведомление заявителя",
]


# --------------------------------------------------------------------------- data


def _events(n_events: int, seed: int) -> dict[str, np.ndarray]:
    """A synthetic log: cases of 5-15 sequential events, grouped by case, in time order."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(5, 16, n_events // 5 + 1)
    sizes = sizes[: np.searchsorted(np.cumsum(sizes), n_events) + 1]
    sizes[-1] -= sizes.sum() - n_events
    n_cases = len(sizes)
    case = np.repeat(np.arange(n_cases), sizes)
    first = np.r_[0, np.cumsum(sizes)[:-1]]
    step = np.arange(n_events) - np.repeat(first, sizes)
    activity = (step + rng.integers(0, 3, n_events)) % len(ACTIVITIES)
    work = rng.integers(5 * 60, 4 * 3600, n_events)  # seconds of work per event
    wait = rng.exponential(8 * 3600, n_events).astype(np.int64)  # seconds of wait before it
    elapsed = np.cumsum(work + wait)
    elapsed -= np.repeat(elapsed[first] - work[first] - wait[first], sizes)
    opened = np.datetime64("2023-01-09T06:00", "s") + rng.integers(0, 700 * 86400, n_cases)
    end = np.repeat(opened, sizes) + elapsed.astype("timedelta64[s]")
    offset = np.repeat(np.where(rng.random(n_cases) < 0.8, 3, 5), sizes)  # Moscow, Yekaterinburg
    resource = rng.integers(0, 400, n_events)
    resource[rng.random(n_events) < 0.02] = -1
    return {
        "case": case,
        "activity": activity,
        "start": end - work.astype("timedelta64[s]"),
        "end": end,
        "offset": offset,
        "resource": resource,
    }


def _iso(utc: np.ndarray, offset_hours: np.ndarray) -> pa.Array:
    local = utc + (offset_hours * 3600).astype("timedelta64[s]")
    text = pa.array(np.datetime_as_string(local, unit="s"))
    suffix = pa.array(np.where(offset_hours == 3, "+03:00", "+05:00"))
    return pc.binary_join_element_wise(text, suffix, "")


def make_csv(path: Path, n_events: int = N_EVENTS) -> None:
    ev = _events(n_events, SEED)
    case = pc.binary_join_element_wise("Дело-", pa.array(ev["case"].astype(str)), "")
    activity = pa.array(np.array(ACTIVITIES)[ev["activity"]])
    resource = pa.array(np.char.add("Специалист ", ev["resource"].astype(str)))
    resource = pc.if_else(pa.array(ev["resource"] < 0), "", resource)
    columns = [case, activity, _iso(ev["start"], ev["offset"]), _iso(ev["end"], ev["offset"])]
    lines = pc.binary_join_element_wise(*columns, resource, ",")
    header = "case:concept:name,concept:name,start_timestamp,time:timestamp,org:resource\n"
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(header)
        fh.write("\n".join(lines.to_pylist()))
        fh.write("\n")
    tmp.replace(path)


def make_xes(path: Path, n_events: int) -> None:
    ev = _events(n_events, SEED + n_events)
    iso = _iso(ev["end"], ev["offset"]).to_pylist()
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<log xes.version="1849.2016" xmlns="http://www.xes-standard.org/">\n'
        ' <extension name="Concept" prefix="concept" '
        'uri="http://www.xes-standard.org/concept.xesext"/>\n'
    ]
    bounds = np.r_[np.flatnonzero(np.diff(ev["case"])) + 1, n_events]
    lo = 0
    for hi in bounds:
        out.append(f' <trace>\n  <string key="concept:name" value="Дело-{ev["case"][lo]}"/>\n')
        for i in range(lo, hi):
            res = ev["resource"][i]
            who = f'   <string key="org:resource" value="Специалист {res}"/>\n' if res >= 0 else ""
            out.append(
                "  <event>\n"
                f'   <string key="concept:name" value="{ACTIVITIES[ev["activity"][i]]}"/>\n'
                f"{who}"
                f'   <date key="time:timestamp" value="{iso[i]}"/>\n'
                '   <string key="lifecycle:transition" value="complete"/>\n'
                f'   <int key="cost" value="{i % 97 * 10}"/>\n'
                "  </event>\n"
            )
        out.append(" </trace>\n")
        lo = hi
    out.append("</log>\n")
    path.write_text("".join(out), encoding="utf-8")


def ensure_data() -> dict[str, Path]:
    DATA.mkdir(exist_ok=True)
    paths = {
        "csv": DATA / "log_1m.csv",
        "xes50": DATA / "log_50k.xes",
        "xes100": DATA / "log_100k.xes",
        "xes100gz": DATA / "log_100k.xes.gz",
    }
    t = time.perf_counter()
    made = []
    if not paths["csv"].exists():
        make_csv(paths["csv"])
        made.append(paths["csv"].name)
    for key, n in (("xes50", 50_000), ("xes100", 100_000)):
        if not paths[key].exists():
            make_xes(paths[key], n)
            made.append(paths[key].name)
    if not paths["xes100gz"].exists():
        paths["xes100gz"].write_bytes(gzip.compress(paths["xes100"].read_bytes(), 6, mtime=0))
        made.append(paths["xes100gz"].name)
    if made:
        print(f"generated {', '.join(made)} in {time.perf_counter() - t:.1f} s")
    return paths


# --------------------------------------------------------------------------- steps


def _bare(path: Path) -> object:
    return pacsv.read_csv(path)


def _eventlog(path: Path) -> object:
    from effmuni.io import read_event_log
    from effmuni.timing import case_timings

    return case_timings(read_event_log(path))


def _read(path: Path) -> object:
    from effmuni.io import read_event_log

    return read_event_log(path)


def _xml_tree(path: Path) -> object:
    import xml.etree.ElementTree as ET

    return ET.parse(path)


STEPS: dict[str, Callable[[Path], object]] = {
    "bare": _bare,
    "eventlog": _eventlog,
    "read": _read,
    "tree": _xml_tree,
}


def _high_water_kib() -> int:
    """This process's peak resident set size so far (KiB).

    ``VmHWM`` from ``/proc/self/status`` where available: unlike ``ru_maxrss`` it starts afresh
    at ``exec``, whereas ``ru_maxrss`` keeps the parent's peak at ``fork``.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _peak_child(step: str, path: Path) -> None:
    """Subprocess entry: run one step once; print its peak RSS growth and result size (bytes)."""
    from effmuni import io, timing  # noqa: F401  (imports are not part of the peak)

    before = _high_water_kib()
    t = time.perf_counter()
    result = STEPS[step](path)
    seconds = time.perf_counter() - t
    after = _high_water_kib()
    size = result.memory_usage(deep=True).sum() if isinstance(result, pd.DataFrame) else 0
    print(json.dumps({"peak": (after - before) * 1024, "seconds": seconds, "result": int(size)}))


def peak_rss(step: str, path: Path) -> tuple[float, float]:
    """Peak RSS growth and result size, in MiB, of ``step`` run once in a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", step, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    return report["peak"] / 2**20, report["result"] / 2**20


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """Best and median wall-clock seconds, and the best process CPU seconds, of ``fn()``."""
    runs, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        runs.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return min(runs), statistics.median(runs), min(cpu)


# --------------------------------------------------------------------------- report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("STEP", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=7, help="timed CSV runs (default 7)")
    args = parser.parse_args()
    if args.child:
        _peak_child(args.child[0], Path(args.child[1]))
        return

    from effmuni.io import read_event_log
    from effmuni.timing import case_timings

    started = time.perf_counter()
    paths = ensure_data()
    csv = paths["csv"]
    print(
        f"Python {platform.python_version()}, pandas {pd.__version__}, pyarrow {pa.__version__}, "
        f"numpy {np.__version__}, {os.cpu_count()} CPUs"
    )

    # CSV: interleave the two steps so that machine noise hits both alike
    log = read_event_log(csv)
    n_events, n_cases = len(log), log["case_id"].nunique()
    del log
    bare_runs, ours_runs, read_runs = [], [], []
    bare_cpu, ours_cpu, read_cpu = [], [], []
    load_before = os.getloadavg()

    def bare() -> None:
        c = time.process_time()
        bare_runs.append(timed(lambda: pacsv.read_csv(csv), 1)[0])
        bare_cpu.append(time.process_time() - c)

    def ours() -> None:
        t, c = time.perf_counter(), time.process_time()
        log = read_event_log(csv)
        read_runs.append(time.perf_counter() - t)
        read_cpu.append(time.process_time() - c)
        case_timings(log)
        ours_runs.append(time.perf_counter() - t)
        ours_cpu.append(time.process_time() - c)

    for i in range(args.repeat):  # A/B, B/A, ...: load changes and order hit both alike
        for step in (bare, ours) if i % 2 == 0 else (ours, bare):
            step()
    load_after = os.getloadavg()
    pair_ratios = [o / b for o, b in zip(ours_runs, bare_runs, strict=True)]
    bare_best, bare_med = min(bare_runs), statistics.median(bare_runs)
    ours_best, ours_med = min(ours_runs), statistics.median(ours_runs)
    read_best, read_med = min(read_runs), statistics.median(read_runs)
    bare_peak, ours_peak = peak_rss("bare", csv)[0], peak_rss("eventlog", csv)[0]

    size = csv.stat().st_size / 2**20
    print(
        f"\nCSV: {csv.name}, {size:.0f} MiB, {n_events:,} events, {n_cases:,} cases "
        f"(best / median of {args.repeat} runs; peak = RSS growth in a fresh process)"
    )
    med = statistics.median
    print(f"{'step':<46} {'best s':>7} {'median s':>9} {'cpu s':>6} {'peak MiB':>9}")
    print(
        f"{'(a) pyarrow.csv.read_csv (bare)':<46} {bare_best:>7.3f} {bare_med:>9.3f} "
        f"{med(bare_cpu):>6.3f} {bare_peak:>9.0f}"
    )
    print(
        f"{'    read_event_log alone':<46} {read_best:>7.3f} {read_med:>9.3f} "
        f"{med(read_cpu):>6.3f} {'':>9}"
    )
    print(
        f"{'(b) read_event_log + case_timings':<46} {ours_best:>7.3f} {ours_med:>9.3f} "
        f"{med(ours_cpu):>6.3f} {ours_peak:>9.0f}"
    )
    print(
        f"ratio (b)/(a): {ours_best / bare_best:.2f}x best, {ours_med / bare_med:.2f}x median; "
        f"per interleaved pair {min(pair_ratios):.2f}x best, "
        f"{statistics.median(pair_ratios):.2f}x median, {max(pair_ratios):.2f}x worst "
        "(aim: within 1.2x)"
    )
    cores = os.cpu_count() or 1
    print(
        f"CPU (median, all threads): the bare read keeps {med(bare_cpu) / bare_med:.1f} of "
        f"{cores} cores busy; (b) needs {med(ours_cpu) - med(bare_cpu):+.3f} CPU s more than it, "
        f"while 1.2x leaves {0.2 * bare_med * cores:.3f} CPU s on {cores} cores "
        "(at best, all of it in parallel)"
    )
    print(
        f"load average (1, 5, 15 min) on {os.cpu_count()} CPUs: "
        f"{', '.join(f'{x:.2f}' for x in load_before)} before, "
        f"{', '.join(f'{x:.2f}' for x in load_after)} after the CSV runs"
    )
    print(
        f"PM4Py CSV route: {PM4PY_CSV_SECONDS} s for 1,000,000 events on this machine (measured "
        "earlier; pm4py is AGPL and not installed)"
    )
    print(
        f"speed-up of (b) against it: {PM4PY_CSV_SECONDS / ours_best:.1f}x best, "
        f"{PM4PY_CSV_SECONDS / ours_med:.1f}x median (aim: at least 5x)"
    )

    # XES: streaming speed, and memory against file size
    print(
        f"\nXES (best of {min(args.repeat, 3)} runs; cpu = process CPU time, steadier than wall "
        "time on a busy machine; peak = RSS growth in a fresh process; result = the returned "
        "frame; overhead = peak - result)"
    )
    print(
        f"{'file':<18} {'MiB':>6} {'events':>8} {'best s':>7} {'events/s':>9} {'cpu s':>6} "
        f"{'ev/cpu-s':>9} {'peak MiB':>9} {'result':>7} {'overhead':>9}"
    )
    rates = {}
    for key in ("xes50", "xes100", "xes100gz"):
        path = paths[key]
        n = len(read_event_log(path))
        best, _, cpu = timed(lambda p=path: read_event_log(p), min(args.repeat, 3))
        rates[key] = (n / best, n / cpu)
        peak, result = peak_rss("read", path)
        print(
            f"{path.name:<18} {path.stat().st_size / 2**20:>6.1f} {n:>8,} {best:>7.3f} "
            f"{n / best:>9,.0f} {cpu:>6.3f} {n / cpu:>9,.0f} {peak:>9.1f} {result:>7.1f} "
            f"{peak - result:>9.1f}"
        )
    tree_peak = peak_rss("tree", paths["xes100"])[0]
    print(
        f"for comparison, xml.etree.ElementTree.parse of {paths['xes100'].name} (whole tree, "
        f"nothing extracted): peak {tree_peak:.0f} MiB"
    )
    wall, cpu = rates["xes100"]
    print(
        f"PM4Py reads about {PM4PY_XES_EVENTS_PER_SECOND:,} events/s (reference); speed-up on "
        f"{paths['xes100'].name}: {wall / PM4PY_XES_EVENTS_PER_SECOND:.1f}x by wall time, "
        f"{cpu / PM4PY_XES_EVENTS_PER_SECOND:.1f}x by CPU time (aim: at least 150,000 events/s)"
    )
    print(
        f"\nload average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}; "
        f"total bench time {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
