"""Stopping cleanly: kernels, workers and temporary files never outlive a batch."""

from __future__ import annotations

import os
import re
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
