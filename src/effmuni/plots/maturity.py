"""Figures of the lean-maturity levels (:func:`effmuni.cluster_maturity`).

Each function takes a :class:`~effmuni.MaturityResult`, optionally the
:func:`~effmuni.municipality_context` for municipality names (Cyrillic with ``lang="ru"``),
``lang`` and an optional ``ax``, and returns the matplotlib ``Figure``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..text import check_lang, label
from .style import COLORS, new_axes

__all__ = [
    "feature_heatmap",
    "level_colors",
    "level_profiles",
    "pca_biplot",
    "score_plot",
    "silhouette_plot",
]


#: indices into COLORS["levels"] (red = least mature … blue = most) for k levels
_PALETTE_INDEX = {
    1: [3],
    2: [0, 5],
    3: [0, 1, 5],
    4: [0, 1, 3, 5],
    5: [0, 1, 3, 4, 5],
    6: [0, 1, 2, 3, 4, 5],
}


def level_colors(k: int) -> list[str]:
    """Colours of levels 1..k, from the least mature (red) to the most (blue)."""
    pal = COLORS["levels"]
    if k in _PALETTE_INDEX:
        return [pal[i] for i in _PALETTE_INDEX[k]]
    import matplotlib as mpl

    cmap = mpl.colormaps["RdYlBu"]
    return [mpl.colors.to_hex(cmap(x)) for x in np.linspace(0.05, 0.95, k)]


def _short_name(name: str, lang: str) -> str:
    """«Аликовский муниципальный округ» → «Аликовский», «город Канаш» → «г. Канаш»."""
    for kind in ("kind_municipal_okrug", "kind_city_okrug"):
        suffix = " " + label(kind, lang)
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    city = label("name_city_word", lang) + " "
    if name.startswith(city):
        name = label("name_city_short", lang) + " " + name[len(city) :]
    return name


def _names(index: pd.Index, context: pd.DataFrame | None, lang: str) -> pd.Series:
    """Display name per municipality: short Russian or English name, else the id."""
    col = f"name_{check_lang(lang)}"  # the name column of the language: name_ru, name_en
    out = pd.Series(index.astype(str), index=index)
    if context is not None and col in context:
        given = context[col].reindex(index)
        out = given.astype("string").fillna(out).astype(str)
    return out.map(lambda s: _short_name(s, lang))


def _feature_labels(columns, lang: str) -> list[str]:
    return [label(str(c), lang) for c in columns]


def _spread(
    xy: np.ndarray, texts, span: np.ndarray, fontsize: float, left: np.ndarray
) -> np.ndarray:
    """Nudge label anchors apart vertically where their text boxes would overlap.

    Boxes are estimated in data units from the text length, the font size and the plotted span
    (on a figure of about 10 × 8 inches); ``left`` marks labels anchored at their left edge
    (the others are centred). Enough to keep 26 names legible without a layout library.
    """
    xy = np.asarray(xy, dtype=float).copy()
    h = 1.25 * span[1] * fontsize / 72 / 6.8
    w = np.array([len(t) for t in texts]) * span[0] * fontsize * 0.58 / 72 / 8.8
    x0 = xy[:, 0] - np.where(left, 0.0, w / 2)
    n = len(xy)
    for _ in range(80):
        dy = xy[:, 1][:, None] - xy[:, 1][None, :]
        ox = (x0[:, None] < x0[None, :] + w[None, :]) & (x0[None, :] < x0[:, None] + w[:, None])
        clash = ox & (np.abs(dy) < h) & ~np.eye(n, dtype=bool)
        if not clash.any():
            break
        push = np.where(clash, (h - np.abs(dy)) / 2 * np.where(dy >= 0, 1.0, -1.0), 0.0)
        # ties (same height): the later label moves up, the earlier down
        tie = clash & (dy == 0)
        push = np.where(tie, np.where(np.triu(np.ones((n, n), bool), 1), -h / 2, h / 2), push)
        xy[:, 1] += push.sum(axis=1) * 0.5
    return xy


def _order(result, names: pd.Series) -> pd.Index:
    """Most mature level first; within a level by name (levels are groups, not rankings)."""
    frame = pd.DataFrame({"level": result.levels, "name": names.reindex(result.levels.index)})
    return frame.sort_values(["level", "name"], ascending=[False, True], kind="stable").index


def feature_heatmap(result, context=None, *, lang: str = "ru", ax=None):
    """Standardised features by municipality, grouped by level (most mature on top).

    Colours run from red (below the average municipality) to blue (above); values beyond
    ±3 standard deviations are shown at the end of the scale.

    Examples
    --------
    >>> import effmuni as em
    >>> from effmuni.plots.maturity import feature_heatmap
    >>> f = em.maturity_features(em.load_dataset())
    >>> fig = feature_heatmap(em.cluster_maturity(f, k=3, n_boot=0), lang="en")
    >>> fig.axes[0].get_title()
    'Maturity features by municipality'
    """
    check_lang(lang)
    z = result.standardised
    names = _names(z.index, context, lang)
    order = _order(result, names)
    fig, ax = new_axes(ax, figsize=(10, max(4.0, 0.3 * len(z) + 2.5)))
    data = z.loc[order].to_numpy()
    im = ax.imshow(np.clip(data, -3, 3), cmap="RdBu", vmin=-3, vmax=3, aspect="auto")
    ax.grid(False)
    ax.set_xticks(range(z.shape[1]))
    ax.set_xticklabels(_feature_labels(z.columns, lang), rotation=40, ha="right", fontsize=8)
    ax.set_yticks(range(len(order)))
    ax.set_yticklabels(names.loc[order].tolist(), fontsize=8)
    colors = level_colors(result.k)
    lv = result.levels.loc[order].to_numpy()
    for tick, level in zip(ax.get_yticklabels(), lv, strict=True):
        tick.set_color(colors[level - 1])
    level_names = result.level_names(lang)
    for level in np.unique(lv):
        rows = np.flatnonzero(lv == level)
        if rows[0] > 0:
            ax.axhline(rows[0] - 0.5, color="black", lw=1.2)
        ax.annotate(
            f"{level}. {level_names[level]}",
            xy=(1.0, (rows[0] + rows[-1]) / 2),
            xycoords=("axes fraction", "data"),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
            color=colors[level - 1],
            fontweight="bold",
        )
    cbar = fig.colorbar(im, ax=ax, fraction=0.035, pad=0.16)
    cbar.set_label(label("maturity_fig_z", lang), fontsize=8)
    ax.set_title(label("maturity_fig_heatmap", lang))
    return fig


def pca_biplot(result, context=None, *, lang: str = "ru", ax=None):
    """Municipalities on the first two principal components, coloured by level, with names.

    Arrows show each feature's loading (scaled to the spread of the points). The first
    component is oriented so that more mature municipalities lie to the right.

    Examples
    --------
    >>> import effmuni as em
    >>> from effmuni.plots.maturity import pca_biplot
    >>> f = em.maturity_features(em.load_dataset())
    >>> fig = pca_biplot(em.cluster_maturity(f, k=3, n_boot=0))
    >>> fig.axes[0].get_xlabel().startswith("ГК 1")
    True
    """
    from sklearn.decomposition import PCA

    check_lang(lang)
    z = result.standardised
    names = _names(z.index, context, lang)
    pca = PCA(n_components=2, svd_solver="full").fit(z.to_numpy())
    pts = pca.transform(z.to_numpy())
    comps = pca.components_.copy()
    for j in range(2):  # deterministic orientation: PC1 grows with the composite score
        ref = result.scores.to_numpy() if j == 0 else pts[:, 1]
        if j == 0 and np.corrcoef(pts[:, 0], ref)[0, 1] < 0:
            pts[:, 0] *= -1
            comps[0] *= -1
    # one factor for both axes keeps the arrows' directions; the longest reaches 90 % of the
    # farthest municipality
    load = comps.T
    radius = float(np.sqrt((pts**2).sum(axis=1)).max())
    longest = float(np.sqrt((load**2).sum(axis=1)).max())
    load = load * (0.9 * radius / max(longest, 1e-12))
    fig, ax = new_axes(ax, figsize=(10, 8))
    allxy = np.vstack([pts, load * 1.12])
    lo, hi = allxy.min(axis=0), allxy.max(axis=0)
    pad = 0.08 * (hi - lo)
    ax.set_xlim(lo[0] - pad[0], hi[0] + 2.5 * pad[0])
    ax.set_ylim(lo[1] - pad[1], hi[1] + pad[1])
    colors = level_colors(result.k)
    level_names = result.level_names(lang)
    lv = result.levels.to_numpy()
    for level in range(1, result.k + 1):
        m = lv == level
        ax.scatter(
            pts[m, 0],
            pts[m, 1],
            s=55,
            color=colors[level - 1],
            edgecolor="black",
            linewidth=0.5,
            label=f"{level}. {level_names[level]} ({int(m.sum())})",
            zorder=3,
        )
    for dx, dy in load:
        ax.annotate(
            "",
            xy=(dx, dy),
            xytext=(0, 0),
            arrowprops={"arrowstyle": "->", "color": "0.55", "lw": 0.9},
            zorder=2,
        )
    feat = _feature_labels(z.columns, lang)
    span = hi - lo
    names_l = names.tolist()
    anchors = np.vstack([load * 1.08, pts + np.array([0.012, 0.012]) * span])
    left = np.r_[np.zeros(len(feat), bool), np.ones(len(names_l), bool)]
    placed = _spread(anchors, feat + names_l, span, fontsize=7.5, left=left)
    for (tx, ty), text in zip(placed[: len(feat)], feat, strict=True):
        ax.text(tx, ty, text, fontsize=7, color="0.4", ha="center", va="center", zorder=2)
    for (tx, ty), name in zip(placed[len(feat) :], names_l, strict=True):
        ax.text(tx, ty, name, fontsize=7.5, ha="left", va="center", zorder=4)
    ratio = pca.explained_variance_ratio_ * 100
    ax.set_xlabel(label("maturity_fig_pc", lang, n=1, pct=ratio[0]))
    ax.set_ylabel(label("maturity_fig_pc", lang, n=2, pct=ratio[1]))
    ax.axhline(0, color="0.8", lw=0.8, zorder=1)
    ax.axvline(0, color="0.8", lw=0.8, zorder=1)
    ax.legend(title=label("level_name", lang), fontsize=8, title_fontsize=8, loc="best")
    ax.set_title(label("maturity_fig_biplot", lang))
    return fig


def silhouette_plot(result, context=None, *, lang: str = "ru", ax=None):
    """Silhouette width of every municipality, grouped by level (the dashed line: the mean).

    A negative bar means the municipality lies closer to a neighbouring level than to its own:
    read its level with care.

    Examples
    --------
    >>> import effmuni as em
    >>> from effmuni.plots.maturity import silhouette_plot
    >>> f = em.maturity_features(em.load_dataset())
    >>> fig = silhouette_plot(em.cluster_maturity(f, k=3, n_boot=0), lang="en")
    >>> len(fig.axes[0].patches)
    26
    """
    check_lang(lang)
    sil = result.silhouette_samples
    names = _names(sil.index, context, lang)
    colors = level_colors(result.k)
    level_names = result.level_names(lang)
    fig, ax = new_axes(ax, figsize=(8, max(4.0, 0.28 * len(sil) + 2.0)))
    y, ticks, tick_labels = 0.0, [], []
    for level in range(1, result.k + 1):
        s = sil[result.levels == level].sort_values(kind="stable")
        pos = y + np.arange(len(s))
        ax.barh(pos, s.to_numpy(), color=colors[level - 1], edgecolor="none", height=0.85)
        ticks += pos.tolist()
        tick_labels += names.loc[s.index].tolist()
        if len(s):
            ax.text(
                1.0,
                y + (len(s) - 1) / 2,
                f"{level}. {level_names[level]}",
                transform=ax.get_yaxis_transform(),
                va="center",
                ha="left",
                fontsize=8,
                color=colors[level - 1],
                fontweight="bold",
            )
        y += len(s) + 1
    ax.axvline(result.silhouette, color="black", ls="--", lw=1)
    ax.axvline(0, color="0.5", lw=0.8)
    ax.set_yticks(ticks)
    ax.set_yticklabels(tick_labels, fontsize=7.5)
    ax.set_xlim(min(-0.1, float(sil.min()) - 0.05), max(0.6, float(sil.max()) + 0.05))
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(label("maturity_fig_silhouette_x", lang))
    ax.set_title(label("maturity_fig_silhouette", lang, mean=result.silhouette))
    return fig


def level_profiles(result, *, lang: str = "ru", ax=None):
    """Mean standardised value of every feature, one line per level.

    Examples
    --------
    >>> import effmuni as em
    >>> from effmuni.plots.maturity import level_profiles
    >>> f = em.maturity_features(em.load_dataset())
    >>> fig = level_profiles(em.cluster_maturity(f, k=3, n_boot=0), lang="en")
    >>> len(fig.axes[0].get_lines()) >= 3
    True
    """
    check_lang(lang)
    prof = result.profiles_z
    colors = level_colors(result.k)
    level_names = result.level_names(lang)
    sizes = result.sizes
    fig, ax = new_axes(ax, figsize=(10, 5.5))
    x = np.arange(prof.shape[1])
    for level in prof.index:
        ax.plot(
            x,
            prof.loc[level].to_numpy(),
            marker="o",
            color=colors[level - 1],
            lw=2,
            label=f"{level}. {level_names[level]} ({int(sizes[level])})",
        )
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_xticks(x)
    ax.set_xticklabels(_feature_labels(prof.columns, lang), rotation=40, ha="right", fontsize=8)
    ax.set_ylabel(label("maturity_fig_profiles_y", lang))
    ax.legend(
        title=label("level_name", lang),
        fontsize=8,
        title_fontsize=8,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
    )
    ax.set_title(label("maturity_fig_profiles", lang))
    return fig


def score_plot(scores: pd.DataFrame, context=None, *, lang: str = "ru", ax=None):
    """Composite maturity score of every municipality with its bootstrap interval.

    What to show when :func:`effmuni.cluster_maturity` finds no distinct groups (k = 1):
    a continuum, not levels. 0 is the average municipality; overlapping intervals mean the
    order between two municipalities depends on which features are counted.

    Examples
    --------
    >>> import effmuni as em
    >>> from effmuni.plots.maturity import score_plot
    >>> r = em.cluster_maturity(em.maturity_features(em.load_dataset()), k=2, n_boot=0)
    >>> fig = score_plot(em.composite_scores(r, n_boot=100), lang="en")
    >>> len(fig.axes[0].lines) >= 1
    True
    """
    check_lang(lang)
    s = scores.sort_values("maturity_score", kind="stable")
    names = _names(s.index, context, lang)
    fig, ax = new_axes(ax, figsize=(8, max(4.0, 0.28 * len(s) + 2.0)))
    y = np.arange(len(s))
    lo = (s["maturity_score"] - s["maturity_score_low"]).to_numpy(dtype=float)
    hi = (s["maturity_score_high"] - s["maturity_score"]).to_numpy(dtype=float)
    ax.errorbar(
        s["maturity_score"].to_numpy(dtype=float),
        y,
        xerr=np.vstack([np.nan_to_num(lo), np.nan_to_num(hi)]),
        fmt="o",
        color=COLORS["after"],
        ecolor="0.55",
        capsize=2,
        ms=4,
    )
    ax.axvline(0, color="0.3", lw=0.8, ls="--")
    ax.set_yticks(y)
    ax.set_yticklabels(names.loc[s.index].tolist(), fontsize=7.5)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(label("maturity_fig_score_x", lang))
    ax.set_title(label("maturity_fig_score", lang))
    return fig
