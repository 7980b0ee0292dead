"""What a municipality report draws, stored once and read back without recomputing.

A report needs an :class:`Analysis` and, from the dataset itself, only the names of the
municipalities, the projects' services and processes, and the extract date. Both kinds of run
store exactly that, as Parquet tables and one JSON file:

- ``effmuni analyse`` (a partitioned, federal dataset) writes it per region to
  ``<output>/region_id=NN/`` (:mod:`.regions`);
- a report of a regional dataset (``report_inputs(..., data_dir=..., config=...)``, which the
  batch calls once before its kernels start) stores it in the cache, under
  ``$EFFMUNI_CACHE/report-inputs/<key>``, keyed by a hash of the dataset's *files* (every byte,
  names and sizes), the configuration and the package source. The next report of the same
  files reads its slice from there (about 0.1 s) instead of parsing and validating the whole
  dataset again (1.6 s for the bundled sample); any change to a file, an option or the code
  gives another key.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pandas as pd

from .cache import cache_root, entry_key, load_entry, store_entry
from .config import AnalysisConfig
from .core import Analysis, _restore, _storable, _tables_of

__all__ = ["report_bundle", "report_inputs", "store_report_inputs"]

_KIND = "report-inputs"
#: the columns of ``projects`` a report names things from
_REPORT_PROJECTS = ("project_id", "institution_id", "service_id", "process_name")
#: the columns of ``institutions`` the front pages count model institutions from
_REPORT_INSTITUTIONS = ("institution_id", "municipality_id", "model_level")


def report_bundle(dataset, analysis: Analysis) -> tuple[dict[str, pd.DataFrame], dict]:
    """The tables and metadata that let :func:`inputs_from_bundle` rebuild a report's inputs:
    the analysis (as the cache stores it) plus ``report.municipalities``, ``report.projects``
    and ``report.institutions``, and the dataset's metadata with its extract date."""
    tables, meta = _storable(_tables_of(analysis), analysis.maturity)
    tables["report.municipalities"] = dataset.municipalities
    projects = dataset.projects
    tables["report.projects"] = projects[[c for c in _REPORT_PROJECTS if c in projects]]
    institutions = dataset.institutions
    tables["report.institutions"] = institutions[
        [c for c in _REPORT_INSTITUTIONS if c in institutions]
    ]
    extract = dataset.extract_date
    meta = {
        **meta,
        "config": analysis.config.as_dict(),
        "key": analysis.key,
        "dataset": {
            **dataset.metadata,
            "extract_date": None if extract is None else f"{extract:%Y-%m-%d}",
            "synthetic": dataset.synthetic,
        },
    }
    return tables, meta


def inputs_from_bundle(tables: dict[str, pd.DataFrame], meta: dict, source: str):
    """(Dataset, Analysis) from what :func:`report_bundle` stored: a Dataset holding the
    municipalities, the projects' names and the institutions' levels only (the other tables
    empty)."""
    from ..datasets import Dataset
    from ..io import empty_table
    from ..schema import TABLE_ORDER

    frames = {name: frame for name, frame in tables.items() if not name.startswith("report.")}
    analysis = _restore(AnalysisConfig(**meta["config"]), meta["key"], frames, meta)
    if analysis is None:
        raise ValueError(f"the stored analysis in {source} is damaged")
    slim = {name: empty_table(name) for name in TABLE_ORDER}
    slim["municipalities"] = tables["report.municipalities"]
    for name in ("projects", "institutions"):  # the stored columns, the others empty
        stored = tables.get(f"report.{name}")
        if stored is not None:
            slim[name] = pd.concat([slim[name].iloc[:0], stored], ignore_index=True)
    dataset = Dataset(**slim, report=None, source=source, metadata=meta["dataset"])
    return dataset, analysis


def _files_hash(path: Path) -> str:
    """A hash of every file a dataset path holds: names, sizes and bytes (hidden files and
    folders left out, as the readers leave them out)."""
    h = hashlib.sha256()
    if path.is_file():
        files = [path]
        root = path.parent
    else:
        root = path
        files = sorted(
            p
            for p in path.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
        )
    for file in files:
        h.update(file.relative_to(root).as_posix().encode())
        h.update(b"\0%d\0" % file.stat().st_size)
        with open(file, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()[:32]


def _key(path: Path, config: AnalysisConfig) -> str:
    return entry_key(_KIND, _files_hash(path), config.as_dict())


def store_report_inputs(data_dir, dataset, analysis: Analysis) -> None:
    """Store what the reports of ``data_dir`` draw (the batch calls this once, before its
    kernels start; :func:`report_inputs` then reads it). A read-only cache is not an error."""
    from ..datasets import resolve_path

    path = resolve_path(data_dir)
    store_entry(_KIND, _key(path, analysis.config), *report_bundle(dataset, analysis))


def report_inputs(
    municipality: str,
    *,
    data_dir: str | None = None,
    analysis_dir: str | None = None,
    config: AnalysisConfig | None = None,
):
    """The dataset and analysis that a municipality report draws.

    Parameters
    ----------
    municipality : str
    data_dir : str, optional
        The dataset (default: the bundled sample).
    analysis_dir : str, optional
        The folder ``effmuni analyse`` wrote for a partitioned (federal) dataset. Then only the
        unit's region is read: its analysis and the few tables the report names things from
        (:func:`effmuni.analysis.regions.region_report_inputs`); ``data_dir`` is not read.
    config : AnalysisConfig, optional
        With it, the analysis under this configuration: read from what an earlier report (or
        the batch) of the same files stored, else computed from the dataset and stored for the
        next report. Then the returned dataset may hold only what a report names things from
        (municipalities, the projects' names, the extract date); the report is the same.
        Without it: the whole dataset, read and validated, and no analysis.

    Returns
    -------
    (Dataset, Analysis or None)
        Pass both to :func:`effmuni.municipality_report`.

    Examples
    --------
    >>> import effmuni as em
    >>> ds, analysis = em.report_inputs("cheboksary")
    >>> len(ds.municipalities), analysis is None
    (26, True)
    >>> ds, analysis = em.report_inputs("cheboksary", config=em.AnalysisConfig(n_boot=200))
    >>> len(ds.municipalities), analysis.config.n_boot
    (26, 200)
    """
    if analysis_dir:
        from .regions import region_report_inputs

        return region_report_inputs(analysis_dir, municipality)
    from ..datasets import load_dataset, resolve_path

    if config is None:
        return load_dataset(data_dir), None
    path = resolve_path(data_dir)
    key = _key(path, config) if path.exists() else None
    hit = load_entry(_KIND, key) if key else None
    if hit is not None:
        try:
            return inputs_from_bundle(*hit, source=str(path))
        except (KeyError, ValueError, TypeError):  # damaged: recomputed below, stored anew
            shutil.rmtree(cache_root() / _KIND / key, ignore_errors=True)
    from .core import analyse

    dataset = load_dataset(data_dir)
    analysis = analyse(dataset, config)
    if key:
        store_entry(_KIND, key, *report_bundle(dataset, analysis))
    return dataset, analysis
