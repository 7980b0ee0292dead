"""Private helpers shared by the savings modules: grouping keys, parameter checks, flags."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

#: interval methods; see ``docs/methods.md`` for the coverage study behind the default
CI_METHODS = ("symmetric", "studentized", "bca", "percentile")


def _by_columns(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _check_params(confidence: float, n_boot: int, method: str) -> None:
    if method not in CI_METHODS:
        raise ValueError(f"method must be one of {', '.join(CI_METHODS)}, not {method!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence!r}")
    if n_boot != 0 and n_boot < 100:
        raise ValueError(f"n_boot must be 0 (no intervals) or at least 100, not {n_boot!r}")


def _join_flags(flags: Mapping[str, np.ndarray], n: int) -> pd.Series:
    """'; '-joined names of the true flags of each row (an empty string when none)."""
    rows = [[] for _ in range(n)]
    for name, mask in flags.items():
        for i in np.flatnonzero(np.asarray(mask, dtype=bool)):
            rows[i].append(name)
    return pd.Series(["; ".join(r) for r in rows], dtype="string")
