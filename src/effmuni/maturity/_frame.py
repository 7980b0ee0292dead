"""The frame every feature is computed on: units, merged history, window and project facts.

:func:`_prepare` resolves the reference date, attributes the history of merged municipalities
to their successors and lists each unit's quarters in the observation window;
:func:`_project_facts` turns every attributed project into the flags the features count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: a follow-up lead time at most this much above the actual value still "holds" the gain
FOLLOWUP_TOLERANCE = 0.10

# --------------------------------------------------------------------------- attribution


@dataclass
class _Frame:
    """What every feature needs: units, their projects, engagement and the window."""

    units: pd.DataFrame  # alive municipalities (rows of the output), with owner-level population
    owner: pd.Series  # municipality_id → unit it is attributed to (NA: not attributed)
    projects: pd.DataFrame  # projects started by the reference date, with ``unit``
    quarters: dict[str, pd.PeriodIndex]  # unit → its quarters in the window
    ref: pd.Timestamp  # reference date
    last_complete: pd.Period | None  # the last quarter counted in cadence and engagement


def _as_timestamp(as_of) -> pd.Timestamp | None:
    if as_of is None:
        return None
    try:
        ts = pd.Timestamp(as_of)
    except (TypeError, ValueError) as e:
        raise ValueError(f"as_of must be a date such as '2024-12-31', not {as_of!r}") from e
    if ts is pd.NaT:
        raise ValueError(f"as_of must be a date such as '2024-12-31', not {as_of!r}")
    return ts.tz_localize(None).normalize() if ts.tzinfo else ts.normalize()


def _quarter_end(q: pd.Period) -> pd.Timestamp:
    return q.end_time.normalize()


def _data_span(ds) -> tuple[pd.Period | None, pd.Timestamp | None]:
    """First quarter with any programme activity, and the last date the data speaks of."""
    starts = ds.projects["start_date"].dropna()
    eq = pd.PeriodIndex(ds.engagement["quarter"].dropna().astype(str), freq="Q")
    firsts = []
    if len(starts):
        firsts.append(pd.Period(starts.min(), freq="Q"))
    if len(eq):
        firsts.append(eq.min())
    ends = [d for d in (starts.max(), ds.projects["actual_end"].max()) if pd.notna(d)]
    if len(eq):
        ends.append(_quarter_end(eq.max()))
    return (min(firsts) if firsts else None), (max(ends) if ends else None)


def _prepare(ds, as_of, merged: str) -> _Frame:
    if merged not in ("fold", "drop"):
        raise ValueError(f"merged must be 'fold' or 'drop', not {merged!r}")
    ref_in = _as_timestamp(as_of)
    first_q, data_end = _data_span(ds)
    muni = ds.municipalities.reset_index(drop=True)
    ids = muni["municipality_id"].astype(str)
    if ref_in is None:
        alive = set(ids)
        ref = data_end if data_end is not None else pd.Timestamp.today().normalize()
        last_complete = pd.Period(ref, freq="Q") if data_end is not None else None
    else:
        alive = set(ds.municipalities_as_of(ref_in)["municipality_id"].astype(str))
        ref = ref_in
        q = pd.Period(ref, freq="Q")
        last_complete = q if _quarter_end(q) <= ref else q - 1

    successor = dict(
        zip(ids, muni["successor_id"].astype("string").fillna("").tolist(), strict=True)
    )

    def resolve(mid: str) -> str | None:
        seen = set()
        while mid not in alive:
            if merged == "drop" or mid in seen or not successor.get(mid):
                return None
            seen.add(mid)
            mid = successor[mid]
        return mid

    owner = pd.Series({mid: resolve(mid) for mid in ids}, dtype="string")
    units = muni.loc[ids.isin(alive).to_numpy()].set_index("municipality_id")
    units.index = units.index.astype(str)
    pop = muni.assign(unit=owner.reindex(ids).to_numpy()).groupby("unit")["population"].sum()
    units["population"] = pop.reindex(units.index).astype("float64")

    pm = ds.project_municipality()[["project_id", "municipality_id"]]
    proj = ds.projects.merge(pm, on="project_id", how="left")
    proj["unit"] = proj["municipality_id"].astype("string").map(owner)
    proj = proj.loc[proj["unit"].notna() & (proj["start_date"] <= ref).fillna(False)]
    proj = proj.reset_index(drop=True)

    quarters: dict[str, pd.PeriodIndex] = {}
    if first_q is None or last_complete is None or last_complete < first_q:
        window = pd.PeriodIndex([], freq="Q")
    else:
        window = pd.period_range(first_q, last_complete, freq="Q")
    starts = window.start_time
    ends = window.end_time.normalize()
    for mid, row in units.iterrows():
        ok = np.ones(len(window), dtype=bool)
        if pd.notna(row["valid_from"]):
            ok &= ends >= row["valid_from"]
        if pd.notna(row["valid_to"]):
            ok &= starts <= row["valid_to"]
        quarters[mid] = window[ok]
    return _Frame(units, owner, proj, quarters, ref, last_complete)


# --------------------------------------------------------------------------- per project


def _lead_times(passport: pd.DataFrame, ref: pd.Timestamp) -> pd.DataFrame:
    """Per project: baseline, target, actual and follow-up lead time on one basis.

    A small stand-in for :func:`effmuni.passport_savings` (same basis rule: calendar-unit
    values are in minutes, working days stay apart in ``basis``). Rows measured after ``ref``
    are ignored; undated rows are kept. The earliest baseline and the latest actual and
    follow-up are used when a phase was measured more than once.
    """
    lt = passport.loc[
        (passport["indicator"] == "lead_time").fillna(False).to_numpy(dtype=bool)
        & passport["value"].notna().to_numpy()
        & ~(passport["measured_on"] > ref).fillna(False).to_numpy(dtype=bool),
        ["project_id", "phase", "value", "basis", "measured_on"],
    ]
    lt = lt.sort_values(["project_id", "phase", "measured_on"], na_position="first")
    # first row per (project, phase) for baseline/target, last for actual/follow-up
    first = lt.groupby(["project_id", "phase"], observed=True).first()
    last = lt.groupby(["project_id", "phase"], observed=True).last()
    out = pd.DataFrame(index=pd.Index(lt["project_id"].astype(str).unique(), name="project_id"))
    phases = set(first.index.get_level_values("phase").astype(str))
    for phase, src in (
        ("baseline", first),
        ("target", first),
        ("actual", last),
        ("followup", last),
    ):
        if phase in phases:
            part = src.xs(phase, level="phase")
            part.index = part.index.astype(str)
            out[phase] = part["value"].astype("float64").reindex(out.index)
            out[f"{phase}_basis"] = part["basis"].astype("string").reindex(out.index)
        else:
            out[phase] = np.nan
            out[f"{phase}_basis"] = pd.Series(pd.NA, index=out.index, dtype="string")
    for phase in ("target", "actual", "followup"):
        same = (out[f"{phase}_basis"] == out["baseline_basis"]).fillna(False)
        out[phase] = out[phase].where(same.to_numpy(dtype=bool))
    base = out["baseline"].where(out["baseline"] > 0)
    out["reduction_pct"] = 100.0 * (1.0 - out["actual"] / base)
    ref_f = out["actual"] * (1 + FOLLOWUP_TOLERANCE)
    out["followup_holds"] = (out["followup"] <= ref_f + 1e-9).where(
        out["followup"].notna() & out["actual"].notna()
    )
    return out[["baseline", "target", "actual", "followup", "reduction_pct", "followup_holds"]]


def _project_facts(ds, fr: _Frame) -> pd.DataFrame:
    """One row per project attributed to a unit, with every per-project flag the features use."""
    p = fr.projects
    ref = fr.ref
    lt = _lead_times(ds.passport, ref).reindex(p["project_id"].astype(str))
    lt.index = p.index
    closed = (p["stage"] == "closed").fillna(False) & ~(p["actual_end"] > ref).fillna(False)
    due = (p["planned_end"] <= ref).fillna(False) | closed
    on_time = closed & (p["actual_end"] <= p["planned_end"]).fillna(False)
    has_actual = lt["actual"].notna()
    judged = (closed | has_actual) & (p["baseline_method"] != "regulation_limit").fillna(True)
    target_met = (lt["actual"] <= lt["target"] * (1 + 1e-9)).where(lt["target"].notna())
    by_pct = (lt["reduction_pct"] >= p["target_reduction_pct"] - 1e-9).where(
        p["target_reduction_pct"].notna()
    )
    has_target = lt["target"].notna() | p["target_reduction_pct"].notna()
    target_met = target_met.fillna(by_pct).fillna(False).astype(bool) & has_actual
    ids = p["project_id"].astype(str)
    st = ds.steps
    actual_map = set(st.loc[(st["map_state"] == "actual").fillna(False), "project_id"].astype(str))
    cs = ds.cases
    after_cases = set(
        cs.loc[
            (cs["phase"] == "after").fillna(False) & ~(cs["received"] > ref).fillna(False),
            "project_id",
        ].astype(str)
    )
    sustained = closed & (
        ids.isin(actual_map) | ids.isin(after_cases) | lt["followup_holds"].fillna(False)
    )
    start_q = pd.PeriodIndex(p["start_date"], freq="Q")
    return pd.DataFrame(
        {
            "unit": p["unit"].astype(str),
            "start_q": start_q,
            "closed": closed.astype(bool),
            "due": due.astype(bool),
            "on_time": on_time.astype(bool),
            "reduction_pct": lt["reduction_pct"].where(judged),
            "judged_target": (judged & has_target).astype(bool),
            "target_met": (target_met & judged & has_target).astype(bool),
            "sustained": sustained.astype(bool),
            "measured": (p["baseline_method"] == "measured").fillna(False).astype(bool),
        },
        index=p.index,
    )
