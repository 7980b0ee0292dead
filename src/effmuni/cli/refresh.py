"""``effmuni refresh``: re-execute notebooks in place so their stored outputs are current."""

from __future__ import annotations

import argparse
import sys

__all__ = ["add_parser"]


def _run(args: argparse.Namespace) -> int:
    from ..batch import refresh_notebook

    status = 0
    for nb in args.notebooks:
        try:
            refresh_notebook(nb, timeout=args.timeout)
            print(f"refreshed {nb}")
        except Exception as e:  # report every notebook, then fail
            first = str(e).strip().splitlines()
            print(
                f"{nb}: failed: {type(e).__name__}: {first[-1] if first else ''}", file=sys.stderr
            )
            status = 1
    return status


def add_parser(subparsers) -> None:
    """Add the ``refresh`` subcommand."""
    p = subparsers.add_parser(
        "refresh", help="re-execute notebooks in place so their stored outputs are current"
    )
    p.add_argument("notebooks", nargs="+", metavar="NOTEBOOK")
    p.add_argument("--timeout", type=float, default=600, help="seconds per cell (default 600)")
    p.set_defaults(func=_run)
