"""Savings from case timings before and after a project: :func:`estimate_savings`.

Case timings are the strongest evidence: means, medians, the saving, the percentage and the
ratio of geometric means, with bootstrap confidence intervals from the vectorised engine in
:mod:`effmuni.savings._bootstrap` (which explains how the replicates are drawn).
"""

from __future__ import annotations

from collections.abc import Sequence

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
from ._common import _by_columns, _check_params
from .survival import censoring_times, duration_unit, km_summary

__all__ = ["SAVINGS_COLUMNS", "estimate_savings"]

#: the lead-time estimate columns, shared by :func:`estimate_savings` and
#: :func:`~effmuni.savings.project_savings`
_LEAD_COLUMNS = (
    "n_before",
    "n_after",
    "n_open",
    "n_invalid",
    "as_of",
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
#: output columns of :func:`estimate_savings` (after the ``by`` columns)
SAVINGS_COLUMNS = (*_LEAD_COLUMNS, "n_work_before", "n_work_after", *_WORK_COLUMNS, "note")


def _censoring(cases, codes, n_groups, value, as_of, received):
    """Arrival column, the extract date of each group, and each row's time open by then.

    Returns ``(c, as_of_g, given)``: ``c`` is the time from receipt to the group's extract
    date in the unit of ``value`` (NaN without a receipt date); ``as_of_g`` the extract date of
    each group (NaT without dates); ``given`` whether ``as_of`` was passed.
    """
    n = len(cases)
    col = received or next((c for c in ("received", "start") if c in cases.columns), None)
    if col is None or col not in cases.columns:
        if received is not None:
            raise ValueError(f"cases has no column {received!r}")
        return np.full(n, np.nan), pd.Series([pd.NaT] * n_groups), as_of is not None
    rec = pd.to_datetime(cases[col]).reset_index(drop=True)
    tz = getattr(rec.dt, "tz", None)
    if as_of is not None:
        when = pd.Timestamp(as_of)
        if tz is not None and when.tzinfo is None:
            when = when.tz_localize(tz)
        extract = pd.Series([when] * n)
        as_of_g = pd.Series([when] * n_groups)
    else:
        # the latest date of the group's data: no extract can be earlier
        dates = [rec] + [
            pd.to_datetime(cases[c]).reset_index(drop=True)
            for c in ("completed", "end")
            if c in cases.columns and c != col
        ]
        latest = pd.concat(dates, axis=1).max(axis=1)
        as_of_g = latest.groupby(codes).max().reindex(range(n_groups))
        extract = as_of_g.iloc[codes].reset_index(drop=True)
    c = censoring_times(rec, extract, unit=duration_unit(value))
    return c, as_of_g.reset_index(drop=True), as_of is not None


def estimate_savings(
    cases: pd.DataFrame,
    by: str | Sequence[str] | None = "project_id",
    *,
    value: str = "lead_time_days",
    phase: str = "phase",
    before: str = "before",
    after: str = "after",
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
    work: str | None = "work_min",
    method: str = "symmetric",
    as_of=None,
    received: str | None = None,
) -> pd.DataFrame:
    """Time saved per group, from case timings before and after a project.

    Parameters
    ----------
    cases : pandas.DataFrame
        One row per case, e.g. ``Dataset.cases`` or :func:`effmuni.case_timings` after
        :func:`effmuni.split_at`, with the ``by`` column(s), ``phase`` and ``value`` (and
        ``work`` when present). A case whose ``value`` is missing is open (not completed): it
        is counted in ``n_open`` and, when its receipt date is known, enters the estimates as
        right-censored at the extract date (it took at least as long as it has been open);
        see ``as_of``. A completed case with a zero, negative or infinite ``value`` is a data
        error: it is counted in ``n_invalid`` and left out of its group only, with a note.
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
    as_of : str or datetime, optional
        The extract date: open cases are censored at ``as_of − received``, cases completed
        after it count as open, and cases received after it are left out (with a note). When
        None, each group's latest receipt or completion date is used (no extract can be
        earlier), and a note says so in the groups that have open cases.
    received : str, optional
        The receipt-date column; default ``"received"`` (``Dataset.cases``), else ``"start"``
        (:func:`effmuni.case_timings`). Without one, open cases cannot be censored: they are
        left out, with a note. Times open are in the unit of ``value``: working days of the
        Russian production calendar for a ``…_workdays`` column, hours for ``…_hours``,
        minutes for ``…_min``, calendar days otherwise.

    Returns
    -------
    pandas.DataFrame
        One row per group, sorted by the ``by`` columns, which come first, then the columns
        of :data:`SAVINGS_COLUMNS`:

        ``n_before``, ``n_after``, ``n_open``, ``n_invalid``
            Completed cases per phase; open cases in either phase; completed cases with a
            zero, negative or infinite duration (left out).
        ``as_of``
            The extract date the open cases were censored at (NaT without receipt dates).
        ``mean_before``, ``mean_after``, ``median_before``, ``median_after``
            Of ``value``. In a phase with open cases they come from the Kaplan–Meier curve: the
            mean is the area under it up to the longest case (Efron's tail rule: a lower bound
            when that case is still open, which a note says), the median where it crosses ½
            (NaN if it does not before the last completed case). Without open cases they are
            the plain mean and median; ``docs/methods.md`` (Censoring) has the simulation
            behind the choice.
        ``saving``, ``saving_low``, ``saving_high``
            ``mean_before − mean_after`` (positive: faster) and its interval.
        ``saving_pct``, ``saving_pct_low``, ``saving_pct_high``
            ``100 × saving / mean_before``.
        ``ratio``, ``ratio_low``, ``ratio_high``
            Geometric mean after ÷ geometric mean before (below 1: faster); with open cases,
            from the Kaplan–Meier mean of ``log value``.
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
        A missing column or a bad parameter.

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
    'fewer than 5 cases before; fewer than 5 cases after; open cases censored at the latest date in the data (as_of not given)'
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
    has_work = work is not None and work in cases.columns
    w = cases[work].to_numpy(dtype=float, na_value=np.nan) if has_work else np.full(len(x), np.nan)

    # bad durations hurt only their group: counted, left out, noted
    in_phase = is_b | is_a
    invalid = in_phase & ~np.isnan(x) & ((x <= 0) | np.isinf(x))
    n_invalid = np.bincount(codes[invalid], minlength=n_groups)
    # open cases are right-censored at the extract date, never dropped
    c, as_of_g, as_of_given = _censoring(cases, codes, n_groups, value, as_of, received)
    late = in_phase & (c < 0) if as_of_given else np.zeros(len(x), dtype=bool)
    in_phase &= ~late
    done = in_phase & ~invalid & ~np.isnan(x)
    if as_of_given:  # completed after the extract date: still open then
        done &= ~(x > c)
    is_open = in_phase & ~invalid & ~done
    n_open = np.bincount(codes[is_open], minlength=n_groups)
    censored = is_open & (c > 0)  # open for a while: it tells how long cases take at least
    undated = is_open & np.isnan(c)

    def sample(in_ph):
        used = in_ph & (done | censored)
        event = done[used]
        with np.errstate(divide="ignore"):
            v = {
                "x": np.where(event, x[used], np.nan),
                "logx": np.where(event, np.log(np.where(event, x[used], 1.0)), np.nan),
            }
        if use_work:
            v["work"] = np.where(event, w[used], np.nan)
        time = np.where(event, x[used], c[used])
        return _Sample(codes[used], v, n_groups, censored=(time, event))

    use_work = bool(np.isfinite(w[done]).any())
    sb, sa = sample(is_b), sample(is_a)
    nb, na = sb.count["x"].astype(np.int64), sa.count["x"].astype(np.int64)
    stat_fn = _case_stats(sb, sa)
    hat = stat_fn([sb.sums, sa.sums], np.arange(n_groups))
    eligible = np.flatnonzero((nb >= MIN_CASES) & (na >= MIN_CASES))
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

    medians, tails = [], []
    for in_ph, smp in ((is_b, sb), (is_a, sa)):
        m, tail = _medians(x, c, done, censored, in_ph, codes, n_groups, smp)
        medians.append(m)
        tails.append(tail)
    mean_b, mean_a = sb.centre["x"], sa.centre["x"]
    saving = hat["saving"][0]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame(
            {
                "n_before": nb,
                "n_after": na,
                "n_open": n_open,
                "n_invalid": n_invalid,
                "as_of": as_of_g,
                "mean_before": mean_b,
                "mean_after": mean_a,
                "median_before": medians[0],
                "median_after": medians[1],
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
                "note": _case_notes(
                    nb,
                    na,
                    nwb,
                    nwa,
                    work_ok,
                    n_boot,
                    flags={
                        _NOTE_INVALID: n_invalid > 0,
                        _NOTE_LATE: np.bincount(codes[late], minlength=n_groups) > 0,
                        _NOTE_UNDATED: np.bincount(codes[undated], minlength=n_groups) > 0,
                        _NOTE_AS_OF: (np.bincount(codes[censored], minlength=n_groups) > 0)
                        & (not as_of_given),
                        _NOTE_TAIL["before"]: tails[0] > 0,
                        _NOTE_TAIL["after"]: tails[1] > 0,
                    },
                ),
            }
        )
    return pd.concat([keys, out], axis=1)


def _medians(x, c, done, censored, in_ph, codes, n_groups, smp):
    """Median per group of a phase (KM where the group has open cases) and the KM tail."""
    med = pd.Series(x[in_ph & done]).groupby(codes[in_ph & done]).median()
    med = med.reindex(range(n_groups)).to_numpy(dtype=float, copy=True)
    tail = np.zeros(n_groups)
    if smp.km is not None:
        used = in_ph & (done | censored)
        km = km_summary(
            np.where(done, x, c)[used], done[used], codes=codes[used], n_groups=n_groups
        )
        groups = smp.km.groups
        med[groups], tail[groups] = km["median"][groups], km["tail"][groups]
    return med, tail


#: notes of :func:`estimate_savings` (fixed phrases: each has a label ``note_<slug>``)
_NOTE_INVALID = "cases with a zero or negative duration left out"
_NOTE_LATE = "cases received after as_of left out"
_NOTE_UNDATED = "open cases without a received date left out"
_NOTE_AS_OF = "open cases censored at the latest date in the data (as_of not given)"
_NOTE_TAIL = {
    p: f"the longest case {p} is still open: the mean {p} is a lower bound"
    for p in ("before", "after")
}


def _case_notes(nb, na, nwb, nwa, work_ok, n_boot, flags) -> pd.Series:
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
    parts += [np.where(np.asarray(flag, dtype=bool), text, "") for text, flag in flags.items()]
    if n_boot == 0:
        parts.append(np.full(len(nb), "no bootstrap (n_boot=0)"))
    notes = ["; ".join(p for p in row if p) for row in zip(*parts, strict=True)]
    return pd.Series(notes, dtype="string")
