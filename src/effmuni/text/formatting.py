"""Numbers, percentages, dates and quarters as people read them, through Babel's locales.

Russian by default («90 653», «16,8 %», «I кв. 2023», «31.12.2025»), English with
``lang="en"`` («90,653», «16.8%», «Q1 2023», «31.12.2025»). Missing and non-finite values are
shown as «—». Computed results never carry formatted text: these functions are applied where
things are shown.
"""

from __future__ import annotations

import math

import pandas as pd
from babel.dates import format_date as _babel_date
from babel.numbers import format_decimal, format_percent

from .catalogue import check_lang, label

__all__ = [
    "MISSING",
    "fmt_date",
    "fmt_estimate",
    "fmt_interval",
    "fmt_number",
    "fmt_percent",
    "fmt_quarter",
    "fmt_signed",
]

MISSING = "—"
_LOCALES = {"ru": "ru_RU", "en": "en_GB"}
_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


def _finite(x) -> bool:
    try:
        return x is not None and not pd.isna(x) and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _minus(text: str) -> str:
    """A typographic minus («−»); none on a figure that rounds to zero («−0» reads as 0)."""
    if text.startswith("-") and not any(c in "123456789" for c in text):
        text = text[1:]
    return text.replace("-", "\u2212")


def _pattern(digits: int) -> str:
    return "#,##0" + ("." + "0" * digits if digits > 0 else "")


def fmt_number(x, lang: str = "ru", *, digits: int = 0) -> str:
    """A number with grouped thousands and ``digits`` decimals; «—» when missing.

    Examples
    --------
    >>> fmt_number(90653.4), fmt_number(90653.4, "en"), fmt_number(2.346, digits=2)
    ('90\\xa0653', '90,653', '2,35')
    >>> fmt_number(float("nan"))
    '—'
    >>> fmt_number(-0.0), fmt_number(-0.004, digits=2), fmt_number(-0.006, digits=2)
    ('0', '0,00', '\u22120,01')
    """
    if not _finite(x):
        return MISSING
    text = format_decimal(float(x), format=_pattern(digits), locale=_LOCALES[check_lang(lang)])
    return _minus(text)


def fmt_signed(x, lang: str = "ru", *, digits: int = 0) -> str:
    """Like :func:`fmt_number` with an explicit sign for positive values («+5», «−3»)."""
    text = fmt_number(x, lang, digits=digits)
    return "+" + text if _finite(x) and float(x) > 0 and text != MISSING else text


def fmt_percent(x, lang: str = "ru", *, digits: int = 0) -> str:
    """A value already in percent (``16.8``) as «16,8 %» / «16.8%»; «—» when missing.

    Examples
    --------
    >>> fmt_percent(16.8, digits=1), fmt_percent(16.8, "en", digits=1)
    ('16,8\\xa0%', '16.8%')
    """
    if not _finite(x):
        return MISSING
    text = format_percent(
        float(x) / 100, format=_pattern(digits) + "%", locale=_LOCALES[check_lang(lang)]
    )
    text = _minus(text)
    return text.replace("%", "\u00a0%") if lang == "ru" else text


def fmt_interval(lo, hi, *, lang: str = "ru", digits: int = 0, percent: bool = False) -> str:
    """An interval «lo…hi» (en dash between numbers); empty when either end is missing."""
    if not (_finite(lo) and _finite(hi)):
        return ""
    f = fmt_percent if percent else fmt_number
    a, b = f(lo, lang, digits=digits), f(hi, lang, digits=digits)
    if percent:
        a = a.replace("\u00a0%", "").replace("%", "")
    # an en dash between two negatives reads as a third minus: use an ellipsis then
    sep = "\u2026" if float(hi) < 0 else "\u2013"
    return f"{a}{sep}{b}"


def fmt_estimate(text: str, lo, hi, *, lang: str = "ru", digits: int = 0) -> str:
    """An estimate already written (``text``) with its interval «text (lo–hi)»; ``text``
    alone when the interval or the estimate is missing.

    Examples
    --------
    >>> fmt_estimate(fmt_signed(1.234, digits=2), 0.99, 1.59, digits=2)
    '+1,23 (0,99–1,59)'
    >>> fmt_estimate("45", float("nan"), 62.0)
    '45'
    """
    ci = fmt_interval(lo, hi, lang=lang, digits=digits)
    return f"{text} ({ci})" if ci and text != MISSING else text


def fmt_date(d, lang: str = "ru") -> str:
    """A date as «31.12.2025» (both languages use the day-first form of official papers)."""
    check_lang(lang)
    if d is None or pd.isna(d):
        return MISSING
    return _babel_date(pd.Timestamp(d).date(), "dd.MM.yyyy", locale=_LOCALES[lang])


def fmt_quarter(q, lang: str = "ru") -> str:
    """A quarter (``"2023Q1"``, a Period or a date) as «I кв. 2023» / «Q1 2023».

    Examples
    --------
    >>> fmt_quarter("2023Q1"), fmt_quarter("2024Q4", "en")
    ('I кв. 2023', 'Q4 2024')
    """
    check_lang(lang)
    if q is None or (not isinstance(q, pd.Period) and pd.isna(q)):
        return MISSING
    period = q if isinstance(q, pd.Period) else pd.Period(str(q), freq="Q")
    period = period.asfreq("Q")
    return label("fmt_quarter", lang, roman=_ROMAN[period.quarter], q=period.quarter,
                 year=period.year)  # fmt: skip
