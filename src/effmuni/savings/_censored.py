"""Kaplan–Meier means of resampled, right-censored lead times, as matrix products (private).

Groups (project phases) with open cases get their mean and geometric mean from the
Kaplan–Meier curve with Efron's tail rule (:mod:`effmuni.savings.survival` explains the choice). A
bootstrap replicate is a row ``w`` of multinomial counts over the group's ``n`` cases sorted by
time (completed before open at equal times). With the open cases at positions
``p_1 < … < p_m``, the KM mass of a completed case between ``p_s`` and ``p_{s+1}`` is
``w_i / (n·G_s)``, where ``G_s = Π_{k ≤ s} (1 − w_{p_k} / R_k)`` and ``R_k`` is the count at
risk at ``p_k`` (the resampled cases from ``p_k`` on). So a replicate needs only

- per *segment* between open cases, the resampled sums of ``1, x, x², log x, (log x)²`` over
  the completed cases,
- per open case, ``R_k`` and its own count ``w_{p_k}``,

The segment sums are ``w @ D`` for one fixed design matrix ``D`` of the group
(``n × 5(m + 1)``): the same matrix products as the uncensored engine. The open cases' own
counts are read from ``w``, and ``R_k`` is ``n`` minus the cases before ``p_k`` (cumulative
sums of the segment counts and open counts); the rest is a few operations on
``(replicates × m)`` arrays. When the largest resampled case is open, the KM mass left beyond
it sits at its time (Efron). Nothing loops over replicates or cases; groups of the same size
are batched (padded to the same ``m``), in slices that bound the memory.
"""

from __future__ import annotations

import numpy as np

#: bytes of the (replicates × groups × columns) block computed at once
_BLOCK_BYTES = 32_000_000
#: the five sums per segment: count, x, x², log x, (log x)²
_PER_SEGMENT = 5


class _KMDesign:
    """Design matrix of a batch of groups of the same size ``n`` (rows sorted by time)."""

    def __init__(self, time: np.ndarray, event: np.ndarray):
        # time, event: (G, n), each row sorted by (time, completed first)
        g, n = time.shape
        self.n, self.g = n, g
        cens = ~event
        cum = np.cumsum(cens, axis=1)  # open cases at or before each position
        m = int(cens.sum(axis=1).max()) if g else 0
        self.m = m
        y = np.log(time)
        # column (segment · 5 + j) holds value j of the completed cases of that segment
        design = np.zeros((n, g, _PER_SEGMENT * (m + 1)))
        gi, ii = np.nonzero(event)
        base = _PER_SEGMENT * cum[gi, ii]
        t, ly = time[gi, ii], y[gi, ii]
        for j, v in enumerate((1.0, t, t * t, ly, ly * ly)):
            design[ii, gi, base + j] = v
        self.k = design.shape[-1]
        self.design = design.reshape(n, -1)
        # position, time and log time of the k-th open case (a group with fewer: none)
        gc, ic = np.nonzero(cens)
        kth = cum[gc, ic] - 1
        self.has = np.zeros((g, m), dtype=bool)
        self.pos = np.zeros((g, m), dtype=np.intp)
        self.t_open = np.zeros((g, m))
        self.y_open = np.zeros((g, m))
        self.has[gc, kth], self.pos[gc, kth] = True, ic
        self.t_open[gc, kth], self.y_open[gc, kth] = time[gc, ic], y[gc, ic]

    def moments(self, w: np.ndarray) -> tuple[np.ndarray, ...]:
        """KM mean, variance, mean log and variance of log for counts ``w`` (B, n).

        Four (B, G) arrays (NaN where a replicate drew no completed case).
        """
        wd = (w @ self.design).reshape(len(w), self.g, self.k)
        own = w[:, self.pos] * self.has  # (B, G, m): the counts of the open cases
        total = w.sum(axis=1)[:, None]
        return _km_from_sums(wd, own, self.m, total, self.t_open, self.y_open)


def _km_from_sums(wd, own, m, n, t_open, y_open):
    seg = wd.reshape(*wd.shape[:-1], m + 1, _PER_SEGMENT)
    count = seg[..., 0]
    # at risk at the k-th open case: all cases minus those before it (the completed ones of
    # the segments before, and the earlier open ones)
    before = np.cumsum(count[..., :m], axis=-1) + np.cumsum(own, axis=-1) - own
    risk = n[..., None] - before
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(own > 0, 1.0 - own / risk, 1.0)
    g = np.concatenate([np.ones((*factor.shape[:-1], 1)), np.cumprod(factor, axis=-1)], -1)
    with np.errstate(invalid="ignore", divide="ignore"):
        inv = np.where(count > 0, 1.0 / (n[..., None] * g), 0.0)  # (B, G, m + 1)
    total = np.einsum("bgs,bgs->bg", count, inv)
    tail = 1.0 - total
    tail = np.where(tail > 1e-12, tail, 0.0)
    # Efron: the mass left beyond the largest resampled case sits at it (an open case)
    drawn = own > 0
    last = (m - 1 - np.argmax(drawn[..., ::-1], axis=-1))[..., None]
    x_tail = np.take_along_axis(np.broadcast_to(t_open, own.shape), last, -1)[..., 0]
    y_tail = np.take_along_axis(np.broadcast_to(y_open, own.shape), last, -1)[..., 0]
    none = total <= 0
    out = []
    for j, v_tail in ((1, x_tail), (3, y_tail)):
        m1 = np.einsum("bgs,bgs->bg", seg[..., j], inv) + tail * v_tail
        m2 = np.einsum("bgs,bgs->bg", seg[..., j + 1], inv) + tail * v_tail * v_tail
        with np.errstate(invalid="ignore", divide="ignore"):
            var = np.maximum(m2 - m1 * m1, 0.0) * n / (n - 1)
        out += [np.where(none, np.nan, m1), np.where(none, np.nan, var)]
    return tuple(out)


class _KMGroups:
    """The censored groups of one phase sample, and their KM moments for any counts."""

    def __init__(self, groups: np.ndarray, start: np.ndarray, n: np.ndarray, time, event):
        # time, event: the sample's rows (sorted by group, then by time within these groups)
        self.groups = groups
        self.by_size: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for size in np.unique(n[groups]):
            gs = groups[n[groups] == size]
            rows = start[gs][:, None] + np.arange(size)
            self.by_size[int(size)] = (gs, time[rows], event[rows])

    def _moments(self, w: np.ndarray, size: int, cols: np.ndarray):
        """Moments of the groups ``cols`` (indices into this size's groups): 4 × (B, G)."""
        _, time, event = self.by_size[size]
        m_of = (~event[cols]).sum(axis=1)
        order = np.argsort(m_of, kind="stable")  # similar m together: less padding
        out = [np.empty((len(w), len(cols))) for _ in range(4)]
        k_max = _PER_SEGMENT * (int(m_of.max()) + 1)
        step = max(1, _BLOCK_BYTES // (len(w) * k_max * 8))
        for i in range(0, len(order), step):  # slices of groups, bounding the memory
            sel = order[i : i + step]
            res = _KMDesign(time[cols[sel]], event[cols[sel]]).moments(w)
            for o, r in zip(out, res, strict=True):
                o[:, sel] = r
        return out

    def replicate(self, w: np.ndarray, size: int, wanted: np.ndarray):
        """KM moments of the censored groups among ``wanted`` (all of size ``size``).

        Returns the positions in ``wanted`` and (mean, var, mean_log, var_log), each (B, G).
        """
        if size not in self.by_size:
            return np.zeros(0, dtype=np.intp), None
        gs = self.by_size[size][0]
        hit = np.flatnonzero(np.isin(wanted, gs))
        if len(hit) == 0:
            return hit, None
        return hit, self._moments(w, size, np.searchsorted(gs, wanted[hit]))

    def point(self):
        """KM moments at the observed sample (every count 1): groups and 4 arrays (G,)."""
        for size, (gs, _, _) in self.by_size.items():
            res = self._moments(np.ones((1, size)), size, np.arange(len(gs)))
            yield gs, tuple(r[0] for r in res)

    def jackknife(self):
        """Leave-one-out KM means of x and log x: groups and two (G, n) arrays per size."""
        for size, (gs, _, _) in self.by_size.items():
            mean, _, mean_log, _ = self._moments(1.0 - np.eye(size), size, np.arange(len(gs)))
            yield gs, mean.T, mean_log.T
