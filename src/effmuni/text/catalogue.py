"""The catalogue of words: every label, message and report sentence, in Russian and English.

All text people read at run time — table headers, figure titles and axes, command-line help
and messages, report sentences, Excel sheet names — is looked up here by key, from one
resource: ``catalogue.toml`` beside this module, one table per key with ``ru`` and ``en``.

Key convention (snake_case throughout):

- a column of a result table is labelled under its own name (``saving_pct``);
- a coded value under ``<column>_<value>`` (``stage_closed``, ``source_cases``);
- messages and sentences under a short topic prefix (``rep_`` report, ``cli_`` command line,
  ``val_`` validation, ``fig_`` figure titles, ``axis_`` axes, ``sheet_`` Excel sheets).

A missing key falls back to the key itself, so nothing breaks; a test checks that every key
used by the code exists and that every key has both languages.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

import pandas as pd

__all__ = ["LANGS", "catalogue", "check_lang", "label", "missing", "translate_columns"]

LANGS = ("ru", "en")


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    """The whole catalogue: ``{key: {"ru": ..., "en": ...}}`` (read once)."""
    raw = resources.files(__package__).joinpath("catalogue.toml").read_bytes()
    return tomllib.loads(raw.decode("utf-8"))


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is ``"ru"`` or ``"en"``, else raise a clear ValueError."""
    if lang not in LANGS:
        from .refusal import Refusal  # (refusal.py words itself from this module)

        raise Refusal("err_lang", value=repr(lang))
    return lang


def label(key: str, lang: str = "ru", **fmt) -> str:
    """The text for ``key`` in ``lang``; ``fmt`` fills its ``{placeholders}``.

    Examples
    --------
    >>> label("municipality_id", "ru"), label("municipality_id", "en")
    ('Муниципалитет', 'Municipality')
    """
    entry = catalogue().get(key)
    text = key if entry is None else entry[check_lang(lang)]
    return text.format(**fmt) if fmt else text


def translate_columns(frame: pd.DataFrame, lang: str = "ru") -> pd.DataFrame:
    """Return ``frame`` with its column headers (and index names) translated."""
    out = frame.rename(columns=lambda c: label(str(c), lang))
    if any(n is not None for n in out.index.names):
        names = [None if n is None else label(str(n), lang) for n in out.index.names]
        out.index = out.index.set_names(names)
    return out


def missing(keys: Iterable[str]) -> list[str]:
    """The keys that the catalogue does not have."""
    cat = catalogue()
    return [k for k in keys if k not in cat]
