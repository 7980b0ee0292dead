"""The catalogue of words and locale-aware formatting: one resource, both languages, no
Cyrillic left in the code."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pandas as pd
import pytest

import effmuni as em
from effmuni.text import (
    catalogue,
    fmt_date,
    fmt_interval,
    fmt_number,
    fmt_percent,
    fmt_quarter,
    fmt_signed,
    label,
    missing,
    translate_columns,
)

SRC = Path(em.__file__).parent
CYRILLIC = re.compile("[\u0400-\u04ff]")


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_key_has_both_languages_and_the_same_placeholders():
    cat = catalogue()
    assert len(cat) > 300
    for key, entry in cat.items():
        assert set(entry) == {"ru", "en"}, key
        assert entry["ru"].strip() and entry["en"].strip(), key
        if key not in ("fmt_quarter",):  # Roman numerals in Russian, digits in English
            assert _fields(entry["ru"]) == _fields(entry["en"]), key


def test_one_key_convention():
    bad = [k for k in catalogue() if not re.fullmatch(r"[a-z][a-z0-9_]*", k)]
    assert bad == []


def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


#: Cyrillic patterns that must stay in code: input the loader recognises in Russian files, never
#: words shown to people. Keyed by file and the top-level name (assignment or function) holding
#: them; anything else Cyrillic belongs in text/catalogue.toml or schema/dictionary.toml.
ALLOWED = {
    # the quarter patterns «2023 К1», «1 кв. 2023», «1 квартал 2023 г.»: regular expressions
    # with Cyrillic letters in them, not words (the dictionary holds words, not patterns)
    ("io/tables.py", "_QUARTER"): "quarter patterns of Russian exports",
    # the ё → е folding of header and category names: a rule about two letters
    ("io/text.py", "normalize_label"): "ё/е folding when comparing names",
}


def _owner(statement: ast.stmt) -> str:
    """The name a top-level statement defines (a function, class or assigned name)."""
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return statement.name
    if isinstance(statement, ast.Assign | ast.AnnAssign):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        return ",".join(t.id for t in targets if isinstance(t, ast.Name))
    return ""


def _cyrillic_literals(path: Path, allowed=()) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = _docstring_nodes(tree)
    rel = path.relative_to(SRC).as_posix()
    return [
        f"{rel}:{node.lineno}: {node.value[:40]!r}"
        for statement in tree.body
        if (rel, _owner(statement)) not in allowed
        for node in ast.walk(statement)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docs
        and CYRILLIC.search(node.value)
    ]


def test_no_cyrillic_string_literal_in_the_code():
    # words live in text/catalogue.toml, the data dictionary's accepted Russian headers in
    # schema/dictionary.toml and the synthetic sample's names in synth/data/: never in code
    found = [
        hit for path in sorted(SRC.rglob("*.py")) for hit in _cyrillic_literals(path, ALLOWED)
    ]
    assert found == []


def test_the_allowlist_is_still_needed():
    # an entry whose literals have gone (or moved) must leave the list too
    for rel, owner in ALLOWED:
        tree = ast.parse((SRC / rel).read_text(encoding="utf-8"))
        held = [s for s in tree.body if _owner(s) == owner]
        assert held, (rel, owner)
        assert any(
            isinstance(n, ast.Constant) and isinstance(n.value, str) and CYRILLIC.search(n.value)
            for s in held
            for n in ast.walk(s)
        ), (rel, owner)


def test_the_scan_finds_a_cyrillic_literal(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('"""Документация можно."""\nx = "слово"\n', encoding="utf-8")
    global SRC
    old, SRC = SRC, tmp_path
    try:
        assert len(_cyrillic_literals(bad)) == 1
    finally:
        SRC = old


def test_label_fallback_format_and_bad_lang():
    assert label("no_such_key") == "no_such_key"
    assert label("municipality_id") == "Муниципалитет"
    assert label("municipality_id", "en") == "Municipality"
    assert missing(["municipality_id", "no_such_key"]) == ["no_such_key"]
    with pytest.raises(ValueError, match="lang must be 'ru' or 'en'"):
        label("municipality_id", "de")


def test_translate_columns_and_named_indexes():
    df = pd.DataFrame({"municipality_id": ["a"], "project_id": ["p"], "x": [1]})
    assert list(translate_columns(df).columns) == ["Муниципалитет", "Проект", "x"]
    one = df.set_index("municipality_id")
    assert translate_columns(one, "en").index.name == "Municipality"
    two = df.set_index(["municipality_id", "project_id"])
    assert list(translate_columns(two).index.names) == ["Муниципалитет", "Проект"]


@pytest.mark.parametrize(
    ("value", "lang", "digits", "expected"),
    [
        (90653.4, "ru", 0, "90\u00a0653"),
        (90653.4, "en", 0, "90,653"),
        (2.346, "ru", 2, "2,35"),
        (-3.5, "ru", 1, "\u22123,5"),
        (float("nan"), "ru", 0, "—"),
        (float("inf"), "en", 0, "—"),
        (None, "ru", 0, "—"),
    ],
)
def test_numbers(value, lang, digits, expected):
    assert fmt_number(value, lang, digits=digits) == expected


def test_percent_interval_sign_date_and_quarter():
    assert fmt_percent(16.8, digits=1) == "16,8\u00a0%"
    assert fmt_percent(16.8, "en", digits=1) == "16.8%"
    assert fmt_interval(90620, 90685) == "90\u00a0620\u201390\u00a0685"
    assert fmt_interval(float("nan"), 3) == ""
    assert fmt_interval(-18, 41, percent=True) == "\u221218\u201341\u00a0%"
    assert fmt_signed(5) == "+5" and fmt_signed(-3) == "\u22123"
    assert fmt_date(pd.Timestamp("2025-12-31")) == "31.12.2025"
    assert fmt_quarter("2023Q1") == "I кв. 2023"
    assert fmt_quarter(pd.Period("2024Q4", freq="Q"), "en") == "Q4 2024"
    assert [fmt_quarter(f"2025Q{q}") for q in (2, 3)] == ["II кв. 2025", "III кв. 2025"]


def test_every_problem_code_is_worded():
    from effmuni.schema import TABLES

    codes = set()
    for path in SRC.rglob("*.py"):
        codes |= set(re.findall(r"(?:Problem|ReadFailure)\(\s*\"(\w+)\"", path.read_text("utf-8")))
    codes |= {f"bad_{c.kind}" for t in TABLES.values() for c in t.columns if c.kind != "category"}
    assert len(codes) > 40
    assert missing(f"val_{code}" for code in sorted(codes)) == []


def test_coded_values_are_worded_as_the_loader_accepts_them():
    from effmuni.io import convert_column
    from effmuni.schema import TABLES

    for table in TABLES.values():
        for col in table.columns:
            if col.kind != "category":
                continue
            for lang in ("ru", "en"):
                words = [label(f"{col.name}_{v}", lang) for v in col.categories]
                values, bad = convert_column(pd.Series(words), col)
                assert not bad.any() and values.tolist() == list(col.categories), (col.name, lang)


def test_problem_text_words_tables_and_allowed_values():
    from effmuni.text import problem_text

    assert (
        problem_text("missing_table", table="projects")
        == "не найдена обязательная таблица «Проекты»"
    )
    assert (
        problem_text("missing_table", "en", table="projects")
        == "required table projects not found"
    )
    allowed = problem_text("bad_category", "en", column="baseline_method",
                           allowed=["measured", "regulation_limit"])  # fmt: skip
    assert allowed == "unknown value; allowed: measured, regulation limit"
    # a table or value the catalogue does not know yet is shown as its code
    assert problem_text("missing_table", table="new_table").endswith("«new_table»")
