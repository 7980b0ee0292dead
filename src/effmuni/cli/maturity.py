"""``effmuni maturity``: lean-maturity levels of municipalities, printed or exported."""

from __future__ import annotations

import argparse

import pandas as pd

from ..text import fmt_number, label, show_table
from ._common import (
    add_command,
    add_dataset_argument,
    add_lenient_arguments,
    output_file,
    print_table,
    with_dataset,
    write_out,
)

__all__ = ["add_parser", "maturity_tables"]


def _k(lang: str):
    def k(value: str) -> int | str:
        if value == "auto":
            return value
        try:
            k = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(label("cli_err_k", lang, value=value)) from None
        if k < 2:
            raise argparse.ArgumentTypeError(label("cli_err_k_min", lang))
        return k

    return k


def _date(lang: str):
    def date(value: str) -> str:
        try:
            pd.Timestamp(value)
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(label("cli_err_as_of", lang, value=value)) from None
        return value

    return date


def maturity_tables(
    dataset, *, k="auto", method="ward", seed=0, as_of=None, lang="ru"
) -> dict[str, pd.DataFrame]:
    """The export tables of ``effmuni maturity`` (also handy in a notebook).

    Returns a dict of tidy frames with canonical column names: ``summary``, ``levels``,
    ``profiles``, ``features``, ``index comparison``, ``crosstab`` and ``missing`` (one row
    per municipality and feature without data: the regional median the grouping used in its
    place; the index leaves the feature out).
    """
    from ..analysis import AnalysisConfig, analyse

    config = AnalysisConfig(k=k, method=method, seed=seed, as_of=as_of)
    analysis = analyse(dataset, config)  # the numbers of the report and notebook 03 too
    features, context = analysis.features, analysis.context
    result, cmp = analysis.maturity, analysis.comparison
    if result is None:  # not groupable: the clustering's own refusal, in the reader's words
        from ..maturity import cluster_maturity

        cluster_maturity(features, k=k, method=method, seed=seed, n_boot=0, null_n_boot=0)
        raise ValueError("; ".join(analysis.notes))
    index = analysis.index.copy()
    index["index_level_name"] = [
        label(f"maturity_index_level_{lv}", lang) for lv in index["index_level"]
    ]
    names = result.level_names(lang)
    levels = (
        result.level_table(context, lang=lang)
        .join(analysis.scores[["maturity_score_low", "maturity_score_high"]])
        .join(
            index[
                [
                    "index_score",
                    "index_level",
                    "index_level_name",
                    "index_level_uncapped",
                    "index_cap_level",
                    "capped",
                ]
            ]
        )
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
    summary = pd.concat(
        [
            result.summary(lang),
            pd.DataFrame(
                [
                    (
                        label("cli_mat_spearman_levels", lang),
                        fmt_number(cmp.spearman_levels, lang, digits=2),
                    ),
                    (
                        label("cli_mat_spearman_scores", lang),
                        fmt_number(cmp.spearman_scores, lang, digits=2),
                    ),
                    (
                        label("cli_mat_as_of", lang),
                        str(as_of) if as_of else label("cli_mat_all_data", lang),
                    ),
                ],
                columns=["item", "value"],
            ),
        ],
        ignore_index=True,
    )
    summary.attrs["null_pvalue"] = float(getattr(result, "null_pvalue", float("nan")))
    return {
        "summary": summary,
        "levels": levels,
        "profiles": profiles,
        "features": feats,
        "index comparison": comparison,
        "crosstab": crosstab,
        "missing": _missing(features, levels["name"], lang),
    }


def _missing(features: pd.DataFrame, names: pd.Series, lang: str) -> pd.DataFrame:
    """Each municipality × feature without data, and the regional median used in its place."""
    cells = features.isna()
    rows = [
        (m, names.get(m, m), label(f, lang), features[f].median())
        for f in features.columns
        for m in features.index[cells[f].to_numpy()]
    ]
    return pd.DataFrame(rows, columns=["municipality_id", "name", "feature", "imputed_with"])


def _print(title: str, frame: pd.DataFrame, lang: str) -> None:
    print(f"\n{title}")
    # the index becomes a column first; words, yes/no and gaps («—») in the language
    print_table(show_table(frame.reset_index(), lang), lang)


def _run(args: argparse.Namespace) -> int:
    lang = args.lang
    outcome = with_dataset(
        "maturity",
        args.path,
        lambda ds: maturity_tables(
            ds, k=args.k, method=args.method, seed=args.seed, as_of=args.as_of, lang=lang
        ),
        lang,
        lenient=args.lenient,
        quarantine=args.quarantine,
    )
    if isinstance(outcome, int):
        return outcome
    _, tables = outcome
    if args.out:
        out = str(args.out)
        if out.lower().endswith(".csv"):
            frames = tables["levels"].reset_index()
        else:
            frames = {
                label(f"sheet_{name.replace(' ', '_')}", lang): (
                    frame if name in ("summary", "missing") else frame.reset_index()
                )
                for name, frame in tables.items()
                if name != "missing" or not frame.empty
            }
        return write_out("maturity", frames, out, lang)
    for item, value in tables["summary"].itertuples(index=False):
        print(f"{item:<40}{value}")
    missing = tables["missing"]
    if not missing.empty:
        print("\n" + label("cli_mat_missing", lang))
        for feature, rows in missing.groupby("feature", sort=False):
            names = ", ".join(rows["name"].astype(str))
            print("  " + label("cli_mat_missing_item", lang, feature=feature, names=names))
    levels = tables["levels"]
    rounded = {"maturity_score": 2, "maturity_score_low": 2, "maturity_score_high": 2,
               "silhouette": 2, "index_score": 2, "probability": 2}  # fmt: skip
    if (levels["level"] == 1).all():  # no distinct groups: the composite scores instead
        p = tables["summary"].attrs.get("null_pvalue", float("nan"))
        print("\n" + label("cli_mat_no_groups", lang, p=fmt_number(p, lang, digits=3)))
        shown = levels.drop(
            columns=["kind", "population", "level", "level_name", "silhouette", "probability"],
            errors="ignore",
        ).sort_values("maturity_score", ascending=False)
        _print(label("cli_mat_scores", lang), shown.set_index("name").round(rounded), lang)
        print("\n" + label("cli_mat_caveat_scores", lang, n=len(levels)))
        return 0
    shown = levels.drop(
        columns=["kind", "population", "maturity_score_low", "maturity_score_high"],
        errors="ignore",
    )
    _print(label("cli_mat_groups", lang), shown.set_index("name").round(rounded), lang)
    prof = tables["profiles"]
    prof_t = prof.drop(columns=["level_name", "n_municipalities"]).T.round(2)
    prof_t.columns = [f"{lv}. {prof.loc[lv, 'level_name']}" for lv in prof.index]
    prof_t.index = [label(str(f), lang) for f in prof_t.index]
    prof_t.index.name = "feature"
    _print(label("cli_mat_profiles", lang), prof_t, lang)
    _print(label("cli_mat_crosstab", lang), tables["crosstab"], lang)
    print("\n" + label("cli_mat_caveat", lang, n=len(tables["levels"])))
    return 0


def add_parser(subparsers, lang: str) -> None:
    """Add the ``maturity`` subcommand."""
    L = lambda key: label(key, lang)  # noqa: E731
    p = add_command(subparsers, "maturity", lang)
    add_dataset_argument(p, lang)
    p.add_argument("--k", type=_k(lang), default="auto", help=L("cli_maturity_k"))
    p.add_argument(
        "--method",
        choices=("ward", "kmeans", "gmm"),
        default="ward",
        help=L("cli_maturity_method"),
    )
    p.add_argument("--seed", type=int, default=0, help=L("cli_maturity_seed"))
    p.add_argument(
        "--as-of",
        type=_date(lang),
        default=None,
        metavar=L("cli_metavar_date"),
        help=L("cli_maturity_as_of"),
    )
    p.add_argument(
        "--out", type=output_file(lang), metavar=L("cli_metavar_file"), help=L("cli_maturity_out")
    )
    add_lenient_arguments(p, lang)
    p.set_defaults(func=_run)
