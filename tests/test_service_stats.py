"""The service statistics table: months, Russian headers, validation, template and sample."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import REPO

import effmuni as em
from effmuni.io import convert_column
from effmuni.schema import TABLES

HEADER = "municipality_id,service_id,month,n_completed,mean_lead_days,median_lead_days,n_open"
GOOD = [
    "cheboksary,permits,2024-01,12,8.5,7.9,3",
    "cheboksary,permits,2024-02,10,8.1,,2",
    "kanashsky,permits,2024-01,4,11.0,10.2,1",
    "kanashsky,permits,2024-02,0,,,1",
    "kanash,permits,2024-12,3,9.0,,0",
]


def write_stats(folder, rows, header=HEADER, name="service_stats.csv", sep=","):
    text = "\n".join([header.replace(",", sep), *(r.replace(",", sep) for r in rows)]) + "\n"
    (folder / name).write_text(text, encoding="utf-8")


def codes(frame: pd.DataFrame) -> list[str]:
    return list(frame["code"])


# --------------------------------------------------------------------------- the month kind


@pytest.mark.parametrize(
    ("written", "month"),
    [
        ("2023-01", "2023-01"),
        ("01.2023", "2023-01"),
        ("1.2023", "2023-01"),
        ("01/2023", "2023-01"),
        ("2023.1", "2023-01"),
        ("2023-01-01", "2023-01"),
        ("2023-01-01 00:00:00", "2023-01"),  # a typed month as Excel stores it
        ("01.11.2024", "2024-11"),
        (" 2024-12 ", "2024-12"),
    ],
)
def test_a_month_is_read_in_every_usual_spelling(written, month):
    values, bad = convert_column(pd.Series([written]), TABLES["service_stats"].column("month"))
    assert values.iloc[0] == month and not bad[0]


@pytest.mark.parametrize("written", ["2023-13", "13.2023", "2023-02-15", "январь", "2023"])
def test_what_is_not_a_month_is_flagged(written):
    values, bad = convert_column(pd.Series([written]), TABLES["service_stats"].column("month"))
    assert pd.isna(values.iloc[0]) and bad[0]


def test_typed_months_from_parquet_are_read():
    col = TABLES["service_stats"].column("month")
    stamps = pd.Series(pd.to_datetime(["2024-03-01", "2024-04-01"]))
    assert list(convert_column(stamps, col)[0]) == ["2024-03", "2024-04"]
    periods = pd.Series(pd.period_range("2024-11", periods=2, freq="M"))
    assert list(convert_column(periods, col)[0]) == ["2024-11", "2024-12"]


# --------------------------------------------------------------------------- loading


def test_service_stats_load_with_russian_headers_semicolons_and_decimal_commas(mini_copy):
    header = (
        "Муниципалитет;Код услуги;Отчётный месяц;Исполнено заявлений;Средний срок, дн.;"
        "Медианный срок, дн.;В работе"
    )
    rows = ["cheboksary;permits;01.2024;12;8,5;7,9;3", "kanashsky;permits;02.2024;4;11;;1"]
    text = "\n".join([header, *rows]) + "\n"
    (mini_copy / "Статистика услуг.csv").write_bytes(text.encode("cp1251"))
    ds = em.load_dataset(mini_copy)
    s = ds.service_stats
    assert list(s["month"]) == ["2024-01", "2024-02"]
    assert list(s["mean_lead_days"]) == [8.5, 11.0]
    assert s["n_completed"].dtype == "Int64" and s["median_lead_days"].isna().sum() == 1
    assert ds.table("service_stats") is s


def test_the_table_is_optional_and_empty_when_absent(mini_dir):
    ds = em.load_dataset(mini_dir)
    assert ds.service_stats.empty
    assert set(TABLES["service_stats"].column_names) <= set(ds.service_stats.columns)


def test_projects_link_to_services_with_russian_headers(mini_copy):
    p = mini_copy / "projects.csv"
    lines = p.read_text(encoding="utf-8").splitlines()
    lines[0] += ",Код услуги,Дата внедрения"
    lines[1] += ",permits,15.05.2023"
    lines[2:] = [line + ",," for line in lines[2:]]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ds = em.load_dataset(mini_copy)
    row = ds.projects.set_index("project_id").loc["p1"]
    assert row["service_id"] == "permits"
    assert row["implemented_on"] == pd.Timestamp("2023-05-15")
    assert ds.projects["service_id"].notna().sum() == 1


# --------------------------------------------------------------------------- validation


def test_good_statistics_validate_cleanly(mini_copy):
    write_stats(mini_copy, GOOD)
    report = em.validate(mini_copy, lang="en")
    assert report.ok, report.errors.to_string()
    assert report.warnings.empty, report.warnings.to_string()
    assert len(report.tables["service_stats"]) == len(GOOD)


@pytest.mark.parametrize(
    ("row", "column", "code"),
    [
        ("nowhere,permits,2024-01,3,8.0,,0", "municipality_id", "unknown_reference"),
        ("cheboksary,permits,2024-03,-3,8.0,,0", "n_completed", "negative"),
        ("cheboksary,permits,2024-03,3,долго,,0", "mean_lead_days", "bad_float"),
        ("cheboksary,permits,2024-03,3,-8,,0", "mean_lead_days", "negative"),
        ("cheboksary,permits,2024-13,3,8.0,,0", "month", "bad_month"),
        ("cheboksary,permits,2024-01,5,9.0,,0", "month", "duplicate"),  # repeats GOOD[0]
        ("cheboksary,../x,2024-03,3,8.0,,0", "service_id", "unsafe_id"),
    ],
)
def test_bad_rows_are_rejected_with_their_reason(mini_copy, row, column, code):
    write_stats(mini_copy, [*GOOD, row])
    report = em.validate(mini_copy, lang="en")
    err = report.errors[report.errors["table"] == "service_stats"]
    assert len(err) == 1, err.to_string()
    assert (err["column"].iloc[0], err["code"].iloc[0]) == (column, code)
    assert int(err["row"].iloc[0]) == len(GOOD) + 2  # the header is row 1
    counts = report.counts.set_index("table").loc["service_stats"]
    assert (counts.rows_read, counts.rows_accepted, counts.rows_rejected) == (6, 5, 1)


@pytest.mark.parametrize(
    ("row", "code"),
    [
        ("cheboksary,permits,2024-03,0,8.0,,1", "svc_lead_without_cases"),
        ("kanash,permits,2025-01,3,9.0,,0", "svc_after_end_successor"),  # merged into kanashsky
        ("cheboksary,permits,2099-01,3,8.0,,0", "svc_future"),
    ],
)
def test_service_rules_reject_impossible_months(mini_copy, row, code):
    write_stats(mini_copy, [*GOOD, row])
    report = em.validate(mini_copy, lang="en")
    err = report.errors[report.errors["table"] == "service_stats"]
    assert codes(err) == [code], err.to_string()
    assert err["problem"].iloc[0]  # worded, in English
    if code == "svc_after_end_successor":
        assert "kanashsky" in err["problem"].iloc[0]
        ru = em.validate(mini_copy).errors
        assert "kanashsky" in ru.loc[ru["table"] == "service_stats", "problem"].iloc[0]


def test_service_rules_warn_but_keep_doubtful_rows(mini_copy):
    rows = [
        *GOOD,
        "cheboksary,permits,2024-05,4,0,,0",  # zero mean lead time
        "kanashsky,archive,2012-01,4,8.0,,0",  # long before the first project (2023)
    ]
    write_stats(mini_copy, rows)
    report = em.validate(mini_copy, lang="en")
    assert report.ok, report.errors.to_string()
    warn = report.warnings[report.warnings["table"] == "service_stats"]
    assert sorted(codes(warn)) == ["svc_gap", "svc_long_before", "svc_zero_lead"]
    gap = warn[warn["code"] == "svc_gap"]
    assert gap["problem"].str.contains("2024-03, 2024-04").any()  # Feb 2024 then May 2024
    assert len(report.tables["service_stats"]) == len(rows)


# --------------------------------------------------------------------------- template, sample


def test_the_template_has_a_service_statistics_sheet(tmp_path):
    from openpyxl import load_workbook

    from effmuni.excel import write_template

    path = write_template(tmp_path / "template.xlsx")
    wb = load_workbook(path)
    assert "Статистика услуг" in wb.sheetnames
    headers = [c.value for c in wb["Статистика услуг"][1]]
    assert headers[:3] == ["Муниципалитет", "Код услуги", "Месяц"]
    projects = [c.value for c in wb["Проекты"][1]]
    assert "Код услуги" in projects and "Дата внедрения" in projects
    assert em.load_dataset(path).service_stats.empty


def test_the_sample_holds_36_months_of_ten_services_everywhere():
    ds = em.load_dataset(REPO / "data" / "sample")
    s = ds.service_stats
    assert s["service_id"].nunique() == 10
    assert s["municipality_id"].nunique() == 26
    assert (s["month"].min(), s["month"].max()) == ("2023-01", "2025-12")
    merged = s["municipality_id"].isin(["alatyr", "kanash", "shumerlya"])
    assert s.loc[merged, "month"].max() == "2024-12"
    assert len(s) == 23 * 10 * 36 + 3 * 10 * 24
    assert (s["mean_lead_days"] > 0).all() and s["median_lead_days"].notna().any()
    linked = ds.projects.dropna(subset=["service_id"])
    assert set(linked["service_id"]) == set(s["service_id"])
    done = ds.projects["stage"].isin(["sustain", "closed"])
    assert ds.projects["implemented_on"].notna().eq(done).all()
    dated = ds.projects.dropna(subset=["implemented_on"])
    assert (dated["implemented_on"] >= dated["start_date"]).all()
    assert ds.report.warnings.empty
