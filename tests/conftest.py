"""Shared fixtures: small hand-made datasets and helpers to break them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).parents[1]


@pytest.fixture
def mini_dir() -> Path:
    """The valid hand-made dataset (3 municipalities, 4 projects), read-only."""
    return DATA / "mini"


@pytest.fixture
def mini_copy(tmp_path) -> Path:
    """A writable copy of the mini dataset, to be broken by a test."""
    dest = tmp_path / "mini"
    shutil.copytree(DATA / "mini", dest)
    return dest


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace ``old`` by ``new`` in a text file (the text must be there)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m effmuni ARGS`` as a user would; returns the completed process."""
    return subprocess.run(
        [sys.executable, "-m", "effmuni", *args],
        capture_output=True,
        text=True,
        cwd=cwd or REPO,
        timeout=300,
    )
