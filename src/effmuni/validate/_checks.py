"""Checks of one table: cells converted to their kinds, then the table-specific rules.

Every problem is a :class:`~effmuni.io.Problem` (a code and parameters, no language); the
column it concerns is named as the file spells its header (parameter ``header``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..io import Problem, RawTable, convert_column, empty_table, map_headers, near_miss_pair
from ..schema import (
    COUNT_INDICATORS,
    DURATION_INDICATORS,
    MINUTES_PER_UNIT,
    SLUG_PATTERN,
    Column,
    Table,
)
from ._problems import Problems


def _expected_header(col: Column, near: str | None = None) -> str:
    """The header a file should carry for ``col``: ``near`` when Russian, else the first Russian."""
    if near is not None and not near.isascii():
        return near
    return next((a for a in col.aliases if not a.isascii()), col.name)


def _bad_cell(col: Column) -> Problem:
    if col.kind == "category":
        return Problem("bad_category", {"column": col.name, "allowed": list(col.categories)})
    return Problem(f"bad_{col.kind}")


class TableCheck:
    """Converts and checks one raw table, accumulating per-row problems."""

    def __init__(self, raw: RawTable, spec: Table, errors: Problems, warnings: Problems):
        self.raw, self.spec, self.errors, self.warnings = raw, spec, errors, warnings
        self.n = len(raw.frame)
        self.reasons: list[list[Problem]] = [[] for _ in range(self.n)]
        self.reject = np.zeros(self.n, dtype=bool)
        self.values: pd.DataFrame | None = None
        self.text: pd.DataFrame | None = None  # original cells under canonical names
        self.headers: dict[str, str] = {}  # canonical name -> header as the file spells it

    def header(self, column: str) -> str:
        return self.headers.get(column, column)

    def _located(self, problem: Problem | str, column: str) -> Problem:
        if not isinstance(problem, Problem):  # a message not in the catalogue yet: as written
            problem = Problem("text", {"text": str(problem)})
        if not column or "header" in problem.params:
            return problem
        return Problem(problem.code, {**problem.params, "header": self.header(column)})

    def fail(self, mask, column, problem, values=None, *, warn=False):
        """Record ``problem`` (one, or an array of one per row) where ``mask`` is true.

        A problem is a :class:`~effmuni.io.Problem`; plain text is kept as written (in both
        languages) until its words move to the catalogue.
        """
        mask = np.asarray(mask, dtype=bool)
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return
        shown = None if values is None else np.asarray(values, dtype=object)[idx]
        if isinstance(problem, np.ndarray):
            found = [self._located(p, column) for p in problem[idx]]
        else:
            found = [self._located(problem, column)] * idx.size
        target = self.warnings if warn else self.errors
        target.add(self.spec.name, self.raw.file, self.raw.rows[idx], column, shown, found)
        if not warn:
            self.reject[idx] = True
            for i, p in zip(idx, found, strict=True):
                self.reasons[i].append(p)

    def _missing(self, missing: list[str], suggestions: dict[str, str]) -> None:
        for name in missing:
            col = self.spec.column(name)
            pair = None
            if name in suggestions:
                pair = near_miss_pair((name, *col.aliases), [suggestions[name]])
            params = {"name": name, "expected": _expected_header(col, pair and pair[1])}
            if pair is None:
                problem = Problem("missing_column", {**params, "header": None})
            else:
                problem = Problem("missing_column_near", {**params, "header": pair[0]})
            self.errors.add(self.spec.name, self.raw.file, [None], name, None, problem)
        expected = [_expected_header(self.spec.column(c)) for c in missing]
        lacks = Problem("rows_missing_columns", {"columns": expected})
        for reasons in self.reasons:
            reasons.append(lacks)
        self.reject[:] = True

    def convert(self) -> bool:
        frame, unknown, missing, suggestions, self.headers = map_headers(self.raw.frame, self.spec)
        for h in unknown:
            problem = Problem("unknown_column", {"header": h})
            self.warnings.add(self.spec.name, self.raw.file, [None], h, None, problem)
        if missing:
            self._missing(missing, suggestions)
            return False
        self.text = frame
        converted = {}
        for col in self.spec.columns:
            if col.name not in frame.columns:
                converted[col.name] = empty_table(self.spec.name)[col.name].reindex(range(self.n))
                continue
            s = frame[col.name]
            values, bad, why = convert_column(s, col, reasons=True)
            for code in ("excel_error", "not_finite", "date_out_of_range"):
                self.fail(bad & (why == code), col.name, Problem(code), s.to_numpy())
            self.fail(bad & pd.isna(why), col.name, _bad_cell(col), s.to_numpy())
            converted[col.name] = values.reset_index(drop=True)
            if col.required and not col.nullable:
                # an empty cell, or one that says "no value" (NULL, #Н/Д, -): shown as written
                missing_value = values.isna().to_numpy() & ~bad
                self.fail(missing_value, col.name, Problem("required_missing"), s.to_numpy())
            if col.kind == "id":
                slug = values.astype("string").str.fullmatch(SLUG_PATTERN.pattern)
                ok = slug.fillna(True).to_numpy(dtype=bool)
                self.fail(~ok, col.name, Problem("unsafe_id"), s.to_numpy())
            if col.min_value is not None:
                below = (values < col.min_value).fillna(False).to_numpy(dtype=bool)
                low = (
                    Problem("negative")
                    if col.min_value == 0
                    else Problem("below_min", {"min": f"{col.min_value:g}"})
                )
                self.fail(below, col.name, low, s.to_numpy())
            if col.max_value is not None:
                above = (values > col.max_value).fillna(False).to_numpy(dtype=bool)
                high = Problem("above_max", {"max": f"{col.max_value:g}"})
                self.fail(above, col.name, high, s.to_numpy())
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
            names = " + ".join(self.header(k) for k in key)
            msgs = np.array(
                [
                    Problem("duplicate", {"names": names, "first": int(r)})
                    for r in first.to_numpy()
                ],
                dtype=object,
            )
            shown = keyed.str.replace("\x1f", " / ", regex=False).str.strip(" /").to_numpy()
            self.fail(dup, must[-1], msgs, shown)

    def check_shared(self, shared: dict[str, list]) -> None:
        """Reject rows whose key another region uses too (``shared``: id -> its regions).

        Partitions are checked one region at a time; an id that names units of two regions
        (a report per id, a region looked up by id) cannot be told apart, so every row with it
        is rejected, in each region.
        """
        key = self.spec.key[0]
        if not shared or key not in self.values:
            return
        ids = self.values[key].astype("string").str.strip()
        hit = ids.isin(list(shared)).fillna(False).to_numpy(dtype=bool)
        if not hit.any():
            return
        worded = {
            i: Problem("id_in_regions", {"regions": ", ".join(str(r) for r in regions)})
            for i, regions in shared.items()
        }  # one problem an id (few), given to its rows
        problems = ids.map(worded).to_numpy(dtype=object)
        self.fail(hit, key, problems, ids.to_numpy(dtype=object))

    def check_references(self, accepted: dict[str, set[str]], unusable: set[str] = frozenset()):
        """Reject rows whose reference is not among the ``accepted`` ids of its table.

        A reference to a table in ``unusable`` (absent, or unreadable as a whole) is not
        checked: one problem says so for the column, and the rows stay accepted.
        """
        for col in self.spec.columns:
            if not col.references or col.name not in self.values:
                continue
            ref_table, _ref_col = col.references.split(".")
            v = self.values[col.name]
            if ref_table in unusable:
                n = int(v.notna().sum())
                if n:
                    note = Problem(
                        "references_not_checked",
                        {"table": ref_table, "n": n, "header": self.header(col.name)},
                    )
                    self.errors.add(self.spec.name, self.raw.file, [None], col.name, None, note)
                continue
            known = accepted.get(ref_table, set())
            unknown = v.notna().to_numpy() & ~v.isin(known).to_numpy() & ~self.reject
            problem = Problem("unknown_reference", {"table": ref_table})
            self.fail(unknown, col.name, problem, v.to_numpy())

    def result(self, lang: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The accepted rows, and the rejected rows as read with ``_row`` and ``_problems``."""
        accepted = (
            self.values.loc[~self.reject].reset_index(drop=True)
            if self.values is not None
            else None
        )
        rej = self.raw.frame.loc[self.reject].copy()
        rej.columns = _unique_names(rej.columns)  # a file may repeat a header
        rej.insert(0, "_row", self.raw.rows[self.reject])
        rej["_problems"] = [
            "; ".join(reason(p, lang) for p in r)
            for r, x in zip(self.reasons, self.reject, strict=True)
            if x
        ]
        return accepted, rej.reset_index(drop=True)


def _unique_names(names) -> list[str]:
    """Column names made unique as pandas reads them: a repeated ``x`` becomes ``x.1``, ..."""
    seen: dict[str, int] = {}
    out = []
    for name in map(str, names):
        n = seen.get(name, 0)
        seen[name] = n + 1
        out.append(name if n == 0 else f"{name}.{n}")
    return out


def reason(problem: Problem, lang: str) -> str:
    """One reason of a rejected row: ``header: problem`` (the problem alone for a file)."""
    header = problem.params.get("header")
    return f"{header}: {problem.text(lang)}" if header else problem.text(lang)


# --------------------------------------------------------------------------- table-specific rules


def table_rules(check: TableCheck) -> None:
    """The rules of one table beyond its cells (dates in order, units that fit, ...)."""
    v, name = check.values, check.spec.name
    shown = lambda col: check.text[col].to_numpy() if col in check.text else None  # noqa: E731

    def before(later, earlier, *, warn=False):
        mask = (v[later] < v[earlier]).fillna(False).to_numpy(dtype=bool)
        problem = Problem(
            "before", {"later": check.header(later), "earlier": check.header(earlier)}
        )
        check.fail(mask, later, problem, shown(later), warn=warn)

    if name == "municipalities":
        before("valid_to", "valid_from")
    elif name == "institutions":
        mask = (v["model_level"] == "none").fillna(False).to_numpy(dtype=bool) & v[
            "model_since"
        ].notna().to_numpy()
        problem = Problem("model_since_without_model", {"level": check.header("model_level")})
        check.fail(mask, "model_since", problem, shown("model_since"), warn=True)
    elif name == "projects":
        before("planned_end", "start_date")
        before("actual_end", "start_date")
        closed = (v["stage"] == "closed").fillna(False).to_numpy(dtype=bool)
        check.fail(
            closed & v["actual_end"].isna().to_numpy(),
            "actual_end",
            Problem("closed_without_end"),
            warn=True,
        )
    elif name == "passport":
        _passport_rules(check, v, shown)
    elif name == "cases":
        before("completed", "received")
        lead_min = (v["completed"] - v["received"]) / pd.Timedelta(minutes=1)
        zero = (lead_min == 0).fillna(False).to_numpy(dtype=bool)
        check.fail(zero, "completed", Problem("zero_lead_time"), shown("completed"), warn=True)
        over = (v["work_min"] > lead_min).fillna(False).to_numpy(dtype=bool)
        check.fail(over, "work_min", Problem("work_over_lead"), shown("work_min"), warn=True)
    elif name == "engagement":
        mask = (v["staff_trained"] > v["staff_total"]).fillna(False).to_numpy(dtype=bool)
        problem = Problem("trained_over_total", {"total": check.header("staff_total")})
        check.fail(mask, "staff_trained", problem, shown("staff_trained"))
        mask = (
            (v["proposals_implemented"] > v["proposals_submitted"])
            .fillna(False)
            .to_numpy(dtype=bool)
        )
        check.fail(
            mask,
            "proposals_implemented",
            Problem("implemented_over_submitted"),
            shown("proposals_implemented"),
            warn=True,
        )


def _passport_rules(check: TableCheck, v: pd.DataFrame, shown) -> None:
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
    # the unit and indicator as the file writes them
    units = check.text["unit"].astype("string").fillna("")
    indicators = check.text["indicator"].astype("string").fillna("")
    msgs = np.array(
        [
            Problem("unit_misfit", {"unit": u, "indicator": i})
            for u, i in zip(units, indicators, strict=True)
        ],
        dtype=object,
    )
    check.fail(bad, "unit", msgs, shown("unit"))
    frac = (v["value"] != v["value"].round()).fillna(False).to_numpy(dtype=bool)
    check.fail(cnt & frac, "value", Problem("count_not_whole"), shown("value"))
    _lead_not_below_process(check, v, unit)
    over = ((unit == "pct") & (v["value"] > 100)).fillna(False).to_numpy(dtype=bool)
    check.fail(over, "value", Problem("pct_over_100"), shown("value"))
    # calendar and working-day units never mixed silently within one project's indicator
    workday = (unit == "workday").fillna(False).to_numpy(dtype=bool)
    basis = pd.Series(np.where(workday, "working", "calendar"), index=v.index)
    live = dur & has & ~check.reject
    grp = v["project_id"].astype("string").fillna("") + "\x1f" + ind.astype("string").fillna("")
    mixed = (
        basis.where(live).groupby(grp.where(live)).transform("nunique").fillna(0).to_numpy() > 1
    ) & live
    check.fail(mixed, "unit", Problem("mixed_units"), shown("unit"))


def _lead_not_below_process(check: TableCheck, v: pd.DataFrame, unit: pd.Series) -> None:
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
        Problem("process_over_lead"),
        check.text["value"].to_numpy() if "value" in check.text else None,
        warn=True,
    )
