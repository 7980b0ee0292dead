"""``effmuni savings``: time saved by lean projects, printed or exported to Excel/CSV."""

from __future__ import annotations

import argparse

import pandas as pd

from ..text import label
from ._common import (
    add_command,
    add_dataset_argument,
    add_lenient_arguments,
    bootstrap_resamples,
    confidence_level,
    output_file,
    print_table,
    with_dataset,
    write_out,
)

__all__ = ["add_parser", "savings_tables"]

#: the main table of each level (the one a CSV file holds), then the other sheets
_SHEETS = {
    "project": ("savings", "annual", "attainment"),
    "municipality": ("pooled", "annual", "attainment"),
    "region": ("pooled", "annual", "attainment"),
}
#: compact columns printed on screen
_SHOWN = {
    "savings": [
        "project_id",
        "municipality_id",
        "source",
        "n_before",
        "n_after",
        "reduction_pct",
        "reduction_pct_low",
        "reduction_pct_high",
        "work_saving_min",
        "caveats",
    ],
    "pooled": [
        "municipality_id",
        "method",
        "n_pooled",
        "reduction_pct",
        "reduction_pct_low",
        "reduction_pct_high",
        "i2",
        "note",
    ],
    "annual": [
        "municipality_id",
        "n_citizen",
        "citizen_days",
        "n_staff",
        "staff_hours",
        "staff_fte",
        "staff_fte_low",
        "staff_fte_high",
    ],
    "attainment": ["municipality_id", "n_assessed", "n_reached", "share_reached"],
    # per project
    "annual_project": [
        "project_id",
        "municipality_id",
        "annual_volume",
        "citizen_days",
        "staff_hours",
        "staff_fte",
        "included",
    ],
    "attainment_project": [
        "project_id",
        "municipality_id",
        "target_reduction_pct",
        "achieved_pct",
        "target_status",
    ],
}


def savings_tables(
    dataset,
    *,
    by: str = "project",
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
    include_regulation_baselines: bool = False,
) -> dict[str, pd.DataFrame]:
    """The tables of ``effmuni savings`` at one level (canonical column names).

    ``by="project"`` gives ``savings`` (:func:`effmuni.project_savings`), ``annual`` and
    ``attainment`` per project; ``"municipality"`` and ``"region"`` give ``pooled``,
    ``annual`` and ``attainment`` per municipality or for the whole region. The numbers come
    from :func:`effmuni.analyse`, like those of the report and the notebooks.
    """
    from ..analysis import AnalysisConfig, analyse
    from ..savings import reduction_pct

    config = AnalysisConfig(
        confidence=confidence,
        n_boot=n_boot,
        seed=seed,
        include_regulation_baselines=include_regulation_baselines,
    )
    tables = analyse(dataset, config).savings_tables(by)
    if by == "project":  # with the typical reduction, the figure of the reports and plots
        tables["savings"] = reduction_pct(
            tables["savings"].drop(
                columns=["start_date", "planned_end", "actual_end"], errors="ignore"
            )
        )
    return {name: tables[name] for name in _SHEETS[by]}


def _with_names(frame: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Put the municipality's name (column ``name``) right after ``municipality_id``."""
    if "municipality_id" not in frame.columns or "name" in frame.columns:
        return frame
    out = frame.copy()
    pos = out.columns.get_loc("municipality_id") + 1
    out.insert(pos, "name", out["municipality_id"].map(names).astype("string"))
    return out


def _run(args: argparse.Namespace) -> int:
    from ..plots.savings import municipality_names
    from ..savings import translate_table

    lang = args.lang
    outcome = with_dataset(
        "savings",
        args.path,
        lambda ds: savings_tables(
            ds,
            by=args.by,
            confidence=args.confidence,
            n_boot=args.n_boot,
            seed=args.seed,
            include_regulation_baselines=args.include_regulation_baselines,
        ),
        lang,
        lenient=args.lenient,
        quarantine=args.quarantine,
    )
    if isinstance(outcome, int):
        return outcome
    ds, tables = outcome
    names = municipality_names(ds, lang)
    if args.out:
        out = str(args.out)
        frames = {
            label(f"sheet_{name}", lang): translate_table(
                _with_names(frame, names), lang, headers=False
            )
            for name, frame in tables.items()
        }
        if out.lower().endswith(".csv"):
            frames = dict(list(frames.items())[:1])
        return write_out("savings", frames, out, lang)
    level = int(round(100 * args.confidence))
    print(label("cli_savings_ci", lang, level=level, n=args.n_boot, seed=args.seed))
    for name, frame in tables.items():
        shown_cols = _SHOWN.get(f"{name}_{args.by}", _SHOWN[name])
        cols = [c for c in shown_cols if c in frame.columns]
        shown = translate_table(frame[cols], lang, digits=1, names=names).astype(object)
        shown = shown.where(shown.notna(), "—")
        print("\n" + label(f"cli_savings_title_{name}", lang))
        print_table(shown, lang)
    if not args.include_regulation_baselines:
        print("\n" + label("cli_savings_left_out", lang))
    return 0


def add_parser(subparsers, lang: str) -> None:
    """Add the ``savings`` subcommand."""
    L = lambda key: label(key, lang)  # noqa: E731
    p = add_command(subparsers, "savings", lang)
    add_dataset_argument(p, lang)
    p.add_argument(
        "--by",
        choices=("project", "municipality", "region"),
        default="project",
        help=L("cli_savings_by"),
    )
    p.add_argument(
        "--out", type=output_file(lang), metavar=L("cli_metavar_file"), help=L("cli_savings_out")
    )
    p.add_argument(
        "--confidence", type=confidence_level(lang), default=0.95, help=L("cli_savings_confidence")
    )
    p.add_argument(
        "--n-boot",
        type=bootstrap_resamples(lang),
        default=2000,
        metavar="N",
        help=L("cli_savings_n_boot"),
    )
    p.add_argument("--seed", type=int, default=0, help=L("cli_savings_seed"))
    p.add_argument(
        "--include-regulation-baselines", action="store_true", help=L("cli_savings_regulation")
    )
    add_lenient_arguments(p, lang)
    p.set_defaults(func=_run)
