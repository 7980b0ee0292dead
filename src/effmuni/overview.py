"""What a dataset holds: coverage of the one-project-a-quarter rule, and lead-time summaries."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .datasets import Dataset

__all__ = ["lead_time_summary", "project_coverage", "rule_compliance"]


def _quarters(ds: Dataset) -> pd.PeriodIndex:
    starts = ds.projects["start_date"].dropna()
    eq = pd.PeriodIndex(ds.engagement["quarter"].dropna().astype(str), freq="Q")
    periods = [pd.Period(starts.min(), "Q"), pd.Period(starts.max(), "Q")] if len(starts) else []
    if len(eq):
        periods += [eq.min(), eq.max()]
    if not periods:
        return pd.PeriodIndex([], freq="Q")
    return pd.period_range(min(periods), max(periods), freq="Q")


def project_coverage(ds: Dataset) -> pd.DataFrame:
    """Projects started per municipality and quarter, against the programme rule.

    The rule of «Эффективный регион»: every municipal unit starts at least one improvement
    project a quarter. Quarters run from the first to the last quarter with any project start or
    engagement row in the data.

    Returns
    -------
    pandas.DataFrame
        One row per municipality × quarter: ``municipality_id``, ``quarter`` (text, ``2023Q1``),
        ``projects_started``, ``alive`` (the unit existed for at least part of the quarter: the
        2024 mergers end some units) and ``rule_met`` (alive and at least one project started;
        False for quarters the unit did not exist).

    Examples
    --------
    >>> import effmuni as em
    >>> cov = em.project_coverage(em.load_dataset())
    >>> int(cov.groupby("quarter").size().iloc[0])
    26
    """
    quarters = _quarters(ds)
    muni = ds.municipalities.set_index("municipality_id")
    pm = ds.project_municipality()
    started = ds.projects[["project_id", "start_date"]].merge(pm, on="project_id")
    started = started.dropna(subset=["start_date", "municipality_id"])
    q = started["start_date"].dt.to_period("Q").astype(str)
    counts = started.groupby([started["municipality_id"].astype(str), q]).size()
    grid = pd.MultiIndex.from_product(
        [muni.index.astype(str), quarters.astype(str)], names=["municipality_id", "quarter"]
    )
    out = counts.reindex(grid, fill_value=0).rename("projects_started").reset_index()
    qstart = pd.PeriodIndex(out["quarter"], freq="Q").start_time
    qend = pd.PeriodIndex(out["quarter"], freq="Q").end_time.normalize()
    vf = muni["valid_from"].reindex(out["municipality_id"]).to_numpy()
    vt = muni["valid_to"].reindex(out["municipality_id"]).to_numpy()
    alive = (pd.isna(vf) | (qend >= vf)) & (pd.isna(vt) | (qstart <= vt))
    out["projects_started"] = out["projects_started"].astype("int64")
    out["alive"] = np.asarray(alive, dtype=bool)
    out["rule_met"] = out["alive"] & (out["projects_started"] > 0)
    return out


def rule_compliance(coverage: pd.DataFrame) -> pd.DataFrame:
    """Per municipality: quarters it existed, quarters with a project, and the share.

    Takes the output of :func:`project_coverage`; sorted from the lowest share.
    """
    alive = coverage.loc[coverage["alive"]]
    out = alive.groupby("municipality_id").agg(
        quarters_alive=("quarter", "size"),
        quarters_met=("rule_met", "sum"),
        projects_started=("projects_started", "sum"),
    )
    out["share_met"] = out["quarters_met"] / out["quarters_alive"]
    return out.sort_values(["share_met", "projects_started"], kind="stable")


def lead_time_summary(cases: pd.DataFrame, by=("project_id", "phase")) -> pd.DataFrame:
    """Count, open cases, mean, median and 90th percentile of case lead times (days).

    Lead times of skewed processes are best read from the median and the 90th percentile; the
    mean is shown because staff-hour arithmetic needs it.
    """
    by = [by] if isinstance(by, str) else list(by)
    g = cases.groupby(by, observed=True)["lead_time_days"]
    out = pd.DataFrame(
        {
            "n_cases": g.size(),
            "n_open": g.size() - g.count(),
            "mean_days": g.mean(),
            "median_days": g.median(),
            "p90_days": g.quantile(0.9),
        }
    )
    return out.reset_index()
