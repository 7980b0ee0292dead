"""Lean maturity of municipalities: features, data-driven levels and a rule-based index.

Three steps, each a plain function on tidy frames, each in its own module:

1. :mod:`~effmuni.maturity.features`: :func:`maturity_features` turns a
   :class:`~effmuni.Dataset` into one row per municipality with thirteen features, every one
   oriented so that **higher means more mature**; :func:`municipality_context` returns the
   context (population, kind, mergers) kept *out* of the clustering and used afterwards to
   explain it. :func:`maturity_definitions` lists the definitions.
2. :mod:`~effmuni.maturity.clustering`: :func:`cluster_maturity` groups municipalities into
   levels 1..k (1 the least mature) with scikit-learn (impute → standardise → Ward, k-means
   seeded from Ward, or a Gaussian mixture), chooses k, and measures how well separated
   (silhouette) and how stable (bootstrap adjusted Rand index) the levels are. It returns a
   :class:`MaturityResult`.
3. :mod:`~effmuni.maturity.index`: :func:`maturity_index` scores the same features against
   fixed anchors into a transparent 0–100 score and a 1–5 level worded after the five LESAT
   levels and gated by the programme's model-institution levels; :func:`compare_levels` sets
   the two side by side.

With 26 municipalities (23 after the 2024 mergers) the levels are groups, not rankings: read a
municipality's level together with the level's profile and its silhouette, and never sort
municipalities by a composite score to name a "best" one.
"""

from __future__ import annotations

from .clustering import MaturityResult, cluster_maturity
from .features import (
    FEATURE_GROUPS,
    FEATURES,
    FOLLOWUP_TOLERANCE,
    MODEL_WEIGHTS,
    maturity_definitions,
    maturity_features,
    municipality_context,
)
from .index import (
    INDEX_ANCHORS,
    INDEX_THRESHOLDS,
    LevelComparison,
    compare_levels,
    default_index_weights,
    maturity_index,
    maturity_index_levels,
)
from .scores import SCORE_COLUMNS, composite_scores

__all__ = [
    "SCORE_COLUMNS",
    "composite_scores",
    "FEATURES",
    "FEATURE_GROUPS",
    "FOLLOWUP_TOLERANCE",
    "INDEX_ANCHORS",
    "INDEX_THRESHOLDS",
    "MODEL_WEIGHTS",
    "LevelComparison",
    "MaturityResult",
    "cluster_maturity",
    "compare_levels",
    "default_index_weights",
    "maturity_definitions",
    "maturity_features",
    "maturity_index",
    "maturity_index_levels",
    "municipality_context",
]
