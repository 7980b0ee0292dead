"""``effmuni batch``: one report per municipality with papermill.

With ``--lenient`` the reports run on the accepted rows. The report notebook loads its dataset
strictly (``em.load_dataset(data_dir)``: it has no parameter for leniency), so the accepted
rows are written as a clean dataset folder, ``<output-dir>/accepted_data/`` (with the
source's ``dataset.json``), and the reports are run on that folder; the rows left out go to
``<output-dir>/quarantine/`` (or ``--quarantine``). Every report of the batch thus reads the
same rows, and a later ``--resume`` sees the folder unchanged when the data are.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..text import label, translate_columns
from ._common import (
    add_command,
    add_lenient_arguments,
    data_problems,
    error,
    load_lenient,
    positive_number,
    print_table,
    whole_number,
)

__all__ = ["accepted_data", "add_parser"]

#: the folder, under the output folder, of the accepted rows a lenient batch runs on
ACCEPTED_DIR = "accepted_data"


def accepted_data(dataset, directory) -> Path:
    """Write the accepted rows of a leniently loaded ``dataset`` as a dataset folder.

    The tables come from :meth:`~effmuni.ValidationReport.write_accepted`; the dataset's own
    description (``dataset.json``: the extract date, ...) is written beside them.
    """
    directory = Path(directory)
    dataset.report.write_accepted(directory)
    meta = directory / "dataset.json"
    if dataset.metadata:
        text = json.dumps(dataset.metadata, ensure_ascii=False, indent=2) + "\n"
        if not meta.is_file() or meta.read_text("utf-8") != text:
            meta.write_text(text, encoding="utf-8")
    else:
        meta.unlink(missing_ok=True)
    return directory


def _run(args: argparse.Namespace) -> int:
    from ..batch import parse_parameter, run_batch
    from ..datasets import resolve_path
    from ..validate import DataError

    lang = args.lang
    params = {name: parse_parameter(value) for name, value in args.parameters or []}
    if getattr(args, "lang_given", False):  # --lang en: the reports and pages too (-p lang wins)
        params.setdefault("lang", lang)
    data = args.data
    if args.lenient:
        source = resolve_path(data if data is not None else params.get("data_dir"))
        quarantine = args.quarantine or str(Path(args.output_dir) / "quarantine")
        dataset = load_lenient("batch", source, lang, quarantine)
        if isinstance(dataset, int):
            return dataset
        if int(dataset.report.counts["rows_rejected"].sum()):
            data = accepted_data(dataset, Path(args.output_dir) / ACCEPTED_DIR)
            params.pop("data_dir", None)
            print(label("cli_batch_accepted_data", lang, dir=data) + "\n")
    try:
        summary = run_batch(
            args.notebook,
            municipalities=args.municipality or ["all"],
            output_dir=args.output_dir,
            jobs=args.jobs,
            parameters=params,
            html=args.html,
            resume=args.resume,
            timeout=args.timeout,
            scheduler=args.scheduler,
            data=data,
            analysis_dir=args.analysis,
            warm_kernels=not args.fresh_kernels,
            progress=not args.no_progress,
        )
    except DataError as e:
        code = data_problems("batch", e, lang)
        if e.report is not None and not args.lenient:
            print(label("cli_hint_lenient", lang), file=sys.stderr)
        return code
    except (ValueError, FileNotFoundError) as e:
        return error("batch", e, lang, code=2)
    shown = summary[["municipality_id", "status", "seconds", "error"]].copy()
    shown["status"] = [label(f"status_{s}", lang) for s in shown["status"]]
    print_table(translate_columns(shown, lang), lang, indent="")
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
        action="extend",  # given twice, both lists count
        default=None,
        metavar=L("cli_metavar_id"),
        help=L("cli_batch_municipality"),
    )
    source = p.add_mutually_exclusive_group()  # the data, or the analysis computed from it
    source.add_argument("--data", metavar=L("cli_metavar_path"), help=L("cli_batch_data"))
    source.add_argument("--analysis", metavar=L("cli_metavar_dir"), help=L("cli_batch_analysis"))
    p.add_argument(
        "--output-dir",
        default="reports",
        metavar=L("cli_metavar_dir"),
        help=L("cli_batch_output_dir"),
    )
    p.add_argument("--jobs", type=whole_number(lang), metavar="N", help=L("cli_batch_jobs"))
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
        "--timeout",
        type=positive_number(lang),
        metavar=L("cli_metavar_seconds"),
        help=L("cli_batch_timeout"),
    )
    p.add_argument("--scheduler", metavar=L("cli_metavar_address"), help=L("cli_batch_scheduler"))
    p.add_argument("--fresh-kernels", action="store_true", help=L("cli_batch_fresh_kernels"))
    p.add_argument("--no-progress", action="store_true", help=L("cli_batch_no_progress"))
    add_lenient_arguments(p, lang, quarantine="<--output-dir>/quarantine")
    p.set_defaults(func=_run, html=True)
