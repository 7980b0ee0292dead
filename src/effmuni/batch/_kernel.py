"""The kernel of one report: quiet, encrypted, and known to the batch so it can be stopped."""

from __future__ import annotations

from pathlib import Path

from ._stop import _KERNELS, _LiveKernel


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
