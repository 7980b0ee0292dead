"""Out-of-core case timings of Parquet logs: the in-memory result exactly, temp files gone."""

from __future__ import annotations

import doctest
import gzip
import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from effmuni import EventLogError, case_timings, case_timings_from_parquet, read_event_log
from effmuni.io import largelog

LOGS = Path(__file__).parent / "data" / "eventlog"
TINY = 96 << 10  # a budget of 96 KiB: 6,000 events make about 20 buckets
MANY = dict(memory_budget=TINY)


def in_memory(path: Path, calendar=None, *, as_of=None, end_activities=None, **names):
    log = read_event_log(path, **names)
    return case_timings(log, calendar, as_of=as_of, end_activities=end_activities)


def out_of_core(path: Path, *args, caplog=None, min_buckets: int = 2, **kwargs):
    """case_timings_from_parquet, checking that it did split the log into buckets."""
    with caplog.at_level(logging.INFO, logger=largelog.__name__):
        caplog.clear()
        got = case_timings_from_parquet(path, *args, **kwargs)
    plan = re.search(r"(\d+) buckets", caplog.text)
    assert plan and int(plan.group(1)) >= min_buckets, caplog.text
    return got


def same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert got.attrs == expected.attrs


def make_log(n_cases: int = 2_500, seed: int = 0, *, shuffle: bool = True) -> pd.DataFrame:
    """A pm4py-named log: 1-11 events a case, 80 activities (more than 64), some events
    without a start or a resource, cases interleaved when shuffled."""
    rng = np.random.default_rng(seed)
    case = np.repeat(np.arange(n_cases), rng.integers(1, 12, n_cases))
    n = len(case)
    end = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(
        rng.integers(0, 90 * 86_400, n), unit="s"
    )
    start = end - pd.to_timedelta(rng.integers(0, 6 * 3_600, n), unit="s")
    frame = pd.DataFrame(
        {
            "case:concept:name": np.char.add("дело-", case.astype(str)),
            "concept:name": np.char.add("операция ", rng.integers(0, 80, n).astype(str)),
            "start_timestamp": start.where(rng.random(n) > 0.1),
            "time:timestamp": end,
            "org:resource": pd.Series(np.char.add("r", rng.integers(0, 30, n).astype(str))).where(
                rng.random(n) > 0.05
            ),
        }
    )
    if shuffle:
        frame = frame.sample(frac=1, random_state=seed).reset_index(drop=True)
    return frame


def write(frame: pd.DataFrame, path: Path, **options) -> Path:
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, **options)
    return path


# --------------------------------------------------------------------------- the same result


def test_bundled_receipt_log(tmp_path, caplog):
    # real data: 1,434 cases, 8,577 events with +01:00/+02:00 offsets, no start column
    path = tmp_path / "receipt.parquet"
    read_event_log(LOGS / "receipt.csv.gz").to_parquet(path)
    expected = in_memory(path, "ru")
    same(out_of_core(path, "ru", caplog=caplog, min_buckets=20, **MANY), expected)
    # the file as exported (timestamps as text with offsets), shuffled, in small row groups
    # (by pandas: the shuffled index is stored too)
    raw = pd.read_csv(LOGS / "receipt.csv.gz", dtype=str).sample(frac=1, random_state=1)
    raw.to_parquet(path, row_group_size=1_000)
    same(out_of_core(path, caplog=caplog, min_buckets=20, **MANY), in_memory(path))


def test_bundled_running_example_and_russian_headers(tmp_path, caplog):
    path = tmp_path / "running.parquet"
    read_event_log(LOGS / "running-example.xes").to_parquet(path)
    same(out_of_core(path, caplog=caplog, memory_budget=4_096), in_memory(path))
    names = dict(
        case="Дело",
        activity="Операция",
        start_timestamp="Начало",
        timestamp="Окончание",
        resource="Исполнитель",
    )
    raw = pd.read_csv(LOGS / "tiny_ru.csv", sep=";", encoding="cp1251", dtype=str)
    path = write(raw, tmp_path / "ru.pq")
    expected = in_memory(path, "ru", **names)
    same(out_of_core(path, "ru", caplog=caplog, memory_budget=1_024, **names), expected)


def test_many_buckets_unsorted_log_spread_over_row_groups_and_batches(tmp_path, caplog):
    frame = make_log()
    path = write(frame, tmp_path / "log.parquet", row_group_size=3_000)
    expected = in_memory(path)
    assert not frame["case:concept:name"].is_monotonic_increasing  # cases interleaved
    assert expected["work_time_hours"].isna().any()  # cases without a start
    got = out_of_core(path, caplog=caplog, min_buckets=20, **MANY)
    same(got, expected)
    # the same log in file order (cases contiguous: case_timings' fast path), categoricals
    frame = make_log(shuffle=False).astype({"concept:name": "category"})
    sorted_path = write(frame, tmp_path / "sorted.parquet")
    same(out_of_core(sorted_path, caplog=caplog, **MANY), in_memory(sorted_path))


def test_open_cases_as_of_and_end_activities(tmp_path, caplog):
    path = write(make_log(800, seed=3), tmp_path / "log.parquet")
    ends = {f"операция {i}" for i in range(40)}
    for options in (
        dict(end_activities=ends),  # the extract date: the log's latest timestamp
        dict(as_of="2024-02-01 12:00"),  # events after it ignored, cases after it absent
        dict(as_of="2024-02-01", end_activities=ends),
        dict(as_of="2023-06-01"),  # before every event: no case at all
    ):
        expected = in_memory(path, "ru", **options)
        got = out_of_core(path, "ru", caplog=caplog, min_buckets=5, **MANY, **options)
        same(got, expected)
    assert got.empty


def test_time_zones_and_local_time(tmp_path, caplog):
    # text timestamps, some with offsets and some local (in tz), around the DST change
    frame = make_log(600, seed=5)
    local = pd.Timestamp("2024-03-31 01:00") + pd.to_timedelta(
        np.arange(len(frame)) % 300, unit="min"
    )
    stamps = local.strftime("%Y-%m-%d %H:%M:%S").to_numpy(dtype=object)
    zoned = np.arange(len(frame)) % 3 == 0
    stamps[zoned] = frame.loc[zoned, "time:timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S%z")
    frame["time:timestamp"] = stamps
    frame["start_timestamp"] = None
    path = write(frame, tmp_path / "log.parquet")
    for tz in ("Europe/Berlin", "Asia/Yekaterinburg"):
        expected = in_memory(path, tz=tz)
        assert str(expected["end"].dt.tz) == tz
        same(out_of_core(path, tz=tz, caplog=caplog, **MANY), expected)


def test_lifecycle_pairs_are_merged_within_a_bucket(tmp_path, caplog):
    # start/complete events of a case far apart in the file, in different batches
    n_cases = 400
    case = np.tile(np.char.add("c", np.arange(n_cases).astype(str)), 4)
    lifecycle = np.repeat(["start", "start", "complete", "complete"], n_cases)
    when = pd.Timestamp("2024-05-01", tz="UTC") + pd.to_timedelta(np.arange(4 * n_cases), "min")
    frame = pd.DataFrame(
        {
            "case:concept:name": case,
            "concept:name": np.where(np.arange(4 * n_cases) % 2 == 0, "a", "b"),
            "time:timestamp": when,
            "lifecycle:transition": lifecycle,
            "org:resource": "r1",
        }
    )
    path = write(frame, tmp_path / "log.parquet")
    expected = in_memory(path)
    assert (expected["n_events"] == 2).all()  # each start merged with its complete
    same(out_of_core(path, caplog=caplog, **MANY), expected)


def test_float_case_ids_are_text_as_for_the_whole_file(tmp_path, caplog):
    # read_event_log writes 17.0 as "17" only when every value of the column is a whole number
    frame = make_log(300, seed=2, shuffle=False)
    codes = frame["case:concept:name"].str.slice(5).astype(float)
    frame["case:concept:name"] = codes.where(codes.index < len(frame) - 1, 0.5)
    path = write(frame, tmp_path / "log.parquet")
    expected = in_memory(path)
    assert expected["case_id"].iloc[0] == "0.0"
    same(out_of_core(path, caplog=caplog, **MANY), expected)


def test_written_to_a_file_in_the_same_order(tmp_path, caplog):
    path = write(make_log(1_000, seed=4), tmp_path / "log.parquet")
    out = tmp_path / "timings.parquet"
    assert out_of_core(path, "ru", caplog=caplog, out=out, min_buckets=10, **MANY) is None
    same(pd.read_parquet(out), in_memory(path, "ru"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.parquet", "timings.parquet"]
    # small enough for one bucket: the same file
    case_timings_from_parquet(path, out=out)
    same(pd.read_parquet(out), in_memory(path))


def test_a_log_that_fits_is_read_in_one_go(tmp_path, caplog):
    path = write(make_log(50, seed=6), tmp_path / "log.parquet")
    with caplog.at_level(logging.INFO, logger=largelog.__name__):
        got = case_timings_from_parquet(path)
    assert " 1 buckets" in caplog.text
    same(got, in_memory(path))
    empty = write(make_log(50).iloc[:0], tmp_path / "empty.parquet")
    same(case_timings_from_parquet(empty, **MANY), in_memory(empty))


# --------------------------------------------------------------------------- temporary files


def test_temporary_files_are_removed_also_on_error(tmp_path, caplog):
    spill = tmp_path / "spill"
    spill.mkdir()
    frame = make_log(1_000)
    path = write(frame, tmp_path / "log.parquet")
    out_of_core(path, caplog=caplog, tmp_dir=spill, min_buckets=15, **MANY)
    assert list(spill.iterdir()) == []
    # problems in the last rows: buckets were written before they were found
    frame.loc[len(frame) - 3 :, "concept:name"] = None
    bad = write(frame, tmp_path / "bad.parquet")
    out = tmp_path / "timings.parquet"
    with pytest.raises(EventLogError, match="bad.parquet: 3 records without"):
        case_timings_from_parquet(bad, tmp_dir=spill, out=out, **MANY)
    assert list(spill.iterdir()) == [] and not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.parquet", "log.parquet", "spill"]


# --------------------------------------------------------------------------- errors


def same_error(path: Path, **names) -> str:
    """The message of case_timings_from_parquet (many buckets) is read_event_log's."""
    with pytest.raises(EventLogError) as expected:
        read_event_log(path, **names)
    with pytest.raises(EventLogError) as got:
        case_timings_from_parquet(path, **MANY, **names)
    assert str(got.value) == str(expected.value)
    assert path.name in str(got.value)
    return str(got.value)


def test_bad_and_missing_values_are_counted_over_the_whole_file(tmp_path):
    frame = make_log(1_500, seed=7)
    frame["time:timestamp"] = frame["time:timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S+03:00")
    n = len(frame)
    frame.loc[[10, 2_000, 4_000, 5_000, 6_000, 7_000, n - 1], "time:timestamp"] = "32.01.2024"
    frame.loc[[3, n - 2], "case:concept:name"] = None
    path = write(frame, tmp_path / "log.parquet")
    message = same_error(path)
    assert "7 records with an unparseable 'time:timestamp'" in message and "2 more" in message
    frame.loc[frame["time:timestamp"] == "32.01.2024", "time:timestamp"] = "2024-01-01T10:00Z"
    message = same_error(write(frame, path))
    assert "2 records without a 'case:concept:name' value: record 4, record" in message
    frame.loc[[3, n - 2], "case:concept:name"] = "x"
    frame.loc[[5, 3_000], "time:timestamp"] = None
    assert "without a 'time:timestamp' value" in same_error(write(frame, path))


def test_damaged_and_unreadable_files(tmp_path):
    frame = make_log(1_000, seed=8)
    n = len(frame)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    text = pa.array(frame["concept:name"]).cast(pa.binary()).to_pylist()
    text[n - 5] = b"\xd0"  # bytes of a damaged file, late in it
    where = table.schema.get_field_index("concept:name")
    damaged = table.set_column(
        where, "concept:name", pa.array(text, pa.binary()).view(pa.string())
    )
    pq.write_table(damaged, tmp_path / "damaged.parquet")
    assert "column 'concept:name' holds text that is not valid UTF-8" in same_error(
        tmp_path / "damaged.parquet"
    )
    # cut short: the footer is gone
    data = (write(frame, tmp_path / "log.parquet")).read_bytes()
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(data[: len(data) // 2])
    assert "is not a readable Parquet file" in same_error(cut)
    for name, content, why in (
        ("x.parquet", b"not parquet", "not a Parquet file"),
        ("e.parquet", b"", "is empty"),
    ):
        (tmp_path / name).write_bytes(content)
        assert why in same_error(tmp_path / name)
    assert "no such file" in same_error(tmp_path / "none.parquet")


def test_missing_columns_and_other_formats(tmp_path):
    path = write(make_log(20).rename(columns={"concept:name": "concept_name"}), tmp_path / "l.pq")
    assert "did you mean 'concept_name'" in same_error(path)
    assert "no column 'Дело'" in same_error(path, case="Дело")
    csv = tmp_path / "log.csv"
    csv.write_bytes(gzip.decompress((LOGS / "tiny.csv.gz").read_bytes()))
    with pytest.raises(EventLogError, match="log.csv is not a Parquet event log"):
        case_timings_from_parquet(csv)


@pytest.mark.parametrize(
    ("budget", "size"),
    [(1024, 1024), ("1GiB", 2**30), ("512 MB", 512 * 10**6), ("2g", 2 * 2**30), ("64KiB", 2**16)],
)
def test_memory_budget(budget, size):
    assert largelog._budget(budget) == size


@pytest.mark.parametrize("budget", ["lots", "1 GiBs", 0, -5, "", True, "1e9"])
def test_bad_memory_budget(budget, tmp_path):
    with pytest.raises(ValueError, match="memory_budget"):
        case_timings_from_parquet(tmp_path / "log.parquet", memory_budget=budget)


def test_docstring_examples():
    result = doctest.testmod(largelog, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
