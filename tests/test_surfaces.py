"""One analysis layer: every surface shows the same numbers for every municipality.

The ``maturity`` and ``savings`` exports (real .xlsx files read back with openpyxl), the
municipality report object and the tables of notebooks 02 and 03 (run with papermill in a real
kernel) must agree on each municipality's maturity group and savings figures.
"""

from __future__ import annotations

import json

import nbformat
import numpy as np
import pandas as pd
import papermill as pm
import pytest
from conftest import REPO, run_cli

import effmuni as em
from effmuni.text import label

N_BOOT = 200
MARK = "@@surfaces@@"


def _run_notebook(name: str, tmp_path, parameters: dict, extract: str) -> dict:
    """Run a notebook with papermill plus one cell printing ``extract`` as JSON; parse it."""
    nb = nbformat.read(REPO / "notebooks" / f"{name}.ipynb", as_version=4)
    nb.cells.append(
        nbformat.v4.new_code_cell(f"import json\nprint({MARK!r} + json.dumps({extract}))")
    )
    src = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, src)
    out = tmp_path / f"{name}.out.ipynb"
    pm.execute_notebook(src, out, parameters=parameters, kernel_name="python3", progress_bar=False)
    executed = nbformat.read(out, as_version=4)
    text = "".join(o.get("text", "") for o in executed.cells[-1].outputs)
    return json.loads(text.split(MARK, 1)[1])


@pytest.fixture(scope="module")
def surfaces(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("surfaces")
    ds = em.load_dataset()
    config = em.AnalysisConfig(n_boot=N_BOOT)
    # the commands, exporting real workbooks
    mat_xlsx, sav_xlsx = tmp / "maturity.xlsx", tmp / "savings.xlsx"
    r = run_cli("maturity", "--lang", "en", "--out", str(mat_xlsx))
    assert r.returncode == 0, r.stderr
    r = run_cli("savings", "--by", "municipality", "--lang", "en", "--n-boot", str(N_BOOT),
                "--out", str(sav_xlsx))  # fmt: skip
    assert r.returncode == 0, r.stderr
    mat = pd.read_excel(mat_xlsx, sheet_name=None, engine="openpyxl")
    sav = pd.read_excel(sav_xlsx, sheet_name=None, engine="openpyxl")
    mid = label("municipality_id", "en")
    levels_sheet = mat[label("sheet_levels", "en")] if label("sheet_levels", "en") in mat else (
        mat["levels"])  # fmt: skip
    cli_levels = levels_sheet.set_index(mid)[label("level", "en")].astype(int).to_dict()
    annual_sheet = sav[label("sheet_annual", "en")]
    cli_days = annual_sheet.set_index(mid)[label("citizen_days", "en")].to_dict()
    # the reports
    reports = {
        m: em.municipality_report(ds, m, config=config)
        for m in ds.municipalities["municipality_id"]
    }
    # the notebooks
    nb02 = _run_notebook(
        "02_time_savings", tmp, {"n_boot": N_BOOT},
        "annual.set_index('municipality_id')['citizen_days'].to_dict()",
    )  # fmt: skip
    nb03 = _run_notebook(
        "03_maturity_clusters", tmp, {}, "{k: int(v) for k, v in result.levels.items()}"
    )
    return {"cli_levels": cli_levels, "cli_days": cli_days, "reports": reports,
            "nb02_days": nb02, "nb03_levels": nb03, "analysis": em.analyse(ds, config)}  # fmt: skip


def test_every_municipality_has_one_maturity_group_everywhere(surfaces):
    a = surfaces["analysis"]
    expected = {m: int(v) for m, v in a.maturity.levels.items()}
    assert surfaces["cli_levels"] == expected
    assert surfaces["nb03_levels"] == expected
    for m, rep in surfaces["reports"].items():
        if m in expected:
            assert rep.level == expected[m], m
            assert rep.k == a.maturity.k
    assert len(expected) >= 20


def test_every_municipality_has_one_saving_everywhere(surfaces):
    a = surfaces["analysis"]
    expected = a.annual_municipality.set_index("municipality_id")["citizen_days"]
    assert len(expected) >= 20
    for m, days in expected.items():
        for where, value in (
            ("savings command", surfaces["cli_days"].get(m)),
            ("notebook 02", surfaces["nb02_days"].get(m)),
            ("report", surfaces["reports"][m].annual["citizen_days"].iloc[0]),
        ):
            assert value is not None, (where, m)
            # the workbook rounds to its display format at most to the unit; a gap is a gap
            assert np.isclose(float(value), float(days), atol=0.5, equal_nan=True), (
                where, m, value, days)  # fmt: skip
