"""The panel of :func:`effmuni.service_effects`: municipality-services, their cohorts, weights.

Everything that is left out or repaired is counted into structured notes (``code`` + params),
which the surfaces translate with the catalogue (``note_eff_<code>``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._panel import DidDataError

__all__ = ["MIN_PRE", "Note", "ServicePanel", "build_panel"]

#: months of statistics before the project below which a unit's pre-trend is barely checked
MIN_PRE = 3
#: the reasons a validated dataset can give no causal effect, worded in the reader's language
#: by :func:`effmuni.effects.tables.effects_none_text` (catalogue keys ``eff_reason_…``)
NO_STATS = (
    "There are no service statistics (table service_stats): the causal effect of "
    "projects on municipal services cannot be estimated."
)
NO_LINKS = (
    "No project names the service it changes (column service_id of projects): "
    "there is nothing to estimate."
)
NONE_TREATED = (
    "No municipality-service was treated within its statistics (a project implemented "
    "after its first month and before its last): there is no effect to estimate."
)
REASON_KEYS = {
    NO_STATS: "eff_reason_no_stats",
    NO_LINKS: "eff_reason_no_links",
    NONE_TREATED: "eff_reason_none_treated",
}
_IMPLEMENTED_STAGES = ("sustain", "closed")


@dataclass(frozen=True)
class Note:
    """A note in code form: ``scope`` (a service_id or ``"all"``), ``code``, ``params``."""

    scope: str
    code: str
    params: dict = field(default_factory=dict)


@dataclass
class ServicePanel:
    """The long panel (one row per municipality-service-month kept) and one row per unit."""

    rows: pd.DataFrame  # unit, municipality_id, service_id, month (Period), cohort, y, w
    units: pd.DataFrame  # municipality_id, service_id, cohort, status, weight, n_months, n_pre
    notes: list[Note]
    process_names: dict[str, str]


def _examples(pairs, limit: int = 3) -> str:
    pairs = list(pairs)
    shown = ", ".join(" / ".join(str(x) for x in p) for p in pairs[:limit])
    return shown + (", ..." if len(pairs) > limit else "")


def _stats(dataset) -> pd.DataFrame:
    stats = getattr(dataset, "service_stats", None)
    if stats is None or len(stats) == 0:
        raise DidDataError(NO_STATS)
    need = ["municipality_id", "service_id", "month", "n_completed", "mean_lead_days"]
    missing = [c for c in need if c not in stats.columns]
    if missing:
        raise DidDataError(f"The service statistics have no column {', '.join(missing)}.")
    s = stats[need].copy()
    s["municipality_id"] = s["municipality_id"].astype("string")
    s["service_id"] = s["service_id"].astype("string")
    if s[["municipality_id", "service_id", "month"]].isna().any().any():
        raise DidDataError(
            "Some rows of the service statistics have no municipality, service or month."
        )
    try:
        s["month"] = pd.PeriodIndex(s["month"].astype(str), freq="M")
    except (ValueError, TypeError):
        raise DidDataError(
            "The month column of the service statistics must hold months such as 2023-01."
        ) from None
    for col in ("n_completed", "mean_lead_days"):
        values = pd.to_numeric(s[col], errors="coerce")
        if (values.isna() & s[col].notna()).any():
            raise DidDataError(f"The column {col} of the service statistics is not numeric.")
        if (values < 0).any():
            raise DidDataError(f"The column {col} of the service statistics has negative values.")
        s[col] = values.astype("float64")
    dup = s.duplicated(["municipality_id", "service_id", "month"], keep=False)
    if dup.any():
        pairs = s.loc[dup, ["municipality_id", "service_id", "month"]].drop_duplicates()
        raise DidDataError(
            f"{int(dup.sum())} rows of the service statistics repeat a municipality-service-"
            f"month ({len(pairs)} of them, e.g. {_examples(pairs.itertuples(index=False))}): "
            "each month of a service may appear once per municipality; sum or remove them."
        )
    return s


def _links(dataset, notes: list[Note]) -> pd.DataFrame:
    """(municipality_id, service_id, done) of the projects that name a service."""
    p = dataset.projects
    if "service_id" not in p.columns or p["service_id"].isna().all():
        raise DidDataError(NO_LINKS)
    p = p[p["service_id"].notna()].merge(
        dataset.institutions[["institution_id", "municipality_id"]],
        on="institution_id",
        how="left",
    )
    done = (
        p["implemented_on"]
        if "implemented_on" in p.columns
        else pd.Series(pd.NaT, index=p.index, dtype="datetime64[us]")
    )
    implemented = p["stage"].isin(_IMPLEMENTED_STAGES).to_numpy(dtype=bool)
    fallback = done.isna().to_numpy() & (p["stage"] == "closed").to_numpy(dtype=bool)
    fallback &= p["actual_end"].notna().to_numpy()
    if fallback.any():
        notes.append(Note("all", "date_fallback", {"n": int(fallback.sum())}))
        done = done.where(~fallback, p["actual_end"])
    unknown = implemented & done.isna().to_numpy()
    out = pd.DataFrame(
        {
            "municipality_id": p["municipality_id"].astype("string").to_numpy(),
            "service_id": p["service_id"].astype("string").to_numpy(),
            "done": pd.to_datetime(done).to_numpy(),
            "unknown": unknown,
            "process_name": p["process_name"].astype("string").to_numpy(),
        }
    )
    return out


def build_panel(dataset, *, weighted: bool = True) -> ServicePanel:
    """Check the service statistics and the projects' links, and build the panel."""
    notes: list[Note] = []
    s = _stats(dataset)
    links = _links(dataset, notes)
    names = (
        links.dropna(subset=["process_name"])
        .groupby("service_id")["process_name"]
        .agg(lambda x: x.value_counts().index[0])
        .to_dict()
    )
    units_seen = set(zip(s["municipality_id"], s["service_id"], strict=True))
    orphan = [
        (m, v) not in units_seen
        for m, v in zip(links["municipality_id"], links["service_id"], strict=True)
    ]
    if any(orphan):
        notes.append(Note("all", "unlinked_stats", {"n": int(sum(orphan))}))
    links = links[~np.asarray(orphan, dtype=bool)]
    no_date = links[links["unknown"]]
    dated = links[links["done"].notna()]
    first = dated.groupby(["municipality_id", "service_id"])["done"].min()
    n_done = dated.groupby(["municipality_id", "service_id"]).size()
    several = int((n_done > 1).sum())
    if several:
        notes.append(Note("all", "several_projects", {"n": several}))
    cohort = {k: pd.Period(v, freq="M") + 1 for k, v in first.items()}

    # months absent inside a series (before the months without a lead time are dropped)
    span = s.groupby(["municipality_id", "service_id"])["month"].agg(["min", "max", "size"])
    missing = (span["max"] - span["min"]).map(lambda d: d.n + 1) - span["size"]
    gaps = {"n": int((missing > 0).sum()), "months": int(missing.sum())}
    # months without a usable lead time
    no_cases = (s["n_completed"] == 0) | s["mean_lead_days"].isna()
    zero = ~no_cases & (s["mean_lead_days"] <= 0)
    if no_cases.any():
        notes.append(Note("all", "no_cases", {"n": int(no_cases.sum())}))
    if zero.any():
        notes.append(Note("all", "zero_lead", {"n": int(zero.sum())}))
    s = s[~(no_cases | zero)].copy()
    if s.empty:
        raise DidDataError("No month of the service statistics has a mean lead time.")
    s["y"] = np.log(s["mean_lead_days"].to_numpy(dtype=float))

    unit_rows = []
    keep = []
    counts = {"after_series": 0, "no_pre": 0, "few_pre": 0}
    unknown_keys = set(zip(no_date["municipality_id"], no_date["service_id"], strict=True))
    for (m, v), g in s.groupby(["municipality_id", "service_id"], sort=True):
        months = g["month"]
        lo, hi = months.min(), months.max()
        c = cohort.get((m, v))
        status, n_pre = "untreated", len(g)
        if (m, v) in unknown_keys and c is None:
            status = "no_date"
        elif c is not None and c > hi:
            status, c = "implemented_after_series", None
            counts["after_series"] += 1
        elif c is not None and c <= lo:
            status = "no_pre_period"
            counts["no_pre"] += 1
        elif c is not None:
            status = "treated"
            n_pre = int((months < c).sum())
            if n_pre < MIN_PRE:
                counts["few_pre"] += 1
        pre = g["n_completed"][months < c] if c is not None else g["n_completed"]
        weight = float(pre.mean()) if weighted and len(pre) else 1.0
        unit_rows.append(
            {
                "municipality_id": m,
                "service_id": v,
                "cohort": None if c is None else str(c),
                "status": status,
                "weight": weight,
                "n_months": len(g),
                "n_pre": n_pre if status == "treated" else (0 if c is not None else len(g)),
            }
        )
        if status in ("treated", "untreated", "implemented_after_series"):
            keep.append(g.assign(cohort=c, w=weight))
    n_no_date = sum(r["status"] == "no_date" for r in unit_rows)
    if n_no_date:
        notes.append(
            Note("all", "no_date", {"n": int(links["unknown"].sum()), "units": n_no_date})
        )
    for code in ("after_series", "no_pre"):
        if counts[code]:
            notes.append(Note("all", code, {"n": counts[code]}))
    if counts["few_pre"]:
        notes.append(Note("all", "few_pre", {"n": counts["few_pre"], "k": MIN_PRE}))
    if gaps["n"]:
        notes.append(Note("all", "gaps", gaps))
    units = pd.DataFrame(unit_rows)
    rows = pd.concat(keep, ignore_index=True) if keep else pd.DataFrame()
    if rows.empty or not (units["status"] == "treated").any():
        raise DidDataError(NONE_TREATED)
    rows["unit"] = rows["municipality_id"].astype(str) + "/" + rows["service_id"].astype(str)
    rows = rows[["unit", "municipality_id", "service_id", "month", "cohort", "y", "w"]]
    units = units.astype(
        {"municipality_id": "string", "service_id": "string", "cohort": "string",
         "status": "string", "weight": "float64", "n_months": "int64", "n_pre": "int64"}
    )  # fmt: skip
    return ServicePanel(rows, units, notes, names)
