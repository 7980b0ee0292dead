"""The effects tables ready to show or export: headers, coded values and notes in ``lang``.

Headers are labelled ``eff_col_<column>`` (falling back to the column's own label, e.g.
``municipality_id``); coded values ``eff_<column>_<value>``; notes ``note_eff_<code>``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import pandas as pd

from ..text import MISSING, check_lang, fmt_number, label, md_escape, plural

__all__ = [
    "effects_none_text",
    "effects_note_table",
    "effects_sentence",
    "municipality_effects_text",
    "note_text",
    "pretrend_sentence",
    "service_names",
    "translate_effects",
]

#: columns whose values are codes, labelled ``eff_<column>_<value>``
_CODED = ("status", "control")


def service_names(dataset) -> dict[str, str]:
    """``service_id`` to its process name: the name most projects naming the service give.

    Examples
    --------
    >>> import effmuni as em
    >>> names = service_names(em.load_dataset())  # the bundled sample
    >>> names["camp-vouchers"]
    'Предоставление путёвок в загородные лагеря'
    """
    projects = dataset.projects
    if "service_id" not in projects.columns:
        return {}
    linked = projects.dropna(subset=["service_id", "process_name"])
    if linked.empty:
        return {}
    counts = linked.groupby(["service_id", "process_name"], sort=True).size()
    top = counts.sort_values(ascending=False, kind="stable").reset_index()
    top = top.drop_duplicates("service_id")
    return dict(zip(top["service_id"].astype(str), top["process_name"].astype(str), strict=True))


def effects_none_text(analysis, lang: str = "ru") -> str:
    """Why the analysis has no causal effects, in ``lang`` (the reasons a validated dataset
    can give in the catalogue's words; the estimator's rarer ones as it gave them)."""
    from ._build import REASON_KEYS

    reason = next((n for n in analysis.notes if n.startswith("causal effects")), "")
    reason = reason.split(": ", 1)[-1]
    if reason in REASON_KEYS:
        reason = label(REASON_KEYS[reason], lang)
    return label("rep_eff_none", lang, reason=reason)


def _label_or(key: str, fallback: str, lang: str) -> str:
    text = label(key, lang)
    return fallback if text == key else text


def note_text(
    scope: str,
    code: str,
    params: Mapping,
    *,
    lang: str = "ru",
    names: Mapping[str, str] | None = None,
) -> str:
    """One note of :class:`~effmuni.effects.ServiceEffects` as a sentence in ``lang``.

    ``names`` gives the display names of services (``service_id`` to the process name); a
    service not in it is shown by its id.

    Examples
    --------
    >>> note_text("all", "no_cases", {"n": 34}, lang="en")
    '34 month(s) with no completed case (so no lead time) were left out.'
    >>> note_text("camp-vouchers", "service_skipped", {"reason": "no_treated"}, lang="en")
    'camp-vouchers: not estimated: no municipality implemented a project within its statistics.'
    >>> note_text("camp-vouchers", "no_pre", {}, lang="en", names={"camp-vouchers": "Путёвки"})[:9]
    'Путёвки: '
    """
    check_lang(lang)
    values = dict(params)
    if code == "service_skipped":
        values["reason"] = label(f"eff_reason_{values.get('reason', 'other')}", lang)
    if code == "small_cohorts":
        values["median"] = fmt_number(values.get("median"), lang, digits=1)
    if code == "pretrend_rejected":
        values["p"] = fmt_number(values.get("p"), lang, digits=3)
    text = label(f"note_eff_{code}", lang, **values)
    if scope != "all":
        service = (names or {}).get(scope) or scope
        text = label("eff_note_scope", lang, service=service, text=text)
    return text


def effects_note_table(
    notes: pd.DataFrame,
    lang: str = "ru",
    *,
    details: bool = False,
    names: Mapping[str, str] | None = None,
):
    """The notes table as one column of sentences (``note``), the estimator's details only on
    request; services named by ``names`` (``service_id`` to the process name) where given."""
    rows = [
        note_text(r.scope, r.code, json.loads(r.params), lang=lang, names=names)
        for r in notes.itertuples(index=False)
        if details or r.code != "detail"
    ]
    return pd.DataFrame({"note": pd.Series(rows, dtype="string")})


def translate_effects(
    frame: pd.DataFrame,
    lang: str = "ru",
    *,
    digits: int | None = None,
    names: Mapping[str, str] | None = None,
    headers: bool = True,
    gaps: bool = True,
) -> pd.DataFrame:
    """An effects table ready to show or export: coded values and headers in ``lang``.

    ``names`` gives display names of ``municipality_id`` values; ``digits`` rounds the
    floating-point columns (p-values to three decimals at least); ``headers=False`` keeps the
    canonical headers; ``gaps=True`` shows a missing value as «—» (``False`` for a workbook,
    whose numbers stay numbers).

    Examples
    --------
    >>> t = pd.DataFrame({"service_id": ["camp-vouchers"], "reduction_pct": [24.44],
    ...                   "status": ["treated"]})
    >>> translate_effects(t, "en", digits=1).columns.tolist()
    ['Service', 'Lead-time reduction (causal), %', 'Status']
    >>> translate_effects(t, "ru").iloc[0, 2]
    'проект внедрён'
    """
    check_lang(lang)
    out = frame.copy()
    for col in _CODED:
        if col in out.columns:
            out[col] = out[col].map(
                lambda v, c=col: _label_or(f"eff_{c}_{v}", v, lang) if isinstance(v, str) else v
            )
    if names is not None and "municipality_id" in out.columns:
        out["municipality_id"] = out["municipality_id"].map(lambda v: names.get(v, v))
    if digits is not None:
        floats = out.select_dtypes(include="floating").columns
        for col in floats:  # p-values keep three decimals at least
            out[col] = out[col].round(max(digits, 3) if col.endswith("pvalue") else digits)
    if gaps:
        out = out.astype(object).where(out.notna(), MISSING)
    if not headers:
        return out
    return out.rename(columns=lambda c: _label_or(f"eff_col_{c}", label(str(c), lang), lang))


def effects_sentence(effects, lang: str = "ru") -> str:
    """The overall effect, its interval and the before/after figure in one sentence."""
    o = effects.overall.iloc[0]
    return label(
        "eff_summary_text",
        lang,
        pct=fmt_number(o["reduction_pct"], lang, digits=1),
        low=fmt_number(o["reduction_pct_low"], lang, digits=1),
        high=fmt_number(o["reduction_pct_high"], lang, digits=1),
        level=f"{100 * float(o['confidence']):.0f}",
        naive=fmt_number(o["naive_reduction_pct"], lang, digits=1),
    )


def pretrend_sentence(effects, lang: str = "ru") -> str:
    """The pre-trend test in words."""
    p = float(effects.overall["pretrend_pvalue"].iloc[0])
    verdict = label("eff_pretrend_bad" if p < 0.05 else "eff_pretrend_ok", lang)
    return label("eff_pretrend_text", lang, p=fmt_number(p, lang, digits=3), verdict=verdict)


def municipality_effects_text(
    analysis, municipality_id: str, *, lang: str = "ru", names: Mapping[str, str] | None = None
) -> str:
    """A paragraph for one municipality's report: its services with an implemented project
    and the region's causal effect next to the before/after figure.

    ``analysis`` is an :class:`effmuni.Analysis`; when its effects were not computed the
    paragraph says why. ``names`` gives the services' display names (``service_id`` → name,
    e.g. the process names of the projects that changed them); every name is escaped for
    Markdown.

    Examples
    --------
    >>> import effmuni as em
    >>> a = em.analyse(em.load_dataset(), em.AnalysisConfig(n_boot=0, maturity_n_boot=0))
    >>> municipality_effects_text(a, "cheboksary", lang="en").startswith("Service statistics:")
    True
    """
    check_lang(lang)
    effects = analysis.effects
    if effects is None:
        return effects_none_text(analysis, lang)
    o = effects.overall.iloc[0]
    u = effects.units
    mine = u[(u["municipality_id"] == municipality_id) & (u["status"] == "treated")]
    shown = [(names or {}).get(str(s), str(s)) for s in mine["service_id"]]
    services = ", ".join(md_escape(n) for n in sorted(set(shown)))
    values = {
        "pct": fmt_number(o["reduction_pct"], lang, digits=1),
        "low": fmt_number(o["reduction_pct_low"], lang, digits=1),
        "high": fmt_number(o["reduction_pct_high"], lang, digits=1),
        "naive": fmt_number(o["naive_reduction_pct"], lang, digits=1),
    }
    if mine.empty:
        return label("rep_eff_municipality_none", lang, **values)
    n = len(mine)
    word = plural(n, "word_services_dat", lang=lang)
    return label("rep_eff_municipality", lang, n=n, word=word, services=services, **values)
