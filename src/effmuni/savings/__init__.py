"""Time savings of lean projects, with honest uncertainty.

One estimator per source of evidence, the arithmetic that turns a saving per case into a year's
worth of time, and the view across projects:

- :mod:`~effmuni.savings.cases`: :func:`estimate_savings`, case timings before and after a
  project (the strongest evidence): means, medians, the saving, the percentage and the ratio of
  geometric means, with bootstrap confidence intervals;
- :mod:`~effmuni.savings.card`: :func:`passport_savings`, the baseline, target, actual and
  follow-up values on the project card, with the regulation-limit and planned-value caveats as
  flags;
- :mod:`~effmuni.savings.maps`: :func:`map_savings`, the current, target and actual value-stream
  maps;
- :mod:`~effmuni.savings.project`: :func:`project_savings`, one row per project from the best
  source it has;
- :mod:`~effmuni.savings.annual`: :func:`annual_effect`, citizen days and staff hours a year,
  kept apart, and :func:`evidence_summary`;
- :mod:`~effmuni.savings.pooling`: :func:`pool_savings` across projects and
  :func:`target_attainment`;
- :mod:`~effmuni.savings.tables`: :func:`translate_table`, any of these tables in Russian or
  English.

The vectorised bootstrap engine behind every interval is the private
:mod:`effmuni.savings._bootstrap`; the statistics are explained in plain words in
``docs/methods.md``.
"""

from __future__ import annotations

from ._bootstrap import MIN_CASES
from ._common import CI_METHODS
from .annual import ANNUAL_TOTAL_COLUMNS, HOURS_PER_FTE, annual_effect, evidence_summary
from .card import PASSPORT_COLUMNS, passport_savings
from .cases import SAVINGS_COLUMNS, estimate_savings
from .maps import MAP_METRICS, map_savings
from .pooling import (
    ATTAINMENT_COLUMNS,
    POOL_COLUMNS,
    REDUCTION_COLUMNS,
    pool_savings,
    reduction_pct,
    target_attainment,
)
from .project import (
    CALENDAR_DAYS_PER_WORKDAY,
    MINUTES_PER_WORKDAY,
    PROJECT_COLUMNS,
    project_savings,
)
from .tables import translate_table

__all__ = [
    "ANNUAL_TOTAL_COLUMNS",
    "REDUCTION_COLUMNS",
    "reduction_pct",
    "ATTAINMENT_COLUMNS",
    "CALENDAR_DAYS_PER_WORKDAY",
    "CI_METHODS",
    "HOURS_PER_FTE",
    "MAP_METRICS",
    "MINUTES_PER_WORKDAY",
    "MIN_CASES",
    "PASSPORT_COLUMNS",
    "POOL_COLUMNS",
    "PROJECT_COLUMNS",
    "SAVINGS_COLUMNS",
    "annual_effect",
    "estimate_savings",
    "evidence_summary",
    "map_savings",
    "passport_savings",
    "pool_savings",
    "project_savings",
    "target_attainment",
    "translate_table",
]
