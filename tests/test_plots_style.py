"""Cyrillic labels render with the bundled font: no missing-glyph or findfont warnings."""

import warnings

import matplotlib.pyplot as plt

from effmuni.plots import new_axes


def test_cyrillic_renders_without_warnings(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig, ax = new_axes()
        ax.bar(["Чебоксары", "Ядринский", "Мариинско-Посадский"], [3, 1, 2])
        ax.set_title("Экономия времени «до» и «после», дн.")
        ax.set_ylabel("Сэкономлено часов сотрудников")
        fig.savefig(tmp_path / "ru.png")
    plt.close(fig)
    assert (tmp_path / "ru.png").stat().st_size > 5000
