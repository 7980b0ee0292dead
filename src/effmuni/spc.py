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

from .savings.survival import censoring_times, duration_unit, km_quantile, km_summary

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
    as_of=None,
    horizon: float | None = None,
) -> pd.DataFrame:
    """Lead time per period (default: the weekly median over the cases started that week).

    Open cases (``value`` missing, ``date`` known) are not dropped: dropping them keeps the
    quick cases of the last weeks and loses the slow ones, so the end of a chart looks better
    than the process is. When the table has open cases, or ``as_of`` is given, only periods
    whose cases had time to finish are kept: a period must have ended at least ``horizon``
    before the extract date. In the periods kept, the few cases still open are
    right-censored at the extract date and the statistic comes from the Kaplan–Meier curve
    (:func:`effmuni.savings.survival.km_summary`; the median is then exact unless an open case is
    younger than it).

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
        Periods with fewer cases (open ones included) are dropped (their statistic would be
        noise).
    as_of : str or datetime, optional
        The extract date; default: ``timings.attrs["as_of"]`` (set by
        :func:`effmuni.case_timings`), else the latest ``date`` or ``end``/``completed`` in
        the table (``attrs["note"]`` of the result says so).
    horizon : float, optional
        How long (in the unit of ``value``) a period must be over before it is shown. Default:
        the 95th percentile of lead times from the Kaplan–Meier curve of all cases (open ones
        censored), so at most about 5 % of a shown period's cases can still be open.

    Returns
    -------
    pandas.DataFrame
        ``period`` (the period's first day), ``n_cases``, ``n_open`` (still open at the
        extract date) and ``value``. With open cases or ``as_of``, ``attrs`` holds
        ``as_of``, ``horizon`` and a ``note`` on the periods left out.
    """
    if stat not in ("median", "mean"):
        raise ValueError(f"stat must be 'median' or 'mean', not {stat!r}")
    d = pd.to_datetime(timings[date]).reset_index(drop=True)
    v = pd.Series(timings[value].to_numpy(dtype=float, na_value=np.nan))
    is_open = (v.isna() & d.notna()).to_numpy()
    if as_of is None and "as_of" in timings.attrs:
        as_of = timings.attrs["as_of"]
    local = d.dt.tz_localize(None) if getattr(d.dt, "tz", None) is not None else d
    period = local.dt.to_period(freq)
    frame = pd.DataFrame({"period": period.dt.start_time, "v": v, "open": is_open})
    if not is_open.any() and as_of is None:
        frame = frame.dropna(subset=["period", "v"])
        g = frame.groupby("period")["v"]
        out = pd.DataFrame({"n_cases": g.size(), "n_open": 0, "value": g.agg(stat)})
        out = out.reset_index()
        return out.loc[out["n_cases"] >= min_cases].reset_index(drop=True)
    return _censored_periods(
        timings, d, v, is_open, period, frame, stat, min_cases, as_of, horizon, value
    )


def _censored_periods(
    timings, d, v, is_open, period, frame, stat, min_cases, as_of, horizon, value
):
    """:func:`period_lead_times` when cases may be open: periods that had time, KM statistics."""
    note = ""
    if as_of is None:
        dates = [d] + [
            pd.to_datetime(timings[c]).reset_index(drop=True)
            for c in ("end", "completed")
            if c in timings.columns
        ]
        as_of = pd.concat(dates, axis=1).max(axis=1).max()
        note = "as_of not given: the latest date in the table is the extract date. "
    unit = duration_unit(value)
    c = censoring_times(d, as_of, unit=unit)
    done = ~is_open & v.notna().to_numpy()
    used = (done | (is_open & (c > 0))) & frame["period"].notna().to_numpy()
    time = np.where(done, v.to_numpy(), c)
    if horizon is None:
        horizon = km_quantile(time[used], done[used], 0.95)
        if np.isnan(horizon):  # the curve never reaches 95 %: wait for the longest time seen
            horizon = float(np.max(time[used])) if used.any() else 0.0
    # time from each period's end to the extract date, in the unit of value
    ends = period.dt.end_time
    if getattr(d.dt, "tz", None) is not None:
        ends = ends.dt.tz_localize(d.dt.tz)
    since_end = censoring_times(ends, as_of, unit=unit)
    ready = since_end >= horizon
    f = frame.loc[used & ready].copy()
    f["time"], f["done"] = time[used & ready], done[used & ready]
    keys, codes = np.unique(f["period"].to_numpy(), return_inverse=True)
    n_cases = np.bincount(codes, minlength=len(keys))
    n_open = np.bincount(codes, weights=~f["done"].to_numpy(), minlength=len(keys))
    km = km_summary(f["time"].to_numpy(), f["done"].to_numpy(), codes=codes, n_groups=len(keys))
    plain = f.loc[f["done"]].groupby(codes[f["done"].to_numpy()])["time"].agg(stat)
    plain = plain.reindex(range(len(keys))).to_numpy(dtype=float)
    stat_km = km["median"] if stat == "median" else km["mean"]
    out = pd.DataFrame(
        {
            "period": keys,
            "n_cases": n_cases.astype(np.int64),
            "n_open": n_open.astype(np.int64),
            "value": np.where(n_open > 0, stat_km, plain),
        }
    )
    left_out = pd.unique(frame.loc[~ready & frame["period"].notna().to_numpy(), "period"])
    out.attrs.update(
        as_of=as_of,
        horizon=float(horizon),
        note=note
        + f"{len(left_out)} period(s) ending less than {horizon:.3g} ({unit}) before the "
        "extract date left out: their cases had no time to finish",
    )
    return out.loc[out["n_cases"] >= min_cases].reset_index(drop=True)
