"""The vectorised bootstrap engine behind :func:`effmuni.estimate_savings` (private).

Every interval effmuni reports is a function of resampled means of ``x``, ``x²``, ``log x``,
``(log x)²`` (and of the touch time), so a bootstrap replicate of a group is a row of a
multinomial count matrix ``W`` (``n_boot × n``) times the group's centred data: the bootstrap is
a few matrix products, with no Python loop over replicates. Groups with the same number of cases
in a phase share one ``W``, drawn from a seed derived from ``(seed, phase, n)`` only, so results
do not depend on how groups are chunked (chunks only bound the memory), and a project gets the
same interval whether it is estimated alone or with a thousand others. Replicates of different
groups are therefore not independent: nothing in effmuni sums replicates across groups (totals
combine per-project intervals instead, see :func:`effmuni.annual_effect`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping

import numpy as np
from scipy import special

from ._censored import _KMGroups

#: minimum number of completed cases (or projects) behind an interval
MIN_CASES = 5

# memory bounds of the bootstrap: weight-matrix elements per block, replicate bytes per chunk
_W_ELEMS = 8_000_000
_CHUNK_BYTES = 48_000_000
_STREAM = {"before": 1, "after": 2, "projects": 3}


# --------------------------------------------------------------------------------------------
# the vectorised bootstrap engine


def _weights(seed: int, stream: int, n: int, n_boot: int) -> Iterator[tuple[slice, np.ndarray]]:
    """Multinomial count matrices for samples of size ``n``, in blocks of replicates.

    Block ``k`` holds replicates ``k·rows … (k+1)·rows − 1`` and is drawn from the seed
    ``(seed, stream, n, k)``, with ``rows`` depending on ``n`` only: the counts of a replicate
    never depend on the other groups or on the chunking.
    """
    rows = max(1, _W_ELEMS // n)
    for k, start in enumerate(range(0, n_boot, rows)):
        stop = min(n_boot, start + rows)
        rng = np.random.default_rng([seed, stream, n, k])
        idx = rng.integers(0, n, size=(stop - start, n))
        idx += (np.arange(stop - start) * n)[:, None]
        counts = np.bincount(idx.ravel(), minlength=(stop - start) * n)
        yield slice(start, stop), counts.reshape(stop - start, n).astype(np.float64)


class _Sample:
    """Observations of one phase, sorted by group, as centred feature columns.

    For each variable the features are ``c`` and ``c²`` (``c``: the value minus its group
    mean, 0 where missing) and, when the variable has missing values, its 0/1 indicator, so
    resampled means and variances come from resampled sums of the features.
    """

    def __init__(
        self,
        codes: np.ndarray,
        variables: Mapping[str, np.ndarray],
        n_groups: int,
        censored: tuple[np.ndarray, np.ndarray] | None = None,
    ):
        order = np.argsort(codes, kind="stable")
        km = None
        if censored is not None:
            time, event = (np.asarray(a) for a in censored)
            km = np.bincount(codes, weights=~event, minlength=n_groups) > 0
            if km.any():
                # rows of a group with open cases by (time, completed first); others as given
                rank = np.empty(len(codes), dtype=np.intp)
                rank[np.lexsort((~event, time))] = np.arange(len(codes))
                order = np.lexsort((np.where(km[codes], rank, np.arange(len(codes))), codes))
            else:
                km = None
        self.codes = codes[order]
        self.n = np.bincount(self.codes, minlength=n_groups)
        self.start = np.concatenate([[0], np.cumsum(self.n)[:-1]]).astype(np.intp)
        self.layout: dict[str, tuple[int, int | None]] = {}
        self.centre: dict[str, np.ndarray] = {}
        self.count: dict[str, np.ndarray] = {}
        cols: list[np.ndarray] = []
        for name, v in variables.items():
            v = np.asarray(v, dtype=float)[order]
            ok = ~np.isnan(v)
            cnt = np.bincount(self.codes, weights=ok, minlength=n_groups)
            with np.errstate(invalid="ignore", divide="ignore"):
                centre = np.bincount(self.codes, weights=np.where(ok, v, 0.0), minlength=n_groups)
                centre = centre / cnt
            c = np.where(ok, v - np.nan_to_num(centre)[self.codes], 0.0)
            j = len(cols)
            cols += [c, c * c]
            jn = None
            if not ok.all():
                jn = len(cols)
                cols.append(ok.astype(float))
            self.layout[name] = (j, jn)
            self.centre[name], self.count[name] = centre, cnt
        self.features = np.column_stack(cols) if cols else np.empty((len(codes), 0))
        self.k = self.features.shape[1]
        self.sums = np.column_stack(
            [np.bincount(self.codes, weights=f, minlength=n_groups) for f in self.features.T]
        )
        # groups with open cases: "x" and "logx" from the Kaplan–Meier curve (_censored)
        self.km = None
        if km is not None:
            self.km = _KMGroups(np.flatnonzero(km), self.start, self.n, time[order], event[order])
            for gs, (mean, var, mean_log, var_log) in self.km.point():
                self.centre["x"][gs], self.centre["logx"][gs] = mean, mean_log
                self._write_km(self.sums, (gs,), gs, (mean, var, mean_log, var_log))

    def _write_km(self, target: np.ndarray, index: tuple, g: np.ndarray, res) -> None:
        """Write KM moments as the feature sums that :meth:`moments` turns back into them.

        With ``N`` cases in the group, the sums are ``N·d`` and ``N·(v·(N−1)/N + d²)`` with
        ``d`` the KM mean minus the group's centre, and ``N`` for the count of values.
        """
        nn = self.n[g].astype(float)
        for name, mean, var in (("x", res[0], res[1]), ("logx", res[2], res[3])):
            j, jn = self.layout[name]
            d = mean - self.centre[name][g]
            target[(*index, j)] = nn * d
            with np.errstate(invalid="ignore"):
                target[(*index, j + 1)] = nn * (var * (nn - 1) / nn + d * d)
            target[(*index, jn)] = nn

    def jackknife_delta(self, name: str) -> np.ndarray:
        """Change of the group mean of ``name`` when each row is left out (per sorted row)."""
        j, _ = self.layout[name]
        with np.errstate(invalid="ignore", divide="ignore"):
            d = -self.features[:, j] / (self.n[self.codes] - 1)
        if self.km is not None:
            for gs, mean, mean_log in self.km.jackknife():
                rows = self.start[gs][:, None] + np.arange(mean.shape[1])
                loo = mean if name == "x" else mean_log
                d[rows] = loo - self.centre[name][gs][:, None]
        return d

    def moments(self, sums: np.ndarray, name: str, g: np.ndarray) -> tuple:
        """Mean, variance (ddof 1) and count of ``name`` for groups ``g`` from feature sums."""
        j, jn = self.layout[name]
        n = sums[..., jn] if jn is not None else self.n[g].astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            m1 = sums[..., j] / n
            var = (sums[..., j + 1] / n - m1**2) * n / (n - 1)
        return np.nan_to_num(self.centre[name][g]) + m1, np.maximum(var, 0.0), n

    def replicate_sums(
        self, groups: np.ndarray, seed: int, stream: int, n_boot: int, cache: dict
    ) -> np.ndarray:
        """Bootstrap sums of the features, shape ``(n_boot, len(groups), k)``."""
        out = np.empty((n_boot, len(groups), self.k))
        sizes = self.n[groups]
        for n in np.unique(sizes):
            pos = np.flatnonzero(sizes == n)
            rows = self.start[groups[pos]][:, None] + np.arange(n)  # (G_n, n)
            data = self.features[rows].transpose(1, 0, 2).reshape(n, -1)  # (n, G_n·k)
            key = (stream, int(n))
            blocks = cache.get(key)
            if blocks is None:
                blocks = list(_weights(seed, stream, int(n), n_boot))
                if n * n_boot <= _W_ELEMS:
                    cache[key] = blocks
            for sl, w in blocks:
                out[sl, pos, :] = (w @ data).reshape(sl.stop - sl.start, len(pos), self.k)
                if self.km is not None:
                    hit, res = self.km.replicate(w, int(n), groups[pos])
                    if len(hit):
                        self._write_km(out, (sl, pos[hit]), groups[pos[hit]], res)
        return out


def _quantiles(values: np.ndarray, q) -> np.ndarray:
    """Column quantiles (linear interpolation) of ``values`` (B, G) at ``q`` (scalar or (G,)).

    NaN entries are ignored per column; a column with fewer than 2 finite values gives NaN.
    """
    n_ok = np.sum(~np.isnan(values), axis=0)
    if np.ndim(q) == 0 and values.shape[0] >= 2 and (n_ok == values.shape[0]).all():
        # the usual case: one quantile, no NaN: two order statistics by partial sorting
        pos = min(max(float(q), 0.0), 1.0) * (values.shape[0] - 1)
        lo, frac = int(math.floor(pos)), pos - math.floor(pos)
        hi = min(lo + 1, values.shape[0] - 1)
        part = np.partition(values, [lo, hi], axis=0)
        return part[lo] if frac == 0 else part[lo] * (1 - frac) + part[hi] * frac
    s = np.sort(values, axis=0)  # NaN last
    last = np.maximum(n_ok - 1, 0)
    pos = np.clip(np.broadcast_to(np.asarray(q, dtype=float), n_ok.shape), 0, 1) * last
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, last)
    cols = np.arange(values.shape[1])
    frac = pos - lo
    with np.errstate(invalid="ignore"):
        out = np.where(frac == 0, s[lo, cols], s[lo, cols] * (1 - frac) + s[hi, cols] * frac)
    return np.where(n_ok >= 2, out, np.nan)


def _interval(method, alpha, est, se, rep, rep_se, accel) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper limits of a two-sided interval for each group (column of ``rep``)."""
    if method == "percentile":
        return _quantiles(rep, alpha / 2), _quantiles(rep, 1 - alpha / 2)
    if method in ("studentized", "symmetric"):
        with np.errstate(invalid="ignore", divide="ignore"):
            t = (rep - est) / rep_se
        # a replicate with zero spread but a different value: an extreme t, not NaN
        t = np.where(np.isfinite(t) | np.isnan(rep), t, np.sign(rep - est) * 1e300)
        t = np.where((rep_se == 0) & (rep == est), 0.0, t)
        if method == "symmetric":
            half = _quantiles(np.abs(t), 1 - alpha) * se
            return est - half, est + half
        return est - _quantiles(t, 1 - alpha / 2) * se, est - _quantiles(t, alpha / 2) * se
    # BCa: bias correction from the replicates, acceleration from the jackknife
    ok = ~np.isnan(rep)
    below = np.sum((rep < est) & ok, axis=0) + 0.5 * np.sum((rep == est) & ok, axis=0)
    z = special.ndtri(np.array([alpha / 2, 1 - alpha / 2]))[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        z0 = special.ndtri(below / np.sum(ok, axis=0))
        q = special.ndtr(z0 + (z0 + z) / (1 - accel * (z0 + z)))
    q = np.where(np.isfinite(q), q, np.array([[alpha / 2], [1 - alpha / 2]]))
    return _quantiles(rep, q[0]), _quantiles(rep, q[1])


def _run_bootstrap(samples, stat_fn, groups, *, n_boot, seed, alpha, method, accel, n_groups):
    """Intervals and bootstrap standard errors of ``stat_fn``'s statistics for ``groups``.

    ``samples`` is a sequence of ``(_Sample, stream)`` resampled independently;
    ``stat_fn(sums_per_sample, g)`` returns ``{name: (estimate, plug-in se)}``.
    """
    names = list(stat_fn([s.sums[:0] for s, _ in samples], np.arange(0)))
    out = {f"{k}_{e}": np.full(n_groups, np.nan) for k in names for e in ("low", "high", "se")}
    if len(groups) == 0 or n_boot == 0:
        return out
    try:  # threadpoolctl comes with scikit-learn, a dependency; degrade gracefully without it
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        from contextlib import nullcontext

        def threadpool_limits(**_kw):
            return nullcontext()

    groups = groups[np.lexsort([s.n[groups] for s, _ in samples][::-1])]
    width = n_boot * sum(s.k for s, _ in samples) * 8
    per_chunk = max(1, _CHUNK_BYTES // width)
    cache: dict = {}
    # many small matrix products: one BLAS thread avoids thread wake-up costs that can make
    # each product 10-40 times slower on small machines
    with threadpool_limits(limits=1, user_api="blas"):
        for start in range(0, len(groups), per_chunk):
            _bootstrap_chunk(
                samples,
                stat_fn,
                groups[start : start + per_chunk],
                out,
                names,
                n_boot=n_boot,
                seed=seed,
                alpha=alpha,
                method=method,
                accel=accel,
                cache=cache,
            )
    return out


def _bootstrap_chunk(
    samples, stat_fn, g, out, names, *, n_boot, seed, alpha, method, accel, cache
) -> None:
    """Bootstrap one chunk of groups ``g`` and write its intervals into ``out``."""
    reps = [s.replicate_sums(g, seed, stream, n_boot, cache) for s, stream in samples]
    star = stat_fn(reps, g)
    del reps
    hat = stat_fn([s.sums[g] for s, _ in samples], g)
    for k in names:
        a = None if accel is None else accel[k][g]
        lo, hi = _interval(method, alpha, *hat[k], *star[k], a)
        out[f"{k}_low"][g], out[f"{k}_high"][g] = lo, hi
        with np.errstate(invalid="ignore", divide="ignore"):
            out[f"{k}_se"][g] = np.nanstd(star[k][0], axis=0, ddof=1)
    if len(cache) > 64:
        cache.clear()


def _case_stats(sb: _Sample, sa: _Sample):
    """The statistics of :func:`estimate_savings` as a function of (replicate) feature sums."""

    def stats(sums, g):
        mb, vb, nb = sb.moments(sums[0], "x", g)
        ma, va, na = sa.moments(sums[1], "x", g)
        lb, vlb, _ = sb.moments(sums[0], "logx", g)
        la, vla, _ = sa.moments(sums[1], "logx", g)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = {
                "saving": (mb - ma, np.sqrt(vb / nb + va / na)),
                "pct": (np.log(ma / mb), np.sqrt(va / (na * ma**2) + vb / (nb * mb**2))),
                "ratio": (la - lb, np.sqrt(vla / na + vlb / nb)),
            }
            if "work" in sb.layout:
                wb, vwb, nwb = sb.moments(sums[0], "work", g)
                wa, vwa, nwa = sa.moments(sums[1], "work", g)
                out["work"] = (wb - wa, np.sqrt(vwb / nwb + vwa / nwa))
        return out

    return stats


def _case_acceleration(sb: _Sample, sa: _Sample, n_groups: int) -> dict[str, np.ndarray]:
    """BCa acceleration per group, from closed-form jackknife values.

    Leaving case ``i`` out of a phase changes that phase's mean by ``−c_i/(n − 1)`` (``c_i``:
    the centred value); the statistic follows. The formula is the multi-sample one of
    :func:`scipy.stats.bootstrap` (influence values of each sample, summed).
    """
    keys = ["saving", "pct", "ratio"] + (["work"] if "work" in sb.layout else [])
    num = {k: np.zeros(n_groups) for k in keys}
    den = {k: np.zeros(n_groups) for k in keys}
    for smp, sign in ((sb, 1.0), (sa, -1.0)):
        c, f = smp.codes, smp.features
        with np.errstate(invalid="ignore", divide="ignore"):
            d_x = smp.jackknife_delta("x")
            d_l = smp.jackknife_delta("logx")
            theta = {
                "saving": (sign * d_x, smp.n[c]),
                "pct": (-sign * np.log1p(d_x / smp.centre["x"][c]), smp.n[c]),
                "ratio": (-sign * d_l, smp.n[c]),
            }
            if "work" in keys:
                j, jn = smp.layout["work"]
                nw = smp.count["work"][c]
                ok = f[:, jn] > 0 if jn is not None else np.ones(len(c), bool)
                theta["work"] = (np.where(ok, sign * -f[:, j] / (nw - 1), np.nan), nw)
        for key, (th, nn) in theta.items():
            valid = np.isfinite(th)
            th0 = np.where(valid, th, 0.0)
            cnt = np.bincount(c, weights=valid, minlength=n_groups)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean_th = np.bincount(c, weights=th0, minlength=n_groups) / cnt
                u = np.where(valid, (nn - 1) * (mean_th[c] - th0), 0.0)
                num[key] += np.bincount(c, weights=np.nan_to_num(u**3 / nn**3), minlength=n_groups)
                den[key] += np.bincount(c, weights=np.nan_to_num(u**2 / nn**2), minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {k: np.nan_to_num(num[k] / (6 * den[k] ** 1.5)) for k in keys}


def _mean_interval(
    values: np.ndarray,
    codes: np.ndarray,
    n_groups: int,
    *,
    confidence: float,
    n_boot: int,
    seed: int,
    method: str = "symmetric",
) -> dict[str, np.ndarray]:
    """Bootstrap interval of the mean of ``values`` per group (resampling the values).

    Returns ``mean``, ``low``, ``high``, ``se`` and ``n`` per group; groups with fewer than
    :data:`MIN_CASES` values get NaN limits. Used for the bootstrap over projects.
    """
    smp = _Sample(codes, {"y": values}, n_groups)

    def stats(sums, g):
        m, v, n = smp.moments(sums[0], "y", g)
        with np.errstate(invalid="ignore", divide="ignore"):
            return {"mean": (m, np.sqrt(v / n))}

    accel = None
    if method == "bca":
        c, f, nn = smp.codes, smp.features[:, 0], smp.n[smp.codes].astype(float)
        num = np.bincount(c, weights=f**3 / nn**3, minlength=n_groups)
        den = np.bincount(c, weights=f**2 / nn**2, minlength=n_groups)
        with np.errstate(invalid="ignore", divide="ignore"):
            accel = {"mean": np.nan_to_num(num / (6 * den**1.5))}
    ci = _run_bootstrap(
        [(smp, _STREAM["projects"])],
        stats,
        np.flatnonzero(smp.n >= MIN_CASES),
        n_boot=n_boot,
        seed=seed,
        alpha=1 - confidence,
        method=method,
        accel=accel,
        n_groups=n_groups,
    )
    return {
        "mean": smp.centre["y"],
        "low": ci["mean_low"],
        "high": ci["mean_high"],
        "se": ci["mean_se"],
        "n": smp.n,
    }
