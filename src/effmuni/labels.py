"""What officials read: Russian labels by default, English with ``lang="en"``.

Column headers of exported tables, figure titles and axis labels are looked up here. Each topic
module registers its own labels at import time with :func:`register`, so the vocabulary lives
next to the code that produces the columns::

    register({"saving": ("Экономия времени", "Time saved")})

Keys are the canonical (English, snake_case) column names or message ids; values are
``(russian, english)`` pairs. Unknown keys fall back to the key itself, so nothing breaks when a
label is missing; :func:`missing` lists them for a test.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

__all__ = ["LANGS", "check_lang", "label", "missing", "register", "translate_columns"]

LANGS = ("ru", "en")

_LABELS: dict[str, tuple[str, str]] = {}


def register(labels: Mapping[str, tuple[str, str]]) -> None:
    """Add ``{key: (russian, english)}`` labels; a key registered twice must agree."""
    for key, pair in labels.items():
        if len(pair) != 2:
            raise ValueError(f"label {key!r} needs (russian, english), got {pair!r}")
        old = _LABELS.get(key)
        if old is not None and old != tuple(pair):
            raise ValueError(
                f"label {key!r} registered twice with different text: {old} vs {pair}"
            )
        _LABELS[key] = tuple(pair)


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is ``"ru"`` or ``"en"``, else raise a clear ValueError."""
    if lang not in LANGS:
        raise ValueError(f"lang must be 'ru' or 'en', not {lang!r}")
    return lang


def label(key: str, lang: str = "ru", **fmt) -> str:
    """The label for ``key`` in ``lang``; ``fmt`` fills ``{placeholders}``.

    Examples
    --------
    >>> label("municipality_id", "ru"), label("municipality_id", "en")
    ('Муниципалитет', 'Municipality')
    """
    pair = _LABELS.get(key)
    text = key if pair is None else pair[LANGS.index(check_lang(lang))]
    return text.format(**fmt) if fmt else text


def translate_columns(frame: pd.DataFrame, lang: str = "ru") -> pd.DataFrame:
    """Return ``frame`` with its column headers (and index names) translated."""
    out = frame.rename(columns=lambda c: label(str(c), lang))
    if any(n is not None for n in out.index.names):
        names = [None if n is None else label(str(n), lang) for n in out.index.names]
        out.index = out.index.set_names(names)
    return out


def missing(keys: Iterable[str]) -> list[str]:
    """The keys that have no registered label."""
    return [k for k in keys if k not in _LABELS]


register(
    {
        # identifiers and registry columns shared by every report
        "municipality_id": ("Муниципалитет", "Municipality"),
        "municipality": ("Муниципалитет", "Municipality"),
        "name_ru": ("Наименование", "Name (Russian)"),
        "name_en": ("Наименование (англ.)", "Name"),
        "kind": ("Тип", "Kind"),
        "population": ("Население", "Population"),
        "institution_id": ("Учреждение", "Institution"),
        "project_id": ("Проект", "Project"),
        "process_name": ("Процесс", "Process"),
        "start_date": ("Дата начала", "Start date"),
        "planned_end": ("Плановое окончание", "Planned end"),
        "actual_end": ("Фактическое окончание", "Actual end"),
        "stage": ("Этап", "Stage"),
        "annual_volume": ("Годовой объём, случаев", "Annual volume, cases"),
        "target_reduction_pct": ("Целевое сокращение, %", "Target reduction, %"),
        "baseline_method": ("Метод базового значения", "Baseline method"),
        "indicator": ("Показатель", "Indicator"),
        "phase": ("Этап измерения", "Phase"),
        "value": ("Значение", "Value"),
        "unit": ("Единица", "Unit"),
        "quarter": ("Квартал", "Quarter"),
        "case_id": ("Номер обращения", "Case"),
        "lead_time_days": ("Время протекания процесса, дн.", "Lead time, days"),
        "lead_time_workdays": ("Время протекания процесса, раб. дн.", "Lead time, working days"),
        "region": ("Чувашская Республика", "Chuvash Republic"),
    }
)
