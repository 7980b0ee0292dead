"""The composite maturity score with a bootstrap interval: what to show when there are no groups.

When :func:`~effmuni.cluster_maturity` finds no distinct groups (k = 1), grouping
municipalities would show structure the data do not have. The report, the command and
notebook 03 then show each municipality's composite score — the mean of its standardised
features, 0 = the average municipality — with an interval that says how much the score depends
on which features are counted: the features are resampled with replacement (a seeded,
vectorised bootstrap), and the percentile interval of the resampled means is reported.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["SCORE_COLUMNS", "composite_scores"]

#: the columns of :func:`composite_scores`
SCORE_COLUMNS = ("maturity_score", "maturity_score_low", "maturity_score_high")


def composite_scores(
    result, *, n_boot: int = 1000, confidence: float = 0.95, seed: int = 0
) -> pd.DataFrame:
    """Each municipality's composite score with a bootstrap interval over the features.

    Parameters
    ----------
    result : MaturityResult
        From :func:`effmuni.cluster_maturity` (any k); its ``standardised`` features are used.
    n_boot : int, default 1000
        Resamples of the features (0: no interval).
    confidence : float, default 0.95
    seed : int, default 0

    Returns
    -------
    pandas.DataFrame
        Index ``municipality_id``; columns :data:`SCORE_COLUMNS`, sorted by score (highest
        first). The score equals ``result.scores``.

    Examples
    --------
    >>> import effmuni as em
    >>> r = em.cluster_maturity(em.maturity_features(em.load_dataset()), k=3, seed=0, n_boot=0)
    >>> s = composite_scores(r, n_boot=200)
    >>> bool((s["maturity_score_low"] <= s["maturity_score"]).all())
    True
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie between 0 and 1, not {confidence!r}")
    z = result.standardised.to_numpy(dtype="float64")
    score = z.mean(axis=1)
    out = pd.DataFrame({"maturity_score": score}, index=result.standardised.index)
    if n_boot > 0 and z.shape[1] > 1:
        rng = np.random.default_rng(seed)
        picks = rng.integers(0, z.shape[1], size=(n_boot, z.shape[1]))
        boot = z[:, picks].mean(axis=2)  # municipalities × resamples
        alpha = (1 - confidence) / 2
        out["maturity_score_low"] = np.quantile(boot, alpha, axis=1)
        out["maturity_score_high"] = np.quantile(boot, 1 - alpha, axis=1)
    else:
        out["maturity_score_low"] = np.nan
        out["maturity_score_high"] = np.nan
    out.index.name = "municipality_id"
    return out.sort_values("maturity_score", ascending=False, kind="stable")
