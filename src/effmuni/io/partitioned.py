"""Reading a partitioned Parquet dataset lazily, region by region.

A dataset folder may hold a table as a *directory* instead of a file: ``<table>/`` of Parquet
files, partitioned the Hive way (``cases/region_id=21/part-0.parquet``, the layout of
``effmuni sample --scale federal``). Such a table is opened with
:func:`pyarrow.dataset.dataset` (``partitioning="hive"``), which lists the files without
reading them; :meth:`PartitionedSource.read` then reads one region's partition only, with a
row filter pushed down to the Parquet reader (municipality, institution or project ids), so
neither the other regions nor the rows left out are read into memory.

A file that cannot be read (a corrupt Parquet file, or one whose columns do not fit the
others) is a problem naming the file by its path inside the dataset folder; the table's
other files are still read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from ..schema import TABLES
from .errors import Problem
from .parquet import arrow_to_pandas, damaged_text_column
from .tables import RawTable, _header_lookup
from .text import normalize_label

__all__ = ["PARTITION_KEY", "PartitionedSource", "partition_values"]

PARTITION_KEY = "region_id"

#: the rows of each table a municipality filter keeps: (column, the table giving the ids)
_SELECT_BY = {
    "municipalities": ("municipality_id", None),
    "institutions": ("municipality_id", None),
    "engagement": ("municipality_id", None),
    "service_stats": ("municipality_id", None),
    "projects": ("institution_id", "institutions"),
    "passport": ("project_id", "projects"),
    "steps": ("project_id", "projects"),
    "cases": ("project_id", "projects"),
}


def _files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and not any(part.startswith((".", "_")) for part in p.relative_to(folder).parts)
    )


def partition_values(folder: Path, key: str = PARTITION_KEY) -> list[str]:
    """The values of ``key`` named by the directories under ``folder`` (``region_id=21``)."""
    found: set[str] = set()
    for p in folder.rglob(f"{key}=*"):
        if p.is_dir():
            found.add(p.name.split("=", 1)[1])
    return sorted(found, key=lambda v: (not v.isdigit(), int(v) if v.isdigit() else 0, v))


def _partitioning(folder: Path) -> ds.Partitioning:
    """Hive partitioning with the keys named by the directories (integers when all digits)."""
    keys: dict[str, set[str]] = {}
    for p in folder.rglob("*=*"):
        if p.is_dir():
            k, v = p.name.split("=", 1)
            keys.setdefault(k, set()).add(v)
    fields = [
        pa.field(k, pa.int32() if all(v.isdigit() for v in vs) else pa.string())
        for k, vs in keys.items()
    ]
    return ds.partitioning(pa.schema(fields), flavor="hive")


def _open(folder: Path) -> ds.Dataset:
    """The table's files as one dataset; its schema from the first file that can be read."""
    partitioning = _partitioning(folder)
    try:
        return ds.dataset(folder, format="parquet", partitioning=partitioning)
    except (pa.ArrowException, OSError):
        pass  # the first file (which gives the schema) is unreadable: find one that is not
    for f in _files(folder):
        try:
            schema = pq.read_schema(f)
        except (pa.ArrowException, OSError):
            continue
        for fld in partitioning.schema:
            if fld.name not in schema.names:
                schema = schema.append(fld)
        return ds.dataset(folder, format="parquet", partitioning=partitioning, schema=schema)
    raise OSError("no readable Parquet file")


@dataclass
class PartitionedSource:
    """The partitioned tables of one dataset folder: ``tables`` maps a table to its folder."""

    root: Path
    tables: dict[str, Path]
    _datasets: dict[str, ds.Dataset | Exception] = field(default_factory=dict, repr=False)

    def regions(self) -> list[int | None]:
        """The regions the tables are partitioned by; ``[None]`` when not by region."""
        values: set[str] = set()
        for folder in self.tables.values():
            values.update(partition_values(folder))
        if not values:
            return [None]
        return sorted(int(v) if v.isdigit() else v for v in values)  # type: ignore[misc]

    def name(self, path: str | Path) -> str:
        """A path as shown to the user: relative to the dataset folder, with ``/``."""
        try:
            return Path(path).relative_to(self.root).as_posix()
        except ValueError:
            return Path(path).name

    def dataset(self, table: str) -> ds.Dataset:
        if table not in self._datasets:
            try:
                self._datasets[table] = _open(self.tables[table])
            except (pa.ArrowException, OSError) as e:
                self._datasets[table] = e
        got = self._datasets[table]
        if isinstance(got, Exception):
            raise got
        return got

    def read(
        self,
        table: str,
        *,
        region: int | None = None,
        ids: dict[str, set] | None = None,
    ) -> tuple[RawTable | None, list[tuple[str, Problem]]]:
        """Read ``table``'s partition of ``region`` (every region when None).

        ``ids`` selects rows by municipality: ``{"municipalities": {...}}`` (and, filled in as
        the tables are read, ``institutions`` and ``projects``); see :data:`_SELECT_BY`.
        Returns the raw table (None when the region has no files of it) and the problems, as
        ``(file, Problem)``, of files that could not be read. Row numbers are spreadsheet-style
        positions within each file (header = 1), also when a filter leaves rows out.
        """
        folder_name = self.name(self.tables[table]) + "/"
        try:
            dset = self.dataset(table)
        except (pa.ArrowException, OSError) as e:
            problem = Problem("read_bad_parquet", {"name": folder_name, "error": type(e).__name__})
            return RawTable(table, folder_name, _empty(), np.zeros(0, np.int64)), [
                (folder_name, problem)
            ]
        part = None
        if region is not None and PARTITION_KEY in dset.schema.names:
            part = ds.field(PARTITION_KEY) == region
        rows_expr = self._row_filter(table, dset.schema, ids)
        fragments = sorted(
            dset.get_fragments() if part is None else dset.get_fragments(filter=part),
            key=lambda f: f.path,
        )
        if not fragments:
            return None, []
        pieces, numbers, problems, names = [], [], [], []
        for frag in fragments:
            fname = self.name(frag.path)
            try:
                if rows_expr is None:
                    got = frag.to_table(schema=dset.schema)
                    rows = np.arange(2, got.num_rows + 2)
                else:
                    mask = frag.to_table(schema=dset.schema, columns={"_keep": rows_expr})
                    keep = pc.fill_null(mask.column("_keep"), False)
                    rows = np.flatnonzero(keep.to_numpy(zero_copy_only=False)) + 2
                    got = frag.to_table(schema=dset.schema, filter=rows_expr)
                    if got.num_rows != len(rows):  # pragma: no cover - defensive
                        rows = np.arange(2, got.num_rows + 2)
            except (pa.ArrowException, OSError, ValueError) as e:
                problems.append(
                    (
                        fname,
                        Problem("read_bad_parquet", {"name": fname, "error": type(e).__name__}),
                    )
                )
                continue
            column = damaged_text_column(got, table)
            if column is not None:
                problem = Problem("read_parquet_not_utf8", {"name": fname, "column": column})
                problems.append((fname, problem))
                continue
            pieces.append(got)
            numbers.append(rows)
            names.append(fname)
        if not pieces:
            file = self.name(fragments[0].path) if len(fragments) == 1 else folder_name
            return RawTable(table, file, _empty(), np.zeros(0, np.int64)), problems
        data = pa.concat_tables(pieces)
        columns = {c.name for c in TABLES[table].columns}
        if PARTITION_KEY in data.schema.names and PARTITION_KEY not in columns:
            data = data.drop_columns([PARTITION_KEY])
        frame = arrow_to_pandas(data)
        if len(names) == 1 and len(fragments) == 1:
            file, rows = names[0], numbers[0]
        else:  # several files: rows are numbered through them in the order of their paths
            file, rows = folder_name, np.arange(2, len(frame) + 2)
        return RawTable(table, file, frame.reset_index(drop=True), rows), problems

    def shared_ids(self, table: str = "municipalities") -> dict[str, list]:
        """The key values of ``table`` found in more than one region, with those regions.

        Only the key column and the partition key of each file are read (a few bytes a row);
        files that cannot be read are left to the region passes, which report them. Values are
        compared as text without surrounding spaces.
        """
        if table not in self.tables:
            return {}
        try:
            dset = self.dataset(table)
        except (pa.ArrowException, OSError):
            return {}
        name = _column_named(table, dset.schema, TABLES[table].key[0])
        if name is None or PARTITION_KEY not in dset.schema.names:
            return {}
        pieces = []
        for frag in dset.get_fragments():
            try:
                pieces.append(frag.to_table(schema=dset.schema, columns=[name, PARTITION_KEY]))
            except (pa.ArrowException, OSError, ValueError):
                continue
        if not pieces:
            return {}
        both = pa.concat_tables(pieces)
        ids = pc.utf8_trim_whitespace(pc.cast(both.column(name), pa.string()))
        pairs = pa.table({"id": ids, "region": both.column(PARTITION_KEY)}).drop_null()
        regions = pairs.group_by("id").aggregate([("region", "distinct")])
        lists = regions.column("region_distinct").to_pylist()
        return {
            i: sorted(r)
            for i, r in zip(regions.column("id").to_pylist(), lists, strict=True)
            if len(r) > 1
        }

    def _row_filter(self, table: str, schema: pa.Schema, ids: dict[str, set] | None):
        if ids is None or table not in _SELECT_BY:
            return None
        column, source = _SELECT_BY[table]
        values = ids.get(source or "municipalities")
        if values is None:
            return None
        name = _column_named(table, schema, column)
        if name is None:
            return None  # no such column: the check of headers reports it
        kind = schema.field(name).type
        array = pa.array(sorted(str(v) for v in values), pa.string())
        try:
            array = pc.cast(array, kind)
        except (pa.ArrowException, ValueError):
            pass
        return pc.field(name).isin(array)


def _column_named(table: str, schema: pa.Schema, column: str) -> str | None:
    """The name the files give ``column`` of ``table`` (its header or an alias), if any."""
    lookup = _header_lookup(TABLES[table])
    return next((n for n in schema.names if lookup.get(normalize_label(n)) == column), None)


def _empty():
    import pandas as pd

    return pd.DataFrame()
