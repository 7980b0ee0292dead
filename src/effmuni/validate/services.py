"""Validation rules of the service statistics beyond the data dictionary's generic ones.

The dictionary already checks kinds (a month is ``2023-01`` or ``01.2023``), negative and
non-numeric counts and lead times, duplicate municipality-service-months and unknown
municipalities. :func:`service_rules` adds the rules that need more than one cell:

errors (the row is rejected)
    a mean or median lead time given for a month with no completed case; a month in which the
    municipality did not exist (before ``valid_from`` or after ``valid_to``, e.g. after a
    merger: its figures belong to the successor); a month after the data were exported (after
    the extract date, or after the current month when none is declared).
warnings (the row is kept)
    a mean lead time of zero with completed cases (the causal-effects analysis works on the
    log of the lead time and leaves such months out); a month more than five years before the
    first project started (probably a mistyped year); months missing inside a municipality's
    series of a service (the analysis treats the series as unbalanced).

:func:`effmuni.validate` calls :func:`service_rules` once per table, after its own rules; it
does nothing for the other tables. Problems are :class:`effmuni.io.Problem` codes worded from
the catalogue (``val_svc_<code>``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..io import Problem

__all__ = ["service_rules"]

_YEARS_BEFORE_FIRST_PROJECT = 5


def service_rules(check, tables: dict[str, pd.DataFrame], *, extract_date=None) -> None:
    """Apply the service-statistics rules to one table being validated.

    Parameters
    ----------
    check
        The validator's per-table check: uses ``check.spec.name``, ``check.values`` (converted
        cells under canonical names), ``check.text`` (the cells as written, for messages),
        ``check.reject`` (rows already rejected) and
        ``check.fail(mask, column, problem, values, warn=False)``.
    tables : dict of str to DataFrame
        The tables accepted so far (``municipalities`` and ``projects`` are read).
    extract_date : date-like, optional
        When the data were exported; months after it are errors. Without it, months after
        the current calendar month are.
    """
    if check.spec.name != "service_stats" or check.values is None:
        return
    v = check.values
    text = check.text

    def shown(col: str):
        return text[col].to_numpy() if text is not None and col in text else None

    n = v["n_completed"]
    none_done = (n == 0).fillna(False).to_numpy(dtype=bool)
    for col in ("mean_lead_days", "median_lead_days"):
        given = v[col].notna().to_numpy()
        check.fail(none_done & given, col, Problem("svc_lead_without_cases"), shown(col))
    zero = ((v["mean_lead_days"] == 0) & (n > 0)).fillna(False).to_numpy(dtype=bool)
    check.fail(
        zero, "mean_lead_days", Problem("svc_zero_lead"), shown("mean_lead_days"), warn=True
    )
    month = pd.PeriodIndex(v["month"].astype("string").fillna("NaT"), freq="M")
    _existence(check, v, month, tables.get("municipalities"), shown("month"))
    _span(check, month, tables.get("projects"), extract_date, shown("month"))
    _gaps(check, v, month)


def _existence(check, v, month: pd.PeriodIndex, munis, shown) -> None:
    """Months in which the municipality did not exist (before valid_from, after valid_to)."""
    if munis is None or munis.empty:
        return
    m = munis.set_index("municipality_id")
    ids = v["municipality_id"]
    start = ids.map(m["valid_from"]).to_numpy(dtype="datetime64[us]")
    end = ids.map(m["valid_to"]).to_numpy(dtype="datetime64[us]")
    first = month.to_timestamp(how="start").to_numpy(dtype="datetime64[us]")
    last = month.to_timestamp(how="end").to_numpy(dtype="datetime64[us]")
    with np.errstate(invalid="ignore"):
        after = ~np.isnat(end) & ~np.isnat(first) & (first > end)
        before = ~np.isnat(start) & ~np.isnat(last) & (last < start)
    successor = ids.map(m["successor_id"]) if "successor_id" in m else pd.Series(index=ids.index)
    problems = np.array(
        [
            Problem("svc_after_end_successor", {"end": f"{e:%Y-%m-%d}", "successor": s})
            if a and isinstance(s, str)
            else Problem("svc_after_end", {"end": f"{e:%Y-%m-%d}"} if a else {})
            for a, e, s in zip(
                after, pd.to_datetime(end), successor.astype(object).to_numpy(), strict=True
            )
        ],
        dtype=object,
    )
    check.fail(after, "month", problems, shown)
    check.fail(before, "month", Problem("svc_before_start"), shown)


def _span(check, month: pd.PeriodIndex, projects, extract_date, shown) -> None:
    """Months after the export (errors) or long before the first project (warnings)."""
    if extract_date is not None and not pd.isna(extract_date):
        limit = pd.Timestamp(extract_date).to_period("M")
        late_problem = Problem(
            "svc_after_extract", {"date": f"{pd.Timestamp(extract_date):%Y-%m-%d}"}
        )
    else:
        limit = pd.Timestamp.today().to_period("M")
        late_problem = Problem("svc_future")
    ok = ~month.isna()
    late = ok & (month > limit)
    check.fail(np.asarray(late), "month", late_problem, shown)
    if projects is None or projects.empty or projects["start_date"].isna().all():
        return
    first = projects["start_date"].min().to_period("M")
    early = ok & (month < first - 12 * _YEARS_BEFORE_FIRST_PROJECT)
    check.fail(
        np.asarray(early),
        "month",
        Problem("svc_long_before", {"years": _YEARS_BEFORE_FIRST_PROJECT, "first": str(first)}),
        shown,
        warn=True,
    )


def _gaps(check, v, month: pd.PeriodIndex) -> None:
    """Warn once per series with months missing between its first and last month."""
    live = ~check.reject & ~np.asarray(month.isna())
    if not live.any():
        return
    frame = pd.DataFrame(
        {
            "m": v["municipality_id"].to_numpy()[live],
            "s": v["service_id"].to_numpy()[live],
            "t": month.asi8[live],
            "row": np.flatnonzero(live),
        }
    )
    for (_, _), g in frame.groupby(["m", "s"], sort=False):
        have = np.unique(g["t"].to_numpy())
        missing = np.setdiff1d(np.arange(have[0], have[-1] + 1), have)
        if not len(missing):
            continue
        labels = [str(pd.Period(ordinal=int(t), freq="M")) for t in missing]
        shown = ", ".join(labels[:4]) + (", …" if len(labels) > 4 else "")
        mask = np.zeros(len(v), dtype=bool)
        after_gap = g.loc[g["t"] > missing[0], "row"].min()
        mask[int(after_gap)] = True
        check.fail(
            mask,
            "month",
            Problem("svc_gap", {"n": len(missing), "months": shown}),
            v["month"].astype(object).to_numpy(),
            warn=True,
        )
