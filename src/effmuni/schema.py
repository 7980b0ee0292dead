"""The data dictionary, encoded once.

Every table of a dataset, its columns, their kinds, units and allowed values, and the Russian
headers and category labels accepted on input live here. ``data/README.md`` documents the same
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
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

__all__ = [
    "SLUG_PATTERN",
    "TABLES",
    "TABLE_ORDER",
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


_BOOL_TRUE = ("1", "true", "yes", "y", "да", "д", "истина", "+")
_BOOL_FALSE = ("0", "false", "no", "n", "нет", "н", "ложь", "-")

_YES_NO = {v: "true" for v in _BOOL_TRUE} | {v: "false" for v in _BOOL_FALSE}

MUNICIPALITY_KINDS = ("municipal_okrug", "city_okrug")
SECTORS = (
    "administration",
    "mfc",
    "preschool",
    "school",
    "health",
    "social",
    "culture",
    "sport",
    "other",
)
MODEL_LEVELS = ("none", "local", "regional", "federal")
STAGES = ("preparation", "diagnosis", "implementation", "sustain", "closed", "cancelled")
BASELINE_METHODS = ("measured", "regulation_limit", "estimate")
INDICATORS = (
    "lead_time",
    "process_time",
    "wait_time",
    "steps",
    "handoffs",
    "approvals",
    "documents",
    "visits",
    "backlog",
    "satisfaction",
)
DURATION_INDICATORS = ("lead_time", "process_time", "wait_time")
COUNT_INDICATORS = ("steps", "handoffs", "approvals", "documents", "visits", "backlog")
PASSPORT_PHASES = ("baseline", "target", "actual", "followup")
UNITS = ("min", "h", "day", "workday", "count", "pct")
STATS = ("mean", "median", "single")
MAP_STATES = ("current", "target", "actual")
CASE_PHASES = ("before", "after")

#: minutes per calendar unit; ``workday`` is kept apart (see io._normalise_passport)
MINUTES_PER_UNIT = {"min": 1.0, "h": 60.0, "day": 1440.0}

_MUNICIPALITY_ID_ALIASES = (
    "Муниципалитет",
    "Код муниципалитета",
    "Муниципальное образование",
    "Код МО",
    "municipality",
)
_PROJECT_ID_ALIASES = ("Код проекта", "Проект", "ID проекта", "project")
_INSTITUTION_ID_ALIASES = ("Код учреждения", "Учреждение", "ID учреждения", "institution")

TABLES: dict[str, Table] = {
    "municipalities": Table(
        name="municipalities",
        description="Municipal units (municipal and city okrugs), versioned in time.",
        key=("municipality_id",),
        aliases=("Муниципалитеты", "Муниципальные образования"),
        columns=(
            Column(
                "municipality_id",
                "id",
                description="short ASCII slug, e.g. cheboksary",
                aliases=_MUNICIPALITY_ID_ALIASES,
            ),
            Column(
                "name_ru",
                "text",
                description="official Russian name",
                aliases=("Наименование", "Название"),
            ),
            Column(
                "name_en",
                "text",
                description="English transliteration",
                aliases=("Название (англ.)", "Наименование (англ.)"),
            ),
            Column(
                "kind",
                "category",
                description="type of municipal unit",
                categories=MUNICIPALITY_KINDS,
                aliases=("Тип", "Вид", "Тип МО"),
                category_aliases={
                    "муниципальный округ": "municipal_okrug",
                    "мо": "municipal_okrug",
                    "городской округ": "city_okrug",
                    "го": "city_okrug",
                },
            ),
            Column(
                "population",
                "int",
                description="resident population",
                unit="persons",
                aliases=("Население", "Численность населения", "Численность населения, чел."),
                min_value=1,
            ),
            Column("oktmo", "text", required=False, description="OKTMO code", aliases=("ОКТМО",)),
            Column(
                "valid_from",
                "date",
                required=False,
                description="first day the unit exists (empty: always)",
                aliases=("Действует с",),
            ),
            Column(
                "valid_to",
                "date",
                required=False,
                description="last day the unit exists (empty: still exists)",
                aliases=("Действует по",),
            ),
            Column(
                "successor_id",
                "id",
                required=False,
                description="municipality_id of the unit it merged into",
                aliases=("Правопреемник",),
                references="municipalities.municipality_id",
            ),
        ),
    ),
    "institutions": Table(
        name="institutions",
        description="Institutions running lean projects, with their model-institution status.",
        key=("institution_id",),
        aliases=("Учреждения",),
        columns=(
            Column(
                "institution_id", "id", description="ASCII slug", aliases=_INSTITUTION_ID_ALIASES
            ),
            Column(
                "municipality_id",
                "id",
                aliases=_MUNICIPALITY_ID_ALIASES,
                references="municipalities.municipality_id",
            ),
            Column(
                "name",
                "text",
                description="name of the institution",
                aliases=("Наименование учреждения", "Наименование", "Название"),
            ),
            Column(
                "sector",
                "category",
                categories=SECTORS,
                aliases=("Сфера", "Отрасль"),
                category_aliases={
                    "администрация": "administration",
                    "мфц": "mfc",
                    "дошкольное образование": "preschool",
                    "детский сад": "preschool",
                    "школа": "school",
                    "общее образование": "school",
                    "здравоохранение": "health",
                    "социальная защита": "social",
                    "соцзащита": "social",
                    "культура": "culture",
                    "спорт": "sport",
                    "другое": "other",
                    "прочее": "other",
                },
            ),
            Column(
                "model_level",
                "category",
                description="model-institution («образец») status",
                categories=MODEL_LEVELS,
                aliases=("Уровень образца", "Статус образца"),
                category_aliases={
                    "нет": "none",
                    "": "none",
                    "местный": "local",
                    "региональный": "regional",
                    "федеральный": "federal",
                },
            ),
            Column(
                "model_since",
                "date",
                required=False,
                description="date the model status was granted",
                aliases=("Образец с", "Дата присвоения статуса"),
            ),
        ),
    ),
    "projects": Table(
        name="projects",
        description="Registry of lean process-improvement projects.",
        key=("project_id",),
        aliases=("Проекты", "Реестр проектов"),
        columns=(
            Column("project_id", "id", description="ASCII slug", aliases=_PROJECT_ID_ALIASES),
            Column(
                "institution_id",
                "id",
                aliases=_INSTITUTION_ID_ALIASES,
                references="institutions.institution_id",
            ),
            Column(
                "process_name",
                "text",
                description="process being improved",
                aliases=("Процесс", "Наименование процесса"),
            ),
            Column("start_date", "date", aliases=("Дата начала", "Дата старта")),
            Column(
                "planned_end", "date", aliases=("Плановая дата окончания", "Дата окончания (план)")
            ),
            Column(
                "actual_end",
                "date",
                nullable=True,
                description="empty while the project runs",
                aliases=("Фактическая дата окончания", "Дата окончания (факт)"),
            ),
            Column(
                "stage",
                "category",
                categories=STAGES,
                aliases=("Этап", "Стадия"),
                category_aliases={
                    "подготовка": "preparation",
                    "диагностика": "diagnosis",
                    "внедрение": "implementation",
                    "закрепление": "sustain",
                    "закрепление результатов": "sustain",
                    "закрыт": "closed",
                    "завершён": "closed",
                    "завершен": "closed",
                    "отменён": "cancelled",
                    "отменен": "cancelled",
                },
            ),
            Column(
                "annual_volume",
                "float",
                nullable=True,
                description="cases handled a year",
                unit="cases/year",
                aliases=("Годовой объём", "Годовой объем", "Количество случаев в год"),
                min_value=0,
            ),
            Column(
                "target_reduction_pct",
                "float",
                nullable=True,
                description="planned lead-time reduction",
                unit="pct",
                aliases=("Целевое сокращение, %", "Целевое сокращение ВПП, %"),
                min_value=0,
                max_value=100,
            ),
            Column(
                "baseline_method",
                "category",
                description="how the baseline was obtained",
                categories=BASELINE_METHODS,
                aliases=("Метод базового значения", "Способ определения базового значения"),
                category_aliases={
                    "измерение": "measured",
                    "хронометраж": "measured",
                    "выгрузка": "measured",
                    "регламент": "regulation_limit",
                    "норматив": "regulation_limit",
                    "регламентный срок": "regulation_limit",
                    "оценка": "estimate",
                    "экспертная оценка": "estimate",
                },
            ),
        ),
    ),
    "passport": Table(
        name="passport",
        description="Project-card (passport) indicator values.",
        key=("project_id", "indicator", "phase", "measured_on"),
        optional=True,
        aliases=("Паспорт", "Показатели", "Карточка проекта"),
        columns=(
            Column(
                "project_id",
                "id",
                aliases=_PROJECT_ID_ALIASES,
                references="projects.project_id",
            ),
            Column(
                "indicator",
                "category",
                categories=INDICATORS,
                aliases=("Показатель",),
                category_aliases={
                    "впп": "lead_time",
                    "время протекания процесса": "lead_time",
                    "время выполнения операций": "process_time",
                    "время цикла": "process_time",
                    "время ожидания": "wait_time",
                    "количество шагов": "steps",
                    "количество этапов": "steps",
                    "количество передач": "handoffs",
                    "количество согласований": "approvals",
                    "количество документов": "documents",
                    "количество посещений": "visits",
                    "незавершённая работа": "backlog",
                    "незавершенная работа": "backlog",
                    "очередь": "backlog",
                    "удовлетворённость": "satisfaction",
                    "удовлетворенность": "satisfaction",
                },
            ),
            Column(
                "phase",
                "category",
                categories=PASSPORT_PHASES,
                aliases=("Фаза", "Значение на этапе", "Период"),
                category_aliases={
                    "базовое": "baseline",
                    "исходное": "baseline",
                    "целевое": "target",
                    "фактическое": "actual",
                    "достигнутое": "actual",
                    "контрольное": "followup",
                    "повторное": "followup",
                },
            ),
            Column("value", "float", aliases=("Значение",), min_value=0),
            Column(
                "unit",
                "category",
                categories=UNITS,
                aliases=("Единица измерения", "Ед. изм."),
                category_aliases={
                    "мин": "min",
                    "мин.": "min",
                    "минута": "min",
                    "минут": "min",
                    "ч": "h",
                    "ч.": "h",
                    "час": "h",
                    "часов": "h",
                    "дн": "day",
                    "дн.": "day",
                    "день": "day",
                    "дней": "day",
                    "кал. дн.": "day",
                    "календарный день": "day",
                    "календарных дней": "day",
                    "раб. дн.": "workday",
                    "рабочий день": "workday",
                    "рабочих дней": "workday",
                    "шт": "count",
                    "шт.": "count",
                    "ед.": "count",
                    "%": "pct",
                },
            ),
            Column(
                "stat",
                "category",
                required=False,
                description="statistic the value summarises (default single)",
                categories=STATS,
                aliases=("Статистика",),
                category_aliases={
                    "среднее": "mean",
                    "медиана": "median",
                    "единичное": "single",
                    "": "single",
                },
            ),
            Column(
                "n_obs",
                "int",
                required=False,
                nullable=True,
                description="number of observations behind the value",
                aliases=("Число наблюдений", "Количество замеров"),
                min_value=1,
            ),
            Column(
                "measured_on",
                "date",
                required=False,
                nullable=True,
                description="date of the measurement",
                aliases=("Дата измерения", "Дата замера"),
            ),
        ),
    ),
    "steps": Table(
        name="steps",
        description="Value-stream map steps (current, target and actual state).",
        key=("project_id", "map_state", "step_no"),
        optional=True,
        aliases=("Шаги", "Карта потока", "КПСЦ"),
        columns=(
            Column(
                "project_id",
                "id",
                aliases=_PROJECT_ID_ALIASES,
                references="projects.project_id",
            ),
            Column(
                "map_state",
                "category",
                categories=MAP_STATES,
                aliases=("Карта", "Состояние карты"),
                category_aliases={
                    "текущее": "current",
                    "текущая": "current",
                    "ктс": "current",
                    "целевое": "target",
                    "целевая": "target",
                    "кцс": "target",
                    "фактическое": "actual",
                    "фактическая": "actual",
                },
            ),
            Column("step_no", "int", aliases=("№ шага", "Номер шага", "№"), min_value=1),
            Column("step_name", "text", aliases=("Шаг", "Наименование шага", "Операция")),
            Column("actor_role", "text", nullable=True, aliases=("Исполнитель", "Роль")),
            Column(
                "process_min",
                "float",
                unit="min",
                description="touch (processing) time of the step",
                aliases=("Время выполнения, мин", "Время операции, мин", "Время обработки, мин"),
                min_value=0,
            ),
            Column(
                "wait_min",
                "float",
                unit="min",
                description="waiting time before the next step",
                aliases=("Время ожидания, мин",),
                min_value=0,
            ),
            Column(
                "value_added",
                "bool",
                aliases=("Добавляет ценность", "Ценность"),
                category_aliases=_YES_NO,
            ),
            Column("handoff", "bool", aliases=("Передача",), category_aliases=_YES_NO),
            Column("approval", "bool", aliases=("Согласование",), category_aliases=_YES_NO),
        ),
    ),
    "cases": Table(
        name="cases",
        description="Timings of individual cases before and after a project.",
        key=("project_id", "case_id"),
        optional=True,
        aliases=("Обращения", "Случаи", "Хронометраж"),
        columns=(
            Column(
                "project_id",
                "id",
                aliases=_PROJECT_ID_ALIASES,
                references="projects.project_id",
            ),
            Column(
                "case_id",
                "text",
                description="case number (free text)",
                aliases=("Номер обращения", "Номер дела", "Номер заявления"),
            ),
            Column(
                "phase",
                "category",
                categories=CASE_PHASES,
                aliases=("До/после", "Период"),
                category_aliases={"до": "before", "после": "after"},
            ),
            Column("received", "datetime", aliases=("Дата поступления", "Дата регистрации")),
            Column(
                "completed",
                "datetime",
                nullable=True,
                description="empty while the case is open",
                aliases=("Дата завершения", "Дата исполнения", "Дата выдачи результата"),
            ),
            Column(
                "work_min",
                "float",
                required=False,
                nullable=True,
                unit="min",
                description="staff touch time on the case",
                aliases=("Трудозатраты, мин", "Время работы, мин"),
                min_value=0,
            ),
        ),
    ),
    "engagement": Table(
        name="engagement",
        description="Quarterly staff involvement per municipality.",
        key=("municipality_id", "quarter"),
        optional=True,
        aliases=("Вовлечённость", "Вовлеченность", "Персонал"),
        columns=(
            Column(
                "municipality_id",
                "id",
                aliases=_MUNICIPALITY_ID_ALIASES,
                references="municipalities.municipality_id",
            ),
            Column("quarter", "quarter", aliases=("Квартал",)),
            Column(
                "staff_total",
                "int",
                aliases=("Численность сотрудников", "Сотрудников всего"),
                min_value=0,
            ),
            Column(
                "staff_trained", "int", aliases=("Обучено сотрудников", "Обучено"), min_value=0
            ),
            Column(
                "proposals_submitted",
                "int",
                aliases=("Подано предложений", "Предложений подано"),
                min_value=0,
            ),
            Column(
                "proposals_implemented",
                "int",
                aliases=("Реализовано предложений", "Предложений реализовано"),
                min_value=0,
            ),
        ),
    ),
}

#: tables in dependency order: a table only references tables before it
TABLE_ORDER = (
    "municipalities",
    "institutions",
    "projects",
    "passport",
    "steps",
    "cases",
    "engagement",
)

#: derived columns added on load (not read from files)
DERIVED = {
    "cases": {
        "lead_time_days": "completed − received in calendar days (float; NaN while open)",
        "lead_time_workdays": "the same on the Russian production calendar (working days)",
    },
    "passport": {
        "basis": "calendar or working for durations; empty for counts and percentages",
        "value_raw": "the value as written in the file",
        "unit_raw": "the unit as written in the file",
    },
}


#: descriptions of columns that mean the same in every table
_COMMON_DESCRIPTIONS = {
    "municipality_id": "the municipal unit (a municipalities.municipality_id)",
    "institution_id": "the institution (an institutions.institution_id)",
    "project_id": "the project (a projects.project_id)",
    "sector": "sector of the institution",
    "start_date": "date the project started",
    "planned_end": "planned end date",
    "stage": "project stage (PSR practice: preparation → diagnosis → implementation → sustain → closed)",
    "indicator": "project-card indicator (durations: lead_time, process_time, wait_time)",
    "value": "indicator value in `unit`",
    "unit": "unit of `value`; calendar (min, h, day) and working days (workday) are kept apart",
    "map_state": "which value-stream map: current (КТС), target (КЦС) or actual",
    "step_no": "step number on the map (1, 2, …)",
    "step_name": "name of the step",
    "actor_role": "who performs the step",
    "value_added": "the step adds value for the applicant",
    "handoff": "the case passes to another person or unit after this step",
    "approval": "the step is an approval (согласование)",
    "received": "when the case was received",
    "quarter": "calendar quarter, e.g. 2023Q1",
    "staff_total": "staff in the municipality's administration and institutions",
    "staff_trained": "staff trained in lean methods (cumulative)",
    "proposals_submitted": "improvement proposals submitted in the quarter",
    "proposals_implemented": "improvement proposals implemented in the quarter",
}


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
