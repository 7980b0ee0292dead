"""A killed ``effmuni batch`` leaves nothing behind: no process, no half-written report.

Each case starts a real ``python -m effmuni batch`` (two workers, each running a kernel stuck in
a long cell) in a session of its own, waits until both kernels are executing, kills it one way,
then looks for survivors: every process carrying the run's marker (``EFFMUNI_RUN_ID`` in its
environment, which the batch's forkserver, resource tracker, workers and kernels inherit), in
the run's session, or descending from it when it was killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from conftest import REPO
from test_batch import MINI, make_notebook

from effmuni.batch import _leftovers

psutil = pytest.importorskip("psutil")

pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="process groups, signals and /proc environments"
)

STARTUP = 120  # seconds for the batch to get both kernels running (slow on a loaded machine)
SETTLE = 8  # seconds allowed for everything to end after the kill


def survivors(run_id: str, sid: int, family: dict[int, float]) -> list[str]:
    """Live processes of the run: its marker, its session, or known descendants."""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline", "status", "create_time"]):
        info = proc.info
        if info["status"] == psutil.STATUS_ZOMBIE or proc.pid == os.getpid():
            continue
        try:
            ours = (
                family.get(proc.pid) == info["create_time"]
                or os.getsid(proc.pid) == sid
                or proc.environ().get("EFFMUNI_RUN_ID") == run_id
            )
        except (psutil.Error, OSError):
            continue
        if ours:
            found.append(f"{proc.pid} {' '.join(info['cmdline'] or [])[:120]}")
    return found


def descendants(pid: int) -> dict[int, float]:
    try:
        procs = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return {}
    family = {}
    for p in procs:
        try:
            family[p.pid] = p.create_time()
        except psutil.Error:
            pass
    return family


@pytest.mark.parametrize(
    ("sig", "target"),
    [
        (signal.SIGINT, "group"),  # Ctrl-C in a terminal: the whole foreground process group
        (signal.SIGINT, "batch"),
        (signal.SIGTERM, "batch"),  # kill PID, a supervisor stopping the job
        (signal.SIGKILL, "batch"),  # kill -9 PID, the OOM killer: no code of the batch runs
        (signal.SIGKILL, "group"),  # kill -9 of the whole job
    ],
    ids=["SIGINT-group", "SIGINT", "SIGTERM", "SIGKILL", "SIGKILL-group"],
)
def test_a_killed_batch_leaves_nothing_behind(tmp_path, sig, target):
    flags = tmp_path / "running"
    flags.mkdir()
    nb = make_notebook(
        tmp_path / "slow.ipynb",
        f"import pathlib, time\npathlib.Path({str(flags)!r}, municipality).touch()\ntime.sleep(300)",
    )
    out = tmp_path / "reports"
    run_id = f"test-kills-{uuid.uuid4().hex}"
    cmd = [sys.executable, "-m", "effmuni", "batch", str(nb), "--data", str(MINI)]
    cmd += ["--output-dir", str(out), "--jobs", "2", "--no-progress"]
    log = (tmp_path / "batch.log").open("wb")
    proc = subprocess.Popen(
        cmd,
        cwd=REPO,
        env={**os.environ, "EFFMUNI_RUN_ID": run_id},
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + STARTUP
        while len(list(flags.iterdir())) < 2:  # both kernels are in their long cell
            assert proc.poll() is None, (tmp_path / "batch.log").read_text(errors="replace")
            assert time.monotonic() < deadline, "the kernels did not start in time"
            time.sleep(0.2)
        assert len(survivors(run_id, proc.pid, {})) >= 5  # batch, workers, kernels, ...
        family = descendants(proc.pid)
        if target == "group":
            os.killpg(proc.pid, sig)
        else:
            os.kill(proc.pid, sig)
        proc.wait(SETTLE)
        deadline = time.monotonic() + SETTLE
        while (left := survivors(run_id, proc.pid, family)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert left == [], "left running:\n" + "\n".join(left)
    finally:
        for pid in [proc.pid, *descendants(proc.pid)]:
            try:  # never leave a stray process to the rest of the suite
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        proc.wait()
        log.close()
    if sig != signal.SIGINT:
        assert proc.returncode == -sig  # ended by the signal itself, as its default action does
    else:
        assert proc.returncode != 0
    visible = [p.name for p in out.iterdir() if not p.name.startswith(".")]
    assert visible == []  # no report, complete or half-written, and no failed copy
    hidden = sorted(p.name for p in out.iterdir() if p.name.startswith("."))
    if (sig, target) == (signal.SIGKILL, "group"):
        # nothing of the run survives to clean up: what is left, the next start removes
        assert hidden == sorted(p.name for p in _leftovers(out))
    else:
        assert hidden == []
