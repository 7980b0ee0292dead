"""Lean-maturity features of municipalities, their definitions and the context kept aside.

:func:`maturity_features` turns a :class:`~effmuni.Dataset` into one row per municipality with
thirteen features, every one oriented so that **higher means more mature**;
:func:`maturity_definitions` lists their definitions; :func:`municipality_context` returns the
context (population, kind, mergers) kept *out* of the clustering and used afterwards to explain
it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ..text import check_lang, label
from ._frame import FOLLOWUP_TOLERANCE, _Frame, _prepare, _project_facts

__all__ = [
    "FEATURES",
    "FEATURE_GROUPS",
    "FOLLOWUP_TOLERANCE",
    "MAY_BE_MISSING",
    "MODEL_WEIGHTS",
    "maturity_definitions",
    "maturity_features",
    "municipality_context",
]

MergedPolicy = Literal["fold", "drop"]

# --------------------------------------------------------------------------- definitions


@dataclass(frozen=True)
class _Feature:
    name: str
    group: str
    unit: str  # catalogue key mat_unit_<unit>; the definition is mat_def_<name>, and what a
    # municipality without the underlying data gets, and why, mat_no_data_<name> (a count
    # that is legitimately 0) or mat_missing_<name> (a share or median with nothing to
    # measure: missing, NaN)
    missing: bool = False  # True: NaN when the data behind it is absent


_FEATURES = (
    _Feature("active_quarter_share", "cadence", "share"),
    _Feature("projects_per_quarter", "cadence", "projects"),
    _Feature("closed_share", "delivery", "share", missing=True),
    _Feature("on_time_share", "delivery", "share", missing=True),
    _Feature("median_reduction_pct", "results", "pct", missing=True),
    _Feature("target_reached_share", "results", "share", missing=True),
    _Feature("sustained_share", "sustainment", "share", missing=True),
    _Feature("models_per_10k", "models", "per_10k", missing=True),
    _Feature("top_model_level", "models", "level_0_3"),
    _Feature("trained_share", "people", "share", missing=True),
    _Feature("proposals_per_100_staff", "people", "per_year", missing=True),
    _Feature("proposals_implemented_share", "people", "share", missing=True),
    _Feature("measured_baseline_share", "data_quality", "share", missing=True),
)

#: the feature columns of :func:`maturity_features`, in order
FEATURES: tuple[str, ...] = tuple(f.name for f in _FEATURES)
#: feature → aspect (cadence, delivery, results, sustainment, models, people, data_quality)
FEATURE_GROUPS: dict[str, str] = {f.name: f.group for f in _FEATURES}
#: the features that are missing (NaN), not 0, for a municipality without the data behind them
MAY_BE_MISSING: tuple[str, ...] = tuple(f.name for f in _FEATURES if f.missing)
_GROUPS = tuple(dict.fromkeys(FEATURE_GROUPS.values()))

#: weight of a model institution by level in ``models_per_10k``
MODEL_WEIGHTS: dict[str, float] = {"local": 1.0, "regional": 2.0, "federal": 3.0}
_MODEL_RANK = {"none": 0, "local": 1, "regional": 2, "federal": 3}


def maturity_definitions(lang: str = "ru") -> pd.DataFrame:
    """The definition of every maturity feature, as a table.

    Parameters
    ----------
    lang : {"ru", "en"}
        Language of the ``name``, ``aspect`` and ``definition`` columns.

    Returns
    -------
    pandas.DataFrame
        One row per feature of :func:`maturity_features` (in column order) with ``feature``
        (the column name), ``aspect``, ``name``, ``unit``, ``definition`` and ``no_data`` (the
        value a municipality gets when the underlying data is absent: 0 for a count, else a
        missing value and how the clustering and the index treat it), all in ``lang``.

    Examples
    --------
    >>> import effmuni as em
    >>> d = em.maturity_definitions("en")
    >>> d.loc[0, ["feature", "aspect", "name"]].tolist()
    ['active_quarter_share', 'Cadence', 'Quarters with a new project']
    """
    check_lang(lang)
    return pd.DataFrame(
        {
            "feature": [f.name for f in _FEATURES],
            "aspect": [label(f.group, lang) for f in _FEATURES],
            "name": [label(f.name, lang) for f in _FEATURES],
            "unit": [label(f"mat_unit_{f.unit}", lang) for f in _FEATURES],
            "definition": [label(f"mat_def_{f.name}", lang) for f in _FEATURES],
            "no_data": [
                label(f"mat_{'missing' if f.missing else 'no_data'}_{f.name}", lang)
                for f in _FEATURES
            ],
        }
    )


def _share(num: pd.Series, den: pd.Series) -> pd.Series:
    """``num / den``; missing (NaN) where there is nothing to divide by (``den`` 0)."""
    num, den = num.astype("float64"), den.astype("float64")
    return num / den.where(den > 0)


# --------------------------------------------------------------------------- features


def maturity_features(
    dataset,
    as_of=None,
    *,
    merged: MergedPolicy = "fold",
    model_weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Lean-maturity features of each municipality, every one oriented higher = more mature.

    Parameters
    ----------
    dataset : Dataset
        A loaded dataset (:func:`effmuni.load_dataset`).
    as_of : date-like, optional
        Reference date. Only municipalities that exist on that date are returned, only projects
        started by then count, a project counts as closed only if it closed by then, and
        passport values, case timings and model statuses dated later are ignored. Cadence and
        the engagement features use the quarters that have ended by ``as_of`` (the running
        quarter would otherwise count as a miss). ``None`` (default): every municipality that
        ever existed in the data, each with its own history, up to the last date in the data.
    merged : {"fold", "drop"}
        What happens, for an ``as_of`` after a merger, to the history of a municipality that
        ceased to exist. ``"fold"`` (default) attributes its institutions, projects, model
        institutions, engagement and population to its successor (``successor_id``, followed
        through chains): the successor runs those institutions now, so its maturity includes
        what they built. ``"drop"`` leaves that history out.
    model_weights : mapping, optional
        Weight per model-institution level in ``models_per_10k``; default
        :data:`MODEL_WEIGHTS` (local 1, regional 2, federal 3).

    Returns
    -------
    pandas.DataFrame
        Index ``municipality_id`` (in the order of the municipalities table), one float column
        per feature in :data:`FEATURES`; :func:`maturity_definitions` gives each definition and
        the value used when the data behind it is absent. A count is 0 when there is nothing
        to count (a municipality with no projects starts 0 projects a quarter and has no model
        institution), but a share, median or rate with nothing to measure is missing (NaN;
        the features of :data:`MAY_BE_MISSING`): the median reduction of a municipality with
        no comparable result is unknown, not 0. ``features.isna()`` flags them.

        Missing values are never read as 0 on a standardised scale:
        :func:`~effmuni.cluster_maturity` imputes each with the median of the municipalities
        that have it (the regional median) before standardising, and
        :func:`~effmuni.maturity_index` leaves it out of that municipality's weighted mean.

    Notes
    -----
    The observation window runs from the first quarter with any programme activity in the data
    (a project start or an engagement row) to the reference quarter, limited to the quarters in
    which the municipality existed. Context (population, kind, mergers) is left out on purpose:
    see :func:`municipality_context`.

    Examples
    --------
    >>> import effmuni as em
    >>> ds = em.load_dataset()
    >>> f = em.maturity_features(ds)
    >>> f.shape, bool(f.notna().all().all())
    ((26, 13), True)
    >>> len(em.maturity_features(ds, as_of="2025-06-30"))  # after the 2024 mergers
    23
    """
    fr = _prepare(dataset, as_of, merged)
    weights = dict(MODEL_WEIGHTS if model_weights is None else model_weights)
    unknown = set(weights) - set(MODEL_WEIGHTS)
    if unknown:
        raise ValueError(
            f"model_weights: unknown level(s) {sorted(unknown)}; use local, regional, federal"
        )
    units = fr.units.index
    facts = _project_facts(dataset, fr)
    g = facts.groupby("unit")
    n_q = pd.Series({u: len(fr.quarters[u]) for u in units}, dtype="float64")

    # cadence: starts within the unit's window quarters
    in_window = pd.Series(
        [q in fr.quarters[u] for u, q in zip(facts["unit"], facts["start_q"], strict=True)],
        index=facts.index,
        dtype=bool,
    )
    fw = facts.loc[in_window]
    active_q = fw.groupby("unit")["start_q"].nunique().reindex(units, fill_value=0)
    starts = fw.groupby("unit").size().reindex(units, fill_value=0)

    def count(col: str) -> pd.Series:
        return g[col].sum().reindex(units, fill_value=0)

    n_proj = g.size().reindex(units, fill_value=0)
    n_due, n_closed = count("due"), count("closed")
    reduction = g["reduction_pct"].median().reindex(units)  # NaN: no comparable result

    # model institutions attributed to the unit, granted by the reference date
    inst = dataset.institutions
    inst_unit = inst["municipality_id"].astype("string").map(fr.owner)
    granted = (inst["model_level"] != "none").fillna(False) & ~(
        inst["model_since"] > fr.ref
    ).fillna(False)
    mi = pd.DataFrame(
        {
            "unit": inst_unit,
            "w": inst["model_level"].astype(str).map(weights).fillna(0.0).astype("float64"),
            "rank": inst["model_level"].astype(str).map(_MODEL_RANK).fillna(0).astype("float64"),
        }
    ).loc[granted.to_numpy(dtype=bool) & inst_unit.notna().to_numpy()]
    weighted = mi.groupby("unit")["w"].sum().reindex(units, fill_value=0.0)
    pop = fr.units["population"].astype("float64")
    models_per_10k = weighted / pop.where(pop > 0) * 10_000  # NaN: population unknown
    top = mi.groupby("unit")["rank"].max().reindex(units, fill_value=0.0)

    people = _people(dataset, fr)

    out = pd.DataFrame(
        {
            "active_quarter_share": _share(active_q, n_q),
            "projects_per_quarter": _share(starts, n_q),
            "closed_share": _share(n_closed, n_due),
            "on_time_share": _share(count("on_time"), n_due),
            "median_reduction_pct": reduction,
            "target_reached_share": _share(count("target_met"), count("judged_target")),
            "sustained_share": _share(count("sustained"), n_closed),
            "models_per_10k": models_per_10k,
            "top_model_level": top,
            "trained_share": people["trained_share"],
            "proposals_per_100_staff": people["proposals_per_100_staff"],
            "proposals_implemented_share": people["proposals_implemented_share"],
            "measured_baseline_share": _share(count("measured"), n_proj),
        },
        index=units,
    ).astype("float64")
    out.index.name = "municipality_id"
    return out[list(FEATURES)]


def _people(ds, fr: _Frame) -> pd.DataFrame:
    units = fr.units.index
    e = ds.engagement
    cols = ["staff_total", "staff_trained", "proposals_submitted", "proposals_implemented"]
    eng = e[cols].astype("float64")
    eng["unit"] = e["municipality_id"].astype("string").map(fr.owner)
    eng["q"] = pd.PeriodIndex(e["quarter"].astype(str), freq="Q")
    keep = eng["unit"].notna().to_numpy() & np.array(
        [
            q in fr.quarters.get(u, ())
            for u, q in zip(eng["unit"].fillna(""), eng["q"], strict=True)
        ],
        dtype=bool,
    )
    eng = eng.loc[keep]
    per_q = eng.groupby(["unit", "q"])[cols].sum()  # folded predecessors add up per quarter
    tot = per_q.groupby(level="unit").sum().reindex(units, fill_value=0.0)
    latest = per_q.groupby(level="unit").tail(1).droplevel("q").reindex(units, fill_value=0.0)
    return pd.DataFrame(
        {
            "trained_share": _share(latest["staff_trained"], latest["staff_total"]).clip(0, 1),
            "proposals_per_100_staff": 400.0
            * _share(tot["proposals_submitted"], tot["staff_total"]),
            "proposals_implemented_share": _share(
                tot["proposals_implemented"], tot["proposals_submitted"]
            ).clip(0, 1),
        },
        index=units,
    )


def municipality_context(dataset, as_of=None, *, merged: MergedPolicy = "fold") -> pd.DataFrame:
    """Context of each municipality, kept out of the clustering and used to explain it.

    Parameters
    ----------
    dataset : Dataset
        A loaded dataset.
    as_of, merged
        As in :func:`maturity_features` (the rows match its rows).

    Returns
    -------
    pandas.DataFrame
        Index ``municipality_id``; columns ``name_ru``, ``name_en``, ``kind``, ``population``
        (including folded predecessors), ``n_institutions``, ``n_projects`` (started by the
        reference date), ``n_quarters`` (quarters in the observation window), ``merged`` (True
        for a unit that ceased to exist by merging into ``successor_id``), ``successor_id``,
        ``predecessors`` (ids of units merged into this one, comma-separated; empty if none)
        and ``folded`` (the predecessors whose history is included in this row).

    Examples
    --------
    >>> import effmuni as em
    >>> ctx = em.municipality_context(em.load_dataset())
    >>> int(ctx["merged"].sum()), ctx.loc["kanashsky", "predecessors"]
    (3, 'kanash')
    """
    fr = _prepare(dataset, as_of, merged)
    u = fr.units
    ids = u.index
    muni = dataset.municipalities
    succ = muni["successor_id"].astype("string")
    mids = muni["municipality_id"].astype(str)
    preds = {i: ", ".join(mids[(succ == i).fillna(False).to_numpy()]) for i in ids}
    folded = {
        i: ", ".join(m for m, o in fr.owner.items() if pd.notna(o) and o == i and m != i)
        for i in ids
    }
    inst_unit = dataset.institutions["municipality_id"].astype("string").map(fr.owner)
    n_inst = inst_unit.value_counts().reindex(ids, fill_value=0)
    n_proj = fr.projects["unit"].value_counts().reindex(ids, fill_value=0)
    out = pd.DataFrame(
        {
            "name_ru": u["name_ru"].astype("string"),
            "name_en": u["name_en"].astype("string"),
            "kind": u["kind"].astype("string"),
            "population": u["population"].round().astype("Int64"),
            "n_institutions": n_inst.astype("int64"),
            "n_projects": n_proj.astype("int64"),
            "n_quarters": pd.Series({i: len(fr.quarters[i]) for i in ids}, dtype="int64"),
            "merged": u["valid_to"].notna() & u["successor_id"].notna(),
            "successor_id": u["successor_id"].astype("string"),
            "predecessors": pd.Series(preds, dtype="string"),
            "folded": pd.Series(folded, dtype="string"),
        },
        index=ids,
    )
    out["merged"] = out["merged"].astype(bool)
    out.index.name = "municipality_id"
    return out
