"""effmuni: analysis toolkit for lean process-improvement projects in municipal government.

Loads process-timing data (project registries, value-stream maps, case timings, event logs),
validates it, and does the statistics behind the «Эффективный регион» reports.
"""

from .batch import run_batch
from .calendar import is_workday, workdays_between
from .datasets import Dataset, load_dataset, resolve_path, sample_path
from .schema import TABLES, data_dictionary
from .validate import DataError, ValidationReport, validate

__version__ = "0.1.0"

__all__ = [
    "TABLES",
    "DataError",
    "Dataset",
    "ValidationReport",
    "__version__",
    "data_dictionary",
    "is_workday",
    "load_dataset",
    "resolve_path",
    "run_batch",
    "sample_path",
    "validate",
    "workdays_between",
]
