"""Writing the federal sample: Parquet partitioned by region, in parallel (:func:`write_federal`).

Layout::

    DIR/<table>/region_id=NN/part-0.parquet   (every table, every region; NN two digits)
    DIR/dataset.json
    DIR/README.md

``region_id`` lives in the directory names only (Hive partitioning), so
``pyarrow.dataset.dataset(DIR / "cases", partitioning="hive")`` reads it as a column and can
filter on it without opening the other regions' files. Chuvashia (``region_id=21``) holds the
regional sample of the same seed; every other region is built by
:func:`effmuni.synth._federal.region_tables` from ``SeedSequence([seed, region_id])``.

Regions are generated in worker processes (``concurrent.futures.ProcessPoolExecutor``, two
workers by default, forked where the platform can); each worker writes its region's files and returns their row counts. The
files do not depend on the number of workers or the order they finish in, and the same seed
gives byte-identical files: the Parquet writer's options are fixed (zstd, dictionary encoding,
statistics, one row group of at most 1,048,576 rows) and no metadata holds a time or a path.
"""

from __future__ import annotations

import json
import multiprocessing
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..schema import TABLE_ORDER
from ._clock import AS_OF
from ._federal import CHUVASHIA, REGIONS, chuvashia_tables, region_tables
from ._federal_base import federal_services
from ._reference import read_text

__all__ = ["partition_dir", "write_federal"]

_WRITE_OPTIONS = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "row_group_size": 1 << 20,
    "version": "2.6",
    "data_page_version": "1.0",
    "store_schema": False,
}


def partition_dir(out: Path, table: str, region_id: int) -> Path:
    """``out/<table>/region_id=NN``."""
    return Path(out) / table / f"region_id={region_id:02d}"


def _write_region(args: tuple[str, int, int]) -> dict[str, int]:
    """Generate and write one region; the row count of each table."""
    out, seed, rid = args
    tables = chuvashia_tables(seed) if rid == CHUVASHIA else region_tables(seed, rid)
    counts = {}
    for name in TABLE_ORDER:
        table: pa.Table = tables[name].replace_schema_metadata(None)
        folder = partition_dir(Path(out), name, rid)
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, folder / "part-0.parquet", **_WRITE_OPTIONS)
        counts[name] = table.num_rows
    return counts


def write_federal(
    out_dir: str | Path, seed: int = 2023, *, regions: int | None = None, workers: int = 2
) -> dict:
    """Write the federal synthetic sample into ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write; created when missing. The table folders in it are replaced.
    seed : int, default 2023
        The regions draw from ``SeedSequence([seed, region_id])``; Chuvashia is the regional
        sample of ``seed``.
    regions : int, optional
        Generate only the first ``regions`` regions of :data:`REGIONS` (Chuvashia first); all 85
        when omitted.
    workers : int, default 2
        Worker processes; 1 generates in this process. The files do not depend on it.

    Returns
    -------
    dict
        ``regions`` (the region ids), ``rows`` (rows per table), ``rows_by_region``
        (region id to rows per table) and ``files`` (the paths written).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rids = REGIONS if regions is None else REGIONS[: max(1, int(regions))]
    for name in TABLE_ORDER:
        if (out / name).is_dir():
            shutil.rmtree(out / name)
    jobs = [(str(out), seed, rid) for rid in rids]
    if workers <= 1 or len(jobs) == 1:
        results = [_write_region(j) for j in jobs]
    else:
        # fork where there is one: spawn and forkserver re-import ``__main__``, which fails
        # for scripts read from standard input and notebooks
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            results = list(pool.map(_write_region, jobs))
    by_region = dict(zip(rids, results, strict=True))
    rows = {name: sum(r[name] for r in results) for name in TABLE_ORDER}
    summary = {"regions": list(rids), "rows": rows, "rows_by_region": by_region}
    (out / "dataset.json").write_bytes(_metadata(seed, rids, rows).encode("utf-8"))
    (out / "README.md").write_bytes(_readme(seed, rids, rows, by_region).encode("utf-8"))
    files = sorted(p for p in out.rglob("*") if p.is_file())
    summary["files"] = files
    return summary


def _source(seed: int, rids) -> str:
    src = f"effmuni sample --scale federal --seed {seed}"
    return src if len(rids) == len(REGIONS) else f"{src} --regions {len(rids)}"


def _metadata(seed: int, rids, rows: dict[str, int]) -> str:
    meta = {
        "title": (
            f"Synthetic federal sample: {len(rids)} regions, {rows['municipalities']} municipal "
            "units, 2023Q1-2025Q4"
        ),
        "synthetic": True,
        "extract_date": f"{AS_OF:%Y-%m-%d}",
        "source": _source(seed, rids),
        "format": "parquet",
        "partitioning": "hive: <table>/region_id=NN/part-0.parquet",
        "region_ids": list(rids),
    }
    return json.dumps(meta, indent=2, ensure_ascii=False) + "\n"


def _readme(seed: int, rids, rows: dict[str, int], by_region: dict[int, dict[str, int]]) -> str:
    table_rows = "\n".join(f"| `{name}` | {rows[name]:,} |" for name in TABLE_ORDER)
    region_rows = "\n".join(
        f"| {rid} | {c['municipalities']} | {c['projects']:,} | {c['cases']:,} | "
        f"{c['service_stats']:,} |"
        for rid, c in sorted(by_region.items())
    )
    return read_text("federal_readme.md").format(
        source=_source(seed, rids),
        seed=seed,
        n_regions=len(rids),
        n_services=len(federal_services()),
        as_of=f"{AS_OF:%Y-%m-%d}",
        table_rows=table_rows,
        region_rows=region_rows,
    )
