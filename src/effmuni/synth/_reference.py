"""The reference tables of the sample generator, read from the CSV files in ``data/``.

Every Russian word the generator writes comes from these files (UTF-8, comma-separated, one
header line); the code only chooses among them:

- ``municipalities.csv``: the 26 municipal units of the Chuvash Republic as of 2023 in their
  order: id, English and Russian names, kind, population (the later figure where known, else
  2010; rounded to hundreds), the administrative centre as written in institution names, the
  grammatical forms institution names need (genitive, feminine and masculine adjective),
  OKTMO code where given and the successor of the units merged at the end of 2024;
- ``processes.csv``: the processes lean projects improve, with the institution pools that run
  them, the value-stream map family, the typical real lead time (calendar days, or minutes when
  written ``20min``), the lead-time units analysts use, the regulated limit and cases a year;
- ``step_templates.csv``: the value-stream map templates of each family, in order: step,
  actor, typical touch time (minutes), value added, hand-off to another actor, approval;
- ``institutions.csv`` and ``numbered_institutions.csv``: name patterns of institutions by
  sector, with ``{placeholders}`` filled from the municipality's forms; ``when`` says which
  municipalities a row applies to (see :func:`municipality_tags`);
- ``kindergarten_names.csv``: names of rural kindergartens;
- ``services.csv``: the municipal services of the monthly service statistics, each with the
  process (of ``processes.csv``) whose projects change it, its typical lead time (calendar
  days), cases a month per 10,000 residents, its seasonality (amplitude on the log lead time
  and peak month) and the planted effect of a project on its log lead time;
- ``sample_readme.md``: the README of the written sample, a :meth:`str.format` template.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from ._clock import DAY_MIN, N_QUARTERS_MERGED, QUARTERS

_DATA = files(__package__).joinpath("data")


def read_text(name: str) -> str:
    """The text of the data file ``name`` (UTF-8)."""
    return _DATA.joinpath(name).read_text(encoding="utf-8")


def _rows(name: str) -> list[dict[str, str]]:
    with _DATA.joinpath(name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _number(text: str) -> int | float:
    """An int when written as one (``15``), else a float (``0.5``): literals keep their type."""
    return int(text) if text.lstrip("-").isdigit() else float(text)


def _flag(text: str) -> bool:
    if text not in ("true", "false"):
        raise ValueError(f"not a flag: {text!r}")
    return text == "true"


# --------------------------------------------------------------------------- municipalities


@dataclass(frozen=True)
class Municipality:
    id: str
    name_ru: str
    name_en: str
    kind: str
    population: int
    centre: str  # the administrative centre with its prefix (village, town, city)
    genitive: str  # "of the ... municipal okrug" / "of the city of ..."
    feminine: str  # the feminine adjective of the name
    masculine: str  # the masculine adjective of the name
    short: str  # the short name
    oktmo: str | None = None
    successor: str | None = None

    @property
    def quarters(self) -> tuple[str, ...]:
        return QUARTERS[:N_QUARTERS_MERGED] if self.successor else QUARTERS


@cache
def municipalities() -> tuple[Municipality, ...]:
    """The municipal units, in the order of ``municipalities.csv``."""
    return tuple(
        Municipality(
            id=r["municipality_id"],
            name_ru=r["name_ru"],
            name_en=r["name_en"],
            kind=r["kind"],
            population=int(r["population"]),
            centre=r["centre"],
            genitive=r["genitive"],
            feminine=r["feminine"],
            masculine=r["masculine"],
            short=r["short_name"],
            oktmo=r["oktmo"] or None,
            successor=r["successor_id"] or None,
        )
        for r in _rows("municipalities.csv")
    )


def municipality_tags(mu: Municipality) -> frozenset[str]:
    """The ``when`` values of the institution tables that apply to ``mu``.

    ``all``; its kind (``city_okrug`` or ``municipal_okrug``); ``capital`` for Cheboksary, else
    ``not_capital``; ``other_city`` for a city okrug other than the capital; ``large_city`` for
    a city okrug of more than 100,000 people, else ``not_large_city``.
    """
    city = mu.kind == "city_okrug"
    capital = mu.id == "cheboksary"
    tags = {"all", mu.kind, "capital" if capital else "not_capital"}
    if city and not capital:
        tags.add("other_city")
    tags.add("large_city" if city and mu.population > 100_000 else "not_large_city")
    return frozenset(tags)


def name_fields(mu: Municipality) -> dict[str, str]:
    """The placeholders of the institution name patterns."""
    return {
        "genitive": mu.genitive,
        "centre": mu.centre,
        "short": mu.short,
        "feminine": mu.feminine,
        "masculine": mu.masculine,
    }


@cache
def institution_patterns() -> tuple[tuple[str, str, str, str], ...]:
    """(sector, when, pool, name pattern) rows of ``institutions.csv``, in order."""
    return tuple((r["sector"], r["when"], r["pool"], r["name"]) for r in _rows("institutions.csv"))


@cache
def numbered_patterns() -> dict[tuple[str, str], str]:
    """Name patterns of kindergartens and schools by (sector, when)."""
    return {(r["sector"], r["when"]): r["name"] for r in _rows("numbered_institutions.csv")}


@cache
def kindergarten_names() -> tuple[str, ...]:
    return tuple(r["name"] for r in _rows("kindergarten_names.csv"))


# --------------------------------------------------------------------------- processes


@dataclass(frozen=True)
class Process:
    name: str
    pools: tuple[str, ...]  # institution pools that run this process
    family: str  # value-stream map template
    lead_days: tuple[float, float]  # typical real lead time, calendar days
    units: tuple[str, ...]  # lead-time units analysts use for it
    limit: tuple[float, str] | None  # regulated limit (value, unit)
    volume: tuple[int, int]  # cases a year


def _days(text: str) -> float:
    """Calendar days, written as days (``6.5``) or minutes (``20min``)."""
    if text.endswith("min"):
        return _number(text[: -len("min")]) / DAY_MIN
    return _number(text)


@cache
def processes() -> tuple[Process, ...]:
    """The processes, in the order of ``processes.csv``."""
    return tuple(
        Process(
            name=r["name"],
            pools=tuple(r["pools"].split()),
            family=r["family"],
            lead_days=(_days(r["lead_days_low"]), _days(r["lead_days_high"])),
            units=tuple(r["units"].split()),
            limit=(_number(r["limit_value"]), r["limit_unit"]) if r["limit_value"] else None,
            volume=(int(r["volume_low"]), int(r["volume_high"])),
        )
        for r in _rows("processes.csv")
    )


#: one step of a value-stream map template: name, actor, touch minutes, value added,
#: hand-off, approval
Step = tuple[str, str, float, bool, bool, bool]


@cache
def step_templates() -> dict[str, tuple[Step, ...]]:
    """The value-stream map template of each process family, steps in order."""
    out: dict[str, list[Step]] = {}
    for r in _rows("step_templates.csv"):
        out.setdefault(r["family"], []).append(
            (
                r["step"],
                r["actor"],
                _number(r["touch_min"]),
                _flag(r["value_added"]),
                _flag(r["handoff"]),
                _flag(r["approval"]),
            )
        )
    return {family: tuple(steps) for family, steps in out.items()}


# --------------------------------------------------------------------------- services


@dataclass(frozen=True)
class Service:
    id: str
    process_name: str  # the process (processes.csv) whose projects change this service
    base_lead_days: float  # typical mean lead time, calendar days
    cases_per_10k: float  # cases completed a month per 10,000 residents
    season_amplitude: float  # on the log lead time
    season_peak_month: int
    effect_log: float  # the planted effect of a project on the log mean lead time


@cache
def services() -> tuple[Service, ...]:
    """The services of the monthly statistics, in the order of ``services.csv``."""
    return tuple(
        Service(
            id=r["service_id"],
            process_name=r["process_name"],
            base_lead_days=float(r["base_lead_days"]),
            cases_per_10k=float(r["cases_per_10k"]),
            season_amplitude=float(r["season_amplitude"]),
            season_peak_month=int(r["season_peak_month"]),
            effect_log=float(r["effect_log"]),
        )
        for r in _rows("services.csv")
    )
