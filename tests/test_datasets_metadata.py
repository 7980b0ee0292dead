"""What a dataset declares about itself: dataset.json (extract date, synthetic flag, region)."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from conftest import DATA

import effmuni as em


def test_the_sample_declares_itself():
    ds = em.load_dataset()
    assert ds.synthetic is True
    assert ds.extract_date == pd.Timestamp("2025-12-31") and ds.extract_date_declared
    assert ds.metadata["region_id"] == 21


def test_without_metadata_the_extract_date_is_the_latest_date(mini_dir):
    ds = em.load_dataset(mini_dir)
    assert ds.metadata == {} and not ds.synthetic and not ds.extract_date_declared
    p, c = ds.projects, ds.cases
    latest = max(p["start_date"].max(), p["actual_end"].max(), c["received"].max(),
                 c["completed"].max())  # fmt: skip
    assert ds.extract_date == latest.normalize()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not readable JSON"),
        ('["a"]', "JSON object"),
        ('{"colour": "red"}', "unknown key 'colour'"),
        ('{"synthetic": "yes"}', "synthetic must be bool"),
        ('{"region_id": true}', "region_id must be int"),
        ('{"extract_date": "вчера"}', "extract_date must be a date"),
    ],
)
def test_bad_metadata_is_a_clear_data_error(tmp_path, content, message):
    folder = tmp_path / "mini"
    shutil.copytree(DATA / "mini", folder)
    (folder / "dataset.json").write_text(content, encoding="utf-8")
    with pytest.raises(em.DataError, match=message):
        em.load_dataset(folder)


def test_declared_extract_date_wins(tmp_path):
    folder = tmp_path / "mini"
    shutil.copytree(DATA / "mini", folder)
    (folder / "dataset.json").write_text(json.dumps({"extract_date": "01.09.2024"}), "utf-8")
    assert em.load_dataset(folder).extract_date == pd.Timestamp("2024-09-01")
