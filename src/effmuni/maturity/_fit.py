"""The fitting steps of :func:`cluster_maturity` (private): preprocessing, the clusterers and
the stability bootstrap."""

from __future__ import annotations

import numpy as np

_METHODS = ("ward", "kmeans", "gmm")
_K_MAX = 6
#: variance floor of the Gaussian mixture on the standardised scale (SD ≈ 0.3): with ~26 units
#: in 13 dimensions smaller floors let a component collapse onto one to three municipalities
_GMM_REG_COVAR = 0.1


def _preprocess():
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import StandardScaler

    return [
        ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
        ("scale", StandardScaler()),
    ]


def _centroids(X: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    return np.vstack([X[labels == c].mean(axis=0) for c in range(k)])


def _estimator(X: np.ndarray, k: int, method: str, seed: int):
    """An unfitted clusterer for ``X`` (k-means and the mixture start from Ward's centroids)."""
    from sklearn.cluster import AgglomerativeClustering, KMeans
    from sklearn.mixture import GaussianMixture

    ward = AgglomerativeClustering(n_clusters=k, linkage="ward")
    if method == "ward":
        return ward
    init = X.mean(axis=0, keepdims=True) if k == 1 else _centroids(X, ward.fit_predict(X), k)
    if method == "kmeans":
        return KMeans(n_clusters=k, init=init, n_init=1, random_state=seed)
    return GaussianMixture(
        n_components=k,
        covariance_type="diag",
        reg_covar=_GMM_REG_COVAR,
        means_init=init,
        max_iter=500,
        random_state=seed,
    )


def _fit_labels(X: np.ndarray, k: int, method: str, seed: int) -> tuple[np.ndarray, object]:
    est = _estimator(X, k, method, seed)
    if method == "gmm":
        import warnings

        from sklearn.exceptions import ConvergenceWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # reported via ``converged``
            est.fit(X)
        return est.predict(X), est
    return est.fit_predict(X), est


def _silhouette(X: np.ndarray, labels: np.ndarray) -> float:
    from sklearn.metrics import silhouette_score

    n_labels = len(np.unique(labels))
    if n_labels < 2 or n_labels > len(X) - 1:
        return float("nan")
    return float(silhouette_score(X, labels))


def _bootstrap(
    X: np.ndarray, labels: np.ndarray, k: int, method: str, seed: int, n_boot: int
) -> tuple[np.ndarray, np.ndarray]:
    """ARI per resample and mean Jaccard per (raw) cluster over bootstrap resamples of units."""
    from sklearn.metrics import adjusted_rand_score
    from sklearn.metrics.cluster import contingency_matrix

    rng = np.random.default_rng(seed)
    n = len(X)
    aris = []
    jac_sum, jac_n = np.zeros(k), np.zeros(k)
    for _ in range(n_boot):
        idx = rng.integers(0, n, size=n)
        uniq, first = np.unique(idx, return_index=True)
        if len(uniq) <= k:
            continue
        lb, _ = _fit_labels(X[idx], k, method, seed)
        lb_u, lf_u = lb[first], labels[uniq]
        aris.append(adjusted_rand_score(lf_u, lb_u))
        # clusterwise stability (Hennig): best Jaccard match of each original cluster
        present = np.unique(lf_u)
        cm = contingency_matrix(lf_u, lb_u)
        inter = cm.astype(float)
        union = cm.sum(axis=1, keepdims=True) + cm.sum(axis=0, keepdims=True) - inter
        best = (inter / union).max(axis=1)
        jac_sum[present] += best
        jac_n[present] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        jac = np.where(jac_n > 0, jac_sum / np.maximum(jac_n, 1), np.nan)
    return np.asarray(aris, dtype=float), jac
