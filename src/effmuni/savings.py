"""Time savings of lean projects, with honest uncertainty.

One estimator per source of evidence, and the arithmetic that turns a saving per case into a
year's worth of time:

- :func:`estimate_savings`: case timings before and after a project (the strongest evidence):
  means, medians, the saving, the percentage and the ratio of geometric means, with bootstrap
  confidence intervals;
- :func:`passport_savings`: the baseline, target, actual and follow-up values on the project
  card, with the regulation-limit and planned-value caveats as flags;
- :func:`map_savings`: the current, target and actual value-stream maps;
- :func:`project_savings`: one row per project from the best source it has;
- :func:`annual_effect`: citizen days and staff hours a year, kept apart.

Pooling across projects and target attainment are in :mod:`effmuni.pooling`; the statistics
are explained in plain words in ``docs/methods.md``.

The bootstrap
-------------
Every interval is a function of resampled means of ``x``, ``x²``, ``log x``, ``(log x)²`` (and
of the touch time), so a bootstrap replicate of a group is a row of a multinomial count matrix
``W`` (``n_boot × n``) times the group's centred data: the bootstrap is a few matrix products,
with no Python loop over replicates. Groups with the same number of cases in a phase share one
``W``, drawn from a seed derived from ``(seed, phase, n)`` only, so results do not depend on
how groups are chunked (chunks only bound the memory), and a project gets the same interval
whether it is estimated alone or with a thousand others. Replicates of different groups are
therefore not independent: nothing in effmuni sums replicates across groups (totals combine
per-project intervals instead, see :func:`annual_effect`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ._bootstrap import (
    _STREAM,
    MIN_CASES,
    _case_acceleration,
    _case_stats,
    _run_bootstrap,
    _Sample,
)
from .labels import check_lang, label, register, translate_columns

__all__ = [
    "HOURS_PER_FTE",
    "PROJECT_COLUMNS",
    "SAVINGS_COLUMNS",
    "annual_effect",
    "estimate_savings",
    "evidence_summary",
    "map_savings",
    "passport_savings",
    "project_savings",
    "translate_table",
]

#: interval methods; see ``docs/methods.md`` for the coverage study behind the default
CI_METHODS = ("symmetric", "studentized", "bca", "percentile")
#: working hours of one full-time equivalent a year: the 2023 norm of the Russian production
#: calendar for a 40-hour week (247 working days × 8 h, less 3 shortened pre-holiday days)
HOURS_PER_FTE = 1973.0
#: calendar days per working day (365.25 / 247), used only to put card values given in working
#: days on the calendar-day scale of the case timings; such rows carry a caveat
CALENDAR_DAYS_PER_WORKDAY = 365.25 / 247
#: touch time of one "working day" on a card, in minutes (an 8-hour day)
MINUTES_PER_WORKDAY = 480.0

#: output columns of :func:`estimate_savings` (after the ``by`` columns)
#: the lead-time estimate columns, shared by :func:`estimate_savings` and :func:`project_savings`
_LEAD_COLUMNS = (
    "n_before",
    "n_after",
    "n_open",
    "mean_before",
    "mean_after",
    "median_before",
    "median_after",
    "saving",
    "saving_low",
    "saving_high",
    "saving_pct",
    "saving_pct_low",
    "saving_pct_high",
    "ratio",
    "ratio_low",
    "ratio_high",
    "log_ratio",
    "log_ratio_se",
)
#: the staff touch-time columns, shared likewise
_WORK_COLUMNS = (
    "work_before_min",
    "work_after_min",
    "work_saving_min",
    "work_saving_min_low",
    "work_saving_min_high",
)
SAVINGS_COLUMNS = (*_LEAD_COLUMNS, "n_work_before", "n_work_after", *_WORK_COLUMNS, "note")


def _by_columns(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _check_positive(cases: pd.DataFrame, value: str, x: np.ndarray, used: np.ndarray) -> None:
    """Raise a ValueError naming the rows whose duration is zero, negative or infinite."""
    bad = used & ~np.isnan(x) & ((x <= 0) | np.isinf(x))
    if not bad.any():
        return
    labels = cases.index[bad]
    ids = cases["case_id"].to_numpy()[bad] if "case_id" in cases.columns else None
    shown = [
        f"row {labels[i]}" + (f" (case {ids[i]})" if ids is not None else "") + f": {v:g}"
        for i, v in enumerate(x[bad][:10])
    ]
    more = f"; and {int(bad.sum()) - 10} more" if bad.sum() > 10 else ""
    raise ValueError(
        f"{value} must be positive: {int(bad.sum())} completed case(s) have a zero, negative "
        f"or infinite duration (completed before or at receipt?): {'; '.join(shown)}{more}"
    )


def _check_params(confidence: float, n_boot: int, method: str) -> None:
    if method not in CI_METHODS:
        raise ValueError(f"method must be one of {', '.join(CI_METHODS)}, not {method!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence!r}")
    if n_boot != 0 and n_boot < 100:
        raise ValueError(f"n_boot must be 0 (no intervals) or at least 100, not {n_boot!r}")


def estimate_savings(
    cases: pd.DataFrame,
    by: str | Sequence[str] | None = "project_id",
    value: str = "lead_time_days",
    phase: str = "phase",
    before: str = "before",
    after: str = "after",
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
    *,
    work: str | None = "work_min",
    method: str = "symmetric",
) -> pd.DataFrame:
    """Time saved per group, from case timings before and after a project.

    Parameters
    ----------
    cases : pandas.DataFrame
        One row per case, e.g. ``Dataset.cases``, with the ``by`` column(s), ``phase`` and
        ``value`` (and ``work`` when present). A case whose ``value`` is missing is open (not
        completed): it is left out and counted in ``n_open``.
    by : str, list of str or None, default "project_id"
        Column(s) defining the groups (e.g. ``["municipality_id", "project_id"]``); None makes
        one group of all cases. Missing keys form a group of their own.
    value : str, default "lead_time_days"
        The duration to compare; it must be positive. Savings are in its unit.
    phase, before, after : str
        The phase column and its two values; rows with another phase are ignored.
    confidence : float, default 0.95
        Two-sided confidence level of every interval.
    n_boot : int, default 2000
        Bootstrap replicates: 0 for no intervals, otherwise at least 100.
    seed : int, default 0
        Seed of the bootstrap; the same seed gives the same numbers.
    work : str or None, default "work_min"
        Staff touch time per case, in minutes; its mean saving is ``work_saving_min``, over
        the completed cases where it is recorded. None or an absent column gives NaN.
    method : {"symmetric", "studentized", "bca", "percentile"}, default "symmetric"
        Bootstrap interval. The default, the symmetric bootstrap-t
        ``estimate ± q·se`` (``q``: the ``confidence`` quantile of ``|t*|``), is the one whose
        coverage stayed closest to nominal for lognormal lead times with 10–200 cases per
        phase; the ratio and percentage are computed on the log scale, so their intervals are
        asymmetric. ``docs/methods.md`` has the coverage table.

    Returns
    -------
    pandas.DataFrame
        One row per group, sorted by the ``by`` columns, which come first, then the columns
        of :data:`SAVINGS_COLUMNS`:

        ``n_before``, ``n_after``, ``n_open``
            Completed cases per phase; open cases in either phase.
        ``mean_before``, ``mean_after``, ``median_before``, ``median_after``
            Of ``value`` over the completed cases.
        ``saving``, ``saving_low``, ``saving_high``
            ``mean_before − mean_after`` (positive: faster) and its interval.
        ``saving_pct``, ``saving_pct_low``, ``saving_pct_high``
            ``100 × saving / mean_before``.
        ``ratio``, ``ratio_low``, ``ratio_high``
            Geometric mean after ÷ geometric mean before (below 1: faster).
        ``log_ratio``, ``log_ratio_se``
            ``log(ratio)`` and its bootstrap standard error (the input of the pooling).
        ``n_work_before``, ``n_work_after``, ``work_before_min``, ``work_after_min``
            Completed cases with a recorded touch time, and its mean per phase.
        ``work_saving_min``, ``work_saving_min_low``, ``work_saving_min_high``
            Mean touch time saved per case, minutes.
        ``note``
            Why an interval is missing (e.g. "fewer than 5 cases after"); empty otherwise.

        Groups with fewer than 5 completed cases in a phase keep their point estimates and
        get NaN intervals and a note; nothing raises for them.

    Raises
    ------
    ValueError
        A completed case with a zero, negative or infinite ``value`` (the rows are named), a
        missing column, or a bad parameter.

    See Also
    --------
    project_savings : one row per project, falling back to the project card.
    effmuni.pool_savings : random-effects pooling of the log ratios.

    Examples
    --------
    >>> import effmuni as em
    >>> ds = em.load_dataset("tests/data/mini")
    >>> s = em.estimate_savings(ds.cases)
    >>> s[["project_id", "n_before", "n_after", "n_open", "saving", "ratio"]].round(3)
      project_id  n_before  n_after  n_open  saving  ratio
    0         p1         3        2       1   6.951  0.314
    1         p3         1        1       0   1.000  0.500
    >>> s.loc[0, "note"]
    'fewer than 5 cases before; fewer than 5 cases after'
    """
    _check_params(confidence, n_boot, method)
    by_cols = _by_columns(by)
    missing = [c for c in dict.fromkeys([*by_cols, phase, value]) if c not in cases.columns]
    if missing:
        raise ValueError(f"cases has no column {', '.join(map(repr, missing))}")
    if not pd.api.types.is_numeric_dtype(cases[value]):
        raise ValueError(f"{value} must be numeric, not {cases[value].dtype}")

    if by_cols:
        grouped = cases.groupby(by_cols, sort=True, dropna=False, observed=True)
        codes = grouped.ngroup().to_numpy()
        keys = grouped.size().index.to_frame(index=False)
    else:
        codes = np.zeros(len(cases), dtype=np.intp)
        keys = pd.DataFrame(index=range(1))
    n_groups = len(keys)
    ph = cases[phase].astype("string").to_numpy(dtype=object, na_value=None)
    is_b, is_a = ph == before, ph == after
    x = cases[value].to_numpy(dtype=float, na_value=np.nan)
    _check_positive(cases, value, x, is_b | is_a)
    has_work = work is not None and work in cases.columns
    w = cases[work].to_numpy(dtype=float, na_value=np.nan) if has_work else np.full(len(x), np.nan)
    done = ~np.isnan(x)
    n_open = np.bincount(codes[(is_b | is_a) & ~done], minlength=n_groups)
    sel_b, sel_a = is_b & done, is_a & done
    use_work = bool(np.isfinite(w[sel_b | sel_a]).any())

    def sample(sel):
        with np.errstate(divide="ignore"):
            v = {"x": x[sel], "logx": np.log(x[sel])}
        if use_work:
            v["work"] = w[sel]
        return _Sample(codes[sel], v, n_groups)

    sb, sa = sample(sel_b), sample(sel_a)
    stat_fn = _case_stats(sb, sa)
    hat = stat_fn([sb.sums, sa.sums], np.arange(n_groups))
    eligible = np.flatnonzero((sb.n >= MIN_CASES) & (sa.n >= MIN_CASES))
    ci = _run_bootstrap(
        [(sb, _STREAM["before"]), (sa, _STREAM["after"])],
        stat_fn,
        eligible,
        n_boot=n_boot,
        seed=seed,
        alpha=1 - confidence,
        method=method,
        accel=_case_acceleration(sb, sa, n_groups) if method == "bca" else None,
        n_groups=n_groups,
    )
    nan = np.full(n_groups, np.nan)
    if use_work:
        nwb, nwa = sb.count["work"], sa.count["work"]
        work_ok = (nwb >= MIN_CASES) & (nwa >= MIN_CASES)
        work_cols = (sb.centre["work"], sa.centre["work"], hat["work"][0])
        work_ci = (
            np.where(work_ok, ci["work_low"], np.nan),
            np.where(work_ok, ci["work_high"], np.nan),
        )
    else:
        nwb = nwa = np.zeros(n_groups)
        work_ok = np.zeros(n_groups, dtype=bool)
        work_cols, work_ci = (nan, nan, nan), (nan, nan)

    med = pd.Series(x).groupby([codes, np.where(is_b, 0, np.where(is_a, 1, 2))]).median()
    med = med.unstack().reindex(index=range(n_groups), columns=[0, 1])
    mean_b, mean_a = sb.centre["x"], sa.centre["x"]
    saving = hat["saving"][0]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame(
            {
                "n_before": sb.n,
                "n_after": sa.n,
                "n_open": n_open,
                "mean_before": mean_b,
                "mean_after": mean_a,
                "median_before": med[0].to_numpy(dtype=float),
                "median_after": med[1].to_numpy(dtype=float),
                "saving": saving,
                "saving_low": ci["saving_low"],
                "saving_high": ci["saving_high"],
                "saving_pct": 100 * saving / mean_b,
                "saving_pct_low": -100 * np.expm1(ci["pct_high"]),
                "saving_pct_high": -100 * np.expm1(ci["pct_low"]),
                "ratio": np.exp(hat["ratio"][0]),
                "ratio_low": np.exp(ci["ratio_low"]),
                "ratio_high": np.exp(ci["ratio_high"]),
                "log_ratio": hat["ratio"][0],
                "log_ratio_se": ci["ratio_se"],
                "n_work_before": nwb.astype(np.int64),
                "n_work_after": nwa.astype(np.int64),
                "work_before_min": work_cols[0],
                "work_after_min": work_cols[1],
                "work_saving_min": work_cols[2],
                "work_saving_min_low": work_ci[0],
                "work_saving_min_high": work_ci[1],
                "note": _case_notes(sb.n, sa.n, nwb, nwa, work_ok, n_boot),
            }
        )
    return pd.concat([keys, out], axis=1)


def _case_notes(nb, na, nwb, nwa, work_ok, n_boot) -> pd.Series:
    parts = []
    for n, name in ((nb, "before"), (na, "after")):
        parts.append(
            np.where(
                n == 0,
                f"no completed cases {name}",
                np.where(n < MIN_CASES, f"fewer than {MIN_CASES} cases {name}", ""),
            )
        )
    some_work = ((nwb > 0) | (nwa > 0)) & ~work_ok & (nb >= MIN_CASES) & (na >= MIN_CASES)
    parts.append(np.where(some_work, f"touch time for fewer than {MIN_CASES} cases", ""))
    if n_boot == 0:
        parts.append(np.full(len(nb), "no bootstrap (n_boot=0)"))
    notes = ["; ".join(p for p in row if p) for row in zip(*parts, strict=True)]
    return pd.Series(notes, dtype="string")


# --------------------------------------------------------------------------------------------
# passport_savings: project-card values

#: indicators where a higher value is better (all others: lower is better)
_HIGHER_IS_BETTER = frozenset({"satisfaction"})
_DURATIONS = ("lead_time", "process_time", "wait_time")

#: output columns of :func:`passport_savings`
PASSPORT_COLUMNS = (
    "project_id",
    "indicator",
    "unit",
    "better",
    "baseline",
    "target",
    "actual",
    "followup",
    "stat_baseline",
    "stat_actual",
    "n_obs_baseline",
    "n_obs_actual",
    "change",
    "change_pct",
    "log_ratio",
    "improved",
    "planned_change",
    "planned_change_pct",
    "followup_change_pct",
    "baseline_method",
    "regulation_baseline",
    "planned_only",
    "stat_mismatch",
    "unit_mismatch",
    "caveats",
)


def _join_flags(flags: Mapping[str, np.ndarray], n: int) -> pd.Series:
    """'; '-joined names of the true flags of each row (an empty string when none)."""
    rows = [[] for _ in range(n)]
    for name, mask in flags.items():
        for i in np.flatnonzero(np.asarray(mask, dtype=bool)):
            rows[i].append(name)
    return pd.Series(["; ".join(r) for r in rows], dtype="string")


def passport_savings(
    passport: pd.DataFrame,
    projects: pd.DataFrame | None = None,
    *,
    indicators: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Change per project and indicator from the project card (baseline, target, actual).

    Most projects report only a few numbers on their card. This puts them side by side, with
    the caveats an analyst must see as flags: a baseline that is a regulation limit (not a
    measurement), a target without an actual (never an achievement), baseline and actual that
    are different statistics or units.

    Parameters
    ----------
    passport : pandas.DataFrame
        ``Dataset.passport``: ``project_id``, ``indicator``, ``phase``, ``value``, ``unit`` and
        optionally ``stat``, ``n_obs``, ``measured_on``. When a phase was measured more than
        once, the latest ``measured_on`` is used.
    projects : pandas.DataFrame, optional
        ``Dataset.projects``; its ``baseline_method`` sets ``regulation_baseline`` for the
        duration indicators (``lead_time``, ``process_time``, ``wait_time``).
    indicators : sequence of str, optional
        Keep only these indicators.

    Returns
    -------
    pandas.DataFrame
        One row per project and indicator (columns :data:`PASSPORT_COLUMNS`):

        ``unit``, ``better``
            Unit of the values (durations in minutes, or ``workday``), and ``lower`` or
            ``higher`` (satisfaction).
        ``baseline``, ``target``, ``actual``, ``followup``
            The card's values; ``stat_*`` and ``n_obs_*`` describe baseline and actual.
        ``change``, ``change_pct``, ``log_ratio``
            ``actual − baseline``, ``100 × change / baseline`` and ``log(actual / baseline)``
            (negative: shorter); NaN without an actual value or when the units differ.
        ``improved``
            The change goes the right way (``better``).
        ``planned_change``, ``planned_change_pct``
            The same for the target: a plan, reported apart.
        ``followup_change_pct``
            The follow-up measurement against the baseline (does the gain hold?).
        ``baseline_method``, ``regulation_baseline``
            How the baseline was obtained; True when it is a regulation limit.
        ``planned_only``, ``stat_mismatch``, ``unit_mismatch``
            Only a target (no actual); baseline and actual are different statistics (e.g. a
            mean and a median); different units (calendar vs working days).
        ``caveats``
            The flags above in words.

    Examples
    --------
    >>> import effmuni as em
    >>> ds = em.load_dataset("tests/data/mini")
    >>> ps = em.passport_savings(ds.passport, ds.projects, indicators=["lead_time"])
    >>> ps[["project_id", "baseline", "actual", "change_pct", "planned_only"]]
      project_id  baseline  actual  change_pct  planned_only
    0         p1   14400.0  5760.0       -60.0         False
    1         p2      30.0     NaN         NaN          True
    2         p3    2880.0  1440.0       -50.0         False
    >>> ps.loc[1, "caveats"]
    'regulation-limit baseline; planned value only'

    See Also
    --------
    effmuni.pool_savings : across projects, the geometric-mean ratio of card-only projects
        with a bootstrap over projects (``method="bootstrap_projects"``).
    """
    missing = [
        c for c in ("project_id", "indicator", "phase", "value") if c not in passport.columns
    ]
    if missing:
        raise ValueError(f"passport has no column {', '.join(map(repr, missing))}")
    p = passport.copy()
    if indicators is not None:
        p = p[p["indicator"].isin(list(indicators))]
    for col, default in (("unit", pd.NA), ("stat", "single"), ("n_obs", pd.NA)):
        if col not in p.columns:
            p[col] = default
    if "measured_on" in p.columns:
        p = p.sort_values("measured_on", na_position="first", kind="stable")
    p = p.drop_duplicates(["project_id", "indicator", "phase"], keep="last")
    key = ["project_id", "indicator"]
    wide = p.pivot(index=key, columns="phase", values="value")
    meta = {c: p.pivot(index=key, columns="phase", values=c) for c in ("unit", "stat", "n_obs")}
    wide = wide.reindex(columns=["baseline", "target", "actual", "followup"])
    out = wide.reset_index()
    out.columns.name = None
    n = len(out)

    def phase_meta(col: str, phase: str) -> pd.Series:
        m = meta[col]
        s = m[phase] if phase in m.columns else pd.Series(pd.NA, index=m.index)
        return s.reset_index(drop=True)

    unit_b, unit_a, unit_t = (phase_meta("unit", ph) for ph in ("baseline", "actual", "target"))
    out.insert(2, "unit", unit_b.fillna(unit_a).fillna(unit_t).astype("string"))
    higher = out["indicator"].isin(list(_HIGHER_IS_BETTER)).to_numpy()
    out.insert(3, "better", pd.Series(np.where(higher, "higher", "lower"), dtype="string"))
    out["stat_baseline"] = phase_meta("stat", "baseline").astype("string")
    out["stat_actual"] = phase_meta("stat", "actual").astype("string")
    out["n_obs_baseline"] = phase_meta("n_obs", "baseline").astype("Int64")
    out["n_obs_actual"] = phase_meta("n_obs", "actual").astype("Int64")

    b, t, a, f = (
        out[c].to_numpy(dtype=float) for c in ("baseline", "target", "actual", "followup")
    )
    unit_mismatch = (unit_b.notna() & unit_a.notna() & (unit_b != unit_a)).to_numpy(dtype=bool)
    a = np.where(unit_mismatch, np.nan, a)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["change"] = a - b
        out["change_pct"] = 100 * (a - b) / b
        out["log_ratio"] = np.where((a > 0) & (b > 0), np.log(a / b), np.nan)
        improved = np.where(higher, a > b, a < b)
        out["improved"] = pd.array(np.where(np.isnan(a - b), None, improved), dtype="boolean")
        out["planned_change"] = t - b
        out["planned_change_pct"] = 100 * (t - b) / b
        out["followup_change_pct"] = 100 * (f - b) / b

    if projects is not None and "baseline_method" in projects.columns:
        method = out["project_id"].map(projects.set_index("project_id")["baseline_method"])
        out["baseline_method"] = method.astype("string").reset_index(drop=True)
    else:
        out["baseline_method"] = pd.Series(pd.NA, index=out.index, dtype="string")
    duration = out["indicator"].isin(list(_DURATIONS)).to_numpy()
    bm = out["baseline_method"]
    out["regulation_baseline"] = pd.array(
        np.where(bm.isna(), None, (bm == "regulation_limit").fillna(False) & duration),
        dtype="boolean",
    )
    estimated = ((bm == "estimate").fillna(False) & duration).to_numpy(dtype=bool)
    out["planned_only"] = np.isnan(wide["actual"].to_numpy(dtype=float)) & ~np.isnan(t)
    sb, sa = out["stat_baseline"], out["stat_actual"]
    # a regulation limit is a single number by nature: its own caveat says enough
    out["stat_mismatch"] = (
        sb.notna() & sa.notna() & (sb != sa) & ~out["regulation_baseline"].fillna(False)
    ).to_numpy(dtype=bool)
    out["unit_mismatch"] = unit_mismatch
    out["caveats"] = _join_flags(
        {
            "regulation-limit baseline": out["regulation_baseline"].fillna(False),
            "estimated baseline": estimated,
            "planned value only": out["planned_only"],
            "baseline and actual are different statistics": out["stat_mismatch"],
            "baseline and actual in different units": unit_mismatch,
        },
        n,
    )
    return out[list(PASSPORT_COLUMNS)]


# --------------------------------------------------------------------------------------------
# map_savings: value-stream maps

#: metrics of :func:`map_savings`, in order
MAP_METRICS = (
    "lead_time_min",
    "process_time_min",
    "wait_time_min",
    "steps",
    "handoffs",
    "approvals",
    "value_added_share",
)


def map_savings(steps: pd.DataFrame) -> pd.DataFrame:
    """Per project, what the value-stream maps say: current, target and actual state.

    Parameters
    ----------
    steps : pandas.DataFrame
        ``Dataset.steps``: one row per step with ``project_id``, ``map_state``
        (``current``, ``target``, ``actual``), ``process_min``, ``wait_min`` and the flags
        ``value_added``, ``handoff``, ``approval``.

    Returns
    -------
    pandas.DataFrame
        One row per project and metric, with columns ``project_id``, ``metric``, ``current``,
        ``target``, ``actual``, ``planned_change`` (target − current),
        ``planned_change_pct``, ``change`` (actual − current; NaN without an actual map) and
        ``change_pct``. Metrics (:data:`MAP_METRICS`): ``lead_time_min`` (the sum of process
        and wait time along the map), ``process_time_min``, ``wait_time_min``, ``steps``,
        ``handoffs``, ``approvals``, and ``value_added_share``: the process time of
        value-adding steps divided by the lead time (0–1). A map describes a typical case as
        designed or observed by the team; its process time includes the applicant's own
        steps, so it does not feed the staff-time figures.

    Examples
    --------
    >>> import effmuni as em
    >>> ds = em.load_dataset("tests/data/mini")
    >>> m = em.map_savings(ds.steps)
    >>> m.loc[m["metric"] == "lead_time_min", ["current", "target", "planned_change_pct"]]
       current  target  planned_change_pct
    0   7290.0  3060.0          -58.024691
    """
    need = ["project_id", "map_state", "process_min", "wait_min"]
    missing = [c for c in need if c not in steps.columns]
    if missing:
        raise ValueError(f"steps has no column {', '.join(map(repr, missing))}")
    s = steps.copy()
    for flag in ("value_added", "handoff", "approval"):
        s[flag] = (
            s[flag].astype("boolean").fillna(False).astype(bool) if flag in s.columns else False
        )
    s["va_min"] = s["process_min"].where(s["value_added"], 0.0)
    g = s.groupby(["project_id", "map_state"], sort=True, observed=True)
    per = g.agg(
        process_time_min=("process_min", "sum"),
        wait_time_min=("wait_min", "sum"),
        steps=("process_min", "size"),
        handoffs=("handoff", "sum"),
        approvals=("approval", "sum"),
        va_min=("va_min", "sum"),
    )
    per["lead_time_min"] = per["process_time_min"] + per["wait_time_min"]
    with np.errstate(invalid="ignore", divide="ignore"):
        per["value_added_share"] = per["va_min"] / per["lead_time_min"].where(
            per["lead_time_min"] > 0
        )
    long = per[list(MAP_METRICS)].astype(float).stack().rename("value").reset_index()
    long.columns = ["project_id", "map_state", "metric", "value"]
    out = long.pivot(index=["project_id", "metric"], columns="map_state", values="value")
    out = out.reindex(columns=["current", "target", "actual"]).reset_index()
    out.columns.name = None
    order = {m: i for i, m in enumerate(MAP_METRICS)}
    out = out.sort_values(
        ["project_id", "metric"], key=lambda c: c.map(order) if c.name == "metric" else c
    )
    c, t, a = (out[k].to_numpy(dtype=float) for k in ("current", "target", "actual"))
    with np.errstate(invalid="ignore", divide="ignore"):
        out["planned_change"] = t - c
        out["planned_change_pct"] = 100 * (t - c) / np.where(c != 0, c, np.nan)
        out["change"] = a - c
        out["change_pct"] = 100 * (a - c) / np.where(c != 0, c, np.nan)
    out["metric"] = out["metric"].astype("string")
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# project_savings: one row per project, from the best source

#: output columns of :func:`project_savings`
PROJECT_COLUMNS = (
    "project_id",
    "municipality_id",
    "institution_id",
    "process_name",
    "stage",
    "annual_volume",
    "target_reduction_pct",
    "baseline_method",
    "source",
    *_LEAD_COLUMNS,
    "work_source",
    *_WORK_COLUMNS,
    "planned_saving_pct",
    "regulation_baseline",
    "planned_only",
    "caveats",
    "note",
)


def _card_days(values: pd.Series, unit: pd.Series) -> np.ndarray:
    """Card durations in calendar days (minutes ÷ 1440; working days × 365.25/247)."""
    v = values.to_numpy(dtype=float)
    u = unit.astype("string").fillna("")
    return np.select(
        [(u == "min").to_numpy(), (u == "workday").to_numpy()],
        [v / 1440.0, v * CALENDAR_DAYS_PER_WORKDAY],
        np.nan,
    )


def project_savings(
    dataset,
    *,
    municipality: str | None = None,
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
    method: str = "symmetric",
) -> pd.DataFrame:
    """One row per project: its lead-time and touch-time saving from the best source it has.

    The source of the lead-time figures (``source``):

    1. ``"cases"``: case timings with at least 5 completed cases in each phase
       (:func:`estimate_savings`, with intervals);
    2. ``"passport"``: the card's baseline and actual ``lead_time``
       (:func:`passport_savings`; no interval: a card gives one number per phase);
    3. ``"cases"`` with fewer cases (point values and a note), or ``"none"``.

    The touch time (``work_source``) comes from the cases' ``work_min`` when the lead time
    does and it was recorded, else from the card's ``process_time``, else none. Value-stream
    maps are not used here (see :func:`map_savings`).

    Parameters
    ----------
    dataset : effmuni.Dataset
        A loaded dataset.
    municipality : str, optional
        Only the projects of this ``municipality_id`` (None or ``"all"``: every project). A
        project's figures do not depend on which other projects are estimated with it.
    confidence, n_boot, seed, method
        As in :func:`estimate_savings`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PROJECT_COLUMNS`, one row per project of ``dataset.projects`` (in its
        order). Lead times (``mean_*``, ``median_*``, ``saving*``) are in calendar days per
        case: card values in minutes are divided by 1440 and card values in working days are
        multiplied by 365.25/247 (a caveat says so); touch times are in minutes per case.
        For a card, ``mean_*`` hold its values whatever statistic they are (the caveat says
        when baseline and actual differ) and ``n_before``/``n_after`` its ``n_obs``.
        ``planned_saving_pct`` is the card's target reduction, a plan and never an
        achievement. ``regulation_baseline`` is True when the card's baseline is a
        regulation limit and no case timings replace it; ``planned_only`` when the project
        has a target but no result yet.

    Examples
    --------
    >>> import effmuni as em
    >>> ds = em.load_dataset("tests/data/mini")
    >>> ps = em.project_savings(ds, n_boot=0)
    >>> ps[["project_id", "source", "saving", "saving_pct", "planned_only"]]
      project_id    source  saving  saving_pct  planned_only
    0         p1  passport     6.0        60.0         False
    1         p2      none     NaN         NaN          True
    2         p3  passport     1.0        50.0         False
    3         p4      none     NaN         NaN         False
    """
    _check_params(confidence, n_boot, method)
    proj = dataset.projects.merge(
        dataset.project_municipality()[["project_id", "municipality_id"]],
        on="project_id",
        how="left",
    )
    if municipality not in (None, "all"):
        known = dataset.municipalities["municipality_id"]
        if municipality not in set(known):
            raise ValueError(
                f"unknown municipality {municipality!r}; known: {', '.join(sorted(known))}"
            )
        proj = proj[proj["municipality_id"] == municipality]
    out = proj.reindex(columns=list(PROJECT_COLUMNS[:8])).reset_index(drop=True)
    ids = out["project_id"]
    cases = dataset.cases[dataset.cases["project_id"].isin(ids)]
    if len(cases):
        cs = estimate_savings(
            cases, confidence=confidence, n_boot=n_boot, seed=seed, method=method
        ).set_index("project_id")
    else:
        cs = pd.DataFrame(columns=["project_id", *SAVINGS_COLUMNS]).set_index("project_id")
    cs = cs.reindex(ids)
    card = passport_savings(
        dataset.passport, dataset.projects, indicators=["lead_time", "process_time"]
    )
    lead = card[card["indicator"] == "lead_time"].set_index("project_id").reindex(ids)
    proc = card[card["indicator"] == "process_time"].set_index("project_id").reindex(ids)

    nb, na = cs["n_before"].fillna(0).to_numpy(), cs["n_after"].fillna(0).to_numpy()
    card_before = _card_days(lead["baseline"], lead["unit"])
    card_after = _card_days(lead["actual"], lead["unit"])
    has_card = ~np.isnan(card_before) & ~np.isnan(card_after)
    src = np.select(
        [(nb >= MIN_CASES) & (na >= MIN_CASES), has_card, (nb > 0) & (na > 0)],
        ["cases", "passport", "cases"],
        "none",
    )
    from_cases, from_card = src == "cases", src == "passport"
    out["source"] = pd.Series(src, dtype="string")

    def pick(case_col: str, card_values) -> np.ndarray:
        c = cs[case_col].to_numpy(dtype=float, na_value=np.nan)
        return np.where(from_cases, c, np.where(from_card, card_values, np.nan))

    with np.errstate(invalid="ignore", divide="ignore"):
        card_ratio = card_after / card_before
        card_values = {
            "mean_before": card_before,
            "mean_after": card_after,
            "saving": card_before - card_after,
            "saving_pct": 100 * (1 - card_ratio),
            "ratio": card_ratio,
            "log_ratio": np.log(card_ratio),
        }
    out["n_before"] = pd.array(
        np.where(
            from_cases, nb, np.where(from_card, lead["n_obs_baseline"].astype(float), np.nan)
        ),
        dtype="Int64",
    )
    out["n_after"] = pd.array(
        np.where(from_cases, na, np.where(from_card, lead["n_obs_actual"].astype(float), np.nan)),
        dtype="Int64",
    )
    out["n_open"] = pd.array(
        np.where(from_cases, cs["n_open"].astype(float), np.nan), dtype="Int64"
    )
    for col in PROJECT_COLUMNS[12:27]:
        out[col] = pick(col, card_values.get(col, np.nan))

    # touch time: the cases' work_min when they give the lead time, else the card
    case_work = from_cases & (cs["n_work_before"].fillna(0).to_numpy() > 0)
    case_work &= cs["n_work_after"].fillna(0).to_numpy() > 0
    unit_p = proc["unit"].astype("string").fillna("")
    factor = np.select(
        [(unit_p == "min").to_numpy(), (unit_p == "workday").to_numpy()],
        [1.0, MINUTES_PER_WORKDAY],
        np.nan,
    )
    pb, pa = (
        proc["baseline"].to_numpy(dtype=float) * factor,
        proc["actual"].to_numpy(dtype=float) * factor,
    )
    card_work = ~case_work & ~np.isnan(pb) & ~np.isnan(pa)
    out["work_source"] = pd.Series(
        np.where(case_work, "cases", np.where(card_work, "passport", "none")), dtype="string"
    )
    card_w = {"work_before_min": pb, "work_after_min": pa, "work_saving_min": pb - pa}
    for col in ("work_before_min", "work_after_min", "work_saving_min"):
        c = cs[col].to_numpy(dtype=float, na_value=np.nan)
        out[col] = np.where(case_work, c, np.where(card_work, card_w[col], np.nan))
    for col in ("work_saving_min_low", "work_saving_min_high"):
        out[col] = np.where(case_work, cs[col].to_numpy(dtype=float, na_value=np.nan), np.nan)

    out["planned_saving_pct"] = -lead["planned_change_pct"].to_numpy(dtype=float)
    regulation = (out["baseline_method"] == "regulation_limit").fillna(False).to_numpy(bool)
    out["regulation_baseline"] = regulation & ~from_cases
    has_target = ~np.isnan(lead["target"].to_numpy(dtype=float))
    out["planned_only"] = (src == "none") & has_target
    working = from_card & (lead["unit"].astype("string") == "workday").fillna(False).to_numpy()
    not_mean = np.zeros(len(out), dtype=bool)
    for col in ("stat_baseline", "stat_actual"):
        not_mean |= (lead[col].astype("string") != "mean").fillna(True).to_numpy(dtype=bool)
    # a regulation limit is a single number by nature: its own caveat says enough
    not_mean &= from_card & ~out["regulation_baseline"].to_numpy(dtype=bool)
    out["caveats"] = _join_flags(
        {
            "regulation-limit baseline": out["regulation_baseline"],
            "estimated baseline": ~from_cases
            & (out["baseline_method"] == "estimate").fillna(False),
            "planned value only": out["planned_only"],
            "card value is a median or a single value, not a mean": not_mean,
            "working days converted to calendar days": working,
        },
        len(out),
    )
    out["note"] = pd.Series(
        np.where(from_cases, cs["note"].astype("string").fillna(""), ""), dtype="string"
    )
    return out[list(PROJECT_COLUMNS)]


# --------------------------------------------------------------------------------------------
# annual_effect: what it is worth a year

_ANNUAL_MEASURES = {
    "citizen_days": ("saving", 1.0),
    "staff_hours": ("work_saving_min", 1 / 60),
}


def _quadrature(frame: pd.DataFrame, keys: list[str], col: str) -> pd.DataFrame:
    """Sum of ``col`` per group with limits combined in quadrature (independent projects)."""
    est = frame[col]
    lo_dev = (est - frame[f"{col}_low"]) ** 2
    hi_dev = (frame[f"{col}_high"] - est) ** 2
    tmp = pd.DataFrame({"est": est, "lo": lo_dev, "hi": hi_dev})
    for k in keys:
        tmp[k] = frame[k].to_numpy()
    g = tmp.groupby(keys, sort=True, dropna=False) if keys else tmp.groupby(np.zeros(len(tmp)))
    total = g["est"].sum(min_count=1)
    return pd.DataFrame(
        {
            col: total,
            f"{col}_low": total - np.sqrt(g["lo"].sum()),
            f"{col}_high": total + np.sqrt(g["hi"].sum()),
        }
    )


def annual_effect(
    savings: pd.DataFrame,
    projects=None,
    *,
    by: str | Sequence[str] | None = "project_id",
    hours_per_fte: float = HOURS_PER_FTE,
    include_regulation_baselines: bool = False,
) -> pd.DataFrame:
    """What the savings are worth a year: citizen days and staff hours, kept apart.

    - **Citizen time**: lead time saved per case (``saving``, days) × ``annual_volume``, in
      days a year. A shorter wait frees no staff hours.
    - **Staff time**: touch time saved per case (``work_saving_min``, minutes) ×
      ``annual_volume`` ÷ 60, in hours a year, and in full-time equivalents (FTE) at
      ``hours_per_fte`` hours a year.

    Intervals carry through: per project the limits are multiplied by the (known) volume;
    for a total the deviations of the projects' limits from their estimates are added in
    quadrature, separately below and above (projects are independent; the total's interval
    is approximate when a few skewed projects dominate). Projects without an interval (card
    values) add their point value and no width: ``n_without_interval`` counts them.

    Parameters
    ----------
    savings : pandas.DataFrame
        One row per project with ``project_id``, ``saving`` (days per case),
        ``work_saving_min`` and their ``_low``/``_high`` limits: the output of
        :func:`project_savings` (or of :func:`estimate_savings` by project on
        ``lead_time_days``). ``source``, ``work_source``, ``regulation_baseline`` and
        ``planned_only`` are used when present.
    projects : pandas.DataFrame or effmuni.Dataset, optional
        Supplies ``annual_volume`` (cases a year) and, for ``by="municipality_id"``, the
        municipality. Default: the columns already in ``savings``.
    by : str, list of str or None, default "project_id"
        ``"project_id"`` for one row per project; another column (e.g. ``"municipality_id"``)
        or None (the region) for totals.
    hours_per_fte : float, default :data:`HOURS_PER_FTE` (1973)
        Working hours of one FTE a year: the 2023 norm of the production calendar for a
        40-hour week. Pass about 1750 for effective hours after annual leave.
    include_regulation_baselines : bool, default False
        Count projects whose baseline is a regulation limit in the totals (they are always
        listed per project, with ``included`` False).

    Returns
    -------
    pandas.DataFrame
        Per project: ``project_id`` (and ``municipality_id`` when known), ``annual_volume``,
        ``citizen_days``, ``staff_hours``, ``staff_fte`` (each with ``_low``/``_high``),
        ``lead_source``, ``work_source``, ``included`` (counted in totals) and ``note``.
        Totals: the ``by`` columns, ``n_projects``, ``n_citizen`` and ``n_staff`` (projects
        adding to each total), ``n_without_interval``, ``n_left_out`` (regulation-limit
        baselines, no result yet or no volume), and the sums with their limits.

    Examples
    --------
    >>> import effmuni as em
    >>> ds = em.load_dataset("tests/data/mini")
    >>> ae = em.annual_effect(em.project_savings(ds, n_boot=0))
    >>> ae[["project_id", "annual_volume", "citizen_days", "included"]]
      project_id  annual_volume  citizen_days  included
    0         p1         1200.0        7200.0      True
    1         p2          800.0           NaN     False
    2         p3          300.0         300.0      True
    3         p4            NaN           NaN     False
    """
    if hours_per_fte <= 0:
        raise ValueError(f"hours_per_fte must be positive, not {hours_per_fte!r}")
    s = savings.copy()
    if "project_id" not in s.columns:
        raise ValueError("savings needs a project_id column (one row per project)")
    if projects is not None:
        if hasattr(projects, "project_municipality"):  # a Dataset
            extra = projects.projects.merge(
                projects.project_municipality(), on=["project_id", "institution_id"]
            )
        else:
            extra = projects
        cols = [c for c in ("annual_volume", "municipality_id") if c in extra.columns]
        s = s.drop(columns=[c for c in cols if c in s.columns]).merge(
            extra[["project_id", *cols]].drop_duplicates("project_id"), on="project_id", how="left"
        )
    if "annual_volume" not in s.columns:
        raise ValueError("no annual_volume: pass the projects table (or a Dataset)")
    for col in ("saving", "work_saving_min"):
        for suffix in ("", "_low", "_high"):
            if col + suffix not in s.columns:
                s[col + suffix] = np.nan
    volume = s["annual_volume"].to_numpy(dtype=float, na_value=np.nan)
    out = s[
        ["project_id"] + (["municipality_id"] if "municipality_id" in s.columns else [])
    ].copy()
    out["annual_volume"] = volume
    for measure, (col, factor) in _ANNUAL_MEASURES.items():
        for suffix in ("", "_low", "_high"):
            out[measure + suffix] = (
                s[col + suffix].to_numpy(dtype=float, na_value=np.nan) * volume * factor
            )
    for suffix in ("", "_low", "_high"):
        out["staff_fte" + suffix] = out["staff_hours" + suffix] / hours_per_fte
    out["lead_source"] = s["source"].astype("string") if "source" in s.columns else "cases"
    out["work_source"] = (
        s["work_source"].astype("string") if "work_source" in s.columns else "cases"
    )

    def flag(name: str) -> np.ndarray:
        if name not in s.columns:
            return np.zeros(len(s), dtype=bool)
        return s[name].astype("boolean").fillna(False).to_numpy(dtype=bool)

    regulation, planned = flag("regulation_baseline"), flag("planned_only")
    no_volume = np.isnan(volume)
    no_result = np.isnan(out["citizen_days"].to_numpy()) & np.isnan(out["staff_hours"].to_numpy())
    left_out = (regulation & (not include_regulation_baselines)) | planned | no_volume | no_result
    out["included"] = ~left_out
    out["note"] = _join_flags(
        {
            "no annual volume": no_volume,
            "no result yet": planned | (no_result & ~no_volume),
            "regulation-limit baseline (left out of totals)": regulation
            & ~include_regulation_baselines,
        },
        len(out),
    )
    keys = _by_columns(by)
    if keys == ["project_id"]:
        return out.reset_index(drop=True)
    missing = [k for k in keys if k not in out.columns]
    if missing:
        raise ValueError(
            f"cannot total by {', '.join(missing)}: pass the projects table or a Dataset"
        )
    inc = out[out["included"]]
    parts = [_quadrature(inc, keys, m) for m in ("citizen_days", "staff_hours", "staff_fte")]
    total = pd.concat(parts, axis=1)
    grp = (
        (lambda f: f.groupby(keys, sort=True, dropna=False))
        if keys
        else (lambda f: f.groupby(np.zeros(len(f))))
    )
    counts = pd.DataFrame(
        {
            "n_projects": grp(out).size(),
            "n_citizen": grp(inc)["citizen_days"].count(),
            "n_staff": grp(inc)["staff_hours"].count(),
            "n_without_interval": grp(
                inc.assign(w=inc["citizen_days"].notna() & inc["citizen_days_low"].isna())
            )["w"].sum(),
            "n_left_out": grp(out.assign(w=~out["included"]))["w"].sum(),
        }
    )
    res = counts.join(total).fillna({c: 0 for c in counts.columns})
    for c in counts.columns:
        res[c] = res[c].astype(np.int64)
    res = res.reset_index(names=keys if keys else None)
    if not keys:
        res = res.drop(columns="index")
    return res


def evidence_summary(savings: pd.DataFrame) -> pd.DataFrame:
    """How strong is the evidence? Projects per source of :func:`project_savings`.

    Returns one row per ``source`` (``cases``, ``passport``, ``none``) with ``n_projects``,
    ``n_with_interval`` (a confidence interval for the lead-time change),
    ``n_regulation_baseline``, ``n_planned_only`` and ``n_with_volume`` (an annual volume).

    Examples
    --------
    >>> import effmuni as em
    >>> ds = em.load_dataset("tests/data/mini")
    >>> evidence_summary(em.project_savings(ds, n_boot=0))[["source", "n_projects"]]
         source  n_projects
    0     cases           0
    1  passport           2
    2      none           2
    """
    s = savings
    rows = []
    for src in ("cases", "passport", "none"):
        m = (s["source"] == src).fillna(False).to_numpy(dtype=bool)
        rows.append(
            {
                "source": src,
                "n_projects": int(m.sum()),
                "n_with_interval": int((m & s["saving_low"].notna().to_numpy()).sum()),
                "n_regulation_baseline": int(
                    (m & s["regulation_baseline"].astype(bool).to_numpy()).sum()
                ),
                "n_planned_only": int((m & s["planned_only"].astype(bool).to_numpy()).sum()),
                "n_with_volume": int((m & s["annual_volume"].notna().to_numpy()).sum()),
            }
        )
    out = pd.DataFrame(rows)
    out["source"] = out["source"].astype("string")
    return out


# --------------------------------------------------------------------------------------------
# display: translated, rounded tables

#: columns whose values are codes with a label ``"<column>=<value>"``
_CODED = ("source", "work_source", "lead_source", "method", "target_status", "better", "metric")
#: columns holding "; "-joined phrases with a label ``"<text>"``
_PHRASES = ("note", "caveats")


def _translate_value(column: str, value, lang: str):
    """Translate a coded value (``"<column>=<value>"``) or '; '-joined phrases."""
    if not isinstance(value, str) or value == "":
        return value
    if column in _PHRASES:
        return "; ".join(_translate_value("phrase", p, lang) for p in value.split("; "))
    key = f"{column}={value}"
    text = label(key, lang)
    return value if text == key else text


def translate_table(
    frame: pd.DataFrame,
    lang: str = "ru",
    *,
    digits: int | None = None,
    names: Mapping[str, str] | None = None,
    headers: bool = True,
) -> pd.DataFrame:
    """A result table ready to show or export: values, notes and headers in ``lang``.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any table of this module or :mod:`effmuni.pooling`.
    lang : {"ru", "en"}
        Language of headers, coded values (``source``, ``method``, ``status``, …) and notes.
    digits : int, optional
        Round floating-point columns to this many decimals.
    names : mapping, optional
        Display names for ``municipality_id`` values (e.g. ``{"cheboksary": "Чебоксары"}``).
    headers : bool, default True
        Translate the column headers too (:func:`effmuni.excel.write_tables` does it itself).

    Examples
    --------
    >>> t = pd.DataFrame({"source": ["cases"], "saving": [1.234], "note": [""]})
    >>> translate_table(t, "en", digits=1).columns.tolist()
    ['Source', 'Saving, days per case', 'Note']
    >>> translate_table(t, "ru").iloc[0, 0]
    'хронометраж случаев'
    """
    check_lang(lang)
    out = frame.copy()
    for col in (*_CODED, *_PHRASES):
        if col in out.columns:
            out[col] = out[col].map(lambda v, c=col: _translate_value(c, v, lang))
    if names is not None and "municipality_id" in out.columns:
        out["municipality_id"] = out["municipality_id"].map(lambda v: names.get(v, v))
    if digits is not None:
        floats = out.select_dtypes(include="floating").columns
        out[floats] = out[floats].round(digits)
    return translate_columns(out, lang) if headers else out


register(
    {
        # estimate_savings
        "n_before": ("Случаев «до»", "Cases before"),
        "n_after": ("Случаев «после»", "Cases after"),
        "n_open": ("Незавершённых случаев", "Open cases"),
        "mean_before": ("Среднее «до», дн.", "Mean before, days"),
        "mean_after": ("Среднее «после», дн.", "Mean after, days"),
        "median_before": ("Медиана «до», дн.", "Median before, days"),
        "median_after": ("Медиана «после», дн.", "Median after, days"),
        "saving": ("Экономия, дн. на случай", "Saving, days per case"),
        "saving_low": ("Экономия: нижняя граница", "Saving: lower limit"),
        "saving_high": ("Экономия: верхняя граница", "Saving: upper limit"),
        "saving_pct": ("Сокращение, %", "Reduction, %"),
        "saving_pct_low": ("Сокращение, %: нижняя граница", "Reduction, %: lower limit"),
        "saving_pct_high": ("Сокращение, %: верхняя граница", "Reduction, %: upper limit"),
        "ratio": ("Отношение «после»/«до»", "Ratio after/before"),
        "ratio_low": ("Отношение: нижняя граница", "Ratio: lower limit"),
        "ratio_high": ("Отношение: верхняя граница", "Ratio: upper limit"),
        "log_ratio": ("Логарифм отношения", "Log ratio"),
        "log_ratio_se": ("Ст. ошибка логарифма отношения", "SE of the log ratio"),
        "n_work_before": ("Случаев с трудозатратами «до»", "Cases with touch time before"),
        "n_work_after": ("Случаев с трудозатратами «после»", "Cases with touch time after"),
        "work_before_min": ("Трудозатраты «до», мин на случай", "Touch time before, min per case"),
        "work_after_min": (
            "Трудозатраты «после», мин на случай",
            "Touch time after, min per case",
        ),
        "work_saving_min": (
            "Экономия трудозатрат, мин на случай",
            "Touch time saved, min per case",
        ),
        "work_saving_min_low": (
            "Экономия трудозатрат: нижняя граница",
            "Touch time saved: lower limit",
        ),
        "work_saving_min_high": (
            "Экономия трудозатрат: верхняя граница",
            "Touch time saved: upper limit",
        ),
        "note": ("Примечание", "Note"),
        # project_savings and passport_savings
        "source": ("Источник данных", "Source"),
        "work_source": ("Источник трудозатрат", "Touch-time source"),
        "lead_source": ("Источник данных о ВПП", "Lead-time source"),
        "planned_saving_pct": ("Плановое сокращение, %", "Planned reduction, %"),
        "regulation_baseline": ("База — регламентный срок", "Baseline is a regulation limit"),
        "planned_only": ("Только плановое значение", "Planned value only"),
        "caveats": ("Оговорки", "Caveats"),
        "better": ("Лучше, если", "Better when"),
        "baseline": ("Базовое значение", "Baseline"),
        "target": ("Целевое значение", "Target"),
        "actual": ("Фактическое значение", "Actual"),
        "followup": ("Контрольное значение", "Follow-up"),
        "stat_baseline": ("Статистика базового значения", "Baseline statistic"),
        "stat_actual": ("Статистика фактического значения", "Actual statistic"),
        "n_obs_baseline": ("Наблюдений (база)", "Observations (baseline)"),
        "n_obs_actual": ("Наблюдений (факт)", "Observations (actual)"),
        "change": ("Изменение", "Change"),
        "change_pct": ("Изменение, %", "Change, %"),
        "improved": ("Улучшение", "Improved"),
        "planned_change": ("Плановое изменение", "Planned change"),
        "planned_change_pct": ("Плановое изменение, %", "Planned change, %"),
        "followup_change_pct": ("Изменение на контроле, %", "Change at follow-up, %"),
        "stat_mismatch": ("Разные статистики (база/факт)", "Different statistics"),
        "unit_mismatch": ("Разные единицы (база/факт)", "Different units"),
        # map_savings
        "metric": ("Показатель карты", "Map metric"),
        "current": ("Текущее состояние", "Current state"),
        # annual_effect
        "citizen_days": ("Время граждан, дн. в год", "Citizen time saved, days a year"),
        "citizen_days_low": ("Время граждан: нижняя граница", "Citizen time: lower limit"),
        "citizen_days_high": ("Время граждан: верхняя граница", "Citizen time: upper limit"),
        "staff_hours": ("Время сотрудников, ч в год", "Staff time saved, hours a year"),
        "staff_hours_low": ("Время сотрудников: нижняя граница", "Staff time: lower limit"),
        "staff_hours_high": ("Время сотрудников: верхняя граница", "Staff time: upper limit"),
        "staff_fte": ("Высвобождено ставок", "Staff time saved, FTE"),
        "staff_fte_low": ("Ставок: нижняя граница", "FTE: lower limit"),
        "staff_fte_high": ("Ставок: верхняя граница", "FTE: upper limit"),
        "included": ("Учтён в итогах", "Counted in totals"),
        "n_with_interval": ("Проектов с интервалом", "Projects with an interval"),
        "n_regulation_baseline": ("База — регламентный срок", "Regulation-limit baselines"),
        "n_planned_only": ("Только план", "Planned only"),
        "n_with_volume": ("С годовым объёмом", "With an annual volume"),
        "n_projects": ("Проектов", "Projects"),
        "n_citizen": ("Проектов в оценке времени граждан", "Projects in citizen time"),
        "n_staff": ("Проектов в оценке времени сотрудников", "Projects in staff time"),
        "n_without_interval": ("Проектов без интервала", "Projects without an interval"),
        "n_left_out": ("Не учтено проектов", "Projects left out"),
        # coded values
        "source=cases": ("хронометраж случаев", "case timings"),
        "source=passport": ("паспорт проекта", "project card"),
        "source=none": ("нет данных", "no data"),
        "work_source=cases": ("хронометраж случаев", "case timings"),
        "work_source=passport": ("паспорт проекта", "project card"),
        "work_source=none": ("нет данных", "no data"),
        "lead_source=cases": ("хронометраж случаев", "case timings"),
        "lead_source=passport": ("паспорт проекта", "project card"),
        "lead_source=none": ("нет данных", "no data"),
        "better=lower": ("меньше", "lower"),
        "better=higher": ("больше", "higher"),
        "metric=lead_time_min": ("ВПП, мин", "Lead time, min"),
        "metric=process_time_min": ("Время операций, мин", "Process time, min"),
        "metric=wait_time_min": ("Время ожидания, мин", "Wait time, min"),
        "metric=steps": ("Шагов", "Steps"),
        "metric=handoffs": ("Передач", "Hand-offs"),
        "metric=approvals": ("Согласований", "Approvals"),
        "metric=value_added_share": (
            "Доля времени, добавляющего ценность",
            "Value-added share",
        ),
        # phrases of notes and caveats
        **{
            f"phrase=fewer than {MIN_CASES} cases {ph}": (
                f"меньше {MIN_CASES} случаев «{ru}»",
                f"fewer than {MIN_CASES} cases {ph}",
            )
            for ph, ru in (("before", "до"), ("after", "после"))
        },
        **{
            f"phrase=no completed cases {ph}": (
                f"нет завершённых случаев «{ru}»",
                f"no completed cases {ph}",
            )
            for ph, ru in (("before", "до"), ("after", "после"))
        },
        f"phrase=touch time for fewer than {MIN_CASES} cases": (
            f"трудозатраты меньше чем по {MIN_CASES} случаям",
            f"touch time for fewer than {MIN_CASES} cases",
        ),
        "phrase=no bootstrap (n_boot=0)": (
            "без бутстрепа (n_boot=0)",
            "no bootstrap (n_boot=0)",
        ),
        "phrase=regulation-limit baseline": (
            "база — регламентный срок",
            "regulation-limit baseline",
        ),
        "phrase=estimated baseline": (
            "база — экспертная оценка",
            "estimated baseline",
        ),
        "phrase=planned value only": (
            "только плановое значение",
            "planned value only",
        ),
        "phrase=baseline and actual are different statistics": (
            "база и факт — разные статистики",
            "baseline and actual are different statistics",
        ),
        "phrase=baseline and actual in different units": (
            "база и факт в разных единицах",
            "baseline and actual in different units",
        ),
        "phrase=card value is a median or a single value, not a mean": (
            "в паспорте медиана или единичный замер, не среднее",
            "card value is a median or a single value, not a mean",
        ),
        "phrase=working days converted to calendar days": (
            "рабочие дни пересчитаны в календарные",
            "working days converted to calendar days",
        ),
        "phrase=no annual volume": ("нет годового объёма", "no annual volume"),
        "phrase=no result yet": ("результата ещё нет", "no result yet"),
        "phrase=regulation-limit baseline (left out of totals)": (
            "база — регламентный срок (не учтён в итогах)",
            "regulation-limit baseline (left out of totals)",
        ),
    }
)
