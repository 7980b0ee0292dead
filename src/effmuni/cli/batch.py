"""``effmuni batch``: one report per municipality with papermill."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import data_problems, fail

__all__ = ["add_parser"]


def _run(args: argparse.Namespace) -> int:
    from ..batch import parse_parameter, run_batch
    from ..validate import DataError

    params = {name: parse_parameter(value) for name, value in args.parameters or []}
    try:
        summary = run_batch(
            args.notebook,
            municipalities=args.municipality,
            output_dir=args.output_dir,
            jobs=args.jobs,
            parameters=params,
            html=args.html,
            resume=args.resume,
            timeout=args.timeout,
            scheduler=args.scheduler,
            data=args.data,
            progress=not args.no_progress,
        )
    except DataError as e:
        return data_problems("batch", e)
    except (ValueError, FileNotFoundError) as e:
        return fail("batch", f"error: {e}", code=2)
    shown = summary[["municipality_id", "status", "seconds", "error"]]
    print(shown.to_string(index=False))
    counts = summary["status"].value_counts().to_dict()
    print(
        f"\n{counts.get('ok', 0)} ok, {counts.get('failed', 0)} failed, "
        f"{counts.get('skipped', 0)} skipped (unchanged)."
    )
    if args.html:
        print(f"Index: {Path(args.output_dir) / 'index.html'}")
    print(f"Summary: {Path(args.output_dir) / 'summary.csv'}")
    return 1 if (summary["status"] == "failed").any() else 0


def add_parser(subparsers) -> None:
    """Add the ``batch`` subcommand."""
    p = subparsers.add_parser(
        "batch",
        help="run a notebook once per municipality (papermill; parallel, resumable)",
        description="Run NOTEBOOK once per municipality with papermill and collect the reports.",
    )
    p.add_argument("notebook", help="the parameterised notebook (.ipynb)")
    p.add_argument(
        "--municipality",
        nargs="+",
        default=["all"],
        metavar="ID",
        help="'all' (default) or one or more municipality ids",
    )
    p.add_argument("--data", metavar="PATH", help="the dataset (default: the bundled sample)")
    p.add_argument("--output-dir", default="reports", metavar="DIR", help="default: reports")
    p.add_argument("--jobs", type=int, metavar="N", help="worker processes (default: cores)")
    p.add_argument(
        "-p",
        "--parameter",
        dest="parameters",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="notebook parameter; converted only when exact (500, 0.95, True), else kept as text",
    )
    p.add_argument(
        "--html",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="export HTML reports with code hidden and an index.html (default: on)",
    )
    p.add_argument(
        "--resume", action="store_true", help="skip municipalities whose reports are current"
    )
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="limit per municipality")
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler, e.g. tcp://host:8786")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_run)
