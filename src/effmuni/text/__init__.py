"""What people read: the catalogue of words (ru, en) and locale-aware formatting.

The only part of effmuni that knows a language. See :mod:`effmuni.text.catalogue` for the key
convention, :mod:`effmuni.text.formatting` for numbers, percentages, dates and quarters, and
:mod:`effmuni.text.problems` for the wording of data problems.
"""

from .catalogue import LANGS, catalogue, check_lang, label, missing, translate_columns
from .formatting import (
    MISSING,
    fmt_date,
    fmt_estimate,
    fmt_interval,
    fmt_number,
    fmt_percent,
    fmt_quarter,
    fmt_signed,
)
from .markup import capitalize_first, html_escape, md_escape, plural
from .problems import problem_text
from .refusal import Refusal
from .tables import show_table, show_value

__all__ = [
    "LANGS",
    "MISSING",
    "Refusal",
    "capitalize_first",
    "catalogue",
    "check_lang",
    "fmt_date",
    "fmt_estimate",
    "fmt_interval",
    "fmt_number",
    "fmt_percent",
    "fmt_quarter",
    "fmt_signed",
    "html_escape",
    "label",
    "md_escape",
    "missing",
    "plural",
    "problem_text",
    "show_table",
    "show_value",
    "translate_columns",
]
