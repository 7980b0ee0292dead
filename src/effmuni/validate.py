"""Validation that never loses data silently.

:func:`validate` reads every table of a dataset, converts its cells to the kinds of the data
dictionary (:mod:`effmuni.schema`) and checks them. Each row is either accepted or rejected with
its reasons, so for every table ``rows_read == rows_accepted + rows_rejected``. Rejected rows
can be written to quarantine CSV files with the reason beside each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .excel import REFERENCE_SHEETS
from .io import (
    TABLE_SUFFIXES,
    WORKBOOK_SUFFIXES,
    DataError,
    RawTable,
    ReadFailure,
    convert_column,
    empty_table,
    map_headers,
    normalize_label,
    read_table_file,
    read_workbook,
    table_for_name,
)
from .schema import (
    COUNT_INDICATORS,
    DURATION_INDICATORS,
    MINUTES_PER_UNIT,
    SLUG_PATTERN,
    TABLE_ORDER,
    TABLES,
    Table,
)

__all__ = ["DataError", "ValidationReport", "format_problem", "validate"]  # DataError: from io

_PROBLEM_COLUMNS = ["table", "file", "row", "column", "value", "problem"]
_COUNT_COLUMNS = ["table", "file", "rows_read", "rows_accepted", "rows_rejected"]


@dataclass
class ValidationReport:
    """Outcome of :func:`validate`.

    Attributes
    ----------
    ok : bool
        True when no error was found (warnings do not count).
    errors, warnings : pandas.DataFrame
        One row per problem with columns ``table``, ``file``, ``row`` (spreadsheet-style: the
        header is row 1), ``column``, ``value`` and ``problem``. ``row`` is empty for a problem
        with a whole file.
    counts : pandas.DataFrame
        One row per table: ``table``, ``file``, ``rows_read``, ``rows_accepted``,
        ``rows_rejected``.
    rejected : dict of str to pandas.DataFrame
        The rejected rows of each table as they were read, with ``_row`` and ``_problems``.
    """

    source: str
    errors: pd.DataFrame
    warnings: pd.DataFrame
    counts: pd.DataFrame
    rejected: dict[str, pd.DataFrame] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return self.errors.empty

    def write_quarantine(self, directory: str | Path) -> list[Path]:
        """Write each table's rejected rows to ``<directory>/<table>.quarantine.csv``.

        The files are UTF-8 with a BOM (Excel opens them with Cyrillic intact) and hold the
        original cells plus ``_row`` and ``_problems``. Returns the paths written.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for table, frame in self.rejected.items():
            if frame.empty:
                continue
            path = directory / f"{table}.quarantine.csv"
            frame.to_csv(path, index=False, encoding="utf-8-sig")
            written.append(path)
        return written

    def describe_errors(self, limit: int | None = 20) -> str:
        """The errors as readable lines, ``file, row N, column: problem (value)``."""
        if self.errors.empty:
            return f"{self.source}: no errors"
        lines = [f"{self.source}: {len(self.errors)} problem(s) found"]
        shown = self.errors if limit is None else self.errors.head(limit)
        for r in shown.itertuples(index=False):
            lines.append("  " + format_problem(r))
        if limit is not None and len(self.errors) > limit:
            lines.append(f"  … and {len(self.errors) - limit} more")
        return "\n".join(lines)

    def __str__(self) -> str:  # pragma: no cover - convenience
        return self.describe_errors()


def format_problem(r) -> str:
    """One problem row (of ``errors`` or ``warnings``) as ``file, row N, column C: problem``."""
    where = r.file
    if pd.notna(r.row):
        where += f", row {int(r.row)}"
    if isinstance(r.column, str) and r.column:
        where += f", column {r.column}"
    value = (
        "" if (r.value is None or pd.isna(r.value) or r.value == "") else f" (value: {r.value!r})"
    )
    return f"{where}: {r.problem}{value}"


# --------------------------------------------------------------------------- collecting problems


class _Problems:
    def __init__(self):
        self._parts: list[pd.DataFrame] = []

    def add(self, table, file, rows, column, values, problem):
        rows = np.atleast_1d(np.asarray(rows, dtype=object))
        if rows.size == 0:
            return
        if values is None:
            values = [None] * rows.size
        vals = [
            None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)
            for v in values
        ]
        problems = (
            problem
            if isinstance(problem, list | np.ndarray | pd.Series)
            else [problem] * rows.size
        )
        self._parts.append(
            pd.DataFrame(
                {
                    "table": table,
                    "file": file,
                    "row": pd.array(rows, dtype="Int64"),
                    "column": column,
                    "value": pd.array(vals, dtype="string"),
                    "problem": list(problems),
                }
            )
        )

    def has_path_problem(self) -> bool:
        """True when a problem recorded so far concerns the dataset path itself."""
        return any((part["table"] == "").any() for part in self._parts)

    def frame(self) -> pd.DataFrame:
        if not self._parts:
            return _empty_problems()
        return pd.concat(self._parts, ignore_index=True)[_PROBLEM_COLUMNS]


def _empty_problems() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "table": pd.Series(dtype="string"),
            "file": pd.Series(dtype="string"),
            "row": pd.Series(dtype="Int64"),
            "column": pd.Series(dtype="string"),
            "value": pd.Series(dtype="string"),
            "problem": pd.Series(dtype="string"),
        }
    )


# --------------------------------------------------------------------------- one table


class _TableCheck:
    """Converts and checks one raw table, accumulating per-row problems."""

    def __init__(self, raw: RawTable, spec: Table, errors: _Problems, warnings: _Problems):
        self.raw, self.spec, self.errors, self.warnings = raw, spec, errors, warnings
        self.n = len(raw.frame)
        self.reasons: list[list[str]] = [[] for _ in range(self.n)]
        self.reject = np.zeros(self.n, dtype=bool)
        self.values: pd.DataFrame | None = None
        self.text: pd.DataFrame | None = None  # original cells under canonical names

    def fail(self, mask, column, problem, values=None, *, warn=False):
        mask = np.asarray(mask, dtype=bool)
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return
        shown = None if values is None else np.asarray(values, dtype=object)[idx]
        messages = problem[idx] if isinstance(problem, np.ndarray) else problem
        target = self.warnings if warn else self.errors
        target.add(self.spec.name, self.raw.file, self.raw.rows[idx], column, shown, messages)
        if not warn:
            self.reject[idx] = True
            msgs = messages if isinstance(messages, np.ndarray) else [messages] * idx.size
            for i, m in zip(idx, msgs, strict=True):
                self.reasons[i].append(f"{column}: {m}" if column else str(m))

    def convert(self) -> bool:
        frame, unknown, missing, suggestions = map_headers(self.raw.frame, self.spec)
        for h in unknown:
            self.warnings.add(
                self.spec.name, self.raw.file, [None], h, None, "column not recognised; ignored"
            )
        if missing:
            for col in missing:
                hint = f"; did you mean {suggestions[col]!r}?" if col in suggestions else ""
                self.errors.add(
                    self.spec.name,
                    self.raw.file,
                    [None],
                    col,
                    None,
                    f"required column is missing{hint}",
                )
            for reasons in self.reasons:
                reasons.append("file lacks required column(s): " + ", ".join(missing))
            self.reject[:] = True
            return False
        self.text = frame
        converted = {}
        for col in self.spec.columns:
            if col.name not in frame.columns:
                converted[col.name] = empty_table(self.spec.name)[col.name].reindex(range(self.n))
                continue
            s = frame[col.name]
            values, bad = convert_column(s, col)
            self.fail(bad, col.name, _BAD_CELL[col.kind](col), s.to_numpy())
            converted[col.name] = values.reset_index(drop=True)
            if col.required and not col.nullable:
                self.fail(values.isna().to_numpy() & ~bad, col.name, "required value is missing")
            if col.kind == "id":
                slug = values.astype("string").str.fullmatch(SLUG_PATTERN.pattern)
                ok = slug.fillna(True).to_numpy(dtype=bool)
                self.fail(
                    ~ok,
                    col.name,
                    "not a safe ASCII id (letters, digits, '-' and '_', at most 64 characters)",
                    s.to_numpy(),
                )
            if col.min_value is not None:
                below = (values < col.min_value).fillna(False).to_numpy(dtype=bool)
                msg = (
                    "negative value not allowed"
                    if col.min_value == 0
                    else f"must be at least {col.min_value:g}"
                )
                self.fail(below, col.name, msg, s.to_numpy())
            if col.max_value is not None:
                above = (values > col.max_value).fillna(False).to_numpy(dtype=bool)
                self.fail(above, col.name, f"must be at most {col.max_value:g}", s.to_numpy())
        self.values = pd.DataFrame(converted)
        return True

    def check_duplicates(self):
        key = list(self.spec.key)
        v = self.values
        must = [
            k for k in key if self.spec.column(k).required and not self.spec.column(k).nullable
        ]
        present = v[must].notna().all(axis=1).to_numpy()
        keyed = v[key].astype("string").fillna("").agg("\x1f".join, axis=1)
        dup = keyed.duplicated(keep="first").to_numpy() & present
        if dup.any():
            first = (
                pd.Series(self.raw.rows, index=keyed.index)
                .groupby(keyed.to_numpy())
                .transform("first")
            )
            label = " + ".join(key)
            msgs = np.array(
                [f"duplicate {label} (first at row {r})" for r in first.to_numpy()], dtype=object
            )
            shown = keyed.str.replace("\x1f", " / ", regex=False).str.strip(" /").to_numpy()
            self.fail(dup, must[-1], msgs, shown)

    def check_references(self, accepted: dict[str, set[str]]):
        for col in self.spec.columns:
            if not col.references or col.name not in self.values:
                continue
            ref_table, _ref_col = col.references.split(".")
            known = accepted.get(ref_table, set())
            v = self.values[col.name]
            unknown = v.notna().to_numpy() & ~v.isin(known).to_numpy() & ~self.reject
            noun = ref_table[:-1] if not ref_table.endswith("ies") else ref_table[:-3] + "y"
            self.fail(
                unknown,
                col.name,
                f"unknown {noun} (not in {ref_table}, or rejected there)",
                v.to_numpy(),
            )

    def result(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        accepted = (
            self.values.loc[~self.reject].reset_index(drop=True)
            if self.values is not None
            else None
        )
        rej = self.raw.frame.loc[self.reject].copy()
        rej.insert(0, "_row", self.raw.rows[self.reject])
        rej["_problems"] = [
            "; ".join(r) for r, x in zip(self.reasons, self.reject, strict=True) if x
        ]
        return accepted, rej.reset_index(drop=True)


_BAD_CELL = {
    "id": lambda c: "not an id",
    "text": lambda c: "not text",
    "float": lambda c: "not a number",
    "int": lambda c: "not a whole number",
    "date": lambda c: "not a date (write 2023-03-09 or 09.03.2023)",
    "datetime": lambda c: "not a date/time (write 2023-03-09 14:30 or 09.03.2023 14:30)",
    "bool": lambda c: "not yes/no (write да/нет, 1/0 or true/false)",
    "category": lambda c: "unknown value; allowed: " + ", ".join(c.categories),
    "quarter": lambda c: "not a quarter (write 2023Q1)",
}


# --------------------------------------------------------------------------- table-specific rules


def _rules(check: _TableCheck) -> None:
    v, name = check.values, check.spec.name
    shown = lambda col: check.text[col].to_numpy() if col in check.text else None  # noqa: E731

    def before(later, earlier, message, *, warn=False):
        mask = (v[later] < v[earlier]).fillna(False).to_numpy(dtype=bool)
        check.fail(mask, later, message, shown(later), warn=warn)

    if name == "municipalities":
        before("valid_to", "valid_from", "valid_to is before valid_from")
    elif name == "institutions":
        mask = (v["model_level"] == "none").fillna(False).to_numpy(dtype=bool) & v[
            "model_since"
        ].notna().to_numpy()
        check.fail(
            mask,
            "model_since",
            "model_since is set but model_level is none",
            shown("model_since"),
            warn=True,
        )
    elif name == "projects":
        before("planned_end", "start_date", "planned_end is before start_date")
        before("actual_end", "start_date", "actual_end is before start_date")
        closed = (v["stage"] == "closed").fillna(False).to_numpy(dtype=bool)
        check.fail(
            closed & v["actual_end"].isna().to_numpy(),
            "actual_end",
            "closed project has no actual_end",
            warn=True,
        )
    elif name == "passport":
        ind, unit = v["indicator"], v["unit"]
        dur = ind.isin(DURATION_INDICATORS).to_numpy()
        cnt = ind.isin(COUNT_INDICATORS).to_numpy()
        sat = (ind == "satisfaction").fillna(False).to_numpy(dtype=bool)
        has = unit.notna().to_numpy()
        bad = has & (
            (dur & ~unit.isin(["min", "h", "day", "workday"]).to_numpy())
            | (cnt & (unit != "count").fillna(True).to_numpy(dtype=bool))
            | (sat & (unit != "pct").fillna(True).to_numpy(dtype=bool))
        )
        msgs = np.array(
            [
                f"unit {u!r} does not fit indicator {i!r}"
                for u, i in zip(unit.fillna(""), ind.fillna(""), strict=True)
            ],
            dtype=object,
        )
        check.fail(bad, "unit", msgs, shown("unit"))
        frac = (v["value"] != v["value"].round()).fillna(False).to_numpy(dtype=bool)
        check.fail(cnt & frac, "value", "a count must be a whole number", shown("value"))
        _lead_not_below_process(check, v, unit)
        over = ((unit == "pct") & (v["value"] > 100)).fillna(False).to_numpy(dtype=bool)
        check.fail(over, "value", "a percentage must be at most 100", shown("value"))
        # calendar and working-day units never mixed silently within one project's indicator
        workday = (unit == "workday").fillna(False).to_numpy(dtype=bool)
        basis = pd.Series(np.where(workday, "working", "calendar"), index=v.index)
        live = dur & has & ~check.reject
        grp = (
            v["project_id"].astype("string").fillna("") + "\x1f" + ind.astype("string").fillna("")
        )
        mixed = (
            basis.where(live).groupby(grp.where(live)).transform("nunique").fillna(0).to_numpy()
            > 1
        ) & live
        check.fail(
            mixed,
            "unit",
            "mixes calendar (min, h, day) and working-day units across phases of this indicator; "
            "convert them to one basis",
            shown("unit"),
        )
    elif name == "cases":
        before("completed", "received", "completed is before received")
        lead_min = (v["completed"] - v["received"]) / pd.Timedelta(minutes=1)
        zero = (lead_min == 0).fillna(False).to_numpy(dtype=bool)
        check.fail(
            zero,
            "completed",
            "zero lead time (completed when received): savings estimates refuse zero durations",
            shown("completed"),
            warn=True,
        )
        over = (v["work_min"] > lead_min).fillna(False).to_numpy(dtype=bool)
        check.fail(
            over,
            "work_min",
            "staff time exceeds the case's lead time",
            shown("work_min"),
            warn=True,
        )
    elif name == "engagement":
        mask = (v["staff_trained"] > v["staff_total"]).fillna(False).to_numpy(dtype=bool)
        check.fail(
            mask, "staff_trained", "more staff trained than staff in total", shown("staff_trained")
        )
        mask = (
            (v["proposals_implemented"] > v["proposals_submitted"])
            .fillna(False)
            .to_numpy(dtype=bool)
        )
        check.fail(
            mask,
            "proposals_implemented",
            "more proposals implemented than submitted this quarter (earlier proposals?)",
            shown("proposals_implemented"),
            warn=True,
        )


def _lead_not_below_process(check: _TableCheck, v: pd.DataFrame, unit: pd.Series) -> None:
    """Warn where a phase's lead time is shorter than its processing (touch) time."""
    minutes = v["value"] * unit.map(MINUTES_PER_UNIT).astype("float64")
    key = (
        v["project_id"].astype("string").fillna("")
        + "\x1f"
        + v["phase"].astype("string").fillna("")
    )
    lead = (
        minutes.where((v["indicator"] == "lead_time").fillna(False)).groupby(key).transform("max")
    )
    proc = (v["indicator"] == "process_time").fillna(False).to_numpy(dtype=bool)
    short = proc & (minutes > lead).fillna(False).to_numpy(dtype=bool)
    check.fail(
        short,
        "value",
        "processing time is longer than the lead time of the same phase",
        check.text["value"].to_numpy() if "value" in check.text else None,
        warn=True,
    )


# --------------------------------------------------------------------------- the dataset


def _locate(path: Path, errors: _Problems, warnings: _Problems) -> dict[str, RawTable]:
    """Find and read the tables under ``path``; file-level failures become errors."""
    raws: dict[str, RawTable] = {}
    bad_lines: list[tuple[RawTable, list]] = []
    if path.is_file():
        if path.suffix.lower() not in WORKBOOK_SUFFIXES:
            errors.add(
                "",
                path.name,
                [None],
                "",
                None,
                "a dataset is a folder of CSV/Parquet files or one .xlsx workbook",
            )
            return raws
        try:
            raws, ignored = read_workbook(path)
        except ReadFailure as e:
            errors.add("", path.name, [None], "", None, str(e))
            return raws
        for sheet in ignored:
            if normalize_label(sheet) in {normalize_label(n) for n in REFERENCE_SHEETS}:
                continue
            warnings.add(
                "",
                f"{path.name}[{sheet}]",
                [None],
                "",
                None,
                "sheet is not a known table; ignored",
            )
        return raws
    if not path.is_dir():
        errors.add("", path.name or str(path), [None], "", None, "no such file or folder")
        return raws
    seen: dict[str, str] = {}
    for f in sorted(path.iterdir()):
        if f.name.startswith(".") or not f.is_file():
            continue
        suffix = f.suffix.lower()
        if suffix not in TABLE_SUFFIXES:
            if suffix in WORKBOOK_SUFFIXES:
                warnings.add(
                    "",
                    f.name,
                    [None],
                    "",
                    None,
                    "workbook inside a dataset folder; ignored (validate it on its own)",
                )
            continue
        table = table_for_name(f.stem)
        if table is None:
            warnings.add("", f.name, [None], "", None, "file is not a known table; ignored")
            continue
        if table in seen:
            errors.add(
                table,
                f.name,
                [None],
                "",
                None,
                f"a second file for table {table} (first: {seen[table]}); ignored",
            )
            continue
        seen[table] = f.name
        try:
            raw, bad = read_table_file(f, table)
        except ReadFailure as e:
            errors.add(table, f.name, [None], "", None, str(e))
            raws[table] = RawTable(table, f.name, pd.DataFrame(), np.zeros(0, dtype=np.int64))
            continue
        raws[table] = raw
        if bad:
            bad_lines.append((raw, bad))
    for raw, bad in bad_lines:
        raw.bad_lines = bad  # type: ignore[attr-defined]
    return raws


def validate(path: str | Path) -> ValidationReport:
    """Read and check a dataset, accepting or rejecting every row.

    Parameters
    ----------
    path : str or Path
        A folder of CSV/Parquet files named after the tables, or one ``.xlsx`` workbook.

    Returns
    -------
    ValidationReport
        ``ok``, ``errors``, ``warnings``, ``counts`` and the ``rejected`` rows. For every table
        ``rows_read == rows_accepted + rows_rejected``.

    Examples
    --------
    >>> import effmuni as em
    >>> report = em.validate(em.sample_path())
    >>> report.ok
    True
    >>> bool((report.counts.rows_read == report.counts.rows_accepted + report.counts.rows_rejected).all())
    True
    """
    path = Path(path)
    errors, warnings = _Problems(), _Problems()
    raws = _locate(path, errors, warnings)
    label = path.name or str(path)
    path_failed = not raws and errors.has_path_problem()
    accepted_ids: dict[str, set[str]] = {}
    tables: dict[str, pd.DataFrame] = {}
    rejected: dict[str, pd.DataFrame] = {}
    counts = []
    for name in TABLE_ORDER:
        spec = TABLES[name]
        raw = raws.get(name)
        if raw is None:
            if not spec.optional and not path_failed:
                errors.add(name, label, [None], "", None, f"required table {name} not found")
            tables[name] = empty_table(name)
            accepted_ids[name] = set()
            continue
        extra_rejects = getattr(raw, "bad_lines", [])
        check = _TableCheck(raw, spec, errors, warnings)
        if len(raw.frame.columns) and check.convert():
            check.check_duplicates()
            _rules(check)
            if any(c.references and c.references.startswith(name + ".") for c in spec.columns):
                # a table referencing itself (successor_id) sees its own valid ids
                accepted_ids[name] = set(check.values.loc[~check.reject, spec.key[0]].dropna())
            check.check_references(accepted_ids)
        accepted, rej = check.result()
        if accepted is None:
            accepted = empty_table(name)
        for line, problem in extra_rejects:
            errors.add(name, raw.file, [line], "", None, problem)
        if extra_rejects:
            extra = pd.DataFrame(
                {"_row": [r for r, _ in extra_rejects], "_problems": [p for _, p in extra_rejects]}
            )
            rej = pd.concat([rej, extra], ignore_index=True)
        tables[name] = accepted
        rejected[name] = rej
        key = spec.key[0]
        if len(spec.key) == 1:
            accepted_ids[name] = set(accepted[key].dropna())
        counts.append(
            {
                "table": name,
                "file": raw.file,
                "rows_read": len(raw.frame) + len(extra_rejects),
                "rows_accepted": len(accepted),
                "rows_rejected": len(rej),
            }
        )
    err = errors.frame()
    if not err.empty:
        order = {t: i for i, t in enumerate(("",) + TABLE_ORDER)}
        err = err.assign(_o=err["table"].map(order)).sort_values(
            ["_o", "row"], kind="stable", na_position="first"
        )
        err = err.drop(columns="_o").reset_index(drop=True)
    return ValidationReport(
        source=label,
        errors=err,
        warnings=warnings.frame(),
        counts=pd.DataFrame(counts, columns=_COUNT_COLUMNS),
        rejected=rejected,
        tables=tables,
    )
