"""``effmuni refresh``: re-execute notebooks in place so their stored outputs are current."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..text import label
from ._common import add_command, fail, positive_number

__all__ = ["add_parser"]


def _run(args: argparse.Namespace) -> int:
    from ..batch import refresh_notebook

    missing = [nb for nb in args.notebooks if not Path(nb).is_file()]
    if missing:  # refused before any notebook runs
        words = "; ".join(label("batch_err_no_notebook", args.lang, path=nb) for nb in missing)
        return fail("refresh", label("cli_error", args.lang, error=words), code=2)
    status = 0
    for nb in args.notebooks:
        try:
            refresh_notebook(nb, timeout=args.timeout)
            print(label("cli_refreshed", args.lang, notebook=nb))
        except Exception as e:  # report every notebook, then fail
            first = str(e).strip().splitlines()
            message = first[-1] if first else ""
            failed = label(
                "cli_refresh_failed",
                args.lang,
                notebook=nb,
                kind=type(e).__name__,
                message=message,
            )
            print(failed, file=sys.stderr)
            status = 1
    return status


def add_parser(subparsers, lang: str) -> None:
    """Add the ``refresh`` subcommand."""
    p = add_command(subparsers, "refresh", lang)
    p.add_argument(
        "notebooks",
        nargs="+",
        metavar=label("cli_metavar_notebook", lang),
        help=label("cli_refresh_notebooks", lang),
    )
    p.add_argument(
        "--timeout",
        type=positive_number(lang),
        default=600,
        metavar=label("cli_metavar_seconds", lang),
        help=label("cli_refresh_timeout", lang),
    )
    p.set_defaults(func=_run)
