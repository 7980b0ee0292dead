"""Checks and preparation of a long panel for :func:`effmuni.effects.staggered_did`.

Every problem with the panel either stops the analysis with a :class:`DidDataError` that says
what is wrong in plain words, or is repaired in a stated way and named in the notes. Nothing is
dropped or changed silently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..io import DataError

__all__ = ["DidDataError", "PreparedPanel", "prepare_panel"]

# internal column names handed to diff-diff (users' column names may clash with nothing here)
UNIT, TIME, COHORT, Y, W = "_unit", "_t", "_g", "_y", "_w"
_SMALL_COHORT = 5


class DidDataError(DataError):
    """A panel that cannot be analysed; the message says why in plain words.

    A :class:`effmuni.DataError` (and so a ``ValueError``) built from a message
    rather than a validation report; ``report`` is ``None``.
    """

    def __init__(self, message: str):
        self.report = None
        ValueError.__init__(self, message)


@dataclass(frozen=True)
class PreparedPanel:
    """The panel in diff-diff's terms: integer periods from 1, cohort 0 = never treated."""

    data: pd.DataFrame
    notes: list[str]
    kind: str  # "number", "period" or "datetime": how to give periods back
    offset: int  # original period = code + offset (numbers) or ordinal = code + offset
    freq: object  # pandas offset of the periods (None for numbers)
    weighted: bool

    def label(self, codes: pd.Series | np.ndarray) -> pd.Series:
        """Turn period codes back into the caller's kind of period."""
        codes = np.asarray(codes, dtype=np.int64) + self.offset
        if self.kind == "number":
            return pd.Series(codes)
        periods = pd.Series(pd.PeriodIndex.from_ordinals(codes, freq=self.freq))
        return periods.dt.to_timestamp() if self.kind == "datetime" else periods


def _examples(values, limit: int = 3) -> str:
    items = [repr(v.item() if isinstance(v, np.generic) else v) for v in list(values)[:limit]]
    return ", ".join(items) + (", ..." if len(values) > limit else "")


def _period_codes(col: pd.Series, name: str, what: str) -> tuple[np.ndarray, str, object]:
    """Integer codes of a time-like column and its kind; raise on anything else."""
    if isinstance(col.dtype, pd.PeriodDtype):
        return col.array.asi8.astype(np.int64), "period", col.dtype.freq
    if pd.api.types.is_datetime64_any_dtype(col):
        periods = col.dt.to_period("M")
        return periods.array.asi8.astype(np.int64), "datetime", "M"
    if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
        raise DidDataError(
            f"The {what} column '{name}' must hold numbers (e.g. 2024 or a month number), dates "
            f"or pandas periods; it holds {col.dtype} values such as {_examples(col.dropna())}."
        )
    values = col.to_numpy(dtype=float, na_value=np.nan)
    finite = np.isfinite(values)
    if np.any(values[finite] != np.round(values[finite])):
        bad = np.unique(values[finite][values[finite] != np.round(values[finite])])
        raise DidDataError(
            f"The {what} column '{name}' must hold whole periods; it has {_examples(bad)}."
        )
    return values, "number", None


def _cohort_codes(col: pd.Series, name: str, kind: str, freq: object) -> np.ndarray:
    """Cohorts on the same integer scale as the periods; NaN for never treated."""
    if kind == "number":
        values, ckind, _ = _period_codes(col, name, "cohort")
        if ckind != "number":
            raise DidDataError(
                f"The cohort column '{name}' holds dates but the time column holds numbers."
            )
        values = values.astype(float)
        values[(values == 0) | np.isinf(values)] = np.nan
        return values
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        values = col.to_numpy(dtype=float, na_value=np.nan)
        if np.any(np.isfinite(values) & (values != 0)):
            raise DidDataError(
                f"The cohort column '{name}' holds numbers but the time column holds dates: "
                "give the first treated period as a date (missing or 0 = never treated)."
            )
        return np.full(len(col), np.nan)
    if kind == "datetime" and not pd.api.types.is_datetime64_any_dtype(col):
        col = pd.to_datetime(col, errors="coerce")
    if isinstance(col.dtype, pd.PeriodDtype) and col.dtype.freq != freq:
        raise DidDataError(
            f"The cohort column '{name}' holds periods of another frequency than the time column."
        )
    periods = col if isinstance(col.dtype, pd.PeriodDtype) else col.dt.to_period(freq)
    codes = periods.array.asi8.astype(float)
    codes[periods.isna().to_numpy()] = np.nan
    return codes


def _outcome(col: pd.Series, name: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(col):
        col = col.astype("float64")
    if not pd.api.types.is_numeric_dtype(col):
        as_number = pd.to_numeric(col, errors="coerce")
        bad = col[as_number.isna() & col.notna()]
        raise DidDataError(
            f"The outcome column '{name}' is not numeric ({col.dtype}): values such as "
            f"{_examples(bad.unique() if len(bad) else col.dropna().unique())} are not numbers."
        )
    values = col.to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(values).any():
        raise DidDataError(
            f"The outcome column '{name}' has {int(np.isinf(values).sum())} infinite values."
        )
    return values


def prepare_panel(
    panel: pd.DataFrame,
    unit: str,
    time: str,
    cohort: str,
    outcome: str,
    weights: str | None,
    control: str,
    anticipation: int,
) -> PreparedPanel:
    """Check a long panel and recode it for diff-diff; see :func:`staggered_did`."""
    if not isinstance(panel, pd.DataFrame):
        raise TypeError(f"panel must be a pandas DataFrame, not {type(panel).__name__}")
    wanted = [unit, time, cohort, outcome] + ([weights] if weights else [])
    missing = [c for c in dict.fromkeys(wanted) if c not in panel.columns]
    if missing:
        raise DidDataError(
            f"The panel has no column {_examples(missing, 10)}; it has "
            f"{_examples([str(c) for c in panel.columns], 12)}."
        )
    if len(set(wanted)) < len(wanted):
        raise ValueError("unit, time, cohort, outcome and weights must be different columns")
    if panel.empty:
        raise DidDataError("The panel is empty.")
    notes: list[str] = []
    keys = panel[[unit, time]]
    if keys.isna().any().any():
        raise DidDataError(
            f"{int(keys.isna().any(axis=1).sum())} rows have no unit or no time period; "
            "fill or remove them first."
        )
    t_raw, kind, freq = _period_codes(panel[time], time, "time")
    g_raw = _cohort_codes(panel[cohort], cohort, kind, freq)
    y = _outcome(panel[outcome], outcome)
    df = pd.DataFrame({UNIT: panel[unit].to_numpy(), "t_raw": t_raw, "g_raw": g_raw, Y: y})

    dup = df.duplicated([UNIT, "t_raw"], keep=False)
    if dup.any():
        pairs = panel.loc[dup.to_numpy(), [unit, time]].drop_duplicates()
        raise DidDataError(
            f"{int(dup.sum())} rows repeat a unit-period pair ({len(pairs)} pairs, e.g. "
            f"{_examples([tuple(r) for r in pairs.itertuples(index=False)])}): each unit may "
            "have one row per period; sum or average them first."
        )
    n_cohorts = df.groupby(UNIT, sort=False)["g_raw"].nunique(dropna=False)
    if (n_cohorts > 1).any():
        bad = n_cohorts.index[n_cohorts > 1]
        raise DidDataError(
            f"The cohort (first treated period) differs between rows of {len(bad)} units, e.g. "
            f"{_examples(list(bad))}: it must be one value per unit."
        )
    if np.any(np.isfinite(df["g_raw"]) & (df["g_raw"] < 0) & (kind == "number")):
        raise DidDataError(f"The cohort column '{cohort}' has negative periods.")

    weighted = weights is not None
    if weighted:
        w = _outcome(panel[weights], weights)
        if np.isnan(w).any() or (w < 0).any():
            raise DidDataError(f"The weights column '{weights}' has missing or negative values.")
        df[W] = w
        per_unit = df.groupby(UNIT, sort=False)[W].transform("mean")
        if not np.allclose(per_unit.to_numpy(), w):
            notes.append(
                f"The weights '{weights}' change over time within units; each unit is weighted "
                "by its average over the panel (the estimator needs one weight per unit)."
            )
        df[W] = per_unit.to_numpy()
        zero = df.loc[df[W] == 0, UNIT].unique()
        if len(zero):
            notes.append(f"{len(zero)} units with zero weight in every period were left out.")
            df = df[df[W] > 0]

    missing_y = np.isnan(df[Y].to_numpy())
    if missing_y.any():
        notes.append(
            f"{int(missing_y.sum())} rows with no value of '{outcome}' were left out "
            f"({df.loc[missing_y, UNIT].nunique()} units affected)."
        )
        df = df[~missing_y]
    if df.empty:
        raise DidDataError(f"No row has a value of '{outcome}'.")

    # integer codes from 1: cohort 0 is reserved for "never treated"
    offset = int(df["t_raw"].min()) - 1
    df[TIME] = (df["t_raw"] - offset).astype(np.int64)
    g = df["g_raw"] - offset
    periods = np.sort(df[TIME].unique())
    last = periods[-1]
    late = np.isfinite(g) & (g - anticipation > last)
    if late.any():
        notes.append(
            f"{df.loc[late, UNIT].nunique()} units are first treated after the panel ends; "
            "they count as untreated throughout."
        )
        g[late] = np.nan
    early = np.isfinite(g) & (g - anticipation <= periods[0])
    if early.any():
        cohorts = sorted({int(v) for v in df.loc[early, "g_raw"]})
        labels = [str(v) for v in _relabel(cohorts, kind, freq)]
        notes.append(
            f"Cohort(s) {', '.join(labels)} ({df.loc[early, UNIT].nunique()} units) are treated "
            "from the first period on (or before it), so they have no pre-treatment period to "
            "compare with: left out."
        )
        df = df[~early.to_numpy()]
        g = g[~early]
    df[COHORT] = g.fillna(0).astype(np.int64)
    _check_design(df, control, anticipation, periods, (kind, offset, freq), notes)
    if weighted:
        df = df[[UNIT, TIME, COHORT, Y, W]]
    else:
        df = df[[UNIT, TIME, COHORT, Y]]
    return PreparedPanel(df.reset_index(drop=True), notes, kind, offset, freq, weighted)


def _relabel(codes, kind: str, freq: object) -> list:
    if kind == "number":
        return [int(c) for c in codes]
    return [pd.Period(ordinal=int(c), freq=freq) for c in codes]


def _check_design(df, control, anticipation, periods, codec, notes) -> None:
    """Refuse designs with no comparison group; note thin or ragged ones."""
    kind, offset, freq = codec
    units = df.drop_duplicates(UNIT)
    sizes = units[COHORT].value_counts().sort_index()
    n_never = int(sizes.get(0, 0))
    treated = sizes[sizes.index > 0]
    if treated.empty:
        raise DidDataError("No unit is treated within the panel: there is no effect to estimate.")
    if control == "never_treated" and n_never == 0:
        raise DidDataError(
            "control='never_treated' but every unit is treated at some point; use "
            "control='not_yet_treated' to compare with units treated later."
        )
    if n_never == 0 and len(treated) == 1:
        raise DidDataError(
            "Every unit is treated at once (one cohort, no untreated unit): there is no "
            "comparison group, so the effect cannot be told apart from the trend of time."
        )
    if n_never == 0:
        later = _relabel([treated.index.max() + offset], kind, freq)[0]
        notes.append(
            "No unit stays untreated: comparisons use units not yet treated, so the last "
            f"cohort ({later}) has no comparison once it is treated."
        )
    for g, n in treated.items():
        label = _relabel([g + offset], kind, freq)[0]
        n_pre = int((periods < g - anticipation).sum())
        if n_pre < 2:
            notes.append(
                f"Cohort {label} has a single pre-treatment period, so its parallel trends "
                "cannot be checked (it is not in the pre-trend test)."
            )
        if n < _SMALL_COHORT:
            notes.append(
                f"Cohort {label} has only {n} unit(s): its estimates are noisy"
                + (
                    " and its standard errors leave out the unit's own variation (too narrow)."
                    if n == 1
                    else "."
                )
            )
    counts = df.groupby(UNIT, sort=False).size()
    ragged = counts < len(periods)
    if ragged.any():
        notes.append(
            f"The panel is unbalanced: {int(ragged.sum())} of {len(counts)} units miss some of "
            f"the {len(periods)} periods. Each comparison uses the units observed in both of "
            "its periods."
        )
    if len(periods) > 2 and len(np.unique(np.diff(periods))) > 1:
        absent = np.setdiff1d(np.arange(periods[0], periods[-1] + 1), periods)
        shown = ", ".join(str(v) for v in _relabel(absent[:4] + offset, kind, freq))
        more = ", ..." if len(absent) > 4 else ""
        notes.append(
            f"The periods are not evenly spaced (some are absent from the whole panel: "
            f"{shown}{more}); each period is compared with the nearest earlier observed one."
        )
