"""The group-time estimates of one service again, in numpy, for a bootstrap over municipalities.

:func:`effmuni.staggered_did` (diff-diff) gives the ATT(g, t) cells of each service. Its
standard errors treat a cohort's mean as exact when the cohort has one unit, and monthly
cohorts of a service mostly have one or two municipalities: its intervals would be far too
narrow. So the same cells (equal to diff-diff's to rounding, which a check enforces) are
recomputed here under a bootstrap that resamples whole **municipalities** with replacement:
a municipality drawn twice counts twice in every cell, one not drawn drops out. That captures
the variation between treated municipalities, keeps a municipality's services together (they
share staff and shocks) and gives all services one joint distribution, so the services can
be averaged and an event-study band drawn over all event times at once.

Row 0 of every array is the estimate itself (every municipality once); rows 1.. are draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["BIG", "Design", "design", "estimate"]

BIG = 1 << 30  # cohort index of a unit untreated within the data


@dataclass
class Design:
    """One service's panel as arrays."""

    sid: str
    units: np.ndarray  # unit ids, (N,)
    muni: np.ndarray  # municipality index of each unit, (N,)
    G: np.ndarray  # cohort as a month index, BIG when untreated, (N,)
    w: np.ndarray  # unit weights, (N,)
    Y: np.ndarray  # log lead time, (N, T), NaN when not observed
    months: pd.PeriodIndex  # the T months
    g: np.ndarray  # the cells' cohorts as month indices, (C,)
    t: np.ndarray  # the cells' months, (C,)
    d: np.ndarray  # naive after-minus-before of each treated unit (NaN otherwise), (N,)
    control: str


def design(sid: str, rows: pd.DataFrame, att_gt: pd.DataFrame, control: str, munis) -> Design:
    """Arrays of one service from its panel rows and the cells staggered_did estimated."""
    months = pd.period_range(rows["month"].min(), rows["month"].max(), freq="M")
    pos = {m: k for k, m in enumerate(months)}
    units = np.array(sorted(rows["unit"].unique()), dtype=object)
    ui = {u: k for k, u in enumerate(units)}
    Y = np.full((len(units), len(months)), np.nan)
    Y[[ui[u] for u in rows["unit"]], [pos[m] for m in rows["month"]]] = rows["y"].to_numpy(float)
    first = rows.drop_duplicates("unit").set_index("unit").loc[units]
    G = np.array([pos.get(c, BIG) if pd.notna(c) else BIG for c in first["cohort"]], np.int64)
    mpos = {m: k for k, m in enumerate(munis)}
    d = np.full(len(units), np.nan)
    for k in np.flatnonzero(G < BIG):
        seen = np.isfinite(Y[k])
        after, before = (
            seen & (np.arange(len(months)) >= G[k]),
            seen & (np.arange(len(months)) < G[k]),
        )
        if after.any() and before.any():
            d[k] = Y[k, after].mean() - Y[k, before].mean()
    return Design(
        sid=sid,
        units=units,
        muni=np.array([mpos[m] for m in first["municipality_id"]], np.int64),
        G=G,
        w=first["w"].to_numpy(float),
        Y=Y,
        months=months,
        g=np.array([pos[c] for c in att_gt["cohort"]], np.int64),
        t=np.array([pos[c] for c in att_gt["time"]], np.int64),
        d=d,
        control=control,
    )


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def estimate(x: Design, K: np.ndarray) -> dict[str, np.ndarray]:
    """Cells and aggregates of one service under unit multiplicities ``K`` (B, N).

    Returns ``cells`` (B, C); ``simple`` (B,) the post cells averaged by cohort size;
    ``n_treated`` (B,) treated units drawn; ``cohorts`` (n_g,) month indices with ``group``
    (B, n_g) their post cells averaged, ``group_n`` (B, n_g) units drawn and
    ``group_naive``; ``events`` (n_e,) with ``es`` (B, n_e); ``naive`` (B,).
    """
    base = np.where(x.t < x.g, x.t - 1, x.g - 1)
    D = x.Y[:, x.t] - x.Y[:, base]  # (N, C)
    ok = np.isfinite(D)
    D0 = np.where(ok, D, 0.0)
    Gc, gc, tc = x.G[:, None], x.g[None, :], x.t[None, :]
    treat = ok & (Gc == gc)
    if x.control == "never_treated":
        ctrl = ok & (Gc == BIG)
    else:
        ctrl = ok & ((Gc == BIG) | ((Gc > tc) & (Gc != gc)))
    KW = K * x.w[None, :]
    cells = _ratio(KW @ (treat * D0), KW @ treat) - _ratio(KW @ (ctrl * D0), KW @ ctrl)
    size = KW @ (Gc == gc).astype(float)  # cohort size of each cell (weights)
    fin = np.isfinite(cells)
    cz = np.where(fin, cells, 0.0)
    post = x.t >= x.g
    simple = _ratio((size * cz)[:, post].sum(1), (size * fin)[:, post].sum(1))
    cohorts = np.unique(x.g[post])
    by_cohort = (post[:, None] & (x.g[:, None] == cohorts[None, :])).astype(float)  # (C, n_g)
    group = _ratio(cz @ by_cohort, fin.astype(float) @ by_cohort)
    treated = x.G < BIG
    group_n = K @ (x.G[:, None] == cohorts[None, :]).astype(float)
    e_all = x.t - x.g
    events = np.unique(e_all)
    by_event = (e_all[:, None] == events[None, :]).astype(float)  # (C, n_e)
    es = _ratio((size * cz) @ by_event, (size * fin) @ by_event)
    has_d = np.isfinite(x.d)
    dz = np.where(has_d, x.d, 0.0)
    naive = _ratio(KW @ dz, KW @ has_d.astype(float))
    in_cohort = (x.G[:, None] == cohorts[None, :]).astype(float)  # (N, n_g)
    group_naive = _ratio(KW @ (dz[:, None] * in_cohort), KW @ (has_d[:, None] * in_cohort))
    return {
        "cells": cells,
        "simple": simple,
        "n_treated": K @ treated.astype(float),
        "cohorts": cohorts,
        "group": group,
        "group_n": group_n,
        "group_naive": group_naive,
        "events": events,
        "es": es,
        "naive": naive,
    }
