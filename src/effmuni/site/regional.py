"""The regional front door: ``index.html``, ``summary.xlsx`` and a workbook per municipality.

The page an official opens first. At the top, the region: the one-project-a-quarter rule as a
heat map, the time saved for citizens and for staff with intervals, the maturity groups (or
the composite scores when the data show no groups) and the causal effects where service
statistics give them. Below, one row per municipality in Russian alphabetical order, sortable,
with links to its report and its workbook.

Everything comes from one :class:`~effmuni.Analysis`, so the page shows the figures of the
reports and the commands. The folder is self-contained (figures embedded, no scripts or fonts
from the network): it can be zipped and mailed, opened offline, and printed on A4. Every
value from the data is escaped.
"""

from __future__ import annotations

import base64
import io
import os
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from ..savings import reduction_pct
from ..text import (
    fmt_date,
    fmt_estimate,
    fmt_interval,
    fmt_number,
    fmt_signed,
    html_escape,
    label,
)

__all__ = ["FRONT_COLUMNS", "WORKBOOK_COLUMNS", "front_table", "write_site"]

#: the time saved a year, with its interval, as the pages show it (columns of the analysis)
_SAVED = (
    "citizen_days",
    "citizen_days_low",
    "citizen_days_high",
    "staff_hours",
    "staff_hours_low",
    "staff_hours_high",
)

#: the columns of :func:`front_table` (one row per municipality)
FRONT_COLUMNS = (
    "municipality_id",
    "name",
    "quarters_with_project",
    "quarters_alive",
    "model_institutions",
    *_SAVED,
    "maturity_level",
    "maturity_group",
    "maturity_score",
    "maturity_score_low",
    "maturity_score_high",
    "report",
    "workbook",
    "status",
)


def _sort_key(name: str) -> str:
    # Russian alphabetical order: ё sorts with е (code points put it after я), so the
    # diaeresis is dropped from the decomposed letter; й keeps its breve and its own place
    decomposed = unicodedata.normalize("NFD", name.casefold()).replace("\u0308", "")
    return unicodedata.normalize("NFC", decomposed)


def front_table(dataset, analysis, *, summary: pd.DataFrame | None = None, lang: str = "ru"):
    """One row per municipality: what the index page and ``summary.xlsx`` show.

    Parameters
    ----------
    dataset : Dataset
    analysis : Analysis
        :func:`effmuni.analyse` of ``dataset``.
    summary : pandas.DataFrame, optional
        The batch run's summary (``municipality_id``, ``status``, ``html``); adds the links.
    lang : {"ru", "en"}
        Language of the names and group names.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`FRONT_COLUMNS`, sorted by name in the alphabetical order of ``lang``.
    """
    muni = dataset.municipalities.set_index("municipality_id")
    name_col = f"name_{lang}"
    cov = analysis.coverage
    alive = cov.loc[cov["alive"]]
    quarters = alive.groupby("municipality_id")["rule_met"].agg(["sum", "size"])
    inst = dataset.institutions
    models = inst.loc[inst["model_level"] != "none"].groupby("municipality_id").size()
    annual = analysis.annual_municipality.set_index("municipality_id")
    out = pd.DataFrame(index=muni.index)
    out["name"] = muni[name_col].astype(str)
    out["quarters_with_project"] = quarters["sum"].reindex(out.index).fillna(0).astype(int)
    out["quarters_alive"] = quarters["size"].reindex(out.index).fillna(0).astype(int)
    out["model_institutions"] = models.reindex(out.index).fillna(0).astype(int)
    for col in _SAVED:
        out[col] = annual[col].reindex(out.index).astype("float64") if col in annual else np.nan
    maturity = analysis.maturity
    if maturity is not None:
        level = maturity.levels.reindex(out.index)
        successor = muni["successor_id"].reindex(out.index) if "successor_id" in muni else None
        if successor is not None:  # a merged unit is read at its successor's place
            level = level.fillna(successor.map(maturity.levels).astype("float64"))
        names = maturity.level_names(lang)
        out["maturity_level"] = level.astype("Int64")
        out["maturity_group"] = level.map(names).astype("string")
    else:
        out["maturity_level"] = pd.array([pd.NA] * len(out), dtype="Int64")
        out["maturity_group"] = pd.array([pd.NA] * len(out), dtype="string")
    scores = analysis.scores
    successor = muni["successor_id"].reindex(out.index) if "successor_id" in muni else None
    for col in ("maturity_score", "maturity_score_low", "maturity_score_high"):
        value = scores[col].reindex(out.index) if col in scores else pd.Series(np.nan, out.index)
        if successor is not None and col in scores:
            fallback = successor.map(scores[col]).astype("float64")
            value = value.fillna(fallback)
        out[col] = value.astype("float64")
    out["report"] = ""
    out["status"] = ""
    if summary is not None and len(summary):
        s = summary.set_index("municipality_id")
        out["status"] = s["status"].reindex(out.index).fillna("").astype(str)
        html = s["html"].reindex(out.index).fillna("").astype(str)
        ok = out["status"].isin(["ok", "skipped"])
        out["report"] = np.where(ok & (html != ""), [Path(h).name for h in html], "")
    out["workbook"] = [f"{m}.xlsx" for m in out.index]
    out.index.name = "municipality_id"
    out = out.reset_index()
    order = sorted(range(len(out)), key=lambda i: _sort_key(out.loc[i, "name"]))
    return out.iloc[order].reset_index(drop=True)[list(FRONT_COLUMNS)]


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _with_interval(value, lo, hi, lang: str) -> str:
    return fmt_estimate(fmt_number(value, lang), lo, hi, lang=lang)


def _regional_summary(dataset, analysis, lang: str) -> str:
    region = analysis.annual_region.iloc[0] if len(analysis.annual_region) else None
    parts = []
    if region is not None:
        days = _with_interval(
            region["citizen_days"], region["citizen_days_low"], region["citizen_days_high"], lang
        )
        hours = _with_interval(
            region["staff_hours"], region["staff_hours_low"], region["staff_hours_high"], lang
        )
        parts.append(f"<p>{html_escape(label('site_saved', lang, days=days, hours=hours))}</p>")
    cov = analysis.coverage.loc[analysis.coverage["alive"]]
    if len(cov):
        share = 100 * cov["rule_met"].mean()
        parts.append(
            "<p>" + html_escape(label("site_rule", lang, share=fmt_number(share, lang))) + "</p>"
        )
    m = analysis.maturity
    if m is not None and int(m.k) == 1:
        p = fmt_number(getattr(m, "null_pvalue", float("nan")), lang, digits=3)
        parts.append("<p>" + html_escape(label("site_no_groups", lang, p=p)) + "</p>")
    elif m is not None:
        sizes = ", ".join(
            f"{name}: {int(n)}" for name, n in zip(m.level_names(lang), m.sizes, strict=True)
        )
        parts.append(
            "<p>" + html_escape(label("site_groups", lang, k=int(m.k), sizes=sizes)) + "</p>"
        )
    effects = getattr(analysis, "effects_overall", None)
    if isinstance(effects, pd.DataFrame) and len(effects):
        e = effects.iloc[0]
        text = label(
            "site_effects",
            lang,
            pct=fmt_number(e.get("reduction_pct"), lang, digits=1),
            ci=fmt_interval(
                e.get("reduction_pct_low"), e.get("reduction_pct_high"), lang=lang, digits=1
            ),  # fmt: skip
        )
        parts.append(f"<p>{html_escape(text)}</p>")
    return "\n".join(parts)


_CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.2em; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
th, td { padding: .3em .5em; border-bottom: 1px solid #ddd; vertical-align: top; }
th { background: #f2f2f2; cursor: pointer; text-align: left; }
td.num { text-align: right; white-space: nowrap; } td.text { text-align: left; }
th.num { text-align: right; }
.caveat { color: #555; font-size: .9em; } img { max-width: 100%; }
tr.failed td { background: #fde2e1; }
@page { size: A4 landscape; margin: 12mm; }
@media print { th { cursor: default; } .noprint { display: none; } a { color: inherit; }
  tr { page-break-inside: avoid; } img { max-height: 170mm; } }
"""

# sorting without any library: numbers by data-v, text in the page's language order
_JS = """
document.querySelectorAll('table.sortable th').forEach(function (th, col) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), body = table.tBodies[0];
    var asc = th.getAttribute('data-dir') !== 'asc';
    table.querySelectorAll('th').forEach(function (h) { h.removeAttribute('data-dir'); });
    th.setAttribute('data-dir', asc ? 'asc' : 'desc');
    var lang = document.documentElement.lang || 'ru';
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col].getAttribute('data-v'), y = b.cells[col].getAttribute('data-v');
      var nx = parseFloat(x), ny = parseFloat(y), r;
      if (!isNaN(nx) && !isNaN(ny)) { r = nx - ny; }
      else if (isNaN(nx) !== isNaN(ny)) { return isNaN(nx) ? 1 : -1; }  // gaps last, both ways
      else { r = a.cells[col].textContent.localeCompare(b.cells[col].textContent, lang); }
      return asc ? r : -r;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
"""


def _cell(text: str, value=None, numeric: bool = False, link: str = "") -> str:
    v = "" if value is None or (isinstance(value, float) and not np.isfinite(value)) else value
    if v is pd.NA:
        v = ""
    inner = html_escape(text)
    if link:
        inner = f'<a href="{html_escape(link)}">{inner}</a>'
    cls = "num" if numeric else "text"
    return f'<td class="{cls}" data-v="{html_escape(v)}">{inner}</td>'


def _saved_cells(r, lang: str) -> list[str]:
    """The citizen days and staff hours saved a year, with their intervals, of a table row."""
    return [
        _cell(
            _with_interval(r.citizen_days, r.citizen_days_low, r.citizen_days_high, lang),
            r.citizen_days,
            numeric=True,
        ),
        _cell(
            _with_interval(r.staff_hours, r.staff_hours_low, r.staff_hours_high, lang),
            r.staff_hours,
            numeric=True,
        ),
    ]


def _no_groups(analysis) -> bool:
    """True when the data show no distinct maturity groups: scores are shown instead."""
    return analysis.maturity is not None and int(analysis.maturity.k) == 1


def _score_text(r, lang: str) -> str:
    """The composite maturity score of a table row, signed, with its interval («+1,23
    (0,99–1,59)»): the regional and the federal index show it alike."""
    text = fmt_signed(r.maturity_score, lang, digits=2)
    return fmt_estimate(text, r.maturity_score_low, r.maturity_score_high, lang=lang, digits=2)


def _rows(table: pd.DataFrame, lang: str, no_groups: bool = False) -> str:
    rows = []
    for r in table.itertuples(index=False):
        q = f"{r.quarters_with_project} / {r.quarters_alive}" if r.quarters_alive else "—"
        group = "—" if pd.isna(r.maturity_group) else str(r.maturity_group)
        maturity = _cell(group, None if pd.isna(r.maturity_level) else int(r.maturity_level))
        if no_groups:  # a continuum: the composite score with its interval, sortable by it
            maturity = _cell(_score_text(r, lang), r.maturity_score, numeric=True)
        cells = [
            _cell(r.name, None, link=r.report),
            _cell(q, r.quarters_with_project, numeric=True),
            _cell(fmt_number(r.model_institutions, lang), r.model_institutions, numeric=True),
            *_saved_cells(r, lang),
            maturity,
            _cell(label("site_workbook", lang), None, link=r.workbook),
        ]
        cls = ' class="failed"' if r.status == "failed" else ""
        rows.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return "\n".join(rows)


def _page(dataset, analysis, table: pd.DataFrame, lang: str, failed: list[str]) -> str:
    from ..plots.overview import coverage_heatmap

    names = dict(zip(table["municipality_id"], table["name"], strict=True))
    heat = _png(coverage_heatmap(analysis.coverage, names, lang=lang))
    title = label("site_title", lang)
    as_of = dataset.extract_date
    lead = label(
        "site_lead",
        lang,
        n=len(table),
        date=fmt_date(as_of, lang) if as_of is not None else "—",
    )
    caveats = [label("site_caveat_groups", lang)]
    if dataset.synthetic:
        caveats.append(label("rep_caveat_synthetic", lang))
    headers = [
        ("site_col_name", False),
        ("site_col_quarters", True),
        ("site_col_models", True),
        ("site_col_citizen_days", True),
        ("site_col_staff_hours", True),
        ("site_col_score", True) if _no_groups(analysis) else ("site_col_group", False),
        ("site_col_workbook", False),
    ]
    head = "".join(
        f'<th class="{"num" if num else "text"}">{html_escape(label(k, lang))}</th>'
        for k, num in headers
    )
    failed_html = ""
    if failed:
        failed_html = (
            f'<p class="caveat">{html_escape(label("site_failed", lang))} '
            + ", ".join(html_escape(f) for f in failed)
            + "</p>"
        )
    return f"""{_top(title, lead, lang)}
<h2>{html_escape(label("site_h_region", lang))}</h2>
{_regional_summary(dataset, analysis, lang)}
<img alt="{html_escape(label("site_heatmap_alt", lang))}" src="data:image/png;base64,{heat}">
<h2>{html_escape(label("site_h_table", lang))}</h2>
<p class="noprint caveat">{html_escape(label("site_sort_hint", lang))}</p>
<table class="sortable"><thead><tr>{head}</tr></thead>
<tbody>
{_rows(table, lang, _no_groups(analysis))}
</tbody></table>
{failed_html}
<p class="caveat">{" ".join(html_escape(c) for c in caveats)}</p>
<script>{_JS}</script>
</body></html>
"""


def _top(title: str, lead: str, lang: str) -> str:
    """A front page's head and first lines: language, title, styles, heading and lead."""
    return f"""<!DOCTYPE html>
<html lang="{html_escape(lang)}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html_escape(title)}</title><style>{_CSS}</style></head>
<body>
<h1>{html_escape(title)}</h1>
<p>{html_escape(lead)}</p>"""


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_site(
    dataset, analysis, out_dir: str | Path, *, summary: pd.DataFrame | None = None,
    lang: str = "ru",
) -> Path:  # fmt: skip
    """Write ``index.html``, ``summary.xlsx`` and ``<municipality_id>.xlsx`` into ``out_dir``.

    Returns the path of ``index.html``.
    """
    from ..excel import write_tables

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    table = front_table(dataset, analysis, summary=summary, lang=lang)
    for m in table["municipality_id"]:
        part = analysis.scope(m) if m in set(analysis.savings["municipality_id"]) else None
        frames = {}
        row = table.loc[table["municipality_id"] == m]
        if part is not None:
            name = row["name"].iloc[0]
            frames = {
                label("sheet_savings", lang): _named(reduction_pct(part["savings"]), name),
                label("sheet_annual", lang): _named(part["annual"], name),
                label("sheet_attainment", lang): _named(part["attainment"], name),
            }
        shown = _shown(row, lang).drop(columns="workbook")  # not a link to itself
        frames = {label("site_sheet_summary", lang): shown, **frames}
        tmp = out / f".{m}.{os.getpid()}.tmp.xlsx"
        write_tables(frames, tmp, lang=lang)
        os.replace(tmp, out / f"{m}.xlsx")
    tmpx = out / f".summary.{os.getpid()}.tmp.xlsx"
    write_tables({label("site_sheet_summary", lang): _shown(table, lang)}, tmpx, lang=lang)
    os.replace(tmpx, out / "summary.xlsx")
    failed = table.loc[table["status"] == "failed", "name"].tolist()
    index = out / "index.html"
    _atomic_text(index, _page(dataset, analysis, table, lang, failed))
    return index


#: the columns of ``summary.xlsx``: the index page's table, one number a column (the file
#: names in ``report`` and ``workbook`` are relative hyperlinks; the code last, for analysts)
WORKBOOK_COLUMNS = (
    "municipality",
    *(c for c in FRONT_COLUMNS if c not in ("municipality_id", "name", "maturity_level")),
    "municipality_code",
)


def _named(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """A table of one municipality with its name, not its code, in ``municipality_id``."""
    if "municipality_id" not in frame.columns:
        return frame
    return frame.assign(municipality_id=pd.Series(name, index=frame.index, dtype=object))


def _shown(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The front table for a workbook: the name first, the run status only after a batch run."""
    out = table.rename(columns={"name": "municipality", "municipality_id": "municipality_code"})
    out = out[list(WORKBOOK_COLUMNS)]
    if not (out["status"].astype(str) != "").any():
        out = out.drop(columns="status")
    return out
