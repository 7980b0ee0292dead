"""Notebooks 01 and 04 through real papermill, with parameters other than their defaults."""

from __future__ import annotations

import nbformat
import papermill as pm
from conftest import DATA, REPO, output_problems, outputs_text

import effmuni as em


def _run(name: str, tmp_path, **parameters) -> str:
    out = tmp_path / name
    pm.execute_notebook(
        REPO / "notebooks" / name,
        out,
        parameters=parameters,
        kernel_name="python3",
        progress_bar=False,
    )
    nb = nbformat.read(out, as_version=4)
    assert not output_problems(nb.cells)
    return outputs_text(nb.cells)


def test_data_overview_on_the_mini_dataset_in_english(tmp_path):
    text = _run("01_data_overview.ipynb", tmp_path, data_dir=str(DATA / "mini"), lang="en")
    assert "No errors or warnings." in text
    assert "Kanashsky" in text and "Share of quarters with a project" in text
    cov = em.rule_compliance(em.project_coverage(em.load_dataset(DATA / "mini")))
    assert len(cov) == 3  # the three municipalities of the mini dataset, all shown


def test_data_overview_shows_rejected_rows(tmp_path, mini_copy):
    cases = mini_copy / "cases.csv"
    cases.write_text(
        cases.read_text("utf-8").replace("2023-01-19 09:00", "2023-01-08 09:00"), "utf-8"
    )
    text = _run("01_data_overview.ipynb", tmp_path, data_dir=str(mini_copy), lang="en")
    assert "is before" in text and "completed" in text  # the problem, worded in English


def test_event_log_notebook_with_another_change_date(tmp_path):
    log = DATA / "eventlog" / "receipt.csv.gz"
    text = _run(
        "04_event_log_lead_times.ipynb",
        tmp_path,
        log_path=str(log),
        change_date="2011-07-01",
        lang="en",
        n_boot=300,
    )
    timings = em.split_at(em.case_timings(em.read_event_log(log)), "2011-07-01")
    n_before = int(((timings["phase"] == "before") & (timings["lead_time_days"] > 0)).sum())
    assert f"Cases: {n_before} before" in text
    assert "The log has no start timestamps" in text


def test_event_log_notebook_on_a_tiny_xes(tmp_path):
    text = _run(
        "04_event_log_lead_times.ipynb",
        tmp_path,
        log_path=str(DATA / "eventlog" / "running-example.xes"),
        change_date="2010-12-01",
        lang="en",
        n_boot=200,
    )
    assert "Too few weeks before the change date" in text
    assert "No before/after comparison is possible: 0 cases before, 6 after" in text
