"""Validation that never loses data silently.

:func:`validate` reads every table of a dataset, converts its cells to the kinds of the data
dictionary (:mod:`effmuni.schema`) and checks them. Each row is either accepted or rejected with
its reasons, so for every table ``rows_read == rows_accepted + rows_rejected``. Rejected rows
can be written to quarantine CSV files with the reason beside each.

Every problem names the file, the row, the column (as the file spells its header) and what is
wrong, worded in Russian (the default) or English from the catalogue of words; its code and
parameters stay beside the wording, so a report can be worded again in the other language
(:meth:`ValidationReport.describe_errors`, :func:`format_problem`), also grouped by file,
column and problem with a count and the first rows of each kind (:func:`grouped_lines`).

Errors do not cascade from a table that cannot be used at all: it gives one problem, and each
table referring to it one line saying its references were not checked; those rows count as
accepted (see :func:`validate`). The accepted rows can be written back as a clean dataset
folder (:meth:`ValidationReport.write_accepted`), the rejected ones to quarantine files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..excel import REFERENCE_SHEETS
from ..io import (
    TABLE_SUFFIXES,
    WORKBOOK_SUFFIXES,
    DataError,
    Problem,
    RawTable,
    ReadFailure,
    empty_table,
    normalize_label,
    read_table_file,
    read_workbook,
    table_for_name,
)
from ..schema import TABLE_ORDER, TABLES
from ..text import check_lang, label
from ._checks import TableCheck, reason, table_rules
from ._problems import Problems, format_problem, group_count, grouped_lines
from .services import service_rules

__all__ = [  # DataError: from io
    "DataError",
    "ValidationReport",
    "format_problem",
    "grouped_lines",
    "validate",
]

_COUNT_COLUMNS = ["table", "file", "rows_read", "rows_accepted", "rows_rejected"]


@dataclass
class ValidationReport:
    """Outcome of :func:`validate`.

    Attributes
    ----------
    ok : bool
        True when no error was found (warnings do not count).
    errors, warnings : pandas.DataFrame
        One row per problem with columns ``table``, ``file``, ``row`` (spreadsheet-style: the
        header is row 1), ``column`` (the canonical column name), ``value`` and ``problem``
        (worded in ``lang``), then ``code`` and ``params``, the problem without a language.
        ``row`` is empty for a problem with a whole file.
    counts : pandas.DataFrame
        One row per table: ``table``, ``file``, ``rows_read``, ``rows_accepted``,
        ``rows_rejected``.
    rejected : dict of str to pandas.DataFrame
        The rejected rows of each table as they were read, with ``_row`` and ``_problems``.
    lang : {"ru", "en"}
        The language of ``problem`` and ``_problems``.
    unusable : list of str
        Tables that could not be used at all: required and absent, unreadable, or missing a
        required header. References to them are not checked (one problem says so).
    """

    source: str
    errors: pd.DataFrame
    warnings: pd.DataFrame
    counts: pd.DataFrame
    rejected: dict[str, pd.DataFrame] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    lang: str = "ru"
    unusable: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.errors.empty

    def write_quarantine(self, directory: str | Path) -> list[Path]:
        """Write each table's rejected rows to ``<directory>/<table>.quarantine.csv``.

        The files are UTF-8 with a BOM (Excel opens them with Cyrillic intact) and hold the
        original cells plus ``_row`` and ``_problems``. Returns the paths written.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for table, frame in self.rejected.items():
            if frame.empty:
                continue
            path = directory / f"{table}.quarantine.csv"
            frame.to_csv(path, index=False, encoding="utf-8-sig")
            written.append(path)
        return written

    def write_accepted(self, directory: str | Path) -> list[Path]:
        """Write the accepted rows as a dataset folder: ``<directory>/<table>.csv``.

        One UTF-8 CSV file per table that was read, with the canonical headers and the
        values as accepted (ISO dates); :func:`validate` reads it back to the same tables,
        so a tool that loads a dataset strictly (a report notebook) can run on the accepted
        rows of a dataset that has rejected ones. A file whose content is unchanged is not
        rewritten (its time stays, so ``effmuni batch --resume`` still sees the data as old).
        Returns the paths of the tables written.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for table in self.counts["table"]:
            path = directory / f"{table}.csv"
            data = self.tables[table].to_csv(index=False, lineterminator="\n").encode("utf-8")
            if not path.is_file() or path.read_bytes() != data:
                path.write_bytes(data)
            paths.append(path)
        return paths

    def describe_errors(
        self, limit: int | None = 20, *, lang: str | None = None, grouped: bool = False
    ) -> str:
        """The errors as readable lines, ``file, row N, column: problem (value)``.

        ``lang`` ("ru" or "en") defaults to the report's language. With ``grouped`` the errors
        are grouped by file, column and problem: one line a group with its number of rows and
        its first rows, at most ``limit`` groups (:meth:`describe_problems`).
        """
        lang = check_lang(lang or self.lang)
        if self.errors.empty:
            return label("val_no_errors", lang, source=self.source)
        if grouped:
            return self.describe_problems(self.errors, limit=limit, lang=lang)
        lines = [label("val_n_problems", lang, source=self.source, n=len(self.errors))]
        shown = self.errors if limit is None else self.errors.head(limit)
        for r in shown.itertuples(index=False):
            lines.append("  " + format_problem(r, lang))
        if limit is not None and len(self.errors) > limit:
            lines.append("  " + label("val_and_more", lang, n=len(self.errors) - limit))
        return "\n".join(lines)

    def describe_problems(
        self,
        problems: pd.DataFrame,
        *,
        limit: int | None = 20,
        examples: int = 3,
        lang: str | None = None,
    ) -> str:
        """``problems`` (the report's ``errors``, ``warnings`` or a part of them) grouped.

        The first line counts the problems and their kinds; then one line a kind (file,
        column and problem), with its number of rows and first ``examples`` rows, at most
        ``limit`` kinds.
        """
        lang = check_lang(lang or self.lang)
        head = label(
            "val_n_problems_grouped",
            lang,
            source=self.source,
            n=len(problems),
            groups=group_count(problems),
        )
        lines = grouped_lines(problems, lang, limit=limit, examples=examples)
        return "\n".join([head] + ["  " + line for line in lines])

    @property
    def rows_left_out(self) -> pd.DataFrame:
        """The errors that reject a row (those with a row number): what a lenient run leaves
        out, and why."""
        return self.errors[self.errors["row"].notna()]

    def __str__(self) -> str:  # pragma: no cover - convenience
        return self.describe_errors()


# --------------------------------------------------------------------------- the dataset


def _file_problem(problems: Problems, file: str, problem: Problem, table: str = "") -> None:
    """A problem with a whole file (``table``: the table it belongs to, if any)."""
    problems.add(table, file, [None], "", None, problem)


def _locate(
    path: Path, errors: Problems, warnings: Problems, dirs: dict[str, Path] | None = None
) -> dict[str, RawTable]:
    """Find and read the tables under ``path``; file-level failures become errors.

    A directory named after a table (``cases/``: partitioned Parquet) is not read here: it is
    put in ``dirs`` (when given) for :class:`~effmuni.io.partitioned.PartitionedSource`."""
    raws: dict[str, RawTable] = {}
    bad_lines: list[tuple[RawTable, list]] = []
    if path.is_file():
        if path.suffix.lower() not in WORKBOOK_SUFFIXES:
            _file_problem(errors, path.name, Problem("not_a_dataset"))
            return raws
        try:
            raws, ignored = read_workbook(path)
        except ReadFailure as e:
            errors.add("", path.name, [None], "", None, e.problem)
            return raws
        for sheet in ignored:
            if normalize_label(sheet) in {normalize_label(n) for n in REFERENCE_SHEETS}:
                continue
            _file_problem(warnings, f"{path.name}[{sheet}]", Problem("unknown_sheet"))
        return raws
    if not path.is_dir():
        _file_problem(errors, path.name or str(path), Problem("no_such_path"))
        return raws
    seen: dict[str, str] = {}
    for f in sorted(path.iterdir()):
        if f.name.startswith("."):
            continue
        if f.is_dir():
            table = table_for_name(f.name)
            if table is not None and dirs is not None:
                if table in seen:
                    second = Problem("second_file", {"table": table, "first": seen[table]})
                    _file_problem(errors, f.name + "/", second, table)
                    continue
                seen[table] = f.name + "/"
                dirs[table] = f
            continue
        if not f.is_file():
            continue
        suffix = f.suffix.lower()
        if suffix not in TABLE_SUFFIXES:
            if suffix in WORKBOOK_SUFFIXES:
                _file_problem(warnings, f.name, Problem("workbook_in_folder"))
            continue
        table = table_for_name(f.stem)
        if table is None:
            _file_problem(warnings, f.name, Problem("unknown_file"))
            continue
        if table in seen:
            second = Problem("second_file", {"table": table, "first": seen[table]})
            _file_problem(errors, f.name, second, table)
            continue
        seen[table] = f.name
        try:
            raw, bad = read_table_file(f, table)
        except ReadFailure as e:
            errors.add(table, f.name, [None], "", None, e.problem)
            raws[table] = RawTable(table, f.name, pd.DataFrame(), np.zeros(0, dtype=np.int64))
            continue
        raws[table] = raw
        if bad:
            bad_lines.append((raw, bad))
    for raw, bad in bad_lines:
        raw.bad_lines = bad  # type: ignore[attr-defined]
    return raws


def _declared_extract_date(path: Path):
    """The extract date ``dataset.json`` declares (None when absent or not readable: the
    loader reports a broken ``dataset.json`` itself)."""
    from ..datasets import read_metadata  # the loader's reading of dataset.json

    try:
        return read_metadata(path).get("extract_date")
    except ValueError:
        return None


def _check_tables(
    raws: dict[str, RawTable],
    errors: Problems,
    warnings: Problems,
    source: str,
    path_failed: bool,
    extract_date,
    lang: str,
    known_ids: dict[str, set[str]] | None = None,
    shared: dict[str, dict[str, list]] | None = None,
):
    """Check the tables of ``raws`` (one dataset, or one region's partitions of it).

    ``known_ids`` seeds the accepted ids of tables not in ``raws`` (tables held as plain files
    beside partitioned ones, checked in the first region's pass). ``shared`` maps a table to
    its ids that other regions use too (rejected). Returns the accepted tables,
    the rejected rows, the counts (one dict a table read), the unusable tables and the
    accepted ids.
    """
    accepted_ids: dict[str, set[str]] = dict(known_ids or {})
    unusable: set[str] = set()  # tables absent or unreadable: references to them not checked
    tables: dict[str, pd.DataFrame] = {}
    rejected: dict[str, pd.DataFrame] = {}
    counts = []
    for name in TABLE_ORDER:
        spec = TABLES[name]
        raw = raws.get(name)
        if raw is None:
            if known_ids and name in known_ids:
                tables[name] = empty_table(name)
                continue
            if not spec.optional and not path_failed:
                _file_problem(errors, source, Problem("missing_table", {"table": name}), name)
                unusable.add(name)
            tables[name] = empty_table(name)
            accepted_ids[name] = set()
            continue
        extra_rejects = getattr(raw, "bad_lines", [])
        check = TableCheck(raw, spec, errors, warnings)
        if len(raw.frame.columns) and check.convert():
            check.check_duplicates()
            check.check_shared((shared or {}).get(name, {}))
            table_rules(check)
            service_rules(check, tables, extract_date=extract_date)
            if any(c.references and c.references.startswith(name + ".") for c in spec.columns):
                # a table referencing itself (successor_id) sees its own valid ids
                accepted_ids[name] = set(check.values.loc[~check.reject, spec.key[0]].dropna())
            check.check_references(accepted_ids, unusable)
        else:
            unusable.add(name)
        accepted, rej = check.result(lang)
        if accepted is None:
            accepted = empty_table(name)
        for line, problem in extra_rejects:
            errors.add(name, raw.file, [line], "", None, problem)
        if extra_rejects:
            extra = pd.DataFrame(
                {
                    "_row": [r for r, _ in extra_rejects],
                    "_problems": [reason(p, lang) for _, p in extra_rejects],
                }
            )
            rej = pd.concat([rej, extra], ignore_index=True)
        tables[name] = accepted
        rejected[name] = rej
        key = spec.key[0]
        if len(spec.key) == 1:
            accepted_ids[name] = set(accepted[key].dropna())
        counts.append(
            {
                "table": name,
                "file": raw.file,
                "rows_read": len(raw.frame) + len(extra_rejects),
                "rows_accepted": len(accepted),
                "rows_rejected": len(rej),
            }
        )
    return tables, rejected, counts, unusable, accepted_ids


def _validate_partitioned(
    path: Path,
    raws: dict[str, RawTable],
    dirs: dict[str, Path],
    errors: Problems,
    warnings: Problems,
    source: str,
    extract_date,
    lang: str,
    region,
    municipalities,
    keep_tables: bool = True,
):
    """Check a dataset whose tables are partitioned folders, one region at a time.

    Each pass reads one region's partition of every table (:class:`PartitionedSource`, the
    filters pushed down to the Parquet reader) and checks it as a dataset of its own; its
    accepted and rejected rows are kept, the rows read are let go. References are checked
    within a region; a municipality id used in more than one region (found first by reading
    that one column of every partition) is rejected in each of them, also when only one
    region is checked. Tables held as plain files beside the folders are checked in the first
    pass; their accepted ids serve every pass. The counts sum over the passes, so
    ``rows_read == rows_accepted + rows_rejected`` holds for every table.
    """
    from ..io.partitioned import PartitionedSource

    src = PartitionedSource(path, dirs)
    regions = src.regions()
    if region is not None:
        if regions != [None] and region not in regions:
            known = ", ".join(str(r) for r in regions)
            problem = Problem("partition_no_region", {"region": region, "regions": known})
            errors.add("", source, [None], "", None, problem)
            regions = []
        else:
            regions = [region]
    wanted = None if municipalities is None else {str(m) for m in municipalities}
    shared = {"municipalities": src.shared_ids("municipalities")} if regions else {}
    parts: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLE_ORDER}
    rejected_parts: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLE_ORDER}
    totals: dict[str, dict] = {}
    unusable: set[str] = set()
    known_ids: dict[str, set[str]] | None = None
    for i, rid in enumerate(regions):
        pass_raws = dict(raws) if i == 0 else {}
        ids = None if wanted is None else {"municipalities": wanted}
        for name in TABLE_ORDER:
            if name not in dirs:
                continue
            raw, problems = src.read(name, region=rid, ids=ids)
            for file, problem in problems:
                errors.add(name, file, [None], "", None, problem)
            if raw is None:
                continue
            pass_raws[name] = raw
            if ids is not None and name in ("institutions", "projects"):
                ids[name] = _read_ids(raw, name)
        tables, rejected, counts, unusable_here, accepted = _check_tables(
            pass_raws, errors, warnings, source, False, extract_date, lang, known_ids, shared
        )
        if i == 0:
            known_ids = {t: accepted.get(t, set()) for t in raws}
        unusable |= unusable_here
        for row in counts:
            name = row["table"]
            if keep_tables:  # else only counts, problems and rejected rows are kept
                parts[name].append(tables[name])
            rejected_parts[name].append(rejected[name])
            total = totals.setdefault(
                name,
                {
                    "table": name,
                    "file": raws[name].file if name in raws else dirs[name].name + "/",
                    "rows_read": 0,
                    "rows_accepted": 0,
                    "rows_rejected": 0,
                },
            )
            for key in ("rows_read", "rows_accepted", "rows_rejected"):
                total[key] += row[key]
        del pass_raws, tables, rejected
    tables = {
        name: _concat(parts[name]) if parts[name] else empty_table(name) for name in TABLE_ORDER
    }
    rejected = {name: _concat(rejected_parts[name]) for name in totals}
    counts = [totals[name] for name in TABLE_ORDER if name in totals]
    if not regions:
        unusable = set()
    return tables, rejected, counts, unusable


def _read_ids(raw: RawTable, table: str) -> set[str]:
    """The key values of a table as read (before checking): what the next filter selects."""
    key = TABLES[table].key[0]
    names = (key, *TABLES[table].column(key).aliases)
    wanted = {normalize_label(n) for n in names}
    for c in raw.frame.columns:
        if normalize_label(c) in wanted:
            return set(raw.frame[c].dropna().astype(str))
    return set()


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    filled = [f for f in frames if len(f)]
    if not filled:
        return frames[0]
    return filled[0] if len(filled) == 1 else pd.concat(filled, ignore_index=True)


def validate(
    path: str | Path,
    *,
    lang: str = "ru",
    region: int | None = None,
    municipalities=None,
    keep_tables: bool = True,
) -> ValidationReport:
    """Read and check a dataset, accepting or rejecting every row.

    Parameters
    ----------
    path : str or Path
        A folder of CSV/Parquet files named after the tables, or one ``.xlsx`` workbook.
    lang : {"ru", "en"}
        The language of the problems' wording (``describe_errors`` can word them again).
    region : int, optional
        For a dataset partitioned by ``region_id``: check only this region's partitions.
    municipalities : iterable of str, optional
        For a partitioned dataset: check only these municipalities' rows (filters pushed down
        to the Parquet reader).
    keep_tables : bool, default True
        Keep the accepted rows (``report.tables``, what :func:`effmuni.load_dataset` builds
        on). With False only the counts, problems and rejected rows are kept, so a
        partitioned dataset is checked with memory bounded by its largest region, not the
        country (what ``effmuni validate`` does).

    Returns
    -------
    ValidationReport
        ``ok``, ``errors``, ``warnings``, ``counts`` and the ``rejected`` rows. For every table
        ``rows_read == rows_accepted + rows_rejected``.

    Notes
    -----
    Errors do not cascade from a table that cannot be used at all (a required table absent, a
    file that cannot be read, a required header missing): that table gives one problem naming
    the header and the Russian name expected, and every table referring to it one line
    (``references_not_checked``) instead of a problem per row. The rows of such a dependent
    table are checked in every other way and, when nothing else is wrong with them, counted
    as accepted: their references are unchecked, not wrong. A reference to a *row* that was
    rejected (an unknown stage, a bad date) still rejects the referring row, with its reason.

    Examples
    --------
    >>> import effmuni as em
    >>> report = em.validate(em.sample_path())
    >>> report.ok
    True
    >>> bool((report.counts.rows_read == report.counts.rows_accepted + report.counts.rows_rejected).all())
    True
    """
    check_lang(lang)
    path = Path(path)
    extract_date = _declared_extract_date(path)
    errors, warnings = Problems(), Problems()
    dirs: dict[str, Path] = {}
    raws = _locate(path, errors, warnings, dirs)
    source = path.name or str(path)
    path_failed = not raws and errors.has_path_problem()
    if dirs:
        tables, rejected, counts, unusable = _validate_partitioned(
            path,
            raws,
            dirs,
            errors,
            warnings,
            source,
            extract_date,
            lang,
            region,
            municipalities,
            keep_tables,
        )
    else:
        if region is not None or municipalities is not None:
            raise ValueError(
                "region and municipalities select partitions: they need a dataset whose tables "
                "are folders of Parquet files partitioned by region_id"
            )
        tables, rejected, counts, unusable, _ = _check_tables(
            raws, errors, warnings, source, path_failed, extract_date, lang
        )
        if not keep_tables:
            tables = {name: empty_table(name) for name in TABLE_ORDER}
    err = errors.frame(lang)
    if not err.empty:
        order = {t: i for i, t in enumerate(("",) + TABLE_ORDER)}
        err = err.assign(_o=err["table"].map(order)).sort_values(
            ["_o", "row"], kind="stable", na_position="first"
        )
        err = err.drop(columns="_o").reset_index(drop=True)
    return ValidationReport(
        source=source,
        errors=err,
        warnings=warnings.frame(lang),
        counts=pd.DataFrame(counts, columns=_COUNT_COLUMNS),
        rejected=rejected,
        tables=tables,
        lang=lang,
        unusable=[t for t in TABLE_ORDER if t in unusable],
    )
