"""effmuni: analysis toolkit for lean process-improvement projects in municipal government.

Loads process-timing data (project registries, value-stream maps, case timings, event logs),
validates it, and does the statistics behind the «Эффективный регион» reports.
"""

__version__ = "0.1.0"  # the one version source (pyproject.toml reads it)

from .analysis import (
    REGION_COLUMNS,
    Analysis,
    AnalysisConfig,
    analyse,
    analyse_regions,
    load_region,
    national_rollup,
)
from .analysis.inputs import report_inputs
from .batch import SUMMARY_COLUMNS, run_batch
from .calendar import is_workday, workdays_between
from .datasets import Dataset, load_dataset, resolve_path, sample_path
from .effects import (
    ATT_GT_COLUMNS,
    EVENT_STUDY_COLUMNS,
    OVERALL_COLUMNS,
    DidResult,
    ServiceEffects,
    service_effects,
    staggered_did,
)
from .io import EVENT_LOG_COLUMNS, EventLogError, log_summary, read_event_log
from .io.largelog import case_timings_from_parquet
from .maturity import (
    SCORE_COLUMNS,
    LevelComparison,
    MaturityResult,
    cluster_maturity,
    compare_levels,
    composite_scores,
    maturity_definitions,
    maturity_features,
    maturity_index,
    maturity_index_levels,
    municipality_context,
)
from .overview import lead_time_summary, project_coverage, rule_compliance
from .report import (
    MunicipalityReport,
    describe_saving,
    describe_work_wait,
    municipality_report,
)
from .savings import (
    ANNUAL_TOTAL_COLUMNS,
    ATTAINMENT_COLUMNS,
    PASSPORT_COLUMNS,
    POOL_COLUMNS,
    PROJECT_COLUMNS,
    REDUCTION_COLUMNS,
    SAVINGS_COLUMNS,
    annual_effect,
    estimate_savings,
    map_savings,
    passport_savings,
    pool_savings,
    project_savings,
    reduction_pct,
    target_attainment,
)
from .schema import TABLES, data_dictionary
from .spc import period_lead_times, xmr
from .timing import CASE_TIMING_COLUMNS, case_timings, split_at
from .validate import DataError, ValidationReport, validate

__all__ = [
    "SCORE_COLUMNS",
    "composite_scores",
    "ANNUAL_TOTAL_COLUMNS",
    "REDUCTION_COLUMNS",
    "reduction_pct",
    "ATT_GT_COLUMNS",
    "EVENT_LOG_COLUMNS",
    "EVENT_STUDY_COLUMNS",
    "OVERALL_COLUMNS",
    "SUMMARY_COLUMNS",
    "REGION_COLUMNS",
    "DidResult",
    "ServiceEffects",
    "service_effects",
    "staggered_did",
    "ATTAINMENT_COLUMNS",
    "CASE_TIMING_COLUMNS",
    "PASSPORT_COLUMNS",
    "POOL_COLUMNS",
    "PROJECT_COLUMNS",
    "SAVINGS_COLUMNS",
    "Analysis",
    "AnalysisConfig",
    "analyse",
    "analyse_regions",
    "load_region",
    "national_rollup",
    "TABLES",
    "DataError",
    "Dataset",
    "EventLogError",
    "LevelComparison",
    "MunicipalityReport",
    "MaturityResult",
    "ValidationReport",
    "__version__",
    "annual_effect",
    "case_timings",
    "case_timings_from_parquet",
    "cluster_maturity",
    "compare_levels",
    "data_dictionary",
    "describe_saving",
    "describe_work_wait",
    "estimate_savings",
    "is_workday",
    "lead_time_summary",
    "load_dataset",
    "log_summary",
    "map_savings",
    "maturity_definitions",
    "maturity_features",
    "maturity_index",
    "maturity_index_levels",
    "municipality_report",
    "report_inputs",
    "municipality_context",
    "passport_savings",
    "period_lead_times",
    "pool_savings",
    "project_coverage",
    "project_savings",
    "read_event_log",
    "resolve_path",
    "rule_compliance",
    "run_batch",
    "sample_path",
    "split_at",
    "target_attainment",
    "validate",
    "workdays_between",
    "xmr",
]
