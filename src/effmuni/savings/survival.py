"""Kaplan–Meier summaries of right-censored durations, per group, vectorised.

A case still open at the extract date (``as_of``) has not finished: its duration is only known
to exceed the time it has been open. Dropping such cases keeps the short ones and loses the
long ones, so means, medians and the last weeks of a control chart look better than they are.
Kaplan–Meier (KM) uses them as *right-censored*: an open case counts among the cases at risk
up to its censoring time, and its share of the distribution passes to the cases still at risk
after it (Efron's "redistribution to the right").

The summaries here are the ones effmuni reports, chosen by the simulation in
``docs/methods.md`` (section "Censoring"):

- the **mean** is the area under the KM curve up to the largest observation, with Efron's tail
  rule: when that observation is an open case, the mass still beyond it sits at its
  censoring time (so the mean is then a lower bound, and :func:`km_summary` returns the mass
  as ``tail``); the same on ``log x`` gives the geometric mean;
- the **median** is the smallest time where the KM curve reaches ½ or less, and the midpoint
  to the next event time when the curve is exactly ½ there (the convention of R's
  ``survfit``), so that without open cases it is the ordinary sample median; NaN when the
  curve never reaches ½ before the last completed case.

Without open cases every KM mass is ``1/n``: the summaries are the sample mean, geometric
mean and median. Everything is computed with numpy on the rows sorted by (group, time); no
Python loop runs over groups or rows. The KM mass of a completed case ``i`` is
``1 / (n·Ĝ(t_i−))``, where ``Ĝ`` is the KM curve of the censoring times (open cases as
events), so masses come from cumulative sums of logarithms within each group.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["censoring_times", "duration_unit", "km_masses", "km_quantile", "km_summary"]

#: tolerance for "the KM curve is exactly ½" (masses are sums of floating-point fractions)
_HALF_TOL = 1e-9


def _sort(time: np.ndarray, event: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Order of rows by (group, time, completed before open at equal times)."""
    return np.lexsort((~event, time, codes))


def km_masses(
    time, event, *, codes=None, n_groups: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """KM probability mass of every row, and the mass left beyond the largest observation.

    Parameters
    ----------
    time : array of float
        Duration of a completed case, or the time an open case has been open (its
        censoring time). Must be finite.
    event : array of bool
        True for a completed case, False for an open one.
    codes : array of int, optional
        Group of each row, ``0 … n_groups − 1`` (default: one group).
    n_groups : int, optional
        Number of groups (default ``codes.max() + 1``).

    Returns
    -------
    order, mass, tail
        ``order`` sorts the rows by (group, time, completed first); ``mass[k]`` is the KM mass
        of row ``order[k]`` (zero for open cases); ``tail[g]`` is the KM survival of group
        ``g`` after its largest observation (positive only when that observation is open).

    Examples
    --------
    >>> order, mass, tail = km_masses([1.0, 2.0, 3.0, 4.0], [True, False, True, True])
    >>> mass.round(4).tolist(), tail.round(4).tolist()
    ([0.25, 0.0, 0.375, 0.375], [0.0])
    """
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=bool)
    c = np.zeros(len(t), dtype=np.intp) if codes is None else np.asarray(codes, dtype=np.intp)
    if n_groups is None:
        n_groups = int(c.max()) + 1 if len(c) else 0
    order = _sort(t, e, c)
    t, e, c = t[order], e[order], c[order]
    n = np.bincount(c, minlength=n_groups).astype(float)
    start = np.r_[0, np.cumsum(n)[:-1]].astype(np.intp)
    pos = np.arange(len(t)) - start[c]  # position within the group
    at_risk = n[c] - pos  # rows at or after this one
    # log Ĝ(t−): the censoring curve just before each row (sum over the open rows before it);
    # a group's last row, if open, would add log 0, which no later row of the group needs
    with np.errstate(divide="ignore"):
        step = np.where(e | (at_risk <= 1), 0.0, np.log1p(-1.0 / at_risk))
    before = np.cumsum(step) - step
    log_g = before - before[start[c]]
    mass = np.where(e, np.exp(-log_g) / n[c], 0.0)
    total = np.bincount(c, weights=mass, minlength=n_groups)
    last_open = np.zeros(n_groups, dtype=bool)
    has = n > 0
    last_open[has] = ~e[(start + n - 1).astype(np.intp)[has]]
    tail = np.where(last_open, np.clip(1.0 - total, 0.0, 1.0), 0.0)
    return order, mass, tail


def km_summary(time, event, *, codes=None, n_groups: int | None = None) -> dict[str, np.ndarray]:
    """Mean, geometric mean, median and their spread per group, from the KM curve.

    Parameters are those of :func:`km_masses`; ``time`` must be positive for the geometric
    mean.

    Returns
    -------
    dict of arrays, one value per group
        ``mean``, ``var`` (of the KM distribution with the tail at the largest observation,
        ``n/(n−1)`` times, as the sample variance), ``mean_log``, ``var_log`` (the same on
        ``log time``), ``median``, ``tail`` (the mass beyond the largest observation, placed
        at it), ``n`` (rows) and ``n_events`` (completed cases). A group without a completed
        case gets NaN summaries.

    Examples
    --------
    >>> s = km_summary([2.0, 4.0, 8.0, 16.0], [True, True, True, True])
    >>> float(s["mean"][0]), float(s["median"][0])
    (7.5, 6.0)
    >>> s = km_summary([1.0, 2.0, 3.0, 4.0], [True, False, True, True])
    >>> float(s["mean"][0]), float(s["median"][0])
    (2.875, 3.0)
    """
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=bool)
    c = np.zeros(len(t), dtype=np.intp) if codes is None else np.asarray(codes, dtype=np.intp)
    if n_groups is None:
        n_groups = int(c.max()) + 1 if len(c) else 0
    order, mass, tail = km_masses(t, e, codes=c, n_groups=n_groups)
    ts, es, cs = t[order], e[order], c[order]
    n = np.bincount(cs, minlength=n_groups).astype(float)
    n_events = np.bincount(cs, weights=es, minlength=n_groups)
    t_last = np.full(n_groups, np.nan)
    has = n > 0
    t_last[has] = ts[(np.cumsum(n) - 1).astype(np.intp)[has]]
    with np.errstate(divide="ignore", invalid="ignore"):
        logt = np.log(ts)
        out = {}
        for name, v, v_last in (("", ts, t_last), ("_log", logt, np.log(t_last))):
            m1 = np.bincount(cs, weights=mass * v, minlength=n_groups) + tail * v_last
            m2 = np.bincount(cs, weights=mass * v * v, minlength=n_groups) + tail * v_last**2
            var = np.maximum(m2 - m1 * m1, 0.0) * n / (n - 1)
            out[f"mean{name}"] = np.where(n_events > 0, m1, np.nan)
            out[f"var{name}"] = np.where(n_events > 1, var, np.nan)
    out["median"] = _km_median(ts, es, cs, mass, n_groups)
    out["tail"] = tail
    out["n"] = n.astype(np.int64)
    out["n_events"] = n_events.astype(np.int64)
    return out


def _km_median(t, e, c, mass, n_groups) -> np.ndarray:
    """KM median per group from sorted rows and masses (midpoint where the curve is ½)."""
    med = np.full(n_groups, np.nan)
    ev = np.flatnonzero(e)
    if len(ev) == 0:
        return med
    ce, te, me = c[ev], t[ev], mass[ev]
    # cumulative mass over each group's completed cases
    cum = np.cumsum(me)
    start = np.flatnonzero(np.r_[True, ce[1:] != ce[:-1]])
    offset = np.repeat(cum[start] - me[start], np.diff(np.r_[start, len(ce)]))
    cum -= offset
    reached = cum >= 0.5 - _HALF_TOL
    # first completed case of each group where the curve reaches ½
    idx = np.flatnonzero(reached & ~np.r_[False, reached[:-1] & (ce[1:] == ce[:-1])])
    g = ce[idx]
    value = te[idx]
    exact = np.abs(cum[idx] - 0.5) <= _HALF_TOL
    nxt = np.minimum(idx + 1, len(ce) - 1)
    has_next = (idx + 1 < len(ce)) & (ce[nxt] == g)
    value = np.where(exact & has_next, (value + te[nxt]) / 2, value)
    med[g] = value
    return med


def km_quantile(time, event, q: float) -> float:
    """The ``q`` quantile of one sample's KM distribution (NaN when the curve stays above).

    The smallest completed time ``t`` with KM ``F(t) ≥ q``; e.g. ``q=0.95`` is how long 95 %
    of cases take, counting the open ones.

    Examples
    --------
    >>> km_quantile([1.0, 2.0, 3.0, 4.0, 5.0], [True] * 5, 0.8)
    4.0
    """
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=bool)
    if not e.any():
        return float("nan")
    order, mass, _ = km_masses(t, e)
    cum = np.cumsum(mass)
    hit = np.flatnonzero(cum >= q - _HALF_TOL)
    return float(t[order][hit[0]]) if len(hit) else float("nan")


def censoring_times(received, as_of, *, unit: str = "days") -> np.ndarray:
    """Time from ``received`` to ``as_of`` (per row, or one date) in ``unit``.

    ``unit`` is ``"days"`` (calendar), ``"workdays"`` (Russian production calendar),
    ``"hours"`` or ``"min"``; :func:`duration_unit` reads it from a column name. A naive
    ``as_of`` is read in the time zone of ``received``. NaN where ``received`` is missing.

    Examples
    --------
    >>> censoring_times(pd.to_datetime(["2024-03-01", "2024-03-05"]), "2024-03-11").tolist()
    [10.0, 6.0]
    """
    rec = pd.Series(pd.to_datetime(received)).reset_index(drop=True)
    tz = getattr(rec.dt, "tz", None)
    if isinstance(as_of, (pd.Series, pd.Index, np.ndarray, list)):
        extract = pd.Series(pd.to_datetime(as_of)).reset_index(drop=True)
    else:
        when = pd.Timestamp(as_of)
        if tz is not None and when.tzinfo is None:
            when = when.tz_localize(tz)
        extract = pd.Series([when] * len(rec), dtype=rec.dtype if tz is not None else None)
    if unit == "workdays":
        from ..calendar import workdays_between

        return np.asarray(workdays_between(rec, extract), dtype=float)
    per_day = {"days": 1.0, "hours": 24.0, "min": 1440.0}[unit]
    days = ((extract - rec) / pd.Timedelta(days=1)).to_numpy(dtype=float, na_value=np.nan)
    return days * per_day


def duration_unit(column: str) -> str:
    """The unit of a duration column, by the end of its name.

    ``…_workdays``: working days; ``…_hours``: hours; ``…_min``: minutes; otherwise
    calendar days.

    Examples
    --------
    >>> duration_unit("lead_time_workdays"), duration_unit("lead_time_days")
    ('workdays', 'days')
    """
    for suffix, unit in (("_workdays", "workdays"), ("_hours", "hours"), ("_min", "min")):
        if column.endswith(suffix):
            return unit
    return "days"
