"""Per-municipality reports in batch: papermill in parallel, resumable, on a cluster if needed.

:func:`run_batch` executes one parameterised notebook per municipality. Each run gets its own
kernel (the ``python3`` kernel of the running environment, whatever the notebook's metadata
says), in a pool of worker processes or on a Dask cluster through its ``concurrent.futures``
executor. Outputs are written atomically: a run writes to a hidden temporary file and renames it
into place only when it is complete, so a killed batch never leaves a half-written report.

Only this module knows that notebooks exist (see ``architecture.md``).
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import multiprocessing
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .analysis import source_hash
from .datasets import load_dataset, resolve_path
from .schema import is_slug
from .text import check_lang

__all__ = ["parse_parameter", "refresh_notebook", "run_batch"]

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


# --------------------------------------------------------------------------- one job


@dataclass
class _Job:
    municipality_id: str
    notebook: str
    output_ipynb: str
    output_html: str | None
    parameters: dict[str, Any]
    timeout: float | None
    start_timeout: float = 60.0
    env: dict[str, str] = field(default_factory=dict)
    source_hash: str = ""  # of the effmuni package that made the report (see --resume)


def _kernel_manager(stderr_path: Path | None = None):
    """A kernel manager for one report: encrypted transport (CurveZMQ, which the ``python3``
    kernelspec of ipykernel declares) and the kernel's own log in ``stderr_path``.

    A normal run is then quiet: no "running over TCP without encryption" warning, and no
    "KeyboardInterrupt caught in kernel" line from the interrupt jupyter_client sends every
    kernel at shutdown. The log is kept next to a failed report.
    """
    from jupyter_client.manager import AsyncKernelManager

    class _ReportKernelManager(AsyncKernelManager):
        async def _async_pre_start_kernel(self, **kw):
            if stderr_path is not None:
                kw.setdefault("stderr", open(stderr_path, "ab"))  # the kernel owns it
            return await super()._async_pre_start_kernel(**kw)

    policy = "auto"
    try:
        return _ReportKernelManager(kernel_name="python3", transport_encryption=policy)
    except Exception:  # a libzmq without CurveZMQ: plain transport, still a quiet log
        return _ReportKernelManager(kernel_name="python3")


def _describe_failure(exc: BaseException, timeout: float | None) -> str:
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        value = str(exc.evalue).strip().splitlines()
        first = value[0] if value else ""
        return f"cell In[{exc.exec_count}]: {exc.ename}: {first}"
    if isinstance(exc, CellTimeoutError | TimeoutError):
        return f"timed out after {timeout:g} s; the kernel was stopped"
    if isinstance(exc, DeadKernelError):
        return f"the kernel died: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
    return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"


def _shown_title(nb) -> str | None:
    """The first top-level heading a notebook shows (in its outputs or its Markdown cells)."""
    import html

    for cell in nb.cells:
        texts = [cell.source] if cell.cell_type == "markdown" else [
            o.get("data", {}).get("text/markdown", "") for o in cell.get("outputs", [])
        ]  # fmt: skip
        for text in texts:
            text = "".join(text) if isinstance(text, list) else text
            for line in text.splitlines():
                if line.startswith("# "):
                    plain = re.sub(r"\\(.)", r"\1", line[2:].strip())  # Markdown escapes
                    return html.unescape(plain)  # the page template escapes it again
    return None


def _export_html(nb_path: Path, dest: Path, lang: str = "ru") -> None:
    """The report as one HTML page without code: its ``<title>`` is the report's heading and
    ``<html lang>`` the report's language."""
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        language_code=lang if lang in ("ru", "en") else "ru",
    )
    nb = nbformat.read(nb_path, as_version=4)
    title = _shown_title(nb)
    if title:
        nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(nb)
    dest.write_text(body, encoding="utf-8")


def _execute_job(job: _Job) -> dict[str, Any]:
    """Run one municipality's notebook. Runs in a worker process (or Dask worker)."""
    import papermill as pm

    os.environ.update(job.env)
    os.environ.setdefault("JUPYTER_PREFER_ENV_PATH", "1")  # the venv's kernelspec wins
    start = time.perf_counter()
    out = Path(job.output_ipynb)
    tag = uuid.uuid4().hex[:8]
    tmp = out.with_name(f".{out.stem}.{tag}.partial.ipynb")
    tmp_html = out.with_name(f".{out.stem}.{tag}.partial.html")
    failed_copy = out.with_name(f"{out.stem}.failed.ipynb")
    kernel_log = out.with_name(f".{out.stem}.{tag}.kernel.log")
    failed_log = out.with_name(f"{out.stem}.kernel.log")
    result = {"municipality_id": job.municipality_id, "status": "ok", "error": ""}
    kwargs: dict[str, Any] = {}
    if job.timeout:
        deadline = time.monotonic() + job.timeout
        # one limit for the whole municipality: each cell gets what is left of it
        kwargs["timeout_func"] = lambda cell: max(1, int(deadline - time.monotonic()))
    try:
        pm.execute_notebook(
            job.notebook,
            str(tmp),
            parameters=job.parameters,
            kernel_name="python3",
            progress_bar=False,
            start_timeout=job.start_timeout,
            km=_kernel_manager(kernel_log),
            **kwargs,
        )
        _stamp(tmp, job.source_hash)
        if job.output_html:
            _export_html(tmp, tmp_html, lang=str(job.parameters.get("lang", "ru")))
            os.replace(tmp_html, job.output_html)
        os.replace(tmp, out)  # the notebook last: its presence marks a complete report
        failed_copy.unlink(missing_ok=True)
        failed_log.unlink(missing_ok=True)
    except Exception as exc:  # one municipality's failure never stops the batch
        result["status"] = "failed"
        result["error"] = _describe_failure(exc, job.timeout)
        for stale in (out, Path(job.output_html) if job.output_html else None):
            if stale is not None:
                stale.unlink(missing_ok=True)
        if tmp.exists():
            os.replace(tmp, failed_copy)  # keep the executed notebook with its error banner
        if kernel_log.exists():
            os.replace(kernel_log, failed_log)  # and what the kernel itself said
    finally:
        tmp.unlink(missing_ok=True)
        tmp_html.unlink(missing_ok=True)
        kernel_log.unlink(missing_ok=True)
    result["seconds"] = round(time.perf_counter() - start, 2)
    return result


def _stamp(path: Path, source_hash: str) -> None:
    """Record which effmuni source made a report, so ``--resume`` never keeps a stale one."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nb.metadata["effmuni"] = {"source_hash": source_hash}
    nbformat.write(nb, path)


def refresh_notebook(path: str | Path, timeout: float = 600) -> Path:
    """Re-execute a committed notebook in place, so its stored outputs are current.

    The kernel starts in the notebook's folder (as in JupyterLab and nbval) with the
    ``python3`` kernel of this environment; no run metadata (timings, paths) is recorded, so the
    file changes only where outputs change. Raises ``nbclient`` errors when a cell fails.
    """
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    os.environ.setdefault("JUPYTER_PREFER_ENV_PATH", "1")
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    client.execute()
    tmp = path.with_name(f".{path.stem}.refresh.ipynb")
    nbformat.write(nb, tmp)
    os.replace(tmp, path)
    return path


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
    from .analysis import AnalysisConfig

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
        raise ValueError(
            "refusing unsafe municipality id(s) "
            + ", ".join(repr(m) for m in unsafe)
            + ": an id must be a safe ASCII slug (letters, digits, '-' and '_')"
        )
    unknown = [m for m in ids if m not in set(known)]
    if unknown:
        raise ValueError(
            f"unknown municipality id(s) {', '.join(unknown)}; the dataset has: {', '.join(known)}"
        )
    return ids


def _executor(jobs: int | None, scheduler: str | None):
    if scheduler:
        try:
            from distributed import Client
        except ImportError:  # pragma: no cover - depends on the environment
            raise ValueError(
                "--scheduler needs dask.distributed: pip install 'effmuni[cluster]'"
            ) from None
        client = Client(scheduler, timeout="20s")
        return client.get_executor(pure=False), client
    workers = jobs or os.cpu_count() or 1
    ctx = multiprocessing.get_context("forkserver" if os.name == "posix" else "spawn")
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx), None


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
        raise FileNotFoundError(f"notebook not found: {notebook}")
    params = dict(parameters or {})
    data_path = resolve_path(data if data is not None else params.get("data_dir")).resolve()
    lang = check_lang(str(params.get("lang", "ru")))
    ds = load_dataset(data_path)  # raises DataError with the problems listed
    known = ds.municipalities["municipality_id"].tolist()
    ids = _select(municipalities, known)

    out_dir = Path(output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob(".*.partial.*"):  # leftovers of a killed run are never reports
        stale.unlink(missing_ok=True)
    params["data_dir"] = str(data_path)
    env = {k: v for k, v in os.environ.items() if k.startswith(("EFFMUNI_", "MPLBACKEND"))}
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

    bar = tqdm(total=len(all_jobs), desc="reports", unit="municipality", disable=not progress)
    bar.update(len(all_jobs) - len(todo))
    if todo:
        if (jobs == 1 or len(todo) == 1) and not scheduler:
            for job in todo:
                results[job.municipality_id] = _execute_job(job)
                _tick(bar)
        else:
            executor, client = _executor(jobs, scheduler)
            try:
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
            finally:
                executor.shutdown(wait=True)
                if client is not None:
                    client.close()
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
    if html:  # the regional front door: index.html, summary.xlsx, a workbook per unit
        from .analysis import analyse
        from .site import write_site

        analysis = analyse(ds, _analysis_config(params))
        write_site(ds, analysis, out_dir, summary=summary, lang=lang)
    return summary
