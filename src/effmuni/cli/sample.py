"""``effmuni sample``: write the synthetic sample dataset (regional CSV or federal Parquet)."""

from __future__ import annotations

import argparse
import time

from ..text import fmt_number, label
from ._common import add_command, whole_number

__all__ = ["add_parser"]


#: the tables whose row counts the federal sample's summary line gives
_COUNTED = ("municipalities", "projects", "cases", "service_stats")


def _run(args: argparse.Namespace) -> int:
    if args.scale == "federal":
        from ..synth import write_federal

        began = time.perf_counter()
        summary = write_federal(
            args.out, seed=args.seed, regions=args.regions, workers=args.workers
        )
        seconds = time.perf_counter() - began
        rows, lang = summary["rows"], args.lang
        size = sum(p.stat().st_size for p in summary["files"])
        print(
            label(
                "cli_sample_wrote_federal",
                lang,
                regions=len(summary["regions"]),
                **{t: fmt_number(rows[t], lang) for t in _COUNTED},
                n=len(summary["files"]),
                size_mb=fmt_number(size / 2**20, lang, digits=1),
                out=args.out,
                seed=args.seed,
                seconds=fmt_number(seconds, lang, digits=1),
            )
        )
        return 0
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
    p.add_argument(
        "--scale",
        choices=("regional", "federal"),
        default="regional",
        help=label("cli_sample_scale", lang),
    )
    p.add_argument(
        "--regions",
        type=whole_number(lang),
        default=None,
        metavar="N",
        help=label("cli_sample_regions", lang),
    )
    p.add_argument(
        "--workers",
        type=whole_number(lang),
        default=2,
        metavar="N",
        help=label("cli_sample_workers", lang),
    )
    p.set_defaults(func=_run)
