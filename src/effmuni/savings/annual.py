"""What the savings are worth a year, and how strong the evidence is.

:func:`annual_effect` turns savings per case into citizen days and staff hours a year, kept
apart; :func:`evidence_summary` counts projects per source of evidence.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._common import _by_columns, _join_flags

__all__ = ["HOURS_PER_FTE", "annual_effect", "evidence_summary"]

#: working hours of one full-time equivalent a year: the 2023 norm of the Russian production
#: calendar for a 40-hour week (247 working days × 8 h, less 3 shortened pre-holiday days)
HOURS_PER_FTE = 1973.0

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
