"""``effmuni sample``: write the synthetic sample dataset."""

from __future__ import annotations

import argparse

from ..text import label
from ._common import add_command

__all__ = ["add_parser"]


def _run(args: argparse.Namespace) -> int:
    from ..synth import write_sample

    written = write_sample(args.out, seed=args.seed)
    print(label("cli_sample_wrote", args.lang, n=len(written), out=args.out, seed=args.seed))
    return 0


def add_parser(subparsers, lang: str) -> None:
    """Add the ``sample`` subcommand."""
    p = add_command(subparsers, "sample", lang)
    p.add_argument("--seed", type=int, default=2023, help=label("cli_sample_seed", lang))
    p.add_argument(
        "--out",
        required=True,
        metavar=label("cli_metavar_dir", lang),
        help=label("cli_sample_out", lang),
    )
    p.set_defaults(func=_run)
