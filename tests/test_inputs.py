"""What a report draws, stored once per dataset files and configuration (analysis/inputs.py)."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import edit

import effmuni as em
import effmuni.datasets
from effmuni.analysis import store_report_inputs

CONFIG = em.AnalysisConfig(n_boot=150, seed=3)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv("EFFMUNI_CACHE", str(root))
    return root / "report-inputs"


def _texts(ds, analysis, municipality):
    rep = em.municipality_report(ds, municipality, config=CONFIG, analysis=analysis)
    parts = [rep.title_md(), rep.lead_md(), rep.projects_md(), rep.savings_md()]
    parts += [rep.effects_md(), rep.maturity_md()]
    return parts, rep.projects_table()


@pytest.mark.parametrize("data", ["mini", "sample"])
def test_the_second_report_reads_the_stored_inputs_and_says_the_same(data, mini_copy, cache):
    data_dir = str(mini_copy) if data == "mini" else None  # None: the bundled sample
    ds, analysis = em.report_inputs("kanash", data_dir=data_dir, config=CONFIG)
    assert len(ds.cases) > 0 and analysis.config == CONFIG  # read, validated, computed
    assert len(list(cache.iterdir())) == 1
    slim, again = em.report_inputs("kanash", data_dir=data_dir, config=CONFIG)
    assert len(slim.cases) == 0 and len(slim.municipalities) == len(ds.municipalities)
    assert again.key == analysis.key
    pd.testing.assert_frame_equal(again.savings, analysis.savings)
    pd.testing.assert_frame_equal(again.scores, analysis.scores)
    assert (again.maturity is None) == (analysis.maturity is None) == (data == "mini")
    if data == "sample":
        assert again.maturity.k == analysis.maturity.k
        pd.testing.assert_series_equal(again.maturity.levels, analysis.maturity.levels)
    for m in ds.municipalities["municipality_id"]:
        (full_md, full_table), (slim_md, slim_table) = (
            _texts(ds, analysis, m),
            _texts(slim, again, m),
        )
        assert slim_md == full_md
        pd.testing.assert_frame_equal(slim_table, full_table)


def test_without_a_config_the_whole_dataset_and_no_analysis(mini_copy, cache):
    ds, analysis = em.report_inputs("kanash", data_dir=str(mini_copy))
    assert analysis is None and len(ds.cases) > 0 and not cache.exists()


def test_a_changed_byte_or_option_is_another_entry(mini_copy, cache):
    em.report_inputs("kanash", data_dir=str(mini_copy), config=CONFIG)
    edit(mini_copy / "municipalities.csv", ",Канаш,", ",Город Канаш,")  # one name changed
    ds, analysis = em.report_inputs("kanash", data_dir=str(mini_copy), config=CONFIG)
    assert len(ds.cases) > 0  # not the stored inputs of the old files
    assert "Город Канаш" in ds.municipalities["name_ru"].tolist()
    em.report_inputs("kanash", data_dir=str(mini_copy), config=em.AnalysisConfig(n_boot=151))
    assert len(list(cache.iterdir())) == 3


def test_a_damaged_entry_is_recomputed_and_replaced(mini_copy, cache):
    em.report_inputs("kanash", data_dir=str(mini_copy), config=CONFIG)
    (entry,) = cache.iterdir()
    (entry / "savings.parquet").write_bytes(b"not parquet")
    ds, analysis = em.report_inputs("kanash", data_dir=str(mini_copy), config=CONFIG)
    assert len(ds.cases) > 0 and len(analysis.savings) == len(ds.projects)
    slim, _ = em.report_inputs("kanash", data_dir=str(mini_copy), config=CONFIG)
    assert len(slim.cases) == 0  # stored anew, readable again


def test_what_the_batch_stores_is_what_reports_find(mini_copy, cache, monkeypatch):
    """The batch stores the inputs from its own reading of the data; a report's kernel finds
    them by the files' hash alone: it never reads the dataset."""
    ds = em.load_dataset(mini_copy)
    store_report_inputs(str(mini_copy), ds, em.analyse(ds, CONFIG))

    def refuse(*args, **kw):
        raise AssertionError("the dataset was read again")

    monkeypatch.setattr(effmuni.datasets, "load_dataset", refuse)
    slim, analysis = em.report_inputs("kanashsky", data_dir=str(mini_copy), config=CONFIG)
    assert len(slim.cases) == 0 and analysis.config == CONFIG
