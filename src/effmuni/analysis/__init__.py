"""The analysis layer: one configuration, one computation, one cache.

``analyse(dataset, config)`` computes every figure the toolkit reports; the command line, the
municipality report, the batch and the notebooks take their numbers from its :class:`Analysis`.
"""

from .cache import source_hash
from .config import AnalysisConfig
from .core import Analysis, analyse

__all__ = ["Analysis", "AnalysisConfig", "analyse", "source_hash"]
