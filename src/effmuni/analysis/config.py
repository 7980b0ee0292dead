"""One frozen configuration holding every default of the analysis."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

import pandas as pd

__all__ = ["AnalysisConfig"]


@dataclass(frozen=True)
class AnalysisConfig:
    """Every choice behind the numbers the toolkit reports, in one place.

    The command line, the municipality report, the batch and the notebooks all build their
    figures with :func:`effmuni.analyse` from one of these, so the same data and the same
    configuration give the same figure on every surface.

    Parameters
    ----------
    confidence : float, default 0.95
        Level of every interval.
    n_boot : int, default 2000
        Bootstrap resamples of the savings intervals (0: no intervals).
    seed : int, default 0
        Seed of every random step (savings bootstrap, clustering, stability).
    k : int or "auto", default "auto"
        Number of maturity groups (see :func:`effmuni.cluster_maturity`).
    method : {"ward", "kmeans", "gmm"}, default "ward"
        Clusterer of the maturity grouping.
    maturity_n_boot : int, default 100
        Bootstrap resamples of the grouping's stability (0 skips it).
    as_of : str or None, default None
        Reference date of the maturity features (``"2025-12-31"``); None: the dataset's
        extract date (declared in ``dataset.json``, else the latest date in the data), so units
        merged away by then count as part of their successors.
    merged : {"fold", "keep", "drop"}, default "fold"
        What becomes of municipalities merged away (see :func:`effmuni.maturity_features`).
    include_regulation_baselines : bool, default False
        Count projects whose baseline is a regulation limit in pooled figures and totals.
    did_control : {"not_yet_treated", "never_treated"}, default "not_yet_treated"
        Comparison units of the causal effects on service statistics
        (:func:`effmuni.service_effects`): the same service in municipalities not yet (or
        never) treated, or never treated only.

    Examples
    --------
    >>> from effmuni import AnalysisConfig
    >>> c = AnalysisConfig(n_boot=500)
    >>> c.n_boot, c.k
    (500, 'auto')
    >>> c.replace(seed=3).seed
    3
    """

    confidence: float = 0.95
    n_boot: int = 2000
    seed: int = 0
    k: int | Literal["auto"] = "auto"
    method: Literal["ward", "kmeans", "gmm"] = "ward"
    maturity_n_boot: int = 100
    as_of: str | None = None
    merged: Literal["fold", "keep", "drop"] = "fold"
    include_regulation_baselines: bool = False
    did_control: Literal["not_yet_treated", "never_treated"] = "not_yet_treated"

    def __post_init__(self) -> None:
        if not 0 < float(self.confidence) < 1:
            raise ValueError(f"confidence must lie between 0 and 1, not {self.confidence!r}")
        for name in ("n_boot", "maturity_n_boot"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number ≥ 0, not {value!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"seed must be an integer, not {self.seed!r}")
        if self.k != "auto" and (isinstance(self.k, bool) or not isinstance(self.k, int)):
            raise ValueError(f"k must be 'auto' or an integer, not {self.k!r}")
        if self.method not in ("ward", "kmeans", "gmm"):
            raise ValueError(f"method must be ward, kmeans or gmm, not {self.method!r}")
        if self.did_control not in ("not_yet_treated", "never_treated"):
            raise ValueError(
                f"did_control must be not_yet_treated or never_treated, not {self.did_control!r}"
            )
        if self.merged not in ("fold", "keep", "drop"):
            raise ValueError(f"merged must be fold, keep or drop, not {self.merged!r}")
        if self.as_of is not None:
            try:
                stamp = pd.Timestamp(self.as_of)
            except (TypeError, ValueError):
                raise ValueError(
                    f"as_of must be a date such as 2025-12-31, not {self.as_of!r}"
                ) from None
            # one spelling per date, so equal configurations hash equally
            object.__setattr__(self, "as_of", f"{stamp:%Y-%m-%d}")

    def replace(self, **changes) -> AnalysisConfig:
        """A copy with some options changed."""
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict:
        """The options as a plain dict (JSON-serialisable)."""
        return dataclasses.asdict(self)
