"""``effmuni validate``: check a dataset and print a readable summary."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import print_table

__all__ = ["add_parser"]


def _run(args: argparse.Namespace) -> int:
    from ..datasets import Dataset
    from ..validate import format_problem, validate

    path = Path(args.path)
    report = validate(path)
    print(f"Dataset: {report.source}")
    if not report.counts.empty:
        counts = report.counts.rename(
            columns={"rows_read": "read", "rows_accepted": "accepted", "rows_rejected": "rejected"}
        )
        print_table(counts)
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


def add_parser(subparsers) -> None:
    """Add the ``validate`` subcommand."""
    p = subparsers.add_parser("validate", help="check a dataset and print a readable summary")
    p.add_argument("path", help="a folder of CSV/Parquet tables or one .xlsx workbook")
    p.add_argument("--quarantine", metavar="DIR", help="write rejected rows with reasons to DIR")
    p.add_argument(
        "--max-errors", type=int, default=50, metavar="N", help="print at most N problems"
    )
    p.set_defaults(func=_run)
