"""Figures of the time-savings analysis, in Russian (default) or English.

- :func:`forest_plot`: each project's typical lead-time reduction with its interval, and the
  pooled estimates below;
- :func:`before_after_plot`: distributions of lead time before and after, per project;
- :func:`annual_effect_plot`: staff hours and citizen days saved a year, per municipality;
- :func:`pooled_plot`: the pooled reduction per municipality and for the region, both
  pooling methods side by side.

The forest plot and the pooled plot show one statistic with one sign convention: the typical
lead-time reduction in %, ``100 × (1 − ratio)`` with ``ratio`` the geometric mean of lead times
after ÷ before, **positive = faster**, with its own interval (:func:`effmuni.savings.pooling.
reduction_pct`; the pooled rows' ``reduction_pct``). The saving from arithmetic means
(``saving_pct``, as a card states it) is a different number and is not drawn.

Each takes ``lang`` and an optional ``ax`` and returns the :class:`~matplotlib.figure.Figure`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..savings.pooling import reduction_pct
from ..text import check_lang, label
from .style import COLORS, new_axes, use_style

__all__ = [
    "annual_effect_plot",
    "before_after_plot",
    "forest_plot",
    "municipality_names",
    "pooled_plot",
]

#: the reduction axis stops here on the slow side (a ratio of 3, "−200 %"): longer intervals are
#: cut and end in an arrow
_MIN_REDUCTION = -200.0
#: the prediction interval of a pooled row (:func:`effmuni.pool_savings`)
_PI_COLUMNS = ("reduction_pct_pi_low", "reduction_pct_pi_high")


def municipality_names(dataset, lang: str = "ru") -> dict[str, str]:
    """Display names of the municipalities of ``dataset`` (and ``"region"``) in ``lang``.

    Examples
    --------
    >>> import effmuni as em
    >>> names = municipality_names(em.load_dataset("tests/data/mini"), "en")
    >>> names["kanashsky"], names["region"]
    ('Kanashsky', 'Chuvash Republic')
    """
    col = f"name_{check_lang(lang)}"  # the name column of the language: name_ru, name_en
    m = dataset.municipalities
    names = dict(zip(m["municipality_id"], m[col].fillna(m["municipality_id"]), strict=True))
    names["region"] = label("region", lang)
    return names


def _reduction_axis(ax, values) -> tuple[float, float]:
    """A linear reduction axis (%), 0 marked, from the data but never below −200 % or above
    100 % (a lead time cannot fall by more than all of it)."""
    v = np.asarray([x for x in values if np.isfinite(x)], dtype=float)
    lo = float(min(v.min(initial=0.0), 0.0)) if len(v) else -10.0
    hi = float(max(v.max(initial=0.0), 10.0)) if len(v) else 100.0
    lo, hi = max(lo, _MIN_REDUCTION), min(hi, 100.0)
    pad = 0.04 * (hi - lo)
    ax.set_xlim(lo - pad, hi + pad)
    ax.axvline(0.0, color="0.4", lw=0.8, zorder=0)
    return lo, hi


def _clipped_lines(ax, y, lo, hi, limits, **kw) -> None:
    """Horizontal interval lines cut at the axis limits, with an arrow where cut."""
    a, b = np.clip(lo, *limits), np.clip(hi, *limits)
    ax.hlines(y, a, b, **kw)
    cut = lo < limits[0]
    if cut.any():
        ax.scatter(a[cut], y[cut], marker="<", s=18, color=kw.get("color"), zorder=3)


def _short(text: object, width: int = 34) -> str:
    s = "" if pd.isna(text) else str(text)
    return s if len(s) <= width else s[: width - 1] + "…"


def _nothing_to_show(fig, ax, lang: str):
    """An empty figure that says there are no case timings to plot."""
    ax.text(
        0.5,
        0.5,
        label("fig_no_cases", lang),
        ha="center",
        va="center",
        transform=ax.transAxes,
        color="0.4",
    )
    ax.set_axis_off()
    return fig


def forest_plot(
    savings: pd.DataFrame,
    pooled: pd.DataFrame | None = None,
    *,
    lang: str = "ru",
    ax=None,
    sources: Sequence[str] = ("cases",),
    max_projects: int = 50,
    names: Mapping[str, str] | None = None,
):
    """Forest plot of the typical lead-time reduction per project, with intervals.

    One statistic throughout: ``100 × (1 − ratio)`` (%), the reduction of the geometric mean
    lead time, **positive = faster**, with its interval (from ``ratio_low``/``ratio_high``);
    the pooled rows below show the same statistic (``reduction_pct``) and, as a thin line,
    the prediction interval for a new project.

    Parameters
    ----------
    savings : pandas.DataFrame
        :func:`effmuni.project_savings` output (``ratio``, ``ratio_low``, ``ratio_high``,
        ``source``, ``project_id``, optionally ``process_name``, ``n_before``, ``n_after``).
    pooled : pandas.DataFrame, optional
        :func:`effmuni.pool_savings` rows to draw as diamonds below the projects (one group,
        e.g. ``by=None``); rows without an estimate are skipped.
    lang : {"ru", "en"}
    ax : matplotlib Axes, optional
    sources : sequence of str, default ("cases",)
        Which projects to show; card-only projects (``"passport"``) have no interval and are
        drawn as open circles.
    max_projects : int, default 50
        At most this many projects (the most precise ones), said in the title when cut.
    names : mapping, optional
        Not used for the projects; kept for a uniform signature with the other figures.
    """
    check_lang(lang)
    s = savings[savings["source"].isin(list(sources)) & np.isfinite(savings["ratio"])].copy()
    n_all = len(s)
    if n_all > max_projects:
        width = np.log(s["ratio_high"]) - np.log(s["ratio_low"])
        s = s.loc[width.fillna(np.inf).sort_values(kind="stable").index[:max_projects]]
    s = reduction_pct(s).sort_values("reduction_pct", kind="stable")
    rows_pooled = pooled.dropna(subset=["reduction_pct"]) if pooled is not None else pd.DataFrame()
    n_rows = len(s) + len(rows_pooled)
    fig, ax = new_axes(ax, figsize=(9, 1.6 + 0.26 * max(n_rows, 4)))
    if n_rows == 0:
        ax.set_title(label("fig_forest_title", lang))
        return _nothing_to_show(fig, ax, lang)
    est, lo, hi = (
        s[c].to_numpy(dtype=float)
        for c in ("reduction_pct", "reduction_pct_low", "reduction_pct_high")
    )
    lims = [*est, *lo, *hi]
    for c in ("reduction_pct", "reduction_pct_low", "reduction_pct_high", *_PI_COLUMNS):
        if c in rows_pooled.columns:
            lims += rows_pooled[c].astype(float).tolist()
    limits = _reduction_axis(ax, lims)
    y = np.arange(len(s))[::-1] + len(rows_pooled) + (1 if len(rows_pooled) else 0)
    has_ci = ~np.isnan(lo)
    color = COLORS["after"]
    _clipped_lines(ax, y[has_ci], lo[has_ci], hi[has_ci], limits, color=color, lw=1.4)
    size = 12 + 3 * np.sqrt(
        s.get("n_before", pd.Series(0, index=s.index)).fillna(0).astype(float).to_numpy()
    )
    shown = np.clip(est, *limits)
    if has_ci.any():
        ax.scatter(
            shown[has_ci],
            y[has_ci],
            s=size[has_ci],
            color=color,
            zorder=3,
            label=label("fig_project_cases", lang),
        )
    if (~has_ci).any():
        ax.scatter(
            shown[~has_ci],
            y[~has_ci],
            s=30,
            facecolors="white",
            edgecolors=color,
            zorder=3,
            label=label("fig_project_card", lang),
        )
    labels = [
        f"{pid} · {_short(proc)}"
        for pid, proc in zip(s["project_id"], s.get("process_name", s["project_id"]), strict=True)
    ]
    ticks, tick_labels = list(y), labels
    pi_drawn = False
    for i, row in enumerate(rows_pooled.itertuples(index=False)):
        yy = len(rows_pooled) - 1 - i
        pi_lo, pi_hi = (
            getattr(row, "reduction_pct_pi_low", np.nan),
            getattr(row, "reduction_pct_pi_high", np.nan),
        )
        if np.isfinite(pi_lo) and np.isfinite(pi_hi):  # where a new project is expected
            _clipped_lines(
                ax,
                np.array([yy]),
                np.array([pi_lo]),
                np.array([pi_hi]),
                limits,
                color=COLORS["pooled"],
                lw=0.8,
                linestyles="dotted",
                label=None if pi_drawn else label("fig_prediction_interval", lang),
            )
            pi_drawn = True
        r = float(np.clip(row.reduction_pct, *limits))
        if np.isnan(row.reduction_pct_low):  # no interval (fewer than 5 projects): a marker
            ax.scatter([r], [yy], marker="D", s=30, color=COLORS["pooled"], zorder=3)
        else:
            a, b = np.clip([row.reduction_pct_low, row.reduction_pct_high], *limits)
            ax.fill([a, r, b, r], [yy, yy + 0.3, yy, yy - 0.3], color=COLORS["pooled"], zorder=3)
        ticks.append(yy)
        tick_labels.append(label(f"method_{row.method}", lang))
    if len(rows_pooled):
        ax.axhline(len(rows_pooled) - 0.4, color="0.7", lw=0.6)
    ax.set_yticks(ticks, tick_labels, fontsize=8)
    ax.set_ylim(-0.8, n_rows + (1 if len(rows_pooled) else 0) - 0.2)
    ax.grid(axis="y", visible=False)
    title = label("fig_forest_title", lang)
    if n_all > len(s):
        title += "\n" + label("fig_shown_of", lang, shown=len(s), total=n_all)
    ax.set_title(title)
    ax.set_xlabel(label("fig_reduction_x", lang))
    ax.legend(frameon=False, fontsize=8, loc="best")
    return fig


def before_after_plot(
    cases: pd.DataFrame,
    projects: Sequence[str] | None = None,
    *,
    lang: str = "ru",
    ax=None,
    value: str = "lead_time_days",
    max_projects: int = 10,
):
    """Box plots of lead time before and after, per project (log scale).

    Parameters
    ----------
    cases : pandas.DataFrame
        ``Dataset.cases`` (``project_id``, ``phase``, ``value``); open cases are left out.
    projects : sequence of str, optional
        Projects to show (in this order); default: the ``max_projects`` with most cases.
    lang : {"ru", "en"}
    ax : matplotlib Axes, optional
    value : str, default "lead_time_days"
    max_projects : int, default 10
    """
    check_lang(lang)
    c = cases[cases[value].notna() & cases["phase"].isin(["before", "after"])]
    if projects is None:
        counts = c.groupby("project_id").size().sort_values(ascending=False, kind="stable")
        projects = list(counts.index[:max_projects])
    projects = list(projects)
    fig, ax = new_axes(ax, figsize=(max(6, 0.9 * len(projects) + 2), 4.5))
    ax.set_title(label("fig_before_after_title", lang))
    if not projects:
        return _nothing_to_show(fig, ax, lang)
    for offset, phase in ((-0.2, "before"), (0.2, "after")):
        data = [
            c.loc[(c["project_id"] == p) & (c["phase"] == phase), value].to_numpy(dtype=float)
            for p in projects
        ]
        keep = [i for i, d in enumerate(data) if len(d)]
        if not keep:
            continue
        bp = ax.boxplot(
            [data[i] for i in keep],
            positions=np.arange(len(projects))[keep] + offset,
            widths=0.35,
            patch_artist=True,
            flierprops={"markersize": 2, "alpha": 0.4},
            medianprops={"color": "black"},
            manage_ticks=False,
        )
        for box in bp["boxes"]:
            box.set_facecolor(COLORS[phase])
            box.set_alpha(0.8)
        ax.plot([], [], "s", color=COLORS[phase], label=label(f"fig_{phase}", lang))
    ax.set_yscale("log")
    ax.set_xticks(np.arange(len(projects)), projects, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel(label("fig_lead_time_log", lang))
    ax.legend(frameon=False)
    ax.grid(axis="x", visible=False)
    return fig


_MEASURES = ("staff_hours", "citizen_days")


def annual_effect_plot(
    annual: pd.DataFrame,
    *,
    measure: str | None = None,
    lang: str = "ru",
    ax=None,
    names: Mapping[str, str] | None = None,
):
    """Annual staff hours and citizen days saved per municipality, with intervals.

    Parameters
    ----------
    annual : pandas.DataFrame
        :func:`effmuni.annual_effect` with ``by="municipality_id"``.
    measure : {"staff_hours", "citizen_days", "staff_fte"}, optional
        One measure on ``ax``; None draws staff hours and citizen days side by side (then
        ``ax`` must be None).
    lang : {"ru", "en"}
    ax : matplotlib Axes, optional
    names : mapping, optional
        Display names of the municipalities (:func:`municipality_names`).
    """
    check_lang(lang)
    if measure is None:
        if ax is not None:
            raise ValueError("pass measure= to draw on a given ax (one measure per axes)")
        import matplotlib.pyplot as plt

        use_style()
        fig, axes = plt.subplots(1, 2, figsize=(11, 0.9 + 0.28 * max(len(annual), 4)))
        for a, m in zip(axes, _MEASURES, strict=True):
            annual_effect_plot(annual, measure=m, lang=lang, ax=a, names=names)
        fig.suptitle(label("fig_annual_title", lang), fontweight="bold")
        return fig
    fig, ax = new_axes(ax, figsize=(6, 0.9 + 0.28 * max(len(annual), 4)))
    a = annual.sort_values(measure, na_position="first", kind="stable")
    est = a[measure].to_numpy(dtype=float)
    lo = a[f"{measure}_low"].to_numpy(dtype=float)
    hi = a[f"{measure}_high"].to_numpy(dtype=float)
    names = names or {}
    ylabels = [names.get(m, m) for m in a["municipality_id"]]
    y = np.arange(len(a))
    color = COLORS["saving" if measure != "citizen_days" else "after"]
    ax.barh(y, np.nan_to_num(est), color=color, alpha=0.85)
    err = np.vstack([np.nan_to_num(est - lo), np.nan_to_num(hi - est)])
    ax.errorbar(np.nan_to_num(est), y, xerr=np.maximum(err, 0), fmt="none", color="0.2", lw=0.8)
    ax.set_yticks(y, ylabels, fontsize=8)
    ax.set_xlabel(label(measure, lang))
    ax.set_title(label(f"fig_{measure}", lang))
    ax.grid(axis="y", visible=False)
    ax.axvline(0, color="0.4", lw=0.8)
    return fig


def pooled_plot(
    pooled: pd.DataFrame,
    region: pd.DataFrame | None = None,
    *,
    lang: str = "ru",
    ax=None,
    names: Mapping[str, str] | None = None,
):
    """Pooled lead-time reduction per municipality and for the region, both methods.

    The statistic is ``reduction_pct`` (positive = faster) with its confidence interval
    (thick) and, dotted, the prediction interval for a new project. The two methods pool
    different projects (case timings; card-only projects) and are labelled as such.

    Parameters
    ----------
    pooled : pandas.DataFrame
        :func:`effmuni.pool_savings` by ``municipality_id``.
    region : pandas.DataFrame, optional
        :func:`effmuni.pool_savings` with ``by=None``: drawn on top, in black.
    lang : {"ru", "en"}
    ax : matplotlib Axes, optional
    names : mapping, optional
        Display names of the municipalities (:func:`municipality_names`).
    """
    check_lang(lang)
    frames = []
    if region is not None:
        frames.append(region.assign(municipality_id="region"))
    frames.append(pooled)
    p = pd.concat(frames, ignore_index=True)
    groups = list(dict.fromkeys(p["municipality_id"]))
    fig, ax = new_axes(ax, figsize=(8, 1.2 + 0.36 * max(len(groups), 4)))
    names = names or {}
    styles = {
        "random_effects": (-0.15, "o", COLORS["after"]),
        "bootstrap_projects": (0.15, "s", COLORS["target"]),
    }
    y_of = {g: len(groups) - 1 - i for i, g in enumerate(groups)}
    cols = ["reduction_pct", "reduction_pct_low", "reduction_pct_high", *_PI_COLUMNS]
    limits = _reduction_axis(ax, p[[c for c in cols if c in p.columns]].to_numpy(float).ravel())
    pi_any = False
    for method, (dy, marker, color) in styles.items():
        m = p[p["method"] == method]
        y = np.array([y_of[g] for g in m["municipality_id"]], dtype=float) + dy
        est = m["reduction_pct"].to_numpy(dtype=float)
        lo, hi = m["reduction_pct_low"].to_numpy(float), m["reduction_pct_high"].to_numpy(float)
        ok = ~np.isnan(lo)
        if "reduction_pct_pi_low" in m.columns:  # where a new project is expected
            plo = m["reduction_pct_pi_low"].to_numpy(float)
            phi = m["reduction_pct_pi_high"].to_numpy(float)
            pok = ~np.isnan(plo)
            _clipped_lines(
                ax, y[pok], plo[pok], phi[pok], limits, color=color, lw=0.8, linestyles="dotted"
            )
            pi_any |= bool(pok.any())
        _clipped_lines(ax, y[ok], lo[ok], hi[ok], limits, color=color, lw=1.4)
        est = np.clip(est, *limits)
        region_row = (m["municipality_id"] == "region").to_numpy()
        ax.scatter(est, y, marker=marker, color=color, s=np.where(region_row, 70, 30), zorder=3)
        ax.scatter([], [], marker=marker, color=color, label=label(f"method_{method}", lang))
    ax.set_yticks(
        [y_of[g] for g in groups],
        [names.get(g, label("region", lang) if g == "region" else g) for g in groups],
        fontsize=8,
    )
    if region is not None:
        ax.axhline(len(groups) - 1.5, color="0.7", lw=0.6)
    if pi_any:
        ax.plot([], [], color="0.3", lw=0.8, ls=":", label=label("fig_prediction_interval", lang))
    ax.set_xlabel(label("fig_reduction_x", lang))
    ax.set_title(label("fig_pooled_title", lang))
    ax.legend(frameon=False, fontsize=8, loc="best")
    ax.grid(axis="y", visible=False)
    return fig
