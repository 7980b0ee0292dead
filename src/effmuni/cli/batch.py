"""``effmuni batch``: one report per municipality with papermill."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..text import label, translate_columns
from ._common import add_command, data_problems, error

__all__ = ["add_parser"]


def _run(args: argparse.Namespace) -> int:
    from ..batch import parse_parameter, run_batch
    from ..validate import DataError

    lang = args.lang
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
        return data_problems("batch", e, lang)
    except (ValueError, FileNotFoundError) as e:
        return error("batch", e, lang, code=2)
    shown = summary[["municipality_id", "status", "seconds", "error"]].copy()
    shown["status"] = [label(f"status_{s}", lang) for s in shown["status"]]
    print(translate_columns(shown, lang).to_string(index=False))
    counts = summary["status"].value_counts().to_dict()
    done = {s: counts.get(s, 0) for s in ("ok", "failed", "skipped")}
    print("\n" + label("batch_counts", lang, **done))
    if args.html:
        print(label("cli_batch_index", lang, path=Path(args.output_dir) / "index.html"))
    print(label("cli_batch_summary", lang, path=Path(args.output_dir) / "summary.csv"))
    return 1 if (summary["status"] == "failed").any() else 0


def add_parser(subparsers, lang: str) -> None:
    """Add the ``batch`` subcommand."""
    L = lambda key: label(key, lang)  # noqa: E731
    p = add_command(subparsers, "batch", lang)
    p.add_argument("notebook", metavar=L("cli_metavar_notebook"), help=L("cli_batch_notebook"))
    p.add_argument(
        "--municipality",
        nargs="+",
        default=["all"],
        metavar=L("cli_metavar_id"),
        help=L("cli_batch_municipality"),
    )
    p.add_argument("--data", metavar=L("cli_metavar_path"), help=L("cli_batch_data"))
    p.add_argument(
        "--output-dir",
        default="reports",
        metavar=L("cli_metavar_dir"),
        help=L("cli_batch_output_dir"),
    )
    p.add_argument("--jobs", type=int, metavar="N", help=L("cli_batch_jobs"))
    p.add_argument(
        "-p",
        "--parameter",
        dest="parameters",
        nargs=2,
        action="append",
        metavar=(L("cli_metavar_name"), L("cli_metavar_value")),
        help=L("cli_batch_parameter"),
    )
    # the default is set below: given here, argparse would append an English "(default: True)"
    p.add_argument("--html", action=argparse.BooleanOptionalAction, help=L("cli_batch_html"))
    p.add_argument("--resume", action="store_true", help=L("cli_batch_resume"))
    p.add_argument(
        "--timeout", type=float, metavar=L("cli_metavar_seconds"), help=L("cli_batch_timeout")
    )
    p.add_argument("--scheduler", metavar=L("cli_metavar_address"), help=L("cli_batch_scheduler"))
    p.add_argument("--no-progress", action="store_true", help=L("cli_batch_no_progress"))
    p.set_defaults(func=_run, html=True)
