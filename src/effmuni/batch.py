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
import signal
import sys
import threading
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


# --------------------------------------------------------------------------- stopping cleanly
# A pool worker watches a "lifeline": the read end of a pipe whose only write end the batch
# holds. EOF on it (the batch closed it, or died, even of SIGKILL) makes the worker abandon its
# report: kill its kernel's process group, remove its temporary files, exit. The forkserver and
# the resource tracker then end by themselves: each exits at EOF on a pipe that only the batch
# and its workers hold (the forkserver ignores SIGINT, the tracker SIGINT and SIGTERM).

_KERNELS: dict[int, _LiveKernel] = {}  # kernels this process started and has not shut down
_WRITING: set[str] = set()  # temporary files of the report this process is writing
_LEFTOVER = re.compile(r"\..*\.partial\..*|\..+\.[0-9a-f]{8}\.kernel\.log")


@dataclass
class _LiveKernel:
    """A running kernel: its process (a child of this one), process group and connection file."""

    process: Any  # subprocess.Popen
    pgid: int | None
    connection_file: str

    @classmethod
    def of(cls, km) -> _LiveKernel:
        prov = km.provisioner
        return cls(getattr(prov, "process", None), getattr(prov, "pgid", None), km.connection_file)

    def kill(self) -> None:
        """SIGKILL the kernel's process group (jupyter_client gives it a session of its own)."""
        proc = self.process
        if proc is not None and proc.poll() is None:  # not reaped: its pid is still the kernel's
            try:
                if hasattr(os, "killpg") and self.pgid == proc.pid:
                    os.killpg(self.pgid, signal.SIGKILL)  # with whatever the notebook started
                else:
                    proc.kill()
            except OSError:
                pass
        if self.connection_file:
            try:
                os.unlink(self.connection_file)
            except OSError:
                pass


def _kill_kernels(reap: float = 0) -> None:
    """Kill the kernels this process started (and, within ``reap`` seconds, reap them)."""
    live = list(_KERNELS.values())
    _KERNELS.clear()
    for kernel in live:
        kernel.kill()
    for kernel in live:
        if reap and kernel.process is not None:
            try:
                kernel.process.wait(reap)
            except Exception:  # a kernel that will not die is left to init
                pass


def _remove_writing() -> None:
    for name in list(_WRITING):
        try:
            os.unlink(name)
        except OSError:
            pass


def _abandon(code: int) -> None:
    """End this worker now: no kernel, no temporary file left behind, no cleanup run."""
    _remove_writing()
    _kill_kernels()
    _remove_writing()  # anything re-created while the kernel was being killed
    os._exit(code)


def _watch_lifeline(lifeline) -> None:
    try:
        while True:
            lifeline.recv_bytes()  # the batch never writes: this only ends at EOF
    except (EOFError, OSError):
        pass
    _abandon(128 + signal.SIGTERM)


def _on_worker_signal(signum, frame) -> None:
    _abandon(128 + signum)


def _ignore(signum, frame) -> None:
    """Ctrl-C reaches the whole process group; the batch decides (unlike ``SIG_IGN``, a
    Python handler is not inherited by the kernels this worker starts)."""


def _worker_init(lifeline) -> None:
    """Initializer of a pool worker: it ends with the batch (EOF on ``lifeline``), on SIGTERM
    and SIGHUP, and leaves SIGINT to the batch."""
    signal.signal(signal.SIGINT, _ignore)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _on_worker_signal)
    threading.Thread(
        target=_watch_lifeline, args=(lifeline,), name="effmuni-lifeline", daemon=True
    ).start()


class _Stopped(KeyboardInterrupt):
    """The batch was stopped by a signal."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


class _Guard:
    """Everything a batch starts stops with it.

    While the batch runs, SIGINT, SIGTERM and SIGHUP (those whose handler is Python's default:
    a signal the host application handles or ignores, like SIGHUP under ``nohup``, is left
    alone; and only in the main thread) raise :class:`_Stopped`. When anything leaves the
    ``with`` block by an exception, the guard closes the lifeline (each pool worker kills its
    kernel's process group, removes its temporary files and exits), kills the kernels this
    process started itself, waits up to ``grace`` seconds for the workers and kills the rest,
    cancels what was not started and removes the batch's temporary files. SIGINT then goes on
    as :class:`KeyboardInterrupt`; SIGTERM and SIGHUP are raised again with their default
    action, so the process ends as the signal meant.
    """

    grace = 5.0

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.executor: Any = None
        self.client: Any = None
        self._lifeline: Any = None
        self._previous: dict[int, Any] = {}
        self._stopping = False

    def __enter__(self) -> _Guard:
        if threading.current_thread() is threading.main_thread():
            for name in ("SIGINT", "SIGTERM", "SIGHUP"):
                signum = getattr(signal, name, None)
                if signum is None:
                    continue
                if signal.getsignal(signum) in (signal.SIG_DFL, signal.default_int_handler):
                    self._previous[signum] = signal.signal(signum, self._on_signal)
        return self

    def _on_signal(self, signum, frame) -> None:
        if not self._stopping:  # a second signal does not interrupt the stopping
            self._stopping = True
            raise _Stopped(signum)

    def lifeline(self, ctx) -> Any:
        """The read end of a new lifeline, for the workers' initializer."""
        reader, writer = ctx.Pipe(duplex=False)
        self._lifeline = (reader, writer)
        return reader

    def _cut_lifeline(self) -> None:
        if self._lifeline is not None:
            for end in self._lifeline:
                end.close()
            self._lifeline = None

    def _stop_all(self) -> None:
        from multiprocessing.connection import wait

        workers = list((getattr(self.executor, "_processes", None) or {}).values())
        self._cut_lifeline()  # the workers abandon their reports
        _kill_kernels(reap=2)  # those of this process (one job at a time, no pool)
        deadline = time.monotonic() + self.grace
        pending = {w.sentinel: w for w in workers}
        while pending and time.monotonic() < deadline:
            for ready in wait(list(pending), timeout=max(0.0, deadline - time.monotonic())):
                pending.pop(ready, None)
        for worker in pending.values():
            try:
                worker.kill()  # its kernel's poller notices its parent's end within a second
            except OSError:
                pass
        if self.executor is not None:
            try:
                self.executor.shutdown(wait=False, cancel_futures=True)
            except TypeError:  # a Dask executor
                self.executor.shutdown(wait=False)
        if self.client is not None:
            self.client.close()
        _remove_writing()
        for stale in _leftovers(self.out_dir):
            stale.unlink(missing_ok=True)

    def __exit__(self, etype, exc, tb) -> bool:
        self._stopping = True
        try:
            if exc is not None:
                self._stop_all()
            self._cut_lifeline()
        finally:
            for signum, previous in self._previous.items():
                signal.signal(signum, previous)
        if isinstance(exc, _Stopped):
            if exc.signum != signal.SIGINT:
                for stream in (sys.stdout, sys.stderr):
                    stream.flush()
                signal.raise_signal(exc.signum)  # the default action: end as the signal meant
            raise KeyboardInterrupt from None
        return False


def _leftovers(out_dir: Path):
    """A stopped or killed run's temporary files (``.<id>.<tag>.partial.ipynb``, ``.html``,
    ``.<id>.<tag>.kernel.log``): never reports."""
    return [p for p in out_dir.glob(".*") if _LEFTOVER.fullmatch(p.name) and p.is_file()]


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

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            await super()._async_launch_kernel(kernel_cmd, **kw)
            _KERNELS[id(self)] = _LiveKernel.of(self)  # killed with its group if we are stopped

        async def _async_cleanup_resources(self, restart: bool = False):
            _KERNELS.pop(id(self), None)  # shut down and waited for: nothing left to kill
            await super()._async_cleanup_resources(restart=restart)

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


#: the report page: JupyterLab's look without anything fetched from the network (no
#: require.js, MathJax or Mermaid from a CDN: reports use none of them and must open offline),
#: and a link back to the regional front door
_OFFLINE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block body_header -%}
{{ super() }}
<nav class="effmuni-nav" style="font-family: var(--jp-content-font-family); margin: 1em 0">
<a href="index.html">{{ resources.effmuni_back | e }}</a></nav>
{%- endblock body_header -%}
"""


def _export_html(nb_path: Path, dest: Path, lang: str = "ru") -> None:
    """The report as one HTML page without code: its ``<title>`` is the report's heading,
    ``<html lang>`` the report's language, nothing is loaded from the network, and a link
    leads back to ``index.html``."""
    import jinja2
    import nbformat
    from nbconvert import HTMLExporter

    from .text import label

    lang = lang if lang in ("ru", "en") else "ru"
    exporter = HTMLExporter(
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        language_code=lang,
        extra_loaders=[jinja2.DictLoader({"effmuni_report.html.j2": _OFFLINE_TEMPLATE})],
        template_file="effmuni_report.html.j2",
    )
    nb = nbformat.read(nb_path, as_version=4)
    title = _shown_title(nb)
    if title:
        nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(
        nb, resources={"effmuni_back": label("site_back_to_index", lang)}
    )
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
    writing = {str(tmp), str(tmp_html), str(kernel_log)}
    _WRITING.update(writing)  # removed by _abandon if the batch is stopped meanwhile
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
        _WRITING.difference_update(writing)
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
    log = path.with_name(f".{path.stem}.kernel.log")
    client = NotebookClient(
        nb,
        km=_kernel_manager(log),  # quiet: encrypted transport, the kernel's log in a file
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    try:
        client.execute()
    finally:
        log.unlink(missing_ok=True)
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


def _executor(jobs: int | None, scheduler: str | None, guard: _Guard):
    if scheduler:
        try:
            from distributed import Client
        except ImportError:  # pragma: no cover - depends on the environment
            raise ValueError(
                "--scheduler needs dask.distributed: pip install 'effmuni[cluster]'"
            ) from None
        guard.client = Client(scheduler, timeout="20s")
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
    for stale in _leftovers(out_dir):  # leftovers of a killed run are never reports
        stale.unlink(missing_ok=True)
    params["data_dir"] = str(data_path)
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
    with _Guard(out_dir) as guard:  # a stopped batch leaves no process and no temporary file
        if todo and (jobs == 1 or len(todo) == 1) and not scheduler:
            for job in todo:
                results[job.municipality_id] = _execute_job(job)
                _tick(bar)
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
    if html:  # the regional front door: index.html, summary.xlsx, a workbook per unit
        from .analysis import analyse
        from .site import write_site

        analysis = analyse(ds, _analysis_config(params))
        write_site(ds, analysis, out_dir, summary=summary, lang=lang)
    return summary
