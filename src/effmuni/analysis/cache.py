"""A cache of analysis results that cannot serve stale numbers.

An entry is keyed by a hash of three things: the dataset's tables, the
:class:`~effmuni.AnalysisConfig` and the package's own source files. Change any of them and the
key changes, so a report never reads results computed by older code or other options. Entries
are folders of Parquet tables and one JSON file (no pickle): safe to read, readable by other
tools, and written atomically (a half-written entry is never seen).

The cache lives in ``$EFFMUNI_CACHE`` (default ``~/.cache/effmuni``), under ``analysis/``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from functools import lru_cache
from pathlib import Path

import pandas as pd

__all__ = ["cache_root", "dataset_hash", "load_entry", "source_hash", "store_entry"]

_PACKAGE = Path(__file__).resolve().parents[1]


def cache_root() -> Path:
    """The cache folder: ``$EFFMUNI_CACHE`` or ``~/.cache/effmuni``."""
    env = os.environ.get("EFFMUNI_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "effmuni"


@lru_cache(maxsize=1)
def source_hash() -> str:
    """A hash of every source and data file of the installed ``effmuni`` package.

    Any edit to the code (or to a bundled reference table) changes it; caches and
    ``effmuni batch --resume`` compare it, so results of older code are never reused.

    Examples
    --------
    >>> from effmuni.analysis.cache import source_hash
    >>> len(source_hash())
    32
    """
    h = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts or path.suffix in (".pyc", ".pyo"):
            continue
        h.update(path.relative_to(_PACKAGE).as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:32]


def dataset_hash(dataset) -> str:
    """A content hash of every table of ``dataset`` (stable across processes and runs)."""
    from ..schema import TABLE_ORDER

    h = hashlib.sha256()
    for name in TABLE_ORDER:
        frame = dataset.table(name)
        h.update(name.encode())
        h.update(",".join(map(str, frame.columns)).encode())
        h.update(",".join(map(str, frame.dtypes)).encode())
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    meta = getattr(dataset, "metadata", None)
    if meta:
        h.update(json.dumps(meta, sort_keys=True, default=str).encode())
    return h.hexdigest()[:32]


def entry_key(*parts: object) -> str:
    """The key of a cache entry: a hash of ``parts`` and of the package source."""
    text = json.dumps([*map(str, parts), source_hash()], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def load_entry(kind: str, key: str) -> tuple[dict[str, pd.DataFrame], dict] | None:
    """The tables and JSON metadata of an entry, or None when absent or damaged."""
    folder = cache_root() / kind / key
    meta_path = folder / "meta.json"
    if not meta_path.is_file():
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        tables = {
            name: pd.read_parquet(folder / f"{name}.parquet") for name in meta.get("tables", [])
        }
    except Exception:  # a damaged entry is recomputed, never trusted
        shutil.rmtree(folder, ignore_errors=True)
        return None
    return tables, meta


def store_entry(kind: str, key: str, tables: dict[str, pd.DataFrame], meta: dict) -> bool:
    """Write an entry atomically; returns False (and keeps going) when the cache is read-only."""
    root = cache_root() / kind
    final = root / key
    if final.exists():
        return True
    tmp = root / f".{key}.{uuid.uuid4().hex}.tmp"
    try:
        tmp.mkdir(parents=True)
        for name, frame in tables.items():
            frame.to_parquet(tmp / f"{name}.parquet")
        meta = {**meta, "tables": list(tables)}
        (tmp / "meta.json").write_text(json.dumps(meta, default=str), encoding="utf-8")
        os.replace(tmp, final)  # atomic: parallel reports never read half an entry
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        return final.exists()
    return True
