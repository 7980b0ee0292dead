"""``effmuni sample``: write the synthetic sample dataset."""

from __future__ import annotations

import argparse

__all__ = ["add_parser"]


def _run(args: argparse.Namespace) -> int:
    from ..synth import write_sample

    written = write_sample(args.out, seed=args.seed)
    print(f"Wrote {len(written)} files to {args.out} (seed {args.seed})")
    return 0


def add_parser(subparsers) -> None:
    """Add the ``sample`` subcommand."""
    p = subparsers.add_parser(
        "sample", help="write the synthetic sample dataset (reproducible from its seed)"
    )
    p.add_argument(
        "--seed", type=int, default=2023, help="random seed (default 2023, the bundled sample)"
    )
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write")
    p.set_defaults(func=_run)
