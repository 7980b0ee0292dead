"""The ``effmuni`` command: thin argument parsing over the package's functions.

One module a subcommand; each has ``add_parser(subparsers)`` adding a parser whose
``func(args)`` returns the exit code. Bad data never produces a Python traceback: problems are
printed as readable lines and the exit code is 1. Usage errors exit with 2 (argparse's
convention).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from . import batch, maturity, refresh, sample, savings, template, validate
from ._common import fail

__all__ = ["build_parser", "main"]

#: the subcommands, in the order ``effmuni --help`` lists them
SUBCOMMANDS = (validate, sample, savings, maturity, refresh, batch, template)


def build_parser() -> argparse.ArgumentParser:
    """The ``effmuni`` argument parser with every subcommand."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="effmuni",
        description="Lean-project analysis toolkit for municipal government («Эффективный регион»).",
    )
    parser.add_argument("--version", action="version", version=f"effmuni {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in SUBCOMMANDS:
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (OSError, ValueError) as e:
        # bad input that slipped past validation must still read as a message, not a traceback
        if os.environ.get("EFFMUNI_DEBUG"):
            raise
        return fail(args.command, f"error: {e}")
