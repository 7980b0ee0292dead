"""Figures of the causal effects on service statistics, in Russian (default) or English.

- :func:`event_study_plot`: the change in lead time against the comparison municipalities,
  month by month around the implementation, with the simultaneous band: the months before
  are the check of parallel trends, the months after the effect;
- :func:`naive_causal_plot`: the lead-time reduction by service and for all services, the
  before/after comparison next to the difference-in-differences estimate.

Each takes ``lang`` and an optional ``ax`` and returns the :class:`~matplotlib.figure.Figure`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from ..text import check_lang, label
from .style import COLORS, new_axes

__all__ = ["event_study_plot", "naive_causal_plot"]


def _signed_pct(value: float, _pos=None) -> str:
    if abs(value) < 0.05:
        return "0"
    return f"{value:+.0f}".replace("-", "\u2212")


def event_study_plot(
    event_study: pd.DataFrame,
    *,
    lang: str = "ru",
    confidence: float = 0.95,
    ax=None,
):
    """Event study: change in lead time against the comparison, by months since implementation.

    Parameters
    ----------
    event_study : pandas.DataFrame
        ``ServiceEffects.event_study`` (``event_time``, ``att``, ``low``, ``high``).
    lang : {"ru", "en"}
    confidence : float
        The band's level, for the legend.
    ax : matplotlib Axes, optional

    Examples
    --------
    >>> import pandas as pd
    >>> es = pd.DataFrame({"event_time": [-2, -1, 0, 1], "att": [0.01, -0.01, -0.3, -0.32],
    ...                    "low": [-0.05, -0.07, -0.4, -0.42], "high": [0.07, 0.05, -0.2, -0.22]})
    >>> fig = event_study_plot(es, lang="en")
    >>> fig.axes[0].get_xlabel()
    'Months since implementation (0 = the first month after)'
    """
    check_lang(lang)
    fig, ax = new_axes(ax, figsize=(9, 4.8))
    es = event_study.sort_values("event_time")
    e = es["event_time"].to_numpy(dtype=float)
    change = lambda col: 100 * (np.exp(es[col].to_numpy(dtype=float)) - 1)  # noqa: E731
    y, lo, hi = change("att"), change("low"), change("high")
    pre = e < 0
    level = f"{100 * confidence:.0f}"
    for k, mask in enumerate((pre, ~pre)):
        ax.fill_between(
            e[mask], lo[mask], hi[mask], color=COLORS["after"], alpha=0.15, lw=0,
            label=label("eff_legend_band", lang, level=level) if k == 0 else None,
        )  # fmt: skip
    for mask, color, key in ((pre, COLORS["before"], "before"), (~pre, COLORS["after"], "after")):
        ax.vlines(e[mask], lo[mask], hi[mask], color=color, lw=1.2, alpha=0.8)
        ax.plot(e[mask], y[mask], "o", color=color, ms=5, label=label(f"eff_legend_{key}", lang))
    ax.axhline(0, color="0.3", lw=0.8, zorder=0)
    ax.axvline(-0.5, color="0.3", lw=0.8, ls="--", zorder=0)
    ax.yaxis.set_major_formatter(FuncFormatter(_signed_pct))
    ax.set_xlabel(label("axis_event_time", lang))
    ax.set_ylabel(label("axis_effect_pct", lang))
    ax.set_title(label("fig_event_study", lang))
    ax.legend(loc="lower left", frameon=False, fontsize=9)
    return fig


def naive_causal_plot(
    overall: pd.DataFrame,
    by_service: pd.DataFrame,
    *,
    lang: str = "ru",
    ax=None,
    names: Mapping[str, str] | None = None,
    truth: Mapping[str, float] | None = None,
):
    """Lead-time reduction %: the before/after comparison and the causal estimate side by side.

    Parameters
    ----------
    overall, by_service : pandas.DataFrame
        ``ServiceEffects.overall`` and ``.by_service`` (``reduction_pct`` with ``_low`` and
        ``_high``, ``naive_reduction_pct`` with its interval).
    lang : {"ru", "en"}
    ax : matplotlib Axes, optional
    names : mapping, optional
        Display names of the services (default: their ``service_id``).
    truth : mapping, optional
        A known reduction % per ``service_id`` (and ``"all"``), drawn as a cross: for
        synthetic data with a planted effect.

    Examples
    --------
    >>> import pandas as pd
    >>> o = pd.DataFrame({"reduction_pct": [24.4], "reduction_pct_low": [21.7],
    ...                   "reduction_pct_high": [27.1], "naive_reduction_pct": [36.8],
    ...                   "naive_reduction_pct_low": [35.0], "naive_reduction_pct_high": [38.5]})
    >>> s = o.assign(service_id=["camp-vouchers"])
    >>> fig = naive_causal_plot(o, s, lang="en")
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['camp-vouchers', 'All services']
    """
    check_lang(lang)
    rows = by_service.sort_values("reduction_pct", ascending=True, kind="stable")
    keys = [*rows["service_id"].astype(str), "all"]
    shown = [(names or {}).get(k, k) for k in keys[:-1]] + [label("eff_all_services", lang)]
    table = pd.concat([rows, overall], ignore_index=True)
    fig, ax = new_axes(ax, figsize=(9, 1.4 + 0.42 * len(keys)))
    base = np.arange(len(keys))[::-1].astype(float)
    base[-1] -= 0.6  # the overall row sits apart, at the bottom
    for offset, prefix, color, key in (
        (0.16, "naive_", COLORS["before"], "eff_naive"),
        (-0.16, "", COLORS["after"], "eff_causal"),
    ):
        y = base + offset
        est = table[f"{prefix}reduction_pct"].to_numpy(dtype=float)
        lo = table[f"{prefix}reduction_pct_low"].to_numpy(dtype=float)
        hi = table[f"{prefix}reduction_pct_high"].to_numpy(dtype=float)
        ok = np.isfinite(lo) & np.isfinite(hi)
        ax.hlines(y[ok], lo[ok], hi[ok], color=color, lw=2)
        ax.plot(est, y, "o", color=color, ms=6, label=label(key, lang))
    if truth:
        tv = np.array([truth.get(k, np.nan) for k in keys], dtype=float)
        ax.plot(tv, base, "x", color="black", ms=7, mew=1.5, label=label("eff_truth", lang))
    ax.axvline(0, color="0.3", lw=0.8, zorder=0)
    ax.set_yticks(base)
    ax.set_yticklabels(shown)
    ax.get_yticklabels()[-1].set_fontweight("bold")
    ax.set_xlabel(label("axis_reduction_pct", lang))
    ax.set_title(label("fig_naive_vs_causal", lang))
    ax.legend(loc="lower right", frameon=False, fontsize=9)
    ax.grid(axis="y", visible=False)
    return fig
