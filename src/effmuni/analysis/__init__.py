"""The analysis layer: one configuration, one computation, one cache.

``analyse(dataset, config)`` computes every figure the toolkit reports; the command line, the
municipality report, the batch and the notebooks take their numbers from its :class:`Analysis`.
``analyse_regions(path, config, output_dir=...)`` runs it once per region of a partitioned
(federal) dataset on a Dask cluster and writes each region's result; ``load_region`` reads one
back and ``national_rollup`` joins the regions' result tables.
"""

from .cache import source_hash
from .config import AnalysisConfig
from .core import Analysis, analyse
from .inputs import report_inputs, store_report_inputs
from .regions import (
    REGION_COLUMNS,
    analyse_regions,
    dataset_regions,
    load_region,
    national_effect,
    national_rollup,
    region_folder,
    region_inputs,
)

__all__ = [
    "REGION_COLUMNS",
    "Analysis",
    "AnalysisConfig",
    "analyse",
    "analyse_regions",
    "dataset_regions",
    "load_region",
    "national_effect",
    "national_rollup",
    "region_folder",
    "region_inputs",
    "report_inputs",
    "source_hash",
    "store_report_inputs",
]
