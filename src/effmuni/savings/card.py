"""Change per project and indicator from the project card: :func:`passport_savings`.

The card's baseline, target, actual and follow-up values side by side, with the
regulation-limit and planned-value caveats as flags.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._common import _join_flags

__all__ = ["PASSPORT_COLUMNS", "passport_savings"]

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
