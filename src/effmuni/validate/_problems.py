"""Problems found while validating: collected without a language, worded where shown.

Each problem is a row of ``table``, ``file``, ``row``, ``column``, ``value`` and ``problem`` (the
wording in the report's language), then ``code`` and ``params`` (the
:class:`~effmuni.io.Problem` behind the wording), so :func:`format_problem` can word it again
in the other language.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..text import label, problem_text

PROBLEM_COLUMNS = ["table", "file", "row", "column", "value", "problem", "code", "params"]


def _blank(value) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value)) or value == ""


def format_problem(r, lang: str = "ru") -> str:
    """One problem row (of ``errors`` or ``warnings``) as ``file, row N, column C: problem``.

    The column is named as the file spells its header. With ``code`` and ``params`` on the row
    the problem is worded in ``lang``; a row without them keeps its ``problem`` text.

    Examples
    --------
    >>> import effmuni as em
    >>> from effmuni.io import Problem
    >>> p = Problem("required_missing", {"header": "Процесс"})
    >>> row = pd.Series({"file": "Проекты.csv", "row": 4, "column": "process_name",
    ...                  "value": None, "problem": "", "code": p.code, "params": p.params})
    >>> format_problem(row)
    'Проекты.csv, строка 4, столбец «Процесс»: не заполнено обязательное значение'
    >>> format_problem(row, "en")
    "Проекты.csv, row 4, column 'Процесс': required value is missing"
    """
    code, params = getattr(r, "code", None), getattr(r, "params", None)
    params = params if isinstance(params, dict) else {}
    text = problem_text(code, lang, **params) if isinstance(code, str) and code else r.problem
    where = str(r.file)
    if not _blank(r.row):
        where += label("val_at_row", lang, row=int(r.row))
    header = params.get("header", r.column)
    if isinstance(header, str) and header:
        where += label("val_at_column", lang, column=header)
    value = "" if _blank(r.value) else label("val_value", lang, value=r.value)
    return f"{where}: {text}{value}"


def grouped_lines(
    problems: pd.DataFrame, lang: str = "ru", *, limit: int | None = 20, examples: int = 3
) -> list[str]:
    """Problems grouped by file, column and wording: one line a group, with its count.

    A group of one problem is its full line (:func:`format_problem`); a larger group is
    worded once, with its number of rows and its first ``examples`` rows (and values). Groups
    come in the order of their first problem; at most ``limit`` of them (``None``: all), then
    a line saying how many kinds were left out.

    Examples
    --------
    >>> import effmuni as em
    >>> from effmuni.io import Problem
    >>> p = Problems()
    >>> p.add("cases", "cases.csv", [2, 3, 4, 9], "project_id", ["p7", "p7", "p8", "p9"],
    ...       Problem("unknown_reference", {"table": "projects", "header": "project_id"}))
    >>> print(grouped_lines(p.frame("en"), "en")[0])
    cases.csv, column 'project_id': unknown: not in projects (or rejected there) — 4 rows; e.g. row 2 ('p7'), row 3 ('p7'), row 4 ('p8')
    """
    if problems.empty:
        return []
    key = (
        problems[["file", "column", "problem"]]
        .astype("string")
        .fillna("")
        .agg("\x1f".join, axis=1)
    )
    groups = list(problems.groupby(key.to_numpy(), sort=False))
    lines = []
    for _, g in groups if limit is None else groups[:limit]:
        first = g.iloc[0]
        if len(g) == 1:
            lines.append(format_problem(first, lang))
            continue
        shown = []
        for r in g.head(examples).itertuples(index=False):
            if _blank(r.row):
                continue
            if _blank(r.value):
                shown.append(label("val_example", lang, row=int(r.row)))
            else:
                shown.append(label("val_example_value", lang, row=int(r.row), value=r.value))
        where = format_problem(_without_row(first), lang)
        lines.append(
            label("val_group", lang, problem=where, n=len(g), examples=", ".join(shown) or "—")
        )
    if limit is not None and len(groups) > limit:
        lines.append(label("val_and_more_groups", lang, n=len(groups) - limit))
    return lines


def _without_row(r: pd.Series) -> pd.Series:
    out = r.copy()
    out["row"], out["value"] = None, None
    return out


def group_count(problems: pd.DataFrame) -> int:
    """How many groups :func:`grouped_lines` makes of ``problems``."""
    if problems.empty:
        return 0
    return len(problems[["file", "column", "problem"]].astype("string").drop_duplicates())


class Problems:
    """Problems collected table by table; :meth:`frame` words them in one language."""

    def __init__(self):
        self._parts: list[pd.DataFrame] = []

    def add(self, table, file, rows, column, values, problem):
        """Record ``problem`` (one, or one per row) at ``rows`` of ``column``."""
        rows = np.atleast_1d(np.asarray(rows, dtype=object))
        if rows.size == 0:
            return
        if values is None:
            values = [None] * rows.size
        vals = [None if _blank(v) and not isinstance(v, str) else str(v) for v in values]
        problems = (
            list(problem) if isinstance(problem, list | np.ndarray) else [problem] * rows.size
        )
        self._parts.append(
            pd.DataFrame(
                {
                    "table": table,
                    "file": file,
                    "row": pd.array(rows, dtype="Int64"),
                    "column": column,
                    "value": pd.array(vals, dtype="string"),
                    "problem": problems,
                }
            )
        )

    def has_path_problem(self) -> bool:
        """True when a problem recorded so far concerns the dataset path itself."""
        return any((part["table"] == "").any() for part in self._parts)

    def frame(self, lang: str) -> pd.DataFrame:
        """Every problem, worded in ``lang``, with its code and parameters."""
        if not self._parts:
            return empty_problems()
        out = pd.concat(self._parts, ignore_index=True)
        found = out.pop("problem")
        out["problem"] = pd.array([p.text(lang) for p in found], dtype="string")
        out["code"] = pd.array([p.code for p in found], dtype="string")
        out["params"] = [p.params for p in found]
        return out[PROBLEM_COLUMNS]


def empty_problems() -> pd.DataFrame:
    """A problem frame with no rows (and the dtypes of a full one)."""
    frame = pd.DataFrame(
        {
            c: pd.Series(dtype="Int64" if c == "row" else "string")
            for c in PROBLEM_COLUMNS
            if c != "params"
        }
    )
    frame["params"] = pd.Series(dtype=object)
    return frame[PROBLEM_COLUMNS]
