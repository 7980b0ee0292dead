"""``effmuni validate``: check a dataset and print a readable summary."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..text import label, translate_columns
from ._common import add_command, print_table

__all__ = ["add_parser"]


def _run(args: argparse.Namespace) -> int:
    from ..datasets import Dataset
    from ..validate import format_problem, validate

    lang = args.lang
    report = validate(Path(args.path), lang=lang)
    print(label("cli_val_dataset", lang, source=report.source))
    if not report.counts.empty:
        counts = report.counts.assign(
            table=[label(f"table_{t}", lang) for t in report.counts.table]
        )
        print_table(translate_columns(counts, lang))
    if report.ok:
        print("\n" + label("cli_val_summary", lang))
        summary = Dataset.from_report(report).summary(lang)
        width = max(24, 2 + int(summary["item"].str.len().max()))
        for item, value in summary.itertuples(index=False):
            print(f"  {item:<{width}}{value}")
    print()
    if report.ok:
        print(label("cli_val_no_errors", lang))
    else:
        print(report.describe_errors(limit=args.max_errors, lang=lang))
    if not report.warnings.empty:
        w = report.warnings
        print("\n" + label("cli_val_warnings", lang, n=len(w)))
        for r in w.head(args.max_errors).itertuples(index=False):
            print("  " + format_problem(r, lang))
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
        type=int,
        default=50,
        metavar="N",
        help=label("cli_validate_max_errors", lang),
    )
    p.set_defaults(func=_run)
