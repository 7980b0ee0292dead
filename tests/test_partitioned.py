"""Partitioned Parquet datasets (the federal sample): region and municipality filters pushed
down, validation region by region with the reconciliation, a corrupt partition reported."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import DATA

import effmuni as em
from effmuni.schema import TABLE_ORDER


def _reconciles(report) -> bool:
    c = report.counts
    return bool((c.rows_read == c.rows_accepted + c.rows_rejected).all())


def test_region_filter_reads_only_that_region(federal):
    out, summary = federal
    ds = em.load_dataset(out, region=1)
    assert ds.report.ok, ds.report.describe_errors(lang="en")
    for name in TABLE_ORDER:
        assert len(ds.table(name)) == summary["rows_by_region"][1][name], name
    assert set(ds.municipalities["region_id"]) == {1}
    assert ds.municipalities["municipality_id"].str.startswith("r01-").all()
    assert "region_id" not in ds.cases.columns  # only the dictionary's columns elsewhere
    assert _reconciles(ds.report)


def test_municipalities_filter(federal):
    out, _ = federal
    whole = em.load_dataset(out, region=2)
    chosen = sorted(whole.municipalities["municipality_id"])[:2]
    ds = em.load_dataset(out, region=2, municipalities=chosen)
    assert sorted(ds.municipalities["municipality_id"]) == chosen
    assert set(ds.institutions["municipality_id"]) <= set(chosen)
    inst = whole.institutions[whole.institutions["municipality_id"].isin(chosen)]
    assert len(ds.institutions) == len(inst)
    projects = whole.projects[whole.projects["institution_id"].isin(inst["institution_id"])]
    assert sorted(ds.projects["project_id"]) == sorted(projects["project_id"])
    cases = whole.cases[whole.cases["project_id"].isin(projects["project_id"])]
    assert len(ds.cases) == len(cases) > 0
    assert set(ds.service_stats["municipality_id"]) == set(chosen)
    assert _reconciles(ds.report)


def test_every_region_validates_and_reconciles(federal):
    out, summary = federal
    report = em.validate(out, lang="en")
    assert report.ok, report.describe_errors(lang="en")
    assert _reconciles(report)
    counts = report.counts.set_index("table")
    for name in TABLE_ORDER:
        assert counts.loc[name, "rows_read"] == summary["rows"][name]
        assert counts.loc[name, "file"] == f"{name}/"
    # the same check without keeping the accepted rows: the same counts, no rows in memory
    lean = em.validate(out, lang="en", keep_tables=False)
    pd.testing.assert_frame_equal(lean.counts, report.counts)
    assert lean.ok and all(frame.empty for frame in lean.tables.values())
    # the command checks a partitioned dataset that way and says so
    done = subprocess.run(
        [sys.executable, "-m", "effmuni", "validate", str(out), "--lang", "en"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "partitioned by region (3 regions) and was checked region by region" in done.stdout


def test_unknown_region_is_a_problem(federal):
    out, _ = federal
    report = em.validate(out, region=77, lang="en")
    assert list(report.errors["code"]) == ["partition_no_region"]
    assert "77" in report.errors["problem"].iloc[0]


def test_corrupt_partition_is_one_problem_and_the_rest_loads(federal, tmp_path):
    out, summary = federal
    copy = tmp_path / "fed"
    shutil.copytree(out, copy)
    bad = copy / "institutions" / "region_id=01" / "part-0.parquet"
    bad.write_bytes(b"not parquet at all" * 20)
    report = em.validate(copy, lang="en")
    bad_read = report.errors[report.errors["code"] == "read_bad_parquet"]
    assert list(bad_read["file"]) == ["institutions/region_id=01/part-0.parquet"]
    assert "institutions/region_id=01/part-0.parquet" in bad_read["problem"].iloc[0]
    assert _reconciles(report)
    # the other regions load in full
    ds = em.load_dataset(copy, region=21, strict=True)
    assert len(ds.institutions) == summary["rows_by_region"][21]["institutions"]
    counts = report.counts.set_index("table")
    expected = sum(summary["rows_by_region"][r]["institutions"] for r in (2, 21))
    assert counts.loc["institutions", "rows_read"] == expected
    assert pq.read_schema(out / "institutions" / "region_id=01" / "part-0.parquet")  # untouched


def test_a_municipality_id_used_by_two_regions_is_rejected_in_both(federal, tmp_path):
    """Reports are named and regions looked up by municipality id: one id in two regions
    cannot be told apart, so both rows are rejected, also when one region is checked alone."""
    out, _ = federal
    copy = tmp_path / "fed"
    shutil.copytree(out, copy)
    part = copy / "municipalities" / "region_id=02" / "part-0.parquet"
    table = pq.read_table(part)
    ids = table.column("municipality_id").to_pylist()
    taken = pq.read_table(copy / "municipalities" / "region_id=01" / "part-0.parquet")
    clash = taken.column("municipality_id")[0].as_py()
    renamed = ids[0]
    ids[0] = f" {clash} "  # compared without the spaces
    pq.write_table(table.set_column(0, "municipality_id", pa.array(ids)), part)

    report = em.validate(copy, lang="en")
    assert _reconciles(report)
    shared = report.errors[report.errors["code"] == "id_in_regions"]
    assert sorted(shared["file"]) == [
        "municipalities/region_id=01/part-0.parquet",
        "municipalities/region_id=02/part-0.parquet",
    ]
    assert set(shared["value"].str.strip()) == {clash}
    assert (shared["problem"].str.contains("the same id is used in regions 1, 2")).all()
    # the rows that named the renamed unit now point at nothing, and say so
    assert (report.errors["value"] == renamed).any()

    alone = em.load_dataset(copy, region=1, strict=False)
    assert clash not in set(alone.municipalities["municipality_id"])
    assert _reconciles(alone.report)
    ru = em.validate(copy, region=1).errors
    assert (
        ru.loc[ru["code"] == "id_in_regions", "problem"]
        .str.contains("такой же код есть в регионах 1, 2")
        .all()
    )


def test_regional_csv_sample_unchanged():
    report = em.validate(em.sample_path())
    assert report.ok
    assert list(report.counts["file"]) == [f"{t}.csv" for t in report.counts["table"]]
    with pytest.raises(ValueError, match="partition"):
        em.validate(em.sample_path(), region=21)


def _partitioned_municipalities(tmp_path, table: pa.Table):
    """mini with its municipalities as one partition, ``region_id=1/part-0.parquet``."""
    folder = tmp_path / "ds"
    shutil.copytree(DATA / "mini", folder)
    (folder / "municipalities.csv").unlink()
    part = folder / "municipalities" / "region_id=1"
    part.mkdir(parents=True)
    pq.write_table(table, part / "part-0.parquet")
    return folder


def _mini_municipalities() -> pa.Table:
    frame = pd.read_csv(DATA / "mini" / "municipalities.csv", dtype=str, keep_default_na=False)
    return pa.Table.from_pandas(frame, preserve_index=False)


def test_a_partition_with_text_that_is_not_utf8_is_one_problem(tmp_path):
    table = _mini_municipalities()
    bad = pa.array([b"\xd0"] * table.num_rows, pa.binary()).view(pa.string())  # damaged bytes
    table = table.set_column(table.schema.get_field_index("kind"), "kind", bad)
    report = em.validate(_partitioned_municipalities(tmp_path, table), lang="en")
    refused = report.errors[report.errors["code"] == "read_parquet_not_utf8"]
    assert list(refused["file"]) == ["municipalities/region_id=1/part-0.parquet"]
    assert "column 'kind' holds text that is not valid UTF-8" in refused["problem"].iloc[0]
    assert _reconciles(report)


def test_a_partition_with_damaged_pandas_metadata_reads_without_it(tmp_path):
    table = _mini_municipalities().replace_schema_metadata({b"pandas": b"{not json"})
    report = em.validate(_partitioned_municipalities(tmp_path, table), lang="en")
    assert report.ok, report.describe_errors(lang="en")
    assert len(report.tables["municipalities"]) == table.num_rows
