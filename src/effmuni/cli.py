"""The ``effmuni`` command: thin argument parsing over the package's functions.

Bad data never produces a Python traceback: problems are printed as readable lines and the
exit code is 1. Usage errors exit with 2 (argparse's convention).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

__all__ = ["main"]

#: modules that add subcommands: each has ``register(subparsers)`` adding a parser whose
#: ``func(args)`` returns the exit code
_SUBCOMMAND_MODULES = ("_cli_savings", "_cli_maturity", "_cli_batch")


def _print_table(frame: pd.DataFrame, indent: str = "  ") -> None:
    text = frame.to_string(index=False)
    print("\n".join(indent + line for line in text.splitlines()))


def _cmd_validate(args: argparse.Namespace) -> int:
    from .datasets import Dataset
    from .validate import format_problem, validate

    path = Path(args.path)
    report = validate(path)
    print(f"Dataset: {report.source}")
    if not report.counts.empty:
        counts = report.counts.rename(
            columns={"rows_read": "read", "rows_accepted": "accepted", "rows_rejected": "rejected"}
        )
        _print_table(counts)
    if report.ok:
        print("\nSummary")
        for item, value in Dataset.from_report(report).summary().itertuples(index=False):
            print(f"  {item:<24}{value}")
    print()
    if report.ok:
        print("No errors found.")
    else:
        print(report.describe_errors(limit=args.max_errors))
    if not report.warnings.empty:
        w = report.warnings
        print(f"\nWarnings ({len(w)}):")
        for r in w.head(args.max_errors).itertuples(index=False):
            print("  " + format_problem(r))
    if args.quarantine and not report.ok:
        written = report.write_quarantine(args.quarantine)
        if written:
            print(
                f"\nRejected rows written to {args.quarantine}/ ({', '.join(p.name for p in written)})"
            )
    return 0 if report.ok else 1


def _cmd_sample(args: argparse.Namespace) -> int:
    from .synth import write_sample

    written = write_sample(args.out, seed=args.seed)
    print(f"Wrote {len(written)} files to {args.out} (seed {args.seed})")
    return 0


def _cmd_template(args: argparse.Namespace) -> int:
    from .excel import write_template

    path = write_template(args.out)
    print(f"Wrote the empty data-entry workbook to {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="effmuni",
        description="Lean-project analysis toolkit for municipal government («Эффективный регион»).",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"effmuni {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check a dataset and print a readable summary")
    p.add_argument("path", help="a folder of CSV/Parquet tables or one .xlsx workbook")
    p.add_argument("--quarantine", metavar="DIR", help="write rejected rows with reasons to DIR")
    p.add_argument(
        "--max-errors", type=int, default=50, metavar="N", help="print at most N problems"
    )
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser(
        "sample", help="write the synthetic sample dataset (reproducible from its seed)"
    )
    p.add_argument(
        "--seed", type=int, default=2023, help="random seed (default 2023, the bundled sample)"
    )
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write")
    p.set_defaults(func=_cmd_sample)

    for name in _SUBCOMMAND_MODULES:
        if importlib.util.find_spec(f"effmuni.{name}") is not None:
            importlib.import_module(f"effmuni.{name}").register(sub)

    p = sub.add_parser(
        "template", help="write the empty .xlsx data-entry template (Russian headers)"
    )
    p.add_argument("--out", default="effmuni_template.xlsx", metavar="FILE.xlsx")
    p.set_defaults(func=_cmd_template)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (OSError, ValueError) as e:
        # bad input that slipped past validation must still read as a message, not a traceback
        if os.environ.get("EFFMUNI_DEBUG"):
            raise
        print(f"effmuni {args.command}: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
