"""The rule-based maturity index and its comparison with the data-driven levels.

:func:`maturity_index` scores the features against fixed anchors into a transparent 0–100 score
and a 1–5 level worded after the five LESAT levels and gated by the programme's
model-institution levels; :func:`compare_levels` sets it beside :func:`cluster_maturity`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..text import MISSING, check_lang, label
from ._common import _check_features
from .clustering import MaturityResult
from .features import _GROUPS, FEATURE_GROUPS, FEATURES

__all__ = [
    "INDEX_ANCHORS",
    "INDEX_THRESHOLDS",
    "LevelComparison",
    "compare_levels",
    "default_index_weights",
    "maturity_index",
    "maturity_index_levels",
]

# --------------------------------------------------------------------------- rule-based index

#: value of each feature regarded as full attainment (attainment = clip(value / anchor, 0, 1))
INDEX_ANCHORS: dict[str, float] = {
    "active_quarter_share": 1.0,  # a project every quarter: the programme rule
    "projects_per_quarter": 2.0,  # twice the programme minimum
    "closed_share": 1.0,
    "on_time_share": 1.0,
    "median_reduction_pct": 50.0,  # the order of published public-sector results (−40…−50 %)
    "target_reached_share": 1.0,
    "sustained_share": 1.0,
    "models_per_10k": 1.0,  # one local model institution per 10,000 residents
    "top_model_level": 3.0,  # federal
    "trained_share": 0.5,  # iSixSigma rubric, top level: half of the staff involved
    "proposals_per_100_staff": 10.0,  # a convention: 10 proposals per 100 staff a year
    "proposals_implemented_share": 1.0,
    "measured_baseline_share": 1.0,
}
#: score thresholds (0–100) between index levels 1|2|3|4|5
INDEX_THRESHOLDS: tuple[float, float, float, float] = (20.0, 40.0, 60.0, 80.0)
#: highest index level allowed by the highest model-institution level (0 none … 3 federal)
_MODEL_GATE = {0: 2, 1: 3, 2: 4, 3: 5}


def default_index_weights() -> dict[str, float]:
    """Default weights of :func:`maturity_index`: the seven aspects count equally.

    Within an aspect its features share the aspect's weight equally (e.g. cadence's two
    features get 1/14 each). The weights sum to 1.

    Examples
    --------
    >>> w = default_index_weights()
    >>> round(sum(w.values()), 6), round(w["sustained_share"], 4)
    (1.0, 0.1429)
    """
    per_group = {g: sum(1 for f in FEATURES if FEATURE_GROUPS[f] == g) for g in _GROUPS}
    return {f: 1.0 / len(_GROUPS) / per_group[FEATURE_GROUPS[f]] for f in FEATURES}


def maturity_index_levels(lang: str = "ru") -> pd.DataFrame:
    """The five levels of :func:`maturity_index`: name, score band and wording.

    Examples
    --------
    >>> maturity_index_levels("en")["name"].tolist()
    ['Initial', 'Emerging', 'Systematic', 'Refining', 'Exemplary']
    """
    check_lang(lang)
    bounds = (0.0, *INDEX_THRESHOLDS, 100.0)
    return pd.DataFrame(
        {
            "level": range(1, 6),
            "name": [label(f"maturity_index_level_{lv}", lang) for lv in range(1, 6)],
            "score": [f"{bounds[lv - 1]:.0f}–{bounds[lv]:.0f}" for lv in range(1, 6)],
            "model_level_needed": [
                # levels 1 and 2 need no model institution (see _MODEL_GATE)
                label(f"maturity_index_gate_{lv}", lang) if lv >= 3 else MISSING
                for lv in range(1, 6)
            ],
            "description": [label(f"maturity_index_text_{lv}", lang) for lv in range(1, 6)],
        }
    )


def maturity_index(
    features: pd.DataFrame,
    weights: Mapping[str, float] | None = None,
    *,
    anchors: Mapping[str, float] | None = None,
    lang: str = "ru",
) -> pd.DataFrame:
    """A transparent rule-based maturity score (0–100) and level (1–5).

    Each feature is turned into an attainment ``clip(value / anchor, 0, 1)`` against a fixed
    anchor (:data:`INDEX_ANCHORS`: the value regarded as full attainment, e.g. a project every
    quarter, a 50 % lead-time reduction, half of the staff trained); the score is 100 × the
    weighted mean of the attainments. It does not depend on the other municipalities, so it is
    comparable between runs and dates. Levels cut the score at 20/40/60/80
    (:data:`INDEX_THRESHOLDS`) and are then capped by the programme's model-institution levels
    when ``top_model_level`` is present: level 3 needs at least a local model institution,
    level 4 a regional one and level 5 a federal one. The level wording follows the five LESAT
    levels (:func:`maturity_index_levels`).

    Parameters
    ----------
    features : pandas.DataFrame
        As from :func:`maturity_features`.
    weights : mapping, optional
        Feature → non-negative weight (normalised to sum 1; features not named get 0). Default
        :func:`default_index_weights`: the seven aspects count equally.
    anchors : mapping, optional
        Overrides of :data:`INDEX_ANCHORS` (needed for any feature not listed there).
    lang : {"ru", "en"}
        Language of ``level_name``.

    Returns
    -------
    pandas.DataFrame
        Index as ``features``; columns ``index_score`` (0–100), ``index_level`` (1–5),
        ``index_level_name``, ``capped`` (True where the model-institution gate lowered the
        level), ``index_level_uncapped`` (the level the score alone gives),
        ``index_cap_level`` (the highest level the municipality's best model institution
        allows: 2 without one, 3 local, 4 regional, 5 federal) and one ``aspect_<name>``
        sub-score (0–100) per aspect present. A missing
        feature value is left out of that municipality's weighted mean.

    Examples
    --------
    >>> import effmuni as em
    >>> idx = em.maturity_index(em.maturity_features(em.load_dataset()), lang="en")
    >>> bool(idx["index_level"].between(1, 5).all()), bool(idx["index_score"].between(0, 100).all())
    (True, True)
    """
    check_lang(lang)
    x = _check_features(features)
    anc = {**INDEX_ANCHORS, **(dict(anchors) if anchors else {})}
    if weights is None:
        w = {f: v for f, v in default_index_weights().items() if f in x.columns}
    else:
        w = {str(f): float(v) for f, v in weights.items()}
        unknown = [f for f in w if f not in x.columns]
        if unknown:
            raise ValueError(f"weights name features that are not columns: {unknown}")
        if any(v < 0 or math.isnan(v) for v in w.values()):
            raise ValueError("weights must be non-negative numbers")
    w = {f: v for f, v in w.items() if v > 0}
    if not w:
        raise ValueError("no feature has a positive weight")
    no_anchor = [f for f in w if f not in anc or not anc[f] > 0]
    if no_anchor:
        raise ValueError(f"no positive anchor for {no_anchor}; pass anchors={{...}}")
    cols = list(w)
    att = (x[cols] / pd.Series({f: anc[f] for f in cols})).clip(0.0, 1.0)
    wv = pd.Series(w)

    def wmean(frame: pd.DataFrame, ws: pd.Series) -> pd.Series:
        have = frame.notna()
        den = have.mul(ws, axis=1).sum(axis=1)
        num = frame.fillna(0.0).mul(ws, axis=1).sum(axis=1)
        return 100.0 * num / den.where(den > 0)

    score = wmean(att, wv)
    by_score = 1 + sum((score >= t).astype(int) for t in INDEX_THRESHOLDS)
    level = by_score.where(score.notna())
    uncapped = level.copy()
    capped = pd.Series(False, index=x.index)
    cap = pd.Series(np.nan, index=x.index)
    if "top_model_level" in x.columns:
        top = x["top_model_level"].fillna(0).clip(0, 3).round().astype(int)
        cap = top.map(_MODEL_GATE).astype("float64")
        capped = (level > cap).fillna(False)
        level = level.where(~capped, cap)
    out = pd.DataFrame(
        {
            "index_score": score,
            "index_level": level.astype("Int64"),
            "index_level_name": level.map(
                lambda v: label(f"maturity_index_level_{int(v)}", lang) if pd.notna(v) else pd.NA
            ).astype("string"),
            "capped": capped.astype(bool),
            "index_level_uncapped": uncapped.astype("Int64"),
            "index_cap_level": cap.astype("Int64"),
        },
        index=x.index,
    )
    for g in _GROUPS:
        gcols = [f for f in cols if FEATURE_GROUPS.get(f) == g]
        if gcols:
            out[f"aspect_{g}"] = wmean(att[gcols], wv[gcols])
    out.index.name = x.index.name
    return out


# --------------------------------------------------------------------------- comparison


@dataclass
class LevelComparison:
    """Data-driven levels beside the rule-based index (see :func:`compare_levels`).

    Attributes
    ----------
    table : pandas.DataFrame
        Per municipality: ``level``, ``index_level``, ``maturity_score``, ``index_score``,
        ``cluster_position`` and ``index_position`` (each level put on 0–1),
        ``difference`` (index − cluster position) and ``disagree`` (|difference| > 0.5).
    crosstab : pandas.DataFrame
        Counts of municipalities, data-driven level × index level.
    spearman_levels, spearman_scores : float
        Spearman rank correlation of the two levels, and of the composite score with the index
        score (NaN when either side is constant).
    """

    table: pd.DataFrame
    crosstab: pd.DataFrame
    spearman_levels: float
    spearman_scores: float

    @property
    def disagreements(self) -> pd.DataFrame:
        """The rows of :attr:`table` where the two placements are far apart."""
        return self.table.loc[self.table["disagree"]]


def _spearman(a: pd.Series, b: pd.Series) -> float:
    from scipy.stats import spearmanr

    ok = a.notna() & b.notna()
    a, b = a[ok].astype(float), b[ok].astype(float)
    if len(a) < 3 or a.nunique() < 2 or b.nunique() < 2:
        return float("nan")
    return float(spearmanr(a, b).statistic)


def compare_levels(result: MaturityResult, index: pd.DataFrame) -> LevelComparison:
    """Set the data-driven levels beside the rule-based index levels.

    Parameters
    ----------
    result : MaturityResult
        From :func:`cluster_maturity`.
    index : pandas.DataFrame
        From :func:`maturity_index` on the same municipalities.

    Returns
    -------
    LevelComparison

    Examples
    --------
    >>> import effmuni as em
    >>> f = em.maturity_features(em.load_dataset())
    >>> cmp = em.compare_levels(em.cluster_maturity(f, k=3), em.maturity_index(f))
    >>> int(cmp.crosstab.to_numpy().sum()), cmp.spearman_scores > 0.5
    (26, True)
    """
    common = result.levels.index.intersection(index.index)
    if len(common) == 0:
        raise ValueError("the clustering and the index share no municipality")
    lv = result.levels.reindex(common)
    il = index["index_level"].reindex(common)
    k = result.k
    table = pd.DataFrame(
        {
            "level": lv,
            "index_level": il,
            "maturity_score": result.scores.reindex(common),
            "index_score": index["index_score"].reindex(common),
            "cluster_position": (lv - 1) / max(k - 1, 1),
            "index_position": (il.astype("float64") - 1) / 4,
        }
    )
    table["difference"] = table["index_position"] - table["cluster_position"]
    table["disagree"] = (table["difference"].abs() > 0.5).fillna(False).astype(bool)
    table.index.name = "municipality_id"
    ct = pd.crosstab(table["level"], table["index_level"].astype("float64").astype("Int64"))
    ct = ct.reindex(index=range(1, k + 1), columns=range(1, 6), fill_value=0)
    ct.index.name, ct.columns.name = "level", "index_level"
    return LevelComparison(
        table=table,
        crosstab=ct,
        spearman_levels=_spearman(table["level"], table["index_level"]),
        spearman_scores=_spearman(table["maturity_score"], table["index_score"]),
    )
