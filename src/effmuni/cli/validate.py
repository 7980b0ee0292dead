"""``effmuni validate``: check a dataset and print a readable summary.

Problems are printed grouped by file, column and problem: one line a kind, with its number of
rows and its first rows, at most ``--max-errors`` kinds (default 20); every rejected row with
its reasons goes to the quarantine files (``--quarantine``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..text import label, translate_columns
from ._common import add_command, print_table, whole_number

__all__ = ["add_parser"]


def _run(args: argparse.Namespace) -> int:
    from ..analysis.regions import dataset_regions
    from ..datasets import Dataset
    from ..validate import grouped_lines, validate

    lang = args.lang
    # a dataset partitioned by region is checked region by region without keeping its rows
    regions = dataset_regions(args.path)
    report = validate(Path(args.path), lang=lang, keep_tables=not regions)
    print(label("cli_val_dataset", lang, source=report.source))
    if not report.counts.empty:
        counts = report.counts.assign(
            table=[label(f"table_{t}", lang) for t in report.counts.table]
        )
        print_table(translate_columns(counts, lang), lang)
    if report.ok and regions:
        print("\n" + label("cli_val_partitioned", lang, n=len(regions)))
    elif report.ok:
        print("\n" + label("cli_val_summary", lang))
        summary = Dataset.from_report(report).summary(lang)
        width = max(24, 2 + int(summary["item"].str.len().max()))
        for item, value in summary.itertuples(index=False):
            print(f"  {item:<{width}}{value}")
    print()
    if report.ok and int(report.counts["rows_read"].sum() if len(report.counts) else 0) == 0:
        print(label("cli_val_empty", lang))  # valid, but nothing to analyse yet
    elif report.ok:
        print(label("cli_val_no_errors", lang))
    else:
        print(report.describe_errors(limit=args.max_errors, lang=lang, grouped=True))
    if not report.warnings.empty:
        w = report.warnings
        print("\n" + label("cli_val_warnings", lang, n=len(w)))
        for line in grouped_lines(w, lang, limit=args.max_errors):
            print("  " + line)
    if args.quarantine and not report.ok:
        written = report.write_quarantine(args.quarantine)
        if written:
            files = ", ".join(p.name for p in written)
            print("\n" + label("cli_val_quarantine", lang, dir=args.quarantine, files=files))
    return 0 if report.ok else 1


def add_parser(subparsers, lang: str) -> None:
    """Add the ``validate`` subcommand."""
    p = add_command(subparsers, "validate", lang)
    p.add_argument(
        "path", metavar=label("cli_metavar_path", lang), help=label("cli_validate_path", lang)
    )
    p.add_argument(
        "--quarantine",
        metavar=label("cli_metavar_dir", lang),
        help=label("cli_validate_quarantine", lang),
    )
    p.add_argument(
        "--max-errors",
        type=whole_number(lang),
        default=20,
        metavar="N",
        help=label("cli_validate_max_groups", lang),
    )
    p.set_defaults(func=_run)
