"""The analysis layer: one configuration, computed once, cached by data, options and code."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

import effmuni as em
from effmuni.analysis import cache as cache_mod

FAST = em.AnalysisConfig(n_boot=200, maturity_n_boot=20)


@pytest.fixture(scope="module")
def sample():
    return em.load_dataset()


def test_config_defaults_and_validation():
    c = em.AnalysisConfig()
    assert (c.confidence, c.n_boot, c.seed, c.k, c.method) == (0.95, 2000, 0, "auto", "ward")
    assert em.AnalysisConfig(as_of="31.12.2025").as_of == "2025-12-31"
    for bad in ({"confidence": 1.5}, {"n_boot": -1}, {"k": "many"}, {"method": "dbscan"},
                {"as_of": "не дата"}, {"seed": 1.5}):  # fmt: skip
        with pytest.raises(ValueError):
            em.AnalysisConfig(**bad)
    with pytest.raises(AttributeError):
        c.seed = 3  # frozen


def test_analysis_matches_the_functions_it_wraps(sample):
    a = em.analyse(sample, FAST, cache=False)
    direct = em.project_savings(sample, n_boot=200, seed=0)
    pd.testing.assert_frame_equal(
        a.savings[direct.columns].reset_index(drop=True), direct.reset_index(drop=True)
    )
    pooled = em.pool_savings(direct, by="municipality_id", n_boot=200, seed=0)
    pd.testing.assert_frame_equal(a.pooled_municipality, pooled)
    # maturity as of the dataset's extract date by default (merged units folded)
    features = em.maturity_features(sample, as_of=sample.extract_date)
    r = em.cluster_maturity(features, k="auto", seed=0, n_boot=20)
    pd.testing.assert_series_equal(a.maturity.levels, r.levels)
    assert a.maturity.stability == pytest.approx(r.stability, nan_ok=True)
    assert a.maturity.k == r.k
    assert "index_level_name" not in a.index.columns  # computed results carry no language


def test_second_call_reads_the_cache_and_gives_identical_results(sample, tmp_path, monkeypatch):
    monkeypatch.setenv("EFFMUNI_CACHE", str(tmp_path))
    first = em.analyse(sample, FAST)
    entries = list((tmp_path / "analysis").iterdir())
    assert len(entries) == 1
    files = {p.suffix for p in entries[0].iterdir()}
    assert files == {".parquet", ".json"}  # no pickle
    second = em.analyse(sample, FAST)
    for name in ("savings", "pooled_region", "annual_municipality", "coverage", "features",
                 "index"):  # fmt: skip
        pd.testing.assert_frame_equal(getattr(second, name), getattr(first, name))
    m1, m2 = first.maturity, second.maturity
    pd.testing.assert_series_equal(m2.levels, m1.levels)
    pd.testing.assert_frame_equal(m2.selection, m1.selection)
    np.testing.assert_array_equal(m2.stability_samples, m1.stability_samples)
    np.testing.assert_equal(
        (m2.k, m2.silhouette, m2.stability, m2.n_boot, m2.null_pvalue),
        (m1.k, m1.silhouette, m1.stability, m1.n_boot, m1.null_pvalue),
    )
    pd.testing.assert_series_equal(m2.predict(first.features), m1.predict(first.features))
    np.testing.assert_equal(second.comparison.spearman_levels, first.comparison.spearman_levels)


def test_the_key_changes_with_data_options_and_code(sample, monkeypatch):
    a = em.analyse(sample, FAST, cache=False)
    assert em.analyse(sample, FAST.replace(seed=1), cache=False).key != a.key
    changed = dataclasses.replace(sample, projects=sample.projects.iloc[1:])
    assert cache_mod.dataset_hash(changed) != cache_mod.dataset_hash(sample)
    monkeypatch.setattr(cache_mod, "source_hash", lambda: "edited-source")
    assert cache_mod.entry_key("analysis", "x", {}) != em.analyse(sample, FAST, cache=False).key
    assert em.analyse(sample, FAST, cache=False).key != a.key


def test_source_hash_follows_the_package_files(tmp_path, monkeypatch):
    pkg = tmp_path / "effmuni"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "a.py").write_text("x = 1\n")
    (pkg / "sub" / "b.toml").write_text("k = 1\n")
    monkeypatch.setattr(cache_mod, "_PACKAGE", pkg)
    cache_mod.source_hash.cache_clear()
    try:
        h1 = cache_mod.source_hash()
        cache_mod.source_hash.cache_clear()
        (pkg / "sub" / "b.toml").write_text("k = 2\n")
        assert cache_mod.source_hash() != h1
    finally:
        cache_mod.source_hash.cache_clear()


def test_a_damaged_entry_is_recomputed(sample, tmp_path, monkeypatch):
    monkeypatch.setenv("EFFMUNI_CACHE", str(tmp_path))
    first = em.analyse(sample, FAST)
    (entry,) = (tmp_path / "analysis").iterdir()
    (entry / "savings.parquet").write_bytes(b"not parquet")
    again = em.analyse(sample, FAST)
    pd.testing.assert_frame_equal(again.savings, first.savings)
    meta = json.loads((tmp_path / "analysis" / entry.name / "meta.json").read_text())
    assert "savings" in meta["tables"]


def test_tests_never_write_to_the_home_cache():
    import os

    assert "EFFMUNI_CACHE" in os.environ
    assert not cache_mod.cache_root().is_relative_to(cache_mod.Path.home() / ".cache")


def test_savings_tables_levels(sample):
    a = em.analyse(sample, FAST, cache=False)
    assert list(a.savings_tables("project")) == ["savings", "annual", "attainment"]
    assert list(a.savings_tables("region")) == ["pooled", "annual", "attainment"]
    with pytest.raises(ValueError):
        a.savings_tables("county")
