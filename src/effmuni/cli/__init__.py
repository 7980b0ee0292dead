"""The ``effmuni`` command: thin argument parsing over the package's functions.

One module a subcommand; each has ``add_parser(subparsers, lang)`` adding a parser whose
``func(args)`` returns the exit code. Everything printed — help, usage and argparse's errors
included — is worded from the catalogue, in Russian by default and in English with
``--lang en`` (before or after the command) or an English locale (see
:func:`~effmuni.cli._common.locale_lang`). Bad data never produces a Python traceback: problems
are printed as readable lines and the exit code is 1. Usage errors exit with 2 (argparse's
convention).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ..text import label
from . import analyse, batch, effects, maturity, refresh, sample, savings, template, validate
from ._common import (
    HelpFormatter,
    add_lang_argument,
    argparse_in,
    error,
    locale_lang,
    requested_lang,
)

__all__ = ["build_parser", "main"]

#: the subcommands, in the order ``effmuni --help`` lists them
SUBCOMMANDS = (validate, sample, savings, maturity, effects, analyse, refresh, batch, template)


def build_parser(lang: str = "ru") -> argparse.ArgumentParser:
    """The ``effmuni`` argument parser with every subcommand, its help worded in ``lang``.

    argparse's own words (usage, ``-h``) follow ``lang`` when the parser is built and used
    inside :func:`~effmuni.cli._common.argparse_in`, as :func:`main` does.
    """
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="effmuni",
        description=label("cli_description", lang),
        epilog=label("cli_epilog", lang),
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"effmuni {__version__}",
        help=label("cli_ap_version", lang),
    )
    add_lang_argument(parser, lang)
    sub = parser.add_subparsers(
        dest="command",
        required=True,
        title=label("cli_commands", lang),
        metavar=label("cli_metavar_command", lang),
    )
    for module in SUBCOMMANDS:
        module.add_parser(sub, lang)
    return parser


def _quiet_stdout() -> None:
    """Point standard output at /dev/null, so that flushing it at exit, after the reader of a
    pipe has gone, raises nothing (the recipe of Python's ``signal`` documentation)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no file descriptor (captured output): nothing to flush
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    lang = requested_lang(argv) or locale_lang()
    with argparse_in(lang):
        args = build_parser(lang).parse_args(argv)
    args.lang_given = requested_lang(argv) is not None  # said, not taken from the locale
    args.lang = args.lang or lang
    try:
        return args.func(args)
    except KeyboardInterrupt:  # Ctrl-C: the work stopped cleanly, no traceback
        print(label("cli_interrupted", args.lang), file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader stopped reading (``| head``): not an error of ours
        _quiet_stdout()
        return 141  # 128 + SIGPIPE, as the shell reports a program stopped by a closed pipe
    except (OSError, ValueError) as e:
        # bad input that slipped past validation must still read as a message, not a traceback
        if os.environ.get("EFFMUNI_DEBUG"):
            raise
        return error(args.command, e, args.lang)
