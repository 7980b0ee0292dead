"""The command line speaks Russian by default and English on request: help, argparse's own
words, messages and the ``validate`` summary, all from the catalogue."""

from __future__ import annotations

import re

import pytest
from conftest import DATA, REPO, edit, run_cli

from effmuni.cli import SUBCOMMANDS, main
from effmuni.cli._common import locale_lang, requested_lang
from effmuni.text import label

MINI = DATA / "mini"
COMMANDS = [m.__name__.rsplit(".", 1)[1] for m in SUBCOMMANDS]
#: argparse's English that must not show through in Russian
ARGPARSE_EN = ("usage:", "options:", "positional arguments", "show this help", "error:")


@pytest.fixture(autouse=True)
def _neutral_locale(monkeypatch):
    """A locale that does not say English (tests that need one set it themselves)."""
    monkeypatch.setenv("LANG", "C.UTF-8")
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)


def _help(capsys, *args: str) -> str:
    with pytest.raises(SystemExit) as stop:
        main([*args, "--help"])
    assert stop.value.code == 0
    return capsys.readouterr().out


def test_main_help_is_russian_by_default_and_english_on_request(monkeypatch):
    r = run_cli("--help")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert out.startswith("использование: effmuni")
    assert "«Эффективный" in out and "команды:" in out
    assert "показать эту справку и выйти" in out and "Примеры:" in out
    for command in COMMANDS:
        assert re.search(rf"^\s+{command}\s+\w", out, re.M), command
    assert not any(word in out for word in ARGPARSE_EN)
    for args in (["--lang", "en", "--help"], ["--lang=en", "--help"]):
        r = run_cli(*args)
        assert r.stdout.startswith("usage: effmuni") and "Examples:" in r.stdout, args
        assert "проверить набор данных" not in r.stdout
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    assert run_cli("--help").stdout.startswith("usage: effmuni")  # the locale says English
    monkeypatch.setenv("LC_ALL", "ru_RU.UTF-8")
    assert run_cli("--help").stdout.startswith("использование:")  # LC_ALL comes first


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_a_description_and_examples_in_both_languages(capsys, command):
    ru = _help(capsys, command)
    assert ru.startswith(f"использование: effmuni {command}")
    description = ru.split("\n\n")[1]
    assert len(description) > 60 and re.search("[а-яё]", description), description
    examples = ru.split("Примеры:\n", 1)[1]
    assert examples.count(f"  effmuni {command}") >= 2, examples
    assert "--lang {ru,en}" in ru and not any(word in ru for word in ARGPARSE_EN)
    for where in ([command, "--lang", "en"], ["--lang", "en", command]):
        en = _help(capsys, *where)
        assert en.startswith(f"usage: effmuni {command}") and "Examples:\n" in en, where
        assert "Примеры" not in en and "показать эту справку" not in en


def test_validate_help_through_the_real_command():
    r = run_cli("validate", "--help")
    assert r.returncode == 0
    assert "Проверяет набор данных" in r.stdout
    assert "--quarantine КАТАЛОГ" in r.stdout and "effmuni validate data/sample" in r.stdout
    r = run_cli("validate", "--help", "--lang", "en")
    assert "Checks a dataset" in r.stdout and "--quarantine DIR" in r.stdout


def test_argparse_errors_in_russian_and_english():
    r = run_cli("validate")
    assert r.returncode == 2
    assert "effmuni validate: ошибка: не заданы обязательные аргументы: ПУТЬ" in r.stderr
    r = run_cli("validte", "data/sample")
    assert r.returncode == 2 and "недопустимое значение: 'validte'" in r.stderr
    r = run_cli("savings", "--by", "okrug")
    assert "аргумент --by: недопустимое значение: 'okrug'" in r.stderr
    r = run_cli("validate", "--lang", "en")
    assert "effmuni validate: error: the following arguments are required: PATH" in r.stderr
    r = run_cli("--lang", "de", "validate", "x")
    assert r.returncode == 2 and "--lang: недопустимое значение: 'de'" in r.stderr


def test_validate_summary_in_russian_and_english(mini_copy, tmp_path):
    r = run_cli("validate", str(MINI))
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert out.startswith("Набор данных: mini\n")
    assert re.search(r"Таблица\s+Файл\s+Прочитано\s+Принято\s+Отклонено", out)
    assert re.search(r"Муниципалитеты\s+municipalities.csv\s+3\s+3\s+0", out)
    assert "\nСводка\n" in out and "период данных" in out and "Ошибок не найдено." in out
    r = run_cli("--lang", "en", "validate", str(MINI))
    assert r.stdout.startswith("Dataset: mini\n") and "No errors found." in r.stdout
    assert re.search(r"Table\s+File\s+Read\s+Accepted\s+Rejected", r.stdout)
    # problems, warnings and quarantine, in both languages
    edit(mini_copy / "cases.csv", "2023-01-19 09:00", "2023-01-08 09:00")
    edit(mini_copy / "engagement.csv", "proposals_implemented\n", "proposals_implemented,note\n")
    edit(mini_copy / "engagement.csv", "12,5\n", "12,5,ok\n")
    r = run_cli("validate", str(mini_copy), "--quarantine", str(tmp_path / "q"))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "mini: найдено проблем: 1" in r.stdout
    assert (
        "cases.csv, строка 2, столбец «completed»: «completed» раньше, чем «received»" in r.stdout
    )
    assert "Предупреждения (2):" in r.stdout
    assert "engagement.csv, столбец «note»: столбец не распознан; пропущен" in r.stdout
    assert "Отклонённые строки записаны в" in r.stdout
    r = run_cli("validate", str(mini_copy), "--lang", "en")
    assert "cases.csv, row 2, column 'completed': 'completed' is before 'received'" in r.stdout
    assert "Warnings (2):" in r.stdout


def test_messages_of_sample_and_template(tmp_path):
    r = run_cli("template", "--out", str(tmp_path / "t.xlsx"))
    assert r.returncode == 0 and r.stdout.startswith("Пустой шаблон для ввода данных записан в")
    r = run_cli("--lang", "en", "template", "--out", str(tmp_path / "t.xlsx"))
    assert r.stdout.startswith("Wrote the empty data-entry workbook to")


def test_language_rules():
    assert requested_lang(["savings", "--lang", "en"]) == "en"
    assert requested_lang(["--lang=en", "savings", "--lang", "ru"]) == "ru"  # the last one wins
    assert requested_lang(["--lang", "de"]) is None  # argparse reports it
    assert requested_lang(["batch", "nb.ipynb", "-p", "lang", "en"]) is None  # a notebook's
    assert requested_lang(["--", "--lang", "en"]) is None
    assert locale_lang({"LANG": "en_US.UTF-8"}) == "en"
    assert locale_lang({"LC_MESSAGES": "en_GB.UTF-8", "LANG": "ru_RU.UTF-8"}) == "en"
    assert locale_lang({"LANG": "ru_RU.UTF-8"}) == locale_lang({}) == "ru"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["analyse", "x", "--out", "y", "--workers", "0"], "нужно целое число не меньше 1"),
        (["analyse", "x", "--out", "y", "--n-boot", "5"], "нужно 0 (без интервалов)"),
        (["sample", "--out", "y", "--regions", "0"], "нужно целое число не меньше 1"),
        (["validate", "x", "--max-errors", "-1"], "нужно целое число не меньше 1"),
        (["refresh", "x.ipynb", "--timeout", "0"], "нужно число больше 0"),
        (["batch", "x.ipynb", "--timeout", "nan"], "нужно число больше 0"),
        (["effects", "--confidence", "1.5"], "нужно число между 0 и 1"),
        (["savings", "--out", "s.txt"], "нужно имя файла .xlsx / .csv, а не 's.txt'"),
        (["maturity", "--out", "m"], "нужно имя файла .xlsx / .csv, а не 'm'"),
        (["template", "--out", "t.csv"], "нужно имя файла .xlsx, а не 't.csv'"),
    ],
)
def test_numbers_out_of_range_are_usage_errors_before_anything_runs(capsys, args, words):
    with pytest.raises(SystemExit) as stop:
        main(args)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    option = [a for a in args if a.startswith("--")][-1]
    assert f"аргумент {option}: {words}" in err and "Traceback" not in err


def test_batch_takes_the_data_or_its_analysis_not_both(capsys):
    """``--analysis`` is instead of ``--data``: both together were once run silently on the
    analysis, ignoring the data named."""
    with pytest.raises(SystemExit) as stop:
        main(["batch", "x.ipynb", "--analysis", "A", "--data", "data/sample"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "аргумент --data: нельзя вместе с аргументом --analysis" in err


def test_refusals_of_the_analysis_are_worded_and_exit_2(capsys, tmp_path):
    """Requests the data cannot answer, refused in the reader's language with usage's code."""
    assert main(["maturity", "--k", "30"]) == 2
    err = capsys.readouterr().err
    assert "effmuni maturity: ошибка: k должно быть от 1 до n − 1 = 22" in err
    assert main(["maturity", "--as-of", "2019-01-01", "--lang", "en"]) == 2
    assert "nothing to cluster" in capsys.readouterr().err
    nb = "notebooks/municipality_report.ipynb"
    out = str(tmp_path / "r")
    assert (
        main(["batch", nb, "--municipality", "kanash", "-p", "lang", "de", "--output-dir", out])
        == 2
    )
    assert "язык должен быть 'ru' или 'en', а не 'de'" in capsys.readouterr().err
    assert main(["refresh", str(tmp_path / "nosuch.ipynb"), nb]) == 2  # before any runs
    assert "блокнот не найден:" in capsys.readouterr().err


def test_the_federal_sample_counts_in_the_readers_numbers(capsys, tmp_path):
    assert main(["sample", "--scale", "federal", "--regions", "1", "--out", str(tmp_path)]) == 0
    said = capsys.readouterr().out
    cases = re.search(r"случаев ([0-9\xa0 ]+),", said).group(1)
    assert int(re.sub(r"\D", "", cases)) >= 10_000 and "\xa0" in cases  # 12\xa0345
    assert not re.search(r"\d,\d{3}", said)  # no English thousands separators
    assert re.search(r"\d,\d МБ", said)  # a decimal comma


def test_a_reader_that_stops_reading_is_not_an_error(tmp_path):
    """``effmuni … | head``: the pipe closes before the output is written; the command stops
    quietly with the shell's code for it (141), not «[Errno 32] Broken pipe» and code 1."""
    import os
    import subprocess
    import sys

    r, w = os.pipe()
    proc = subprocess.Popen(
        [sys.executable, "-m", "effmuni", "validate", str(DATA / "mini")],
        stdout=w,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(w)
    os.close(r)  # nobody reads: the first write fails
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 141, err
    assert err == ""


def test_the_empty_entry_template_is_valid_and_analysed_without_a_traceback(capsys):
    """The data-entry workbook as shipped: valid but empty. Every command says so in words."""
    template = str(REPO / "data" / "templates" / "effmuni_template.xlsx")
    assert main(["validate", template]) == 0
    assert "в наборе нет ни одной строки данных" in capsys.readouterr().out
    assert main(["savings", template, "--n-boot", "0"]) == 0
    out = capsys.readouterr()
    assert "(нет строк)" in out.out and "Empty DataFrame" not in out.out and out.err == ""
    assert main(["maturity", template]) == 2
    assert "нужно не меньше 3 муниципалитетов, а их 0" in capsys.readouterr().err
    assert main(["effects", template]) == 1
    assert "не оценён: в наборе нет статистики услуг" in capsys.readouterr().err


def test_savings_tables_say_yes_and_no_in_words(capsys):
    assert main(["savings", "--n-boot", "0"]) == 0
    out = capsys.readouterr().out
    assert "True" not in out and "False" not in out
    included = label("included")
    header = next(line for line in out.splitlines() if included in line)
    rows = out.split(header, 1)[1].split("\n\n", 1)[0].splitlines()
    assert {r.split()[-1] for r in rows if r.strip()} <= {"да", "нет"}
