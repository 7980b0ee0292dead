"""``effmuni maturity``: lean-maturity levels of municipalities, printed or exported."""

from __future__ import annotations

import argparse

import pandas as pd

from ._common import (
    add_dataset_argument,
    add_lang_argument,
    print_indented,
    print_written,
    with_dataset,
)

__all__ = ["add_parser", "maturity_tables"]


def _k(value: str) -> int | str:
    if value == "auto":
        return value
    try:
        k = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--k must be 'auto' or a whole number, not {value!r}"
        ) from None
    if k < 2:
        raise argparse.ArgumentTypeError("--k must be at least 2")
    return k


def _date(value: str) -> str:
    try:
        pd.Timestamp(value)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(
            f"--as-of must be a date such as 2024-12-31, not {value!r}"
        ) from None
    return value


def maturity_tables(
    dataset, *, k="auto", method="ward", seed=0, as_of=None, lang="ru"
) -> dict[str, pd.DataFrame]:
    """The export tables of ``effmuni maturity`` (also handy in a notebook).

    Returns a dict of tidy frames with canonical column names: ``summary``, ``levels``,
    ``profiles``, ``features``, ``index comparison`` and ``crosstab``.
    """
    from ..analysis import AnalysisConfig, analyse
    from ..text import label

    config = AnalysisConfig(k=k, method=method, seed=seed, as_of=as_of)
    analysis = analyse(dataset, config)  # the numbers of the report and notebook 03 too
    features, context = analysis.features, analysis.context
    result, cmp = analysis.maturity, analysis.comparison
    if result is None:
        raise ValueError("; ".join(analysis.notes))
    index = analysis.index.copy()
    index["index_level_name"] = [
        label(f"maturity_index_level_{lv}", lang) for lv in index["index_level"]
    ]
    names = result.level_names(lang)
    levels = result.level_table(context, lang=lang).join(
        index[["index_score", "index_level", "index_level_name", "capped"]]
    )
    profiles = result.profiles.copy()
    profiles.insert(0, "n_municipalities", result.sizes)
    profiles.insert(0, "level_name", names)
    feats = features.copy()
    feats.insert(0, "level", result.levels)
    feats.insert(0, "name", levels["name"])
    feats = feats.loc[levels.index]
    comparison = cmp.table.copy()
    comparison.insert(0, "name", levels["name"])
    comparison = comparison.loc[levels.index]
    crosstab = cmp.crosstab.copy()
    crosstab.index = [f"{lv}. {names[lv]}" for lv in crosstab.index]
    crosstab.columns = [
        f"{c}. {label(f'maturity_index_level_{c}', lang)}" for c in crosstab.columns
    ]
    crosstab.index.name = "level_name"
    ru = lang == "ru"
    summary = pd.concat(
        [
            result.summary(lang),
            pd.DataFrame(
                [
                    (
                        "Спирмен: группы и индекс" if ru else "Spearman: groups vs index",
                        f"{cmp.spearman_levels:.2f}",
                    ),
                    (
                        "Спирмен: сводный балл и балл индекса"
                        if ru
                        else "Spearman: composite vs index score",
                        f"{cmp.spearman_scores:.2f}",
                    ),
                    (
                        "Расчётная дата" if ru else "Reference date",
                        str(as_of) if as_of else ("все данные" if ru else "all data"),
                    ),
                ],
                columns=["item", "value"],
            ),
        ],
        ignore_index=True,
    )
    return {
        "summary": summary,
        "levels": levels,
        "profiles": profiles,
        "features": feats,
        "index comparison": comparison,
        "crosstab": crosstab,
    }


def _print(title: str, frame: pd.DataFrame, lang: str) -> None:
    from ..text import translate_columns

    print(f"\n{title}")
    # the index becomes a column first: headers are translated on columns only
    print_indented(translate_columns(frame.reset_index(), lang).to_string(index=False))


def _run(args: argparse.Namespace) -> int:
    from ..excel import write_tables

    outcome = with_dataset(
        "maturity",
        args.path,
        lambda ds: maturity_tables(
            ds, k=args.k, method=args.method, seed=args.seed, as_of=args.as_of, lang=args.lang
        ),
    )
    if isinstance(outcome, int):
        return outcome
    _, tables = outcome
    ru = args.lang == "ru"
    if args.out:
        out = str(args.out)
        if out.lower().endswith(".csv"):
            written = write_tables(tables["levels"].reset_index(), out, lang=args.lang)
        else:
            frames = {
                "summary": tables["summary"],
                "levels": tables["levels"].reset_index(),
                "profiles": tables["profiles"].reset_index(),
                "features": tables["features"].reset_index(),
                "index comparison": tables["index comparison"].reset_index(),
                "crosstab": tables["crosstab"].reset_index(),
            }
            written = write_tables(frames, out, lang=args.lang)
        print_written(written, args.lang)
        return 0
    for item, value in tables["summary"].itertuples(index=False):
        print(f"{item:<40}{value}")
    shown = tables["levels"].drop(columns=["kind", "population"], errors="ignore")
    _print(
        "Группы муниципалитетов" if ru else "Groups of municipalities",
        shown.round({"maturity_score": 2, "silhouette": 2, "index_score": 0, "probability": 2}),
        args.lang,
    )
    from ..text import label

    prof = tables["profiles"]
    prof_t = prof.drop(columns=["level_name", "n_municipalities"]).T.round(2)
    prof_t.columns = [f"{lv}. {prof.loc[lv, 'level_name']}" for lv in prof.index]
    prof_t.index = [label(str(f), args.lang) for f in prof_t.index]
    prof_t.index.name = "feature"
    _print("Профили групп (средние)" if ru else "Group profiles (means)", prof_t, args.lang)
    _print(
        "Группы и правило (число муниципалитетов)" if ru else "Groups vs the rule (counts)",
        tables["crosstab"],
        args.lang,
    )
    n = len(tables["levels"])
    print(
        f"\nМуниципалитетов всего {n}: читайте уровни как группы, а не как рейтинг."
        if ru
        else f"\nOnly {n} municipalities: read levels as groups, not as a ranking."
    )
    return 0


def add_parser(subparsers) -> None:
    """Add the ``maturity`` subcommand."""
    p = subparsers.add_parser(
        "maturity",
        help="group municipalities by lean maturity (features, clustering, rule-based index)",
        description=(
            "Compute lean-maturity features, cluster municipalities into levels and compare "
            "them with the rule-based index. Prints a table, or writes .xlsx/.csv with --out."
        ),
    )
    add_dataset_argument(p)
    p.add_argument(
        "--k", type=_k, default="auto", help="number of levels, or 'auto' (default: auto)"
    )
    p.add_argument(
        "--method",
        choices=("ward", "kmeans", "gmm"),
        default="ward",
        help="clusterer (default: ward)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of every random step (default 0)")
    p.add_argument(
        "--as-of",
        type=_date,
        default=None,
        metavar="DATE",
        help="reference date, e.g. 2025-12-31 (default: all the data)",
    )
    add_lang_argument(p)
    p.add_argument(
        "--out",
        metavar="FILE",
        help="write FILE.xlsx (sheets: summary, levels, profiles, features, index comparison, "
        "crosstab) or FILE.csv (the levels table)",
    )
    p.set_defaults(func=_run)
