"""Parquet data as pyarrow reads it, made safe for pandas: text checked, damaged metadata
ignored.

Parquet keeps text as bytes that pyarrow does not check when it reads them: in a damaged file
they may not be UTF-8, and every later text operation on them fails (``ArrowInvalid``).
:func:`damaged_text_column` finds such a column, so that the readers refuse the file naming
it (the table reader of :mod:`effmuni.io.tables`, the partitioned one and the event-log
reader). pandas keeps how it wrote a frame as JSON in the schema metadata; when that is
damaged, :func:`arrow_to_pandas` converts the table without it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

from ..schema import TABLES
from .text import normalize_label

__all__ = ["arrow_to_pandas", "damaged_text_column", "damaged_text_in_file"]


def damaged_text_column(data: pd.DataFrame | pa.Table, table: str | None = None) -> str | None:
    """The first column of a Parquet file, as read, whose text is not valid UTF-8; else None.

    ``data`` is the file read by pyarrow or by pandas (for a categorical column, its categories
    are checked). Binary columns (text written without saying so) are checked too where they
    are columns of ``table`` (all of them when ``table`` is None); others may hold any bytes.

    Examples
    --------
    >>> bad = pa.array([b"ok", b"\\xd0"], pa.binary()).view(pa.string())
    >>> damaged_text_column(pa.table({"a": ["x", "y"], "b": bad}))
    'b'
    >>> damaged_text_column(pd.DataFrame({"a": ["x"]})) is None
    True
    """
    known = None
    if table is not None:
        known = {normalize_label(n) for c in TABLES[table].columns for n in (c.name, *c.aliases)}

    def is_known(name) -> bool:
        return known is None or normalize_label(str(name)) in known

    if isinstance(data, pd.DataFrame):
        columns = ((name, _arrow_text(s, is_known(name))) for name, s in data.items())
    else:
        columns = zip(data.column_names, data.columns, strict=True)
    for name, array in columns:
        if array is not None and not _valid_utf8(array, is_known(name)):
            return str(name)
    return None


def damaged_text_in_file(path: Path, table: str | None = None) -> str | None:
    """:func:`damaged_text_column` of a Parquet file pandas could not read (None when pyarrow
    cannot read it either)."""
    import pyarrow.parquet as pq

    try:
        return damaged_text_column(pq.read_table(path), table)
    except Exception:  # pyarrow raises several types for corrupt files
        return None


def _arrow_text(s: pd.Series, binary: bool):
    """The Arrow data behind a column's text (a categorical's categories), else None; with
    ``binary``, also a column of bytes."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = pd.Series(s.cat.categories)
    if getattr(s.dtype, "storage", None) == "pyarrow" or isinstance(s.dtype, pd.ArrowDtype):
        return pa.array(s.array)
    if binary and s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) == "bytes":
        return pa.array(s, type=pa.binary(), from_pandas=True)
    return None


def arrow_to_pandas(table: pa.Table) -> pd.DataFrame:
    """``table.to_pandas()``, ignoring the table's pandas metadata when that is damaged.

    pandas stores how it wrote a frame (index, dtypes) as JSON under the schema key
    ``pandas``. In a damaged file that JSON may not be UTF-8, not JSON, or of the wrong
    shape, and pyarrow then fails in several ways; the columns themselves do not need it.
    """
    try:
        return table.to_pandas()
    except Exception:  # UnicodeDecodeError, JSONDecodeError, KeyError, TypeError ...
        metadata = table.schema.metadata or {}
        if b"pandas" not in metadata:
            raise
    plain = {k: v for k, v in metadata.items() if k != b"pandas"}
    return table.replace_schema_metadata(plain).to_pandas()


#: bytes types and the text types of the same layout
_AS_TEXT = {
    pa.binary(): pa.string(),
    pa.large_binary(): pa.large_string(),
    pa.binary_view(): pa.string_view(),
}


def _valid_utf8(array: pa.Array | pa.ChunkedArray, binary: bool = True) -> bool:
    """Whether the text of ``array`` (of a dictionary's values; of bytes with ``binary``) is
    valid UTF-8. Columns of other types are."""
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    for chunk in chunks:
        if pa.types.is_dictionary(chunk.type):
            chunk = chunk.dictionary
        kind = chunk.type
        if binary and kind in _AS_TEXT:
            chunk = chunk.view(_AS_TEXT[kind])  # the same bytes, as text: checked below
        elif not (
            pa.types.is_string(kind)
            or pa.types.is_large_string(kind)
            or pa.types.is_string_view(kind)
        ):
            continue
        try:
            chunk.validate(full=True)  # full: checks that the text is UTF-8
        except pa.ArrowInvalid:
            return False
    return True
