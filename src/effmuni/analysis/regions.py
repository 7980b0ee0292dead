"""The analysis of a partitioned (federal) dataset: once per region, in parallel on Dask.

:func:`analyse_regions` sends one task per region to a Dask cluster (a ``LocalCluster`` of its
own, or the scheduler at an address). Each task reads only its region's partitions
(``load_dataset(path, region=...)``), runs :func:`~effmuni.analyse` on them and writes the
:class:`Analysis` to ``<output_dir>/region_id=NN/`` (Parquet tables and a JSON file, written to a
temporary folder first and renamed into place). Only a one-row summary comes back to the
client; :func:`load_region` reads a region's analysis back and :func:`national_rollup` joins
the regions' small result tables, so no full-country frame of cases or statistics is ever built
on the client.

Faults: a region whose partitions cannot be read or do not validate is *quarantined*: its
problems go to ``<output_dir>/quarantine/region_id=NN.csv`` and the other regions go on. A
worker that dies mid-task (killed, or over its memory budget) is replaced by its nanny and
Dask runs the task again elsewhere; since a region's output appears in one rename, a rerun
neither duplicates nor half-writes it.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import shutil
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from ..io import DataError
from ..io.partitioned import PARTITION_KEY, partition_values
from .config import AnalysisConfig
from .core import Analysis, analyse
from .inputs import inputs_from_bundle, report_bundle

__all__ = [
    "REGION_COLUMNS",
    "analyse_regions",
    "computed_units",
    "connect_scheduler",
    "dataset_regions",
    "load_region",
    "national_effect",
    "national_rollup",
    "region_folder",
    "region_of",
    "region_inputs",
    "region_report_inputs",
]

#: columns of the summary :func:`analyse_regions` returns, one row per region
REGION_COLUMNS = (
    "region_id",
    "status",  # ok, quarantined, failed
    "n_municipalities",
    "n_projects",
    "n_cases",
    "n_rejected",  # rows left out (with --lenient) or that put the region in quarantine
    "seconds",
    "worker_peak_mb",  # peak resident memory of the worker process that ran the task
    "worker",
    "error",
)

#: the small per-unit and per-region tables :func:`national_rollup` joins across regions
_ROLLUP_TABLES = (
    "savings",
    "pooled_municipality",
    "pooled_region",
    "annual_region",
    "compliance",
    "index",
    "scores",
    "effects_overall",
)


def region_folder(output_dir: str | Path, region_id: int) -> Path:
    """Where :func:`analyse_regions` writes a region's analysis: ``region_id=NN``."""
    return Path(output_dir) / f"{PARTITION_KEY}={int(region_id):02d}"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kibibytes


def _write_folder(final: Path, tables: dict[str, pd.DataFrame], meta: dict) -> None:
    """Write ``tables`` and ``meta`` as ``final`` in one rename (a rerun replaces it whole)."""
    tmp = final.with_name(f".{final.name}.{uuid.uuid4().hex}.tmp")
    tmp.mkdir(parents=True)
    try:
        for name, frame in tables.items():
            frame.to_parquet(tmp / f"{name}.parquet")
        (tmp / "meta.json").write_text(
            json.dumps({**meta, "tables": list(tables)}, default=str), encoding="utf-8"
        )
        if final.exists():  # an earlier attempt finished: replace it, never merge into it
            old = final.with_name(f".{final.name}.{uuid.uuid4().hex}.old")
            os.replace(final, old)
            shutil.rmtree(old, ignore_errors=True)
        os.replace(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _rejected(report) -> int:
    """Rows left out by a validation report (0 without one)."""
    return 0 if report is None else int(report.counts["rows_rejected"].sum())


def _region_task(
    path: str, region_id: int, config: dict, output_dir: str, strict: bool, lang: str
) -> dict:
    """One region: read its partitions, analyse them, write the result. Runs on a worker."""
    from ..datasets import load_dataset

    start = time.perf_counter()
    row = {"region_id": region_id, "worker": os.getpid()}
    name = f"{PARTITION_KEY}={region_id:02d}"
    quarantine = Path(output_dir) / "quarantine" / f"{name}.csv"
    rejected_dir = Path(output_dir) / "quarantine" / name
    quarantine.unlink(missing_ok=True)  # an earlier run's quarantine no longer applies
    shutil.rmtree(rejected_dir, ignore_errors=True)
    try:
        ds = load_dataset(path, region=region_id, strict=strict)
        if ds.report.unusable:  # rows may be left out, whole tables may not
            raise DataError(ds.report)
    except DataError as e:
        quarantine.parent.mkdir(parents=True, exist_ok=True)
        if e.report is not None:
            problems = e.report.errors.copy()
            e.report.write_quarantine(rejected_dir)  # the rejected rows, with their reasons
        else:
            problems = pd.DataFrame({"problem": [e.message(lang)]})
        tmp = quarantine.with_name(f".{quarantine.name}.{uuid.uuid4().hex}.tmp")
        problems.to_csv(tmp, index=False)
        os.replace(tmp, quarantine)
        return {
            **row,
            "status": "quarantined",
            "n_rejected": _rejected(e.report),
            "seconds": time.perf_counter() - start,
            "worker_peak_mb": _peak_mb(),
            "error": _quarantine_reason(e, lang, name),
        }
    if _rejected(ds.report):  # --lenient: the accepted rows are analysed, the others kept
        ds.report.write_quarantine(rejected_dir)
    result = analyse(ds, AnalysisConfig(**config), cache=False)
    # the analysis and what a report draws from the dataset itself: names, services, dates
    tables, meta = report_bundle(ds, result)
    _write_folder(region_folder(output_dir, region_id), tables, {**meta, "region_id": region_id})
    return {
        **row,
        "status": "ok",
        "n_municipalities": len(ds.municipalities),
        "n_projects": len(ds.projects),
        "n_cases": len(ds.cases),
        "n_rejected": _rejected(ds.report),
        "seconds": time.perf_counter() - start,
        "worker_peak_mb": _peak_mb(),
        "error": "",
    }


def _quarantine_reason(e: DataError, lang: str, name: str) -> str:
    """Why a region was quarantined, in a few lines (the command line, ``regions.csv`` and the
    federal page show it): how many problems, the first kind, and where the rest is."""
    if e.report is None:
        return e.message(lang)
    from ..text import label
    from ..validate import group_count, grouped_lines

    problems = e.report.errors
    return label(
        "region_quarantine_reason",
        lang,
        n=len(problems),
        kinds=group_count(problems),
        first=grouped_lines(problems, lang, limit=1, examples=2)[0],
        problems=f"quarantine/{name}.csv",
        rows=f"quarantine/{name}/",
    )


def load_region(output_dir: str | Path, region_id: int) -> Analysis:
    """The :class:`Analysis` of one region as :func:`analyse_regions` wrote it.

    Raises
    ------
    FileNotFoundError
        When the region has no result (not analysed, quarantined or failed).
    """
    return region_inputs(output_dir, region_id)[1]


def computed_units(output_dir: str | Path) -> pd.DataFrame:
    """``municipality_id`` and ``region_id`` of every unit of the regions computed so far.

    Raises :class:`~effmuni.text.Refusal` when a unit is in two computed regions: the data
    changed between ``analyse`` runs (validation rejects one id in two regions within a run),
    and which region's results are current cannot be told.
    """
    from ..text import Refusal

    index = pd.read_parquet(Path(output_dir) / "municipalities.parquet")
    twice = index[index["municipality_id"].duplicated(keep=False)]
    if len(twice):
        regions = twice.groupby("municipality_id", sort=True)["region_id"].agg(
            lambda r: ", ".join(str(x) for x in sorted(r))
        )
        raise Refusal(
            "err_units_in_two_regions",
            units="; ".join(f"{m} ({r})" for m, r in regions.items()),
            regions=",".join(sorted({str(x) for x in twice["region_id"]}, key=int)),
        )
    return index


def region_of(output_dir: str | Path, municipality_id: str) -> int:
    """The region of ``municipality_id`` among the regions :func:`analyse_regions` computed.

    Raises
    ------
    ValueError
        When no computed region holds it.
    """
    index = computed_units(output_dir)
    hit = index.loc[index["municipality_id"] == municipality_id, "region_id"]
    if hit.empty:
        raise ValueError(
            f"unknown municipality {municipality_id!r}: no computed region in {output_dir} has it"
        )
    return int(hit.iloc[0])


def region_report_inputs(output_dir: str | Path, municipality_id: str):
    """What :func:`effmuni.municipality_report` needs for one unit of a federal run.

    Reads the unit's region only: its :class:`Analysis` (:func:`load_region`) and a
    :class:`~effmuni.Dataset` holding just the region's municipalities and the projects'
    services and the dataset's extract date (the other tables empty), so a report of a
    federal dataset never reads or validates case data.

    Returns
    -------
    (Dataset, Analysis)
    """
    return region_inputs(output_dir, region_of(output_dir, municipality_id))


def region_inputs(output_dir: str | Path, region_id: int):
    """A region's :class:`Analysis` and the slim :class:`~effmuni.Dataset` its reports and
    front page draw (municipalities, the projects' names, the institutions' levels, the
    extract date), as :func:`analyse_regions` wrote them.

    Raises
    ------
    FileNotFoundError
        When the region has no result (not analysed, quarantined or failed).
    """
    folder = region_folder(output_dir, region_id)
    meta_path = folder / "meta.json"
    if not meta_path.is_file():
        raise FileNotFoundError(f"no analysis of region {region_id} in {output_dir}")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in meta["tables"]}
    return inputs_from_bundle(tables, meta, source=str(folder))


def national_rollup(output_dir: str | Path) -> dict[str, pd.DataFrame]:
    """Join the regions' result tables written by :func:`analyse_regions`.

    Each table gains a leading ``region_id`` column: ``savings`` (one row per project),
    ``pooled_municipality``, ``compliance``, ``index`` and ``scores`` (one row per
    municipality), ``pooled_region``, ``annual_region`` and ``effects_overall`` (one row per
    region); and ``effects_national``: the regions' causal effects pooled with random effects
    (DerSimonian–Laird τ², Hartung–Knapp–Sidik–Jonkman interval, a prediction interval for a
    new region). Only these result tables are read, never the cases or service statistics.
    """
    out = Path(output_dir)
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in _ROLLUP_TABLES}
    for folder in sorted(out.glob(f"{PARTITION_KEY}=*")):
        if not (folder / "meta.json").is_file():
            continue
        rid = int(folder.name.split("=", 1)[1])
        for name in _ROLLUP_TABLES:
            path = folder / f"{name}.parquet"
            if path.is_file():
                frame = pd.read_parquet(path)
                if name in ("index", "scores") and frame.index.name == "municipality_id":
                    frame = frame.reset_index()
                parts[name].append(frame.assign(region_id=rid))
    rolled = {}
    for name, frames in parts.items():
        frames = [f for f in frames if not f.empty]
        if frames:
            frame = pd.concat(frames, ignore_index=True)
            rolled[name] = frame[["region_id", *[c for c in frame if c != "region_id"]]]
        else:
            rolled[name] = pd.DataFrame({"region_id": pd.Series(dtype="int64")})
    rolled["effects_national"] = national_effect(rolled["effects_overall"])
    return rolled


def national_effect(regional: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """The regions' causal effects pooled: random effects with the HKSJ interval.

    ``att`` is the effect on the log of the lead time, so the typical reduction is
    ``1 - exp(att)``; the prediction interval says where a new region's effect may fall.
    """
    from ..savings.pooling import random_effects

    columns = ["n_regions", "att", "se", "att_low", "att_high", "reduction_pct"]
    columns += ["reduction_pct_low", "reduction_pct_high", "pi_low", "pi_high", "tau2", "i2"]
    usable = regional.dropna(subset=["att", "se"]) if "att" in regional else regional.iloc[:0]
    usable = usable[usable["se"] > 0] if len(usable) else usable
    if usable.empty:
        return pd.DataFrame(columns=columns)
    fit = random_effects(
        usable["att"].to_numpy(), usable["se"].to_numpy() ** 2, confidence=confidence
    )
    att, low, high = fit["log_ratio"], fit["low"], fit["high"]
    row = {
        "n_regions": len(usable),
        "att": att,
        "se": fit["log_ratio_se"],
        "att_low": low,
        "att_high": high,
        "reduction_pct": 100 * (1 - np.exp(att)),
        "reduction_pct_low": 100 * (1 - np.exp(high)),
        "reduction_pct_high": 100 * (1 - np.exp(low)),
        "pi_low": fit.get("pi_low", np.nan),
        "pi_high": fit.get("pi_high", np.nan),
        "tau2": fit.get("tau2", np.nan),
        "i2": fit.get("i2", np.nan),
    }
    return pd.DataFrame([row], columns=columns)


def dataset_regions(path: str | Path) -> list[int]:
    """The region ids of a dataset partitioned by ``region_id`` (empty when it is not)."""
    return sorted({int(v) for v in partition_values(Path(path) / "municipalities") if v.isdigit()})


def _sweep(out: Path) -> None:
    """Remove hidden temporary files and folders: never results, only what a killed task
    (or run) was writing when it died."""
    for folder in (out, out / "quarantine"):
        for stale in [*folder.glob(".*.tmp"), *folder.glob(".*.old")]:
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)


def _write_index(out: Path) -> None:
    """``municipalities.parquet``: municipality_id → region_id of every computed region."""
    parts = [
        pd.read_parquet(
            folder / "report.municipalities.parquet", columns=["municipality_id"]
        ).assign(region_id=int(folder.name.split("=", 1)[1]))
        for folder in sorted(out.glob(f"{PARTITION_KEY}=*"))
        if (folder / "report.municipalities.parquet").is_file()
    ]
    index = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame({"municipality_id": pd.Series(dtype="str"), "region_id": []})
    )
    tmp = out / f".municipalities.{uuid.uuid4().hex}.tmp"
    index.to_parquet(tmp)
    os.replace(tmp, out / "municipalities.parquet")


def _regions_of(path: Path, regions) -> list[int]:
    found = dataset_regions(path)
    if not found:
        raise ValueError(
            f"{path} is not a dataset partitioned by {PARTITION_KEY} "
            "(expected municipalities/region_id=NN/ folders)"
        )
    if regions is None or regions == "all":
        return found
    wanted = [int(r) for r in ([regions] if isinstance(regions, int | str) else regions)]
    unknown = sorted(set(wanted) - set(found))
    if unknown:
        raise ValueError(
            f"unknown region id(s) {', '.join(map(str, unknown))}; "
            f"the dataset has: {', '.join(map(str, found))}"
        )
    return wanted


def connect_scheduler(address: str, timeout: str = "20s"):
    """A :class:`distributed.Client` of the Dask scheduler at ``address`` (``tcp://host:8786``).

    Raises :class:`~effmuni.text.Refusal` (worded in the reader's language by the command
    line) when dask.distributed is not installed or the scheduler cannot be reached within
    ``timeout``, instead of the connection's own traceback.
    """
    from ..text import Refusal

    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - depends on the environment
        raise Refusal("err_no_distributed") from None
    try:
        return Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError, TypeError) as e:
        raise Refusal("err_scheduler_unreachable", address=address, error=e) from None


def analyse_regions(
    path: str | Path,
    config: AnalysisConfig | None = None,
    *,
    output_dir: str | Path,
    regions=None,
    scheduler: str | None = None,
    workers: int = 2,
    memory_limit: str = "4GiB",
    strict: bool = True,
    lang: str = "ru",
    progress: bool = True,
) -> pd.DataFrame:
    """Analyse every region of a partitioned dataset once, one Dask task per region.

    Parameters
    ----------
    path : str or Path
        A dataset partitioned by ``region_id`` (``effmuni sample --scale federal``).
    config : AnalysisConfig, optional
        The options of every region's analysis (the defaults when omitted).
    output_dir : str or Path
        Where each region's analysis goes (``region_id=NN/``), with the problems of
        quarantined regions in ``quarantine/region_id=NN.csv``, rows left out (with their
        reasons) in ``quarantine/region_id=NN/`` and the summary as ``regions.csv``.
    regions : "all", an id or a list of ids, optional
        The regions to analyse (default: all the dataset has).
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``). Its workers need effmuni
        installed and ``path`` and ``output_dir`` on a shared file system; their memory
        budget is theirs (``dask worker --memory-limit``). Without it a ``LocalCluster`` of
        ``workers`` processes is started and stopped.
    workers : int, default 2
        Worker processes of the local cluster (one thread each).
    memory_limit : str, default "4GiB"
        The memory budget of each local worker. Dask's nanny enforces it: a worker past 95 %
        of it is restarted and its task runs again; a region that fails three times this way
        is reported as failed.
    strict : bool, default True
        A region with any invalid row is quarantined; with False its valid rows are analysed
        (only unreadable or unusable partitions are quarantined).
    lang : {"ru", "en"}
        Language of the ``error`` column.
    progress : bool
        Show a progress bar over regions.

    Returns
    -------
    pandas.DataFrame
        One row per region, columns :data:`REGION_COLUMNS`; ``attrs["memory_limit"]`` holds
        the budget per worker in bytes.

    Examples
    --------
    >>> import effmuni as em  # doctest: +SKIP
    >>> em.analyse_regions("federal", output_dir="federal-analysis")  # doctest: +SKIP
    """
    import dask
    from distributed import Client, KilledWorker, LocalCluster, as_completed
    from tqdm.auto import tqdm

    from ..text import fmt_number, label

    config = AnalysisConfig() if config is None else config
    path = Path(path).resolve()
    out = Path(output_dir).resolve()
    ids = _regions_of(path, regions)
    out.mkdir(parents=True, exist_ok=True)
    _sweep(out)  # what a killed run left

    cluster = None
    if scheduler:
        client = connect_scheduler(scheduler)
    else:
        cluster = LocalCluster(
            n_workers=max(1, int(workers)),
            threads_per_worker=1,
            processes=True,
            memory_limit=memory_limit,
            host="127.0.0.1",
            dashboard_address=":0",  # no fixed port (8787 may be taken)
            silence_logs=logging.CRITICAL,  # restarts and failures are in the summary, worded
        )
        client = Client(cluster)
    rows: dict[int, dict] = {}
    try:
        limits = {w["memory_limit"] for w in client.scheduler_info()["workers"].values()}
        futures = {
            client.submit(
                _region_task,
                str(path),
                rid,
                config.as_dict(),
                str(out),
                strict,
                lang,
                key=f"effmuni-region-{rid:02d}-{uuid.uuid4().hex[:8]}",
                pure=False,
            ): rid
            for rid in ids
        }
        bar = tqdm(total=len(ids), desc="regions", unit="region", disable=not progress)
        budget = max(limits) if limits else None
        tries = int(dask.config.get("distributed.scheduler.allowed-failures")) + 1
        for fut in as_completed(futures):
            rid = futures[fut]
            try:
                rows[rid] = fut.result()
            except KilledWorker:  # the nanny restarted workers past their budget (or they died)
                gib = "?" if budget is None else fmt_number(budget / 2**30, lang, digits=1)
                shown = label("cli_analyse_budget", lang, gib=gib)
                words = label("regions_killed_worker", lang, n=tries, budget=shown)
                rows[rid] = {"region_id": rid, "status": "failed", "error": words}
            except Exception as e:  # a bug in the analysis of this region: the rest goes on
                words = label("regions_task_failed", lang, error=f"{type(e).__name__}: {e}")
                rows[rid] = {"region_id": rid, "status": "failed", "error": words}
            bar.update(1)
        bar.close()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    _sweep(out)  # what a worker killed mid-write left (its task ran again elsewhere)
    summary = pd.DataFrame([rows[rid] for rid in ids]).reindex(columns=list(REGION_COLUMNS))
    for col in ("n_municipalities", "n_projects", "n_cases", "n_rejected"):
        summary[col] = summary[col].astype("Int64")
    summary["error"] = summary["error"].fillna("")
    summary.attrs["memory_limit"] = budget
    _write_index(out)
    tmp = out / f".regions.{uuid.uuid4().hex}.tmp"
    summary.to_csv(tmp, index=False)
    os.replace(tmp, out / "regions.csv")
    return summary
