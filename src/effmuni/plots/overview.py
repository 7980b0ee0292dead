"""Figures of what a dataset holds: rule coverage, lead-time distributions, XmR charts."""

from __future__ import annotations

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd

from ..text import fmt_quarter, label
from .style import COLORS, new_axes

__all__ = ["coverage_heatmap", "lead_time_distributions", "xmr_chart"]


def coverage_heatmap(
    coverage: pd.DataFrame, names: dict[str, str] | None = None, *, lang="ru", ax=None
):
    """Municipality × quarter grid of projects started (from :func:`effmuni.project_coverage`).

    Cells where the unit did not exist are grey; quarters without a project show 0 on a warm
    colour, so gaps in the one-project-a-quarter rule stand out.
    """
    grid = coverage.pivot(index="municipality_id", columns="quarter", values="projects_started")
    alive = coverage.pivot(index="municipality_id", columns="quarter", values="alive").astype(bool)
    order = grid.where(alive).gt(0).mean(axis=1).sort_values(ascending=False).index
    grid, alive = grid.loc[order], alive.loc[order]
    fig, ax = new_axes(ax, figsize=(10, max(4, 0.3 * len(grid) + 1.5)))
    values = grid.where(alive).to_numpy(dtype=float)
    cmap = mcolors.ListedColormap(
        ["#F4A582", "#D1E5F0", "#92C5DE", "#4393C3", "#2166AC"]
    ).with_extremes(bad="#DDDDDD")
    norm = mcolors.BoundaryNorm([-0.5, 0.5, 1.5, 2.5, 3.5, 100], cmap.N)
    ax.imshow(np.ma.masked_invalid(values), aspect="auto", cmap=cmap, norm=norm)
    for (i, j), v in np.ndenumerate(values):
        if not np.isnan(v):
            ax.text(j, i, f"{int(v)}", ha="center", va="center", fontsize=7)
    ax.set_xticks(range(grid.shape[1]), [fmt_quarter(q, lang) for q in grid.columns], rotation=90)
    ylabels = [names.get(m, m) if names else m for m in grid.index]
    ax.set_yticks(range(grid.shape[0]), ylabels)
    ax.grid(False)
    ax.set_title(label("fig_coverage", lang))
    ax.set_xlabel(label("fig_coverage_note", lang), fontsize=8)
    return fig


def lead_time_distributions(
    cases: pd.DataFrame, *, value: str = "lead_time_days", lang="ru", ax=None
):
    """Histogram of case lead times before and after, on a log scale (lead times are skewed)."""
    fig, ax = new_axes(ax)
    v = cases[value]
    positive = v[v > 0]
    if positive.empty:
        raise ValueError("no positive lead times to plot")
    bins = np.logspace(np.log10(positive.min()), np.log10(positive.max()), 40)
    for phase in ("before", "after"):
        x = cases.loc[(cases["phase"] == phase).fillna(False).to_numpy(dtype=bool), value].dropna()
        x = x[x > 0]
        if len(x):
            ax.hist(
                x,
                bins=bins,
                alpha=0.6,
                color=COLORS[phase],
                label=f"{label('phase_' + phase, lang)} (n={len(x)})",
            )
    ax.set_xscale("log")
    ax.set_xlabel(label("axis_lead_days_log", lang))
    ax.set_ylabel(label("axis_cases", lang))
    ax.set_title(label("fig_lead_dist", lang))
    ax.legend()
    return fig


def xmr_chart(chart: pd.DataFrame, *, change=None, lang="ru", ax=None):
    """Plot an XmR chart from :func:`effmuni.spc.xmr`; signals are marked in orange."""
    fig, ax = new_axes(ax, figsize=(10, 4.5))
    x = chart.index
    ax.plot(x, chart["value"], marker="o", ms=3, lw=1, color=COLORS["after"])
    for col, style in (("centre", "-"), ("ucl", "--"), ("lcl", "--")):
        ax.plot(x, chart[col], ls=style, lw=1, color=COLORS["pooled"], label=label(col, lang))
    sig = chart["signal"] != ""
    ax.scatter(
        x[sig.to_numpy()],
        chart.loc[sig, "value"],
        color=COLORS["worse"],
        zorder=3,
        s=18,
        label=label("signal", lang),
    )
    if change is not None:
        ax.axvline(
            pd.Timestamp(change),
            color=COLORS["target"],
            lw=1.5,
            label=label("legend_change", lang),
        )
    ax.set_ylabel(label("axis_lead_days", lang))
    ax.set_xlabel(label("axis_week", lang))
    ax.set_title(label("fig_xmr", lang))
    ax.legend(fontsize=8, ncols=3)
    return fig
