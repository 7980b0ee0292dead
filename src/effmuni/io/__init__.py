"""Reading what analysts export: dataset tables and event logs, through one text layer.

- :mod:`~effmuni.io.text`: encodings, separators, header matching, Russian dates and the
  Moscow time zone, one rule each (documented there), shared by both readers;
- :mod:`~effmuni.io.tables`: the tables of a dataset (CSV, Parquet, XLSX), cells converted to
  the kinds of the data dictionary;
- :mod:`~effmuni.io.eventlog` (with :mod:`~effmuni.io.xes`): process-mining event logs (CSV,
  Parquet, XLSX, XES) as one tidy frame;
- :mod:`~effmuni.io.parquet`: Parquet as pyarrow reads it made safe for pandas (text checked
  for UTF-8, damaged pandas metadata ignored), shared by the three Parquet readers;
- :mod:`~effmuni.io.partitioned`: tables partitioned by region, read lazily;
- :mod:`~effmuni.io.largelog`: case timings of a Parquet event log larger than memory;
- :mod:`~effmuni.io.errors`: one error hierarchy rooted at :class:`DataError`.
"""

from .errors import DataError, EventLogError, Problem, ReadFailure
from .eventlog import EVENT_LOG_COLUMNS, log_summary, read_event_log
from .tables import (
    LARGEST,
    TABLE_SUFFIXES,
    WORKBOOK_SUFFIXES,
    RawTable,
    convert_column,
    empty_table,
    map_headers,
    read_table_file,
    read_workbook,
    table_for_name,
)
from .text import (
    CYRILLIC_ENCODINGS,
    FIRST_WORDS,
    MOSCOW_TZ,
    NEAR_MISS,
    SEPARATORS,
    first_line,
    near_miss,
    near_miss_pair,
    normalize_label,
    ru_to_iso,
    russian_likeness,
    sniff_encoding,
    sniff_separator,
)

__all__ = [
    "CYRILLIC_ENCODINGS",
    "EVENT_LOG_COLUMNS",
    "LARGEST",
    "MOSCOW_TZ",
    "FIRST_WORDS",
    "NEAR_MISS",
    "SEPARATORS",
    "TABLE_SUFFIXES",
    "WORKBOOK_SUFFIXES",
    "DataError",
    "EventLogError",
    "Problem",
    "RawTable",
    "ReadFailure",
    "convert_column",
    "empty_table",
    "first_line",
    "log_summary",
    "map_headers",
    "near_miss",
    "near_miss_pair",
    "normalize_label",
    "read_event_log",
    "read_table_file",
    "read_workbook",
    "ru_to_iso",
    "russian_likeness",
    "sniff_encoding",
    "sniff_separator",
    "table_for_name",
]
