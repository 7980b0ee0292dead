"""One municipality on a page: the pieces of ``notebooks/municipality_report.ipynb``.

:func:`municipality_report` gathers what an official reads about one municipal unit: its
projects and the one-project-a-quarter rule, the time its projects saved (citizen days, staff
hours, with intervals), and its lean-maturity level beside its peers. The report's sentences are
written here, in Russian (default) or English, so the notebook stays a sequence of short calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from .analysis import Analysis, AnalysisConfig, analyse
from .datasets import Dataset
from .plots.style import COLORS, new_axes
from .savings import reduction_pct
from .text import (
    Refusal,
    capitalize_first,
    check_lang,
    fmt_date,
    fmt_estimate,
    fmt_interval,
    fmt_number,
    fmt_percent,
    fmt_quarter,
    fmt_signed,
    label,
    md_escape,
    plural,
    translate_columns,
)

__all__ = [
    "MunicipalityReport",
    "describe_saving",
    "describe_work_wait",
    "municipality_report",
]


@dataclass
class MunicipalityReport:
    """Everything the report shows about one municipality (see :func:`municipality_report`).

    Computed results stay language-free; the ``*_md`` methods write the report's sentences in
    ``lang`` through the catalogue, with every value from the data escaped for Markdown.
    """

    municipality_id: str
    name: str
    lang: str
    info: pd.Series
    coverage: pd.DataFrame  # its quarters
    projects: pd.DataFrame  # its projects with their savings
    annual: pd.DataFrame  # one row: annual citizen days and staff hours
    attainment: pd.DataFrame  # one row
    level: int
    k: int
    level_name: str
    rank: int
    n_municipalities: int
    peers: pd.DataFrame  # feature, value, median, percentile
    as_of: pd.Timestamp
    synthetic: bool = False
    score: pd.Series | None = None  # maturity_score with its interval (when no groups)
    null_pvalue: float = float("nan")  # the no-structure test of the grouping
    index_row: pd.Series | None = None  # the rule-based index of the municipality
    effects_text: str = ""  # the services paragraph (causal effects), Markdown
    maturity_of: str = ""  # a merged unit: the successor whose maturity figures are shown

    # ------------------------------------------------------------------ text
    def title_md(self) -> str:
        return "# " + label("rep_title", self.lang, name=md_escape(self.name))

    def lead_md(self) -> str:
        i, lang = self.info, self.lang
        text = label(
            "rep_lead",
            lang,
            date=fmt_date(self.as_of, lang),
            name=md_escape(capitalize_first(self.name)),  # it starts a sentence
            kind=label(f"kind_{i['kind']}", lang),
            population=fmt_number(i["population"], lang),
        )
        if pd.notna(i.get("valid_to")):
            text += " " + label(
                "rep_merged",
                lang,
                date=fmt_date(i["valid_to"], lang),
                successor=md_escape(i.get("successor_name", "")),
            )
        return text

    def projects_md(self) -> str:
        lang = self.lang
        alive = self.coverage.loc[self.coverage["alive"]]
        missed = alive.loc[~alive["rule_met"], "quarter"].tolist()
        closed = int((self.projects["stage"] == "closed").sum())
        met, quarters = int(alive["rule_met"].sum()), len(alive)
        text = label("rep_projects_started", lang, n=len(self.projects), closed=closed)
        if quarters:
            text += " " + label(
                "rep_rule",
                lang,
                met=met,
                quarters=quarters,
                word=plural(quarters, "word_quarters_of", lang=lang),
                share=fmt_percent(100 * met / quarters, lang),
            )
        if missed:
            text += " " + label(
                "rep_missed", lang, quarters=", ".join(fmt_quarter(q, lang) for q in missed)
            )
        return "## {}\n\n{}".format(label("rep_h_projects", lang), text)

    def savings_md(self) -> str:
        lang = self.lang
        head = "## " + label("rep_h_savings", lang) + "\n\n"
        a = self.annual.iloc[0] if len(self.annual) else None
        if a is None or not (a["n_citizen"] or a["n_staff"]):
            return head + self._no_total_md()

        def ci(lo: float, hi: float, no_interval, unit: str = "") -> str:
            if bool(no_interval) if pd.notna(no_interval) else False:
                return label("rep_no_interval", lang)  # say so, never a narrow range
            if not (np.isfinite(lo) and np.isfinite(hi)) or round(lo) == round(hi):
                return ""
            return label("rep_ci", lang, lo=fmt_number(lo, lang), hi=fmt_number(hi, lang),
                         unit=unit)  # fmt: skip

        parts = []
        if a["n_citizen"] and round(a["citizen_days"]) != 0:
            parts.append(
                label(
                    "rep_savings_citizens",
                    lang,
                    days=fmt_number(a["citizen_days"], lang),
                    days_ci=ci(
                        a["citizen_days_low"],
                        a["citizen_days_high"],
                        a.get("citizen_days_no_interval"),
                    ),
                )
            )
        if a["n_staff"] and round(a["staff_hours"]) != 0:
            fte = a["staff_fte"]
            parts.append(
                label(
                    "rep_savings_staff",
                    lang,
                    hours=fmt_number(a["staff_hours"], lang),
                    hours_ci=ci(
                        a["staff_hours_low"],
                        a["staff_hours_high"],
                        a.get("staff_hours_no_interval"),
                        "\u00a0" + label("desc_unit_hours", lang),
                    ),
                    fte=label("rep_fte", lang, fte=fmt_number(fte, lang, digits=1))
                    if round(fte, 1) > 0
                    else "",
                )
            )
        if not parts:  # totals of less than a day and an hour a year
            return head + label("rep_savings_about_zero", lang) + self._target_md()
        text = label("rep_savings_lead", lang) + " " + label("rep_and", lang).join(parts) + ". "
        text += label("rep_savings_apart", lang)
        card = a.get("citizen_card_pct")
        if card is not None and np.isfinite(card) and round(card) > 0:
            text += " " + label("rep_card_share", lang, pct=fmt_number(card, lang))
        p = self.projects
        n, n_cases = len(p), int((p["source"] == "cases").sum())
        note = label(
            "rep_savings_note" if n_cases else "rep_savings_note_none",
            lang,
            n_cases=n_cases,
            n=n,
            word=plural(n, "word_projects_of", lang=lang),
        )
        note += self._left_out_md(a)
        return head + text + self._target_md() + "\n\n" + note

    def _left_out_md(self, a: pd.Series | None) -> str:
        """The projects left out of the totals, and why (« …» or "")."""
        lang, text = self.lang, ""
        n_reg = int(self.projects["regulation_baseline"].fillna(False).sum())
        if n_reg:
            text += " " + label("rep_savings_regulation", lang, n_reg=n_reg)
        not_mean = 0 if a is None else int(a.get("n_citizen_not_mean", 0) or 0)
        if not_mean:
            text += " " + label("rep_not_mean", lang, n=not_mean)
        return text

    def _target_md(self) -> str:
        """How many projects with a result reached their target (« …» or "")."""
        t = self.attainment.iloc[0] if len(self.attainment) else None
        if t is None or not t["n_assessed"]:
            return ""
        reached, assessed = int(t["n_reached"]), int(t["n_assessed"])
        key = "rep_target" if reached else "rep_target_none"
        word = plural(assessed, "word_projects_of", lang=self.lang)
        return " " + label(key, self.lang, reached=reached, assessed=assessed, word=word)

    def _no_total_md(self) -> str:
        """No total of time saved: no measured result yet, or results that add up to none
        (card medians, regulation-limit baselines, no annual volume), said as such."""
        lang = self.lang
        measured = int(np.isfinite(self.projects["saving_pct"].to_numpy(dtype=float)).sum())
        if not measured:
            return label("rep_savings_none", lang)
        a = self.annual.iloc[0] if len(self.annual) else None
        word = plural(measured, "word_projects_of", lang=lang)
        text = label("rep_savings_no_total", lang, n=measured, word=word)
        return text + self._left_out_md(a) + self._target_md()

    def maturity_md(self) -> str:
        lang = self.lang
        h = "## " + label("rep_h_maturity", lang) + "\n\n"
        if not self.level:
            return h + label("rep_maturity_none", lang)
        if self.maturity_of:  # the figures below are the successor's: say so first
            h += label("rep_maturity_of", lang, successor=md_escape(self.maturity_of)) + " "
        peers = self.peers
        # a strength is above the regional median, room to grow below it: never the least bad
        above = peers.loc[peers["value"] > peers["median"]].sort_values(
            "percentile", ascending=False
        )
        below = peers.loc[peers["value"] < peers["median"]].sort_values("percentile")
        if self.k == 1 and self.score is not None:
            # no distinct groups in the data: the composite score with its interval instead
            s = self.score
            text = label(
                "rep_no_groups",
                lang,
                p=fmt_number(self.null_pvalue, lang, digits=3),
                score=fmt_signed(s["maturity_score"], lang, digits=2),
                ci=fmt_interval(
                    s["maturity_score_low"], s["maturity_score_high"], lang=lang, digits=2
                ),  # fmt: skip
            )
        else:
            text = label("rep_maturity_group", lang, level_name=self.level_name,
                         level=self.level, k=self.k)  # fmt: skip
        text += " " + (
            label("rep_strengths", lang, items="; ".join(above["feature_label"].head(3)))
            if len(above)
            else label("rep_strengths_none", lang)
        )
        if len(below):
            text += " " + label(
                "rep_weaknesses", lang, items="; ".join(below["feature_label"].head(3))
            )
        text += self._index_sentence()
        caveat = label(
            "rep_caveat_scores" if self.k == 1 else "rep_caveat",
            lang,
            n=self.n_municipalities,
            word=plural(self.n_municipalities, "word_municipalities_of", lang=lang),
        )
        if self.synthetic:
            caveat += " " + label("rep_caveat_synthetic", lang)
        return h + text + "\n\n*" + caveat + "*"

    def _index_sentence(self) -> str:
        """The rule-based index: its level, and the level before the model-institution cap."""
        i = self.index_row
        if i is None or pd.isna(i.get("index_level")):
            return ""
        lang = self.lang
        level = int(i["index_level"])
        text = " " + label(
            "rep_index",
            lang,
            level=level,
            name=label(f"maturity_index_level_{level}", lang),
            score=fmt_number(i["index_score"], lang),
        )
        if bool(i.get("capped", False)) and pd.notna(i.get("index_level_uncapped")):
            cap = int(i["index_cap_level"])
            text += " " + label(
                "rep_index_capped",
                lang,
                uncapped=int(i["index_level_uncapped"]),
                cap=cap,
                needed=label(f"maturity_index_gate_{cap + 1}", lang),
            )
        return text

    def effects_md(self) -> str:
        """The services paragraph: the causal effect of the projects on service lead times."""
        if not self.effects_text:
            return ""
        return "## " + label("rep_h_effects", self.lang) + "\n\n" + self.effects_text

    # ------------------------------------------------------------------ tables
    def projects_table(self) -> pd.DataFrame:
        """The municipality's projects: process, stage, dates, lead-time reduction and target.

        The reduction is text: the percentage, with its interval where case timings give one.
        """
        p = reduction_pct(self.projects.sort_values("start_date", kind="stable"))

        def reduction(r) -> str:
            # the one primary statistic of every surface: the typical lead-time reduction
            # 100 × (1 − ratio of geometric means), positive = faster, with its own interval
            text = fmt_number(r.reduction_pct, self.lang)
            return fmt_estimate(text, r.reduction_pct_low, r.reduction_pct_high, lang=self.lang)

        t = pd.DataFrame(
            {
                "project_id": p["project_id"],
                "process_name": p["process_name"],
                "stage": p["stage"].map(lambda v: label(f"stage_{v}", self.lang)),
                "start_date": p["start_date"].map(lambda d: fmt_date(d, self.lang)),
                "actual_end": p["actual_end"].map(
                    lambda d: "" if pd.isna(d) else fmt_date(d, self.lang)
                ),
                "source": p["source"].map(lambda v: label(f"source_{v}", self.lang)),
                "rep_reduction": [reduction(r) for r in p.itertuples()],
                "target_reduction_pct": p["target_reduction_pct"].map(
                    lambda v: "—" if pd.isna(v) else f"{v:.0f}"
                ),
            }
        )
        return translate_columns(t, self.lang)

    def projects_styler(self):
        """:meth:`projects_table` ready to display: text left-aligned, figures right-aligned,
        no index, a stable element id and a plain-text form without a memory address (so
        stored notebook outputs do not change from one run to the next)."""
        t = self.projects_table()
        numeric = [
            label(c, self.lang)
            for c in ("start_date", "actual_end", "rep_reduction", "target_reduction_pct")
        ]
        text = [c for c in t.columns if c not in numeric]
        styler = t.style.hide(axis="index").set_uuid("projects")
        styler = styler.set_properties(subset=text, **{"text-align": "left"})
        styler = styler.set_properties(subset=numeric, **{"text-align": "right"})
        styler = styler.set_table_styles(
            [
                {"selector": f"th.col{i}", "props": [("text-align", "left")]}
                for i, c in enumerate(t.columns)
                if c in text
            ]  # fmt: skip
        )
        styler.__class__ = _plain_text_styler()
        return styler

    # ------------------------------------------------------------------ figures
    def quarters_figure(self, ax=None):
        """Bars of projects started per quarter; quarters that missed the rule in orange."""
        fig, ax = new_axes(ax, figsize=(8, 3))
        c = self.coverage.loc[self.coverage["alive"]].copy()
        c["quarter"] = [fmt_quarter(q, self.lang) for q in c["quarter"]]
        ax.bar(c["quarter"], c["projects_started"], color=COLORS["after"])
        missed = c.loc[~c["rule_met"]]
        ax.scatter(
            missed["quarter"],
            np.zeros(len(missed)),
            marker="x",
            s=60,
            color=COLORS["worse"],
            zorder=3,
            label=label("legend_missed", self.lang),
        )
        ax.axhline(1, color="0.3", lw=0.8, ls="--")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if len(missed):
            ax.legend(fontsize=8)
        ax.set_ylabel(label("axis_projects", self.lang))
        ax.set_title(label("fig_rep_quarters", self.lang))
        ax.tick_params(axis="x", rotation=90)
        return fig

    def peers_figure(self, ax=None):
        """Each maturity feature as a percentile among all municipalities, median at 50."""
        p = self.peers.sort_values("percentile")
        fig, ax = new_axes(ax, figsize=(8, 0.35 * len(p) + 1.5))
        ax.barh(
            p["feature_label"],
            p["percentile"],
            color=COLORS["after"],
            label=label("legend_this", self.lang),
        )
        ax.axvline(50, color=COLORS["target"], lw=1.5, label=label("legend_median", self.lang))
        ax.set_xlim(0, 100)
        ax.set_xlabel(label("axis_percentile", self.lang))
        ax.set_title(label("fig_rep_peers", self.lang))
        ax.legend(loc="lower right", fontsize=8)
        return fig


@lru_cache(maxsize=1)
def _plain_text_styler() -> type:
    """A Styler whose plain-text form (``text/plain`` beside the HTML in a notebook) is the
    table itself, not ``<Styler at 0x…>``. Built on first use: the Styler needs jinja2."""
    from pandas.io.formats.style import Styler

    class _PlainTextStyler(Styler):
        def __repr__(self) -> str:
            return self.to_string(delimiter="  ")

    return _PlainTextStyler


def municipality_report(
    dataset: Dataset,
    municipality: str,
    *,
    lang: str = "ru",
    config: AnalysisConfig | None = None,
    analysis: Analysis | None = None,
    cache: bool = True,
) -> MunicipalityReport:
    """Gather the report of one municipality.

    Every figure comes from :func:`effmuni.analyse` of the whole dataset, so the report shows
    the same savings and the same maturity group as the ``savings`` and ``maturity`` commands
    and notebooks 02 and 03 run with the same configuration.

    Parameters
    ----------
    dataset : Dataset
    municipality : str
        A ``municipality_id`` of the dataset.
    lang : {"ru", "en"}
    config : AnalysisConfig, optional
        The analysis options (defaults when omitted).
    analysis : Analysis, optional
        An analysis of ``dataset`` computed already (``config`` is then ignored).
    cache : bool
        Let :func:`effmuni.analyse` reuse its cached result, so a batch of reports computes
        the region once instead of once per municipality.

    Examples
    --------
    >>> import effmuni as em
    >>> cfg = em.AnalysisConfig(n_boot=200)
    >>> rep = em.municipality_report(em.load_dataset(), "cheboksary", lang="en", config=cfg)
    >>> rep.name, rep.k == em.analyse(em.load_dataset(), cfg).maturity.k
    ('Cheboksary', True)
    """
    check_lang(lang)
    muni = dataset.municipalities.set_index("municipality_id")
    if municipality not in muni.index:
        raise Refusal(
            "err_unknown_municipality", id=repr(municipality), known=", ".join(muni.index)
        )
    if analysis is None:
        analysis = analyse(dataset, config, cache=cache)
    name_col = f"name_{lang}"
    info = muni.loc[municipality].copy()
    if pd.notna(info.get("successor_id")) and info["successor_id"] in muni.index:
        info["successor_name"] = muni.loc[info["successor_id"], name_col]
    part = analysis.municipality(municipality)
    features = analysis.features
    maturity = analysis.maturity
    # a unit merged away is folded into its successor: it is read at its successor's place
    placed = municipality if municipality in features.index else info.get("successor_id")
    if maturity is not None and placed in features.index:
        pct = features.rank(pct=True).mul(100).loc[placed]
        peers = pd.DataFrame(
            {
                "feature": features.columns,
                "feature_label": [label(c, lang) for c in features.columns],
                "value": features.loc[placed].to_numpy(),
                "median": features.median().to_numpy(),
                "percentile": pct.to_numpy(),
            }
        )
        level = int(maturity.levels[placed])
        scores = maturity.scores.sort_values(ascending=False)
        rank = int(list(scores.index).index(placed) + 1)
    else:
        peers = pd.DataFrame(columns=["feature", "feature_label", "value", "median", "percentile"])
        level, rank = 0, 0
    score = analysis.scores.loc[placed] if placed in analysis.scores.index else None
    index_row = analysis.index.loc[placed] if placed in analysis.index.index else None
    from .effects import municipality_effects_text, service_names

    effects_text = municipality_effects_text(
        analysis, municipality, lang=lang, names=service_names(dataset)
    )
    as_of = dataset.extract_date
    return MunicipalityReport(
        municipality_id=municipality,
        name=str(info[name_col]),
        lang=lang,
        info=info,
        coverage=part["coverage"],
        projects=part["savings"],
        annual=part["annual"],
        attainment=part["attainment"],
        level=level,
        k=0 if maturity is None else int(maturity.k),
        level_name="—" if maturity is None else str(maturity.level_names(lang).get(level, "—")),
        rank=rank,
        n_municipalities=len(features),
        peers=peers,
        as_of=as_of if as_of is not None else pd.Timestamp("today").normalize(),
        synthetic=dataset.synthetic,
        score=score,
        null_pvalue=float(getattr(maturity, "null_pvalue", float("nan")) or float("nan"))
        if maturity is not None
        else float("nan"),
        index_row=index_row,
        effects_text=effects_text,
        maturity_of=str(info.get("successor_name", "")) if placed != municipality else "",
    )


def describe_saving(
    row: pd.Series, *, lang: str = "ru", unit: str = "days", confidence: float = 0.95
) -> str:
    """One paragraph, reusable in a memo, describing one row of :func:`effmuni.estimate_savings`.

    Examples
    --------
    >>> import effmuni as em
    >>> cases = em.load_dataset().cases
    >>> row = em.estimate_savings(cases[cases.project_id == "P003"], by=None, n_boot=500).iloc[0]
    >>> describe_saving(row, lang="en")[:46]
    'The mean lead time fell from 4.26 to 2.49 days'
    """
    check_lang(lang)

    def num(x: float, digits: int = 2) -> str:
        return fmt_number(x, lang, digits=digits)

    if not np.isfinite(row["saving"]):
        return label(
            "desc_no_comparison",
            lang,
            nb=int(row["n_before"]),
            na=int(row["n_after"]),
            note=row.get("note", "") or "—",
        )
    text = label(
        "desc_saving",
        lang,
        verb=label("desc_fell" if row["saving"] >= 0 else "desc_rose", lang),
        mb=num(row["mean_before"]),
        ma=num(row["mean_after"]),
        unit=label(f"desc_unit_{unit}", lang),
        pct=num(abs(row["saving_pct"]), 0),
        conf=f"{100 * confidence:.0f}",
        lo=num(row["saving_pct_low"], 0),
        hi=num(row["saving_pct_high"], 0),
        medb=num(row["median_before"]),
        meda=num(row["median_after"]),
        ratio=num(row["ratio"]),
        rlo=num(row["ratio_low"]),
        rhi=num(row["ratio_high"]),
        nb=int(row["n_before"]),
        na=int(row["n_after"]),
    )
    note = row.get("note", "")
    if isinstance(note, str) and note and not np.isfinite(row["saving_pct_low"]):
        text += " " + label("desc_no_interval", lang, note=note)
    return text


def describe_work_wait(timings: pd.DataFrame, *, lang: str = "ru") -> str:
    """Working versus waiting time of :func:`effmuni.case_timings` output, in words.

    Waiting is lead time minus the union of the activity intervals; it needs start timestamps.
    """
    check_lang(lang)
    ok = timings["work_time_hours"].notna()
    if not ok.any():
        return label("ww_none", lang)
    t = timings.loc[ok]
    share = 100 * t["wait_time_hours"].sum() / (24 * t["lead_time_days"]).sum()
    return label(
        "ww_some",
        lang,
        n=int(ok.sum()),
        total=len(timings),
        work=fmt_number(t["work_time_hours"].median(), lang, digits=1),
        wait=fmt_number(t["wait_time_hours"].median(), lang, digits=1),
        share=share,
    )
