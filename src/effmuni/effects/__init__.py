"""Causal effects of projects: staggered difference-in-differences."""

from ._panel import DidDataError
from .did import (
    ATT_GT_COLUMNS,
    EVENT_STUDY_COLUMNS,
    OVERALL_COLUMNS,
    DidResult,
    staggered_did,
)

__all__ = [
    "ATT_GT_COLUMNS",
    "EVENT_STUDY_COLUMNS",
    "OVERALL_COLUMNS",
    "DidDataError",
    "DidResult",
    "staggered_did",
]
