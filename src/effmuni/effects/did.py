"""Staggered difference-in-differences: Callaway & Sant'Anna (2021) group-time effects.

When municipal offices adopt a lean project at different times, the before/after change of the
adopters mixes the project's effect with whatever else changed over time (seasons, a new law,
a growing caseload), and a two-way fixed-effects regression can even flip the sign when effects
grow over time. Callaway & Sant'Anna (2021, *Journal of Econometrics* 225(2)) instead compare
each adoption cohort ``g`` with units not (yet) treated, period by period: ``ATT(g, t)`` is the
2x2 difference-in-differences of cohort ``g`` against its comparison units between the last
period before treatment and period ``t``. These cells are then averaged into an event study
(by periods since adoption) and an overall effect.

:func:`staggered_did` wraps the maintained library `diff-diff
<https://github.com/igerber/diff-diff>`_ (MIT licence) and adds what analysts need around it:
plain-English checks of the panel, a Wald pre-trend test, and one result object.

Library choice
--------------
Candidates tried in November 2026 with Python 3.11, pandas 3.1.1, numpy 2.4.6 and scipy 1.17.1
on ``mpdta`` (500 counties, 5 years): outcome regression without covariates, never-treated
comparison units, 999 bootstrap draws plus the event-study aggregation. "fit" is a warm fit on
this 2-core machine; "released" is the month of the newest version on PyPI; "extra deps" are
runtime dependencies beyond numpy, pandas and scipy.

=========  ======  =======  ========  ==========================================  =======  ======
library    tried   licence  released  extra deps                                  mpdta    fit
=========  ======  =======  ========  ==========================================  =======  ======
diff-diff  3.13.0  MIT      2026-10   none (a compiled Rust core ships in wheel)  12/12    0.06 s
csdid      0.4.3   MIT      2026-10   drdid, statsmodels, patsy, plotnine,        12/12    0.26 s
                                      joblib, twine
moderndid  0.2.0   MIT      2026-10   polars, narwhals, pyarrow, statsmodels,     12/12    0.09 s
                                      prettytable, scipy>=1.17 [1]
pyfixest   0.60.0  MIT      2026-06   formulaic, maketables (great-tables,        7 post   0.16 s
                                      python-docx, lxml, ipython), seaborn,       only
                                      narwhals, joblib, tabulate
=========  ======  =======  ========  ==========================================  =======  ======

[1] 0.2.0 is the last release for Python 3.11; moderndid 0.4.1 needs Python 3.12.

"12/12" means every ATT(g, t) of R ``did`` to four decimals. All four run on pandas 3.
diff-diff is the choice: no dependency the project does not already have, the fastest, a release
every few weeks, R ``did``'s cells exactly (also with ``not_yet_treated``, anticipation, gapped
periods and unbalanced panels), survey weights, and a seeded multiplier bootstrap with
simultaneous event-study bands. csdid has no seed argument (it draws from numpy's global
generator) and drags ``twine`` and ``plotnine`` in at run time; moderndid would raise the scipy
floor and add polars; pyfixest has no Callaway-Sant'Anna estimator (its "saturated" event study,
in beta, gives the post-treatment cells but no pre-treatment ATT(g, t) or uniform bands, and it
emits pandas 3.1 deprecation warnings). diff-diff 3.10 is the oldest release that aggregates a
bootstrapped fit after fitting (3.9 refuses); it passes the tests with numpy 2.0.2, pandas 3.1.0
and scipy 1.15.0.

Notes
-----
The multiplier bootstrap draws come from diff-diff's Rust core, seeded by ``seed``; a build of
diff-diff without it (from source, no Rust) draws different numbers from the same seed.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ._panel import COHORT, TIME, UNIT, DidDataError, PreparedPanel, W, Y, prepare_panel

__all__ = [
    "ATT_GT_COLUMNS",
    "COHORT_COLUMNS",
    "EVENT_STUDY_COLUMNS",
    "OVERALL_COLUMNS",
    "DidResult",
    "staggered_did",
]

ATT_GT_COLUMNS = ("cohort", "time", "att", "se", "low", "high", "n_treated", "n_control")
COHORT_COLUMNS = ("cohort", "att", "se", "low", "high", "n_units")
EVENT_STUDY_COLUMNS = ("event_time", "att", "se", "low", "high")
OVERALL_COLUMNS = ("att", "se", "low", "high")
CONTROLS = ("not_yet_treated", "never_treated")

_SKIP_REASONS = {
    "zero_treated_control": "no treated or no comparison unit is observed in both periods "
    "(e.g. every other unit is already treated)",
    "missing_period": "a period it needs is absent from the panel",
}


@dataclass(frozen=True)
class DidResult:
    """Result of :func:`staggered_did`.

    Attributes
    ----------
    att_gt : pandas.DataFrame
        One row per estimable cohort-period cell: ``cohort``, ``time``, ``att``, ``se``,
        ``low``, ``high`` (pointwise interval), ``n_treated``, ``n_control``. Cells with
        ``time < cohort`` are placebo (pre-treatment) comparisons.
    event_study : pandas.DataFrame
        ``event_time`` (periods since treatment, 0 = first treated period), ``att``, ``se``,
        ``low``, ``high``; ``low``/``high`` are a simultaneous band: with the stated
        confidence it covers all event times at once.
    overall : pandas.DataFrame
        One row, ``att``, ``se``, ``low``, ``high``: the average of the post-treatment cells
        weighted by cohort size (Callaway & Sant'Anna's "simple" aggregate).
    pretrend_pvalue : float
        p-value of the Wald test that all pre-treatment ATT(g, t) are zero (as R ``did``;
        cells inside the anticipation window are not tested). NaN, with a note, when there is
        no pre-treatment cell. A small value means the groups trended apart before treatment.
        The test is asymptotic: with about 20 units per cohort it rejects a true null about
        twice as often as its nominal level.
    notes : list of str
        Plain-English notes on the data and on what was left out or could not be estimated.
    by_cohort : pandas.DataFrame
        One row per cohort: ``cohort``, ``att`` (its post-treatment cells averaged),
        ``se``, ``low``, ``high`` (pointwise), ``n_units``.
    """

    att_gt: pd.DataFrame
    event_study: pd.DataFrame
    overall: pd.DataFrame
    pretrend_pvalue: float
    notes: list[str]
    control: str = "not_yet_treated"
    anticipation: int = 0
    confidence: float = 0.95
    seed: int = 0
    n_bootstrap: int = 999
    weights: str | None = field(default=None)
    by_cohort: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=COHORT_COLUMNS))

    def __repr__(self) -> str:
        o = self.overall.iloc[0]
        return (
            f"DidResult(overall att={o['att']:.4g} [{o['low']:.4g}, {o['high']:.4g}], "
            f"{len(self.att_gt)} ATT(g,t) cells, {len(self.event_study)} event times, "
            f"pretrend p={self.pretrend_pvalue:.3g}, {len(self.notes)} notes)"
        )


def staggered_did(
    panel: pd.DataFrame,
    unit: str,
    time: str,
    cohort: str,
    outcome: str,
    *,
    control: str = "not_yet_treated",
    anticipation: int = 0,
    confidence: float = 0.95,
    seed: int = 0,
    weights: str | None = None,
    n_bootstrap: int = 999,
) -> DidResult:
    """Effect of a staggered roll-out by Callaway & Sant'Anna difference-in-differences.

    Parameters
    ----------
    panel : pandas.DataFrame
        A long panel: one row per unit and period.
    unit, time, cohort, outcome : str
        Column names. ``time`` holds whole numbers (years, month numbers), dates (read as
        calendar months) or pandas periods. ``cohort`` is the unit's first treated period on
        the same scale, the same on all its rows; 0 or missing means never treated.
        ``outcome`` must be numeric; rows without it are left out (with a note).
    control : {"not_yet_treated", "never_treated"}
        Comparison units: never-treated and not-yet-treated units, or never-treated only.
    anticipation : int
        Periods before the cohort's start in which the project may already act (e.g. staff
        trained the month before); the comparison base moves back by that many periods.
    confidence : float
        Confidence level of all intervals.
    seed : int
        Seed of the multiplier bootstrap; the same seed gives identical numbers.
    weights : str, optional
        Column of unit weights (e.g. cases per unit-month). The estimator needs one weight per
        unit, so a weight that changes over time is averaged per unit (with a note). Without
        it every unit counts equally.
    n_bootstrap : int
        Bootstrap draws (at least 99).

    Returns
    -------
    DidResult

    Raises
    ------
    effmuni.DataError
        (as :class:`DidDataError`) for a panel that cannot be analysed: missing columns,
        repeated unit-period rows, a non-numeric outcome, a cohort that changes within a unit,
        no treated unit or no comparison group (everyone treated at once).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> office = np.repeat(np.arange(60), 8)
    >>> month = np.tile(np.arange(1, 9), 60)
    >>> start = np.repeat(rng.choice([0, 4, 6], size=60), 8)  # 0 = never treated
    >>> days = 10 + 0.5 * month - 2.0 * ((start > 0) & (month >= start))
    >>> panel = pd.DataFrame({"office": office, "month": month, "start": start,
    ...                       "days": days + rng.normal(0, 0.3, office.size)})
    >>> res = staggered_did(panel, "office", "month", "start", "days")
    >>> round(float(res.overall["att"].iloc[0]), 1)
    -2.0
    >>> list(res.event_study["event_time"])
    [-4, -3, -2, -1, 0, 1, 2, 3, 4]
    """
    if control not in CONTROLS:
        raise ValueError(f"control must be one of {CONTROLS}, not {control!r}")
    if isinstance(anticipation, bool) or not isinstance(anticipation, int | np.integer):
        raise ValueError(f"anticipation must be a whole number of periods, not {anticipation!r}")
    if anticipation < 0:
        raise ValueError("anticipation must be 0 or more")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence!r}")
    if int(n_bootstrap) < 99:
        raise ValueError("n_bootstrap must be at least 99")
    prep, fit, gt, att_gt, notes = _cells(
        panel, (unit, time, cohort, outcome, weights), control, int(anticipation),
        1 - confidence, seed, int(n_bootstrap),
    )  # fmt: skip
    event_study = _event_study(fit, notes)
    by_cohort = _by_cohort(fit, prep, notes)
    with _library_notes(notes):
        simple = fit.aggregate("simple").to_dataframe().iloc[0]
    overall = pd.DataFrame(
        {
            "att": [float(simple["att"])],
            "se": [float(simple["se"])],
            "low": [float(simple["conf_int_lower"])],
            "high": [float(simple["conf_int_upper"])],
        }
    )
    pvalue, note = _pretrend_test(prep, gt, control, int(anticipation))
    if note:
        notes.append(note)
    return DidResult(
        att_gt=att_gt,
        event_study=event_study,
        overall=overall,
        pretrend_pvalue=pvalue,
        notes=notes,
        control=control,
        anticipation=int(anticipation),
        confidence=float(confidence),
        seed=int(seed),
        n_bootstrap=int(n_bootstrap),
        weights=weights,
        by_cohort=by_cohort,
    )


def _cells(panel, columns, control, anticipation, alpha, seed, n_bootstrap):
    """Check the panel, fit diff-diff and collect the estimable ATT(g, t) cells."""
    unit, time, cohort, outcome, weights = columns
    prep = prepare_panel(panel, unit, time, cohort, outcome, weights, control, anticipation)
    notes = [_describe(prep, control, weights), *prep.notes]
    fit = _fit(prep, control, anticipation, alpha, seed, n_bootstrap, notes)
    gt = pd.DataFrame(
        [
            {
                "group": g,
                "time": t,
                "effect": c["effect"],
                "se": c["se"],
                "low": c["conf_int"][0],
                "high": c["conf_int"][1],
                "n_treated": c["n_treated"],
                "n_control": c["n_control"],
                "skip_reason": c.get("skip_reason"),
            }
            for (g, t), c in sorted(fit.group_time_effects.items())
        ]
    )
    skipped = gt[gt["effect"].isna()]
    for g, rows in skipped.groupby("group", sort=True):
        reason = rows["skip_reason"].dropna()
        reason = _SKIP_REASONS.get(reason.iloc[0], reason.iloc[0]) if len(reason) else "unknown"
        periods = ", ".join(str(v) for v in prep.label(rows["time"]))
        notes.append(f"Cohort {prep.label([g])[0]}: no effect for period(s) {periods}: {reason}.")
    gt = gt[gt["effect"].notna()].reset_index(drop=True)
    post = gt["time"] >= gt["group"]
    if not post.any():
        raise DidDataError("No post-treatment effect could be estimated. " + " ".join(notes[1:]))
    att_gt = pd.DataFrame(
        {
            "cohort": prep.label(gt["group"]),
            "time": prep.label(gt["time"]),
            "att": gt["effect"].astype(float),
            "se": gt["se"].astype(float),
            "low": gt["low"].astype(float),
            "high": gt["high"].astype(float),
            "n_treated": gt["n_treated"].astype(np.int64),
            "n_control": gt["n_control"].astype(np.int64),
        }
    )
    return prep, fit, gt, att_gt, notes


def group_time_cells(
    panel: pd.DataFrame,
    unit: str,
    time: str,
    cohort: str,
    outcome: str,
    *,
    control: str = "not_yet_treated",
    weights: str | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """The ATT(g, t) cells of :func:`staggered_did` and its notes, without the aggregates,
    the bootstrap and the pre-trend test (for callers that do their own inference).

    Returns ``att_gt`` (``cohort``, ``time``, ``att``, ``n_treated``, ``n_control``; its
    ``se``, ``low`` and ``high`` are diff-diff's analytic ones) and the notes.
    """
    if control not in CONTROLS:
        raise ValueError(f"control must be one of {CONTROLS}, not {control!r}")
    _, _, _, att_gt, notes = _cells(
        panel, (unit, time, cohort, outcome, weights), control, 0, 0.05, 0, 0
    )
    return att_gt, notes


def _by_cohort(fit, prep: PreparedPanel, notes: list[str]) -> pd.DataFrame:
    """Each cohort's post-treatment cells averaged (diff-diff's "group" aggregate)."""
    with _library_notes(notes):
        groups = fit.aggregate("group").to_dataframe()
    groups = groups[groups["att"].notna()]
    codes = groups["label"].astype(np.int64).to_numpy()
    sizes = prep.data.drop_duplicates(UNIT)[COHORT].value_counts()
    return pd.DataFrame(
        {
            "cohort": prep.label(codes),
            "att": groups["att"].astype(float).to_numpy(),
            "se": groups["se"].astype(float).to_numpy(),
            "low": groups["conf_int_lower"].astype(float).to_numpy(),
            "high": groups["conf_int_upper"].astype(float).to_numpy(),
            "n_units": [int(sizes.get(c, 0)) for c in codes],
        }
    )


def _describe(prep: PreparedPanel, control: str, weights: str | None) -> str:
    """The opening note: what was compared with what."""
    df = prep.data
    units = df.drop_duplicates(UNIT)
    sizes = units[COHORT].value_counts().sort_index()
    periods = np.sort(df[TIME].unique())
    first, last = prep.label(periods[[0, -1]])
    cohorts = ", ".join(f"{prep.label([g])[0]} ({n} units)" for g, n in sizes.items() if g > 0)
    comparison = (
        "never-treated units"
        if control == "never_treated"
        else ("never-treated and not-yet-treated units")
    )
    weighting = f"units weighted by '{weights}'" if weights else "every unit weighted equally"
    return (
        f"{len(units)} units over {len(periods)} periods ({first} to {last}): "
        f"{int(sizes.get(0, 0))} never treated; cohorts {cohorts}. Compared with "
        f"{comparison}; {weighting}."
    )


def _fit(
    prep: PreparedPanel,
    control: str,
    anticipation: int,
    alpha: float,
    seed: int,
    n_bootstrap: int,
    notes: list[str],
):
    """Run diff-diff; its warnings become notes and its data complaints DataErrors."""
    from diff_diff import CallawaySantAnna, SurveyDesign

    estimator = CallawaySantAnna(
        control_group=control,
        anticipation=anticipation,
        estimation_method="reg",  # no covariates: every method is the plain 2x2 DiD
        alpha=alpha,
        n_bootstrap=int(n_bootstrap),
        bootstrap_weights="rademacher",
        seed=int(seed),
        base_period="varying",
        cband=True,
    )
    design = SurveyDesign(weights=W) if prep.weighted else None
    with _library_notes(notes):
        try:
            fit = estimator.fit(
                prep.data,
                outcome=Y,
                unit=UNIT,
                time=TIME,
                first_treat=COHORT,
                survey_design=design,
            )
        except ValueError as error:
            raise DidDataError(f"The panel cannot be analysed: {error}") from error
    return fit


# diff-diff warnings already said in plainer words by the panel notes and skipped-cell notes
_SAID = ("Unbalanced panel detected", "could not be estimated", "pweight weights normalized")


@contextmanager
def _library_notes(notes: list[str]) -> Iterator[None]:
    """Turn diff-diff's warnings into notes (once each) instead of letting them print."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        text = f"diff-diff warned: {w.message}"
        if not any(s in str(w.message) for s in _SAID) and text not in notes:
            notes.append(text)


def _event_study(fit, notes: list[str]) -> pd.DataFrame:
    """Event-study aggregate with the simultaneous (sup-t) bootstrap band."""
    with _library_notes(notes):
        es = fit.aggregate("event_study").to_dataframe()
    if "is_reference" in es:
        es = es[~es["is_reference"].astype(bool)]
    es = es[es["att"].notna()].sort_values("event_time").reset_index(drop=True)
    low, high = es["cband_lower"].astype(float), es["cband_upper"].astype(float)
    if low.isna().any() or high.isna().any():
        notes.append(
            "The simultaneous band could not be computed for every event time; pointwise "
            "intervals are shown there instead."
        )
        low = low.fillna(es["conf_int_lower"].astype(float))
        high = high.fillna(es["conf_int_upper"].astype(float))
    return pd.DataFrame(
        {
            "event_time": es["event_time"].astype(np.int64),
            "att": es["att"].astype(float),
            "se": es["se"].astype(float),
            "low": low,
            "high": high,
        }
    )


def pre_treatment_cells(
    prep: PreparedPanel, cells: pd.DataFrame, control: str, anticipation: int
) -> tuple[np.ndarray, np.ndarray]:
    """ATT(g, t) of the pre-treatment cells and their influence functions.

    ``cells`` holds diff-diff's ``group`` and ``time`` codes; only cells with
    ``time < group - anticipation`` are used. Each is the (weighted) 2x2 DiD between ``time``
    and the period before it, as in R ``did`` with a varying base period. Returns ``theta``
    (k,) and ``psi`` (n_units, k) scaled so that ``psi.T @ psi`` estimates ``Var(theta)``.
    """
    df = prep.data
    wide = df.pivot(index=UNIT, columns=TIME, values=Y)
    periods = wide.columns.to_numpy()
    first = df.drop_duplicates(UNIT).set_index(UNIT)
    g = first[COHORT].reindex(wide.index).to_numpy()
    w = first[W].reindex(wide.index).to_numpy() if prep.weighted else np.ones(len(g))
    y = wide.to_numpy(dtype=float)
    pre = cells[cells["time"] < cells["group"] - anticipation]
    theta = np.zeros(len(pre))
    psi = np.zeros((len(g), len(pre)))
    for j, (cg, t) in enumerate(zip(pre["group"], pre["time"], strict=True)):
        col = int(np.searchsorted(periods, t))
        dy = y[:, col] - y[:, col - 1]  # varying base: the previous observed period
        seen = np.isfinite(dy)
        dy = np.where(seen, dy, 0.0)
        untreated = g == 0
        if control == "not_yet_treated":
            untreated |= (g > t + anticipation) & (g != cg)
        wt = w * ((g == cg) & seen)
        wc = w * (untreated & seen)
        mt, mc = wt @ dy / wt.sum(), wc @ dy / wc.sum()
        theta[j] = mt - mc
        psi[:, j] = wt * (dy - mt) / wt.sum() - wc * (dy - mc) / wc.sum()
    return theta, psi


def _pretrend_test(
    prep: PreparedPanel, gt: pd.DataFrame, control: str, anticipation: int
) -> tuple[float, str | None]:
    """Wald test that all pre-treatment ATT(g, t) are zero, with analytic covariance."""
    pre = gt[gt["time"] < gt["group"] - anticipation]
    if pre.empty:
        return float("nan"), (
            "No pre-treatment comparison could be estimated (too few periods before "
            "treatment), so parallel trends were not tested: pretrend_pvalue is NaN."
        )
    _, psi = pre_treatment_cells(prep, pre, control, anticipation)
    theta = pre["effect"].to_numpy(dtype=float)  # diff-diff's own estimates of the same cells
    vcov = psi.T @ psi
    rank = int(np.linalg.matrix_rank(vcov))
    if rank == 0:
        return float("nan"), (
            "The pre-treatment comparisons have no variation, so parallel trends were not "
            "tested: pretrend_pvalue is NaN."
        )
    stat = float(theta @ np.linalg.pinv(vcov) @ theta)
    note = None
    if rank < len(theta):
        note = (
            f"The {len(theta)} pre-treatment cells are linearly dependent; the pre-trend test "
            f"uses {rank} degrees of freedom."
        )
    return float(stats.chi2.sf(stat, rank)), note
