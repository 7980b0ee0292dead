"""What the savings are worth a year, and how strong the evidence is.

:func:`annual_effect` turns savings per case into citizen days and staff hours a year, kept
apart, with totals per municipality or for the region whose intervals carry the uncertainty of
every project, card values included; :func:`evidence_summary` counts projects per source of
evidence.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._bootstrap import MIN_CASES, _interval, _weights
from ._common import _by_columns, _check_params, _join_flags

__all__ = ["ANNUAL_TOTAL_COLUMNS", "HOURS_PER_FTE", "annual_effect", "evidence_summary"]

#: working hours of one full-time equivalent a year: the 2023 norm of the Russian production
#: calendar for a 40-hour week (247 working days × 8 h, less 3 shortened pre-holiday days)
HOURS_PER_FTE = 1973.0

#: measure → (saving per case, what it is a share of, factor to the annual unit)
_ANNUAL_MEASURES = {
    "citizen_days": ("saving", "mean_before", 1.0),
    "staff_hours": ("work_saving_min", "work_before_min", 1 / 60),
}
#: random streams of the bootstrap over projects (distinct from those of the case bootstrap)
_STREAM = {"citizen_days": 11, "staff_hours": 12}
#: the caveat of :func:`project_savings` for a card value that is not a mean
_NOT_MEAN_CAVEAT = "card value is a median or a single value, not a mean"

#: output columns of :func:`annual_effect` for totals (after the ``by`` columns)
ANNUAL_TOTAL_COLUMNS = (
    "n_projects",
    "n_citizen",
    "n_staff",
    "n_without_interval",
    "n_citizen_not_mean",
    "n_staff_not_mean",
    "n_left_out",
    "citizen_days",
    "citizen_days_low",
    "citizen_days_high",
    "citizen_days_no_interval",
    "citizen_card_pct",
    "staff_hours",
    "staff_hours_low",
    "staff_hours_high",
    "staff_fte",
    "staff_fte_low",
    "staff_fte_high",
    "staff_hours_no_interval",
    "staff_card_pct",
    "note",
)


def _ratio_se(m, wE, wE2, wE2r, wE2r2, ratio):
    """Linearised standard error of the ratio ``Σ w E r ÷ Σ w E`` of ``m`` projects.

    ``Σ w E² (r − ratio)²`` is expanded into the sums ``wE2``, ``wE2r``, ``wE2r2`` so that all
    replicates come from matrix products.
    """
    num = np.maximum(wE2r2 - 2 * ratio * wE2r + ratio**2 * wE2, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt(m / (m - 1) * num) / wE


def _total_interval(
    exposure: np.ndarray,
    share: np.ndarray,
    codes: np.ndarray,
    n_groups: int,
    *,
    confidence: float,
    n_boot: int,
    seed: int,
    stream: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Interval of the total ``Σ exposure × share`` per group, resampling projects.

    The ratio estimator: the exposures (cases a year × baseline time per case) are known, the
    shares saved are not. A replicate resamples a group's projects, its ratio is
    ``Σ w E r ÷ Σ w E`` with the linearised standard error, and the interval is the symmetric
    bootstrap-t one of the ratio, kept between the group's smallest and largest share (a
    weighted mean cannot leave that range), times the group's total exposure. Groups of the
    same size
    share one count matrix drawn from ``(seed, stream, size)``, so a group's interval does not
    depend on the other groups. Fewer than :data:`MIN_CASES` projects: NaN.
    """
    low, high = np.full(n_groups, np.nan), np.full(n_groups, np.nan)
    if n_boot == 0 or len(codes) == 0:
        return low, high
    size = np.bincount(codes, minlength=n_groups)
    order = np.argsort(codes, kind="stable")
    start = np.r_[0, np.cumsum(size)[:-1]]
    for m in np.unique(size[size >= MIN_CASES]):
        groups = np.flatnonzero(size == m)
        rows = start[groups][:, None] + np.arange(m)[None, :]
        E, r = exposure[order][rows], share[order][rows]  # (G, m)
        tot = E.sum(axis=1)
        rho = (E * r).sum(axis=1) / tot
        E2 = E**2
        se0 = _ratio_se(m, tot, E2.sum(1), (E2 * r).sum(1), (E2 * r * r).sum(1), rho)
        rep = np.empty((n_boot, len(groups)))
        rep_se = np.empty_like(rep)
        for sl, W in _weights(seed, stream, int(m), n_boot):
            wE = W @ E.T
            ratio = (W @ (E * r).T) / wE
            rep[sl] = ratio
            rep_se[sl] = _ratio_se(m, wE, W @ E2.T, W @ (E2 * r).T, W @ (E2 * r * r).T, ratio)
        lo, hi = _interval("symmetric", 1 - confidence, rho, se0, rep, rep_se, None)
        # a weighted mean of the shares lies between the smallest and the largest of them
        lo, hi = np.maximum(lo, r.min(axis=1)), np.minimum(hi, r.max(axis=1))
        low[groups], high[groups] = lo * tot, hi * tot
    return low, high


def _not_mean(s: pd.DataFrame, projects, measure: str) -> np.ndarray:
    """Rows whose card value behind ``measure`` is a median or a single value, not a mean."""
    src_col = "source" if measure == "citizen_days" else "work_source"
    if src_col not in s.columns:
        return np.zeros(len(s), dtype=bool)
    card = (s[src_col].astype("string") == "passport").fillna(False).to_numpy(dtype=bool)
    if hasattr(projects, "passport"):  # a Dataset: the card's own statistics
        from .card import passport_savings

        indicator = "lead_time" if measure == "citizen_days" else "process_time"
        ps = passport_savings(projects.passport, projects.projects, indicators=[indicator])
        ps = ps.drop_duplicates("project_id").set_index("project_id").reindex(s["project_id"])
        nm = np.zeros(len(s), dtype=bool)
        for col in ("stat_baseline", "stat_actual"):
            nm |= (ps[col].astype("string") != "mean").fillna(True).to_numpy(dtype=bool)
        return card & nm
    if measure == "citizen_days" and "caveats" in s.columns:
        caveat = s["caveats"].astype("string").str.contains(_NOT_MEAN_CAVEAT, regex=False)
        return card & caveat.fillna(False).to_numpy(dtype=bool)
    return np.zeros(len(s), dtype=bool)


def annual_effect(
    savings: pd.DataFrame,
    projects=None,
    *,
    by: str | Sequence[str] | None = "project_id",
    hours_per_fte: float = HOURS_PER_FTE,
    include_regulation_baselines: bool = False,
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """What the savings are worth a year: citizen days and staff hours, kept apart.

    - **Citizen time**: lead time saved per case (``saving``, days) × ``annual_volume``, in
      days a year. A shorter wait frees no staff hours.
    - **Staff time**: touch time saved per case (``work_saving_min``, minutes) ×
      ``annual_volume`` ÷ 60, in hours a year, and in full-time equivalents (FTE) at
      ``hours_per_fte`` hours a year.

    Per project the limits of the saving are multiplied by the (known) volume; a card value
    has none. Only arithmetic means turn into totals: a card value that is a median or a
    single measurement is listed per project but left out of the totals (counted in
    ``n_citizen_not_mean``, ``n_staff_not_mean``).

    The interval of a total carries the uncertainty of every project in it, card values
    included: projects are resampled within the group (a seeded, vectorised bootstrap), each
    weighed by its exposure, the cases a year × the time per case before the project (a
    ratio estimator: the exposures are known, the share of the time saved is not), and the
    interval is the symmetric bootstrap-t one. It answers how far the total could be off
    given how much the projects' figures differ, and it is wide when a few projects carry a
    total. With fewer than 5 projects there is no honest interval: the limits are empty and
    ``citizen_days_no_interval`` (``staff_hours_no_interval``) and ``note`` say so.

    Parameters
    ----------
    savings : pandas.DataFrame
        One row per project with ``project_id``, ``saving`` (days per case),
        ``work_saving_min`` and their ``_low``/``_high`` limits, and the baselines
        ``mean_before`` (days) and ``work_before_min``: the output of :func:`project_savings`
        (or of :func:`estimate_savings` by project on ``lead_time_days``). ``source``,
        ``work_source``, ``regulation_baseline``, ``planned_only`` and ``caveats`` are used
        when present.
    projects : pandas.DataFrame or effmuni.Dataset, optional
        Supplies ``annual_volume`` (cases a year) and, for ``by="municipality_id"``, the
        municipality. A Dataset also supplies the statistic (mean, median, single value) of
        every card value, for the lead time and the touch time; without it the lead time's
        comes from the ``caveats`` of :func:`project_savings` and the touch time's is not
        checked. Default: the columns already in ``savings``.
    by : str, list of str or None, default "project_id"
        ``"project_id"`` for one row per project; another column (e.g. ``"municipality_id"``)
        or None (the region) for totals.
    hours_per_fte : float, default :data:`HOURS_PER_FTE` (1973)
        Working hours of one FTE a year: the 2023 norm of the production calendar for a
        40-hour week. Pass about 1750 for effective hours after annual leave.
    include_regulation_baselines : bool, default False
        Count projects whose baseline is a regulation limit in the totals (they are always
        listed per project, with ``included`` False).
    confidence : float, default 0.95
        Level of the intervals of totals.
    n_boot : int, default 2000
        Bootstrap resamples of projects for the intervals of totals (0: no intervals).
    seed : int, default 0
        Seed of the bootstrap over projects.

    Returns
    -------
    pandas.DataFrame
        Per project: ``project_id`` (and ``municipality_id`` when known), ``annual_volume``,
        ``citizen_days``, ``staff_hours``, ``staff_fte`` (each with ``_low``/``_high``),
        ``lead_source``, ``work_source``, ``citizen_not_mean`` and ``staff_not_mean`` (the
        card value is a median or a single value: left out of that total), ``included``
        (counted in at least one total) and ``note``.

        Totals: the ``by`` columns, then :data:`ANNUAL_TOTAL_COLUMNS`: ``n_projects``,
        ``n_citizen`` and ``n_staff`` (projects adding to each total),
        ``n_without_interval`` (of the citizen total, card values with no interval of their
        own), ``n_citizen_not_mean`` and ``n_staff_not_mean`` (card medians or single
        values left out), ``n_left_out`` (regulation-limit baselines, no result yet or no
        volume), the sums with their limits, ``citizen_days_no_interval`` and
        ``staff_hours_no_interval`` (True: no honest interval, the limits are empty),
        ``citizen_card_pct`` and ``staff_card_pct`` (the share of the total from card values,
        %) and ``note``.

    Examples
    --------
    >>> import effmuni as em
    >>> ds = em.load_dataset("tests/data/mini")
    >>> ae = em.annual_effect(em.project_savings(ds, n_boot=0), ds)
    >>> ae[["project_id", "citizen_days", "citizen_not_mean", "included"]]
      project_id  citizen_days  citizen_not_mean  included
    0         p1        7200.0             False      True
    1         p2           NaN             False     False
    2         p3         300.0              True     False
    3         p4           NaN             False     False

    p3's card gives medians: its 300 days are listed but are not a total of anything.
    """
    if hours_per_fte <= 0:
        raise ValueError(f"hours_per_fte must be positive, not {hours_per_fte!r}")
    _check_params(confidence, n_boot, "symmetric")
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
    for measure, (col, _, factor) in _ANNUAL_MEASURES.items():
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
    # a regulation limit is a single number by nature: its own flag says enough
    not_mean = {m: _not_mean(s, projects, m) & ~regulation for m in _ANNUAL_MEASURES}
    counted = {
        m: ~left_out & ~not_mean[m] & ~np.isnan(out[m].to_numpy()) for m in _ANNUAL_MEASURES
    }
    out["citizen_not_mean"] = not_mean["citizen_days"]
    out["staff_not_mean"] = not_mean["staff_hours"]
    out["included"] = counted["citizen_days"] | counted["staff_hours"]
    out["note"] = _join_flags(
        {
            "no annual volume": no_volume,
            "no result yet": planned | (no_result & ~no_volume),
            "regulation-limit baseline (left out of totals)": regulation
            & ~include_regulation_baselines,
            "card value is a median or a single value: not in the citizen-days total": ~left_out
            & not_mean["citizen_days"]
            & ~np.isnan(out["citizen_days"].to_numpy()),
            "card value is a median or a single value: not in the staff-hours total": ~left_out
            & not_mean["staff_hours"]
            & ~np.isnan(out["staff_hours"].to_numpy()),
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
    return _totals(
        out,
        s,
        keys,
        counted,
        not_mean,
        left_out,
        hours_per_fte,
        confidence=confidence,
        n_boot=n_boot,
        seed=seed,
    )


def _totals(out, s, keys, counted, not_mean, left_out, hours_per_fte, *, confidence, n_boot, seed):
    """One row per group of ``keys`` (or one for the region): sums, intervals, counts, notes."""
    if keys:
        grouped = out.groupby(keys, sort=True, dropna=False)
        codes = grouped.ngroup().to_numpy()
        res = grouped.size().rename("n_projects").reset_index()
    else:
        codes = np.zeros(len(out), dtype=np.intp)
        res = pd.DataFrame({"n_projects": [len(out)]})
    n_groups = len(res)

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(codes[mask], minlength=n_groups).astype(np.int64)

    lead_card = (out["lead_source"] == "passport").fillna(False).to_numpy(dtype=bool)
    res["n_citizen"] = count(counted["citizen_days"])
    res["n_staff"] = count(counted["staff_hours"])
    res["n_without_interval"] = count(
        counted["citizen_days"] & np.isnan(out["citizen_days_low"].to_numpy())
    )
    eligible = ~left_out
    for m, name in (("citizen_days", "n_citizen_not_mean"), ("staff_hours", "n_staff_not_mean")):
        res[name] = count(eligible & not_mean[m] & ~np.isnan(out[m].to_numpy()))
    res["n_left_out"] = count(left_out)
    notes: dict[str, np.ndarray] = {}
    work_card = (out["work_source"] == "passport").fillna(False).to_numpy(dtype=bool)
    for m, (_, base_col, factor) in _ANNUAL_MEASURES.items():
        c = counted[m]
        value = out[m].to_numpy(dtype=float)
        total = np.bincount(codes[c], weights=value[c], minlength=n_groups)
        total = np.where(res[f"n_{m.split('_')[0]}"] > 0, total, np.nan)
        base = (
            s[base_col].to_numpy(dtype=float, na_value=np.nan)
            if base_col in s.columns
            else np.full(len(s), np.nan)
        )
        exposure = base * out["annual_volume"].to_numpy(dtype=float) * factor
        known = np.isfinite(exposure) & (exposure > 0)
        unknown = np.bincount(codes[c & ~known], minlength=n_groups) > 0
        use = c & known
        with np.errstate(invalid="ignore", divide="ignore"):
            share = value / exposure
        low, high = _total_interval(
            exposure[use],
            share[use],
            codes[use],
            n_groups,
            confidence=confidence,
            n_boot=n_boot,
            seed=seed,
            stream=_STREAM[m],
        )
        low = np.where(unknown, np.nan, low)
        high = np.where(unknown, np.nan, high)
        card = lead_card if m == "citizen_days" else work_card
        card_sum = np.bincount(codes[c & card], weights=value[c & card], minlength=n_groups)
        res[m], res[f"{m}_low"], res[f"{m}_high"] = total, low, high
        res[f"{m}_no_interval"] = np.isnan(low)
        with np.errstate(invalid="ignore", divide="ignore"):
            res[f"{m.split('_')[0]}_card_pct"] = 100 * card_sum / total
        few = res[f"n_{m.split('_')[0]}"].to_numpy() < MIN_CASES
        what = "citizen-days" if m == "citizen_days" else "staff-hours"
        notes[f"fewer than {MIN_CASES} projects in the {what} total: no interval"] = few
        notes[f"a project in the {what} total has no baseline: no interval"] = unknown & ~few
    for suffix in ("", "_low", "_high"):
        res["staff_fte" + suffix] = res["staff_hours" + suffix] / hours_per_fte
    notes["card medians or single values left out of the totals"] = (
        res["n_citizen_not_mean"] + res["n_staff_not_mean"]
    ).to_numpy() > 0
    if n_boot == 0:
        notes = {"no bootstrap (n_boot=0)": np.ones(n_groups, dtype=bool), **notes}
    res["note"] = _join_flags(notes, n_groups)
    return res[[*keys, *ANNUAL_TOTAL_COLUMNS]]


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
