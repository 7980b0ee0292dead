"""``effmuni template``: write the empty .xlsx data-entry template."""

from __future__ import annotations

import argparse

__all__ = ["add_parser"]


def _run(args: argparse.Namespace) -> int:
    from ..excel import write_template

    path = write_template(args.out)
    print(f"Wrote the empty data-entry workbook to {path}")
    return 0


def add_parser(subparsers) -> None:
    """Add the ``template`` subcommand."""
    p = subparsers.add_parser(
        "template", help="write the empty .xlsx data-entry template (Russian headers)"
    )
    p.add_argument("--out", default="effmuni_template.xlsx", metavar="FILE.xlsx")
    p.set_defaults(func=_run)
