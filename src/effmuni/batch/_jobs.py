"""One municipality's report: a job, its quiet kernel, its execution and its failure."""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._export import _export_html
from ._kernel import _kernel_manager
from ._stop import _WRITING
from ._warm import _discard_warm, _warm_kernel

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
    warm: bool = True  # run in this worker's warm kernel (see ._warm), not a fresh one


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


def _key(job: _Job) -> tuple:
    """What a warm kernel must share with a job to run it: output folder, environment, source."""
    return (str(Path(job.output_ipynb).parent), tuple(sorted(job.env.items())), job.source_hash)


def _prestart(job: _Job) -> None:
    """Start this process's warm kernel for ``job`` and let it warm up in the background."""
    os.environ.update(job.env)
    os.environ.setdefault("JUPYTER_PREFER_ENV_PATH", "1")
    _warm_kernel(_key(job), Path(job.output_ipynb).parent, job.start_timeout, prepare=False)


def _execute_job(job: _Job) -> dict[str, Any]:
    """Run one municipality's notebook. Runs in a worker process (or Dask worker)."""
    import nbformat
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
    writing = {str(tmp), str(tmp_html), str(kernel_log)}
    _WRITING.update(writing)  # removed by _abandon if the batch is stopped meanwhile
    kwargs: dict[str, Any] = {}
    if job.timeout:
        deadline = time.monotonic() + job.timeout
        # one limit for the whole municipality: each cell gets what is left of it
        kwargs["timeout_func"] = lambda cell: max(1, int(deadline - time.monotonic()))
    try:
        if job.warm:
            km = _warm_kernel(_key(job), out.parent, job.start_timeout).km
        else:
            km = _kernel_manager(kernel_log)
        nb = pm.execute_notebook(
            job.notebook,
            str(tmp),
            parameters=job.parameters,
            kernel_name="python3",
            progress_bar=False,
            start_timeout=job.start_timeout,
            km=km,
            request_save_on_cell_execute=False,  # written once, when complete (or failed)
            **kwargs,
        )
        # stamped with the effmuni source that made it: --resume never keeps a report of other code
        nb.metadata["effmuni"] = {"source_hash": job.source_hash}
        for cell in nb.cells:  # papermill gives it a random id: the same run, the same file
            if "injected-parameters" in cell.metadata.get("tags", []):
                cell["id"] = "injected-parameters"
        nbformat.write(nb, str(tmp))
        if job.output_html:
            _export_html(nb, tmp_html, lang=str(job.parameters.get("lang", "ru")))
            os.replace(tmp_html, job.output_html)
        os.replace(tmp, out)  # the notebook last: its presence marks a complete report
        failed_copy.unlink(missing_ok=True)
        failed_log.unlink(missing_ok=True)
    except Exception as exc:  # one municipality's failure never stops the batch
        if job.warm:  # its state is unknown now: the next report gets a new kernel
            _discard_warm(keep_log=kernel_log)
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
        _WRITING.difference_update(writing)
    result["seconds"] = round(time.perf_counter() - start, 2)
    return result
