"""``effmuni analyse``: a partitioned dataset analysed once per region on a Dask cluster."""

from __future__ import annotations

import argparse

from ..text import fmt_number, label, translate_columns
from ._common import (
    add_command,
    bootstrap_resamples,
    error,
    fail,
    print_table,
    whole_number,
)

__all__ = ["add_parser"]

#: columns printed on screen (the full summary is ``OUT/regions.csv``)
_SHOWN = (
    "region_id",
    "status",
    "n_municipalities",
    "n_projects",
    "n_rejected",
    "seconds",
    "worker_peak_mb",
)


def _regions(value: str, lang: str) -> list[int]:
    try:
        ids = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        ids = []
    if not ids:
        raise argparse.ArgumentTypeError(label("cli_analyse_bad_regions", lang, value=value))
    return ids


def _run(args: argparse.Namespace) -> int:
    from ..analysis import AnalysisConfig
    from ..analysis.regions import analyse_regions, dataset_regions
    from ..datasets import resolve_path

    lang = args.lang
    path = resolve_path(args.path)
    found = dataset_regions(path)
    if not found:
        return fail("analyse", label("cli_analyse_not_partitioned", lang, path=args.path), code=2)
    unknown = sorted(set(args.regions or ()) - set(found))
    if unknown:
        return fail(
            "analyse",
            label(
                "cli_analyse_unknown_regions",
                lang,
                ids=", ".join(map(str, unknown)),
                known=", ".join(map(str, found)),
            ),
            code=2,
        )
    try:
        summary = analyse_regions(
            path,
            AnalysisConfig(n_boot=args.n_boot, seed=args.seed),
            output_dir=args.out,
            regions=args.regions,
            scheduler=args.scheduler,
            workers=args.workers,
            memory_limit=args.memory_limit,
            strict=not args.lenient,
            lang=lang,
        )
    except ValueError as e:  # an unreachable scheduler, a memory limit Dask cannot parse
        return error("analyse", e, lang, code=2)
    shown = summary[list(_SHOWN)].copy()
    shown["status"] = shown["status"].map(lambda s: label(f"status_{s}", lang))
    shown["seconds"] = shown["seconds"].round(1)
    shown["worker_peak_mb"] = shown["worker_peak_mb"].round(0)
    print_table(translate_columns(shown, lang), lang)
    for row in summary[summary["error"] != ""].itertuples():
        print(f"\n{label('region_id', lang)} {row.region_id}: {row.error}")
    budget = summary.attrs.get("memory_limit")
    counts = summary["status"].value_counts()
    print(
        "\n"
        + label(
            "cli_analyse_done",
            lang,
            n=len(summary),
            ok=counts.get("ok", 0),
            quarantined=counts.get("quarantined", 0),
            failed=counts.get("failed", 0),
            budget=label(
                "cli_analyse_budget", lang, gib=fmt_number(budget / 2**30, lang, digits=1)
            )
            if budget
            else label("cli_analyse_budget_unknown", lang),
            out=args.out,
        )
    )
    return 0 if counts.get("failed", 0) == 0 else 1


def add_parser(subparsers, lang: str = "ru") -> None:
    """Add the ``analyse`` subcommand."""
    L = lambda key: label(key, lang)  # noqa: E731
    p = add_command(subparsers, "analyse", lang)
    p.add_argument(  # required: the bundled sample is one region, not partitioned
        "path", metavar=L("cli_metavar_path"), help=L("cli_analyse_path")
    )
    p.add_argument("--out", required=True, metavar=L("cli_metavar_dir"), help=L("cli_analyse_out"))
    p.add_argument(
        "--regions",
        type=lambda value: _regions(value, lang),
        default=None,
        metavar="21,2",
        help=L("cli_analyse_regions"),
    )
    p.add_argument(
        "--scheduler", metavar=L("cli_metavar_address"), help=L("cli_analyse_scheduler")
    )
    p.add_argument(
        "--workers",
        type=whole_number(lang),
        default=2,
        metavar="N",
        help=L("cli_analyse_workers"),
    )
    p.add_argument(
        "--memory-limit", default="4GiB", metavar="4GiB", help=L("cli_analyse_memory_limit")
    )
    p.add_argument(
        "--n-boot",
        type=bootstrap_resamples(lang),
        default=2000,
        metavar="N",
        help=L("cli_analyse_n_boot"),
    )
    p.add_argument("--seed", type=int, default=0, help=L("cli_analyse_seed"))
    p.add_argument("--lenient", action="store_true", help=L("cli_analyse_lenient"))
    p.set_defaults(func=_run)
