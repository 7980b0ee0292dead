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


def outputs_text(cells) -> str:
    """All text a notebook's code cells show: streams, plain text, HTML and Markdown."""
    parts = []
    for cell in cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                parts.append(out["text"])
            for key in ("text/plain", "text/html", "text/markdown"):
                parts.append(out.get("data", {}).get(key, ""))
    return "\n".join(p if isinstance(p, str) else "".join(p) for p in parts)


def output_problems(cells) -> list:
    """Outputs that must never appear: errors and anything written to stderr."""
    return [
        o
        for c in cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "error" or o.get("name") == "stderr"
    ]


def parameter_names(nb: dict) -> list[str]:
    """Names assigned in the cell tagged ``parameters``, in order."""
    import ast

    (cell,) = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    body = ast.parse("".join(cell["source"])).body
    return [n.target.id if isinstance(n, ast.AnnAssign) else n.targets[0].id for n in body]


@pytest.fixture(scope="session")
def federal(tmp_path_factory):
    """The first three regions of the federal sample (seed 2023), read-only: (folder, summary)."""
    from effmuni.synth import write_federal

    out = tmp_path_factory.mktemp("federal")
    summary = write_federal(out, 2023, regions=3, workers=1)
    return out, summary
