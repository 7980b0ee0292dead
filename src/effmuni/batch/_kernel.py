"""The kernel of one report: quiet, encrypted, and known to the batch so it can be stopped."""

from __future__ import annotations

from pathlib import Path

from ._stop import _KERNELS, _LiveKernel


def _kept_client_class():
    """A kernel client that outlives one notebook: connected and checked once, reused by every
    report a warm kernel runs (see :mod:`._warm`)."""
    from jupyter_client.asynchronous import AsyncKernelClient

    class _KeptClient(AsyncKernelClient):
        _ready = False

        def start_channels(self, *args, **kw):
            if not self.channels_running:  # nbclient starts it for every notebook
                super().start_channels(*args, **kw)

        async def wait_for_ready(self, timeout=None):
            # the first check waits for the IOPub subscription (about 0.2 s); a connected
            # client needs none: a dead kernel is noticed by nbclient while it executes
            if not self._ready:
                await super().wait_for_ready(timeout)
                self._ready = True

    return _KeptClient


def _kernel_manager(stderr_path: Path | None = None, *, keep_client: bool = False):
    """A kernel manager for one report: encrypted transport (CurveZMQ, which the ``python3``
    kernelspec of ipykernel declares) and the kernel's own log in ``stderr_path``.

    A normal run is then quiet: no "running over TCP without encryption" warning, and no
    "KeyboardInterrupt caught in kernel" line from the interrupt jupyter_client sends every
    kernel at shutdown. The log is kept next to a failed report. With ``keep_client`` the
    manager hands out one client for the kernel's whole life (a warm kernel's).
    """
    from jupyter_client.manager import AsyncKernelManager

    class _ReportKernelManager(AsyncKernelManager):
        _kept = None

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

        def client(self, **kw):
            if not keep_client:
                return super().client(**kw)
            if self._kept is None:
                self.client_factory = _kept_client_class()
                self._kept = super().client(**kw)
            return self._kept

    policy = "auto"
    try:
        return _ReportKernelManager(kernel_name="python3", transport_encryption=policy)
    except Exception:  # a libzmq without CurveZMQ: plain transport, still a quiet log
        return _ReportKernelManager(kernel_name="python3")
