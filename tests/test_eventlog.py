"""Event-log reader: every format gives the same frame; bad input gives a clear message."""

from __future__ import annotations

import doctest
import gzip
import io
import tempfile
from collections import defaultdict, deque
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from effmuni.io import EVENT_LOG_COLUMNS, EventLogError, eventlog, read_event_log

LOGS = Path(__file__).parent / "data" / "eventlog"
TINY = LOGS / "tiny.csv"
RU_NAMES = dict(
    case="Дело",
    activity="Операция",
    start_timestamp="Начало",
    timestamp="Окончание",
    resource="Исполнитель",
)


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_convert("Europe/Moscow")


@pytest.fixture(scope="module")
def tiny() -> pd.DataFrame:
    return read_event_log(TINY)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- formats


def test_tiny_csv_is_read_as_written(tiny):
    assert tuple(tiny.columns) == EVENT_LOG_COLUMNS
    assert tiny.dtypes.astype(str).tolist() == [
        "str",
        "str",
        "datetime64[us, Europe/Moscow]",
        "datetime64[us, Europe/Moscow]",
        "str",
    ]
    assert isinstance(tiny.index, pd.RangeIndex)
    # file order, not sorted: "Запрос сведений" ends before "Проверка документов" starts
    assert tiny["activity"].iloc[:3].tolist() == [
        "Регистрация",
        "Запрос сведений",
        "Проверка документов",
    ]
    assert tiny["case_id"].tolist() == ["З-1"] * 4 + ["З-2"] * 3 + ["З-3"] * 2 + ["З-4"] * 2
    # the +05:00 offset is kept: 16:00 in Yekaterinburg is 14:00 in Moscow
    assert tiny.loc[8, "end"] == ts("2024-01-10T16:00:00+05:00")
    assert str(tiny.loc[8, "end"]) == "2024-01-10 14:00:00+03:00"
    assert pd.isna(tiny.loc[5, "start"]) and pd.isna(tiny.loc[5, "resource"])
    assert tiny["start"].isna().sum() == 3
    assert tiny.loc[0, "start"] == ts("2024-04-26T09:00:00+03:00")


@pytest.mark.parametrize(
    "name", ["tiny.csv.gz", "tiny.parquet", "tiny.xlsx", "tiny.xes", "tiny.xes.gz"]
)
def test_every_format_gives_the_same_frame(name, tiny):
    pd.testing.assert_frame_equal(read_event_log(LOGS / name), tiny)


def test_russian_excel_export_with_explicit_names(tiny):
    # Windows-1251, ";" separators, dd.mm.yyyy HH:MM in Moscow local time, Russian headers
    pd.testing.assert_frame_equal(read_event_log(LOGS / "tiny_ru.csv", **RU_NAMES), tiny)


def test_written_output_reads_back(tiny, tmp_path):
    # read_event_log's own column names are recognised too
    tiny.to_csv(tmp_path / "out.csv", index=False)
    pd.testing.assert_frame_equal(read_event_log(tmp_path / "out.csv"), tiny)
    tiny.to_parquet(tmp_path / "out.parquet")
    pd.testing.assert_frame_equal(read_event_log(tmp_path / "out.parquet"), tiny)


def test_explicit_names_override_the_defaults(tiny):
    log = read_event_log(TINY, activity="case:channel", resource="concept:name")
    assert log["activity"].tolist()[:2] == ["портал", "портал"]
    assert log["resource"].tolist()[:2] == ["Регистрация", "Запрос сведений"]
    pd.testing.assert_series_equal(log["end"], tiny["end"])
    xes = read_event_log(LOGS / "running-example.xes", activity="Activity", resource="Costs")
    assert xes["activity"].iloc[0] == "register request"
    assert xes["resource"].tolist()[:3] == ["50", "400", "100"]


def test_xes_case_key_may_carry_the_pm4py_prefix():
    a = read_event_log(LOGS / "running-example.xes", case="case:concept:name")
    b = read_event_log(LOGS / "running-example.xes")
    pd.testing.assert_frame_equal(a, b)


def test_names_match_ignoring_case_and_spaces(tmp_path):
    path = write(
        tmp_path / "log.csv",
        " Case:Concept:Name ,CONCEPT:NAME,Time:Timestamp\nc1,a,2024-01-01T10:00:00+03:00\n",
    )
    log = read_event_log(path)
    assert log["case_id"].tolist() == ["c1"]
    assert log["resource"].isna().all() and log["start"].isna().all()


# --------------------------------------------------------------------------- shared logs


@pytest.fixture(scope="module")
def receipt() -> pd.DataFrame:
    return read_event_log(LOGS / "receipt.csv.gz")


def test_receipt_log_pm4py_names(receipt):
    assert len(receipt) == 8577
    assert receipt["case_id"].nunique() == 1434
    assert tuple(receipt.columns) == EVENT_LOG_COLUMNS
    assert receipt["resource"].notna().all()
    assert receipt["start"].isna().all()
    # first row: case-10011, 2011-10-11 13:45:40.276+02:00 (CEST), kept to the millisecond
    first = receipt.iloc[0]
    assert first["case_id"] == "case-10011"
    assert first["activity"] == "Confirmation of receipt"
    assert first["resource"] == "Resource21"
    assert first["end"] == pd.Timestamp("2011-10-11T13:45:40.276+02:00")
    # winter rows carry +01:00; Moscow was on UTC+4 from March 2011 to October 2014
    assert str(receipt.iloc[2]["end"]) == "2011-11-24 18:36:51.302000+04:00"


def test_receipt_plain_and_gzipped_agree(receipt, tmp_path):
    plain = tmp_path / "receipt.csv"
    plain.write_bytes(gzip.decompress((LOGS / "receipt.csv.gz").read_bytes()))
    pd.testing.assert_frame_equal(read_event_log(plain), receipt)


def test_running_example_xes():
    log = read_event_log(LOGS / "running-example.xes")
    assert len(log) == 42
    counts = log["case_id"].value_counts(sort=False)
    assert counts.to_dict() == {"3": 9, "2": 5, "1": 5, "6": 5, "5": 13, "4": 5}
    # trace "3", last event (line 90 of the file): pay compensation, Ellen, 10:45+01:00
    last = log[log["case_id"] == "3"].iloc[-1]
    assert (last["activity"], last["resource"]) == ("pay compensation", "Ellen")
    assert last["end"] == pd.Timestamp("2011-01-15T10:45:00+01:00")
    assert log["start"].isna().all()


# --------------------------------------------------------------------------- time zones


def test_naive_timestamps_are_local_time_in_tz(tmp_path):
    path = write(
        tmp_path / "log.csv",
        "case:concept:name,concept:name,time:timestamp\n"
        "c1,a,2024-04-27 09:00:00\n"
        "c1,b,2024-04-27T10:00:00Z\n",
    )
    moscow = read_event_log(path)
    assert moscow["end"].tolist() == [ts("2024-04-27T06:00Z"), ts("2024-04-27T10:00Z")]
    ekb = read_event_log(path, tz="Asia/Yekaterinburg")
    assert str(ekb["end"].dtype) == "datetime64[us, Asia/Yekaterinburg]"
    assert ekb["end"].iloc[0] == pd.Timestamp("2024-04-27T04:00Z")
    assert ekb["end"].iloc[1] == moscow["end"].iloc[1]
    with pytest.raises(ValueError, match="unknown time zone"):
        read_event_log(path, tz="Europe/Nowhere")


def test_all_naive_iso_column_takes_the_fast_route(tmp_path):
    path = write(
        tmp_path / "log.csv",
        "case:concept:name,concept:name,time:timestamp\nc1,a,2024-04-27 09:00:00\n",
    )
    assert read_event_log(path)["end"].iloc[0] == ts("2024-04-27T09:00:00+03:00")


def test_dates_without_time_and_fractions(tmp_path):
    path = write(
        tmp_path / "log.csv",
        "case:concept:name;concept:name;time:timestamp\n"
        "c1;a;27.04.2024\n"
        "c1;b;2024-04-28\n"
        "c1;c;28.04.2024 10:30:15,5\n",
    )
    assert read_event_log(path)["end"].dt.strftime("%Y-%m-%d %H:%M:%S.%f").tolist() == [
        "2024-04-27 00:00:00.000000",
        "2024-04-28 00:00:00.000000",
        "2024-04-28 10:30:15.500000",
    ]


# --------------------------------------------------------------------------- lifecycle


def test_xes_lifecycle_pairs():
    log = read_event_log(LOGS / "lifecycle.xes")
    t = pd.Timestamp

    def at(hhmm: str) -> pd.Timestamp:
        return t(f"2024-05-06T{hhmm}:00+03:00")

    expected = pd.DataFrame(
        [
            ("T1", "A", None, at("08:00"), None),  # schedule: its own row
            ("T1", "A", at("09:00"), at("10:00"), "Анна"),  # FIFO: first start, first complete
            ("T1", "A", at("09:30"), at("11:00"), "Борис"),  # resource from the start event
            ("T1", "B", None, at("11:30"), None),  # complete without start
            ("T1", "C", None, at("12:00"), None),  # start never completed
            ("T1", "E", None, at("13:00"), None),  # complete before any start
            ("T1", "E", at("13:30"), at("14:00"), None),
            ("T2", "D", at("09:10"), at("09:20"), None),  # concept:instance 2
            ("T2", "D", at("09:00"), at("09:40"), None),  # concept:instance 1
        ],
        columns=list(EVENT_LOG_COLUMNS),
    )
    assert log["case_id"].tolist() == expected["case_id"].tolist()
    assert log["activity"].tolist() == expected["activity"].tolist()
    assert log["resource"].fillna("-").tolist() == expected["resource"].fillna("-").tolist()
    for col in ("start", "end"):
        got = log[col].tolist()
        want = expected[col].tolist()
        assert [None if pd.isna(g) else g for g in got] == [
            None if pd.isna(w) else w for w in want
        ]


def test_csv_lifecycle_column_pairs_too(tmp_path):
    path = write(
        tmp_path / "log.csv",
        "case:concept:name,concept:name,lifecycle:transition,time:timestamp,org:resource\n"
        "c1,a,start,2024-05-06T09:00:00+03:00,r1\n"
        "c1,a,complete,2024-05-06T10:00:00+03:00,r1\n"
        "c1,b,complete,2024-05-06T11:00:00+03:00,r2\n",
    )
    log = read_event_log(path)
    assert log["activity"].tolist() == ["a", "b"]
    assert log.loc[0, "start"] == ts("2024-05-06T09:00:00+03:00")
    assert pd.isna(log.loc[1, "start"])


def test_an_explicit_start_column_wins_over_lifecycle(tmp_path):
    path = write(
        tmp_path / "log.csv",
        "case:concept:name,concept:name,lifecycle:transition,start_timestamp,time:timestamp\n"
        "c1,a,start,,2024-05-06T09:00:00+03:00\n"
        "c1,a,complete,2024-05-06T09:30:00+03:00,2024-05-06T10:00:00+03:00\n",
    )
    assert len(read_event_log(path)) == 2


def pair_by_loop(rows: list[tuple[str, str, str, int]]) -> list[tuple[str, str, int | None, int]]:
    """The documented pairing rule, one event at a time: (case, activity, start, end)."""
    open_starts: dict[tuple[str, str], deque[int]] = defaultdict(deque)
    out: dict[int, tuple[str, str, int | None, int]] = {}
    for i, (case, activity, transition, minute) in enumerate(rows):
        if transition == "start":
            open_starts[case, activity].append(i)
            out[i] = (case, activity, None, minute)
        elif transition == "complete" and open_starts[case, activity]:
            j = open_starts[case, activity].popleft()
            del out[j]
            out[i] = (case, activity, rows[j][3], minute)
        else:
            out[i] = (case, activity, None, minute)
    return [out[i] for i in sorted(out)]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["c1", "c2"]),
            st.sampled_from(["a", "b"]),
            st.sampled_from(["start", "complete", "complete", "schedule"]),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_lifecycle_pairing_matches_the_rule(events):
    rows = [(c, a, t, i) for i, (c, a, t) in enumerate(events)]
    text = "case:concept:name,concept:name,lifecycle:transition,time:timestamp\n" + "".join(
        f"{c},{a},{t},2024-05-06T09:{m:02d}:00+03:00\n" for c, a, t, m in rows
    )
    with tempfile.TemporaryDirectory() as tmp:
        log = read_event_log(write(Path(tmp) / "log.csv", text))
    got = [
        (c, a, None if pd.isna(s) else s.minute, e.minute)
        for c, a, s, e in zip(
            log["case_id"], log["activity"], log["start"], log["end"], strict=True
        )
    ]
    assert got == pair_by_loop(rows)


# --------------------------------------------------------------------------- empty logs


def test_header_only_csv_is_an_empty_log(tmp_path, tiny):
    path = write(tmp_path / "log.csv", "case:concept:name,concept:name,time:timestamp\n")
    log = read_event_log(path)
    assert log.empty and tuple(log.columns) == EVENT_LOG_COLUMNS
    assert (log.dtypes.astype(str) == tiny.dtypes.astype(str)).all()


def test_xes_with_empty_traces_is_an_empty_log(tmp_path):
    path = write(
        tmp_path / "log.xes",
        '<log><trace><string key="concept:name" value="1"/></trace></log>',
    )
    log = read_event_log(path)
    assert log.empty and tuple(log.columns) == EVENT_LOG_COLUMNS


# --------------------------------------------------------------------------- bad input


def raises(path: Path, *fragments: str, **names) -> str:
    with pytest.raises(EventLogError) as info:
        read_event_log(path, **names)
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert path.name in message, message
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_missing_column_suggests_the_near_miss(tmp_path):
    path = write(
        tmp_path / "log.csv",
        "case:concept_name,concept:name,time:timestamp\nc1,a,2024-01-01T10:00:00+03:00\n",
    )
    raises(path, "no case column", "did you mean 'case:concept_name'", "case='case:concept_name'")


def test_missing_explicit_column(tmp_path):
    raises(TINY, "no column 'Операция' (given as activity=)", activity="Операция")
    raises(
        TINY, "no column 'org:resourse'", "did you mean 'org:resource'", resource="org:resourse"
    )


def test_missing_timestamp_column_lists_the_columns(tmp_path):
    path = write(tmp_path / "log.csv", "case:concept:name,concept:name,when\nc1,a,x\n")
    raises(path, "no timestamp column", "'time:timestamp'", "The columns are: ")


def test_bad_timestamp_names_the_row(tmp_path):
    path = write(
        tmp_path / "log.csv",
        "case:concept:name,concept:name,time:timestamp\n"
        "c1,a,2024-01-01T10:00:00+03:00\n"
        "c1,b,2024-13-45T10:00:00+03:00\n"
        "c1,c,вчера\n",
    )
    raises(
        path, "2 rows with an unparseable 'time:timestamp'", "row 3 ('2024-13-45T10:00:00+03:00')"
    )
    raises(path, "row 4 ('вчера')")


def test_bad_timestamp_after_the_first_block_names_the_row(tmp_path):
    # pyarrow infers timestamps from the first block and fails later: the rows still get named
    lines = [f"c{i},a,2024-01-01T10:00:00+03:00" for i in range(40_000)]
    lines[30_000] = "c30000,a,31.02.2024"
    path = write(
        tmp_path / "big.csv",
        "case:concept:name,concept:name,time:timestamp\n" + "\n".join(lines) + "\n",
    )
    raises(path, "1 row with an unparseable", "row 30002 ('31.02.2024')")


def test_missing_values_name_the_rows(tmp_path):
    path = write(
        tmp_path / "log.csv",
        "case:concept:name,concept:name,time:timestamp\n"
        "c1,a,2024-01-01T10:00:00+03:00\n"
        ",b,2024-01-01T11:00:00+03:00\n"
        "c1,c,\n",
    )
    raises(path, "1 row without a 'case:concept:name' value: row 3")
    path.write_text(path.read_text(encoding="utf-8").replace(",b,", "c1,b,"), encoding="utf-8")
    raises(path, "1 row without a 'time:timestamp' value: row 4")


def test_ragged_csv(tmp_path):
    path = write(
        tmp_path / "log.csv",
        "case:concept:name,concept:name,time:timestamp\nc1,a,2024-01-01T10:00:00+03:00,extra\n",
    )
    raises(path, "is not a readable CSV file")


def test_empty_files(tmp_path):
    for name in ("log.csv", "log.xes", "log.parquet", "log.xlsx"):
        raises(write(tmp_path / name, ""), "is empty")
    gz = tmp_path / "log.csv.gz"
    gz.write_bytes(gzip.compress(b""))
    raises(gz, "is empty")
    raises(write(tmp_path / "blank.csv", "\n\n"), "is empty")


def test_truncated_and_corrupt_gzip(tmp_path):
    data = (LOGS / "receipt.csv.gz").read_bytes()
    cut = tmp_path / "receipt.csv.gz"
    cut.write_bytes(data[: len(data) // 2])
    raises(cut, "gzip stream is truncated")
    tiny_cut = tmp_path / "tiny.csv.gz"
    tiny_cut.write_bytes((LOGS / "tiny.csv.gz").read_bytes()[:60])
    raises(tiny_cut, "gzip stream is truncated")
    xes_cut = tmp_path / "tiny.xes.gz"
    xes_cut.write_bytes((LOGS / "tiny.xes.gz").read_bytes()[:-30])
    raises(xes_cut, "gzip stream is")
    bad = tmp_path / "bad.csv.gz"
    bad.write_bytes(data[:100] + bytes(200) + data[300:1000])
    raises(bad, "gzip stream is")
    raises(write(tmp_path / "plain.csv.gz", "a,b\n"), "is not a gzip file")


def test_not_xes(tmp_path):
    html = write(tmp_path / "page.xml", "<?xml version='1.0'?><html><body/></html>")
    raises(html, "is not an XES file", "root element is <html>")
    csv = write(tmp_path / "log.xes", TINY.read_text(encoding="utf-8"))
    raises(csv, "is not an XES file", "not well-formed XML")
    truncated = write(tmp_path / "cut.xes", (LOGS / "tiny.xes").read_text(encoding="utf-8")[:3000])
    raises(truncated, "broken XES", "truncated")


@pytest.mark.parametrize(
    ("encoding", "why"),
    [
        ("UTF-T8", "which is unknown"),  # one damaged byte of "UTF-8"
        ("hex", "which is unknown"),  # a codec of Python's, not a text encoding
        ("UTF-7", "which the XML reader cannot decode"),  # multi-byte: pyexpat refuses
        ("Shift_JIS", "which the XML reader cannot decode"),
    ],
)
@pytest.mark.parametrize("gz", [False, True])
def test_xes_declaring_an_encoding_it_cannot_read(tmp_path, encoding, why, gz):
    data = f"<?xml version='1.0' encoding='{encoding}'?>\n<log><trace/></log>".encode()
    path = tmp_path / ("log.xes.gz" if gz else "log.xes")
    path.write_bytes(gzip.compress(data) if gz else data)
    raises(path, "is not a readable XES file", f"names the encoding {encoding!r}, {why}")


def test_xes_in_a_declared_single_byte_encoding_reads(tmp_path):
    text = (LOGS / "tiny.xes").read_text(encoding="utf-8")
    assert not text.isascii()  # Russian names, in Windows-1251 bytes below
    text = text.replace('encoding="UTF-8"', 'encoding="windows-1251"', 1)
    path = tmp_path / "log.xes"
    path.write_bytes(text.encode("cp1251"))
    pd.testing.assert_frame_equal(read_event_log(path), read_event_log(LOGS / "tiny.xes"))


@pytest.mark.parametrize(
    "metadata", [b"\xb7", b"{not json", b'{"columns": 1}', b'{"columns": [1]}', b"null"]
)
def test_parquet_with_damaged_pandas_metadata_reads_without_it(tmp_path, tiny, metadata):
    table = pa.Table.from_pandas(pd.read_csv(TINY, dtype=str), preserve_index=False)
    pq.write_table(table.replace_schema_metadata({b"pandas": metadata}), tmp_path / "log.parquet")
    pd.testing.assert_frame_equal(read_event_log(tmp_path / "log.parquet"), tiny)


@pytest.mark.parametrize("dictionary", [False, True])
def test_parquet_text_that_is_not_utf8_is_refused_naming_the_column(tmp_path, dictionary):
    table = pa.Table.from_pandas(pd.read_csv(TINY, dtype=str), preserve_index=False)
    n = table.num_rows
    bad = pa.array([b"\xd0"] * n, pa.binary()).view(pa.string())  # a damaged file's bytes
    if dictionary:
        bad = pa.DictionaryArray.from_arrays(pa.array([0] * n, pa.int32()), bad[:1])
    table = table.set_column(table.schema.get_field_index("concept:name"), "concept:name", bad)
    pq.write_table(table, tmp_path / "log.parquet")
    raises(
        tmp_path / "log.parquet",
        "log.parquet is damaged: column 'concept:name' holds text that is not valid UTF-8",
    )


def test_xes_missing_keys_suggest_near_misses(tmp_path):
    text = (LOGS / "running-example.xes").read_text(encoding="utf-8")
    path = write(
        tmp_path / "log.xes", text.replace('key="time:timestamp"', 'key="time:Timestamp"')
    )
    raises(path, "no event has the attribute 'time:timestamp'", "did you mean 'time:Timestamp'")
    raises(LOGS / "running-example.xes", "did you mean 'Activity'", activity="activity")
    path = write(
        tmp_path / "case.xes", text.replace('key="concept:name" value="3"', 'key="id" value="3"')
    )
    raises(path, "1 trace without a 'concept:name' attribute", "at line 20")


def test_xes_bad_and_missing_timestamps_name_the_line(tmp_path):
    text = (LOGS / "running-example.xes").read_text(encoding="utf-8")
    bad = write(tmp_path / "bad.xes", text.replace("2010-12-30T15:06:00.000", "2010-12-32T15:06"))
    raises(bad, "1 event with an unparseable 'time:timestamp'", "event at line 31")
    gone = text.replace('<date key="time:timestamp" value="2010-12-30T15:06:00.000+01:00"/>', "")
    raises(
        write(tmp_path / "gone.xes", gone), "without a 'time:timestamp' value: event at line 31"
    )


def test_unsupported_and_missing_files(tmp_path):
    raises(write(tmp_path / "log.json", "{}"), "unsupported file type")
    raises(write(tmp_path / "log.xlsx", "not a zip"), "not a valid .xlsx workbook")
    raises(write(tmp_path / "log.parquet", "not parquet"), "not a Parquet file")
    with pytest.raises(EventLogError, match="no such file"):
        read_event_log(tmp_path / "nothing.csv")


def test_docstring_examples():
    result = doctest.testmod(eventlog, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_no_pandas_traceback_for_garbage(tmp_path):
    rng = np.random.default_rng(7)
    for name in ("x.csv", "x.xes", "x.parquet", "x.xlsx", "x.csv.gz", "x.xes.gz"):
        path = tmp_path / name
        head = {".gz": b"\x1f\x8b", "quet": b"PAR1", "xlsx": b"PK\x03\x04"}.get(name[-4:], b"")
        head = b"\x1f\x8b" if name.endswith(".gz") else head
        path.write_bytes(head + rng.bytes(3000))
        with pytest.raises(EventLogError):
            read_event_log(path)


# --------------------------------------------------------------------------- XES fast path

_PLAIN = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<!-- written by a program -->\n"
    '<log xes.version="1849.2016" xmlns="http://www.xes-standard.org/">\n'
    ' <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>\n'
    " <trace>\n"
    '  <string key="concept:name" value="Дело-1"/>\n'
    "  <event>\n"
    '   <string key="concept:name" value="Регистрация"/>\n'
    '   <string key="org:resource" value="Иванова"/>\n'
    '   <date key="time:timestamp" value="2024-04-26T09:00:00+03:00"/>\n'
    "  </event>\n"
    "  <event>\n"
    '   <string key="concept:name" value="Решение"/>\n'
    '   <date key="time:timestamp" value="2024-04-27T15:30:00.000+03:00"/>\n'
    "  </event>\n"
    " </trace>\n"
    "</log>\n"
)
_SLOTS = {"concept:name": 0, "time:timestamp": 1, "start_timestamp": 2, "org:resource": 3}
_REG = '<string key="concept:name" value="Регистрация"/>'


def _plain_parts(data: bytes, chunk_bytes: int | None = None) -> list:
    from effmuni.io.xesfast import plain_xes_parts

    stream = io.BytesIO(data)
    return list(plain_xes_parts(stream, _SLOTS, 4, "concept:name", chunk_bytes=chunk_bytes))


def _read_both(path: Path) -> list:
    from effmuni.io.xes import read_xes

    outcomes = []
    for fast in (True, False):
        try:
            outcomes.append(read_xes(path, False, {}, "Europe/Moscow", fast=fast))
        except EventLogError as e:
            outcomes.append(str(e))
    return outcomes


@pytest.mark.parametrize("chunk_bytes", [None, 1, 40])
def test_plain_xes_is_read_by_the_fast_path(tmp_path, chunk_bytes):
    parts = _plain_parts(_PLAIN.encode(), chunk_bytes)
    assert [name for p in parts for name in p.trace_names] == ["Дело-1"]
    assert sum(len(p.trace) for p in parts) == 2
    fast, slow = _read_both(write(tmp_path / "log.xes", _PLAIN))
    pd.testing.assert_frame_equal(fast, slow)
    assert fast["activity"].tolist() == ["Регистрация", "Решение"]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("<event>\n   <string", "<event>\n   <!-- x --><string"),  # a comment among events
        ("Решение", "Решение &amp; отказ"),  # an entity reference
        ("Решение", "Реш&#1077;ние"),  # a character reference
        ("Решение", "Решение > отказа"),  # '>' in a value
        ("Решение", "Решение\tотказ"),  # a tab in a value: XML reads it as a space
        ("Решение", "Решение\nотказ"),  # a line break in a value
        ("Решение", "Решение\x01"),  # a control character: not XML
        ("Решение", "Решение\ufffe"),  # not an XML character
        (_REG, _REG.replace('"', "'")),  # single quotes
        (_REG, '<string value="Регистрация" key="concept:name"/>'),  # value before key
        (_REG, '<string key="concept:name" value="Регистрация" id="1"/>'),  # another attribute
        (_REG, '<string key="concept:name" value="Регистрация"><int key="n" value="1"/></string>'),
        (_REG, '<list key="l"><values/></list>' + _REG),  # a list
        (_REG, '<xes:string key="concept:name" value="Регистрация"/>'),  # a prefix
        (_REG, _REG + "text"),  # text between elements
        (_REG, _REG + "<![CDATA[<event>]]>"),  # CDATA
        (_REG, _REG + "<?pi x?>"),  # a processing instruction
        (_REG, '<event key="concept:name" value="x"/>' + _REG),  # an empty event for pyexpat
        (
            '  <event>\n   <string key="concept:name" value="Решение"',
            '  <event id="2">\n   <string key="concept:name" value="Решение"',
        ),  # fmt: skip
        ("  </event>\n </trace>", "  </event>\n  <event/>\n </trace>"),  # a self-closing event
        (" <trace>", " <trace id='1'>"),  # a trace with attributes
        ("</log>\n", "</log>\n<!-- end -->\n<log/>"),  # junk after the log
        ("</log>\n", ""),  # truncated
        ("<log ", "<!DOCTYPE log [<!ENTITY e 'x'>]>\n<log "),  # a DOCTYPE
        ("<log ", "<xes:log xmlns:xes='x' "),  # a prefixed root
        ('encoding="UTF-8"', 'encoding="windows-1251"'),  # another encoding
        (" <trace>", " <global scope='trace'>\n <trace>"),  # a trace inside another element
        ("<!-- written by a program -->", "<!-- <trace> -->"),  # a <trace> in a comment
        (" </trace>\n</log>", " </trace>\n <trace><event/></trace>\n</log>"),
    ],
)
def test_xes_the_fast_path_does_not_handle_is_read_by_pyexpat(tmp_path, old, new):
    from effmuni.io.xesfast import NotPlainXes

    assert old in _PLAIN
    text = _PLAIN.replace(old, new, 1)
    data = text.encode("cp1251" if "windows-1251" in text else "utf-8")
    with pytest.raises(NotPlainXes):
        _plain_parts(data)
    path = tmp_path / "log.xes"
    path.write_bytes(data)
    fast, slow = _read_both(path)
    if isinstance(slow, str):
        assert fast == slow
    else:
        pd.testing.assert_frame_equal(fast, slow)


def test_xes_not_utf8_in_a_plain_file_is_left_to_pyexpat(tmp_path):
    from effmuni.io.xesfast import NotPlainXes

    data = _PLAIN.encode().replace("Решение".encode(), b"\xd0\xd0")
    with pytest.raises(NotPlainXes):
        _plain_parts(data)
    path = tmp_path / "log.xes"
    path.write_bytes(data)
    raises(path, "broken XES at line 13")
    assert len(set(_read_both(path))) == 1


def test_xes_problems_found_after_the_fast_path_name_lines(tmp_path):
    # a plain file whose values are wrong: read fast, then again by pyexpat for the message
    text = _PLAIN.replace("2024-04-27T15:30:00.000+03:00", "2024-04-32")
    raises(write(tmp_path / "bad.xes", text), "1 event with an unparseable", "event at line 12")
    named = _PLAIN[_PLAIN.index(" <trace>") : _PLAIN.index("</log>")]
    text = _PLAIN.replace("</log>", named.replace("Дело-1", "Дело-2"), 1) + "</log>\n"
    text = text.replace('<string key="concept:name" value="Дело-1"/>', "", 1)
    raises(write(tmp_path / "unnamed.xes", text), "1 trace without a 'concept:name'", "line 5")


# --------------------------------------------------------------------------- CSV instants


@pytest.mark.parametrize(
    "later", ["2024-04-27 15:30:00", "27.04.2024 15:30", "", "2024-04-27T15:30:00Z"]
)
def test_csv_offsets_in_the_first_rows_and_another_form_later(tmp_path, later):
    # the first rows all carry offsets: the reader parses the column as instants; a later
    # value without one sends the column to the text route, with the same result as when
    # such a value comes first
    head = "case:concept:name,concept:name,start_timestamp,time:timestamp\n"
    zoned = [
        f"A{i // 3},x,2024-04-26T09:00:00+05:00,2024-04-26T10:00:00+03:00" for i in range(400)
    ]
    other = f"B,y,{later},2024-04-27T16:00:00+03:00"
    late = write(tmp_path / "late.csv", head + "\n".join([*zoned, other]) + "\n")
    early = write(tmp_path / "early.csv", head + "\n".join([other, *zoned]) + "\n")
    log, first = read_event_log(late), read_event_log(early)
    pd.testing.assert_frame_equal(
        log, pd.concat([first.iloc[1:], first.iloc[:1]], ignore_index=True)
    )
    assert log["start"].iloc[0] == ts("2024-04-26T09:00:00+05:00")
    assert str(log["end"].dtype) == "datetime64[us, Europe/Moscow]"


def test_nanosecond_timestamps_with_offsets_are_cut_to_microseconds(tmp_path):
    """A time column whose first rows all carry offsets is read by pyarrow as instants; one
    with nanoseconds is cut to microseconds like the text route does, never an Arrow error."""
    rows = [
        "case_id,activity,end",
        "A,x,2024-01-01T10:00:00.123456789+03:00",
        "A,y,2024-01-01T11:00:00+03:00",
    ]
    path = tmp_path / "ns.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    log = read_event_log(path)
    assert log["end"].iloc[0] == pd.Timestamp("2024-01-01T10:00:00.123456+03:00")
    naive = tmp_path / "naive.csv"
    naive.write_text("\n".join(r.replace("+03:00", "") for r in rows) + "\n", encoding="utf-8")
    assert read_event_log(naive)["end"].tolist() == log["end"].tolist()
