"""Result tables ready to show or export: values, notes and headers translated, rounded."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

from ..text import check_lang, label, translate_columns

__all__ = ["translate_table"]

#: columns whose values are codes with a label ``"<column>_<value>"``
_CODED = ("source", "work_source", "lead_source", "method", "target_status", "better", "metric")
#: columns holding "; "-joined English phrases, each with a label ``"note_<phrase slug>"``
_PHRASES = ("note", "caveats")


def _translate_value(column: str, value, lang: str):
    """Translate a coded value (``"<column>_<value>"``) or '; '-joined phrases."""
    if not isinstance(value, str) or value == "":
        return value
    if column in _PHRASES:
        return "; ".join(_translate_phrase(p, lang) for p in value.split("; "))
    key = f"{column}_{value}"
    text = label(key, lang)
    return value if text == key else text


def _translate_phrase(phrase: str, lang: str) -> str:
    """A note phrase (English, as computed) under its key ``note_<slug>``."""
    key = "note_" + re.sub(r"[^a-z0-9]+", "_", phrase.lower()).strip("_")
    text = label(key, lang)
    return phrase if text == key else text


def translate_table(
    frame: pd.DataFrame,
    lang: str = "ru",
    *,
    digits: int | None = None,
    names: Mapping[str, str] | None = None,
    headers: bool = True,
) -> pd.DataFrame:
    """A result table ready to show or export: values, notes and headers in ``lang``.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any table of :mod:`effmuni.savings` (pooling and target attainment included).
    lang : {"ru", "en"}
        Language of headers, coded values (``source``, ``method``, ``status``, …) and notes.
    digits : int, optional
        Round floating-point columns to this many decimals.
    names : mapping, optional
        Display names for ``municipality_id`` values (e.g. ``{"cheboksary": "Чебоксары"}``).
    headers : bool, default True
        Translate the column headers too (:func:`effmuni.excel.write_tables` does it itself).

    Examples
    --------
    >>> t = pd.DataFrame({"source": ["cases"], "saving": [1.234], "note": [""]})
    >>> translate_table(t, "en", digits=1).columns.tolist()
    ['Source', 'Saving, days per case', 'Note']
    >>> translate_table(t, "ru").iloc[0, 0]
    'хронометраж случаев'
    """
    check_lang(lang)
    out = frame.copy()
    for col in (*_CODED, *_PHRASES):
        if col in out.columns:
            out[col] = out[col].map(lambda v, c=col: _translate_value(c, v, lang))
    if names is not None and "municipality_id" in out.columns:
        out["municipality_id"] = out["municipality_id"].map(lambda v: names.get(v, v))
    if digits is not None:
        floats = out.select_dtypes(include="floating").columns
        out[floats] = out[floats].round(digits)
    return translate_columns(out, lang) if headers else out
