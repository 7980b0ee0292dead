"""``notebooks/05_causal_effects.ipynb``: typed parameters, and it runs through papermill."""

from __future__ import annotations

import json

import pytest
from conftest import REPO, output_problems, outputs_text, parameter_names

NOTEBOOK = REPO / "notebooks" / "05_causal_effects.ipynb"


def test_parameters_are_the_documented_ones_with_types():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert parameter_names(nb) == ["data_dir", "control", "lang", "seed"]
    pm = pytest.importorskip("papermill")
    params = pm.inspect_notebook(str(NOTEBOOK))
    types = {name: p["inferred_type_name"] for name, p in params.items()}
    assert types == {"data_dir": "Optional[str]", "control": "str", "lang": "str", "seed": "int"}
    assert all(p["help"] for p in params.values())


def test_is_thin_and_committed_with_outputs():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert "".join(code[0]["source"]).startswith("import effmuni as em")
    assert all(c["outputs"] for c in code[2:])  # every cell after the parameters shows something
    assert not output_problems(code)
    plots = [c for c in code if "plt.show()" in "".join(c["source"])]
    assert len(plots) == 2 and all("".join(c["source"]).endswith("plt.show()") for c in plots)
    assert max(len("".join(c["source"]).splitlines()) for c in code[1:]) <= 4


def test_runs_in_english_with_never_treated_controls(tmp_path):
    pm = pytest.importorskip("papermill")
    out = tmp_path / "effects_en.ipynb"
    nb = pm.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters={
            "lang": "en",
            "control": "never_treated",
            "seed": 1,
            "data_dir": "data/sample",
        },
        kernel_name="python3",
        progress_bar=False,
    )
    assert not output_problems(nb.cells)
    code = [c for c in nb.cells if c.cell_type == "code"]
    texts = outputs_text(code)
    assert "Projects cut service lead times by" in texts
    assert "Pre-trend test over the 12 months before implementation" in texts
    assert "Lead-time reduction (causal), %" in texts and "parent-fee-compensation" in texts
    assert "Проекты сократили" not in texts and "Услуга" not in texts
    images = [o for c in code for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 2
