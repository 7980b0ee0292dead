"""``effmuni effects``: the causal effect of projects on service statistics, printed or exported.

The numbers come from :func:`effmuni.analyse` (``Analysis.effects``), like those of the
notebooks and the municipality report.
"""

from __future__ import annotations

import argparse

import pandas as pd

from ..text import label
from ._common import (
    add_command,
    add_dataset_argument,
    add_lenient_arguments,
    confidence_level,
    fail,
    output_file,
    print_table,
    with_dataset,
    write_out,
)

__all__ = ["add_parser", "effects_summary", "effects_tables"]

#: the sheets of the workbook; a CSV file holds the first
_SHEETS = ("summary", "by_cohort", "event_study", "units", "notes")
_SHEET_KEYS = {
    "summary": "sheet_effects_service",
    "by_cohort": "sheet_effects_cohort",
    "event_study": "sheet_effects_event",
    "units": "sheet_effects_units",
    "notes": "sheet_effects_notes",
}
#: compact columns printed on screen
_SHOWN = [
    "process_name",
    "n_units",
    "n_treated",
    "reduction_pct",
    "reduction_pct_low",
    "reduction_pct_high",
    "naive_reduction_pct",
    "pretrend_pvalue",
]


def effects_summary(effects, lang: str = "ru") -> pd.DataFrame:
    """One table: all services (``service_id`` ``"all"``, named «Все услуги»), then each."""
    overall = effects.overall.assign(
        service_id="all", process_name=label("eff_all_services", lang)
    )
    cols = list(effects.by_service.columns)
    out = pd.concat([overall[cols], effects.by_service], ignore_index=True)
    return out.astype({"service_id": "string", "process_name": "string"})


def effects_tables(dataset, *, control="not_yet_treated", confidence=0.95, seed=0):
    """The analysis and its :class:`~effmuni.effects.ServiceEffects` (None when not computed)."""
    from ..analysis import AnalysisConfig, analyse

    config = AnalysisConfig(confidence=confidence, seed=seed, did_control=control)
    analysis = analyse(dataset, config)
    return analysis, analysis.effects


def _frames(effects, lang: str, names, services, details: bool) -> dict[str, pd.DataFrame]:
    from ..effects import effects_note_table, translate_effects

    summary = effects_summary(effects, lang)
    summary["service_id"] = summary["service_id"].replace({"all": label("eff_all_services", lang)})
    tables = {
        "summary": summary,
        "by_cohort": effects.by_cohort,
        "event_study": effects.event_study,
        "units": effects.units,
        "notes": effects_note_table(
            effects.notes, lang, details=details, names=effects.service_names(services)
        ),
    }
    return {
        label(_SHEET_KEYS[name], lang): translate_effects(
            tables[name], lang, names=names, gaps=False
        )
        for name in _SHEETS
    }


def _run(args: argparse.Namespace) -> int:
    from ..effects import (
        effects_none_text,
        effects_sentence,
        pretrend_sentence,
        service_names,
        translate_effects,
    )
    from ..plots.savings import municipality_names

    lang = args.lang
    outcome = with_dataset(
        "effects",
        args.path,
        lambda ds: effects_tables(
            ds, control=args.control, confidence=args.confidence, seed=args.seed
        ),
        lang,
        lenient=args.lenient,
        quarantine=args.quarantine,
    )
    if isinstance(outcome, int):
        return outcome
    ds, (analysis, effects) = outcome
    if effects is None:
        return fail("effects", effects_none_text(analysis, lang))
    names = municipality_names(ds, lang)
    services = service_names(ds)
    if args.out:
        out = str(args.out)
        frames = _frames(effects, lang, names, services, args.details)
        if out.lower().endswith(".csv"):
            frames = dict(list(frames.items())[:1])
        return write_out("effects", frames, out, lang)
    print(label("eff_title_overall", lang))
    print(effects_sentence(effects, lang))
    print(pretrend_sentence(effects, lang))
    shown = effects_summary(effects, lang)[_SHOWN]
    print("\n" + label("eff_title_service", lang))
    print_table(translate_effects(shown, lang, digits=1), lang)
    notes = effects.note_texts(lang, details=args.details, names=services)
    if notes:
        print("\n" + label("eff_title_notes", lang))
        for line in notes:
            print(f"  - {line}")
    return 0


def add_parser(subparsers, lang: str = "ru") -> None:
    """Add the ``effects`` subcommand."""
    L = lambda key: label(key, lang)  # noqa: E731
    p = add_command(subparsers, "effects", lang)
    add_dataset_argument(p, lang)
    p.add_argument(
        "--out", type=output_file(lang), metavar=L("cli_metavar_file"), help=L("cli_effects_out")
    )
    p.add_argument(
        "--control",
        choices=("not_yet_treated", "never_treated"),
        default="not_yet_treated",
        help=L("cli_effects_control"),
    )
    p.add_argument(
        "--confidence", type=confidence_level(lang), default=0.95, help=L("cli_effects_confidence")
    )
    p.add_argument("--seed", type=int, default=0, help=L("cli_effects_seed"))
    p.add_argument("--details", action="store_true", help=L("cli_effects_details"))
    add_lenient_arguments(p, lang)
    p.set_defaults(func=_run)
