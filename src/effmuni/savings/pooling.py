"""Across projects: pooled effects per municipality and for the region, and target attainment.

:func:`pool_savings` puts two estimates side by side for each group:

- ``random_effects``: a random-effects meta-analysis (statsmodels'
  :func:`~statsmodels.stats.meta_analysis.combine_effects`, DerSimonian–Laird by default) of
  the log ratios of the projects with case timings, weighted by the inverse of their
  bootstrap variance plus the between-project variance τ², so one "−95 %" project cannot
  dominate; with τ², I² and Cochran's Q. The interval uses the Hartung–Knapp–Sidik–Jonkman
  variance and t quantiles with k − 1 degrees of freedom (normal quantiles undercover badly
  with 2–5 projects), and a prediction interval says where the effect of a new project is
  expected to lie;
- ``bootstrap_projects``: for projects known only from their card (one number before and one
  after, no sampling variance), the geometric mean of their ratios with a bootstrap over
  projects.

:func:`target_attainment` says which projects reached their ``target_reduction_pct`` and
what share did per municipality. Projects whose baseline is a regulation limit are left out
of every pooled figure unless ``include_regulation_baselines=True``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._bootstrap import MIN_CASES, _mean_interval
from ._common import _by_columns

__all__ = [
    "ATTAINMENT_COLUMNS",
    "random_effects",
    "POOL_COLUMNS",
    "REDUCTION_COLUMNS",
    "pool_savings",
    "reduction_pct",
    "target_attainment",
]

#: output columns of :func:`pool_savings` (after the ``by`` columns)
POOL_COLUMNS = (
    "method",
    "n_pooled",
    "n_left_out",
    "log_ratio",
    "log_ratio_se",
    "ratio",
    "ratio_low",
    "ratio_high",
    "reduction_pct",
    "reduction_pct_low",
    "reduction_pct_high",
    "ratio_pi_low",
    "ratio_pi_high",
    "reduction_pct_pi_low",
    "reduction_pct_pi_high",
    "tau2",
    "i2",
    "q",
    "q_pvalue",
    "log_ratio_sd",
    "note",
)
_METHODS = ("random_effects", "bootstrap_projects")


#: fewest projects for a prediction interval (t with k − 2 degrees of freedom)
MIN_PI = 3


def _random_effects(
    effect: np.ndarray,
    variance: np.ndarray,
    *,
    confidence: float,
    method_re: str,
    hksj: bool,
) -> dict[str, float]:
    """One random-effects fit; k < 2 gives the single project unchanged.

    statsmodels supplies τ², Q and I²; the pooled mean, its variance (Hartung–Knapp–Sidik–
    Jonkman when ``hksj``) and the prediction interval are computed here from the truncated τ².
    """
    from scipy import stats

    k = len(effect)
    if k == 0:
        return {"note": "no project with case timings"}
    if k == 1:
        se = float(np.sqrt(variance[0]))
        z = stats.norm.ppf(0.5 + confidence / 2)
        return {
            "log_ratio": float(effect[0]),
            "log_ratio_se": se,
            "low": float(effect[0] - z * se),
            "high": float(effect[0] + z * se),
            "note": "one project: nothing to pool",
        }
    from statsmodels.stats.meta_analysis import combine_effects

    with np.errstate(invalid="ignore", divide="ignore"):
        res = combine_effects(effect, variance, method_re=method_re, alpha=1 - confidence)
    hom = res.test_homogeneity()
    # statsmodels 0.15 does not truncate the DerSimonian-Laird τ² at zero: when Q < k − 1
    # it returns a negative τ² and weights from it. The DL estimator is max(0, τ²), and with
    # τ² = 0 the random-effects answer is the fixed-effect one; so the weights, the mean and
    # its variance are recomputed here from the truncated τ².
    tau2 = max(0.0, float(res.tau2))
    w = 1.0 / (variance + tau2)
    mean = float((w * effect).sum() / w.sum())
    if hksj:
        # Hartung–Knapp–Sidik–Jonkman: the weighted residual variance, t with k − 1 df
        var = float((w * (effect - mean) ** 2).sum() / ((k - 1) * w.sum()))
        crit = stats.t.ppf(0.5 + confidence / 2, k - 1)
    else:
        var = float(1.0 / w.sum())
        crit = stats.norm.ppf(0.5 + confidence / 2)
    se = float(np.sqrt(var))
    out = {
        "log_ratio": mean,
        "log_ratio_se": se,
        "low": mean - crit * se,
        "high": mean + crit * se,
        "tau2": tau2,
        "i2": 100 * max(0.0, float(res.i2)),
        "q": float(res.q),
        "q_pvalue": float(hom.pvalue),
    }
    notes = []
    if k < MIN_CASES:
        notes.append(f"fewer than {MIN_CASES} projects: τ² is imprecise")
    if k >= MIN_PI:
        # Higgins, Thompson & Spiegelhalter (2009): t with k − 2 df on τ² + se²
        half = stats.t.ppf(0.5 + confidence / 2, k - 2) * np.sqrt(tau2 + var)
        out["pi_low"], out["pi_high"] = mean - half, mean + half
    else:
        notes.append(f"fewer than {MIN_PI} projects: no prediction interval")
    out["note"] = "; ".join(notes)
    return out


def random_effects(
    effect: np.ndarray, variance: np.ndarray, *, confidence: float = 0.95
) -> dict[str, float]:
    """Random-effects pooling of independent estimates: DerSimonian–Laird τ² (truncated at
    zero), Hartung–Knapp–Sidik–Jonkman interval, prediction interval from three estimates.

    What :func:`pool_savings` does to project log ratios, for any estimates with known
    variances (the regions' causal effects in :func:`effmuni.national_rollup`, say).

    Returns
    -------
    dict
        ``log_ratio`` (the pooled mean), ``log_ratio_se``, ``low``, ``high``, ``tau2``,
        ``i2``, ``q``, ``q_pvalue``, ``pi_low``, ``pi_high`` (when there are three or more),
        ``note``.

    Examples
    --------
    >>> from effmuni.savings.pooling import random_effects
    >>> r = random_effects(np.array([-0.3, -0.3, -0.3]), np.array([0.01, 0.02, 0.01]))
    >>> round(r["log_ratio"], 6), r["tau2"]
    (-0.3, 0.0)
    """
    effect = np.asarray(effect, dtype="float64")
    variance = np.asarray(variance, dtype="float64")
    return _random_effects(effect, variance, confidence=confidence, method_re="dl", hksj=True)


def _projects_prediction(lr: np.ndarray, confidence: float) -> tuple[float, float]:
    """Prediction interval for one new project's log ratio from a normal sample of projects."""
    from scipy import stats

    k = len(lr)
    if k < MIN_PI:
        return np.nan, np.nan
    half = stats.t.ppf(0.5 + confidence / 2, k - 1) * np.std(lr, ddof=1) * np.sqrt(1 + 1 / k)
    return float(lr.mean() - half), float(lr.mean() + half)


#: columns added by :func:`reduction_pct` (the same names as in :data:`POOL_COLUMNS`)
REDUCTION_COLUMNS = ("reduction_pct", "reduction_pct_low", "reduction_pct_high")


def reduction_pct(savings: pd.DataFrame) -> pd.DataFrame:
    """The typical lead-time reduction of each project, in %: positive means faster.

    ``reduction_pct`` = 100 × (1 − ``ratio``), where ``ratio`` is the geometric mean of lead
    times after ÷ before; its interval comes from the ratio's (the upper limit of the ratio
    gives the lower limit of the reduction). This is the statistic of the forest plot and of
    the pooled estimates, so a project's figure in a table and in a figure is the same number.
    ``saving_pct`` (from arithmetic means, as a card states it) is a different statistic.

    Parameters
    ----------
    savings : pandas.DataFrame
        With ``ratio``, ``ratio_low`` and ``ratio_high`` (:func:`effmuni.project_savings`,
        :func:`effmuni.estimate_savings`).

    Returns
    -------
    pandas.DataFrame
        ``savings`` with the :data:`REDUCTION_COLUMNS` ``reduction_pct``,
        ``reduction_pct_low`` and ``reduction_pct_high`` (replaced if present), placed
        after ``saving_pct_high`` when the table has it (else at the end).

    Examples
    --------
    >>> t = pd.DataFrame({"ratio": [0.7], "ratio_low": [0.51], "ratio_high": [0.95]})
    >>> reduction_pct(t)[list(REDUCTION_COLUMNS)].round(1).iloc[0].tolist()
    [30.0, 5.0, 49.0]
    """
    missing = [c for c in ("ratio", "ratio_low", "ratio_high") if c not in savings.columns]
    if missing:
        raise ValueError(f"savings has no column {', '.join(map(repr, missing))}")
    out = savings.drop(columns=list(REDUCTION_COLUMNS), errors="ignore")

    def pct(col: str) -> np.ndarray:
        return -100 * np.expm1(np.log(out[col].to_numpy(dtype=float, na_value=np.nan)))

    with np.errstate(invalid="ignore", divide="ignore"):
        values = [pct("ratio"), pct("ratio_high"), pct("ratio_low")]
    at = out.columns.get_loc("saving_pct_high") + 1 if "saving_pct_high" in out else out.shape[1]
    for i, (col, v) in enumerate(zip(REDUCTION_COLUMNS, values, strict=True)):
        out.insert(at + i, col, v)
    return out


def pool_savings(
    savings: pd.DataFrame,
    by: str | Sequence[str] | None = "municipality_id",
    *,
    include_regulation_baselines: bool = False,
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
    method_re: str = "dl",
    hksj: bool = True,
) -> pd.DataFrame:
    """Pooled lead-time ratio per municipality (or any grouping) and for the whole region.

    Parameters
    ----------
    savings : pandas.DataFrame
        One row per project, the output of :func:`effmuni.project_savings`: ``source``,
        ``log_ratio``, ``log_ratio_se``, ``regulation_baseline`` and the ``by`` column(s).
    by : str, list of str or None, default "municipality_id"
        Groups to pool within; None pools the whole region.
    include_regulation_baselines : bool, default False
        Also pool projects whose baseline is a regulation limit (left out by default: a
        regulated maximum is not a measured "before" and overstates the saving).
    confidence : float, default 0.95
        Level of the intervals.
    n_boot, seed : int
        Bootstrap over projects (card-only projects).
    method_re : {"dl", "pm", "iterated", "chi2"}, default "dl"
        Estimator of the between-project variance τ² passed to statsmodels'
        ``combine_effects``: DerSimonian–Laird ("dl", "chi2") or Paule–Mandel ("pm",
        "iterated").
    hksj : bool, default True
        Random-effects interval with the Hartung–Knapp–Sidik–Jonkman variance and t
        quantiles with k − 1 degrees of freedom (it covers about 95 % for every k from 2 up
        in simulation; normal quantiles cover 72–91 % with 2–10 projects, see
        ``docs/methods.md``). False gives the classic normal-quantile interval.

    Returns
    -------
    pandas.DataFrame
        Two rows per group (``method`` ``random_effects`` and ``bootstrap_projects``), with
        the ``by`` columns first, then :data:`POOL_COLUMNS`:

        ``n_pooled``, ``n_left_out``
            Projects pooled; projects of the group left out (regulation-limit baselines).
        ``log_ratio``, ``log_ratio_se``
            The pooled mean log ratio (after/before) and its standard error.
        ``ratio``, ``ratio_low``, ``ratio_high``
            ``exp`` of the above: the pooled geometric-mean ratio and its interval.
        ``reduction_pct``, ``reduction_pct_low``, ``reduction_pct_high``
            ``100 × (1 − ratio)``: the typical reduction of lead time (positive: faster).
        ``ratio_pi_low``, ``ratio_pi_high``, ``reduction_pct_pi_low``, ``reduction_pct_pi_high``
            Prediction interval for the ratio (and reduction) of a *new* project like these:
            it adds the between-project spread τ² to the uncertainty of the mean, so with
            strong heterogeneity it is much wider than the interval of the mean. Random
            effects: t with k − 2 degrees of freedom (Higgins, Thompson & Spiegelhalter
            2009); card-only projects: t with k − 1 degrees of freedom on their spread. At
            least 3 projects.
        ``tau2``, ``i2``, ``q``, ``q_pvalue``
            Between-project variance of the log ratios, the share (%) of the variation that
            it explains, Cochran's Q and its p-value (random effects only).
        ``log_ratio_sd``
            Spread of the projects' log ratios (both methods).
        ``note``
            Why a figure is missing or weak.

    Examples
    --------
    >>> import effmuni as em
    >>> ds = em.load_dataset("tests/data/mini")
    >>> pooled = em.pool_savings(em.project_savings(ds, n_boot=0), by=None, n_boot=0)
    >>> pooled[["method", "n_pooled", "reduction_pct"]]
                   method  n_pooled  reduction_pct
    0      random_effects         0            NaN
    1  bootstrap_projects         2       55.27864
    >>> pooled["note"].tolist()
    ['no project with case timings', 'fewer than 5 projects']
    """
    keys = _by_columns(by)
    need = ["source", "log_ratio", *keys]
    missing = [c for c in need if c not in savings.columns]
    if missing:
        raise ValueError(f"savings has no column {', '.join(map(repr, missing))}")
    s = savings.reset_index(drop=True)
    regulation = (
        s["regulation_baseline"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        if "regulation_baseline" in s.columns
        else np.zeros(len(s), dtype=bool)
    )
    left_out = regulation & (not include_regulation_baselines)
    lr = s["log_ratio"].to_numpy(dtype=float, na_value=np.nan)
    se = (
        s["log_ratio_se"].to_numpy(dtype=float, na_value=np.nan)
        if "log_ratio_se" in s.columns
        else np.full(len(s), np.nan)
    )
    src = s["source"].astype("string").fillna("none").to_numpy(dtype=object)
    use = ~left_out & np.isfinite(lr)
    re_rows = use & (src == "cases") & np.isfinite(se) & (se > 0)
    boot_rows = use & (src == "passport")

    if keys:
        grouped = s.groupby(keys, sort=True, dropna=False)
        codes = grouped.ngroup().to_numpy()
        group_keys = grouped.size().index.to_frame(index=False)
    else:
        codes = np.zeros(len(s), dtype=np.intp)
        group_keys = pd.DataFrame(index=range(1))
    n_groups = len(group_keys)
    boot = _mean_interval(
        lr[boot_rows],
        codes[boot_rows],
        n_groups,
        confidence=confidence,
        n_boot=n_boot,
        seed=seed,
    )
    rows = []
    for g in range(n_groups):
        in_g = codes == g
        n_left = int((in_g & left_out).sum())
        sel = in_g & re_rows
        re = _random_effects(
            lr[sel], se[sel] ** 2, confidence=confidence, method_re=method_re, hksj=hksj
        )
        re.update(method="random_effects", n_pooled=int(sel.sum()), n_left_out=n_left)
        re["log_ratio_sd"] = float(np.std(lr[sel], ddof=1)) if sel.sum() > 1 else np.nan
        rows.append(re)
        k = int(boot["n"][g])
        pi_low, pi_high = _projects_prediction(lr[in_g & boot_rows], confidence)
        bt = {
            "method": "bootstrap_projects",
            "n_pooled": k,
            "n_left_out": n_left,
            "log_ratio": boot["mean"][g] if k else np.nan,
            "log_ratio_se": boot["se"][g],
            "low": boot["low"][g],
            "high": boot["high"][g],
            "pi_low": pi_low,
            "pi_high": pi_high,
            "log_ratio_sd": float(np.std(lr[in_g & boot_rows], ddof=1)) if k > 1 else np.nan,
            "note": "no card-only project"
            if k == 0
            else (f"fewer than {MIN_CASES} projects" if k < MIN_CASES else ""),
        }
        rows.append(bt)
    res = pd.DataFrame(rows)
    cols = ("log_ratio", "log_ratio_se", "low", "high", "pi_low", "pi_high", "tau2", "i2", "q")
    for col in (*cols, "q_pvalue"):
        if col not in res.columns:
            res[col] = np.nan
    for col in (c for c in POOL_COLUMNS if c not in res.columns):  # no group at all
        res[col] = pd.Series(dtype="float64")
    res["ratio"] = np.exp(res["log_ratio"])
    res["ratio_low"] = np.exp(res["low"])
    res["ratio_high"] = np.exp(res["high"])
    res["reduction_pct"] = -100 * np.expm1(res["log_ratio"])
    res["reduction_pct_low"] = -100 * np.expm1(res["high"])
    res["reduction_pct_high"] = -100 * np.expm1(res["low"])
    res["ratio_pi_low"] = np.exp(res["pi_low"])
    res["ratio_pi_high"] = np.exp(res["pi_high"])
    res["reduction_pct_pi_low"] = -100 * np.expm1(res["pi_high"])
    res["reduction_pct_pi_high"] = -100 * np.expm1(res["pi_low"])
    res["method"] = res["method"].astype("string")
    res["note"] = res["note"].fillna("").astype("string")
    res = res[list(POOL_COLUMNS)]
    keys_rep = group_keys.loc[np.repeat(np.arange(n_groups), 2)].reset_index(drop=True)
    return pd.concat([keys_rep, res], axis=1)


#: output columns of :func:`target_attainment` per project
ATTAINMENT_COLUMNS = (
    "project_id",
    "municipality_id",
    "source",
    "target_reduction_pct",
    "achieved_pct",
    "achieved_pct_low",
    "achieved_pct_high",
    "target_status",
    "reached",
    "reached_surely",
    "regulation_baseline",
)


def target_attainment(
    savings: pd.DataFrame,
    by: str | Sequence[str] | None = "project_id",
    *,
    include_regulation_baselines: bool = False,
) -> pd.DataFrame:
    """Which projects reached their target lead-time reduction, and the share per group.

    The achieved reduction is ``saving_pct`` (``100 × (before − after) / before`` on mean
    lead times, as a project card states it). A target is ``reached`` when the estimate is
    at least the target, and ``reached_surely`` when even the lower limit of its interval is
    (only projects with case timings have one).

    Parameters
    ----------
    savings : pandas.DataFrame
        The output of :func:`effmuni.project_savings`.
    by : str, list of str or None, default "project_id"
        ``"project_id"`` for one row per project; ``"municipality_id"`` (or another column)
        or None (the region) for the shares.
    include_regulation_baselines : bool, default False
        Count projects whose baseline is a regulation limit in the shares.

    Returns
    -------
    pandas.DataFrame
        Per project (:data:`ATTAINMENT_COLUMNS`): ``target_status`` is ``reached``,
        ``not_reached``, ``no_result`` (no actual value yet) or ``no_target``. Per group:
        ``n_projects``, ``n_assessed`` (a target and a result, counted), ``n_reached``,
        ``share_reached`` (of the assessed, %), ``n_reached_surely``,
        ``share_reached_surely`` (%), ``n_no_result``, ``n_no_target`` and ``n_left_out``
        (regulation-limit baselines).

    Examples
    --------
    >>> import effmuni as em
    >>> ds = em.load_dataset("tests/data/mini")
    >>> ta = em.target_attainment(em.project_savings(ds, n_boot=0))
    >>> ta[["project_id", "target_reduction_pct", "achieved_pct", "target_status"]]
      project_id  target_reduction_pct  achieved_pct target_status
    0         p1                  50.0          60.0       reached
    1         p2                  40.0           NaN     no_result
    2         p3                  30.0          50.0       reached
    3         p4                   NaN           NaN     no_target
    """
    need = ["project_id", "target_reduction_pct", "saving_pct"]
    missing = [c for c in need if c not in savings.columns]
    if missing:
        raise ValueError(f"savings has no column {', '.join(map(repr, missing))}")
    s = savings.reset_index(drop=True)
    out = pd.DataFrame({"project_id": s["project_id"]})
    for col in ("municipality_id", "source"):
        out[col] = s[col] if col in s.columns else pd.NA
    target = s["target_reduction_pct"].to_numpy(dtype=float, na_value=np.nan)
    achieved = s["saving_pct"].to_numpy(dtype=float, na_value=np.nan)
    low = (
        s["saving_pct_low"].to_numpy(dtype=float, na_value=np.nan)
        if "saving_pct_low" in s.columns
        else np.full(len(s), np.nan)
    )
    out["target_reduction_pct"] = target
    out["achieved_pct"] = achieved
    out["achieved_pct_low"] = low
    out["achieved_pct_high"] = (
        s["saving_pct_high"].to_numpy(dtype=float, na_value=np.nan)
        if "saving_pct_high" in s.columns
        else np.nan
    )
    no_target, no_result = np.isnan(target), np.isnan(achieved)
    reached = achieved >= target
    out["target_status"] = pd.Series(
        np.select(
            [no_target, no_result, reached], ["no_target", "no_result", "reached"], "not_reached"
        ),
        dtype="string",
    )
    out["reached"] = pd.array(np.where(no_target | no_result, None, reached), dtype="boolean")
    surely = np.where(np.isnan(low) | no_target, None, low >= target)
    out["reached_surely"] = pd.array(surely, dtype="boolean")
    reg = (
        s["regulation_baseline"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        if "regulation_baseline" in s.columns
        else np.zeros(len(s), dtype=bool)
    )
    out["regulation_baseline"] = reg
    keys = _by_columns(by)
    if keys == ["project_id"]:
        return out[list(ATTAINMENT_COLUMNS)]
    for k in keys:
        if k not in out.columns:
            out[k] = s[k]
    left = reg & (not include_regulation_baselines)
    st = out["target_status"].to_numpy(dtype=object)
    counted = out.assign(
        n_assessed=~left & np.isin(st, ["reached", "not_reached"]),
        n_reached=~left & (st == "reached"),
        n_reached_surely=~left & out["reached_surely"].fillna(False).to_numpy(dtype=bool),
        n_no_result=st == "no_result",
        n_no_target=st == "no_target",
        n_left_out=left,
    )
    cols = ["n_assessed", "n_reached", "n_reached_surely", "n_no_result", "n_no_target"]
    cols.append("n_left_out")
    if keys:
        g = counted.groupby(keys, sort=True, dropna=False)
        res = g[cols].sum().astype(np.int64)
        res.insert(0, "n_projects", g.size().astype(np.int64))
        res = res.reset_index()
    else:
        res = counted[cols].sum().astype(np.int64).to_frame().T
        res.insert(0, "n_projects", len(counted))
    with np.errstate(invalid="ignore", divide="ignore"):
        res["share_reached"] = (
            100 * res["n_reached"] / res["n_assessed"].where(res["n_assessed"] > 0)
        )
        res["share_reached_surely"] = (
            100 * res["n_reached_surely"] / res["n_assessed"].where(res["n_assessed"] > 0)
        )
    order = [*keys, "n_projects", "n_assessed", "n_reached", "share_reached", "n_reached_surely"]
    order += ["share_reached_surely", "n_no_result", "n_no_target", "n_left_out"]
    return res[order]
