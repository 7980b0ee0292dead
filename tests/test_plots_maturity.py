"""Maturity figures: Russian and English labels, Cyrillic names, no warnings, given axes."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

import effmuni as em
from effmuni.plots import maturity as mplots


@pytest.fixture(scope="module")
def fitted():
    ds = em.load_dataset()
    features = em.maturity_features(ds)
    context = em.municipality_context(ds)
    return em.cluster_maturity(features, k=3, method="kmeans", n_boot=0), context


FIGURES = [
    mplots.feature_heatmap,
    mplots.pca_biplot,
    mplots.silhouette_plot,
    lambda r, ctx, **kw: mplots.level_profiles(r, **kw),
]


@pytest.mark.parametrize("lang", ["ru", "en"])
@pytest.mark.parametrize("draw", FIGURES, ids=["heatmap", "biplot", "silhouette", "profiles"])
def test_figures_render_without_warnings(fitted, draw, lang, tmp_path):
    result, context = fitted
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # missing glyphs, findfont, layout problems
        fig = draw(result, context, lang=lang)
        fig.savefig(tmp_path / "fig.png")
    assert isinstance(fig, Figure)
    title = fig.axes[0].get_title()
    assert title and (("а" in title or "о" in title) if lang == "ru" else title.isascii())
    plt.close(fig)


def test_biplot_labels_municipalities_in_cyrillic(fitted):
    result, context = fitted
    fig = mplots.pca_biplot(result, context, lang="ru")
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"г. Чебоксары", "Мариинско-Посадский", "Шумерлинский"} <= texts
    assert fig.axes[0].get_xlabel().startswith("ГК 1")
    fig_en = mplots.pca_biplot(result, context, lang="en")
    assert "Cheboksary" in {t.get_text() for t in fig_en.axes[0].texts}
    plt.close("all")


def test_silhouette_has_one_bar_per_municipality(fitted):
    result, context = fitted
    fig = mplots.silhouette_plot(result, context, lang="en")
    assert len(fig.axes[0].patches) == len(result.levels)
    plt.close(fig)


def test_heatmap_rows_follow_the_levels(fitted):
    result, context = fitted
    fig = mplots.feature_heatmap(result, None, lang="en")
    rows = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(rows) == len(result.levels)
    assert result.levels.loc[rows].is_monotonic_decreasing  # most mature first; ids as names
    plt.close(fig)


def test_figures_draw_on_given_axes(fitted):
    result, context = fitted
    fig, axes = plt.subplots(2, 2, figsize=(16, 12))
    out = [
        mplots.feature_heatmap(result, context, ax=axes[0, 0]),
        mplots.pca_biplot(result, context, ax=axes[0, 1]),
        mplots.silhouette_plot(result, context, ax=axes[1, 0]),
        mplots.level_profiles(result, ax=axes[1, 1]),
    ]
    assert all(f is fig for f in out)
    plt.close(fig)


def test_level_colours_and_bad_language(fitted):
    assert len(mplots.level_colors(3)) == 3
    assert len(set(mplots.level_colors(8))) == 8
    with pytest.raises(ValueError, match="lang"):
        mplots.level_profiles(fitted[0], lang="de")
