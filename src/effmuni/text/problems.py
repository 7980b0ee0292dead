"""Data problems worded from the catalogue: a code and parameters become a sentence.

A problem (:class:`effmuni.io.Problem`) is stored without a language: a code such as
``missing_column`` and its parameters. :func:`problem_text` words it in Russian or English
from the catalogue key ``val_<code>``. Two parameters are worded, not shown as stored:

- ``table``: a table of the data dictionary, shown by its name (``table_<name>``);
- ``allowed`` (with ``column``): coded values, shown as the words the loader accepts in that
  language (``<column>_<value>``: «завершён» in Russian, ``closed`` in English).

A table or value the catalogue does not know yet is shown as its code.

Other list parameters are joined with commas; everything else is shown as it is.
"""

from __future__ import annotations

from .catalogue import catalogue, check_lang, label

__all__ = ["problem_text"]


def _word(key: str, lang: str, default: str) -> str:
    return label(key, lang) if key in catalogue() else default


def _shown(name: str, value, params: dict, lang: str):
    if name == "table" and value:
        return _word(f"table_{value}", lang, value)
    if name == "allowed":
        return ", ".join(_word(f"{params['column']}_{v}", lang, v) for v in value)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return value


def problem_text(code: str, lang: str = "ru", **params) -> str:
    """The problem ``code`` with ``params`` worded in ``lang``.

    Examples
    --------
    >>> problem_text("bad_category", "ru", column="stage", allowed=["closed", "cancelled"])
    'неизвестное значение; допустимы: завершён, отменён'
    >>> problem_text("bad_category", "en", column="stage", allowed=["closed", "cancelled"])
    'unknown value; allowed: closed, cancelled'
    """
    check_lang(lang)
    shown = {k: _shown(k, v, params, lang) for k, v in params.items()}
    return label(f"val_{code}", lang, **shown)
