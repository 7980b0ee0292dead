"""Data-driven maturity levels: :func:`cluster_maturity` and its :class:`MaturityResult`.

Municipalities are grouped into levels 1..k (1 the least mature) with scikit-learn (impute →
standardise → Ward, k-means seeded from Ward, or a Gaussian mixture); k is chosen, the best
grouping is tested against one group (a Gaussian with the data's correlations: k may be 1, "no
distinct groups"), and the separation (silhouette) and stability (bootstrap adjusted Rand
index) of the levels are measured.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from ..text import Refusal, check_lang, fmt_number, label
from ._common import _check_features
from ._fit import (
    _K_MAX,
    _METHODS,
    _bootstrap,
    _centroids,
    _estimator,
    _fit_labels,
    _preprocess,
    _silhouette,
)
from ._null import _one_group_test

__all__ = ["MaturityResult", "cluster_maturity"]

Method = Literal["ward", "kmeans", "gmm"]

#: names of data-driven groups by k, least mature first
_GROUP_NAMES = {
    1: ("single",),  # no distinct groups: one neutral name
    2: ("lagging", "advanced"),  # the upper half of a split is not all "leaders"
    3: ("lagging", "developing", "leading"),
    4: ("lagging", "developing", "established", "leading"),
    5: ("dormant", "lagging", "developing", "established", "leading"),
    6: ("dormant", "lagging", "developing", "established", "advanced", "leading"),
}


def _group_names(k: int, lang: str) -> list[str]:
    keys = _GROUP_NAMES.get(k)
    if keys is None:  # more than six levels: number them
        word = label("level", lang)
        return [f"{word} {i}" for i in range(1, k + 1)]
    return [label(f"maturity_group_{key}", lang) for key in keys]


# --------------------------------------------------------------------------- clustering

#: null datasets of the test against one group, and its level
_NULL_N_BOOT = 1000
_NULL_ALPHA = 0.05
#: note of a result with one level
_ONE_GROUP_NOTE = "no distinct groups: silhouette and stability are undefined for one group"


@dataclass
class MaturityResult:
    """Data-driven maturity levels of municipalities (see :func:`cluster_maturity`).

    Attributes
    ----------
    levels : pandas.Series
        ``municipality_id`` → level 1..k, **1 the least mature**; levels are ordered by the
        mean over their members of :attr:`scores`.
    k : int
        Number of levels.
    method : {"ward", "kmeans", "gmm"}
        The clusterer.
    silhouette : float
        Mean silhouette width (−1..1; above ~0.25 some structure, above ~0.5 clear groups).
    silhouette_samples : pandas.Series
        Silhouette width per municipality (negative: closer to another level).
    stability : float
        Mean adjusted Rand index between the levels of the full data and those found again on
        bootstrap resamples of municipalities (1 perfectly stable, ~0 no better than chance).
    level_stability : pandas.Series
        Per level, the mean best Jaccard similarity with a level of the resample (Hennig's
        clusterwise stability; below ~0.6 a level is not a stable pattern).
    stability_samples : numpy.ndarray
        The adjusted Rand index of each bootstrap resample.
    profiles : pandas.DataFrame
        Level × feature means in the features' own units.
    profiles_z : pandas.DataFrame
        Level × feature means of the standardised features (0 = the average municipality).
    scores : pandas.Series
        Composite score per municipality: the mean of its standardised features.
    standardised : pandas.DataFrame
        The imputed, standardised features the clusterer saw.
    model : sklearn.pipeline.Pipeline
        The fitted pipeline ``impute → scale → cluster``. Ward
        (``AgglomerativeClustering``) has no ``predict``: use :meth:`predict`, which assigns
        new rows to the nearest level centroid for Ward and calls the model otherwise.
    probabilities : pandas.DataFrame or None
        For ``method="gmm"``: probability of each level per municipality (columns 1..k).
    selection : pandas.DataFrame
        The candidate k with their silhouette (and BIC for the mixture) and which was chosen.
    features : pandas.DataFrame
        The features clustered (as given).
    seed, n_boot : int
        The seed of every random step and the number of bootstrap resamples.
    converged : bool
        Whether the Gaussian mixture converged (always True for Ward and k-means).
    null_pvalue : float
        p-value of the test of the best grouping against one group: the share of datasets
        drawn from one Gaussian with the data's correlations whose best Ward grouping is at
        least as well separated (largest Calinski–Harabasz index over the candidate k). With
        ``k="auto"`` a p-value above ``null_alpha`` gives k = 1, "no distinct groups". NaN
        when the test did not run (fewer than 6 municipalities or ``null_n_boot=0``).
    null_statistic : float
        The data's largest Calinski–Harabasz index of the Ward groupings over the candidate k.
    null_samples : numpy.ndarray
        The same statistic for each null dataset (:attr:`null_summary` summarises it).
    null_n_boot : int
        Number of null datasets (0: the test did not run).
    null_alpha : float
        Level of the test.
    note : str
        Why a figure is missing (English; e.g. silhouette and stability with one level).
    """

    levels: pd.Series
    k: int
    method: str
    silhouette: float
    silhouette_samples: pd.Series
    stability: float
    level_stability: pd.Series
    stability_samples: np.ndarray
    profiles: pd.DataFrame
    profiles_z: pd.DataFrame
    scores: pd.Series
    standardised: pd.DataFrame
    model: object
    probabilities: pd.DataFrame | None
    selection: pd.DataFrame
    features: pd.DataFrame
    seed: int
    n_boot: int
    converged: bool = True
    null_pvalue: float = float("nan")
    null_statistic: float = float("nan")
    null_samples: np.ndarray = field(default_factory=lambda: np.array([], dtype=float))
    null_n_boot: int = 0
    null_alpha: float = _NULL_ALPHA
    note: str = ""
    _level_of: np.ndarray = field(default=None, repr=False)  # raw label → level
    _centres: np.ndarray = field(default=None, repr=False)  # raw-label centroids (standardised)

    @property
    def null_summary(self) -> pd.Series:
        """The test against one group in numbers: the data's statistic, the null distribution's
        mean, median and 95th percentile, the p-value, the number of null datasets and the level.
        """
        x = np.asarray(self.null_samples, dtype=float)
        x = x[np.isfinite(x)]
        return pd.Series(
            {
                "statistic": self.null_statistic,
                "null_mean": float(x.mean()) if len(x) else float("nan"),
                "null_median": float(np.median(x)) if len(x) else float("nan"),
                "null_q95": float(np.quantile(x, 0.95)) if len(x) else float("nan"),
                "pvalue": self.null_pvalue,
                "n_boot": self.null_n_boot,
                "alpha": self.null_alpha,
            },
            name="one_group_test",
        )

    @property
    def sizes(self) -> pd.Series:
        """Number of municipalities per level."""
        return self.levels.value_counts().reindex(range(1, self.k + 1), fill_value=0)

    def level_names(self, lang: str = "ru") -> pd.Series:
        """Level → its name (e.g. Lagging, Developing, Leading for k = 3; for k = 1 one neutral
        name, No distinct groups)."""
        return pd.Series(_group_names(self.k, check_lang(lang)), index=range(1, self.k + 1))

    def level_table(self, context: pd.DataFrame | None = None, lang: str = "ru") -> pd.DataFrame:
        """One row per municipality: level, its name, composite score and silhouette.

        Sorted by level (most mature first) and then by name, not by score: within a level,
        municipalities are peers. ``context`` (from :func:`municipality_context`) adds the
        name in ``lang`` and the kind and population.
        """
        names = self.level_names(lang)
        out = pd.DataFrame(
            {
                "level": self.levels,
                "level_name": self.levels.map(names).astype("string"),
                "maturity_score": self.scores,
                "silhouette": self.silhouette_samples,
            }
        )
        if self.probabilities is not None:
            out["probability"] = [self.probabilities.loc[m, lv] for m, lv in self.levels.items()]
        if context is not None:
            ctx = context.reindex(out.index)
            name_col = "name_ru" if lang == "ru" else "name_en"
            out.insert(0, "name", ctx[name_col].astype("string"))
            for col in ("kind", "population"):
                if col in ctx:
                    out[col] = ctx[col]
            out = out.sort_values(["level", "name"], ascending=[False, True], kind="stable")
        else:
            out = out.sort_values("level", ascending=False, kind="stable")
        out.index.name = "municipality_id"
        return out

    def context_profile(self, context: pd.DataFrame, lang: str = "ru") -> pd.DataFrame:
        """Who is in each level: size, population, kind and mergers (context kept out of the
        clustering, used to explain it).

        Parameters
        ----------
        context : pandas.DataFrame
            From :func:`municipality_context` for the same municipalities.
        lang : {"ru", "en"}
            Language of ``level_name``.

        Returns
        -------
        pandas.DataFrame
            Index ``level``; columns ``level_name``, ``n_municipalities``,
            ``population_median``, ``city_okrug_share`` and ``merger_affected`` (members that
            merged into another unit or took one in).
        """
        ctx = context.reindex(self.levels.index)
        merger = ctx["merged"].fillna(False).astype(bool) | (
            ctx["predecessors"].fillna("").astype(str) != ""
        )
        grouped = pd.DataFrame(
            {
                "population": ctx["population"].astype("float64"),
                "city": (ctx["kind"] == "city_okrug").fillna(False).astype(float),
                "merger": merger.astype(int),
            }
        ).groupby(self.levels)
        out = pd.DataFrame(
            {
                "level_name": self.level_names(lang),
                "n_municipalities": self.sizes,
                "population_median": grouped["population"].median().round().astype("Int64"),
                "city_okrug_share": grouped["city"].mean(),
                "merger_affected": grouped["merger"].sum(),
            }
        )
        out.index.name = "level"
        return out

    def summary(self, lang: str = "ru") -> pd.DataFrame:
        """The headline numbers as a two-column table (``item``, ``value``, as text)."""
        check_lang(lang)
        sizes = ", ".join(
            f"{n} {int(s)}" for n, s in zip(self.level_names(lang), self.sizes, strict=True)
        )
        method = {"ward": "Ward", "kmeans": "k-means (Ward)", "gmm": "GMM"}[self.method]
        rows = [
            (label("method", lang), method),
            (label("maturity_summary_k", lang), str(self.k)),
            (label("maturity_summary_sizes", lang), sizes),
            (
                label("maturity_summary_silhouette", lang),
                fmt_number(self.silhouette, lang, digits=2),
            ),
            (
                label("maturity_summary_stability", lang),
                f"{fmt_number(self.stability, lang, digits=2)} "
                f"({len(self.stability_samples)} × {self.n_boot})",
            ),
        ]
        if self.null_n_boot:
            rows.append(
                (
                    label("maturity_summary_null", lang),
                    f"{fmt_number(self.null_pvalue, lang, digits=3)} ({self.null_n_boot})",
                )
            )
        return pd.DataFrame(rows, columns=["item", "value"])

    def predict(self, features: pd.DataFrame) -> pd.Series:
        """Level (1..k) of new rows of features, with the fitted pipeline.

        Ward is not an inductive method, so new rows go to the nearest level centroid (in the
        standardised space); k-means and the mixture use the model's own ``predict``.
        """
        x = _check_features(features)[list(self.features.columns)]
        if self.method == "ward":
            z = self.model[:-1].transform(x)
            d = ((z[:, None, :] - self._centres[None, :, :]) ** 2).sum(axis=2)
            raw = d.argmin(axis=1)
        else:
            raw = self.model.predict(x)
        return pd.Series(self._level_of[raw], index=x.index, name="level")


def cluster_maturity(
    features: pd.DataFrame,
    k: int | Literal["auto"] = "auto",
    *,
    method: Method = "ward",
    seed: int = 0,
    n_boot: int = 100,
    null_n_boot: int = _NULL_N_BOOT,
    null_alpha: float = _NULL_ALPHA,
) -> MaturityResult:
    """Group municipalities into maturity levels 1..k (1 the least mature).

    Parameters
    ----------
    features : pandas.DataFrame
        One row per municipality, numeric columns oriented higher = more mature (as from
        :func:`maturity_features`). Missing values are imputed with the column median; a
        constant column carries no information and is standardised to 0.
    k : int or "auto"
        Number of levels. ``"auto"`` tries 2..6, never more than n/3 (so every level can hold
        a few municipalities), and keeps the best mean silhouette (the lowest BIC for
        ``"gmm"``); ties go to the smaller k. Then it tests that grouping against one group
        (see ``null_n_boot``): when the data are no better separated than data from a single
        Gaussian with their correlations, the answer is k = 1, "no distinct groups", every
        municipality in level 1. An explicit k must lie in 1..n−1.
    method : {"ward", "kmeans", "gmm"}
        ``"ward"``: agglomerative clustering with Ward linkage (deterministic).
        ``"kmeans"``: k-means started once from the Ward centroids (the Ward → k-means
        procedure). ``"gmm"``: a Gaussian mixture with diagonal covariances started from the
        Ward centroids; gives :attr:`MaturityResult.probabilities`.
    seed : int
        Seed of every random step (k-means, the mixture, the bootstrap).
    n_boot : int
        Number of bootstrap resamples for :attr:`MaturityResult.stability` (0 skips it).
    null_n_boot : int, default 1000
        Datasets drawn from one Gaussian with the covariance of the standardised features for
        the test against one group (:attr:`MaturityResult.null_pvalue`); 0 skips the test (and
        ``"auto"`` then never answers k = 1). With an explicit k the test is reported but
        does not change k. Needs at least 6 municipalities.
    null_alpha : float, default 0.05
        Level of that test: with ``"auto"``, a p-value above it gives k = 1.

    Returns
    -------
    MaturityResult

    Raises
    ------
    ValueError
        Fewer than 3 municipalities (fewer than 6 for ``k="auto"``), k out of range, an
        unknown method, non-numeric or infinite values, or features that do not vary at all.

    Examples
    --------
    >>> import effmuni as em
    >>> f = em.maturity_features(em.load_dataset())
    >>> r = em.cluster_maturity(f, k=3, seed=0)
    >>> r.k, sorted(r.levels.unique().tolist())
    (3, [1, 2, 3])
    >>> bool(r.scores.groupby(r.levels).mean().is_monotonic_increasing)
    True
    """
    # scikit-learn re-negotiates BLAS/OpenMP thread pools on every k-means fit; on 26 rows that
    # costs ten times the fit itself, so the whole procedure runs single-threaded
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _cluster(features, k, method, seed, n_boot, null_n_boot, null_alpha)


def _cluster(features, k, method, seed, n_boot, null_n_boot, null_alpha) -> MaturityResult:
    from sklearn.mixture import GaussianMixture
    from sklearn.pipeline import Pipeline

    if method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(_METHODS)}, not {method!r}")
    x = _check_features(features)
    n = len(x)
    if n < 3:
        raise Refusal("err_cluster_too_few", n=n)
    pre = Pipeline(_preprocess()).fit(x)
    X = pre.transform(x)
    if np.allclose(X, 0.0):
        raise Refusal("err_cluster_no_variation")
    seed = int(seed)
    if isinstance(null_n_boot, bool) or int(null_n_boot) != null_n_boot or null_n_boot < 0:
        raise ValueError(f"null_n_boot must be a whole number ≥ 0, not {null_n_boot!r}")
    if not 0 < null_alpha < 1:
        raise ValueError(f"null_alpha must lie between 0 and 1, not {null_alpha!r}")
    k_hi = min(_K_MAX, n // 3)

    if isinstance(k, str):
        if k != "auto":
            raise ValueError(f"k must be a whole number or 'auto', not {k!r}")
        if k_hi < 2:
            raise Refusal("err_cluster_auto_too_few", n=n)
        candidates = list(range(2, k_hi + 1))
    else:
        if isinstance(k, bool) or not float(k).is_integer():
            raise ValueError(f"k must be a whole number or 'auto', not {k!r}")
        k = int(k)
        if not 1 <= k <= n - 1:
            raise Refusal("err_cluster_k_range", top=n - 1, k=k)
        candidates = [k] if k >= 2 else []

    null = {"statistic": float("nan"), "pvalue": float("nan"), "samples": np.array([])}
    if null_n_boot and k_hi >= 2:
        null = _one_group_test(X, list(range(2, k_hi + 1)), n_boot=int(null_n_boot), seed=seed)

    rows = []
    for kk in candidates:
        labels, est = _fit_labels(X, kk, method, seed)
        bic = float(est.bic(X)) if isinstance(est, GaussianMixture) else float("nan")
        full = len(np.unique(labels)) == kk
        rows.append(
            {
                "k": kk,
                "silhouette": _silhouette(X, labels) if full else float("nan"),
                "bic": bic if full else float("nan"),
            }
        )
    selection = pd.DataFrame(rows, columns=["k", "silhouette", "bic"])
    if candidates:
        crit = selection["bic"] if method == "gmm" else -selection["silhouette"]
        if crit.isna().all():
            raise ValueError(
                f"{method} could not form {candidates[-1] if len(candidates) == 1 else 'the'} "
                "non-empty levels; try method='ward' or a smaller k"
            )
        best = int(selection.loc[crit.idxmin(), "k"])  # idxmin: first (smaller k) on ties
    else:
        best = 1
    tested = k == "auto" and len(null["samples"]) > 0
    if tested and null["pvalue"] > null_alpha:
        best = 1  # no better separated than one Gaussian with the data's correlations
    if best == 1 or tested:  # the one-group answer was on the table
        one = pd.DataFrame({"k": [1], "silhouette": [np.nan], "bic": [np.nan]})
        selection = pd.concat([one, selection], ignore_index=True) if len(selection) else one
    selection["k"] = selection["k"].astype(np.int64)
    selection["chosen"] = selection["k"] == best
    k = best

    est = _estimator(X, k, method, seed)
    model = Pipeline([*_preprocess(), ("cluster", est)])
    if method == "gmm":
        import warnings

        from sklearn.exceptions import ConvergenceWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(x)
        raw = model.predict(x)
        converged = bool(model[-1].converged_)
    else:
        model.fit(x)
        raw = model[-1].labels_
        converged = True

    z = pd.DataFrame(X, index=x.index, columns=x.columns)
    scores = z.mean(axis=1).rename("maturity_score")
    present = np.unique(raw)
    centres = _centroids(X, raw, k) if len(present) == k else None
    if centres is None:
        raise ValueError(f"{method} left a level empty with k={k}; try method='ward'")
    mean_score = np.array([scores.to_numpy()[raw == c].mean() for c in range(k)])
    order = np.argsort(mean_score, kind="stable")
    level_of = np.empty(k, dtype=int)
    level_of[order] = np.arange(1, k + 1)
    levels = pd.Series(level_of[raw], index=x.index, name="level")

    from sklearn.metrics import silhouette_samples

    if k == 1:  # one level: silhouette and stability are undefined
        sil_s = pd.Series(np.nan, index=x.index, name="silhouette")
    else:
        sil_s = pd.Series(silhouette_samples(X, raw), index=x.index, name="silhouette")
    if n_boot > 0 and k > 1:
        aris, jac = _bootstrap(X, raw, k, method, seed, int(n_boot))
    else:
        aris, jac = np.array([]), np.full(k, np.nan)
    level_stab = pd.Series(
        {int(level_of[c]): float(jac[c]) for c in range(k)}, name="stability"
    ).sort_index()
    level_stab.index.name = "level"

    probabilities = None
    if method == "gmm":
        proba = model.predict_proba(x)
        probabilities = pd.DataFrame(
            {int(level_of[c]): proba[:, c] for c in range(k)}, index=x.index
        )[list(range(1, k + 1))]
        probabilities.columns.name = "level"

    profiles = x.groupby(levels).mean()
    profiles_z = z.groupby(levels).mean()
    return MaturityResult(
        levels=levels,
        k=k,
        method=method,
        silhouette=float(sil_s.mean()) if k > 1 else float("nan"),
        silhouette_samples=sil_s,
        stability=float(aris.mean()) if len(aris) else float("nan"),
        level_stability=level_stab,
        stability_samples=aris,
        profiles=profiles,
        profiles_z=profiles_z,
        scores=scores,
        standardised=z,
        model=model,
        probabilities=probabilities,
        selection=selection,
        features=features,
        seed=seed,
        n_boot=int(n_boot),
        converged=converged,
        null_pvalue=float(null["pvalue"]),
        null_statistic=float(null["statistic"]),
        null_samples=np.asarray(null["samples"], dtype=float),
        null_n_boot=len(null["samples"]),
        null_alpha=float(null_alpha),
        note=_ONE_GROUP_NOTE if k == 1 else "",
        _level_of=level_of,
        _centres=centres,
    )
