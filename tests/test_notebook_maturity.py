"""``notebooks/03_maturity_clusters.ipynb`` runs through papermill with other parameters."""

from __future__ import annotations

import json

import pytest
from conftest import REPO

NOTEBOOK = REPO / "notebooks" / "03_maturity_clusters.ipynb"


def _text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out["text"])
        else:
            parts.append(out.get("data", {}).get("text/plain", ""))
    return "".join(p if isinstance(p, str) else "".join(p) for p in parts)


def test_committed_notebook_is_clean():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert "papermill" not in nb["metadata"]
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert "import effmuni as em" in "".join(code[0]["source"])
    params = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1
    names = {line.split("=")[0].strip() for line in "".join(params[0]["source"]).splitlines()}
    assert names == {"data_dir", "as_of", "k", "method", "seed", "lang"}
    outputs = [o for c in code for o in c.get("outputs", [])]
    assert outputs, "the notebook is committed with its outputs"
    assert not [o for o in outputs if o.get("name") == "stderr" or o["output_type"] == "error"]
    text = "".join(_text(c) for c in code)
    assert str(REPO) not in text and "/home/" not in text  # no absolute paths shown


def test_runs_with_other_parameters(tmp_path):
    pm = pytest.importorskip("papermill")
    out = tmp_path / "maturity_en.ipynb"
    nb = pm.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters={"lang": "en", "method": "kmeans", "k": 3, "seed": 1},
        kernel_name="python3",
        progress_bar=False,
    )
    last = _text(nb.cells[-1])
    assert "k = 3; method = kmeans" in last
    assert "sizes = [" in last
    texts = "".join(_text(c) for c in nb.cells if c.cell_type == "code")
    assert "k-means (Ward)" in texts and "Leading" in texts and "Лидеры" not in texts
    assert not [
        o
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "error" or o.get("name") == "stderr"
    ]
