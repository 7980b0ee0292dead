"""One row per project from the best source of evidence it has: :func:`project_savings`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..text import Refusal
from ._bootstrap import MIN_CASES
from ._common import _check_params, _join_flags
from .card import passport_savings
from .cases import _LEAD_COLUMNS, _WORK_COLUMNS, SAVINGS_COLUMNS, estimate_savings

__all__ = [
    "CALENDAR_DAYS_PER_WORKDAY",
    "MINUTES_PER_WORKDAY",
    "PROJECT_COLUMNS",
    "project_savings",
]

#: calendar days per working day (365.25 / 247), used only to put card values given in working
#: days on the calendar-day scale of the case timings; such rows carry a caveat
CALENDAR_DAYS_PER_WORKDAY = 365.25 / 247
#: touch time of one "working day" on a card, in minutes (an 8-hour day)
MINUTES_PER_WORKDAY = 480.0

#: output columns of :func:`project_savings`
PROJECT_COLUMNS = (
    "project_id",
    "municipality_id",
    "institution_id",
    "process_name",
    "stage",
    "annual_volume",
    "target_reduction_pct",
    "baseline_method",
    "source",
    *_LEAD_COLUMNS,
    "work_source",
    *_WORK_COLUMNS,
    "planned_saving_pct",
    "regulation_baseline",
    "planned_only",
    "caveats",
    "note",
)


def _card_days(values: pd.Series, unit: pd.Series) -> np.ndarray:
    """Card durations in calendar days (minutes ÷ 1440; working days × 365.25/247)."""
    v = values.to_numpy(dtype=float)
    u = unit.astype("string").fillna("")
    return np.select(
        [(u == "min").to_numpy(), (u == "workday").to_numpy()],
        [v / 1440.0, v * CALENDAR_DAYS_PER_WORKDAY],
        np.nan,
    )


def project_savings(
    dataset,
    *,
    municipality: str | None = None,
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
    method: str = "symmetric",
    as_of=None,
) -> pd.DataFrame:
    """One row per project: its lead-time and touch-time saving from the best source it has.

    The source of the lead-time figures (``source``):

    1. ``"cases"``: case timings with at least 5 completed cases in each phase
       (:func:`estimate_savings`, with intervals);
    2. ``"passport"``: the card's baseline and actual ``lead_time``
       (:func:`passport_savings`; no interval: a card gives one number per phase);
    3. ``"cases"`` with fewer cases (point values and a note), or ``"none"``.

    The touch time (``work_source``) comes from the cases' ``work_min`` when the lead time
    does and it was recorded, else from the card's ``process_time``, else none. Value-stream
    maps are not used here (see :func:`map_savings`).

    Parameters
    ----------
    dataset : effmuni.Dataset
        A loaded dataset.
    municipality : str, optional
        Only the projects of this ``municipality_id`` (None or ``"all"``: every project). A
        project's figures do not depend on which other projects are estimated with it.
    confidence, n_boot, seed, method
        As in :func:`estimate_savings`.
    as_of : str or datetime, optional
        The extract date of the case timings: open cases are right-censored at it (as in
        :func:`estimate_savings`). None: each project's own extract, its latest receipt or
        completion date, with a note in the projects that have open cases. Case timings are
        exported per project at the end of its measurement window, so the dataset's
        ``extract_date`` (the date of the registry export) is *not* used for them: a case
        still open when its project's timings were exported is unknown after that, not open
        until the registry was exported.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PROJECT_COLUMNS`, one row per project of ``dataset.projects`` (in its
        order). Lead times (``mean_*``, ``median_*``, ``saving*``) are in calendar days per
        case: card values in minutes are divided by 1440 and card values in working days are
        multiplied by 365.25/247 (a caveat says so); touch times are in minutes per case.
        For a card, ``mean_*`` hold its values whatever statistic they are (the caveat says
        when baseline and actual differ) and ``n_before``/``n_after`` its ``n_obs``.
        ``planned_saving_pct`` is the card's target reduction, a plan and never an
        achievement. ``regulation_baseline`` is True when the card's baseline is a
        regulation limit and no case timings replace it; ``planned_only`` when the project
        has a target but no result yet.

    Examples
    --------
    >>> import effmuni as em
    >>> ds = em.load_dataset("tests/data/mini")
    >>> ps = em.project_savings(ds, n_boot=0)
    >>> ps[["project_id", "source", "saving", "saving_pct", "planned_only"]]
      project_id    source  saving  saving_pct  planned_only
    0         p1  passport     6.0        60.0         False
    1         p2      none     NaN         NaN          True
    2         p3  passport     1.0        50.0         False
    3         p4      none     NaN         NaN         False
    """
    _check_params(confidence, n_boot, method)
    proj = dataset.projects.merge(
        dataset.project_municipality()[["project_id", "municipality_id"]],
        on="project_id",
        how="left",
    )
    if municipality not in (None, "all"):
        known = dataset.municipalities["municipality_id"]
        if municipality not in set(known):
            raise Refusal(
                "err_unknown_municipality", id=repr(municipality), known=", ".join(sorted(known))
            )
        proj = proj[proj["municipality_id"] == municipality]
    out = proj.reindex(columns=list(PROJECT_COLUMNS[:8])).reset_index(drop=True)
    ids = out["project_id"]
    cases = dataset.cases[dataset.cases["project_id"].isin(ids)]
    if len(cases):
        cs = estimate_savings(
            cases, confidence=confidence, n_boot=n_boot, seed=seed, method=method, as_of=as_of
        ).set_index("project_id")
    else:
        cs = pd.DataFrame(columns=["project_id", *SAVINGS_COLUMNS]).set_index("project_id")
    cs = cs.reindex(ids)
    card = passport_savings(
        dataset.passport, dataset.projects, indicators=["lead_time", "process_time"]
    )
    lead = card[card["indicator"] == "lead_time"].set_index("project_id").reindex(ids)
    proc = card[card["indicator"] == "process_time"].set_index("project_id").reindex(ids)

    nb, na = cs["n_before"].fillna(0).to_numpy(), cs["n_after"].fillna(0).to_numpy()
    card_before = _card_days(lead["baseline"], lead["unit"])
    card_after = _card_days(lead["actual"], lead["unit"])
    has_card = ~np.isnan(card_before) & ~np.isnan(card_after)
    src = np.select(
        [(nb >= MIN_CASES) & (na >= MIN_CASES), has_card, (nb > 0) & (na > 0)],
        ["cases", "passport", "cases"],
        "none",
    )
    from_cases, from_card = src == "cases", src == "passport"
    out["source"] = pd.Series(src, dtype="string")

    def pick(case_col: str, card_values) -> np.ndarray:
        c = cs[case_col].to_numpy(dtype=float, na_value=np.nan)
        return np.where(from_cases, c, np.where(from_card, card_values, np.nan))

    with np.errstate(invalid="ignore", divide="ignore"):
        card_ratio = card_after / card_before
        card_values = {
            "mean_before": card_before,
            "mean_after": card_after,
            "saving": card_before - card_after,
            "saving_pct": 100 * (1 - card_ratio),
            "ratio": card_ratio,
            "log_ratio": np.log(card_ratio),
        }
    out["n_before"] = pd.array(
        np.where(
            from_cases, nb, np.where(from_card, lead["n_obs_baseline"].astype(float), np.nan)
        ),
        dtype="Int64",
    )
    out["n_after"] = pd.array(
        np.where(from_cases, na, np.where(from_card, lead["n_obs_actual"].astype(float), np.nan)),
        dtype="Int64",
    )
    for col in ("n_open", "n_invalid"):
        out[col] = pd.array(np.where(from_cases, cs[col].astype(float), np.nan), dtype="Int64")
    out["as_of"] = cs["as_of"].where(from_cases).reset_index(drop=True)
    for col in _LEAD_COLUMNS[_LEAD_COLUMNS.index("mean_before") :]:
        out[col] = pick(col, card_values.get(col, np.nan))

    # touch time: the cases' work_min when they give the lead time, else the card
    case_work = from_cases & (cs["n_work_before"].fillna(0).to_numpy() > 0)
    case_work &= cs["n_work_after"].fillna(0).to_numpy() > 0
    unit_p = proc["unit"].astype("string").fillna("")
    factor = np.select(
        [(unit_p == "min").to_numpy(), (unit_p == "workday").to_numpy()],
        [1.0, MINUTES_PER_WORKDAY],
        np.nan,
    )
    pb, pa = (
        proc["baseline"].to_numpy(dtype=float) * factor,
        proc["actual"].to_numpy(dtype=float) * factor,
    )
    card_work = ~case_work & ~np.isnan(pb) & ~np.isnan(pa)
    out["work_source"] = pd.Series(
        np.where(case_work, "cases", np.where(card_work, "passport", "none")), dtype="string"
    )
    card_w = {"work_before_min": pb, "work_after_min": pa, "work_saving_min": pb - pa}
    for col in ("work_before_min", "work_after_min", "work_saving_min"):
        c = cs[col].to_numpy(dtype=float, na_value=np.nan)
        out[col] = np.where(case_work, c, np.where(card_work, card_w[col], np.nan))
    for col in ("work_saving_min_low", "work_saving_min_high"):
        out[col] = np.where(case_work, cs[col].to_numpy(dtype=float, na_value=np.nan), np.nan)

    out["planned_saving_pct"] = -lead["planned_change_pct"].to_numpy(dtype=float)
    regulation = (out["baseline_method"] == "regulation_limit").fillna(False).to_numpy(bool)
    out["regulation_baseline"] = regulation & ~from_cases
    has_target = ~np.isnan(lead["target"].to_numpy(dtype=float))
    out["planned_only"] = (src == "none") & has_target
    working = from_card & (lead["unit"].astype("string") == "workday").fillna(False).to_numpy()
    not_mean = np.zeros(len(out), dtype=bool)
    for col in ("stat_baseline", "stat_actual"):
        not_mean |= (lead[col].astype("string") != "mean").fillna(True).to_numpy(dtype=bool)
    # a regulation limit is a single number by nature: its own caveat says enough
    not_mean &= from_card & ~out["regulation_baseline"].to_numpy(dtype=bool)
    out["caveats"] = _join_flags(
        {
            "regulation-limit baseline": out["regulation_baseline"],
            "estimated baseline": ~from_cases
            & (out["baseline_method"] == "estimate").fillna(False),
            "planned value only": out["planned_only"],
            "card value is a median or a single value, not a mean": not_mean,
            "working days converted to calendar days": working,
        },
        len(out),
    )
    out["note"] = pd.Series(
        np.where(from_cases, cs["note"].astype("string").fillna(""), ""), dtype="string"
    )
    return out[list(PROJECT_COLUMNS)]
