"""Statistical process control: XmR (individuals and moving range) charts of lead time.

An XmR chart shows whether a process changed: the centre line is the mean of the points, the
natural process limits are centre ± 2.66 × the mean moving range (Wheeler's constant for
individuals, 3 / d2 with d2 = 1.128), and the moving-range chart's upper limit is 3.268 × the
mean moving range. Two signals are flagged: a point outside the limits, and a run of eight or more
points on one side of the centre line (a sustained shift, such as a lean project's effect).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["period_lead_times", "xmr"]

E2 = 2.66  # 3 / d2 for moving ranges of two points
D4 = 3.268  # upper limit factor of the moving-range chart
RUN_LENGTH = 8


def xmr(
    values,
    index=None,
    *,
    limits_from=None,
) -> pd.DataFrame:
    """Compute an XmR chart.

    Parameters
    ----------
    values : array-like of float
        The individual values in time order (e.g. weekly median lead times). NaN values are
        dropped.
    index : array-like, optional
        Labels of the values (e.g. week start dates); default 0..n-1.
    limits_from : array-like of bool, optional
        Which points compute the centre line and limits (e.g. the weeks before a change, so the
        chart shows whether later weeks left the old process's limits). Default: all points.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``index``: ``value``, ``moving_range``, ``centre``, ``ucl``, ``lcl``
        (floored at 0 when every value is non-negative, as for durations), ``mr_ucl`` and
        ``signal`` (``"beyond"``, ``"run"`` or ``""``).

    Examples
    --------
    >>> chart = xmr([5, 6, 5, 7, 6, 5, 6, 20])
    >>> round(float(chart["ucl"].iloc[0]), 2), chart["signal"].iloc[-1]
    (15.48, 'beyond')
    """
    v = pd.Series(np.asarray(values, dtype=float), index=index)
    keep = v.notna().to_numpy()
    v = v[keep]
    if len(v) < 2:
        raise ValueError(f"an XmR chart needs at least 2 values, got {len(v)}")
    base = (
        np.ones(len(v), dtype=bool) if limits_from is None else np.asarray(limits_from, bool)[keep]
    )
    if base.sum() < 2:
        raise ValueError("limits_from must select at least 2 values")
    x = v.to_numpy()
    mr = np.abs(np.diff(x, prepend=np.nan))
    base_mr = mr[base & ~np.isnan(mr)]
    # the first base point has no moving range; consecutive base points give the ranges
    centre = x[base].mean()
    mr_bar = base_mr.mean() if len(base_mr) else np.nan
    ucl = centre + E2 * mr_bar
    lcl = centre - E2 * mr_bar
    if (x >= 0).all():
        lcl = max(lcl, 0.0)
    out = pd.DataFrame(
        {
            "value": x,
            "moving_range": mr,
            "centre": centre,
            "ucl": ucl,
            "lcl": lcl,
            "mr_ucl": D4 * mr_bar,
        },
        index=v.index,
    )
    beyond = (x > ucl) | (x < lcl)
    side = np.sign(x - centre)
    # length of the run of equal sides ending at each point (a zero breaks the run)
    change = np.r_[True, side[1:] != side[:-1]] | (side == 0)
    run_id = np.cumsum(change)
    run_len = pd.Series(np.ones(len(x))).groupby(run_id).cumsum().to_numpy()
    run_total = pd.Series(run_len).groupby(run_id).transform("max").to_numpy()
    in_run = (run_total >= RUN_LENGTH) & (side != 0)
    out["signal"] = np.where(beyond, "beyond", np.where(in_run, "run", ""))
    return out


def period_lead_times(
    timings: pd.DataFrame,
    *,
    date: str = "start",
    value: str = "lead_time_days",
    freq: str = "W-MON",
    stat: str = "median",
    min_cases: int = 1,
) -> pd.DataFrame:
    """Lead time per period (default: the weekly median over the cases started that week).

    Parameters
    ----------
    timings : DataFrame
        One row per case, e.g. from :func:`effmuni.case_timings`.
    date, value : str
        The case's date column and its lead-time column.
    freq : str
        A pandas period frequency; ``"W-MON"`` gives weeks starting on Monday… ending Monday,
        ``"W-SUN"`` weeks Monday–Sunday, ``"M"`` months.
    stat : {"median", "mean"}
    min_cases : int
        Periods with fewer cases are dropped (their statistic would be noise).

    Returns
    -------
    pandas.DataFrame
        ``period`` (the period's first day), ``n_cases`` and ``value``.
    """
    if stat not in ("median", "mean"):
        raise ValueError(f"stat must be 'median' or 'mean', not {stat!r}")
    d = pd.to_datetime(timings[date])
    if getattr(d.dt, "tz", None) is not None:
        d = d.dt.tz_localize(None)
    frame = pd.DataFrame({"period": d.dt.to_period(freq).dt.start_time, "v": timings[value]})
    frame = frame.dropna()
    g = frame.groupby("period")["v"]
    out = pd.DataFrame({"n_cases": g.size(), "value": g.agg(stat)}).reset_index()
    return out.loc[out["n_cases"] >= min_cases].reset_index(drop=True)
