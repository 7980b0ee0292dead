"""What the subcommands share: the language, common arguments, printing and error messages.

Every word the command line prints comes from the catalogue (:mod:`effmuni.text`), in Russian
by default and in English with ``--lang en`` (accepted before or after the command) or when the
locale says English (``LC_ALL``, ``LC_MESSAGES`` or ``LANG`` starting with ``en``). argparse's
own words (usage, errors, ``-h``) are worded from the catalogue's ``cli_ap_`` keys, whose English
is argparse's message.

Bad data never produces a Python traceback: problems are printed as readable lines and the
exit code is 1. Usage errors exit with 2 (argparse's convention).

``--lenient`` (``savings``, ``maturity``, ``effects``, ``batch``) runs on the accepted rows, as
``load_dataset(strict=False)`` does: the command says how many rows were left out and why
(grouped by file, column and problem) and writes them with their reasons to the quarantine
folder (``--quarantine``), as ``effmuni validate --quarantine`` does. It leaves out rows, not
tables: a table that cannot be read at all (a required header missing, say) still stops it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

import numpy as np
import pandas as pd

from ..text import LANGS, MISSING, Refusal, catalogue, fmt_number, label

T = TypeVar("T")


class HelpFormatter(argparse.HelpFormatter):
    """The help layout of every parser: each line of a description or epilog is wrapped on its
    own, and an indented line (an example command) is kept as written."""

    def _fill_text(self, text, width, indent):
        lines = []
        for line in text.splitlines():
            keep = line.startswith(" ") or not line
            lines.append(indent + line if keep else super()._fill_text(line, width, indent))
        return "\n".join(lines)


def locale_lang(environ=None) -> str:
    """``"en"`` when the locale says English (``LC_ALL``, ``LC_MESSAGES``, ``LANG``), else ``"ru"``.

    Examples
    --------
    >>> locale_lang({"LANG": "en_GB.UTF-8"}), locale_lang({"LANG": "C.UTF-8"}), locale_lang({})
    ('en', 'ru', 'ru')
    >>> locale_lang({"LC_ALL": "ru_RU.UTF-8", "LANG": "en_US.UTF-8"})
    'ru'
    """
    environ = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            return "en" if value.lower().startswith("en") else "ru"
    return "ru"


def requested_lang(argv: Sequence[str]) -> str | None:
    """The language given with ``--lang`` anywhere in ``argv`` (the last one wins), if valid."""
    found = None
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        value = None
        if arg == "--lang" and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith("--lang="):
            value = arg.split("=", 1)[1]
        if value in LANGS:
            found = value
    return found


def _argparse_words(lang: str) -> dict[str, str]:
    """argparse's English messages mapped to their wording in ``lang`` (``cli_ap_`` keys)."""
    return {
        entry["en"]: entry[lang] for key, entry in catalogue().items() if key.startswith("cli_ap_")
    }


@contextlib.contextmanager
def argparse_in(lang: str) -> Iterator[None]:
    """Within the block, argparse words its usage, help and errors in ``lang``.

    argparse looks its words up through ``gettext`` at the moment it uses them; the lookup is
    replaced for the block (and restored after it) by the catalogue's ``cli_ap_`` keys.
    """
    words = _argparse_words(lang)
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]

    def gettext(message):
        return words.get(message, message)

    def ngettext(singular, plural, n):
        return gettext(singular if n == 1 else plural)

    argparse._, argparse.ngettext = gettext, ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


def add_command(subparsers, name: str, lang: str) -> argparse.ArgumentParser:
    """Add the subcommand ``name`` with its help, description and examples from the catalogue."""
    p = subparsers.add_parser(
        name,
        help=label(f"cli_{name}_help", lang),
        description=label(f"cli_{name}_description", lang),
        epilog=label(f"cli_{name}_epilog", lang),
        formatter_class=HelpFormatter,
    )
    add_lang_argument(p, lang, default=argparse.SUPPRESS)
    return p


def add_dataset_argument(parser: argparse.ArgumentParser, lang: str) -> None:
    """The optional positional ``path`` of the analysis commands (default: the bundled sample)."""
    parser.add_argument(
        "path",
        nargs="?",
        default=None,
        metavar=label("cli_metavar_path", lang),
        help=label("cli_arg_dataset", lang),
    )


def add_lang_argument(parser: argparse.ArgumentParser, lang: str, *, default=None) -> None:
    """``--lang``: on the main parser (default ``None``: decided later) and on every command.

    A command's ``--lang`` defaults to :data:`argparse.SUPPRESS`, so a ``--lang`` given before
    the command is not overwritten by the command's default.
    """
    parser.add_argument("--lang", choices=LANGS, default=default, help=label("cli_opt_lang", lang))


def print_indented(text: str, indent: str = "  ") -> None:
    print("\n".join(indent + line for line in text.splitlines()))


def _decimals(values: list[float], most: int = 3) -> int:
    """The fewest decimals (up to ``most``) that show every one of ``values`` as it is."""
    for d in range(most + 1):
        if all(abs(v - round(v, d)) < 1e-9 * max(1.0, abs(v)) for v in values):
            return d
    return most


def shown_numbers(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``frame`` with its numbers as text written the way ``lang`` writes them.

    Decimal comma and thin-space thousands in Russian, «−» for a minus, as in the reports and
    notebooks; a column keeps the decimals its values already have (they are rounded before,
    to at most three), so ``24.4`` reads «24,4» and ``0.977`` «0,977». Whole numbers below
    10,000 (counts, years) are left as they are, yes/no are words; text and «—» are untouched.

    Examples
    --------
    >>> t = pd.DataFrame({"a": [24.4, -0.5], "n": [260, 12345], "s": ["x", "—"],
    ...                   "in": [True, False]})
    >>> shown_numbers(t, "ru").values.tolist()
    [['24,4', 260, 'x', 'да'], ['−0,5', '12\xa0345', '—', 'нет']]
    >>> shown_numbers(t, "en")["a"].tolist()
    ['24.4', '−0.5']
    """
    out = frame.astype(object).copy()
    for col in out.columns:
        values = out[col].tolist()
        floats = [
            float(v) for v in values if isinstance(v, float | np.floating) and np.isfinite(v)
        ]
        digits = _decimals(floats)

        def cell(v, digits=digits):
            if isinstance(v, bool | np.bool_):
                return label("yes" if v else "no", lang)
            if not isinstance(v, int | float | np.number):
                return v
            if isinstance(v, float | np.floating):
                return fmt_number(v, lang, digits=digits) if np.isfinite(v) else MISSING
            return fmt_number(v, lang) if abs(v) >= 10_000 else v

        out[col] = [cell(v) for v in values]
    return out


def print_table(frame: pd.DataFrame, lang: str | None = None, indent: str = "  ") -> None:
    """Print ``frame`` without its index, every line indented; numbers written the way
    ``lang`` writes them (:func:`shown_numbers`) when it is given."""
    if frame.empty and lang is not None:
        print_indented(label("cli_table_empty", lang), indent)
        return
    shown = frame if lang is None else shown_numbers(frame, lang)
    print_indented(shown.to_string(index=False), indent)


def print_written(written, lang: str) -> None:
    print(label("cli_wrote", lang, path=written))


def fail(command: str, message: str, code: int = 1) -> int:
    """Print ``effmuni COMMAND: MESSAGE`` to stderr; returns ``code``."""
    print(f"effmuni {command}: {message}", file=sys.stderr)
    return code


def _worded(e: Exception, lang: str) -> str:
    """``e`` in ``lang`` when it can be worded (a ``message(lang)`` method: data errors,
    refusals), else as it reads."""
    return e.message(lang) if callable(getattr(e, "message", None)) else str(e)


def error(command: str, e: Exception, lang: str, code: int = 1) -> int:
    """Report an error (``error: …``) in ``lang``; returns ``code``."""
    return fail(command, label("cli_error", lang, error=_worded(e, lang)), code)


def data_problems(command: str, e: Exception, lang: str) -> int:
    """Report a :class:`~effmuni.DataError` in ``lang``; returns the exit code 1."""
    return fail(command, label("cli_data_problems", lang, problems=_worded(e, lang)))


def _checked(
    lang: str, parse: Callable[[str], T], ok: Callable[[T], bool], key: str, **words
) -> Callable[[str], T]:
    """An argparse type: ``parse(value)`` when ``ok`` of it, else a usage error worded by the
    catalogue's ``key`` in ``lang`` (with ``value`` and ``words``)."""

    def convert(value: str) -> T:
        try:
            x = parse(value)
        except ValueError:
            x = None
        if x is None or not ok(x):
            raise argparse.ArgumentTypeError(label(key, lang, value=value, **words))
        return x

    return convert


def whole_number(lang: str, minimum: int = 1) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum``."""
    return _checked(lang, int, lambda n: n >= minimum, "cli_err_whole", minimum=minimum)


def positive_number(lang: str) -> Callable[[str], float]:
    """An argparse type: a finite number greater than 0 (seconds, say)."""
    return _checked(lang, float, lambda x: 0 < x < float("inf"), "cli_err_positive")


def output_file(lang: str, suffixes: Sequence[str] = (".xlsx", ".csv")) -> Callable[[str], str]:
    """An argparse type for ``--out``: a file name ending in one of ``suffixes`` (checked
    before anything is computed)."""
    return _checked(
        lang,
        str,
        lambda v: any(v.lower().endswith(s) for s in suffixes),
        "cli_err_output_file",
        suffixes=" / ".join(suffixes),
    )


def write_out(command: str, frames, out: str, lang: str) -> int:
    """Write ``frames`` to ``out`` (:func:`effmuni.excel.write_tables`), say where; 0, or 1
    with the reason in ``lang`` when the file cannot be written."""
    from ..excel import write_tables

    try:
        written = write_tables(frames, out, lang=lang)
    except (OSError, ValueError) as e:
        return fail(command, label("cli_cannot_write", lang, path=out, error=_worded(e, lang)))
    print_written(written, lang)
    return 0


def confidence_level(lang: str) -> Callable[[str], float]:
    """An argparse type for ``--confidence``: a number strictly between 0 and 1."""
    return _checked(lang, float, lambda c: 0 < c < 1, "cli_err_confidence")


def bootstrap_resamples(lang: str) -> Callable[[str], int]:
    """An argparse type for ``--n-boot``: 0 (no intervals) or at least 100 resamples, as
    :func:`~effmuni.estimate_savings` requires."""
    return _checked(lang, int, lambda n: n == 0 or n >= 100, "cli_err_n_boot")


def add_lenient_arguments(
    parser: argparse.ArgumentParser, lang: str, *, quarantine: str = "quarantine"
) -> None:
    """``--lenient`` and ``--quarantine DIR`` (default ``quarantine``, shown in the help)."""
    parser.add_argument("--lenient", action="store_true", help=label("cli_opt_lenient", lang))
    parser.add_argument(
        "--quarantine",
        default=None,
        metavar=label("cli_metavar_dir", lang),
        help=label("cli_opt_quarantine", lang, default=quarantine),
    )


def load_lenient(command: str, path, lang: str, quarantine) -> object | int:
    """Load the dataset at ``path`` keeping its accepted rows, and say what was left out.

    Prints how many rows were left out and why (grouped) and writes them, with their reasons,
    to ``quarantine``. Returns the dataset, or the exit code 1 when a table cannot be read at
    all (leaving out rows cannot make up for a table) or the data cannot be loaded.
    """
    from ..datasets import load_dataset
    from ..validate import DataError, grouped_lines

    try:
        dataset = load_dataset(path, strict=False, lang=lang)
    except DataError as e:
        return data_problems(command, e, lang)
    report = dataset.report
    if report.unusable:
        tables = ", ".join(label(f"table_{t}", lang) for t in report.unusable)
        problems = report.describe_errors(limit=20, lang=lang, grouped=True)
        return fail(command, label("cli_lenient_unusable", lang, tables=tables, problems=problems))
    left = int(report.counts["rows_rejected"].sum())
    if left:
        total = int(report.counts["rows_read"].sum())
        print(label("cli_lenient_left_out", lang, n=left, total=total))
        for line in grouped_lines(report.rows_left_out, lang, limit=20):
            print("  " + line)
        written = report.write_quarantine(quarantine)
        files = ", ".join(p.name for p in written)
        print(label("cli_lenient_quarantine", lang, dir=quarantine, files=files) + "\n")
    return dataset


def with_dataset(
    command: str,
    path,
    compute: Callable[[object], T],
    lang: str,
    *,
    lenient: bool = False,
    quarantine=None,
) -> tuple[object, T] | int:
    """Load the dataset at ``path`` and ``compute(dataset)``.

    With ``lenient`` the rejected rows are left out (:func:`load_lenient`, quarantine in
    ``quarantine``, default ``quarantine``); without it any rejected row stops the command,
    with a hint at ``--lenient``. Returns ``(dataset, result)``, or the exit code 1 after
    printing the problem when the data cannot be read or the computation rejects it (2 when
    it refuses the request, a :class:`~effmuni.text.Refusal`: ``--k`` larger than the data
    allow, say).
    """
    from ..datasets import load_dataset
    from ..validate import DataError

    try:
        if lenient:
            dataset = load_lenient(command, path, lang, quarantine or "quarantine")
            if isinstance(dataset, int):
                return dataset
        else:
            dataset = load_dataset(path)
        return dataset, compute(dataset)
    except DataError as e:
        code = data_problems(command, e, lang)
        if not lenient and e.report is not None:
            print(label("cli_hint_lenient", lang), file=sys.stderr)
        return code
    except Refusal as e:  # a request the data cannot answer (k too large, say): as usage
        return error(command, e, lang, code=2)
    except ValueError as e:
        return error(command, e, lang)
