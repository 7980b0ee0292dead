"""Per-municipality reports in batch: papermill in parallel, resumable, on a cluster if needed.

:func:`run_batch` executes one parameterised notebook per municipality. Each run gets its own
kernel (the ``python3`` kernel of the running environment, whatever the notebook's metadata
says), in a pool of worker processes or on a Dask cluster through its ``concurrent.futures``
executor. Outputs are written atomically: a run writes to a hidden temporary file and renames it
into place only when it is complete, so a killed batch never leaves a half-written report.

A batch stopped by SIGINT (Ctrl-C), SIGTERM or SIGHUP stops everything it started: it closes
the *lifeline* pipe its pool workers watch, each worker kills its kernel's process group
(jupyter_client starts every kernel in a session of its own) and removes the files it was
writing, then exits; the multiprocessing forkserver and resource tracker exit once the batch
and its workers are gone. A batch killed outright (SIGKILL) cannot run any code, but the
lifeline closes with it, so the same happens. See :class:`_Guard`.

Only this module knows that notebooks exist (see ``architecture.md``).
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import multiprocessing
import os
import re
import uuid
from pathlib import Path
from typing import Any

import pandas as pd

from ..analysis import source_hash
from ..analysis.regions import computed_units, connect_scheduler
from ..datasets import load_dataset, resolve_path
from ..schema import is_slug
from ..text import Refusal, check_lang
from ._export import refresh_notebook
from ._jobs import _execute_job, _Job, _prestart
from ._stop import _Guard, _leftovers, _worker_init
from ._warm import _close_all_warm, _close_warm

__all__ = ["SUMMARY_COLUMNS", "parse_parameter", "refresh_notebook", "run_batch"]

SUMMARY_COLUMNS = ("municipality_id", "status", "seconds", "notebook", "html", "error")


# --------------------------------------------------------------------------- parameters


_INT = re.compile(r"^[+-]?(0|[1-9]\d*)$")
_FLOAT = re.compile(r"^[+-]?(0|[1-9]\d*)?\.\d*[1-9]$|^[+-]?(0|[1-9]\d*)\.0$")


def parse_parameter(text: str) -> Any:
    """Turn a command-line parameter value into a Python literal, conservatively.

    Unlike ``papermill -p``, a value is converted only when the conversion gives back exactly
    the text typed: ``500`` → 500, ``0.95`` → 0.95, ``True``/``False``/``None`` → themselves.
    Everything else stays a string, so leading zeros (``0123``), dates (``2024-01-01``),
    quotes and Cyrillic reach the notebook intact.

    Examples
    --------
    >>> [parse_parameter(v) for v in ["500", "0123", "0.95", "2024-01-01", "True", "Чебоксары"]]
    [500, '0123', 0.95, '2024-01-01', True, 'Чебоксары']
    """
    if text in ("True", "False"):
        return text == "True"
    if text == "None":
        return None
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text) and repr(float(text)) == text.lstrip("+"):
        return float(text)
    return text


# --------------------------------------------------------------------------- resume


def _newest_mtime(path: Path) -> float:
    if path.is_dir():
        times = [p.stat().st_mtime for p in path.rglob("*") if p.is_file()]
        return max(times, default=path.stat().st_mtime)
    return path.stat().st_mtime


def _is_current(job: _Job, newer_than: float) -> bool:
    """True when the job's outputs are complete, newer than inputs and made with the same
    parameters (papermill records them in the notebook's metadata) by the same effmuni
    source (its hash is stamped in the notebook's metadata)."""
    out = Path(job.output_ipynb)
    if not out.exists() or out.stat().st_mtime <= newer_than:
        return False
    if job.output_html and not Path(job.output_html).exists():
        return False
    try:
        metadata = json.loads(out.read_text(encoding="utf-8"))["metadata"]
        meta, made_by = metadata["papermill"], metadata["effmuni"]["source_hash"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if made_by != job.source_hash:
        return False  # the code changed since: its numbers may have too
    return meta.get("parameters") == json.loads(json.dumps(job.parameters))


# --------------------------------------------------------------------------- index


def _tick(bar) -> None:
    """One report done. The last tick is drawn once, by ``close()``, not twice."""
    if bar.total and bar.n + 1 >= bar.total:
        bar.n += 1
    else:
        bar.update(1)


def _write_run_log(summary: pd.DataFrame, out_dir: Path) -> None:
    """``summary.csv``: the run log (status, seconds, files, error of every municipality)."""
    rel = summary.assign(
        notebook=summary["notebook"].map(lambda p: Path(p).name if p else ""),
        html=summary["html"].map(lambda p: Path(p).name if p else ""),
    )
    tmp = out_dir / ".summary.csv.tmp"
    rel.to_csv(tmp, index=False)
    os.replace(tmp, out_dir / "summary.csv")


def _analysis_config(parameters: dict[str, Any]):
    """The analysis options a report notebook was run with (its ``n_boot`` and ``seed``)."""
    from ..analysis import AnalysisConfig

    known = {k: parameters[k] for k in ("n_boot", "seed") if isinstance(parameters.get(k), int)}
    return AnalysisConfig(**known)


# --------------------------------------------------------------------------- the batch


def _select(municipalities, known: list[str]) -> list[str]:
    if isinstance(municipalities, str):
        municipalities = [municipalities]
    ids = list(dict.fromkeys(municipalities))
    if ids == ["all"]:
        return known
    unsafe = [m for m in ids if not is_slug(m)]
    if unsafe:
        raise Refusal("batch_err_unsafe_ids", ids=", ".join(repr(m) for m in unsafe))
    known_set = set(known)
    unknown = [m for m in ids if m not in known_set]
    if unknown:
        key = "batch_err_unknown_ids" if len(known) <= 30 else "batch_err_unknown_ids_more"
        raise Refusal(key, ids=", ".join(unknown), known=", ".join(known[:30]), n=len(known))
    return ids


def _executor(jobs: int | None, scheduler: str | None, guard: _Guard):
    if scheduler:
        guard.client = connect_scheduler(scheduler)
        guard.executor = guard.client.get_executor(pure=False)
        return guard.executor
    workers = jobs or os.cpu_count() or 1
    ctx = multiprocessing.get_context("forkserver" if os.name == "posix" else "spawn")
    guard.executor = cf.ProcessPoolExecutor(
        max_workers=workers,
        mp_context=ctx,
        initializer=_worker_init,
        initargs=(guard.lifeline(ctx),),
    )
    return guard.executor


def run_batch(
    notebook: str | Path,
    municipalities: str | list[str] = "all",
    *,
    output_dir: str | Path = "reports",
    jobs: int | None = None,
    parameters: dict[str, Any] | None = None,
    html: bool = True,
    resume: bool = False,
    timeout: float | None = None,
    scheduler: str | None = None,
    data: str | Path | None = None,
    analysis_dir: str | Path | None = None,
    warm_kernels: bool = True,
    progress: bool = True,
) -> pd.DataFrame:
    """Execute ``notebook`` once per municipality with papermill.

    Parameters
    ----------
    notebook : str or Path
        A notebook with a cell tagged ``parameters`` that takes ``municipality`` (and usually
        ``data_dir`` and ``lang``).
    municipalities : "all", an id, or a list of ids
        Checked against the dataset before anything runs; ids that are not safe path
        components (``../x``, ``/etc``, empty) are refused.
    output_dir : str or Path
        Where ``<id>.ipynb``, ``<id>.html``, ``index.html``, ``summary.csv`` and ``summary.xlsx``
        go (created if missing).
    jobs : int, optional
        Worker processes (default: the number of cores). Ignored with ``scheduler``.
    parameters : dict, optional
        Extra notebook parameters, passed as given (``municipality`` and ``data_dir`` are set
        by the batch).
    html : bool
        Also export each executed notebook to HTML with code cells hidden.
    resume : bool
        Skip municipalities whose outputs are complete, newer than the notebook and the data,
        and made with the same parameters; rerun the rest.
    timeout : float, optional
        Seconds allowed per municipality; when they run out the kernel is stopped and the
        municipality fails with a timeout.
    scheduler : str, optional
        Address of a Dask distributed scheduler (``tcp://host:8786``): the jobs are sent there
        instead of local processes. Workers need effmuni installed and the same paths.
    data : str or Path, optional
        The dataset (default: ``parameters["data_dir"]`` or the bundled sample).
    analysis_dir : str or Path, optional
        Instead of ``data``: the folder ``effmuni analyse`` wrote for a partitioned (federal)
        dataset. The municipalities are those of its computed regions, each report reads only
        its region's results (the notebook gets ``analysis_dir``), nothing is recomputed, and
        the index page is the federal one (regions, the national effect, every unit).
    warm_kernels : bool
        Each worker keeps one kernel for its successive reports, reset before each one to the
        state it had after importing what reports use (user variables, figures, matplotlib
        and pandas settings, warning filters, working folder), so a report does not pay for a
        kernel start and the imports; a kernel is replaced after a failed report. False: a
        fresh kernel for every report.
    progress : bool
        Show a progress bar over municipalities.

    Returns
    -------
    pandas.DataFrame
        One row per municipality: ``municipality_id``, ``status`` (ok, failed, skipped),
        ``seconds``, ``notebook``, ``html``, ``error`` (the failing cell and its error).

    Examples
    --------
    >>> import effmuni as em  # doctest: +SKIP
    >>> summary = em.run_batch("notebooks/municipality_report.ipynb", ["cheboksary"])  # doctest: +SKIP
    """
    from tqdm.auto import tqdm

    nb_path = Path(notebook).resolve()
    if not nb_path.is_file():
        raise Refusal("batch_err_no_notebook", path=notebook)
    if scheduler:  # a wrong address is said at once, before the data are read
        connect_scheduler(scheduler, timeout="10s").close()
    params = dict(parameters or {})
    lang = check_lang(str(params.get("lang", "ru")))
    federal = analysis_dir if analysis_dir is not None else params.get("analysis_dir")
    if federal:  # the regions' results of `effmuni analyse`: no dataset is read here
        data_path = Path(federal).resolve()
        index = data_path / "municipalities.parquet"
        if not index.is_file():
            raise Refusal("batch_err_no_analysis", path=federal, name=index.name)
        ds = None
        known = computed_units(data_path)["municipality_id"].tolist()
        params["analysis_dir"] = str(data_path)
    else:
        data_path = resolve_path(data if data is not None else params.get("data_dir")).resolve()
        ds = load_dataset(data_path)  # raises DataError with the problems listed
        known = ds.municipalities["municipality_id"].tolist()
        params["data_dir"] = str(data_path)
    ids = _select(municipalities, known)

    out_dir = Path(output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in _leftovers(out_dir):  # leftovers of a killed run are never reports
        stale.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k.startswith(("EFFMUNI_", "MPLBACKEND"))}
    env.setdefault("EFFMUNI_RUN_ID", uuid.uuid4().hex)  # marks the run's workers and kernels
    all_jobs = [
        _Job(
            municipality_id=m,
            notebook=str(nb_path),
            output_ipynb=str((out_dir / f"{m}.ipynb").resolve()),
            output_html=str((out_dir / f"{m}.html").resolve()) if html else None,
            parameters={**params, "municipality": m},
            timeout=timeout,
            env=env,
            source_hash=source_hash(),
            warm=warm_kernels,
        )
        for m in ids
    ]
    newer_than = max(nb_path.stat().st_mtime, _newest_mtime(data_path))
    results: dict[str, dict[str, Any]] = {}
    todo = []
    for job in all_jobs:
        if resume and _is_current(job, newer_than):
            results[job.municipality_id] = {
                "municipality_id": job.municipality_id,
                "status": "skipped",
                "seconds": 0.0,
                "error": "",
            }
        else:
            todo.append(job)

    in_process = bool(todo) and (jobs == 1 or len(todo) == 1) and not scheduler
    if in_process and todo[0].warm:
        try:  # its kernel imports what reports use while the analysis is computed
            _prestart(todo[0])
        except Exception:  # the report itself will say why a kernel does not start
            _close_warm()
    analysis = None
    try:
        # computed once here, before any report runs: each report then reads only what it
        # draws (report_inputs finds it stored under the files' hash), the site uses it whole
        if ds is not None and (html or todo):
            from ..analysis import analyse, store_report_inputs

            analysis = analyse(ds, _analysis_config(params))
            store_report_inputs(data_path, ds, analysis)
    except BaseException:
        _close_warm()
        raise
    bar = tqdm(total=len(all_jobs), desc="reports", unit="municipality", disable=not progress)
    bar.update(len(all_jobs) - len(todo))
    with _Guard(out_dir) as guard:  # a stopped batch leaves no process and no temporary file
        if in_process:
            try:
                for job in todo:
                    results[job.municipality_id] = _execute_job(job)
                    _tick(bar)
            finally:
                _close_warm()  # this process's kernel ends with the batch
        elif todo:
            executor = _executor(jobs, scheduler, guard)
            futures = {executor.submit(_execute_job, job): job for job in todo}
            for fut in cf.as_completed(futures):
                job = futures[fut]
                try:
                    results[job.municipality_id] = fut.result()
                except Exception as exc:  # the worker itself died
                    results[job.municipality_id] = {
                        "municipality_id": job.municipality_id,
                        "status": "failed",
                        "seconds": float("nan"),
                        "error": f"worker failed: {type(exc).__name__}: {exc}",
                    }
                _tick(bar)
            executor.shutdown(wait=True)
            if guard.client is not None:
                guard.client.run(_close_all_warm)  # Dask workers outlive the batch, kernels not
                guard.client.close()
    bar.close()

    rows = []
    for job in all_jobs:
        r = results[job.municipality_id]
        ok = r["status"] in ("ok", "skipped")
        failed_nb = Path(job.output_ipynb).with_name(f"{job.municipality_id}.failed.ipynb")
        rows.append(
            {
                "municipality_id": job.municipality_id,
                "status": r["status"],
                "seconds": r["seconds"],
                "notebook": str(out_dir / Path(job.output_ipynb).name)
                if ok
                else (str(out_dir / failed_nb.name) if failed_nb.exists() else ""),
                "html": str(out_dir / f"{job.municipality_id}.html") if ok and html else "",
                "error": r["error"],
            }
        )
    summary = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    _write_run_log(summary, out_dir)
    if analysis is not None:  # the regional front door: index.html, summary.xlsx, workbooks
        from ..site import write_site

        write_site(ds, analysis, out_dir, summary=summary, lang=lang)
    elif federal and html:  # the federal one: regions, the national effect, every unit
        from ..site import write_federal_site

        write_federal_site(data_path, out_dir, summary=summary, lang=lang)
    return summary
