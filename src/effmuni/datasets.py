"""Loading a dataset: the :class:`Dataset` container and the bundled sample."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .calendar import workdays_between
from .io import DataError
from .schema import DURATION_INDICATORS, MINUTES_PER_UNIT, TABLE_ORDER
from .text import label
from .validate import ValidationReport, validate

__all__ = [
    "METADATA_KEYS",
    "Dataset",
    "load_dataset",
    "read_metadata",
    "resolve_path",
    "sample_path",
]

SAMPLE_SEED = 2023


def _repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def sample_path() -> Path:
    """Folder of the bundled synthetic sample dataset.

    In a source checkout this is ``data/sample/``. Where the package is installed without the
    repository, the sample is regenerated once from its seed (it is deterministic) into
    ``$EFFMUNI_CACHE`` or ``~/.cache/effmuni``.

    Examples
    --------
    >>> sample_path().name
    'sample'
    """
    here = _repo_root() / "data" / "sample"
    if (here / "projects.csv").exists():
        return here
    cache = Path(os.environ.get("EFFMUNI_CACHE", Path.home() / ".cache" / "effmuni")) / "sample"
    if not (cache / "projects.csv").exists():
        from .synth import write_sample

        write_sample(cache, seed=SAMPLE_SEED)
    return cache


def resolve_path(path: str | Path | None) -> Path:
    """Resolve a data path given to a notebook or the command line.

    ``None`` means the bundled sample. A relative path is taken from the current directory when
    it exists there, else from the repository root, so a notebook finds ``data/sample`` whether
    its kernel starts in ``notebooks/`` (JupyterLab, nbval) or in the repository (papermill).
    The result is never printed by effmuni (absolute paths differ between machines).

    Examples
    --------
    >>> resolve_path("data/sample") == sample_path()
    True
    """
    if path is None:
        return sample_path()
    p = Path(path).expanduser()
    if p.is_absolute() or p.exists():
        return p.resolve()
    candidate = _repo_root() / p
    return candidate.resolve() if candidate.exists() else p


@dataclass
class Dataset:
    """The tables of one dataset, validated and typed.

    Each table of the data dictionary is an attribute holding a DataFrame with the canonical
    column names (optional tables are empty when absent). Derived on load:

    - ``cases.lead_time_days``: completed − received in calendar days (NaN while open);
    - ``cases.lead_time_workdays``: the same on the Russian production calendar;
    - ``passport.value`` in minutes for durations given in ``min``, ``h`` or ``day``
      (``unit`` becomes ``min`` and ``basis`` ``calendar``); durations in ``workday`` stay in
      working days (``basis`` ``working``); ``value_raw`` and ``unit_raw`` keep what was written.

    ``report`` is the :class:`~effmuni.ValidationReport` of the load. ``metadata`` holds what
    the dataset declares about itself (``dataset.json`` beside the tables): ``extract_date``
    (when the data were exported), ``synthetic`` (true for generated data), ``region_id``,
    ``title``; see :data:`METADATA_KEYS`.
    """

    municipalities: pd.DataFrame
    institutions: pd.DataFrame
    projects: pd.DataFrame
    passport: pd.DataFrame
    steps: pd.DataFrame
    cases: pd.DataFrame
    engagement: pd.DataFrame
    service_stats: pd.DataFrame
    report: ValidationReport = field(repr=False)
    source: str = ""
    metadata: dict = field(default_factory=dict)

    @classmethod
    def from_report(cls, report: ValidationReport) -> Dataset:
        """Build a Dataset from the accepted rows of a :func:`~effmuni.validate` report."""
        tables = {name: report.tables[name].copy() for name in TABLE_ORDER}
        _derive(tables)
        return cls(**tables, report=report, source=report.source)

    @property
    def extract_date(self) -> pd.Timestamp | None:
        """When the data were exported: declared in ``dataset.json``, else the latest date in
        the data (:attr:`extract_date_declared` says which)."""
        declared = self.metadata.get("extract_date")
        if declared:
            return pd.Timestamp(declared)
        p, c = self.projects, self.cases
        dates = pd.concat(
            [p["start_date"], p["actual_end"], c["received"], c["completed"]], ignore_index=True
        ).dropna()
        if not len(dates):
            return None
        latest = dates.max()
        return (latest.tz_localize(None) if latest.tzinfo else latest).normalize()

    @property
    def extract_date_declared(self) -> bool:
        """True when ``dataset.json`` declares the extract date."""
        return bool(self.metadata.get("extract_date"))

    @property
    def synthetic(self) -> bool:
        """True when the dataset declares itself synthetic (the bundled sample does)."""
        return bool(self.metadata.get("synthetic", False))

    def table(self, name: str) -> pd.DataFrame:
        """Return the table called ``name``."""
        if name not in TABLE_ORDER:
            raise KeyError(f"unknown table {name!r}; tables are {', '.join(TABLE_ORDER)}")
        return getattr(self, name)

    def project_municipality(self) -> pd.DataFrame:
        """Map each project to its institution and municipality.

        Returns a DataFrame with ``project_id``, ``institution_id``, ``municipality_id``.
        """
        p = self.projects[["project_id", "institution_id"]]
        i = self.institutions[["institution_id", "municipality_id"]]
        return p.merge(i, on="institution_id", how="left")

    def municipalities_as_of(self, date=None) -> pd.DataFrame:
        """Municipal units that existed on ``date`` (all of them when ``date`` is None)."""
        m = self.municipalities
        if date is None:
            return m
        d = pd.Timestamp(date)
        alive = (m["valid_from"].isna() | (m["valid_from"] <= d)) & (
            m["valid_to"].isna() | (m["valid_to"] >= d)
        )
        return m.loc[alive.to_numpy(dtype=bool)].reset_index(drop=True)

    def summary(self, lang: str = "en") -> pd.DataFrame:
        """One row per fact: what the dataset holds and what validation found.

        Columns ``item`` and ``value`` (values as text, ready to print), in ``lang``.
        """
        L = lambda key, **kw: label(key, lang, **kw)  # noqa: E731
        c, p = self.cases, self.projects
        dates = pd.concat(
            [p["start_date"], p["actual_end"], c["received"], c["completed"]], ignore_index=True
        ).dropna()
        span = f"{dates.min():%Y-%m-%d} … {dates.max():%Y-%m-%d}" if len(dates) else "—"
        models = int((self.institutions["model_level"] != "none").sum())
        stages = p["stage"].value_counts()
        stage_text = ", ".join(f"{L('stage_' + s)} {int(stages[s])}" for s in stages.index) or "—"
        rows = [
            ("sum_municipalities", f"{len(self.municipalities)}"),
            ("sum_institutions", L("sum_models", n=len(self.institutions), m=models)),
            ("sum_projects", f"{len(p)} ({stage_text})"),
            (
                "sum_passport",
                L(
                    "sum_in_projects",
                    n=len(self.passport),
                    p=self.passport["project_id"].nunique(),
                ),
            ),
            (
                "sum_steps",
                L("sum_in_projects", n=len(self.steps), p=self.steps["project_id"].nunique()),
            ),
            (
                "sum_cases",
                L(
                    "sum_cases_text",
                    n=len(c),
                    open=int(c["completed"].isna().sum()),
                    p=c["project_id"].nunique(),
                ),
            ),
            ("sum_engagement", f"{len(self.engagement)}"),
            ("sum_dates", span),
            ("sum_rejected", f"{int(self.report.counts['rows_rejected'].sum())}"),
            (
                "sum_problems",
                L("sum_problems_text", e=len(self.report.errors), w=len(self.report.warnings)),
            ),
        ]
        return pd.DataFrame([(L(k), v) for k, v in rows], columns=["item", "value"])

    def __repr__(self) -> str:
        sizes = ", ".join(f"{t}={len(getattr(self, t))}" for t in TABLE_ORDER)
        return f"Dataset({self.source!r}: {sizes})"


def _derive(tables: dict[str, pd.DataFrame]) -> None:
    cases = tables["cases"]
    cases["lead_time_days"] = (cases["completed"] - cases["received"]) / pd.Timedelta(days=1)
    cases["lead_time_workdays"] = workdays_between(cases["received"], cases["completed"])
    pas = tables["passport"]
    pas["stat"] = pas["stat"].fillna("single")
    pas["value_raw"] = pas["value"]
    pas["unit_raw"] = pas["unit"]
    factor = pas["unit"].map(MINUTES_PER_UNIT)
    duration = pas["indicator"].isin(DURATION_INDICATORS)
    calendar = duration & factor.notna()
    pas["value"] = pas["value"].where(~calendar, pas["value"] * factor.astype("float64"))
    pas["unit"] = pas["unit"].where(~calendar, "min")
    pas["basis"] = pd.Series(
        np.where(
            calendar, "calendar", np.where(duration & (pas["unit"] == "workday"), "working", None)
        ),
        index=pas.index,
        dtype="string",
    )


def load_dataset(
    path: str | Path | None = None,
    *,
    strict: bool = True,
    region: int | None = None,
    municipalities=None,
    lang: str = "ru",
) -> Dataset:
    """Load and validate a dataset.

    Parameters
    ----------
    path : str or Path, optional
        A folder of CSV/Parquet tables or one ``.xlsx`` workbook. Default: the bundled sample.
    strict : bool, default True
        When True, any validation error raises :class:`~effmuni.DataError` listing the
        problems. When False, the valid rows are loaded and the report is kept on
        ``Dataset.report`` (rejected rows in ``report.rejected``).
    region : int, optional
        For a partitioned Parquet dataset (tables as ``<table>/region_id=NN/`` folders, as
        ``effmuni sample --scale federal`` writes): read only this region's partitions.
        Without it every region is read, one at a time (memory grows with the accepted rows).
    municipalities : iterable of str, optional
        For a partitioned dataset: read only the rows of these municipalities (their
        institutions, projects and the projects' passport, steps and cases), the filter
        pushed down to the Parquet reader. See :func:`~effmuni.validate`.
    lang : {"ru", "en"}, default "ru"
        The language of the problems kept with the rejected rows (``report.rejected``'s
        ``_problems``, the quarantine files).

    Examples
    --------
    >>> import effmuni as em
    >>> ds = em.load_dataset()
    >>> len(ds.municipalities)
    26
    >>> ds.cases[["lead_time_days", "lead_time_workdays"]].notna().any().all()
    np.True_
    """
    path = resolve_path(path)
    metadata = read_metadata(path)
    report = validate(path, region=region, municipalities=municipalities, lang=lang)
    if strict and not report.ok:
        raise DataError(report)
    ds = Dataset.from_report(report)
    ds.metadata = metadata
    return ds


#: what ``dataset.json`` may declare, and the Python type of each value
METADATA_KEYS = {
    "extract_date": str,
    "synthetic": bool,
    "region_id": int,
    "title": str,
    "source": str,
    "format": str,  # "parquet" (the federal sample)
    "partitioning": str,  # how the tables are partitioned, in words
    "region_ids": list,  # the regions a partitioned dataset holds
}


def read_metadata(path: str | Path) -> dict:
    """The dataset's own description: ``dataset.json`` in a dataset folder (``{}`` if absent).

    Keys (all optional): ``extract_date`` (``"2025-12-31"``: when the data were exported; open
    cases are censored there), ``synthetic`` (true for generated data), ``region_id``,
    ``title``, ``source``. Unknown keys and wrong types are a :class:`~effmuni.DataError`.

    Examples
    --------
    >>> read_metadata(sample_path())["synthetic"]
    True
    """
    import json

    folder = Path(path)
    file = folder / "dataset.json" if folder.is_dir() else folder.with_suffix(".json")
    if not file.is_file():
        return {}
    try:
        meta = json.loads(file.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise DataError(f"{file.name}: not readable JSON ({e})") from None
    if not isinstance(meta, dict):
        raise DataError(f"{file.name}: must hold a JSON object")
    for key, value in meta.items():
        kind = METADATA_KEYS.get(key)
        if kind is None:
            raise DataError(
                f"{file.name}: unknown key {key!r}; allowed: {', '.join(METADATA_KEYS)}"
            )
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise DataError(f"{file.name}: {key} must be {kind.__name__}, not {value!r}")
    if meta.get("extract_date"):
        try:
            text = str(meta["extract_date"]).strip()
            dotted = len(text.split(".")) == 3  # 31.12.2025: the Russian day-first form
            stamp = pd.to_datetime(text, format="%d.%m.%Y" if dotted else "ISO8601")
            meta["extract_date"] = f"{stamp:%Y-%m-%d}"
        except (TypeError, ValueError):
            raise DataError(
                f"{file.name}: extract_date must be a date such as 2025-12-31, "
                f"not {meta['extract_date']!r}"
            ) from None
    return meta
