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

__all__ = ["SAVINGS_COLUMNS", "estimate_savings"]

#: the lead-time estimate columns, shared by :func:`estimate_savings` and
#: :func:`~effmuni.savings.project_savings`
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
#: output columns of :func:`estimate_savings` (after the ``by`` columns)
SAVINGS_COLUMNS = (*_LEAD_COLUMNS, "n_work_before", "n_work_after", *_WORK_COLUMNS, "note")


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
