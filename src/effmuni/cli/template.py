"""``effmuni template``: write the empty .xlsx data-entry template."""

from __future__ import annotations

import argparse

from ..text import label
from ._common import add_command, output_file

__all__ = ["add_parser"]


def _run(args: argparse.Namespace) -> int:
    from ..excel import write_template

    path = write_template(args.out)
    print(label("cli_template_wrote", args.lang, path=path))
    return 0


def add_parser(subparsers, lang: str) -> None:
    """Add the ``template`` subcommand."""
    p = add_command(subparsers, "template", lang)
    p.add_argument(
        "--out",
        default="effmuni_template.xlsx",
        type=output_file(lang, (".xlsx",)),
        metavar=label("cli_metavar_xlsx", lang),
        help=label("cli_template_out", lang),
    )
    p.set_defaults(func=_run)
