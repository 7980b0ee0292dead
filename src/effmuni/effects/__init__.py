"""Causal effects of projects: staggered difference-in-differences.

:func:`staggered_did` is the estimator on any long panel; :func:`service_effects` applies it
to the monthly service statistics of a dataset (municipality x service, cohorts from the
projects that name a service).
"""

from ._panel import DidDataError
from .did import (
    ATT_GT_COLUMNS,
    COHORT_COLUMNS,
    EVENT_STUDY_COLUMNS,
    OVERALL_COLUMNS,
    DidResult,
    staggered_did,
)
from .services import (
    COHORT_EFFECT_COLUMNS,
    EFFECT_COLUMNS,
    EVENT_COLUMNS,
    NOTE_COLUMNS,
    OVERALL_EFFECT_COLUMNS,
    SERVICE_EFFECT_COLUMNS,
    UNIT_COLUMNS,
    ServiceEffects,
    service_effects,
)
from .tables import (
    effects_none_text,
    effects_note_table,
    effects_sentence,
    municipality_effects_text,
    note_text,
    pretrend_sentence,
    service_names,
    translate_effects,
)

__all__ = [
    "ATT_GT_COLUMNS",
    "COHORT_COLUMNS",
    "COHORT_EFFECT_COLUMNS",
    "EFFECT_COLUMNS",
    "EVENT_COLUMNS",
    "EVENT_STUDY_COLUMNS",
    "NOTE_COLUMNS",
    "OVERALL_COLUMNS",
    "OVERALL_EFFECT_COLUMNS",
    "SERVICE_EFFECT_COLUMNS",
    "UNIT_COLUMNS",
    "DidDataError",
    "DidResult",
    "ServiceEffects",
    "effects_none_text",
    "effects_note_table",
    "effects_sentence",
    "municipality_effects_text",
    "note_text",
    "pretrend_sentence",
    "service_effects",
    "service_names",
    "staggered_did",
    "translate_effects",
]
