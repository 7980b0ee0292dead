"""The data dictionary, encoded once.

Every table of a dataset, its columns, their kinds, units and allowed values, and the Russian
headers and category labels accepted on input live in ``dictionary.toml`` beside this module;
this module reads it into :class:`Table` and :class:`Column` objects. ``data/README.md`` documents the same
dictionary for people; :func:`data_dictionary` renders it as a DataFrame so the two can be
checked against each other.

Column kinds
------------
``id``        a safe ASCII slug (``[A-Za-z0-9][A-Za-z0-9_-]*``, at most 64 characters), usable as a
              file name; used for municipality, institution and project ids.
``text``      free text (case ids are free text: they never become paths).
``category``  one of ``categories`` (Russian labels in ``category_aliases`` are accepted).
``int``       a whole number; ``float`` a number (a decimal comma is accepted).
``date``      a calendar date (``2023-03-09`` or ``09.03.2023``).
``datetime``  a date with an optional time (``2023-03-09 14:30`` or ``09.03.2023 14:30``).
``bool``      yes/no (``1/0``, ``true/false``, ``да/нет``, ``yes/no``).
``quarter``   a calendar quarter written ``2023Q1`` (``2023 Q1``, ``2023-Q1`` and ``1 кв. 2023``
              are accepted).
``month``     a calendar month written ``2023-01`` (``01.2023``, ``1.2023``, ``01/2023``,
              ``2023.01`` and a first-of-month date such as ``2023-01-01`` are accepted).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources

import pandas as pd

__all__ = [
    "BASELINE_METHODS",
    "CASE_PHASES",
    "COUNT_INDICATORS",
    "DERIVED",
    "DURATION_INDICATORS",
    "INDICATORS",
    "MAP_STATES",
    "MINUTES_PER_UNIT",
    "MODEL_LEVELS",
    "MUNICIPALITY_KINDS",
    "PASSPORT_PHASES",
    "SECTORS",
    "SLUG_PATTERN",
    "STAGES",
    "STATS",
    "TABLES",
    "TABLE_ORDER",
    "UNITS",
    "Column",
    "Table",
    "data_dictionary",
    "dictionary_markdown",
    "is_slug",
]

SLUG_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def is_slug(value: object) -> bool:
    """Return True when ``value`` is a safe ASCII slug (usable as a file name).

    Examples
    --------
    >>> is_slug("cheboksary"), is_slug("../x"), is_slug("")
    (True, False, False)
    """
    return isinstance(value, str) and SLUG_PATTERN.fullmatch(value) is not None


@dataclass(frozen=True)
class Column:
    """One column of a table in the data dictionary."""

    name: str
    kind: str
    required: bool = True
    description: str = ""
    unit: str = ""
    categories: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    category_aliases: dict[str, str] = field(default_factory=dict)
    references: str | None = None  # "table.column" this column must point to
    min_value: float | None = None
    max_value: float | None = None
    nullable: bool = False  # required column whose cells may be empty


@dataclass(frozen=True)
class Table:
    """One table of a dataset."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    description: str = ""
    optional: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


_RAW = tomllib.loads(
    resources.files(__package__).joinpath("dictionary.toml").read_text(encoding="utf-8")
)
_CATEGORIES: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _RAW["categories"].items()}

MUNICIPALITY_KINDS = _CATEGORIES["municipality_kinds"]
SECTORS = _CATEGORIES["sectors"]
MODEL_LEVELS = _CATEGORIES["model_levels"]
STAGES = _CATEGORIES["stages"]
BASELINE_METHODS = _CATEGORIES["baseline_methods"]
INDICATORS = _CATEGORIES["indicators"]
DURATION_INDICATORS = _CATEGORIES["duration_indicators"]
COUNT_INDICATORS = _CATEGORIES["count_indicators"]
PASSPORT_PHASES = _CATEGORIES["passport_phases"]
UNITS = _CATEGORIES["units"]
STATS = _CATEGORIES["stats"]
MAP_STATES = _CATEGORIES["map_states"]
CASE_PHASES = _CATEGORIES["case_phases"]

#: yes/no words accepted for ``bool`` columns (lower case)
_YES_NO = {v: "true" for v in _RAW["booleans"]["true"]} | {
    v: "false" for v in _RAW["booleans"]["false"]
}

#: minutes per calendar unit; ``workday`` is kept apart (see io)
MINUTES_PER_UNIT: dict[str, float] = dict(_RAW["minutes_per_unit"])


def _column(spec: dict) -> Column:
    spec = dict(spec)
    cats = spec.get("categories", ())
    spec["categories"] = _CATEGORIES[cats] if isinstance(cats, str) else tuple(cats)
    spec["aliases"] = tuple(spec.get("aliases", ()))
    aliases = spec.get("category_aliases", {})
    spec["category_aliases"] = dict(_YES_NO) if aliases == "booleans" else dict(aliases)
    return Column(**spec)


TABLES: dict[str, Table] = {
    name: Table(
        name=name,
        columns=tuple(_column(c) for c in spec["columns"]),
        key=tuple(spec["key"]),
        description=spec.get("description", ""),
        optional=spec.get("optional", False),
        aliases=tuple(spec.get("aliases", ())),
    )
    for name, spec in _RAW["tables"].items()
}

#: tables in dependency order: a table only references tables before it
TABLE_ORDER: tuple[str, ...] = tuple(_RAW["table_order"])

#: derived columns added on load (not read from files)
DERIVED: dict[str, dict[str, str]] = _RAW["derived"]

#: descriptions of columns that mean the same in every table
_COMMON_DESCRIPTIONS: dict[str, str] = _RAW["common_descriptions"]


def _describe(table: str, col: Column) -> str:
    if col.description:
        return col.description
    if table == "cases" and col.name == "phase":
        return "before or after the project's changes"
    if table == "passport" and col.name == "phase":
        return "baseline (before), target (planned), actual (after), followup (later check)"
    return _COMMON_DESCRIPTIONS.get(col.name, "")


def data_dictionary() -> pd.DataFrame:
    """Return the data dictionary as a tidy DataFrame.

    Columns: ``table``, ``column``, ``kind``, ``required``, ``unit``, ``allowed``,
    ``russian_headers``, ``description``.

    Examples
    --------
    >>> dd = data_dictionary()
    >>> dd.loc[dd["column"] == "received", "russian_headers"].iloc[0]
    'Дата поступления; Дата регистрации'
    """
    rows = []
    for tname in TABLE_ORDER:
        for c in TABLES[tname].columns:
            rows.append(
                {
                    "table": tname,
                    "column": c.name,
                    "kind": c.kind,
                    "required": c.required,
                    "unit": c.unit,
                    "allowed": ", ".join(c.categories),
                    "russian_headers": "; ".join(a for a in c.aliases if not a.isascii()),
                    "description": _describe(tname, c),
                }
            )
    return pd.DataFrame(rows)


def dictionary_markdown() -> str:
    """The data dictionary as Markdown tables, one per table (used in ``data/README.md``)."""
    out = []
    for tname in TABLE_ORDER:
        t = TABLES[tname]
        status = "optional table" if t.optional else "required table"
        names = ", ".join(f"`{a}`" for a in t.aliases)
        out.append(f"### `{tname}` ({status})\n\n{t.description} Also accepted as: {names}.\n")
        out.append(
            "| column | kind | required | unit | allowed values | Russian headers | meaning |"
        )
        out.append("| --- | --- | --- | --- | --- | --- | --- |")
        for c in t.columns:
            req = (
                "yes"
                if c.required and not c.nullable
                else ("column, may be empty" if c.required else "no")
            )
            ru = "; ".join(f"«{a}»" for a in c.aliases if not a.isascii())
            allowed = ", ".join(f"`{v}`" for v in c.categories)
            ref = f" → `{c.references}`" if c.references else ""
            out.append(
                f"| `{c.name}` | {c.kind}{ref} | {req} | {c.unit} | {allowed} | {ru} | {_describe(tname, c)} |"
            )
        derived = DERIVED.get(tname)
        if derived:
            out.append(
                "\nDerived on load: " + "; ".join(f"`{k}`: {v}" for k, v in derived.items()) + "."
            )
        out.append("")
    return "\n".join(out)
