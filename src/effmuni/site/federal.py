"""The federal front door: ``index.html`` and ``summary.xlsx`` of a federal batch.

Drawn from what ``effmuni analyse`` wrote, region by region, never from cases or statistics:
a table of the regions (units, projects, the time saved for citizens and staff with their
intervals, the causal effect, and the regions that were quarantined or failed, with why), the
regions' causal effects pooled into one national effect with its prediction interval, and one
row per municipal unit, sortable, linking to its report. Maturity groups are fitted within
each region, so the page says they compare units of one region only. Regional sums are not
added into a national total: their intervals do not add up.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..excel import write_tables
from ..text import fmt_date, fmt_estimate, fmt_interval, fmt_number, html_escape, label
from .regional import (
    _JS,
    _SAVED,
    FRONT_COLUMNS,
    _atomic_text,
    _cell,
    _saved_cells,
    _score_text,
    _shown,
    _top,
    front_table,
)

__all__ = ["write_federal_site"]


def _region_rows(regions: pd.DataFrame, lang: str) -> str:
    rows = []
    for r in regions.itertuples(index=False):
        cells = [
            _cell(label("fed_region_name", lang, id=int(r.region_id)), int(r.region_id)),
            _cell(label(f"status_{r.status}", lang), None),
            _cell(fmt_number(r.n_municipalities, lang), r.n_municipalities, numeric=True),
            _cell(fmt_number(r.n_projects, lang), r.n_projects, numeric=True),
            *_saved_cells(r, lang),
            _cell(
                _effect_text(r.reduction_pct, r.reduction_pct_low, r.reduction_pct_high, lang),
                r.reduction_pct,
                numeric=True,
            ),
            _cell("" if pd.isna(r.error) else str(r.error), None),
        ]
        cls = "" if r.status == "ok" else ' class="failed"'
        rows.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return "\n".join(rows)


def _effect_text(pct, low, high, lang: str) -> str:
    return fmt_estimate(fmt_number(pct, lang, digits=1), low, high, lang=lang, digits=1)


def _unit_rows(table: pd.DataFrame, lang: str) -> str:
    rows = []
    for r in table.itertuples(index=False):
        q = f"{r.quarters_with_project} / {r.quarters_alive}" if r.quarters_alive else "—"
        group = "—" if pd.isna(r.maturity_group) else str(r.maturity_group)
        cells = [
            _cell(label("fed_region_name", lang, id=int(r.region_id)), int(r.region_id)),
            _cell(r.name, None, link=r.report),
            _cell(q, r.quarters_with_project, numeric=True),
            _cell(fmt_number(r.model_institutions, lang), r.model_institutions, numeric=True),
            *_saved_cells(r, lang),
            _cell(group, None if pd.isna(r.maturity_level) else int(r.maturity_level)),
            _cell(_score_text(r, lang), r.maturity_score, numeric=True),
        ]
        cls = ' class="failed"' if r.status == "failed" else ""
        rows.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return "\n".join(rows)


def _national(effects: pd.DataFrame, lang: str) -> str:
    """The regions' effects pooled (random effects; ``att`` and ``pi_*`` on the log scale)."""
    if effects.empty or int(effects.iloc[0].get("n_regions", 0) or 0) < 2:
        return label("fed_no_national", lang)
    e = effects.iloc[0]
    text = label(
        "fed_national",
        lang,
        k=int(e["n_regions"]),
        pct=fmt_number(e["reduction_pct"], lang, digits=1),
        ci=fmt_interval(e["reduction_pct_low"], e["reduction_pct_high"], lang=lang, digits=1),
    )
    pi_low, pi_high = 100 * (1 - np.exp(e["pi_high"])), 100 * (1 - np.exp(e["pi_low"]))
    if np.isfinite(pi_low) and np.isfinite(pi_high):  # it needs three regions or more
        pi = fmt_interval(pi_low, pi_high, lang=lang, digits=1)
        text += " " + label("fed_national_pi", lang, pi=pi)
    return text


def _head(keys: list[tuple[str, bool]], lang: str) -> str:
    return "".join(
        f'<th class="{"num" if num else "text"}">{html_escape(label(k, lang))}</th>'
        for k, num in keys
    )


def write_federal_site(
    analysis_dir: str | Path,
    out_dir: str | Path,
    *,
    summary: pd.DataFrame | None = None,
    lang: str = "ru",
) -> Path:
    """Write ``index.html`` and ``summary.xlsx`` of a federal batch into ``out_dir``.

    Parameters
    ----------
    analysis_dir : str or Path
        The folder ``effmuni analyse`` wrote.
    out_dir : str or Path
        The batch's output folder (the reports are linked by their file names).
    summary : pandas.DataFrame, optional
        The batch's summary (links and statuses of the reports).
    lang : {"ru", "en"}

    Returns
    -------
    Path
        The path of ``index.html``.
    """
    from ..analysis import national_effect, region_inputs

    analysis_dir, out = Path(analysis_dir), Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    regions = _regions(analysis_dir)
    units, saved, effects, as_of = [], [], [], []
    for i in regions.index[regions["status"] == "ok"]:
        rid = int(regions.at[i, "region_id"])
        ds, analysis = region_inputs(analysis_dir, rid)
        regions.at[i, "n_municipalities"] = len(ds.municipalities)
        regions.at[i, "n_projects"] = len(ds.projects)
        units.append(front_table(ds, analysis, summary=summary, lang=lang).assign(region_id=rid))
        saved.append(analysis.annual_region.assign(region_id=rid))
        effects.append(analysis.effects_overall.assign(region_id=rid))
        if ds.extract_date is not None:
            as_of.append(ds.extract_date)
    table = pd.concat(units, ignore_index=True) if units else _empty_units()
    shown_regions = regions.merge(
        _first_rows(saved, list(_SAVED)),
        on="region_id", how="left",
    ).merge(
        _first_rows(effects, ["reduction_pct", "reduction_pct_low", "reduction_pct_high"]),
        on="region_id", how="left",
    )  # fmt: skip
    # the regions' effects pooled, from the results read above (as national_rollup pools them)
    national = national_effect(
        pd.concat(effects, ignore_index=True) if effects else pd.DataFrame()
    )

    workbook = _shown(table.assign(workbook=""), lang).drop(columns="workbook")
    workbook.insert(0, "region_id", table["region_id"].to_numpy())
    tmp = out / ".summary.federal.tmp.xlsx"
    write_tables({label("site_sheet_summary", lang): workbook}, tmp, lang=lang)
    tmp.replace(out / "summary.xlsx")

    date = max(as_of) if as_of else None
    lead = label(
        "fed_lead",
        lang,
        n=fmt_number(len(table), lang),
        regions=fmt_number(int((regions["status"] == "ok").sum()), lang),
        date=fmt_date(date, lang) if date is not None else "\u2014",
    )
    region_head = _head(
        [("region_id", False), ("fed_col_status", False), ("n_municipalities", True)]
        + [("n_projects", True), ("site_col_citizen_days", True)]
        + [("site_col_staff_hours", True), ("fed_col_effect", True), ("error", False)],
        lang,
    )
    unit_head = _head(
        [("region_id", False), ("site_col_name", False), ("site_col_quarters", True)]
        + [("site_col_models", True), ("site_col_citizen_days", True)]
        + [("site_col_staff_hours", True), ("site_col_group", False)]
        + [("site_col_score", True)],
        lang,
    )
    title = label("fed_title", lang)
    page = f"""{_top(title, lead, lang)}
<p>{html_escape(_national(national, lang))}</p>
<h2>{html_escape(label("fed_h_regions", lang))}</h2>
<table class="sortable"><thead><tr>{region_head}</tr></thead>
<tbody>
{_region_rows(shown_regions, lang)}
</tbody></table>
<h2>{html_escape(label("fed_h_units", lang))}</h2>
<p class="noprint caveat">{html_escape(label("site_sort_hint", lang))}</p>
<table class="sortable"><thead><tr>{unit_head}</tr></thead>
<tbody>
{_unit_rows(table, lang)}
</tbody></table>
<p class="caveat">{html_escape(label("fed_caveat", lang))}</p>
<script>{_JS}</script>
</body></html>
"""
    index = out / "index.html"
    _atomic_text(index, page)
    return index


def _regions(analysis_dir: Path) -> pd.DataFrame:
    """Every region with a result folder, and every region of the last run: ``regions.csv``
    lists only the regions of the last ``effmuni analyse`` (its word stands: a region it
    quarantined is shown so, without units); a region computed by an earlier run is ``ok``."""
    path = analysis_dir / "regions.csv"
    columns = ["region_id", "status", "n_municipalities", "n_projects", "error"]
    last = pd.read_csv(path) if path.is_file() else pd.DataFrame(columns=columns)
    last = last.reindex(columns=columns)
    computed = [
        int(folder.name.split("=", 1)[1])
        for folder in sorted(analysis_dir.glob("region_id=*"))
        if (folder / "meta.json").is_file()
    ]
    earlier = pd.DataFrame(
        {"region_id": [r for r in computed if r not in set(last["region_id"])], "status": "ok"}
    ).reindex(columns=columns)
    out = pd.concat([last, earlier], ignore_index=True)
    out = out.loc[(out["status"] != "ok") | out["region_id"].isin(computed)]
    out = out.astype({"region_id": "int64", "n_municipalities": "float64"})
    out = out.astype({"n_projects": "float64"})
    return out.sort_values("region_id", ignore_index=True)


def _first_rows(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """One row per region: its first row's ``columns`` (NaN where a region has none)."""
    rows = [
        f.iloc[:1].reindex(columns=["region_id", *columns])
        if len(f)
        else pd.DataFrame({"region_id": f["region_id"].iloc[:0]})
        for f in frames
    ]
    kept = [r for r in rows if len(r)]
    if not kept:
        return pd.DataFrame(columns=["region_id", *columns])
    return pd.concat(kept, ignore_index=True)


def _empty_units() -> pd.DataFrame:
    """The unit table of a run in which no region was computed."""
    return pd.DataFrame({c: pd.Series(dtype="object") for c in ("region_id", *FRONT_COLUMNS)})
