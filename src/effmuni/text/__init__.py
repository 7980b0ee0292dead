"""What people read: the catalogue of words (ru, en) and locale-aware formatting.

The only part of effmuni that knows a language. See :mod:`effmuni.text.catalogue` for the key
convention and :mod:`effmuni.text.formatting` for numbers, percentages, dates and quarters.
"""

from .catalogue import LANGS, catalogue, check_lang, label, missing, translate_columns
from .formatting import (
    MISSING,
    fmt_date,
    fmt_interval,
    fmt_number,
    fmt_percent,
    fmt_quarter,
    fmt_signed,
)

__all__ = [
    "LANGS",
    "MISSING",
    "catalogue",
    "check_lang",
    "fmt_date",
    "fmt_interval",
    "fmt_number",
    "fmt_percent",
    "fmt_quarter",
    "fmt_signed",
    "label",
    "missing",
    "translate_columns",
]
