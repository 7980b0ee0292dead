"""Hostile data: values that are not numbers, encodings that are not UTF-8, errors that must not
cascade, and a lenient path on the command line. Every case goes through the real loader or
the real command line, on real files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import DATA, REPO, edit, run_cli

import effmuni as em
from effmuni.io import ReadFailure, sniff_encoding
from effmuni.schema import TABLE_ORDER

SAMPLE = REPO / "data" / "sample"
MINI = DATA / "mini"
RU_EXPORT = DATA / "ru_export"
#: the encoding each file of tests/data/ru_export is written in
RU_EXPORT_ENCODINGS = {
    "cases.csv": "cp1251",
    "institutions.csv": "cp1251",
    "projects.csv": "cp1251",
    "steps.txt": "utf-16",
    "engagement.csv": "utf-8",
    "Муниципалитеты.csv": "utf-8-sig",
    "Паспорт.csv": "utf-8",
}
SINGLE_BYTE = ["cp1251", "koi8_r", "mac_cyrillic", "cp866"]
ENCODINGS = [*SINGLE_BYTE, "utf-8", "utf-8-sig", "utf-16", "utf-16-le"]


@pytest.fixture(autouse=True)
def _neutral_locale(monkeypatch):
    """The command line follows the locale: run it under one that does not say English."""
    monkeypatch.setenv("LANG", "C.UTF-8")
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)


def reconciles(report: em.ValidationReport) -> bool:
    c = report.counts
    return bool((c.rows_read == c.rows_accepted + c.rows_rejected).all())


def counts(report, table) -> pd.Series:
    return report.counts.set_index("table").loc[table]


def sample_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "sample"
    shutil.copytree(SAMPLE, dest)
    return dest


# --------------------------------------------------------------------------- 1. values


@pytest.mark.parametrize(
    "cell", ["inf", "-inf", "1e400", "Infinity", "1e16", "1 000 000 000 000 000"]
)
def test_infinite_and_huge_numbers_are_rejected_never_numbers(mini_copy, cell):
    edit(mini_copy / "projects.csv", "closed,300,30,measured", f'closed,"{cell}",30,measured')
    report = em.validate(mini_copy)
    err = report.errors[report.errors.code == "not_finite"]
    assert len(err) == 1, report.errors.to_string()
    err = err.iloc[0]
    assert (err.table, err.row, err.column, err.value) == ("projects", 4, "annual_volume", cell)
    assert err.problem.startswith("не конечное число")
    assert "p3" not in set(report.tables["projects"]["project_id"])
    assert np.isfinite(report.tables["projects"]["annual_volume"].dropna()).all()
    assert reconciles(report)


def test_an_infinite_volume_never_reaches_the_totals(mini_copy):
    edit(mini_copy / "projects.csv", "closed,1200,50,measured", "closed,inf,50,measured")
    r = run_cli("savings", str(mini_copy), "--by", "region", "--n-boot", "0", "--lenient",
                "--quarantine", str(mini_copy.parent / "q"), "--lang", "en")  # fmt: skip
    assert r.returncode == 0, r.stderr
    results = r.stdout.split(str(mini_copy.parent / "q"), 1)[1].split("\n", 1)[1]
    assert "inf" not in results.lower() and "∞" not in results
    assert "projects.csv, row 2, column 'annual_volume': not a finite number" in r.stdout


@pytest.mark.parametrize("cell", ["#Н/Д", "н/д", "Н/Д", "NULL", "null", "nan", "NaN", "-", "—",
                                  "N/A", "#N/A", "нет данных", " NULL "])  # fmt: skip
def test_words_for_no_value_are_missing_values(mini_copy, cell):
    edit(mini_copy / "projects.csv", "closed,300,30,measured", f'closed,"{cell}",30,measured')
    report = em.validate(mini_copy)
    assert report.ok, report.describe_errors()
    p3 = report.tables["projects"].set_index("project_id").loc["p3"]
    assert pd.isna(p3["annual_volume"])


@pytest.mark.parametrize("cell", ["#Н/Д", "NULL", "-"])
def test_a_no_value_word_in_a_required_cell_rejects_the_row_showing_the_word(mini_copy, cell):
    edit(
        mini_copy / "steps.csv",
        "Приём заявления,специалист,20,",
        f"Приём заявления,специалист,{cell},",
    )
    report = em.validate(mini_copy, lang="en")
    err = report.errors.iloc[0]
    assert (err.table, err.row, err.column, err.code) == (
        "steps",
        2,
        "process_min",
        "required_missing",
    )
    assert err.value == cell
    assert counts(report, "steps").rows_rejected == 1 and reconciles(report)


@pytest.mark.parametrize("cell", ["#ДЕЛ/0!", "#DIV/0!", "#ЗНАЧ!", "#VALUE!", "#REF!"])
def test_excel_errors_are_rejected_with_their_own_reason(mini_copy, cell):
    edit(
        mini_copy / "steps.csv",
        "Приём заявления,специалист,20,",
        f"Приём заявления,специалист,{cell},",
    )
    report = em.validate(mini_copy)
    err = report.errors.iloc[0]
    assert (err.row, err.column, err.code, err.value) == (2, "process_min", "excel_error", cell)
    assert err.problem == "ошибка формулы Excel вместо значения"


def test_an_excel_error_in_a_name_rejects_the_row_too(mini_copy):
    edit(mini_copy / "projects.csv", "Выдача архивной справки", "#ЗНАЧ!")
    report = em.validate(mini_copy, lang="en")
    assert report.errors.iloc[0][["row", "column", "code"]].tolist() == [
        4,
        "process_name",
        "excel_error",
    ]


def test_a_word_a_column_accepts_keeps_its_meaning(mini_copy):
    # "-" is "no" in a yes/no column; "none" is a model level
    edit(
        mini_copy / "steps.csv",
        "специалист,20,1440,true,false,false",
        "специалист,20,1440,true,-,false",
    )
    ds = em.load_dataset(mini_copy)
    assert ds.steps["handoff"].iloc[0] == False  # noqa: E712
    assert (ds.institutions["model_level"] == "none").sum() == 2


def test_no_value_ids_are_missing_not_ids(mini_copy):
    edit(mini_copy / "projects.csv", "p4,kanash-adm", "NULL,kanash-adm")
    report = em.validate(mini_copy, lang="en")
    err = report.errors.iloc[0]
    assert (err.row, err.column, err.code, err.value) == (
        5,
        "project_id",
        "required_missing",
        "NULL",
    )


def test_a_huge_whole_number_is_rejected_not_a_crash(mini_copy):
    edit(mini_copy / "municipalities.csv", "40987", "1e20")
    report = em.validate(mini_copy, lang="en")
    err = report.errors.iloc[0]
    assert (err.column, err.code, err.value) == ("population", "not_finite", "1e20")
    assert reconciles(report)


def test_infinite_numbers_in_parquet_are_rejected(mini_copy):
    frame = pd.read_csv(mini_copy / "projects.csv", dtype={"annual_volume": "float64"})
    frame.loc[0, "annual_volume"] = np.inf
    frame.to_parquet(mini_copy / "projects.parquet")
    (mini_copy / "projects.csv").unlink()
    report = em.validate(mini_copy, lang="en")
    err = report.errors[report.errors.code == "not_finite"].iloc[0]
    assert (err.table, err.row, err.column) == ("projects", 2, "annual_volume")


@pytest.mark.parametrize(
    ("column", "old", "written", "far"),
    [
        ("received", "2023-01-09 09:00", "0001-01-01", True),
        ("received", "2023-01-09 09:00", "01.01.0001 09:00", True),
        ("received", "2023-01-09 09:00", "1899-12-31 23:59", True),
        ("received", "2023-01-09 09:00", "1900-01-01 00:00", False),
        ("completed", "2023-01-19 09:00", "2100-12-31 23:59", False),
        ("completed", "2023-01-19 09:00", "2101-01-01", True),
        ("completed", "2023-01-19 09:00", "9999-12-31", True),
    ],
)
def test_dates_outside_1900_to_2100_are_rejected_with_their_own_reason(
    mini_copy, column, old, written, far
):
    edit(mini_copy / "cases.csv", old, written)
    ds = em.load_dataset(mini_copy, strict=False)  # the calendar never sees a far date
    errors = ds.report.errors
    if not far:
        assert ds.report.ok, ds.report.describe_errors(lang="en")
        return
    assert errors[["table", "row", "column", "value", "code"]].values.tolist() == [
        ["cases", 2, column, written, "date_out_of_range"]
    ]
    assert errors["problem"].iloc[0].startswith("дата раньше 1900 года или позже 2100 года")
    assert "A-001" not in set(ds.cases["case_id"])
    assert reconciles(ds.report)


def test_far_dates_in_parquet_and_in_a_date_column_are_rejected(mini_copy):
    frame = pd.read_csv(mini_copy / "cases.csv", parse_dates=["received", "completed"])
    frame["received"] = frame["received"].astype("datetime64[us]")
    frame.loc[0, "received"] = pd.Timestamp("0001-01-01")
    frame.to_parquet(mini_copy / "cases.parquet")
    (mini_copy / "cases.csv").unlink()
    edit(mini_copy / "municipalities.csv", "47069,,,2024-12-31", "47069,,,9999-12-31")
    report = em.validate(mini_copy, lang="en")
    far = report.errors[report.errors.code == "date_out_of_range"]
    assert far[["table", "row", "column"]].values.tolist() == [
        ["municipalities", 4, "valid_to"],
        ["cases", 2, "received"],
    ]
    assert far["problem"].iloc[0] == "a date before 1900 or after 2100: probably a mistyped year"
    assert reconciles(report)


def test_error_and_no_value_cells_of_a_workbook(mini_dir, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for table in TABLE_ORDER:
        path = mini_dir / f"{table}.csv"
        if not path.exists():
            continue
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        if table == "projects":
            frame.loc[0, "annual_volume"] = "#N/A"  # openpyxl stores it as an error cell
            frame.loc[1, "target_reduction_pct"] = "#DIV/0!"
        ws = wb.create_sheet(table)
        ws.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            ws.append([v if v != "" else None for v in row])
    wb.save(tmp_path / "d.xlsx")
    report = em.validate(tmp_path / "d.xlsx", lang="en")
    # pandas reads an error cell without its code: each is a formula that failed, never empty
    found = report.errors[["table", "row", "column", "code"]].to_numpy().tolist()
    assert found[:2] == [
        ["projects", 2, "annual_volume", "excel_error"],
        ["projects", 3, "target_reduction_pct", "excel_error"],
    ]
    assert counts(report, "projects").rows_rejected == 2 and reconciles(report)


# --------------------------------------------------------------------------- 2. encodings


def as_exported(text: str, encoding: str) -> str:
    """``text`` as an export in ``encoding`` holds it: a character the encoding lacks (KOI8-R
    has no «№») is written as ``?``."""
    return text.encode(encoding, errors="replace").decode(encoding)


def _reencode(folder: Path, encoding: str) -> Path:
    """Write ``folder``'s tables in ``encoding``; returns a UTF-8 copy of what they hold."""
    same = folder.parent / f"{folder.name}_utf8"
    shutil.copytree(folder, same)
    for f in folder.glob("*.csv"):
        text = as_exported(f.read_text("utf-8"), encoding)
        f.write_bytes(text.encode(encoding))
        (same / f.name).write_text(text, "utf-8")
    return same


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_the_mini_dataset_in_every_encoding_loads_the_same(mini_dir, tmp_path, encoding):
    dest = tmp_path / "mini"
    shutil.copytree(mini_dir, dest)
    want = em.validate(_reencode(dest, encoding))
    got = em.validate(dest)
    assert got.ok, got.describe_errors()
    for table in want.counts["table"]:
        pd.testing.assert_frame_equal(got.tables[table], want.tables[table], obj=table)


def test_a_koi8_r_institutions_file_is_read_as_russian_not_mojibake(mini_copy):
    path = mini_copy / "institutions.csv"
    path.write_bytes(as_exported(path.read_text("utf-8"), "koi8_r").encode("koi8_r"))
    ds = em.load_dataset(mini_copy)
    assert "Администрация города Чебоксары" in set(ds.institutions["name"])
    assert not ds.institutions["name"].str.contains("бДНЙОЙУФТБГЙС").any()
    r = run_cli("validate", str(mini_copy))
    assert r.returncode == 0 and "Ошибок не найдено." in r.stdout


@pytest.mark.parametrize("encoding", SINGLE_BYTE)
def test_every_sample_table_decodes_exactly_in_every_single_byte_encoding(encoding):
    for f in sorted(SAMPLE.glob("*.csv")):
        text = as_exported(f.read_text("utf-8"), encoding)
        found, decoded = sniff_encoding(text.encode(encoding), f.name)
        assert decoded == text, (f.name, found)


def _short_files():
    """Headers and first lines of the Russian export and the sample and mini tables."""
    for f in sorted(RU_EXPORT.iterdir()):
        lines = f.read_text(RU_EXPORT_ENCODINGS[f.name]).lstrip("\ufeff").splitlines()
        yield f"ru_export/{f.name}", lines
    for f in [*sorted(SAMPLE.glob("*.csv")), *sorted(MINI.glob("*.csv"))]:
        yield f"{f.parent.name}/{f.name}", f.read_text("utf-8").splitlines()


@pytest.mark.parametrize("n_lines", [1, 2, 5])
def test_short_files_are_decoded_exactly_or_refused_never_mojibake(n_lines):
    read = refused = 0
    for name, lines in _short_files():
        text = "\n".join(lines[:n_lines])
        if text.isascii():
            continue
        for encoding in [*SINGLE_BYTE, "utf-8", "utf-16-le"]:
            text = as_exported("\n".join(lines[:n_lines]), encoding)
            data = text.encode(encoding)
            try:
                _, decoded = sniff_encoding(data, name)
            except ReadFailure as e:
                assert e.problem.code == "read_ambiguous_encoding", (name, encoding)
                refused += 1
                continue
            assert decoded == text, (name, encoding, decoded[:40])
            read += 1
    assert read > 40
    if n_lines == 5:
        assert refused == 0  # five lines always tell
    if n_lines == 1:
        headers = [t for t in _short_files() if t[0].startswith("ru_export")]
        assert len(headers) == 7  # every Russian header alone is read in every encoding
        assert refused == 0


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ("Größe;Maß;Straße\nMünchen;Köln;Düsseldorf".encode("latin-1"), "read_unknown_encoding"),
        ("Référence;Désignation;Quantité\nélément;été".encode("cp1252"), "read_unknown_encoding"),
        ("Όνομα;Ημερομηνία;Περιοχή\nΑθήνα;2023".encode("cp1253"), "read_unknown_encoding"),
        ("名称;日期;地区\n北京;上海".encode("gbk"), "read_unknown_encoding"),
        (bytes(range(128, 256)) * 4, "read_unknown_encoding"),
        ("Код;Наименование\np1;Проект".encode().decode("cp1251").encode(), "read_double_encoded"),
        ("Код;Наименование\np1;Проект".encode("cp1251").decode("cp1252").encode(), "read_double_encoded"),
    ],
    ids=["latin-1", "cp1252", "greek", "gbk", "random", "utf8-as-cp1251", "cp1251-as-cp1252"],
)  # fmt: skip
def test_text_that_reads_as_russian_in_no_encoding_is_refused(mini_copy, data, code):
    (mini_copy / "institutions.csv").write_bytes(data)
    report = em.validate(mini_copy)
    err = report.errors.iloc[0]
    assert (err.table, err.code) == ("institutions", code)
    assert err.problem.startswith(("файл institutions.csv", "кодировку файла institutions.csv"))
    r = run_cli("validate", str(mini_copy), "--lang", "en")
    assert r.returncode == 1 and "institutions.csv" in r.stdout and "Traceback" not in r.stderr


def test_utf16_without_a_bom_is_read(mini_copy):
    text = (mini_copy / "cases.csv").read_text("utf-8")
    for encoding in ("utf-16-le", "utf-16-be"):
        (mini_copy / "cases.csv").write_bytes(text.encode(encoding))
        assert em.validate(mini_copy).ok


@pytest.mark.parametrize("encoding", ["koi8_r", "mac_cyrillic", "cp866"])
def test_event_logs_follow_the_same_encoding_rule(tmp_path, encoding):
    src = DATA / "eventlog" / "tiny.csv"
    path = tmp_path / "log.csv"
    path.write_bytes(src.read_text("utf-8").encode(encoding))
    pd.testing.assert_frame_equal(em.read_event_log(path), em.read_event_log(src))


# --------------------------------------------------------------------------- 3. no cascades


def test_a_misspelt_projects_header_is_one_problem_and_one_note_per_dependent(tmp_path):
    """The 17,775-problem cascade of the sample: one problem, three notes."""
    data = sample_copy(tmp_path)
    edit(data / "projects.csv", "project_id,institution_id", "projct_id,institution_id")
    report = em.validate(data)
    assert report.unusable == ["projects"]
    codes = report.errors.groupby("table", sort=False)["code"].agg(list).to_dict()
    assert codes == {
        "projects": ["missing_column_near"],
        "passport": ["references_not_checked"],
        "steps": ["references_not_checked"],
        "cases": ["references_not_checked"],
    }
    head = report.errors.iloc[0]
    assert (
        head.problem
        == "не найден обязательный столбец «Код проекта» (project_id); возможно, это он"
    )
    assert head.params["header"] == "projct_id"
    note = report.errors.iloc[3]
    assert note.problem.startswith(
        "ссылки на таблицу «Проекты» не проверены: эта таблица не прочитана"
    )
    assert "(строк: 11771)" in note.problem
    en = report.describe_errors(lang="en", grouped=True)
    assert "not checked against projects: the projects table could not be read" in en
    # every row is counted: the dependents' rows are accepted, their references unchecked
    assert reconciles(report)
    assert counts(report, "projects").rows_rejected == counts(report, "projects").rows_read
    for table in ("passport", "steps", "cases"):
        assert counts(report, table).rows_rejected == 0
    r = run_cli("validate", str(data))
    assert r.returncode == 1
    assert f"{data.name}: найдено проблем: 4, видов: 4" in r.stdout
    assert r.stdout.count("ссылки на таблицу «Проекты» не проверены") == 3
    assert (
        "projects.csv, столбец «projct_id»: не найден обязательный столбец «Код проекта»"
        in r.stdout
    )


def test_a_missing_required_table_is_noted_once_by_its_dependents(mini_copy):
    (mini_copy / "institutions.csv").unlink()
    report = em.validate(mini_copy, lang="en")
    assert report.errors["code"].tolist() == ["missing_table", "references_not_checked"]
    assert report.errors.iloc[1][["table", "column"]].tolist() == ["projects", "institution_id"]
    assert counts(report, "projects").rows_accepted == 4 and reconciles(report)


def test_an_unreadable_table_is_noted_once_by_its_dependents(mini_copy):
    (mini_copy / "projects.csv").write_bytes(bytes(range(128, 256)) * 4)
    report = em.validate(mini_copy, lang="en")
    assert (
        report.errors["code"].tolist()
        == ["read_unknown_encoding"] + ["references_not_checked"] * 3
    )


def test_rejected_rows_still_reject_the_rows_that_refer_to_them(mini_copy):
    edit(mini_copy / "projects.csv", ",implementation,", ",finished,")
    report = em.validate(mini_copy)
    assert report.unusable == []
    assert set(report.errors.code) == {"bad_category", "unknown_reference"}


def test_validate_groups_problems_with_counts_and_first_rows(tmp_path):
    data = sample_copy(tmp_path)
    text = (data / "projects.csv").read_text("utf-8").replace(",closed,", ",finished,")
    (data / "projects.csv").write_text(text, "utf-8")
    r = run_cli("validate", str(data))
    assert r.returncode == 1
    lines = r.stdout.split("\n\n")[1].splitlines()  # the problems, after the counts
    assert lines[0].endswith("видов: 4")
    assert len(lines) == 5  # the head line and one line a kind of problem
    assert "столбец «stage»: неизвестное значение" in lines[1]
    assert "например: строка 2 («finished»), строка 3 («finished»)" in lines[1]
    assert "cases.csv, столбец «project_id»: нет в таблице «Проекты»" in lines[4]
    r = run_cli("validate", str(data), "--max-errors", "2", "--lang", "en")
    assert "… and 2 more kind(s) of problem" in r.stdout


# --------------------------------------------------------------------------- 4. --lenient


def _one_bad_case(mini_copy: Path) -> None:
    edit(mini_copy / "cases.csv", "2023-01-19 09:00", "2023-01-08 09:00")


def test_savings_without_lenient_refuses_and_points_to_it(mini_copy):
    _one_bad_case(mini_copy)
    r = run_cli("savings", str(mini_copy), "--n-boot", "0")
    assert r.returncode == 1
    assert "в данных есть проблемы; сначала исправьте их" in r.stderr
    assert "запустите команду с --lenient" in r.stderr


def test_savings_lenient_runs_on_the_accepted_rows_and_writes_the_quarantine(mini_copy, tmp_path):
    _one_bad_case(mini_copy)
    q = tmp_path / "q"
    r = run_cli("savings", str(mini_copy), "--n-boot", "0", "--lenient", "--quarantine", str(q))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("--lenient: в стороне оставлено строк: 1 из 38. Причины:\n")
    assert (
        "cases.csv, строка 2, столбец «completed»: «completed» раньше, чем «received»" in r.stdout
    )
    assert f"Оставленные в стороне строки с причинами: {q}/ (cases.quarantine.csv)" in r.stdout
    assert "Сокращение ВПП по проектам" in r.stdout
    quarantined = pd.read_csv(q / "cases.quarantine.csv", encoding="utf-8-sig", dtype=str)
    assert quarantined["case_id"].tolist() == ["A-001"]
    assert "раньше" in quarantined["_problems"].iloc[0]


def test_savings_lenient_default_quarantine_and_english(mini_copy, tmp_path):
    _one_bad_case(mini_copy)
    r = run_cli(
        "savings", str(mini_copy), "--n-boot", "0", "--lenient", "--lang", "en", cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr
    assert "--lenient: 1 of 38 rows left out. The reasons:" in r.stdout
    quarantined = tmp_path / "quarantine" / "cases.quarantine.csv"
    problems = pd.read_csv(quarantined, encoding="utf-8-sig", dtype=str)["_problems"]
    assert "is before" in problems.iloc[0] and "раньше" not in problems.iloc[0]  # --lang en


def test_lenient_leaves_out_rows_not_tables(mini_copy, tmp_path):
    edit(mini_copy / "projects.csv", "project_id,", "projct_id,")
    r = run_cli("savings", str(mini_copy), "--lenient", "--quarantine", str(tmp_path / "q"))
    assert r.returncode == 1
    assert (
        "--lenient оставляет в стороне строки, а не таблицы: не прочитаны таблицы Проекты"
        in r.stderr
    )
    assert "Traceback" not in r.stderr


def test_maturity_lenient(mini_copy, tmp_path):
    _one_bad_case(mini_copy)
    r = run_cli("maturity", str(mini_copy), "--k", "2")
    assert r.returncode == 1 and "--lenient" in r.stderr
    r = run_cli(
        "maturity", str(mini_copy), "--k", "2", "--lenient", "--quarantine", str(tmp_path / "q")
    )
    assert r.returncode == 0, r.stderr
    assert "в стороне оставлено строк: 1 из 38" in r.stdout and "Число групп k" in r.stdout
    assert (tmp_path / "q" / "cases.quarantine.csv").is_file()


def test_effects_lenient(tmp_path):
    """``effects`` points to ``--lenient`` when rows are rejected, and has it."""
    data = tmp_path / "sample"
    shutil.copytree(REPO / "data" / "sample", data)
    edit(data / "projects.csv", "P002,novocheboksarsk-other-1,", "P002,atlantis-1,")
    r = run_cli("effects", str(data))
    assert r.returncode == 1 and "запустите команду с --lenient" in r.stderr
    r = run_cli("effects", str(data), "--lenient", "--quarantine", str(tmp_path / "q"))
    assert r.returncode == 0, r.stderr
    assert "в стороне оставлено строк:" in r.stdout and "Причинный эффект" in r.stdout
    assert (tmp_path / "q" / "projects.quarantine.csv").is_file()


def test_the_accepted_rows_read_back_as_the_same_clean_dataset(mini_copy, tmp_path):
    _one_bad_case(mini_copy)
    edit(mini_copy / "projects.csv", "closed,300,30,measured", "closed,inf,30,measured")
    report = em.validate(mini_copy)
    assert not report.ok
    paths = report.write_accepted(tmp_path / "clean")
    times = [p.stat().st_mtime_ns for p in paths]
    back = em.validate(tmp_path / "clean")
    assert back.ok and back.warnings.empty
    for table in report.counts["table"]:
        pd.testing.assert_frame_equal(back.tables[table], report.tables[table], obj=table)
    report.write_accepted(tmp_path / "clean")  # unchanged: not rewritten (--resume)
    assert [p.stat().st_mtime_ns for p in paths] == times


def test_batch_lenient_runs_every_report_on_the_same_accepted_rows(mini_copy, tmp_path):
    _one_bad_case(mini_copy)
    meta = {"extract_date": "2024-12-31", "title": "mini"}
    (mini_copy / "dataset.json").write_text(json.dumps(meta), "utf-8")
    out = tmp_path / "reports"
    nb = REPO / "notebooks" / "municipality_report.ipynb"
    args = ["batch", str(nb), "--data", str(mini_copy), "--municipality", "kanash",
            "--output-dir", str(out), "--jobs", "1", "--no-progress", "--no-html",
            "-p", "n_boot", "0"]  # fmt: skip
    r = run_cli(*args)
    assert r.returncode == 1 and "--lenient" in r.stderr
    r = run_cli(*args, "--lenient")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "в стороне оставлено строк: 1 из 38" in r.stdout
    clean = out / "accepted_data"
    assert f"Отчёты строятся на принятых строках, записанных в {clean}/" in r.stdout
    assert (out / "quarantine" / "cases.quarantine.csv").is_file()
    assert len(pd.read_csv(clean / "cases.csv")) == 7
    assert json.loads((clean / "dataset.json").read_text("utf-8")) == meta  # the extract date
    executed = json.loads((out / "kanash.ipynb").read_text("utf-8"))
    params = executed["metadata"]["papermill"]["parameters"]
    assert Path(params["data_dir"]) == clean.resolve()


# --------------------------------------------------------------------------- maturity: missing


def _without_results(data: Path) -> str:
    """Make every project of one municipality a regulation-limit baseline: no comparable result."""
    inst = pd.read_csv(data / "institutions.csv", dtype=str, keep_default_na=False)
    projects = pd.read_csv(data / "projects.csv", dtype=str, keep_default_na=False)
    unit = "yadrinsky"
    mine = projects["institution_id"].isin(
        inst.loc[inst.municipality_id == unit, "institution_id"]
    )
    assert mine.sum() >= 3
    projects.loc[mine, "baseline_method"] = "regulation_limit"
    projects.to_csv(data / "projects.csv", index=False)
    return unit


def test_a_missing_feature_is_not_scored_as_zero_on_the_standardised_scale(tmp_path):
    data = sample_copy(tmp_path)
    unit = _without_results(data)
    ds = em.load_dataset(data)
    f = em.maturity_features(ds)
    assert np.isnan(f.loc[unit, "median_reduction_pct"])
    assert f.drop(unit)["median_reduction_pct"].notna().all()
    result = em.cluster_maturity(f, k=3, n_boot=0, null_n_boot=0)
    z = result.standardised.loc[unit, "median_reduction_pct"]
    assert abs(z) < 1  # the regional median, not the floor of the scale
    # what reading "no result" as 0 did: the unit far below every other one
    zero = em.cluster_maturity(f.fillna(0.0), k=3, n_boot=0, null_n_boot=0)
    assert zero.standardised.loc[unit, "median_reduction_pct"] < -3
    # the index leaves the missing feature out instead of scoring it 0
    idx = em.maturity_index(f)
    assert idx.loc[unit, "aspect_results"] == pytest.approx(
        100 * min(f.loc[unit, "target_reached_share"], 1.0)
    ) or np.isnan(idx.loc[unit, "aspect_results"])
    r = run_cli("maturity", str(data), "--k", "3", "--lang", "en")
    assert r.returncode == 0, r.stderr
    assert "Features without data (the grouping uses the regional median" in r.stdout
    assert "Median lead-time reduction, %: Yadrinsky" in r.stdout
