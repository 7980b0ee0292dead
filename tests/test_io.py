"""Reading what analysts export: encodings, separators, Russian headers, workbooks, Parquet."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import DATA

import effmuni as em
from effmuni.excel import write_template
from effmuni.io import (
    MOSCOW_TZ,
    DataError,
    EventLogError,
    ReadFailure,
    map_headers,
    read_event_log,
    read_table_file,
    sniff_separator,
)
from effmuni.io import text as io_text
from effmuni.schema import TABLE_ORDER, TABLES


def assert_same_dataset(a: em.Dataset, b: em.Dataset) -> None:
    for table in TABLE_ORDER:
        pd.testing.assert_frame_equal(a.table(table), b.table(table), obj=table)


def test_russian_export_matches_canonical(mini_dir):
    """cp1251 + ';' + dd.mm.yyyy + decimal commas, UTF-8 with BOM, UTF-16 tabs, Russian headers
    and Russian category labels all load to the same typed tables as the canonical files."""
    assert_same_dataset(em.load_dataset(DATA / "ru_export"), em.load_dataset(mini_dir))


def test_derived_lead_times(mini_dir):
    cases = em.load_dataset(mini_dir).cases.set_index("case_id")
    # Mon 2023-01-09 09:00 -> Thu 2023-01-19 09:00: 10 calendar days, 8 working days
    assert cases.loc["A-001", "lead_time_days"] == 10.0
    assert cases.loc["A-001", "lead_time_workdays"] == pytest.approx(8.0)
    # 10.01 10:30 -> 18.01 16:00
    assert cases.loc["A-002", "lead_time_days"] == pytest.approx(8 + 5.5 / 24)
    assert pd.isna(cases.loc["A-006", "lead_time_days"])  # open case


def test_passport_durations_normalised_without_mixing_bases(mini_dir):
    p = em.load_dataset(mini_dir).passport.set_index(["project_id", "indicator", "phase"])
    assert p.loc[("p1", "lead_time", "baseline"), "value"] == 10 * 1440
    assert p.loc[("p3", "lead_time", "baseline"), "value"] == 48 * 60
    assert p.loc[("p3", "lead_time", "actual"), ["value", "unit", "basis"]].tolist() == [
        1440,
        "min",
        "calendar",
    ]
    # working days stay working days
    assert p.loc[("p2", "lead_time", "baseline"), ["value", "unit", "basis"]].tolist() == [
        30,
        "workday",
        "working",
    ]
    assert p.loc[("p1", "lead_time", "baseline"), ["value_raw", "unit_raw"]].tolist() == [
        10,
        "day",
    ]
    assert pd.isna(p.loc[("p1", "steps", "baseline"), "basis"])


def as_written(ds: em.Dataset, table: str) -> pd.DataFrame:
    """A table as it was written in the source files (passport values before normalising)."""
    frame = ds.table(table)
    if table == "passport":
        frame = frame.assign(value=frame["value_raw"], unit=frame["unit_raw"])
    return frame[TABLES[table].column_names]


def _write_workbook(ds: em.Dataset, path, russian: bool) -> None:
    """Write a dataset as analysts would: one sheet per table, real date cells, via openpyxl."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for table in TABLE_ORDER:
        spec = TABLES[table]
        ws = wb.create_sheet(spec.aliases[0] if russian else table)
        cols = spec.column_names
        ws.append(
            [
                next((a for a in spec.column(c).aliases if not a.isascii()), c) if russian else c
                for c in cols
            ]
        )
        frame = as_written(ds, table).astype(object)
        for row in frame.itertuples(index=False):
            out = []
            for v in row:
                if v is pd.NA or v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NaT:
                    out.append(None)
                elif isinstance(v, pd.Timestamp):
                    out.append(v.to_pydatetime())
                else:
                    out.append(v)
            ws.append(out)
    wb.save(path)


@pytest.mark.parametrize("russian", [True, False])
def test_workbook_round_trip(mini_dir, tmp_path, russian):
    ds = em.load_dataset(mini_dir)
    path = tmp_path / "dataset.xlsx"
    _write_workbook(ds, path, russian)
    back = em.load_dataset(path)
    assert_same_dataset(back, ds)
    assert back.report.counts["file"].iloc[0].startswith("dataset.xlsx[")


def test_workbook_date_cells_are_dates(tmp_path, mini_dir):
    ds = em.load_dataset(mini_dir)
    path = tmp_path / "d.xlsx"
    _write_workbook(ds, path, russian=True)
    from openpyxl import load_workbook

    cell = load_workbook(path)["Проекты"]["D2"].value
    assert isinstance(cell, dt.datetime)  # a real Excel date, not text
    assert em.load_dataset(path).projects["start_date"].iloc[0] == pd.Timestamp("2023-02-01")


def test_parquet_tables(mini_dir, tmp_path):
    ds = em.load_dataset(mini_dir)
    dest = tmp_path / "pq"
    dest.mkdir()
    for table in TABLE_ORDER:
        as_written(ds, table).to_parquet(dest / f"{table}.parquet")
    assert_same_dataset(em.load_dataset(dest), ds)


def test_corrupt_parquet(mini_copy):
    (mini_copy / "engagement.csv").unlink()
    (mini_copy / "engagement.parquet").write_bytes(b"PAR1 not really")
    report = em.validate(mini_copy, lang="en")
    assert "engagement.parquet is not a readable Parquet file" in report.errors.problem.iloc[0]


def _not_utf8(n: int, kind: str = "string") -> pa.Array:
    """``n`` cells of bytes that are not UTF-8, as a damaged Parquet file holds them."""
    binary = {"string": pa.binary(), "large_string": pa.large_binary()}.get(kind, pa.binary())
    return pa.array([b"\xd0\x00\xff"] * n, binary).view(getattr(pa, kind)())


@pytest.mark.parametrize("form", ["string", "large_string", "dictionary", "binary"])
def test_parquet_text_that_is_not_utf8_refuses_the_file_naming_the_column(mini_copy, form):
    table = pa.Table.from_pandas(pd.read_csv(mini_copy / "projects.csv", dtype=str))
    n = table.num_rows
    bad = {
        "string": _not_utf8(n),
        "large_string": _not_utf8(n, "large_string"),
        "dictionary": pa.DictionaryArray.from_arrays(pa.array([0] * n, pa.int32()), _not_utf8(1)),
        "binary": _not_utf8(n, "binary"),  # text written as bytes: read, when it is UTF-8
    }[form]
    table = table.set_column(table.schema.get_field_index("process_name"), "process_name", bad)
    pq.write_table(table, mini_copy / "projects.parquet")
    (mini_copy / "projects.csv").unlink()
    with pytest.raises(ReadFailure) as info:
        read_table_file(mini_copy / "projects.parquet", "projects")
    assert info.value.problem.code == "read_parquet_not_utf8"
    assert info.value.message("en") == (
        "projects.parquet is damaged: column 'process_name' holds text that is not valid UTF-8; "
        "export the data again"
    )
    report = em.validate(mini_copy, lang="en")  # one problem for the file, no crash
    refused = report.errors[report.errors.code == "read_parquet_not_utf8"]
    assert refused[["table", "file"]].values.tolist() == [["projects", "projects.parquet"]]


def test_parquet_bytes_outside_the_dictionary_may_be_anything(mini_copy):
    frame = pd.read_csv(mini_copy / "projects.csv", dtype=str, keep_default_na=False)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    as_bytes = table.column("process_name").cast(pa.binary())  # text written as bytes
    table = table.set_column(
        table.schema.get_field_index("process_name"), "process_name", as_bytes
    )
    table = table.append_column("photo", _not_utf8(table.num_rows, "binary"))
    pq.write_table(table, mini_copy / "projects.parquet")
    (mini_copy / "projects.csv").unlink()
    report = em.validate(mini_copy, lang="en")
    assert report.ok, report.describe_errors(lang="en")
    assert list(report.warnings["code"]) == ["unknown_column"]  # the photos: ignored
    assert list(report.tables["projects"]["process_name"]) == list(frame["process_name"])


def test_two_files_for_one_table(mini_copy):
    (mini_copy / "Проекты.csv").write_text(
        (mini_copy / "projects.csv").read_text("utf-8"), "utf-8"
    )
    report = em.validate(mini_copy)
    assert "второй файл таблицы «Проекты» (первый: projects.csv)" in " ".join(
        report.errors.problem
    )
    assert "a second file for table projects" in report.describe_errors(lang="en")


def test_template_reads_back_empty(tmp_path):
    path = write_template(tmp_path / "effmuni_template.xlsx")
    from openpyxl import load_workbook

    wb = load_workbook(path)
    assert wb.sheetnames[0] == "Муниципалитеты"
    assert wb["Обращения"]["D1"].value == "Дата поступления"
    ds = em.load_dataset(path)
    assert ds.report.ok and ds.report.warnings.empty
    for table in TABLE_ORDER:
        assert len(ds.table(table)) == 0
        assert set(TABLES[table].column_names) <= set(ds.table(table).columns)


def test_bundled_template_is_current(tmp_path):
    """data/templates/effmuni_template.xlsx has the headers write_template writes today."""
    from openpyxl import load_workbook

    fresh = load_workbook(write_template(tmp_path / "t.xlsx"))
    shipped = load_workbook(DATA.parents[1] / "data" / "templates" / "effmuni_template.xlsx")
    assert shipped.sheetnames == fresh.sheetnames
    for name in fresh.sheetnames:
        assert [c.value for c in shipped[name][1]] == [c.value for c in fresh[name][1]]


# --------------------------------------------------------------------------- one text layer


def test_one_separator_rule_for_tables_and_logs(tmp_path):
    """A header with as many ';' as ',' splits on ';' in the table and the event-log reader."""
    header = "Дело;Операция, этап;Окончание, время"
    assert sniff_separator(header) == ";"
    path = tmp_path / "cases.csv"
    path.write_text(header + "\nc1;a;2024-01-01 10:00\n", encoding="cp1251")
    fields = header.split(";")
    raw, bad = read_table_file(path, "cases")
    assert raw.frame.columns.tolist() == fields and not bad
    log = read_event_log(path, case=fields[0], activity=fields[1], timestamp=fields[2])
    assert log[["case_id", "activity"]].to_numpy().tolist() == [["c1", "a"]]


def _hints(tmp_path, present: str) -> tuple[str | None, str | None]:
    """The header suggested for a missing ``received`` by the table and the event-log reader."""
    frame = pd.DataFrame(columns=["project_id", "case_id", "phase", "completed", present])
    table_hint = map_headers(frame, TABLES["cases"])[3].get("received")
    path = tmp_path / "log.csv"
    path.write_text(f"case_id,activity,{present}\nc1,a,2024-01-01 10:00\n", encoding="utf-8")
    with pytest.raises(EventLogError) as info:
        read_event_log(path, timestamp="received")
    log_hint = present if f"did you mean {present!r}" in str(info.value) else None
    return table_hint, log_hint


def test_one_near_miss_threshold_for_tables_and_logs(tmp_path, monkeypatch):
    assert _hints(tmp_path, "recieved") == ("recieved", "recieved")  # similarity 0.875
    assert _hints(tmp_path, "receipt") == (None, None)  # 0.667: below NEAR_MISS (0.75)
    monkeypatch.setattr(io_text, "NEAR_MISS", 0.6)  # both readers read the one constant
    assert _hints(tmp_path, "receipt") == ("receipt", "receipt")


def test_one_error_hierarchy(mini_copy):
    assert issubclass(ReadFailure, DataError) and issubclass(EventLogError, DataError)
    assert em.DataError is DataError and issubclass(DataError, ValueError)
    err = DataError("cases.csv is empty")
    assert str(err) == "cases.csv is empty" and err.report is None
    (mini_copy / "cases.csv").write_bytes(b"")
    report = em.validate(mini_copy)
    err = DataError(report)
    assert err.report is report and "файл cases.csv пуст" in str(err)
    assert "cases.csv is empty" in err.message("en")
    failure = ReadFailure("read_empty", name="cases.csv")
    assert str(failure) == "файл cases.csv пуст" and failure.message("en") == "cases.csv is empty"
    assert pickle.loads(pickle.dumps(failure)).message("en") == "cases.csv is empty"


def test_moscow_time_is_one_constant():
    src = Path(em.__file__).parent
    places = [
        p.relative_to(src).as_posix()
        for p in src.rglob("*.py")
        if '"Europe/Moscow"' in p.read_text("utf-8")
    ]
    assert places == ["io/text.py"] and MOSCOW_TZ == "Europe/Moscow"
