"""Case timings: hand-computed values, the interval union, handoffs and the calendar."""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from effmuni import estimate_savings, timing
from effmuni.io import read_event_log
from effmuni.timing import CASE_TIMING_COLUMNS, case_timings

LOGS = Path(__file__).parent / "data" / "eventlog"
MSK = "Europe/Moscow"


def moscow(values) -> pd.Series:
    return pd.Series(pd.to_datetime(values, format="ISO8601", utc=True)).dt.tz_convert(MSK)


def tiny_frame() -> pd.DataFrame:
    """tests/data/eventlog/tiny.csv built by hand (Moscow local times, З-3 from +05:00)."""
    rows = [
        # case, activity, start, end, resource
        ("З-1", "Регистрация", "2024-04-26 09:00", "2024-04-26 09:30", "Иванова А."),
        ("З-1", "Запрос сведений", "2024-04-26 11:00", "2024-04-26 11:30", "Петров Б."),
        ("З-1", "Проверка документов", "2024-04-26 10:00", "2024-04-26 12:00", "Петров Б."),
        ("З-1", "Решение", "2024-04-27 10:00", "2024-04-27 11:00", "Сидорова В."),
        ("З-2", "Регистрация", "2023-02-22 15:00", "2023-02-22 15:20", "Иванова А."),
        ("З-2", "Проверка документов", None, "2023-02-27 10:00", None),
        ("З-2", "Решение", "2023-02-27 11:00", "2023-02-27 12:00", "Сидорова В."),
        ("З-3", "Регистрация", "2024-01-10 07:00", "2024-01-10 07:15", "Козлов Г."),
        ("З-3", "Решение", "2024-01-10 07:10", "2024-01-10 14:00", "Козлов Г."),
        ("З-4", "Регистрация", None, "2024-03-01 09:00", "Иванова А."),
        ("З-4", "Решение", None, "2024-03-04 18:00", "Петров Б."),
    ]
    frame = pd.DataFrame(rows, columns=["case_id", "activity", "start", "end", "resource"])
    for col in ("start", "end"):
        frame[col] = pd.to_datetime(frame[col]).dt.as_unit("us").dt.tz_localize(MSK)
    return frame.astype({"case_id": "str", "activity": "str", "resource": "str"})


# Worked out by hand from the rows above (hours unless said otherwise):
# З-1: 26.04 09:00 → 27.04 11:00 = 26 h; union [09:00, 09:30] ∪ [10:00, 12:00] (holds the
#      nested [11:00, 11:30]) ∪ [10:00, 11:00 on 27.04] = 0.5 + 2 + 1 = 3.5; handoffs
#      Иванова → Петров → Петров → Сидорова = 2; Fri 26.04 from 09:00 (15/24) + the working
#      Saturday 27.04 to 11:00 (11/24) = 26/24 working days.
# З-2: 22.02 15:00 → 27.02 12:00 = 4 d 21 h = 117 h; union 20 min + 60 min (the event without
#      a start adds nothing); handoffs Иванова → (none) → Сидорова = 1; working days: Wed 22.02
#      from 15:00 = 9/24, 23.02 holiday, 24.02 transferred day off, weekend, Mon 27.02 to
#      12:00 = 12/24 → 0.875.
# З-3: 07:00 → 14:00 = 7 h (+05:00 in the file); [07:00, 07:15] ∪ [07:10, 14:00] = 7 h, no wait.
# З-4: Fri 01.03 09:00 → Mon 04.03 18:00 = 81 h; no start timestamps → work and wait NaN;
#      working days 15/24 + 18/24 = 1.375.
EXPECTED = pd.DataFrame(
    {
        "case_id": ["З-1", "З-2", "З-3", "З-4"],
        "start": moscow(
            [
                "2024-04-26T09:00+03:00",
                "2023-02-22T15:00+03:00",
                "2024-01-10T09:00+05:00",
                "2024-03-01T09:00+03:00",
            ]
        ),
        "end": moscow(
            [
                "2024-04-27T11:00+03:00",
                "2023-02-27T12:00+03:00",
                "2024-01-10T16:00+05:00",
                "2024-03-04T18:00+03:00",
            ]
        ),
        "lead_time_days": [26 / 24, 117 / 24, 7 / 24, 81 / 24],
        "n_events": [4, 3, 2, 2],
        "n_activities": [4, 3, 2, 2],
        "n_handoffs": [2, 1, 0, 1],
        "work_time_hours": [3.5, 4 / 3, 7.0, np.nan],
        "wait_time_hours": [22.5, 117 - 4 / 3, 0.0, np.nan],
        "lead_time_workdays": [26 / 24, 0.875, 7 / 24, 1.375],
    }
).astype({"case_id": "str"})


def check(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False, atol=1e-9
    )


# --------------------------------------------------------------------------- hand-computed


def test_tiny_log_by_hand():
    got = case_timings(tiny_frame(), calendar="ru")
    assert tuple(got.columns) == (*CASE_TIMING_COLUMNS, "lead_time_workdays")
    check(got, EXPECTED)
    assert got.dtypes["n_events"] == np.int64 and got.dtypes["n_handoffs"] == np.int64
    assert str(got["start"].dtype) == "datetime64[us, Europe/Moscow]"
    assert got["case_id"].dtype == tiny_frame()["case_id"].dtype


def test_tiny_log_files_give_the_same_timings():
    for name in ("tiny.csv", "tiny.xes"):
        check(case_timings(read_event_log(LOGS / name), calendar="ru"), EXPECTED)


def test_without_calendar_there_is_no_workday_column():
    got = case_timings(tiny_frame())
    assert tuple(got.columns) == CASE_TIMING_COLUMNS
    check(got, EXPECTED.drop(columns="lead_time_workdays"))


def test_calendar_days_off_and_working_saturday():
    # 2024-04-27 is a working Saturday; 2023-02-24 a transferred day off (see the calendar)
    log = pd.DataFrame(
        {
            "case_id": ["sat", "sat", "feb", "feb"],
            "activity": ["a", "b", "a", "b"],
            "end": pd.to_datetime(
                ["2024-04-27 09:00", "2024-04-27 15:00", "2023-02-24 09:00", "2023-02-27 09:00"]
            ).tz_localize(MSK),
        }
    )
    got = case_timings(log, calendar="ru")
    assert got["lead_time_days"].tolist() == pytest.approx([0.25, 3.0])
    assert got["lead_time_workdays"].tolist() == pytest.approx([0.25, 0.375])


def test_calendar_uses_moscow_local_time():
    # 21:00 UTC on Friday is already Saturday 00:00 in Moscow: 2024-05-03 is a working Friday,
    # 2024-05-04 a Saturday off; the whole interval is on the Saturday in Moscow
    log = pd.DataFrame(
        {
            "case_id": ["c", "c"],
            "activity": ["a", "b"],
            "end": pd.to_datetime(["2024-05-03 21:00", "2024-05-03 23:00"]).tz_localize("UTC"),
        }
    )
    got = case_timings(log, calendar="ru")
    assert got["lead_time_workdays"].tolist() == [0.0]
    assert str(got["start"].dtype) == "datetime64[us, UTC]"


# --------------------------------------------------------------------------- union and order


def hours(*values: float | None) -> pd.Series:
    base = pd.Timestamp("2024-06-03 08:00", tz=MSK)
    return pd.Series(
        [pd.NaT if v is None else base + pd.Timedelta(hours=v) for v in values],
        dtype=f"datetime64[us, {MSK}]",
    )


def test_union_overlapping_nested_touching_disjoint_empty():
    starts = [0, 1, 5, 5.5, 6, 10, None]
    ends = [2, 3, 6, 5.8, 7, 9, 12]
    log = pd.DataFrame(
        {
            "case_id": "c",
            "activity": list("abcdefg"),
            "start": hours(*starts),
            "end": hours(*ends),
            "resource": None,
        }
    )
    got = case_timings(log).iloc[0]
    # [0,2] ∪ [1,3] = 3 h; [5,6] ∪ [5.5,5.8] ∪ [6,7] = 2 h; [10,9] is empty; the last event has
    # no start: lead 0 → 12 h
    assert got["work_time_hours"] == pytest.approx(5.0)
    assert got["lead_time_days"] == pytest.approx(0.5)
    assert got["wait_time_hours"] == pytest.approx(7.0)
    assert got["n_handoffs"] == 0 and got["n_events"] == 7


def test_sequential_intervals_take_the_fast_path():
    log = pd.DataFrame(
        {
            "case_id": ["a", "a", "a", "b"],
            "activity": ["x", "y", "x", "x"],
            "start": hours(0, 2, 4, 1),
            "end": hours(1, 3, 4.5, 1.25),
        }
    )
    got = case_timings(log)
    assert got["work_time_hours"].tolist() == [2.5, 0.25]
    assert got["n_activities"].tolist() == [2, 1]


def test_row_order_does_not_matter():
    log = tiny_frame()
    shuffled = log.sample(frac=1, random_state=3).reset_index(drop=True)
    got = case_timings(shuffled, calendar="ru").sort_values("case_id")
    check(got, EXPECTED)


def test_interleaved_cases_keep_first_appearance_order():
    log = tiny_frame().sort_values("end", kind="stable").reset_index(drop=True)
    got = case_timings(log, calendar="ru")
    assert got["case_id"].tolist() == ["З-2", "З-3", "З-4", "З-1"]
    check(got.sort_values("case_id"), EXPECTED)


def test_handoffs_skip_missing_resources_and_follow_end_order():
    log = pd.DataFrame(
        {
            "case_id": ["p", "p", "p", "q", "q", "q", "r", "r", "r", "s", "s"],
            "activity": "a",
            "end": hours(1, 2, 3, 1, 2, 3, 1, 2, 3, 2, 1),
            "resource": ["A", None, "B", "A", None, "A", None, "B", "B", "B", "A"],
        }
    )
    got = case_timings(log)
    # p: A, -, B → 1; q: A, -, A → 0; r: -, B, B → 0; s in end order: A (1 h), B (2 h) → 1
    assert got["n_handoffs"].tolist() == [1, 0, 0, 1]
    assert got["work_time_hours"].isna().all() and got["wait_time_hours"].isna().all()


def test_missing_resource_at_a_case_boundary_is_not_a_handoff():
    log = pd.DataFrame(
        {
            "case_id": ["p", "p", "q", "q"],
            "activity": "a",
            "end": hours(1, 2, 3, 4),
            "resource": ["A", "A", None, "B"],
        }
    )
    assert case_timings(log)["n_handoffs"].tolist() == [0, 0]


def test_many_activities_and_missing_activities():
    n = 150
    log = pd.DataFrame(
        {
            "case_id": ["big"] * n + ["small"] * 4,
            "activity": [f"act {i % 100}" for i in range(n)] + ["x", None, "x", "y"],
            "end": hours(*range(n + 4)),
        }
    )
    assert case_timings(log)["n_activities"].tolist() == [100, 2]


def test_without_start_or_resource_columns():
    log = tiny_frame().drop(columns=["start", "resource"])
    got = case_timings(log)
    assert got["work_time_hours"].isna().all() and got["wait_time_hours"].isna().all()
    assert got["n_handoffs"].tolist() == [0, 0, 0, 0]
    # first and last completion: 09:30 → 11:00 next day; 15:20 → 12:00 five days on; ...
    assert got["lead_time_days"].tolist() == pytest.approx(
        [25.5 / 24, (116 + 2 / 3) / 24, 6.75 / 24, 81 / 24]
    )


def test_naive_timestamps_and_other_units():
    log = tiny_frame()
    for col in ("start", "end"):
        log[col] = log[col].dt.tz_localize(None).dt.as_unit("ns")
    log["case_id"] = log["case_id"].astype("category")
    got = case_timings(log, calendar="ru")
    assert str(got["start"].dtype) == "datetime64[us]"
    expected = EXPECTED.copy()
    for col in ("start", "end"):
        expected[col] = expected[col].dt.tz_localize(None)
    check(got.astype({"case_id": "str"}), expected)


def test_integer_case_ids():
    log = tiny_frame()
    log["case_id"] = log["case_id"].map({"З-1": 11, "З-2": 12, "З-3": 13, "З-4": 14})
    assert case_timings(log)["case_id"].tolist() == [11, 12, 13, 14]


def test_empty_log():
    log = tiny_frame().iloc[:0]
    got = case_timings(log, calendar="ru")
    assert got.empty
    assert tuple(got.columns) == (*CASE_TIMING_COLUMNS, "lead_time_workdays")


# --------------------------------------------------------------------------- bad input


def test_bad_input_messages():
    log = tiny_frame()
    with pytest.raises(ValueError, match="no 'activity' column"):
        case_timings(log.drop(columns="activity"))
    with pytest.raises(ValueError, match="'end' must hold datetimes"):
        case_timings(log.assign(end=log["end"].astype(str)))
    with pytest.raises(
        ValueError, match=r"'end' has missing timestamps \(rows at positions \[2\]"
    ):
        case_timings(log.assign(end=log["end"].where(log.index != 2)))
    with pytest.raises(ValueError, match="'case_id' has missing values"):
        case_timings(log.assign(case_id=log["case_id"].where(log.index != 0)))
    with pytest.raises(ValueError, match="calendar must be None or 'ru'"):
        case_timings(log, calendar="us")
    with pytest.raises(ValueError, match="both be timezone-aware or both naive"):
        case_timings(log.assign(start=log["start"].dt.tz_localize(None)))


# --------------------------------------------------------------------------- shared logs


def test_running_example_lead_times():
    got = case_timings(read_event_log(LOGS / "running-example.xes")).set_index("case_id")
    assert got.index.tolist() == ["3", "2", "1", "6", "5", "4"]
    # read off running-example.xes (all +01:00):
    # "3": 2010-12-30T14:32 → 2011-01-15T10:45 = 16 d − 3 h 47 min
    # "2": 2010-12-30T11:32 → 2011-01-08T12:05 = 9 d + 33 min
    # "1": 2010-12-30T11:02 → 2011-01-07T14:24 = 8 d + 3 h 22 min
    assert got.loc["3", "lead_time_days"] == pytest.approx(16 - 227 / 1440)
    assert got.loc["2", "lead_time_days"] == pytest.approx(9 + 33 / 1440)
    assert got.loc["1", "lead_time_days"] == pytest.approx(8 + 202 / 1440)
    assert got["n_events"].tolist() == [9, 5, 5, 5, 13, 5]
    # "3": Pete, Mike, Ellen, Sara, Sara, Sean, Pete, Sara, Ellen → 7 changes
    assert got.loc["3", "n_handoffs"] == 7
    assert got.loc["3", "n_activities"] == 7
    assert got["work_time_hours"].isna().all()


def test_receipt_timings():
    log = read_event_log(LOGS / "receipt.csv.gz")
    got = case_timings(log, calendar="ru")
    assert len(got) == 1434 and got["n_events"].sum() == 8577
    assert (got["lead_time_days"] >= 0).all() and got["work_time_hours"].isna().all()
    assert (got["lead_time_workdays"] <= got["lead_time_days"] + 1e-9).all()
    first = got.iloc[0]
    assert first["case_id"] == "case-10011" and first["n_events"] == 4
    # case-10011: 2011-10-11 13:45:40.276+02:00 → 2011-11-24 15:37:16.553+01:00 (from the file)
    span = pd.Timestamp("2011-11-24T15:37:16.553+01:00") - pd.Timestamp(
        "2011-10-11T13:45:40.276+02:00"
    )
    assert first["lead_time_days"] == pytest.approx(span / pd.Timedelta(days=1))


# --------------------------------------------------------------------------- reference check


def reference(log: pd.DataFrame) -> pd.DataFrame:
    """A slow, loop-based restatement of the rules, to check the vectorised code against."""
    rows = []
    for case, g in log.groupby("case_id", sort=False):
        g = g.sort_values("end", kind="stable")
        times = list(g["end"]) + [s for s in g["start"] if not pd.isna(s)]
        first, last = min(times), max(times)
        known = [r for r in g["resource"] if not pd.isna(r)]
        spans = sorted(
            (s, max(s, e)) for s, e in zip(g["start"], g["end"], strict=True) if not pd.isna(s)
        )
        work, block = 0.0, None
        for s, e in spans:
            if block is None or s > block[1]:
                if block is not None:
                    work += (block[1] - block[0]) / pd.Timedelta(hours=1)
                block = [s, e]
            else:
                block[1] = max(block[1], e)
        if block is not None:
            work += (block[1] - block[0]) / pd.Timedelta(hours=1)
        lead = (last - first) / pd.Timedelta(hours=1)
        rows.append(
            {
                "case_id": case,
                "start": first,
                "end": last,
                "lead_time_days": lead / 24,
                "n_events": len(g),
                "n_activities": g["activity"].nunique(),
                "n_handoffs": sum(a != b for a, b in zip(known[:-1], known[1:], strict=True)),
                "work_time_hours": work if spans else np.nan,
                "wait_time_hours": lead - work if spans else np.nan,
            }
        )
    return pd.DataFrame(rows)


events = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d"]),  # case
        st.sampled_from(["x", "y", "z"]),  # activity
        st.one_of(st.none(), st.integers(0, 40)),  # start (quarter hours)
        st.integers(-4, 12),  # duration (quarter hours; negative: start after end)
        st.one_of(st.none(), st.sampled_from(["r1", "r2", "r3"])),  # resource
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events, st.booleans())
def test_matches_the_loop_reference(rows, group):
    base = pd.Timestamp("2024-04-26 08:00", tz=MSK)
    start_q = pd.Series([np.nan if r[2] is None else r[2] for r in rows], dtype=float)
    end_q = pd.Series([(20 if r[2] is None else r[2]) + r[3] for r in rows], dtype=float)
    frame = pd.DataFrame(
        {
            "case_id": pd.Series([r[0] for r in rows], dtype="str"),
            "activity": pd.Series([r[1] for r in rows], dtype="str"),
            "start": (base + pd.to_timedelta(start_q * 15, unit="min")).dt.as_unit("us"),
            "end": (base + pd.to_timedelta(end_q * 15, unit="min")).dt.as_unit("us"),
            "resource": pd.Series([r[4] for r in rows], dtype="str"),
        }
    )
    if group:  # contiguous cases, the usual export order (the fast path)
        frame = frame.sort_values(["case_id", "end"], kind="stable").reset_index(drop=True)
    check(case_timings(frame), reference(frame))


def test_docstring_examples():
    result = doctest.testmod(timing, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# --------------------------------------------------------------------------- open cases


def test_end_activities_mark_unfinished_cases_open():
    log = tiny_frame()
    log = log[~((log["case_id"] == "З-4") & (log["activity"] == "Решение"))]
    got = case_timings(log, calendar="ru", end_activities={"Решение"})
    assert got["complete"].tolist() == [True, True, True, False]
    open_case = got.iloc[3]
    assert np.isnan(open_case.lead_time_days) and np.isnan(open_case.lead_time_workdays)
    assert open_case.end == open_case.start  # its only event so far
    check(got.iloc[:3].drop(columns="complete"), EXPECTED.iloc[:3])
    assert got.attrs["as_of"] == log["end"].max()
    assert "as_of not given" in got.attrs["note"]
    # the default is unchanged: every case complete, no new column
    assert "complete" not in case_timings(log).columns


def test_as_of_gives_the_log_as_it_stood_then():
    got = case_timings(tiny_frame(), as_of="2024-04-26 12:30")
    # З-1 had events after 12:30 (open, work so far 2.5 h); the others were over by then
    assert got["complete"].tolist() == [False, True, True, True]
    assert np.isnan(got.loc[0, "lead_time_days"]) and got.loc[0, "work_time_hours"] == 2.5
    assert got.loc[0, "end"] == pd.Timestamp("2024-04-26 12:00", tz=MSK)
    assert "note" not in got.attrs
    assert len(case_timings(tiny_frame(), as_of="2023-03-01")) == 1  # only З-2 existed
    # the timings feed estimate_savings and period_lead_times as censored cases
    s = estimate_savings(
        timing.split_at(got, "2024-01-01"), by=None, n_boot=0, as_of="2024-04-26 12:30"
    )
    assert s.loc[0, "n_open"] == 1


def _plain_timings(log: pd.DataFrame) -> pd.DataFrame:
    """case_timings' columns computed with plain pandas group-bys (a slow reference)."""
    ordered = log.assign(pos=np.arange(len(log))).sort_values(["end", "pos"], kind="stable")
    rows = []
    for case, g in ordered.groupby("case_id", sort=False):
        first = (
            min(g["end"].min(), g["start"].min()) if g["start"].notna().any() else g["end"].min()
        )
        last = (
            max(g["end"].max(), g["start"].max()) if g["start"].notna().any() else g["end"].max()
        )
        res = g["resource"].dropna().tolist()
        rows.append(
            {
                "case_id": case,
                "lead_time_days": (last - first) / pd.Timedelta(days=1),
                "n_events": len(g),
                "n_activities": g["activity"].nunique(),
                "n_handoffs": sum(a != b for a, b in zip(res, res[1:], strict=False)),
            }
        )
    order = pd.unique(log["case_id"])
    return pd.DataFrame(rows).set_index("case_id").loc[order].reset_index()


@pytest.mark.parametrize("grouped", [True, False])
def test_codes_from_the_csv_read_match_plain_pandas(tmp_path, grouped):
    """read_event_log (CSV) hands case_timings dictionary codes; results equal those on a
    rebuilt frame (no codes) and a plain pandas computation."""
    rng = np.random.default_rng(7)
    n = 400
    case = np.sort(rng.integers(0, 60, n)) if grouped else rng.integers(0, 60, n)
    end = pd.Timestamp("2024-03-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 10**6, n), "s")
    start = end - pd.to_timedelta(rng.integers(0, 7200, n), "s")
    resource = np.where(
        rng.random(n) < 0.2, "", np.char.add("R", rng.integers(0, 4, n).astype(str))
    )
    frame = pd.DataFrame(
        {
            "case:concept:name": np.char.add("c-", case.astype(str)),
            "concept:name": np.char.add("a", rng.integers(0, 5, n).astype(str)),
            "start_timestamp": start.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
            "time:timestamp": end.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
            "org:resource": resource,
        }
    )
    path = tmp_path / "log.csv"
    frame.to_csv(path, index=False)
    log = read_event_log(path)
    assert timing.known_codes(log["activity"]) is not None  # the fast path is taken
    fast = case_timings(log)
    rebuilt = pd.DataFrame({c: log[c].tolist() for c in log.columns}).astype(
        {"case_id": "str", "activity": "str", "resource": "str"}
    )
    rebuilt["start"] = log["start"].copy()
    rebuilt["end"] = log["end"].copy()
    assert timing.known_codes(rebuilt["activity"]) is None
    pd.testing.assert_frame_equal(fast, case_timings(rebuilt))
    plain = _plain_timings(log)
    pd.testing.assert_frame_equal(fast[plain.columns], plain, check_dtype=False)
