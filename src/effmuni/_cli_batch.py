"""``effmuni batch``: one report per municipality with papermill."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["register"]


def _run(args: argparse.Namespace) -> int:
    from .batch import parse_parameter, run_batch
    from .validate import DataError

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
        print(f"effmuni batch: the data has problems; fix them first:\n{e}", file=sys.stderr)
        return 1
    except (ValueError, FileNotFoundError) as e:
        print(f"effmuni batch: error: {e}", file=sys.stderr)
        return 2
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


def _refresh(args: argparse.Namespace) -> int:
    from .batch import refresh_notebook

    status = 0
    for nb in args.notebooks:
        try:
            refresh_notebook(nb, timeout=args.timeout)
            print(f"refreshed {nb}")
        except Exception as e:  # report every notebook, then fail
            first = str(e).strip().splitlines()
            print(
                f"{nb}: failed: {type(e).__name__}: {first[-1] if first else ''}", file=sys.stderr
            )
            status = 1
    return status


def register(subparsers) -> None:
    """Add the ``batch`` and ``refresh`` subcommands."""
    r = subparsers.add_parser(
        "refresh", help="re-execute notebooks in place so their stored outputs are current"
    )
    r.add_argument("notebooks", nargs="+", metavar="NOTEBOOK")
    r.add_argument("--timeout", type=float, default=600, help="seconds per cell (default 600)")
    r.set_defaults(func=_refresh)

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
