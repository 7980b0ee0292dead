"""The federal synthetic sample: Parquet partitioned by region, reproducible, worker-independent.

A small run (the first three regions: Chuvashia, 1 and 2) stands in for the full 85; the full
scale is measured by hand (``effmuni sample --scale federal``, see the module docstring of
``effmuni.synth._federal_write``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from effmuni.calendar import is_workday
from effmuni.cli import main
from effmuni.schema import TABLE_ORDER
from effmuni.synth import generate, write_federal
from effmuni.synth._federal import REGIONS

N_REGIONS = 3


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def federal(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("federal")
    summary = write_federal(out, seed=2023, regions=N_REGIONS, workers=2)
    return out, summary


def _read(root: Path, table: str, **kw) -> pd.DataFrame:
    dataset = ds.dataset(root / table, format="parquet", partitioning="hive")
    return dataset.to_table(**kw).to_pandas()


def test_regions_are_chuvashia_first():
    assert REGIONS[0] == 21
    assert len(REGIONS) == 85 and len(set(REGIONS)) == 85


def test_every_table_is_partitioned_by_region(federal):
    root, summary = federal
    assert summary["regions"] == list(REGIONS[:N_REGIONS])
    for table in TABLE_ORDER:
        for rid in summary["regions"]:
            assert (root / table / f"region_id={rid:02d}" / "part-0.parquet").is_file()
        parts = sorted(p.name for p in (root / table).iterdir())
        assert parts == sorted(f"region_id={r:02d}" for r in summary["regions"])
    meta = json.loads((root / "dataset.json").read_text(encoding="utf-8"))
    assert meta["synthetic"] is True and meta["extract_date"] == "2025-12-31"
    assert meta["source"] == f"effmuni sample --scale federal --seed 2023 --regions {N_REGIONS}"
    assert "Synthetic federal sample" in (root / "README.md").read_text(encoding="utf-8")


def test_region_id_is_not_inside_the_files(federal):
    root, _ = federal
    schema = pq.read_schema(root / "municipalities" / "region_id=21" / "part-0.parquet")
    assert "region_id" not in schema.names


@pytest.mark.parametrize("table", TABLE_ORDER)
def test_every_table_reads_with_a_region_filter(federal, table):
    root, summary = federal
    whole = _read(root, table)
    assert len(whole) == summary["rows"][table]
    for rid in summary["regions"]:
        part = _read(root, table, filter=ds.field("region_id") == rid)
        assert len(part) == summary["rows_by_region"][rid][table]
        assert set(part["region_id"]) <= {rid}


def test_row_counts_per_region_are_in_range(federal):
    _, summary = federal
    for rid, rows in summary["rows_by_region"].items():
        if rid == 21:
            assert rows["municipalities"] == 26 and rows["projects"] == 346
            continue
        units = rows["municipalities"]
        assert 8 <= units <= 75
        assert 8 * units <= rows["projects"] <= 30 * units
        assert rows["service_stats"] == units * 48 * 36
        assert rows["engagement"] == units * 12
        assert 40 * rows["projects"] <= rows["cases"] <= 250 * rows["projects"]
        assert rows["passport"] >= 2 * rows["projects"]


def test_chuvashia_is_the_regional_sample_with_region_21(federal):
    root, _ = federal
    got = _read(root, "municipalities", filter=ds.field("region_id") == 21)
    want = generate(seed=2023)["municipalities"].drop(columns="region_id")
    assert (got["region_id"] == 21).all()
    got = got.drop(columns="region_id")
    assert list(got.columns) == list(want.columns)
    for col in want.columns:
        a = want[col].astype(object).where(want[col].notna(), None).tolist()
        b = got[col].astype(object).where(got[col].notna(), None).tolist()
        if want[col].dtype.kind == "M":
            a = [None if v is None else v.date() for v in a]
        assert a == b, col
    projects = _read(root, "projects", filter=ds.field("region_id") == 21)
    assert len(projects) == len(generate(seed=2023)["projects"])


def test_ids_are_unique_across_regions(federal):
    root, _ = federal
    for table, key in (
        ("municipalities", "municipality_id"),
        ("institutions", "institution_id"),
        ("projects", "project_id"),
        ("cases", "case_id"),
    ):
        ids = _read(root, table, columns=[key])[key]
        assert ids.is_unique, table
    mun = _read(root, "municipalities")
    others = mun[mun["region_id"] != 21]
    assert others["municipality_id"].str.fullmatch(r"r\d{2}-[a-z]+").all()
    assert others["name_ru"].str.contains("муниципальный округ|город").all()


def test_references_hold_within_regions(federal):
    root, _ = federal
    mun = _read(root, "municipalities")
    inst = _read(root, "institutions")
    proj = _read(root, "projects")
    assert inst["municipality_id"].isin(mun["municipality_id"]).all()
    assert proj["institution_id"].isin(inst["institution_id"]).all()
    for table in ("passport", "steps", "cases"):
        assert (
            _read(root, table, columns=["project_id"])["project_id"].isin(proj["project_id"]).all()
        )
    stats = _read(root, "service_stats", columns=["municipality_id"])
    assert stats["municipality_id"].isin(mun["municipality_id"]).all()


def test_case_means_follow_the_passport(federal):
    root, _ = federal
    flt = ds.field("region_id") == 1
    cases = _read(root, "cases", filter=flt)
    passport = _read(root, "passport", filter=flt)
    lead = (cases["completed"] - cases["received"]).dt.total_seconds() / 60
    mean = lead.groupby([cases["project_id"], cases["phase"]]).mean().unstack()
    minutes = {"min": 1, "h": 60, "day": 1440}
    card = passport[passport["phase"].isin(["baseline", "actual"])].assign(
        m=lambda d: d["value"] * d["unit"].map(minutes)
    )
    card = card.pivot(index="project_id", columns="phase", values="m").loc[mean.index]
    ratio = pd.concat([mean["before"] / card["baseline"], mean["after"] / card["actual"]])
    assert ratio.between(0.85, 1.15).mean() > 0.95
    received = cases["received"]
    assert received.dt.hour.between(8, 16).all()
    assert is_workday(pd.DatetimeIndex(received.dt.normalize())).all()  # production calendar


def test_same_seed_same_bytes_and_workers_do_not_matter(federal, tmp_path):
    root, _ = federal
    write_federal(tmp_path / "one", seed=2023, regions=N_REGIONS, workers=1)
    assert _hashes(tmp_path / "one") == _hashes(root)


def test_different_seed_gives_different_files(federal, tmp_path):
    root, _ = federal
    write_federal(tmp_path / "other", seed=2024, regions=N_REGIONS, workers=1)
    a, b = _hashes(root), _hashes(tmp_path / "other")
    assert a.keys() == b.keys()
    differ = [k for k in a if a[k] != b[k]]
    assert any(k.startswith("cases/region_id=01") for k in differ)
    assert any(k.startswith("municipalities/region_id=02") for k in differ)


def test_cli_writes_the_federal_scale(tmp_path, capsys):
    rc = main(
        [
            "sample",
            "--scale",
            "federal",
            "--regions",
            "2",
            "--seed",
            "7",
            "--out",
            str(tmp_path),
            "--lang",
            "en",
        ]
    )
    assert rc == 0
    assert "2 regions" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "cases").iterdir()) == [
        "region_id=01",
        "region_id=21",
    ]
