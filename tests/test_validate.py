"""Validation: every bad-input case names file, row, column and problem, and loses no row."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from conftest import DATA, edit, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import effmuni as em
from effmuni.schema import TABLE_ORDER
from effmuni.validate import format_problem


@pytest.fixture(autouse=True)
def _neutral_locale(monkeypatch):
    """The command line follows the locale: run it under one that does not say English."""
    monkeypatch.setenv("LANG", "C.UTF-8")
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)


def validate_en(path) -> em.ValidationReport:
    """Validate with the problems worded in English (the Russian default has tests of its own)."""
    return em.validate(path, lang="en")


def reconciles(report: em.ValidationReport) -> bool:
    c = report.counts
    return bool((c.rows_read == c.rows_accepted + c.rows_rejected).all())


def only_error(report, **expected) -> pd.Series:
    """The report has exactly one error; return it after checking the expected fields."""
    assert len(report.errors) == 1, report.errors.to_string()
    err = report.errors.iloc[0]
    for key, value in expected.items():
        if key == "problem":
            assert value in err["problem"], err["problem"]
        else:
            assert err[key] == value, (key, err[key])
    return err


def the_error(report, code: str) -> pd.Series:
    """The one error with ``code`` (others may follow from it)."""
    found = report.errors[report.errors.code == code]
    assert len(found) == 1, report.errors.to_string()
    return found.iloc[0]


def counts(report, table):
    return report.counts.set_index("table").loc[table]


def test_mini_dataset_is_clean(mini_dir):
    report = em.validate(mini_dir)
    assert report.ok
    assert report.warnings.empty
    assert reconciles(report)
    present = [t for t in TABLE_ORDER if (mini_dir / f"{t}.csv").exists()]
    assert list(report.counts["table"]) == present  # absent optional tables are not counted
    assert counts(report, "cases").rows_accepted == 8


def test_unknown_category_is_rejected_with_allowed_values(mini_copy):
    edit(mini_copy / "projects.csv", ",implementation,", ",finished,")
    report = validate_en(mini_copy)
    err = report.errors.iloc[0]
    assert (err.table, err.file, err.row, err.column, err.value) == (
        "projects",
        "projects.csv",
        3,
        "stage",
        "finished",
    )
    assert "allowed: preparation, diagnosis" in err.problem
    # p2's passport rows now point to a rejected project: rejected too, with their own reason
    pas = report.errors[report.errors.table == "passport"]
    assert set(pas.value) == {"p2"} and set(pas.row) == {7, 8}
    assert "not in projects" in pas.problem.iloc[0]
    assert reconciles(report)
    assert counts(report, "projects").rows_rejected == 1


def test_missing_required_column_suggests_the_near_miss(mini_copy):
    edit(mini_copy / "cases.csv", "received", "recieved")
    report = validate_en(mini_copy)
    err = only_error(report, table="cases", column="received", code="missing_column_near")
    assert pd.isna(err.row)
    assert format_problem(err, "en") == (
        "cases.csv, column 'recieved': required column 'Дата поступления' (received) is missing; "
        "perhaps this is it"
    )
    assert counts(report, "cases").rows_rejected == 8  # the whole table is unusable
    assert "lacks required column" in report.rejected["cases"]["_problems"].iloc[0]


def test_russian_near_miss_header(tmp_path):
    dest = tmp_path / "ru"
    shutil.copytree(DATA / "ru_export", dest)
    path = dest / "cases.csv"
    text = path.read_text(encoding="cp1251").replace("Дата поступления", "Дата поступленя")
    path.write_text(text, encoding="cp1251")
    report = validate_en(dest)
    err = only_error(report, column="received", code="missing_column_near")
    assert err.params["header"] == "Дата поступленя"
    assert err.params["expected"] == "Дата поступления"


def _ru_copy(tmp_path, old: str, new: str, name: str = "projects.csv"):
    dest = tmp_path / "ru"
    shutil.copytree(DATA / "ru_export", dest)
    path = dest / name
    text = path.read_text(encoding="cp1251")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="cp1251")
    return dest


def test_misspelt_header_message_names_the_file_header_and_the_expected_one(tmp_path):
    report = em.validate(_ru_copy(tmp_path, "Код проекта;", "Код проэкта;"))
    err = the_error(report, "missing_column_near")
    assert (err.table, err.column) == ("projects", "project_id")
    assert format_problem(err) == (
        "projects.csv, столбец «Код проэкта»: не найден обязательный столбец «Код проекта» "
        "(project_id); возможно, это он"
    )
    assert err.problem == (
        "не найден обязательный столбец «Код проекта» (project_id); возможно, это он"
    )
    assert format_problem(err, "en") == (
        "projects.csv, column 'Код проэкта': required column 'Код проекта' (project_id) is "
        "missing; perhaps this is it"
    )
    reasons = report.rejected["projects"]["_problems"]
    assert (reasons == "в файле нет обязательных столбцов: Код проекта").all()


@pytest.mark.parametrize("header", ["Этап проекта", "Этап проэкта", "Этп проекта"])
def test_a_longer_header_for_stage_gets_a_suggestion(tmp_path, header):
    report = em.validate(_ru_copy(tmp_path, ";Этап;", f";{header};"))
    err = the_error(report, "missing_column_near")
    assert (err.table, err.column) == ("projects", "stage")
    assert format_problem(err) == (
        f"projects.csv, столбец «{header}»: не найден обязательный столбец «Этап» (stage); "
        "возможно, это он"
    )


def test_missing_column_without_a_near_miss_names_the_expected_header(tmp_path):
    report = em.validate(_ru_copy(tmp_path, ";Этап;", ";Состояние;"))
    err = the_error(report, "missing_column")
    assert (err.table, err.column) == ("projects", "stage")
    assert format_problem(err) == ("projects.csv: не найден обязательный столбец «Этап» (stage)")


def test_problems_are_russian_by_default_and_worded_again_in_english(mini_copy):
    edit(mini_copy / "cases.csv", "2023-01-19 09:00", "2023-01-08 09:00")
    edit(
        mini_copy / "steps.csv",
        "Приём заявления,специалист,20,",
        "Приём заявления,специалист,-20,",
    )
    report = em.validate(mini_copy)
    assert report.lang == "ru"
    assert list(report.errors.columns[:6]) == [
        "table",
        "file",
        "row",
        "column",
        "value",
        "problem",
    ]
    assert set(report.errors.problem) == {
        "отрицательное значение недопустимо",
        "«completed» раньше, чем «received»",
    }
    assert set(report.errors.code) == {"negative", "before"}
    ru, en = report.describe_errors(), report.describe_errors(lang="en")
    assert ru.splitlines()[0] == "mini_copy: найдено проблем: 2".replace(
        "mini_copy", report.source
    )
    assert "steps.csv, строка 2, столбец «process_min»: отрицательное значение недопустимо " in ru
    assert "(значение: «-20»)" in ru
    assert (
        "steps.csv, row 2, column 'process_min': negative value not allowed (value: '-20')" in en
    )
    assert "cases.csv, row 2, column 'completed': 'completed' is before 'received'" in en
    # a row without a code keeps its own text
    plain = report.errors.iloc[0].drop(["code", "params"])
    assert format_problem(plain, "en") == (
        "steps.csv, row 2, column 'process_min': отрицательное значение недопустимо (value: '-20')"
    )


def test_read_failures_are_worded_in_both_languages(mini_copy):
    (mini_copy / "engagement.csv").write_bytes(b"")
    err = only_error(em.validate(mini_copy), table="engagement", code="read_empty")
    assert err.problem == "файл engagement.csv пуст"
    assert format_problem(err, "en") == "engagement.csv: engagement.csv is empty"


def test_reference_to_unknown_municipality_cascades(mini_copy):
    edit(mini_copy / "institutions.csv", "kanashsky-mfc,kanashsky,", "kanashsky-mfc,kanashskiy,")
    report = validate_en(mini_copy)
    first = report.errors.iloc[0]
    assert (first.file, first.row, first.column, first.value) == (
        "institutions.csv",
        4,
        "municipality_id",
        "kanashskiy",
    )
    assert "not in municipalities" in first.problem
    # its project p3, and p3's passport and cases rows, are rejected as well
    assert counts(report, "projects").rows_rejected == 1
    assert counts(report, "passport").rows_rejected == 3
    assert counts(report, "cases").rows_rejected == 2
    assert reconciles(report)


def test_duplicate_id_names_the_first_row(mini_copy):
    edit(mini_copy / "projects.csv", "p4,kanash-adm", "p1,kanash-adm")
    report = validate_en(mini_copy)
    err = only_error(report, table="projects", row=5, column="project_id", value="p1")
    assert "duplicate project_id (first at row 2)" in err.problem


def test_completed_before_received(mini_copy):
    edit(mini_copy / "cases.csv", "2023-01-19 09:00", "2023-01-08 09:00")
    report = validate_en(mini_copy)
    only_error(
        report,
        table="cases",
        row=2,
        column="completed",
        problem="'completed' is before 'received'",
    )
    assert counts(report, "cases").rows_accepted == 7


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        ("-20", "negative value not allowed"),
        ("двадцать", "not a number"),
        ("1,5.0", "not a number"),
    ],
)
def test_bad_minutes(mini_copy, cell, problem):
    edit(
        mini_copy / "steps.csv",
        "Приём заявления,специалист,20,",
        f'Приём заявления,специалист,"{cell}",',
    )
    report = validate_en(mini_copy)
    only_error(report, table="steps", row=2, column="process_min", value=cell, problem=problem)


def test_decimal_comma_in_quoted_csv_cell_is_a_number(mini_copy):
    edit(
        mini_copy / "steps.csv",
        "Приём заявления,специалист,20,",
        'Приём заявления,специалист,"20,5",',
    )
    ds = em.load_dataset(mini_copy)
    assert ds.steps["process_min"].iloc[0] == 20.5


@pytest.mark.parametrize("bad_id", ["../x", "/etc", "p 1", "п1", "x" * 65])
def test_unsafe_ids_are_rejected(mini_copy, bad_id):
    edit(mini_copy / "projects.csv", "p4,kanash-adm", f'"{bad_id}",kanash-adm')
    report = validate_en(mini_copy)
    only_error(
        report,
        table="projects",
        row=5,
        column="project_id",
        value=bad_id,
        problem="not a safe ASCII id",
    )


def test_required_value_missing(mini_copy):
    edit(
        mini_copy / "projects.csv", "p3,kanashsky-mfc,Выдача архивной справки", "p3,kanashsky-mfc,"
    )
    report = validate_en(mini_copy)
    err = report.errors.iloc[0]
    assert (err.row, err.column, err.problem) == (4, "process_name", "required value is missing")


def test_unparseable_date(mini_copy):
    edit(mini_copy / "projects.csv", "2023-04-10", "10/04/2023")
    report = validate_en(mini_copy)
    err = report.errors.iloc[0]
    assert (err.file, err.row, err.column, err.value) == (
        "projects.csv",
        3,
        "start_date",
        "10/04/2023",
    )
    assert "not a date" in err.problem


def test_empty_file(mini_copy):
    (mini_copy / "engagement.csv").write_bytes(b"")
    report = validate_en(mini_copy)
    only_error(
        report, table="engagement", file="engagement.csv", problem="engagement.csv is empty"
    )


def test_binary_file_is_not_csv(mini_copy):
    (mini_copy / "cases.csv").write_bytes(bytes(range(256)) * 4)
    report = validate_en(mini_copy)
    only_error(report, table="cases", problem="binary")


def test_utf16_without_bom_is_read_and_other_nul_bytes_are_binary(mini_copy):
    text = (mini_copy / "cases.csv").read_text(encoding="utf-8")
    (mini_copy / "cases.csv").write_bytes(text.encode("utf-16-le"))
    assert validate_en(mini_copy).ok  # every other byte 0x00 or 0x04: UTF-16
    (mini_copy / "cases.csv").write_bytes(text.encode("utf-8").replace(b",", b"\x00"))
    only_error(validate_en(mini_copy), table="cases", problem="binary")


def test_workbook_saved_with_csv_name(mini_copy):
    from effmuni.excel import write_template

    write_template(mini_copy / "cases.csv")
    report = validate_en(mini_copy)
    only_error(report, table="cases", problem="zip/Excel file, not CSV text")


def test_corrupt_workbook(tmp_path):
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    report = validate_en(bad)
    only_error(report, file="broken.xlsx", problem="not a valid .xlsx workbook")


def test_line_with_extra_fields_is_kept_as_rejected_row(mini_copy):
    edit(mini_copy / "cases.csv", "p1,A-002,before,", "p1,A-002,before,extra,")
    report = validate_en(mini_copy)
    err = only_error(report, table="cases", row=3)
    assert "7 fields, the header has 6" in err.problem
    assert counts(report, "cases").rows_read == 8
    assert counts(report, "cases").rows_rejected == 1
    assert reconciles(report)


def test_passport_units_never_mixed_silently(mini_copy):
    edit(
        mini_copy / "passport.csv", "p2,lead_time,target,18,workday", "p2,lead_time,target,18,day"
    )
    report = validate_en(mini_copy)
    assert set(report.errors.row) == {7, 8}
    assert report.errors.problem.str.contains("mixes calendar").all()


def test_unit_must_fit_indicator(mini_copy):
    edit(mini_copy / "passport.csv", "p1,steps,baseline,12,count", "p1,steps,baseline,12,h")
    report = validate_en(mini_copy)
    only_error(
        report,
        table="passport",
        row=5,
        column="unit",
        problem="unit 'h' does not fit indicator 'steps'",
    )


def test_missing_required_table(mini_copy):
    (mini_copy / "institutions.csv").unlink()
    report = validate_en(mini_copy)
    assert "required table institutions not found" in report.errors.problem.iloc[0]
    assert not report.ok


def test_unknown_files_and_columns_are_warnings(mini_copy):
    (mini_copy / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    edit(
        mini_copy / "engagement.csv", "proposals_implemented\n", "proposals_implemented,comment\n"
    )
    edit(mini_copy / "engagement.csv", "12,5\n", "12,5,ok\n")
    report = validate_en(mini_copy)
    assert report.ok
    assert set(report.warnings.problem) == {
        "file is not a known table; ignored",
        "column not recognised; ignored",
    }


def test_quarantine_keeps_rejected_rows_with_reasons(mini_copy, tmp_path):
    edit(mini_copy / "cases.csv", "2023-01-19 09:00", "2023-01-08 09:00")
    edit(mini_copy / "cases.csv", "p3,K-2,after", "p3,K-2,during")
    report = validate_en(mini_copy)
    written = report.write_quarantine(tmp_path / "q")
    assert [p.name for p in written] == ["cases.quarantine.csv"]
    q = pd.read_csv(written[0], encoding="utf-8-sig", dtype=str)
    assert list(q["_row"]) == ["2", "9"]
    assert list(q["case_id"]) == ["A-001", "K-2"]
    assert "completed: 'completed' is before 'received'" in q["_problems"].iloc[0]
    assert "phase: unknown value" in q["_problems"].iloc[1]


def test_load_dataset_strict_and_lenient(mini_copy):
    edit(mini_copy / "cases.csv", "2023-01-19 09:00", "2023-01-08 09:00")
    with pytest.raises(em.DataError, match="cases.csv, строка 2, столбец «completed»") as info:
        em.load_dataset(mini_copy)
    assert "cases.csv, row 2, column 'completed'" in info.value.message("en")
    ds = em.load_dataset(mini_copy, strict=False)
    assert len(ds.cases) == 7
    assert not ds.report.ok
    assert isinstance(em.DataError(ds.report), ValueError)


def test_cli_validate_bad_data_prints_problems_not_traceback(mini_copy, tmp_path):
    edit(mini_copy / "projects.csv", ",implementation,", ",finished,")
    proc = run_cli("validate", str(mini_copy), "--quarantine", str(tmp_path / "q"))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    assert (
        "projects.csv, строка 3, столбец «stage»: неизвестное значение; допустимы: подготовка, "
        "диагностика, внедрение, закрепление, завершён, отменён (значение: «finished»)"
    ) in proc.stdout
    assert (tmp_path / "q" / "projects.quarantine.csv").exists()


def test_cli_validate_missing_path():
    proc = run_cli("validate", "no/such/folder")
    assert proc.returncode == 1
    assert "нет такого файла или папки" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


# --------------------------------------------------------------------------- property


_CELLS = {
    "project_id": st.sampled_from(["p1", "p3", "p9", "../p", ""]),
    "case_id": st.text(alphabet="AB-12", min_size=0, max_size=4),
    "phase": st.sampled_from(["before", "after", "до", "после", "during", ""]),
    "received": st.sampled_from(["2023-01-09 09:00", "09.01.2023", "2023-13-01", "", "x"]),
    "completed": st.sampled_from(["2023-01-19 09:00", "2023-01-01", "", "19.01.2023 10:00"]),
    "work_min": st.sampled_from(["95", "-1", "1,5", "", "abc", "1 000"]),
}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.fixed_dictionaries(_CELLS), min_size=0, max_size=25))
def test_rows_read_equal_accepted_plus_rejected(mini_dir, tmp_path_factory, rows):
    dest = tmp_path_factory.mktemp("prop") / "ds"
    shutil.copytree(mini_dir, dest)
    frame = pd.DataFrame(rows, columns=list(_CELLS))
    frame.to_csv(dest / "cases.csv", index=False)
    report = validate_en(dest)
    assert reconciles(report)
    c = counts(report, "cases")
    assert c.rows_read == len(frame.loc[~(frame == "").all(axis=1)])
    rejected_rows = set(report.rejected["cases"]["_row"])
    error_rows = set(report.errors.loc[report.errors.table == "cases", "row"].dropna())
    assert rejected_rows == error_rows  # every rejected row has a reason, and vice versa


def test_empty_unit_is_rejected_not_a_crash(mini_copy):
    edit(mini_copy / "passport.csv", "p1,lead_time,target,5,day", "p1,lead_time,target,5,")
    report = validate_en(mini_copy)
    only_error(report, table="passport", row=3, column="unit", problem="required value is missing")


def test_counts_must_be_whole(mini_copy):
    edit(mini_copy / "passport.csv", "p1,steps,actual,7,count", "p1,steps,actual,7.5,count")
    report = validate_en(mini_copy)
    only_error(
        report, table="passport", row=6, column="value", problem="a count must be a whole number"
    )


def test_processing_longer_than_lead_time_is_a_warning(mini_copy):
    text = (mini_copy / "passport.csv").read_text(
        "utf-8"
    ) + "p1,process_time,baseline,11,day,single,,\n"
    (mini_copy / "passport.csv").write_text(text, "utf-8")
    report = validate_en(mini_copy)
    assert report.ok
    w = report.warnings.iloc[0]
    assert (w.row, w.column) == (12, "value")
    assert "processing time is longer than the lead time" in w.problem


def test_zero_lead_time_is_a_warning(mini_copy):
    edit(mini_copy / "cases.csv", "2023-01-19 09:00", "2023-01-09 09:00")
    report = validate_en(mini_copy)
    assert report.ok
    w = report.warnings.iloc[0]
    assert (w.row, w.column) == (2, "completed") and "zero lead time" in w.problem
