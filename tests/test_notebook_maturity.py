"""``notebooks/03_maturity_clusters.ipynb`` runs through papermill with other parameters."""

from __future__ import annotations

import json

import pytest
from conftest import REPO, output_problems, outputs_text, parameter_names

NOTEBOOK = REPO / "notebooks" / "03_maturity_clusters.ipynb"


def test_parameters_are_the_documented_ones():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert parameter_names(nb) == ["data_dir", "as_of", "k", "method", "seed", "lang"]


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
    last = outputs_text([nb.cells[-1]])
    assert "Groups: 3; method: kmeans" in last
    assert "group sizes: " in last
    texts = outputs_text([c for c in nb.cells if c.cell_type == "code"])
    assert "k-means (Ward)" in texts and "Leading" in texts and "Лидеры" not in texts
    assert not output_problems(nb.cells)
