"""What the subcommands share: common arguments, printing and turning errors into messages.

Bad data never produces a Python traceback: problems are printed as readable lines and the
exit code is 1. Usage errors exit with 2 (argparse's convention).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TypeVar

import pandas as pd

T = TypeVar("T")


def add_dataset_argument(parser: argparse.ArgumentParser) -> None:
    """The optional positional ``path`` of the analysis commands (default: the bundled sample)."""
    parser.add_argument(
        "path",
        nargs="?",
        default=None,
        help="a folder of tables or one .xlsx workbook (default: the bundled sample)",
    )


def add_lang_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lang", choices=("ru", "en"), default="ru", help="language (default: ru)"
    )


def print_indented(text: str, indent: str = "  ") -> None:
    print("\n".join(indent + line for line in text.splitlines()))


def print_table(frame: pd.DataFrame, indent: str = "  ") -> None:
    """Print ``frame`` without its index, every line indented."""
    print_indented(frame.to_string(index=False), indent)


def print_written(written, lang: str) -> None:
    print(f"{'Записано' if lang == 'ru' else 'Wrote'}: {written}")


def fail(command: str, message: str, code: int = 1) -> int:
    """Print ``effmuni COMMAND: MESSAGE`` to stderr; returns ``code``."""
    print(f"effmuni {command}: {message}", file=sys.stderr)
    return code


def data_problems(command: str, error: Exception) -> int:
    """Report a :class:`~effmuni.validate.DataError`; returns the exit code 1."""
    return fail(command, f"the data has problems; fix them first:\n{error}")


def with_dataset(command: str, path, compute: Callable[[object], T]) -> tuple[object, T] | int:
    """Load the dataset at ``path`` and ``compute(dataset)``.

    Returns ``(dataset, result)``, or the exit code 1 after printing the problem when the data
    cannot be read or the computation rejects it.
    """
    from ..datasets import load_dataset
    from ..validate import DataError

    try:
        dataset = load_dataset(path)
        return dataset, compute(dataset)
    except DataError as e:
        return data_problems(command, e)
    except ValueError as e:
        return fail(command, f"error: {e}")
