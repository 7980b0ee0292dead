"""What the value-stream maps say per project: :func:`map_savings`."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["MAP_METRICS", "map_savings"]

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
