"""One place for the look of every figure."""

from __future__ import annotations

import matplotlib as mpl

__all__ = ["COLORS", "FONT_FAMILY", "new_axes", "use_style"]

#: font list; DejaVu Sans ships inside matplotlib and covers Cyrillic
FONT_FAMILY = ["DejaVu Sans"]

#: a colour-blind-safe palette (Okabe–Ito), in the order figures use it
COLORS = {
    "before": "#999999",
    "after": "#0072B2",
    "saving": "#009E73",
    "worse": "#D55E00",
    "target": "#E69F00",
    "pooled": "#000000",
    "levels": ["#D55E00", "#E69F00", "#F0E442", "#56B4E9", "#009E73", "#0072B2"],
}

_RC = {
    "font.family": "sans-serif",
    "font.sans-serif": FONT_FAMILY,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "figure.autolayout": False,
    "figure.constrained_layout.use": True,
}


def use_style() -> None:
    """Apply effmuni's matplotlib style (fonts with Cyrillic, quiet grid, constrained layout)."""
    mpl.rcParams.update(_RC)


def new_axes(ax=None, figsize=(8, 5)):
    """Return ``(fig, ax)``: the given axes and its figure, or a new styled pair."""
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax.figure, ax
    use_style()
    fig, ax = plt.subplots(figsize=figsize)
    return fig, ax
