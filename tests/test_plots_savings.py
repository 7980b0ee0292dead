"""Savings figures: every figure renders in Russian and English with no glyph warnings."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

import effmuni as em
from effmuni.plots import savings as splots


@pytest.fixture(scope="module")
def results():
    ds = em.load_dataset()
    s = em.project_savings(ds, n_boot=200)
    return {
        "ds": ds,
        "savings": s,
        "region": em.pool_savings(s, by=None, n_boot=200),
        "pooled": em.pool_savings(s, n_boot=200),
        "annual": em.annual_effect(s, by="municipality_id"),
    }


def _draw(kind: str, r: dict, lang: str, ax=None) -> Figure:
    names = splots.municipality_names(r["ds"], lang)
    if kind == "forest":
        return splots.forest_plot(r["savings"], r["region"], lang=lang, ax=ax)
    if kind == "before_after":
        return splots.before_after_plot(r["ds"].cases, lang=lang, ax=ax)
    if kind == "annual":
        measure = None if ax is None else "staff_hours"
        return splots.annual_effect_plot(
            r["annual"], measure=measure, lang=lang, ax=ax, names=names
        )
    return splots.pooled_plot(r["pooled"], r["region"], lang=lang, ax=ax, names=names)


TITLES = {
    ("forest", "ru"): "Изменение времени протекания процесса по проектам",
    ("forest", "en"): "Change in lead time by project",
    ("before_after", "ru"): "Время протекания процесса до и после проекта",
    ("before_after", "en"): "Lead time before and after the project",
    ("pooled", "ru"): "Типичное сокращение ВПП: объединённая оценка",
    ("pooled", "en"): "Typical lead-time reduction, pooled",
}


@pytest.mark.parametrize("lang", ["ru", "en"])
@pytest.mark.parametrize("kind", ["forest", "before_after", "annual", "pooled"])
def test_figures_render_without_warnings(results, kind, lang, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = _draw(kind, results, lang)
        fig.savefig(tmp_path / "f.png")
    assert isinstance(fig, Figure)
    assert (tmp_path / "f.png").stat().st_size > 10_000
    texts = [ax.get_title() for ax in fig.axes] + [
        fig._suptitle.get_text() if fig._suptitle else ""
    ]
    if (kind, lang) in TITLES:
        assert TITLES[(kind, lang)] in texts[0]
    if kind == "annual":
        assert (
            "Годовой эффект по муниципалитетам"
            if lang == "ru"
            else "Annual effect by municipality"
        ) in texts
        labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
        assert ("город Чебоксары" if lang == "ru" else "Cheboksary") in labels
    plt.close(fig)


@pytest.mark.parametrize("kind", ["forest", "before_after", "annual", "pooled"])
def test_figures_draw_on_a_given_axes(results, kind):
    fig, ax = plt.subplots()
    assert _draw(kind, results, "en", ax=ax) is fig
    plt.close(fig)


def test_forest_plot_limits_rows_and_says_so(results):
    fig = splots.forest_plot(results["savings"], lang="en", max_projects=10)
    ax = fig.axes[0]
    assert len(ax.get_yticklabels()) == 10
    assert "the 10 most precise of" in ax.get_title()
    plt.close(fig)


def test_empty_inputs_give_an_empty_figure_not_an_error(results):
    s = results["savings"]
    for fig in (
        splots.forest_plot(s.iloc[:0], lang="en"),
        splots.before_after_plot(results["ds"].cases.iloc[:0], lang="en"),
    ):
        assert "no project with case timings" in [t.get_text() for t in fig.axes[0].texts]
        plt.close(fig)


def test_annual_plot_needs_a_measure_with_an_axes(results):
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="measure"):
        splots.annual_effect_plot(results["annual"], ax=ax)
    plt.close(fig)


def test_forest_and_pooled_plots_show_one_statistic_positive_is_faster(results):
    # the forest plot draws 100 × (1 − ratio) with its own interval: the same numbers as
    # pool_savings' reduction_pct and as effmuni.savings.pooling.reduction_pct per project
    import numpy as np

    from effmuni.savings.pooling import reduction_pct

    s = results["savings"]
    one = s[s["project_id"] == s.loc[s["source"] == "cases", "project_id"].iloc[0]]
    fig = splots.forest_plot(one, results["region"], lang="en")
    ax = fig.axes[0]
    r = reduction_pct(one).iloc[0]
    dots = np.vstack([c.get_offsets() for c in ax.collections if len(c.get_offsets())])
    assert np.isclose(dots[:, 0], r.reduction_pct).any()
    lines = np.vstack([seg for c in ax.collections for seg in getattr(c, "get_segments", list)()])
    assert np.isclose(lines[:, 0], r.reduction_pct_low).any()
    assert np.isclose(lines[:, 0], r.reduction_pct_high).any()
    assert r.reduction_pct_low <= r.reduction_pct <= r.reduction_pct_high
    assert "above 0: faster" in ax.get_xlabel()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "prediction interval for a new project" in legend
    plt.close(fig)
    fig = splots.pooled_plot(results["pooled"], results["region"], lang="en")
    assert "above 0: faster" in fig.axes[0].get_xlabel()
    plt.close(fig)
