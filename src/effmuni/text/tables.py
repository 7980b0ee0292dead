"""Any result table as people read it: headers, coded values, yes/no and gaps in one language.

Computed tables keep canonical column names and codes (``phase = "after"``, ``rule_met =
True``, ``NaN`` where nothing could be computed). :func:`show_table` is the one place that turns
them into what a notebook, a report or a workbook shows: headers and index names from the
catalogue, coded values under their ``<column>_<value>`` keys, notes under ``note_<slug>``,
booleans as «да»/«нет», municipality ids as names, rounded numbers, and «—» for a gap.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .catalogue import catalogue, check_lang, label
from .formatting import MISSING

__all__ = ["show_table", "show_value"]

#: columns holding "; "-joined English phrases, each with a label ``note_<slug>``
_PHRASES = ("note", "notes", "caveats")


def _phrase(text: str, lang: str) -> str:
    key = "note_" + re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return label(key, lang) if key in catalogue() else text


def show_value(column: str, value, *, lang: str = "ru"):
    """One cell as shown: a coded value, phrase list or boolean in ``lang``; others unchanged.

    Examples
    --------
    >>> show_value("phase", "after"), show_value("rule_met", True, lang="en")
    ('после', 'yes')
    """
    if isinstance(value, bool | np.bool_):
        return label("yes" if value else "no", lang)
    if not isinstance(value, str) or value == "":
        return value
    if column in _PHRASES:
        return "; ".join(_phrase(p, lang) for p in value.split("; "))
    key = f"{column}_{value}"
    return label(key, lang) if key in catalogue() else value


def show_table(
    frame: pd.DataFrame | pd.Series,
    lang: str = "ru",
    *,
    digits: int | None = 2,
    names: Mapping[str, str] | None = None,
    headers: bool = True,
) -> pd.DataFrame:
    """``frame`` ready to show in ``lang``: every word translated, gaps as «—».

    Parameters
    ----------
    frame : pandas.DataFrame or Series
        Any result table of effmuni (canonical column names and codes).
    lang : {"ru", "en"}
    digits : int or None, default 2
        Decimals of floating-point columns (None: as they are).
    names : mapping, optional
        Display names of ``municipality_id`` values (in columns and in the index).
    headers : bool, default True
        Translate column headers and index names (Excel export translates them itself).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"phase": ["before", "after"], "rule_met": [True, False],
    ...                   "lead_time_days": [2.456, float("nan")]})
    >>> show_table(t).to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'Этап измерения': ['до', 'после'], 'Правило выполнено': ['да', 'нет'],
     'Время протекания процесса, дн.': [2.46, '—']}
    """
    check_lang(lang)
    out = frame.to_frame() if isinstance(frame, pd.Series) else frame.copy()
    for col in out.columns:
        s = out[col]
        name = str(col)
        if name == "municipality_id" and names is not None:
            out[col] = s.map(lambda v: names.get(v, v))
            continue
        if (
            pd.api.types.is_bool_dtype(s)
            or pd.api.types.is_object_dtype(s)
            or (pd.api.types.is_string_dtype(s))
        ):
            out[col] = s.map(lambda v, c=name: show_value(c, v, lang=lang)).astype(object)
        elif pd.api.types.is_float_dtype(s) and digits is not None:
            out[col] = s.round(digits)
    idx_name = out.index.name
    if idx_name is not None and out.index.nlevels == 1:
        if idx_name == "municipality_id" and names is not None:
            out.index = out.index.map(lambda v: names.get(v, v))
        elif pd.api.types.is_object_dtype(out.index) or pd.api.types.is_string_dtype(out.index):
            out.index = out.index.map(lambda v: show_value(str(idx_name), v, lang=lang))
        out.index.name = idx_name
    out = out.astype(object).where(out.notna(), MISSING)
    if headers:
        out = out.rename(columns=lambda c: label(str(c), lang))
        if any(n is not None for n in out.index.names):
            out.index = out.index.set_names(
                [None if n is None else label(str(n), lang) for n in out.index.names]
            )
    return out
