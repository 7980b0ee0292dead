"""A kernel kept warm for the successive reports of one worker.

A fresh kernel costs its start and the imports of pandas, matplotlib, scikit-learn and effmuni
(about 1.5 s here) before a report draws anything, several times what the report itself
costs once the analysis is computed. A worker therefore keeps one kernel: started and warmed
once (imports, the fonts of a first drawing), then, before each report, reset to the state it
had after warming — user namespace and ``Out`` cleared, ``In[1]`` next, figures closed,
matplotlib's rcParams, pandas' options, the warning filters (so a warning shown once is shown
again) and the working folder restored — so each report sees what a fresh kernel would have
after the same imports. ``tests/test_batch.py`` checks that reports made in a warm kernel are
the same, output for output, as those made in fresh ones.

A warm kernel belongs to the thread that runs the reports: one in the batch's own process and
in a pool worker, one per thread of a Dask worker started with several threads (two reports
never share a kernel at the same time).

A kernel is replaced after a failed or timed-out report, after :data:`_MAX_REPORTS` reports, and
when a job of another run (another output folder, environment or effmuni source) arrives. It
is shut down when the batch ends (:func:`_close_warm` in the batch's own process,
:func:`_close_all_warm` in each pool worker at exit and each Dask worker through
``Client.run``); if its worker dies instead, the batch's lifeline kills it (:mod:`._stop`) and
ipykernel's parent poller ends it anyway.
"""

from __future__ import annotations

import os
import threading
import uuid
from multiprocessing import util
from pathlib import Path

from ._kernel import _kernel_manager
from ._stop import _KERNELS, _WRITING

_MAX_REPORTS = 100  # reports one kernel runs before it is replaced (bounds any slow leak)

#: run silently in a new kernel, then before every report
_WARM_UP = "import effmuni.batch._warm as _effmuni_warm; _effmuni_warm._kernel_warm_up()"
_RESET = "import effmuni.batch._warm as _effmuni_warm; _effmuni_warm._kernel_reset()"

_WARM: dict[int, _WarmKernel] = {}  # this process's warm kernels, by thread
_LOCK = threading.Lock()
_finalizer_pid: int | None = None  # the process that registered _close_all_warm at its exit


# --------------------------------------------------------------------------- in the kernel

_WARM_MODULES = (
    "IPython.display",
    "matplotlib.pyplot",
    "pandas",
    "effmuni",
    "effmuni.plots",
    "effmuni.report",
    "sklearn.cluster",
    "sklearn.mixture",
)
_SNAPSHOT: dict = {}


def _kernel_warm_up() -> None:
    """Runs inside a new kernel: import what reports use, draw once, remember the state."""
    import importlib
    import io
    import warnings

    for name in _WARM_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:  # a notebook that does not need it
            pass
    import matplotlib
    import matplotlib.pyplot as plt

    from ..text import label

    fig = plt.figure(figsize=(1, 1))
    fig.text(0.5, 0.5, label("site_title", "ru"), fontweight="bold")  # Cyrillic: the fonts
    fig.savefig(io.BytesIO(), format="png", bbox_inches="tight")
    plt.close(fig)
    _SNAPSHOT.update(
        rc=matplotlib.rcParams.copy(), filters=list(warnings.filters), cwd=os.getcwd()
    )


def _kernel_reset() -> None:
    """Runs inside the kernel before each report: back to the state after warming up."""
    import warnings

    import matplotlib
    import matplotlib.pyplot as plt
    import pandas as pd

    ip = get_ipython()  # type: ignore[name-defined]  # noqa: F821 - defined in a kernel
    ip.reset(new_session=True)  # In[1] next, in a history session of its own
    plt.close("all")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        matplotlib.rcParams.update(_SNAPSHOT["rc"])
        pd.reset_option("all")
    warnings.filters[:] = _SNAPSHOT["filters"]
    warnings._filters_mutated()  # forget which warnings were already shown
    os.chdir(_SNAPSHOT["cwd"])


# --------------------------------------------------------------------------- in the worker


class _WarmKernel:
    """One started, warmed kernel and its one client."""

    def __init__(self, key: tuple, log: Path, start_timeout: float):
        from jupyter_core.utils import run_sync

        self.key = key
        self.log = log
        self.reports = 0
        _WRITING.add(str(log))  # removed with the kernel, or by a stopped batch
        self.km = _kernel_manager(log, keep_client=True)
        run_sync(self.km.start_kernel)()
        self.kc = self.km.client()
        self.kc.start_channels()
        run_sync(self.kc.wait_for_ready)(timeout=start_timeout)
        # the kernel warms up while this process goes on (the batch computes the analysis)
        self._warming = self.kc.execute(_WARM_UP, silent=True, store_history=False)

    def _wait(self, msg_id: str, timeout: float = 300) -> None:
        from jupyter_core.utils import run_sync

        async def reply_to():
            while True:
                reply = await self.kc.get_shell_msg(timeout=timeout)
                if reply["parent_header"].get("msg_id") == msg_id:
                    return reply["content"]

        content = run_sync(reply_to)()
        if content.get("status") != "ok":
            raise RuntimeError(
                f"the kernel could not be prepared: {content.get('ename')}: {content.get('evalue')}"
            )

    def prepare(self) -> None:
        """Reset the kernel for the next report; its log then holds that report's lines only."""
        if self._warming is not None:
            warming, self._warming = self._warming, None
            self._wait(warming)
        try:
            os.truncate(self.log, 0)  # the kernel appends to it
        except OSError:
            pass
        self._wait(self.kc.execute(_RESET, silent=True, store_history=False))
        self.reports += 1

    def close(self) -> None:
        from jupyter_core.utils import run_sync

        try:
            self.kc.stop_channels()
            run_sync(self.km.shutdown_kernel)(now=False)
        except Exception:  # already dead: make sure of it
            live = _KERNELS.pop(id(self.km), None)
            if live is not None:
                live.kill()
        finally:
            self.log.unlink(missing_ok=True)
            _WRITING.discard(str(self.log))


def _warm_kernel(
    key: tuple, out_dir: Path, start_timeout: float, *, prepare: bool = True
) -> _WarmKernel:
    """This thread's warm kernel for ``key``, started (or replaced) if needed, and reset for a
    report (``prepare=False``: only started, to warm up while the caller goes on)."""
    global _finalizer_pid
    current = _WARM.get(threading.get_ident())
    if current is not None and (current.key != key or current.reports >= _MAX_REPORTS):
        _close_warm()
        current = None
    if current is None:
        with _LOCK:
            if _finalizer_pid != os.getpid():
                # a pool worker shuts its kernels down when it exits (multiprocessing runs the
                # finalizers of the process that registered them: so here, not at import,
                # which may have happened in the forkserver before the fork)
                util.Finalize(None, _close_all_warm, exitpriority=10)
                _finalizer_pid = os.getpid()
        log = out_dir / f".warm-{os.getpid()}.{uuid.uuid4().hex[:8]}.kernel.log"
        current = _WARM[threading.get_ident()] = _WarmKernel(key, log, start_timeout)
    if prepare:
        current.prepare()
    return current


def _discard_warm(keep_log: Path | None = None) -> None:
    """Shut this thread's warm kernel down after a failure, keeping its log as ``keep_log``."""
    current = _WARM.get(threading.get_ident())
    if current is not None and keep_log is not None and current.log.exists():
        try:
            os.replace(current.log, keep_log)
        except OSError:
            pass
    _close_warm()


def _close_warm() -> None:
    """Shut down this thread's warm kernel, if any."""
    current = _WARM.pop(threading.get_ident(), None)
    if current is not None:
        current.close()


def _close_all_warm() -> None:
    """Shut down every warm kernel of this process (at its exit, or on a Dask worker when the
    batch ends)."""
    with _LOCK:
        kernels = list(_WARM.values())
        _WARM.clear()
    for current in kernels:
        current.close()


def _warm_kernels() -> list[_WarmKernel]:
    """The warm kernels this process holds now (for tests and diagnostics)."""
    return list(_WARM.values())
