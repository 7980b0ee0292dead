"""``notebooks/02_time_savings.ipynb``: committed clean, and runs through papermill."""

from __future__ import annotations

import json

import pytest
from conftest import REPO, output_problems, outputs_text, parameter_names

NOTEBOOK = REPO / "notebooks" / "02_time_savings.ipynb"


def test_parameters_are_the_documented_ones():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert parameter_names(nb) == [
        "data_dir",
        "municipality",
        "confidence",
        "n_boot",
        "seed",
        "include_regulation_baselines",
        "lang",
    ]


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
    assert not output_problems(nb.cells)
    code = [c for c in nb.cells if c.cell_type == "code"]
    texts = outputs_text(code)
    assert "Urmarsky" in texts and "Урмарский" not in texts
    assert "random-effects meta-analysis (case timings)" in texts
    annual = next(outputs_text([c]) for c in code if c.source.startswith("show_table(annual,"))
    assert "Urmarsky" in annual and "Cheboksary" not in annual
    assert "Staff time saved, hours a year" in annual
