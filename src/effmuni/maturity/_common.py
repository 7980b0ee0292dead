"""What the clustering and the index share: the check of a features frame."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _check_features(features: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(features, pd.DataFrame):
        raise TypeError("features must be a DataFrame (one row per municipality)")
    if features.shape[1] == 0:
        raise ValueError("features has no columns")
    bad = [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    if bad:
        raise ValueError(f"features must be numeric; not numeric: {', '.join(map(str, bad))}")
    if features.index.has_duplicates:
        dup = features.index[features.index.duplicated()].unique().tolist()
        raise ValueError(f"features has duplicate municipalities: {dup[:5]}")
    x = features.astype("float64")
    if np.isinf(x.to_numpy()).any():
        raise ValueError("features hold infinite values; replace them or leave them empty (NaN)")
    return x
