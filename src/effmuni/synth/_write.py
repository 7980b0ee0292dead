"""Writing the sample: CSV text formatted identically on every platform, and its README."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pandas as pd

from ..schema import TABLE_ORDER, TABLES
from ._clock import AS_OF
from ._generate import generate, regional_columns
from ._reference import read_text
from ._services import planted_effects


def _fmt_cells(series: pd.Series, kind: str) -> list[str]:
    """Format one column's cells as text, identically on every platform."""
    out = []
    for v in series.tolist():
        if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
            out.append("")
        elif kind == "float":
            text = f"{v:.4f}".rstrip("0").rstrip(".")
            out.append(text if text != "-0" else "0")
        elif kind == "int":
            out.append(str(int(v)))
        elif kind == "bool":
            out.append("true" if v else "false")
        elif kind == "date":
            out.append(f"{v:%Y-%m-%d}")
        elif kind == "datetime":
            out.append(f"{v:%Y-%m-%d %H:%M}")
        else:
            out.append(str(v))
    return out


def _csv_text(table: str, frame: pd.DataFrame) -> str:
    spec = regional_columns(table)
    columns = [_fmt_cells(frame[c.name], c.kind) for c in spec]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([c.name for c in spec])
    writer.writerows(zip(*columns, strict=True))
    return buffer.getvalue()


def _readme(tables: dict[str, pd.DataFrame], seed: int) -> str:
    """The sample's ``README.md``: the template ``sample_readme.md`` with the figures filled in."""
    mun, inst, proj = tables["municipalities"], tables["institutions"], tables["projects"]
    models = inst["model_level"].value_counts()
    stages = proj["stage"].value_counts()
    stage_text = ", ".join(
        f"{s} {int(stages.get(s, 0))}" for s in TABLES["projects"].column("stage").categories
    )
    methods = proj["baseline_method"].value_counts()
    method_text = ", ".join(
        f"{s} {int(methods.get(s, 0))}"
        for s in TABLES["projects"].column("baseline_method").categories
    )
    cases = tables["cases"]
    stats = tables["service_stats"]
    truth = planted_effects(tables)
    per_service, overall = truth.iloc[:-1], truth.iloc[-1]
    effects_rows = "\n".join(
        f"| `{r.service_id}` | {r.process_name} | {r.effect_log:.2f} | {r.reduction_pct:.1f} % "
        f"| {int(r.n_treated)} |"
        for r in per_service.itertuples(index=False)
    )
    return read_text("sample_readme.md").format(
        seed=seed,
        n_municipalities=len(mun),
        n_institutions=len(inst),
        models_local=int(models.get("local", 0)),
        models_regional=int(models.get("regional", 0)),
        models_federal=int(models.get("federal", 0)),
        n_projects=len(proj),
        as_of=f"{AS_OF:%Y-%m-%d}",
        stages=stage_text,
        baseline_methods=method_text,
        n_passport=len(tables["passport"]),
        n_steps=len(tables["steps"]),
        n_mapped_projects=tables["steps"]["project_id"].nunique(),
        n_cases=len(cases),
        n_logged_projects=cases["project_id"].nunique(),
        n_open_cases=int(cases["completed"].isna().sum()),
        n_engagement=len(tables["engagement"]),
        n_linked=int(proj["service_id"].notna().sum()),
        n_service_stats=len(stats),
        n_services=stats["service_id"].nunique(),
        first_month=stats["month"].min(),
        last_month=stats["month"].max(),
        n_units=len(stats.drop_duplicates(["municipality_id", "service_id"])),
        n_treated=int(overall["n_treated"]),
        effects_rows=effects_rows,
        overall_log=f"{overall['effect_log']:.3f}",
        overall_pct=f"{overall['reduction_pct']:.1f}",
    )


def write_sample(out_dir: str | Path, seed: int = 2023) -> list[Path]:
    """Write the synthetic sample dataset (CSV files and a README) into ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write; created when missing. Existing files of the same names are replaced.
    seed : int, default 2023
        Seed passed to :func:`generate`; the same seed gives byte-identical files.

    Returns
    -------
    list of Path
        The files written: one ``<table>.csv`` per table in
        :data:`effmuni.schema.TABLE_ORDER`, then ``README.md`` and ``dataset.json``.

    Examples
    --------
    >>> import tempfile
    >>> import effmuni as em
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = write_sample(tmp, seed=2023)
    ...     report = em.validate(tmp)
    >>> [p.name for p in paths][-3:], report.ok, report.warnings.empty
    (['service_stats.csv', 'README.md', 'dataset.json'], True, True)
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = generate(seed)
    written = []
    for name in TABLE_ORDER:
        path = out / f"{name}.csv"
        path.write_bytes(_csv_text(name, tables[name]).encode("utf-8"))
        written.append(path)
    readme = out / "README.md"
    readme.write_bytes(_readme(tables, seed).encode("utf-8"))
    written.append(readme)
    meta = out / "dataset.json"
    meta.write_bytes(_metadata(seed).encode("utf-8"))
    written.append(meta)
    return written


def _metadata(seed: int) -> str:
    """``dataset.json``: the sample declares itself synthetic, its region and extract date."""
    import json

    meta = {
        "title": "Synthetic sample: 26 municipal units of the Chuvash Republic, 2023Q1-2025Q4",
        "synthetic": True,
        "region_id": 21,
        "extract_date": f"{AS_OF:%Y-%m-%d}",
        "source": f"effmuni sample --seed {seed}",
    }
    return json.dumps(meta, indent=2, ensure_ascii=False) + "\n"
