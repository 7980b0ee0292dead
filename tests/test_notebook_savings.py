"""``notebooks/02_time_savings.ipynb``: committed clean, and runs through papermill."""

from __future__ import annotations

import json

import pytest
from conftest import REPO

NOTEBOOK = REPO / "notebooks" / "02_time_savings.ipynb"


def _text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out["text"])
        else:
            parts.append(out.get("data", {}).get("text/plain", ""))
            parts.append(out.get("data", {}).get("text/html", ""))
    return "".join(p if isinstance(p, str) else "".join(p) for p in parts)


def _problems(cells) -> list:
    return [
        o
        for c in cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "error" or o.get("name") == "stderr"
    ]


def test_committed_notebook_is_clean():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert "papermill" not in nb["metadata"]
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert "import effmuni as em" in "".join(code[0]["source"])
    params = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1
    names = {line.split("=")[0].strip() for line in "".join(params[0]["source"]).splitlines()}
    assert names == {
        "data_dir",
        "municipality",
        "confidence",
        "n_boot",
        "seed",
        "include_regulation_baselines",
        "lang",
    }
    outputs = [o for c in code for o in c.get("outputs", [])]
    assert outputs, "the notebook is committed with its outputs"
    assert not _problems(code)
    assert all("papermill" not in c["metadata"] for c in nb["cells"])
    text = "".join(_text(c) for c in code)
    assert str(REPO) not in text and "/home/" not in text  # no absolute paths shown
    # plot cells end with plt.show(): no Figure or Line2D repr as a cell result
    results = [
        o for c in code for o in c.get("outputs", []) if o["output_type"] == "execute_result"
    ]
    assert not [o for o in results if "<matplotlib" in str(o) or "<Figure" in str(o)]


def test_runs_for_one_municipality_in_english(tmp_path):
    pm = pytest.importorskip("papermill")
    out = tmp_path / "savings_urmarsky.ipynb"
    nb = pm.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters={"municipality": "urmarsky", "lang": "en", "n_boot": 300, "seed": 1},
        kernel_name="python3",
        progress_bar=False,
    )
    assert not _problems(nb.cells)
    code = [c for c in nb.cells if c.cell_type == "code"]
    texts = "".join(_text(c) for c in code)
    assert "Urmarsky" in texts and "Урмарский" not in texts
    assert "random-effects meta-analysis (case timings)" in texts
    annual = next(_text(c) for c in code if c.source.startswith("translate_table(annual,"))
    assert "Urmarsky" in annual and "Cheboksary" not in annual
    assert "Staff time saved, hours a year" in annual
