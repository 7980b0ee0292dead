"""The seeded synthetic sample dataset (``data/sample/``).

:func:`generate` builds every table of the data dictionary from one seed; :func:`write_sample`
writes them as CSV files plus a ``README.md``. The same seed always gives byte-identical files:
the only source of randomness is ``numpy.random.default_rng(seed)``, values are rounded before
they are written, floats are formatted by Python's correctly rounded ``format`` (not by pandas),
lines end in ``\\n`` and files are UTF-8 without a BOM.

The data is **synthetic**. The 26 municipal units of the Chuvash Republic as of 2023 are real
(names, kinds, approximate populations, the 2024 mergers); everything else (institutions'
projects, timings, model statuses, staff figures) is invented. Each municipality gets a latent
lean "maturity" drawn at random; it drives how often it starts projects, how often they close on
time and reach their targets, how often baselines are measured rather than taken from a
regulation, how many value-stream maps and case logs exist, and how many staff are trained. The
draw is random, so a municipality's place in the sample says nothing about the real one.

How the tables agree with each other
------------------------------------
- Every project has a ``lead_time`` baseline and target in the passport; projects in ``sustain``
  or ``closed`` also have an ``actual``; some closed ones a ``followup``. Units differ across
  projects (``min``, ``h``, ``day``, ``workday``) but never mix calendar and working-day units
  within one project's indicator.
- Value-stream maps (``steps``) exist only for projects with measured baselines in calendar
  units: Σ(process_min + wait_min) of the ``current``/``target``/``actual`` map equals the
  passport lead time of the ``baseline``/``target``/``actual`` phase in minutes, and the
  passport's ``process_time``, ``wait_time``, ``steps``, ``handoffs`` and ``approvals`` of such a
  project are the map's sums and counts.
- Case timings (``cases``) exist only for projects with an ``actual`` value, measured in calendar
  units. Lead times are lognormal; they are scaled so that the mean of the completed cases in each
  phase equals the passport value times ``1 + e`` with ``|e| <= 8 %``, standing in for the
  difference between the team's own measurement and the log extract. Cases are received on
  working days between 08:00 and 17:00 and completed in working time (08:00–18:00 on working
  days; the same day for processes shorter than four hours); cases not finished when the
  ``after`` log was extracted are open (empty ``completed``).

Examples
--------
>>> from effmuni.synth import generate
>>> tables = generate(seed=2023)
>>> len(tables["municipalities"])
26
>>> sorted(tables["municipalities"]["kind"].value_counts().to_dict().items())
[('city_okrug', 5), ('municipal_okrug', 21)]
"""

from __future__ import annotations

import csv
import datetime as dt
import io as _stdio
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .calendar import is_workday
from .schema import INDICATORS, MINUTES_PER_UNIT, PASSPORT_PHASES, TABLE_ORDER, TABLES

__all__ = ["AS_OF", "QUARTERS", "generate", "write_sample"]

#: the date the sample's project stages are consistent with
AS_OF = dt.date(2025, 12, 31)
#: quarters covered by the sample (merged city okrugs stop after 2024Q4)
QUARTERS = tuple(f"{y}Q{q}" for y in (2023, 2024, 2025) for q in (1, 2, 3, 4))
_MERGED_TO = dt.date(2024, 12, 31)
_N_QUARTERS_MERGED = 8

_CAL_START = dt.date(2022, 7, 1)
_CAL_END = dt.date(2026, 12, 31)
_DAY_MIN = 1440
_WORK_OPEN = 8 * 60  # cases are received from 08:00 …
_RECEIVE_CLOSE = 17 * 60  # … to 17:00
_WORK_CLOSE = 18 * 60  # and worked on until 18:00
_WORK_SPAN = _WORK_CLOSE - _WORK_OPEN
_WORKDAY_DAYS = 7 / 5  # calendar days per working day, as analysts convert roughly

# --------------------------------------------------------------------------- municipalities

# name_en, Russian short name, kind, population (later figure where known, else 2010; rounded
# to hundreds), administrative centre as written in institution names
# fmt: off
_MUNICIPALITY_ROWS = (
    ("Cheboksary", "Чебоксары", "city_okrug", 508_100, "г. Чебоксары"),
    ("Novocheboksarsk", "Новочебоксарск", "city_okrug", 127_600, "г. Новочебоксарск"),
    ("Kanash", "Канаш", "city_okrug", 47_100, "г. Канаш"),
    ("Alatyr", "Алатырь", "city_okrug", 41_600, "г. Алатырь"),
    ("Shumerlya", "Шумерля", "city_okrug", 33_400, "г. Шумерля"),
    ("Alatyrsky", "Алатырский", "municipal_okrug", 18_300, "г. Алатырь"),
    ("Alikovsky", "Аликовский", "municipal_okrug", 14_600, "с. Аликово"),
    ("Batyrevsky", "Батыревский", "municipal_okrug", 38_900, "с. Батырево"),
    ("Vurnarsky", "Вурнарский", "municipal_okrug", 39_200, "пгт Вурнары"),
    ("Ibresinsky", "Ибресинский", "municipal_okrug", 26_800, "пгт Ибреси"),
    ("Kanashsky", "Канашский", "municipal_okrug", 41_000, "г. Канаш"),
    ("Kozlovsky", "Козловский", "municipal_okrug", 23_300, "г. Козловка"),
    ("Komsomolsky", "Комсомольский", "municipal_okrug", 27_300, "с. Комсомольское"),
    ("Krasnoarmeysky", "Красноармейский", "municipal_okrug", 16_100, "с. Красноармейское"),
    ("Krasnochetaysky", "Красночетайский", "municipal_okrug", 19_800, "с. Красные Четаи"),
    ("Mariinsko-Posadsky", "Мариинско-Посадский", "municipal_okrug", 26_000, "г. Мариинский Посад"),
    ("Morgaushsky", "Моргаушский", "municipal_okrug", 36_300, "с. Моргауши"),
    ("Poretsky", "Порецкий", "municipal_okrug", 15_300, "с. Порецкое"),
    ("Urmarsky", "Урмарский", "municipal_okrug", 27_100, "пгт Урмары"),
    ("Tsivilsky", "Цивильский", "municipal_okrug", 34_500, "г. Цивильск"),
    ("Cheboksarsky", "Чебоксарский", "municipal_okrug", 59_400, "пос. Кугеси"),
    ("Shemurshinsky", "Шемуршинский", "municipal_okrug", 14_400, "с. Шемурша"),
    ("Shumerlinsky", "Шумерлинский", "municipal_okrug", 7_800, "г. Шумерля"),
    ("Yadrinsky", "Ядринский", "municipal_okrug", 30_500, "г. Ядрин"),
    ("Yalchiksky", "Яльчикский", "municipal_okrug", 22_300, "с. Яльчики"),
    ("Yantikovsky", "Янтиковский", "municipal_okrug", 17_700, "с. Янтиково"),
)
# fmt: on
_CITY_GENITIVE = {
    "Чебоксары": "города Чебоксары",
    "Новочебоксарск": "города Новочебоксарска",
    "Канаш": "города Канаш",
    "Алатырь": "города Алатыря",
    "Шумерля": "города Шумерля",
}
_CITY_FEMININE = {
    "Чебоксары": "Чебоксарская",
    "Новочебоксарск": "Новочебоксарская",
    "Канаш": "Канашская",
    "Алатырь": "Алатырская",
    "Шумерля": "Шумерлинская",
}
_SUCCESSORS = {"alatyr": "alatyrsky", "kanash": "kanashsky", "shumerlya": "shumerlinsky"}
_OKTMO = {"cheboksary": "97701000"}


@dataclass(frozen=True)
class _Municipality:
    id: str
    name_ru: str
    name_en: str
    kind: str
    population: int
    centre: str  # «с. Аликово»
    genitive: str  # «Аликовского муниципального округа», «города Чебоксары»
    feminine: str  # «Аликовская»
    masculine: str  # «Аликовский»
    short: str  # «Аликовский», «Чебоксары»

    @property
    def successor(self) -> str | None:
        return _SUCCESSORS.get(self.id)

    @property
    def quarters(self) -> tuple[str, ...]:
        return QUARTERS[:_N_QUARTERS_MERGED] if self.successor else QUARTERS


def _slug(text: str) -> str:
    return text.lower().replace(" ", "-")


def _municipalities() -> tuple[_Municipality, ...]:
    out = []
    for name_en, short, kind, population, centre in _MUNICIPALITY_ROWS:
        if kind == "city_okrug":
            name_ru, gen = f"город {short}", _CITY_GENITIVE[short]
            fem = _CITY_FEMININE[short]
            masc = fem[:-2] + "ий"
        else:
            stem = short[:-2]
            name_ru = f"{short} муниципальный округ"
            gen = f"{stem}ого муниципального округа"
            fem, masc = f"{stem}ая", short
        out.append(
            _Municipality(
                _slug(name_en), name_ru, name_en, kind, population, centre, gen, fem, masc, short
            )
        )
    return tuple(out)


# --------------------------------------------------------------------------- processes


@dataclass(frozen=True)
class _Process:
    name: str
    pools: tuple[str, ...]  # institution pools that run this process
    family: str  # value-stream map template
    lead_days: tuple[float, float]  # typical real lead time, calendar days
    units: tuple[str, ...]  # lead-time units analysts use for it
    limit: tuple[float, str] | None  # regulated limit (value, unit)
    volume: tuple[int, int]  # cases a year


def _m(minutes: float) -> float:
    return minutes / _DAY_MIN


# fmt: off
_PROCESSES = (
    # municipal services, most with regulated limits (Town-Planning, Land and Housing Codes, 59-FZ)
    _Process("Выдача разрешения на строительство", ("adm_main", "adm_arch"), "permit", (3, 6.5), ("workday", "day"), (5, "workday"), (20, 250)),
    _Process("Выдача разрешения на ввод объекта в эксплуатацию", ("adm_main", "adm_arch"), "permit", (3, 6.5), ("workday", "day"), (5, "workday"), (15, 200)),
    _Process("Выдача градостроительного плана земельного участка", ("adm_main", "adm_arch"), "permit", (8, 19), ("workday", "day"), (14, "workday"), (30, 400)),
    _Process("Присвоение адреса объекту адресации", ("adm_main", "adm_arch"), "permit", (5, 13), ("workday", "day"), (10, "workday"), (100, 1500)),
    _Process("Согласование переустройства и перепланировки помещения", ("adm_main", "adm_arch", "adm_district"), "permit", (15, 40), ("day",), (45, "day"), (50, 300)),
    _Process("Выдача разрешения на использование земель или земельного участка", ("adm_main",), "permit", (6, 19), ("workday", "day"), (15, "workday"), (50, 300)),
    _Process("Предварительное согласование предоставления земельного участка", ("adm_main",), "permit", (7, 13), ("day",), (14, "day"), (50, 400)),
    _Process("Предоставление земельного участка в аренду без проведения торгов", ("adm_main",), "permit", (7, 13), ("day",), (14, "day"), (50, 500)),
    _Process("Рассмотрение обращений граждан", ("adm_main", "adm_district"), "permit", (10, 28), ("day",), (30, "day"), (300, 8000)),
    _Process("Выдача выписки из похозяйственной книги", ("adm_main",), "permit", (1, 5), ("day", "workday"), (5, "workday"), (200, 3000)),
    _Process("Выдача ордера на производство земляных работ", ("adm_district", "adm_main"), "permit", (4, 12), ("workday", "day"), (10, "workday"), (50, 400)),
    _Process("Выдача разрешения на вырубку зелёных насаждений", ("adm_district",), "permit", (8, 25), ("day",), None, (50, 300)),
    _Process("Выдача архивных справок", ("adm_archive",), "permit", (8, 25), ("day",), (30, "day"), (200, 5000)),
    _Process("Выдача повторных свидетельств о государственной регистрации актов гражданского состояния", ("adm_zags",), "permit", (0.05, 3), ("h", "day"), None, (100, 3000)),
    _Process("Выдача справок о государственной регистрации актов гражданского состояния", ("adm_zags",), "permit", (0.05, 2), ("h", "day"), None, (100, 2500)),
    _Process("Выдача справки об обучении", ("school",), "permit", (0.1, 3), ("h", "day"), None, (100, 1500)),
    # internal administration
    _Process("Подготовка и согласование проектов постановлений администрации", ("adm_main", "adm_district"), "internal", (5, 20), ("day", "workday"), None, (200, 1500)),
    _Process("Закупка товаров у единственного поставщика", ("adm_main", "adm_finance", "other", "preschool", "school"), "internal", (10, 30), ("day", "workday"), None, (50, 600)),
    _Process("Согласование договоров и муниципальных контрактов", ("adm_main", "adm_finance"), "internal", (3, 12), ("day", "workday"), None, (100, 1200)),
    _Process("Приём на муниципальную службу", ("adm_main",), "internal", (10, 30), ("day",), None, (50, 120)),
    _Process("Оформление командировок сотрудников", ("adm_main", "adm_finance", "other"), "internal", (0.5, 4), ("h", "day"), None, (50, 600)),
    _Process("Приём документов на постоянное хранение в муниципальный архив", ("adm_archive",), "internal", (10, 40), ("day",), None, (50, 200)),
    _Process("Оплата счетов поставщиков", ("adm_finance", "other"), "internal", (2, 10), ("day", "workday"), None, (500, 8000)),
    _Process("Подготовка ответов на запросы контрольных и надзорных органов", ("adm_finance", "adm_main"), "internal", (5, 15), ("day", "workday"), None, (50, 400)),
    _Process("Организация питания воспитанников: заказ и приёмка продуктов", ("preschool",), "internal", (1, 4), ("h", "day"), None, (200, 1000)),
    _Process("Выдача учебников обучающимся", ("school",), "internal", (0.5, 3), ("h", "day"), None, (200, 1500)),
    _Process("Подготовка отчётности для управления образования", ("school", "preschool"), "internal", (3, 10), ("day", "workday"), None, (50, 150)),
    _Process("Комплектование библиотечного фонда", ("culture",), "internal", (10, 40), ("day",), None, (50, 600)),
    _Process("Организация культурно-массовых мероприятий", ("culture",), "internal", (10, 30), ("day",), None, (50, 400)),
    _Process("Начисление заработной платы", ("other", "adm_finance"), "internal", (3, 10), ("day", "workday"), None, (600, 6000)),
    _Process("Устранение аварий на сетях водоснабжения", ("other",), "internal", (0.2, 3), ("h",), None, (50, 600)),
    _Process("Обработка заявок жителей на благоустройство", ("other", "adm_district"), "internal", (5, 20), ("day",), None, (100, 2000)),
    _Process("Приёмка выполненных работ по благоустройству", ("other", "adm_district"), "internal", (5, 20), ("day", "workday"), None, (50, 300)),
    _Process("Бронирование спортивных объектов", ("sport",), "internal", (0.5, 5), ("h", "day"), None, (100, 2000)),
    _Process("Приём нормативов комплекса ГТО", ("sport",), "internal", (3, 20), ("day",), None, (100, 1500)),
    # enrolment and queues
    _Process("Постановка на учёт для зачисления в детский сад", ("adm_edu",), "enrol", (1, 9), ("day", "workday"), (7, "workday"), (200, 6000)),
    _Process("Выдача направлений в детские сады", ("adm_edu",), "enrol", (5, 20), ("day",), None, (150, 4000)),
    _Process("Предоставление путёвок в загородные лагеря", ("adm_edu",), "enrol", (5, 20), ("day",), None, (100, 2000)),
    _Process("Зачисление ребёнка в детский сад по направлению", ("preschool",), "enrol", (3, 15), ("day", "workday"), None, (50, 300)),
    _Process("Зачисление в первый класс", ("school",), "enrol", (1.5, 4), ("workday", "day"), (3, "workday"), (50, 400)),
    _Process("Запись в клубные формирования", ("culture",), "enrol", (1, 7), ("day",), None, (100, 1500)),
    _Process("Зачисление в спортивную школу", ("sport",), "enrol", (3, 15), ("day",), None, (50, 600)),
    # benefits and social support
    _Process("Назначение компенсации части родительской платы за присмотр и уход", ("adm_edu", "preschool"), "benefit", (5, 15), ("workday", "day"), (10, "workday"), (200, 5000)),
    _Process("Назначение ежемесячной денежной выплаты", ("social",), "benefit", (7, 25), ("workday", "day"), (10, "workday"), (300, 6000)),
    _Process("Оформление социального обслуживания на дому", ("social",), "benefit", (4, 10), ("workday", "day"), (5, "workday"), (50, 800)),
    _Process("Выдача удостоверения многодетной семьи", ("social",), "benefit", (5, 13), ("day", "workday"), (10, "workday"), (50, 1500)),
    _Process("Назначение субсидии на оплату жилого помещения и коммунальных услуг", ("social",), "benefit", (5, 15), ("workday", "day"), (10, "workday"), (200, 5000)),
    _Process("Приём заявлений на меры социальной поддержки по экстерриториальному принципу", ("mfc",), "benefit", (1, 3), ("h", "day"), None, (300, 5000)),
    # MFC front office
    _Process("Приём документов на государственную регистрацию прав на недвижимость", ("mfc",), "mfc", (_m(20), _m(60)), ("min",), None, (2000, 20000)),
    _Process("Приём заявлений о выдаче паспорта гражданина РФ", ("mfc",), "mfc", (_m(15), _m(45)), ("min",), None, (1000, 15000)),
    _Process("Приём заявлений о распоряжении средствами материнского капитала", ("mfc",), "mfc", (_m(20), _m(90)), ("min",), None, (300, 5000)),
    _Process("Выдача результатов государственных и муниципальных услуг", ("mfc",), "mfc", (_m(10), _m(40)), ("min",), None, (2000, 20000)),
    _Process("Консультирование заявителей по мерам социальной поддержки", ("mfc", "social"), "mfc", (_m(15), _m(50)), ("min",), None, (1000, 15000)),
    # health
    _Process("Запись на приём к врачу", ("health",), "clinic", (_m(10), _m(90)), ("min",), None, (5000, 20000)),
    _Process("Приём пациентов в регистратуре", ("health",), "clinic", (_m(15), _m(60)), ("min",), None, (5000, 20000)),
    _Process("Прохождение диспансеризации взрослого населения", ("health",), "clinic", (0.1, 3), ("h", "day"), None, (2000, 15000)),
    _Process("Оформление медицинских справок", ("health",), "clinic", (_m(60), 2), ("h", "day"), None, (1000, 10000)),
    _Process("Выписка льготных рецептов", ("health",), "clinic", (_m(20), _m(120)), ("min", "h"), None, (2000, 20000)),
)

# value-stream map templates: step name, actor role, typical touch time (min), value added,
# hand-off to another actor, approval
_STEP_TEMPLATES: dict[str, tuple[tuple[str, str, float, bool, bool, bool], ...]] = {
    "permit": (
        ("Приём заявления и документов", "специалист МФЦ", 15, True, False, False),
        ("Передача пакета документов из МФЦ в администрацию", "курьер МФЦ", 10, False, True, False),
        ("Регистрация заявления в СЭД", "специалист канцелярии", 10, False, False, False),
        ("Резолюция руководителя", "глава администрации", 5, False, False, True),
        ("Передача заявления исполнителю", "специалист канцелярии", 5, False, True, False),
        ("Проверка комплектности документов", "специалист отдела", 30, True, False, False),
        ("Направление межведомственных запросов", "специалист отдела", 20, False, False, False),
        ("Получение ответов на межведомственные запросы", "специалист отдела", 10, False, False, False),
        ("Выезд на место и осмотр объекта", "специалист отдела", 90, True, False, False),
        ("Подготовка проекта решения", "специалист отдела", 60, True, False, False),
        ("Согласование проекта с юристом", "юрист", 20, False, True, True),
        ("Согласование с начальником отдела", "начальник отдела", 15, False, True, True),
        ("Согласование с заместителем главы администрации", "заместитель главы администрации", 10, False, True, True),
        ("Подписание решения", "глава администрации", 5, False, False, True),
        ("Регистрация результата", "специалист канцелярии", 10, False, False, False),
        ("Передача результата в МФЦ", "курьер МФЦ", 10, False, True, False),
        ("Выдача результата заявителю", "специалист МФЦ", 10, True, False, False),
    ),
    "internal": (
        ("Поступление служебной записки или заявки", "инициатор", 15, False, False, False),
        ("Регистрация в СЭД", "делопроизводитель", 5, False, False, False),
        ("Резолюция руководителя", "руководитель", 5, False, False, True),
        ("Передача исполнителю", "делопроизводитель", 5, False, True, False),
        ("Сбор исходных данных", "исполнитель", 60, True, False, False),
        ("Подготовка документа", "исполнитель", 90, True, False, False),
        ("Проверка документа начальником отдела", "начальник отдела", 20, False, False, True),
        ("Доработка по замечаниям", "исполнитель", 30, False, False, False),
        ("Согласование с бухгалтерией", "главный бухгалтер", 15, False, True, True),
        ("Согласование с юристом", "юрист", 15, False, True, True),
        ("Подписание руководителем", "руководитель", 5, False, False, True),
        ("Регистрация и рассылка", "делопроизводитель", 10, False, True, False),
        ("Размещение в информационной системе", "исполнитель", 15, True, False, False),
        ("Передача в архив", "делопроизводитель", 10, False, False, False),
    ),
    "enrol": (
        ("Подача заявления через Госуслуги или МФЦ", "заявитель", 10, True, False, False),
        ("Регистрация заявления в АИС", "специалист отдела образования", 10, False, False, False),
        ("Проверка сведений о льготах", "специалист отдела образования", 20, True, False, False),
        ("Межведомственный запрос о регистрации по месту жительства", "специалист отдела образования", 10, False, False, False),
        ("Получение ответа на межведомственный запрос", "специалист отдела образования", 5, False, False, False),
        ("Рассмотрение заявления комиссией", "комиссия", 15, False, True, True),
        ("Подготовка уведомления заявителю", "специалист отдела образования", 15, True, False, False),
        ("Согласование с руководителем", "руководитель", 5, False, True, True),
        ("Направление уведомления заявителю", "специалист отдела образования", 5, True, False, False),
        ("Приём документов в учреждении", "руководитель учреждения", 20, True, True, False),
        ("Издание приказа о зачислении", "руководитель учреждения", 10, False, False, True),
        ("Внесение сведений в АИС", "делопроизводитель", 10, False, False, False),
    ),
    "benefit": (
        ("Приём заявления и документов", "специалист", 20, True, False, False),
        ("Передача документов в отдел", "курьер", 10, False, True, False),
        ("Регистрация заявления", "специалист", 5, False, False, False),
        ("Межведомственные запросы в СФР, ФНС и ЗАГС", "специалист", 20, False, False, False),
        ("Получение ответов на запросы", "специалист", 5, False, False, False),
        ("Проверка права на выплату", "специалист", 40, True, False, False),
        ("Расчёт размера выплаты", "специалист", 30, True, False, False),
        ("Подготовка проекта решения", "специалист", 20, True, False, False),
        ("Согласование с начальником отдела", "начальник отдела", 10, False, True, True),
        ("Подписание решения", "руководитель", 5, False, False, True),
        ("Формирование выплатной ведомости", "бухгалтер", 20, False, True, False),
        ("Уведомление заявителя", "специалист", 10, True, False, False),
    ),
    "mfc": (
        ("Получение талона электронной очереди", "заявитель", 1, False, False, False),
        ("Ожидание вызова к окну", "заявитель", 0.5, False, False, False),
        ("Консультирование заявителя", "специалист МФЦ", 5, True, False, False),
        ("Проверка документа, удостоверяющего личность", "специалист МФЦ", 2, False, False, False),
        ("Заполнение заявления", "специалист МФЦ", 8, True, False, False),
        ("Сканирование документов", "специалист МФЦ", 6, False, False, False),
        ("Формирование дела в АИС МФЦ", "специалист МФЦ", 5, False, False, False),
        ("Проверка дела администратором зала", "администратор МФЦ", 3, False, True, True),
        ("Подписание заявления заявителем", "заявитель", 2, True, False, False),
        ("Выдача расписки о приёме документов", "специалист МФЦ", 2, True, False, False),
        ("Передача дела в бэк-офис", "специалист МФЦ", 2, False, True, False),
        ("Формирование описи и реестра передачи", "специалист бэк-офиса", 4, False, False, False),
    ),
    "clinic": (
        ("Обращение в регистратуру или колл-центр", "пациент", 3, False, False, False),
        ("Ожидание в очереди в регистратуру", "пациент", 0.5, False, False, False),
        ("Поиск медицинской карты", "медицинский регистратор", 5, False, False, False),
        ("Запись на приём", "медицинский регистратор", 3, True, False, False),
        ("Передача карты в кабинет врача", "медицинский регистратор", 3, False, True, False),
        ("Ожидание приёма у кабинета", "пациент", 0.5, False, False, False),
        ("Измерение давления и антропометрия", "медицинская сестра", 5, True, False, False),
        ("Сдача анализов", "процедурная медсестра", 8, True, True, False),
        ("Приём врача", "врач", 15, True, False, False),
        ("Оформление направлений и записей в МИС", "медицинская сестра", 6, False, False, False),
        ("Согласование с заведующим отделением", "заведующий отделением", 3, False, True, True),
        ("Выдача справки или рецепта", "медицинская сестра", 3, True, False, False),
    ),
}
# fmt: on

_SECTOR_WEIGHT = {
    "administration": 3.0,
    "mfc": 2.5,
    "preschool": 1.2,
    "school": 1.0,
    "health": 1.5,
    "social": 1.2,
    "culture": 0.6,
    "sport": 0.5,
    "other": 0.8,
}
_SECTOR_CODE = {
    "administration": "adm",
    "mfc": "mfc",
    "preschool": "dou",
    "school": "sosh",
    "health": "health",
    "social": "social",
    "culture": "culture",
    "sport": "sport",
    "other": "other",
}
_KINDERGARTEN_NAMES = tuple(
    "Солнышко Радуга Колокольчик Берёзка Сказка Ручеёк Теремок Звёздочка Ромашка Улыбка".split()
)
_TARGET_PCTS = np.array([20, 25, 30, 35, 40, 45, 50, 55, 60])
_TARGET_WEIGHTS = np.array([1, 1.5, 3, 2, 2.5, 1.5, 2.5, 1, 1])
_TIERS = (("leader", 7), ("middle", 9), ("lagging", 8), ("dormant", 2))


# --------------------------------------------------------------------------- calendar helpers


@lru_cache(maxsize=1)
def _calendar() -> tuple[np.ndarray, np.ndarray]:
    """Working-day flags from ``_CAL_START`` to ``_CAL_END`` and the working minutes before each day.

    A working day holds 600 working minutes (08:00–18:00).
    """
    flags = is_workday(pd.date_range(_CAL_START, _CAL_END, freq="D"))
    work_before = np.concatenate([[0], np.cumsum(flags)[:-1]]).astype(np.int64) * _WORK_SPAN
    return flags, work_before


def _di(d: dt.date) -> int:
    return (d - _CAL_START).days


def _day(i: int) -> dt.date:
    return _CAL_START + dt.timedelta(days=int(i))


def _plus(d: dt.date, days: float) -> dt.date:
    return d + dt.timedelta(days=int(round(days)))


def _add_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(d.day, last))


def _quarter_bounds(q: str) -> tuple[dt.date, dt.date]:
    year, n = int(q[:4]), int(q[-1])
    first = dt.date(year, 3 * n - 2, 1)
    return first, _add_months(first, 3) - dt.timedelta(days=1)


def _random_workdays(rng: np.random.Generator, a: dt.date, b: dt.date, size: int) -> np.ndarray:
    """Day indices (since ``_CAL_START``) of ``size`` random working days in ``[a, b]``."""
    flags, _ = _calendar()
    days = np.flatnonzero(flags[_di(a) : _di(b) + 1]) + _di(a)
    return np.sort(rng.choice(days, size=size, replace=True))


def _to_working_clock(t: np.ndarray) -> np.ndarray:
    """Working minutes elapsed from ``_CAL_START`` to minute stamps ``t``."""
    flags, work_before = _calendar()
    day, tod = t // _DAY_MIN, t % _DAY_MIN
    return work_before[day] + flags[day] * np.clip(tod - _WORK_OPEN, 0, _WORK_SPAN)


def _from_working_clock(w: np.ndarray) -> np.ndarray:
    """Minute stamps at which ``w`` working minutes have elapsed (always in working time)."""
    _, work_before = _calendar()
    day = np.searchsorted(work_before, w, side="right") - 1  # the last day starting at or before w
    return day * _DAY_MIN + _WORK_OPEN + (w - work_before[day])


# --------------------------------------------------------------------------- small helpers


def _round_value(v: float, unit: str) -> float:
    """Round a passport value as an analyst writes it (never to zero)."""
    if unit in ("count", "pct"):
        return float(max(round(v), 1))
    decimals = (0 if v >= 10 else 1) if unit == "min" else (1 if v >= 1 else 2)
    out = round(v, decimals)
    return out if out > 0 else 10.0**-decimals


def _round_sig(x: float, digits: int = 2) -> float:
    if x <= 0:
        return 0.0
    return float(round(x, digits - 1 - int(math.floor(math.log10(x)))))


def _days_to_unit(days: float, unit: str) -> float:
    if unit == "workday":
        return days / _WORKDAY_DAYS
    return days * _DAY_MIN / MINUTES_PER_UNIT[unit]


def _phase_unit(base: str, days: float) -> str:
    """The unit an analyst uses for a later phase: a smaller calendar unit once below one."""
    if base == "day" and days < 1:
        return "h" if days * 24 >= 1 else "min"
    if base == "h" and days * 24 < 1:
        return "min"
    return base


def _pick(rng: np.random.Generator, options: Sequence, weights: Sequence[float] | None = None):
    if weights is None:
        return options[int(rng.integers(len(options)))]
    w = np.asarray(weights, dtype=float)
    return options[int(rng.choice(len(options), p=w / w.sum()))]


# --------------------------------------------------------------------------- institutions


@dataclass
class _Institution:
    id: str
    municipality: _Municipality
    name: str
    sector: str
    pool: str
    model_level: str = "none"
    model_since: dt.date | None = None


def _templates(mu: _Municipality) -> dict[str, list[tuple[str, str]]]:
    """Candidate institutions per sector (name, process pool), in the order they are used."""
    g, c = mu.genitive, mu.centre
    city = mu.kind == "city_okrug"
    if mu.id == "cheboksary":
        adm = [
            ("Администрация города Чебоксары", "adm_main"),
            ("Администрация Ленинского района г. Чебоксары", "adm_district"),
            ("Администрация Калининского района г. Чебоксары", "adm_district"),
            ("Администрация Московского района г. Чебоксары", "adm_district"),
            ("Управление образования администрации города Чебоксары", "adm_edu"),
            (
                "Управление архитектуры и градостроительства администрации города Чебоксары",
                "adm_arch",
            ),
            ("Муниципальный архив города Чебоксары", "adm_archive"),
            ("Финансовое управление администрации города Чебоксары", "adm_finance"),
        ]
    else:
        edu = "Управление образования" if city else "Отдел образования"
        adm = [
            (f"Администрация {g}", "adm_main"),
            (f"{edu} администрации {g}", "adm_edu"),
            (f"Архивный отдел администрации {g}", "adm_archive"),
            (f"Отдел ЗАГС администрации {g}", "adm_zags"),
            (f"Финансовый отдел администрации {g}", "adm_finance"),
            (f"Отдел строительства и ЖКХ администрации {g}", "adm_arch"),
        ]
    mfc_office = 'Офис АУ "МФЦ" Минэкономразвития Чувашии'
    if city and mu.population > 100_000:
        mfc = [(f"{mfc_office} № {k}, {c}", "mfc") for k in (1, 2, 3)]
    else:
        mfc = [(f"{mfc_office}, {c}", "mfc")]
    if mu.id == "cheboksary":
        health = [
            ('БУ "Городская клиническая больница № 1" Минздрава Чувашии', "health"),
            ('БУ "Городская детская клиническая больница" Минздрава Чувашии', "health"),
            ('БУ "Центральная городская больница" Минздрава Чувашии', "health"),
            ('БУ "Городская стоматологическая поликлиника" Минздрава Чувашии', "health"),
        ]
    elif city:
        health = [
            (f'БУ "{mu.feminine} городская больница" Минздрава Чувашии', "health"),
            (f'БУ "{mu.feminine} городская детская поликлиника" Минздрава Чувашии', "health"),
        ]
    else:
        health = [(f'БУ "{mu.feminine} ЦРБ" Минздрава Чувашии', "health")]
    where = f"г. {mu.short}" if city else g
    social = [
        (
            f'БУ "КЦСОН {where}" Минтруда Чувашии'
            if city
            else f'БУ "{mu.masculine} КЦСОН" Минтруда Чувашии',
            "social",
        ),
        (
            f'Отдел социальной защиты населения {g} КУ "Центр предоставления мер социальной поддержки"',
            "social",
        ),
    ]
    culture = [
        (f'МБУК "Централизованная библиотечная система" {g}', "culture"),
        (f'МБУК "Централизованная клубная система" {g}', "culture"),
        (f'МБУ ДО "Детская школа искусств" {g}', "culture"),
        (f'МБУК "Краеведческий музей" {g}', "culture"),
    ]
    sport = [
        (f'МБУ ДО "Спортивная школа" {g}', "sport"),
        (f'МАУ "Физкультурно-оздоровительный комплекс" {g}', "sport"),
    ]
    other = [
        (f'МКУ "Центр финансового и хозяйственного обеспечения" {g}', "other"),
        (f'МБУ "Управление благоустройства и развития территорий" {g}', "other"),
        (f'МУП "Управление жилищно-коммунального хозяйства" {g}', "other"),
    ]
    return {
        "administration": adm,
        "mfc": mfc,
        "health": health,
        "social": social,
        "culture": culture,
        "sport": sport,
        "other": other,
    }


def _numbered_name(
    rng: np.random.Generator, mu: _Municipality, sector: str, used: set[str]
) -> str:
    """A kindergarten or school name not yet used in the municipality."""
    city = mu.kind == "city_okrug"
    top = {"cheboksary": 210, "novocheboksarsk": 50}.get(mu.id, 15)
    for _ in range(200):
        if sector == "preschool":
            if mu.id == "cheboksary" and "dou204" not in used:
                used.add("dou204")
                name = 'МБДОУ "Детский сад № 204" г. Чебоксары'
            elif city:
                name = f'МБДОУ "Детский сад № {int(rng.integers(1, top + 1))}" г. {mu.short}'
            else:
                name = f'МБДОУ "Детский сад «{_pick(rng, _KINDERGARTEN_NAMES)}»" {mu.centre}'
        elif city:
            name = f'МБОУ "СОШ № {int(rng.integers(1, max(top // 3, 12) + 1))}" г. {mu.short}'
        else:
            name = f'МБОУ "{mu.feminine} СОШ № {int(rng.integers(1, 4))}"'
        if name not in used:
            used.add(name)
            return name
    raise RuntimeError("ran out of institution names")  # pragma: no cover


def _municipality_institutions(
    rng: np.random.Generator, mu: _Municipality, m: float
) -> list[_Institution]:
    """The institutions of one municipality: its administration first, then an MFC office."""
    if mu.population > 400_000:
        n = int(rng.integers(20, 25))
    elif mu.population > 100_000:
        n = int(rng.integers(11, 15))
    else:
        raw = 3 + 4.5 * math.log10(mu.population / 8000) + 3 * m + rng.normal(0, 0.8)
        n = int(np.clip(round(raw), 3, 12))
    tpl = _templates(mu)
    taken = dict.fromkeys(_SECTOR_WEIGHT, 0)
    used_names: set[str] = set()
    chosen: list[tuple[str, str, str]] = []  # sector, name, pool

    def take(sector: str) -> bool:
        if sector in ("preschool", "school"):
            if taken[sector] >= (6 if mu.population > 100_000 else 3):
                return False
            chosen.append((sector, _numbered_name(rng, mu, sector, used_names), sector))
        else:
            if taken[sector] >= len(tpl[sector]):
                return False
            name, pool = tpl[sector][taken[sector]]
            chosen.append((sector, name, pool))
        taken[sector] += 1
        return True

    take("administration")
    if mu.kind == "city_okrug" or rng.random() < 0.85:
        take("mfc")
    draw_weights = {
        "administration": 1.2 if mu.id != "cheboksary" else 3.0,
        "mfc": 0.6,
        "preschool": 2.5,
        "school": 2.5,
        "health": 1.0,
        "social": 1.0,
        "culture": 1.2,
        "sport": 0.8,
        "other": 0.8,
    }
    sectors = list(draw_weights)
    while len(chosen) < n and any(draw_weights.values()):
        sector = _pick(rng, sectors, [draw_weights[s] for s in sectors])
        if not take(sector):
            draw_weights[sector] = 0.0
    out, counter = [], dict.fromkeys(_SECTOR_CODE.values(), 0)
    for sector, name, pool in chosen:
        code = _SECTOR_CODE[sector]
        counter[code] += 1
        out.append(_Institution(f"{mu.id}-{code}-{counter[code]}", mu, name, sector, pool))
    return out


def _make_institutions(
    rng: np.random.Generator, munis: Sequence[_Municipality], maturity: dict[str, float]
) -> list[_Institution]:
    return [i for mu in munis for i in _municipality_institutions(rng, mu, maturity[mu.id])]


# --------------------------------------------------------------------------- projects


@dataclass
class _Project:
    inst: _Institution
    process: _Process
    maturity: float
    start: dt.date
    planned_end: dt.date
    end_eff: dt.date  # when the project ends (or would end), as of its own course
    stage: str
    id: str = ""

    @property
    def duration(self) -> int:
        return (self.end_eff - self.start).days

    @property
    def impl_done(self) -> dt.date:
        return _plus(self.start, 0.7 * self.duration)

    @property
    def actual_end(self) -> dt.date | None:
        return self.end_eff if self.stage == "closed" else None

    @property
    def has_actual(self) -> bool:
        return self.stage in ("sustain", "closed")


def _draw_maturity(
    rng: np.random.Generator, munis: Sequence[_Municipality]
) -> dict[str, tuple[str, float]]:
    order = rng.permutation(len(munis))
    ranges = {
        "leader": (0.75, 0.95),
        "middle": (0.45, 0.7),
        "lagging": (0.2, 0.4),
        "dormant": (0.02, 0.12),
    }
    tiers = [t for t, k in _TIERS for _ in range(k)]
    out = {}
    for pos, i in enumerate(order):
        tier = tiers[pos]
        out[munis[int(i)].id] = (tier, float(rng.uniform(*ranges[tier])))
    return {mu.id: out[mu.id] for mu in munis}


def _active_quarters(rng: np.random.Generator, tier: str, n: int) -> np.ndarray:
    """Indices of the quarters in which a municipality starts at least one project."""
    if tier == "leader":
        k = n if rng.random() < 0.55 else n - 1
    elif tier == "middle":
        k = int(round(rng.uniform(0.65, 0.85) * n))
    elif tier == "lagging":
        k = max(1, int(round(rng.uniform(0.3, 0.6) * n)))
    else:
        k = int(rng.integers(1, 3))
    w = 1.0 + 0.12 * np.arange(n)  # late starters catch up a little
    return np.sort(rng.choice(n, size=k, replace=False, p=w / w.sum()))


def _timeline(rng: np.random.Generator, start: dt.date, m: float) -> tuple[dt.date, dt.date, str]:
    """Planned end, effective end and stage as of :data:`AS_OF`."""
    planned_end = _add_months(start, int(rng.integers(3, 10)))
    plan = (planned_end - start).days
    if rng.random() < 0.3 + 0.6 * m:
        g = rng.uniform(0.8, 1.0)  # on time
    elif rng.random() < 0.15 * (1 - m):
        g = rng.uniform(1.8, 3.0)  # stalls
    else:
        g = 1.0 + rng.gamma(2.0, 0.15)  # late
    end_eff = _plus(start, plan * g)
    duration = (end_eff - start).days
    cancel_at = _plus(start, rng.uniform(0.15, 0.7) * duration)
    if rng.random() < 0.02 + 0.08 * (1 - m) and cancel_at <= AS_OF:
        return planned_end, end_eff, "cancelled"
    if end_eff <= AS_OF:
        return planned_end, end_eff, "closed"
    f = (AS_OF - start).days / duration
    for share, stage in ((0.1, "preparation"), (0.35, "diagnosis"), (0.7, "implementation")):
        if f < share:
            return planned_end, end_eff, stage
    return planned_end, end_eff, "sustain"


def _make_projects(
    rng: np.random.Generator,
    munis: Sequence[_Municipality],
    institutions: Sequence[_Institution],
    maturity: dict[str, tuple[str, float]],
) -> list[_Project]:
    by_muni: dict[str, list[_Institution]] = {}
    for inst in institutions:
        by_muni.setdefault(inst.municipality.id, []).append(inst)
    projects: list[_Project] = []
    for mu in munis:
        tier, m = maturity[mu.id]
        insts = by_muni[mu.id]
        weights = np.array(
            [_SECTOR_WEIGHT[i.sector] * (1.5 if i.pool == "adm_main" else 1.0) for i in insts]
        )
        size = float(np.clip(math.log10(mu.population / 10_000), 0.0, 1.7))
        lam = (0.2 + 0.8 * m) * (0.5 + size)
        used: dict[str, set[str]] = {}
        quarters = mu.quarters
        for qi in _active_quarters(rng, tier, len(quarters)):
            first, last = _quarter_bounds(quarters[int(qi)])
            for _ in range(1 + int(rng.poisson(lam))):
                inst = insts[int(rng.choice(len(insts), p=weights / weights.sum()))]
                pool = [p for p in _PROCESSES if inst.pool in p.pools]
                seen = used.setdefault(inst.id, set())
                pw = [0.2 if p.name in seen else 1.0 for p in pool]
                process = _pick(rng, pool, pw)
                seen.add(process.name)
                start = _day(int(_random_workdays(rng, first, min(last, AS_OF), 1)[0]))
                planned_end, end_eff, stage = _timeline(rng, start, m)
                projects.append(_Project(inst, process, m, start, planned_end, end_eff, stage))
    projects.sort(key=lambda p: (p.start, p.inst.id, p.process.name))
    width = max(3, len(str(len(projects))))
    for k, p in enumerate(projects, start=1):
        p.id = f"P{k:0{width}d}"
    return projects


def _assign_models(
    rng: np.random.Generator,
    institutions: Sequence[_Institution],
    projects: Sequence[_Project],
    maturity: dict[str, tuple[str, float]],
) -> None:
    """Give model-institution («образец») status to busy institutions of mature municipalities."""
    first_start: dict[str, dt.date] = {}
    n_projects: dict[str, int] = {}
    for p in projects:
        n_projects[p.inst.id] = n_projects.get(p.inst.id, 0) + 1
        first_start.setdefault(p.inst.id, p.start)
    regional: list[_Institution] = []
    for mu_id in dict.fromkeys(i.municipality.id for i in institutions):
        tier, m = maturity[mu_id]
        k = {
            "leader": int(rng.integers(1, 4)),
            "middle": int(rng.random() < 0.45),
            "lagging": int(rng.random() < 0.1),
            "dormant": 0,
        }[tier]
        cands = [
            i for i in institutions if i.municipality.id == mu_id and n_projects.get(i.id, 0) >= 2
        ]
        if len(cands) > k:  # busier institutions are likelier models
            w = np.array([n_projects[i.id] for i in cands], dtype=float)
            pick = rng.choice(len(cands), size=k, replace=False, p=w / w.sum())
            cands = [cands[int(j)] for j in pick]
        for rank, inst in enumerate(cands):
            since = _plus(first_start[inst.id], rng.uniform(150, 500))
            inst.model_level = "local"
            if tier == "leader" and rng.random() < (0.6 if rank == 0 else 0.15):
                inst.model_level = "regional"
                since = _plus(since, rng.uniform(90, 270))
                regional.append(inst)
            inst.model_since = min(max(since, dt.date(2023, 3, 1)), dt.date(2025, 11, 28))
    if regional:
        # federal models are usually kindergartens, schools, clinics or MFC offices
        regional.sort(key=lambda i: (i.sector == "administration", -n_projects[i.id], i.id))
        for inst in regional[: int(rng.integers(1, 3))]:
            inst.model_level = "federal"
            inst.model_since = _plus(dt.date(2025, 2, 1), rng.uniform(0, 270))


# --------------------------------------------------------------------------- passport, maps, cases


@dataclass
class _Phase:
    phase: str
    value: float  # as written
    unit: str
    stat: str
    n_obs: int | None
    measured_on: dt.date | None

    @property
    def minutes(self) -> float:
        """The value in minutes (calendar units only)."""
        return self.value * MINUTES_PER_UNIT[self.unit]


def _lead_time(
    rng: np.random.Generator,
    p: _Project,
    method: str,
    calendar_only: bool,
    dates: tuple[dt.date, dt.date | None, dt.date | None],
) -> tuple[list[_Phase], float, float]:
    """Lead-time phases of one project, its target reduction (%) and the true baseline (days)."""
    proc, m = p.process, p.maturity
    lo, hi = proc.lead_days
    true_base = math.exp(rng.uniform(math.log(lo), math.log(hi)))
    units = [u for u in proc.units if not (calendar_only and u == "workday")] or ["day"]
    if method == "regulation_limit":
        limit, unit = proc.limit
        limit_days = limit * (_WORKDAY_DAYS if unit == "workday" else 1)
        true_base = limit_days * rng.uniform(0.45, 0.85)  # the regulation overstates real time
        base_value = float(limit)
    else:
        unit = _pick(rng, units)
        reported = true_base * (rng.uniform(0.9, 1.6) if method == "estimate" else 1.0)
        base_value = _days_to_unit(reported, unit)
        if method == "estimate" and base_value >= 1:  # a round figure
            base_value = float(round(base_value)) if base_value >= 3 else round(base_value * 2) / 2
        base_value = _round_value(base_value, unit)
    target_pct = float(rng.choice(_TARGET_PCTS, p=_TARGET_WEIGHTS / _TARGET_WEIGHTS.sum()))
    base_on, act_on, follow_on = dates
    measured = method == "measured"
    stat = "mean" if calendar_only else _pick(rng, ("mean", "median"), (0.6, 0.4))
    phases = [
        _Phase(
            "baseline",
            base_value,
            unit,
            stat if measured else "single",
            int(rng.integers(8, 61)) if measured else None,
            None if method == "regulation_limit" else base_on,
        )
    ]
    base_days = base_value * (
        _WORKDAY_DAYS if unit == "workday" else MINUTES_PER_UNIT[unit] / _DAY_MIN
    )
    tgt_days = base_days * (1 - target_pct / 100)
    tu = _phase_unit(unit, tgt_days)
    phases.append(
        _Phase("target", _round_value(_days_to_unit(tgt_days, tu), tu), tu, "single", None, None)
    )
    if p.has_actual:
        t = target_pct / 100
        if rng.random() < 0.13 - 0.1 * m:
            r = rng.uniform(-0.3, 0.05)  # no change, or worse
        else:
            r = float(np.clip(t * rng.normal(0.65 + 0.65 * m, 0.2), 0.1, 0.85))
        act_days = max(true_base * (1 - r), 0.25 * proc.lead_days[0])
        au = _phase_unit(unit, act_days)
        stat_a = "mean" if calendar_only else _pick(rng, ("mean", "median"), (0.6, 0.4))
        phases.append(
            _Phase(
                "actual",
                _round_value(_days_to_unit(act_days, au), au),
                au,
                stat_a,
                int(rng.integers(8, 61)),
                act_on,
            )
        )
        if follow_on is not None and rng.random() < 0.3 + 0.4 * m:
            holds = rng.random() < 0.75
            f_days = act_days * (rng.uniform(0.85, 1.1) if holds else rng.uniform(1.2, 1.9))
            f_days = min(f_days, max(true_base * 1.1, act_days))
            fu = _phase_unit(unit, f_days)
            phases.append(
                _Phase(
                    "followup",
                    _round_value(_days_to_unit(f_days, fu), fu),
                    fu,
                    stat_a,
                    int(rng.integers(5, 41)),
                    follow_on,
                )
            )
    return phases, target_pct, true_base


def _pce_cap(lead_min: float) -> float:
    """Largest share of a lead time that can be touch time."""
    return 0.25 if lead_min >= _DAY_MIN else 0.5 if lead_min >= 240 else 0.75


def _map_state(
    rng: np.random.Generator, steps: list[tuple], proc_min: np.ndarray, lead_min: float
) -> list[tuple]:
    """Rows of one map state whose Σ(process + wait) equals ``lead_min``."""
    proc = proc_min.copy()
    cap = _pce_cap(lead_min) * lead_min
    if proc.sum() > cap:
        proc *= cap / proc.sum()
    proc = np.maximum(np.round(proc, 1), 0.1)
    wait_total = lead_min - proc.sum()
    share = rng.dirichlet(np.full(len(steps) - 1, 0.7))
    wait = np.append(np.round(share * wait_total, 1), 0.0)
    big = int(np.argmax(wait))
    wait[big] = round(wait[big] + (lead_min - proc.sum() - wait.sum()), 1)
    return [(*s, float(pm), float(wm)) for s, pm, wm in zip(steps, proc, wait, strict=True)]


def _make_map(
    rng: np.random.Generator, family: str, lead: dict[str, float]
) -> dict[str, list[tuple]]:
    """Current, target (and actual) value-stream maps for the given lead times (minutes)."""
    template = _STEP_TEMPLATES[family]
    n_max = min(15, len(template))
    if lead["current"] < 60:
        n_max = min(n_max, max(5, int(lead["current"] // 3)))
    n = int(rng.integers(5, n_max + 1))
    middle = np.sort(rng.choice(np.arange(1, len(template) - 1), size=n - 2, replace=False))
    idx = [0, *middle.tolist(), len(template) - 1]
    base = np.array([template[i][2] for i in idx]) * rng.uniform(0.6, 1.6, size=n)
    maps = {"current": _map_state(rng, [template[i] for i in idx], base, lead["current"])}
    removable = [k for k in range(1, n - 1) if not template[idx[k]][3]]
    n_drop = min(int(round(rng.uniform(0.25, 0.6) * len(removable))), n - 5)
    drop = set(rng.choice(removable, size=n_drop, replace=False).tolist()) if n_drop > 0 else set()
    keep = [k for k in range(n) if k not in drop]
    tgt_proc = base[keep] * rng.uniform(0.7, 1.0, size=len(keep))
    maps["target"] = _map_state(rng, [template[idx[k]] for k in keep], tgt_proc, lead["target"])
    if "actual" in lead:
        act_keep = list(keep)
        if drop and rng.random() < 0.25:  # one removed step crept back
            act_keep = sorted([*keep, sorted(drop)[int(rng.integers(len(drop)))]])
        act_proc = base[act_keep] * rng.uniform(0.7, 1.15, size=len(act_keep))
        maps["actual"] = _map_state(
            rng, [template[idx[k]] for k in act_keep], act_proc, lead["actual"]
        )
    return maps


def _value_row(indicator: str, ph: _Phase, value: float, unit: str) -> tuple:
    """A passport row measured alongside the lead time of the same phase."""
    return (
        indicator,
        ph.phase,
        _round_value(value, unit),
        unit,
        ph.stat,
        ph.n_obs,
        ph.measured_on,
    )


def _count_rows(
    rng: np.random.Generator,
    indicator: str,
    base: int,
    phases: dict[str, _Phase],
    cut: tuple[float, float],
) -> list[tuple]:
    """Count rows for the phases present: the target cuts ``base``, the actual lands near it."""
    target = max(1, round(base * (1 - rng.uniform(*cut))))
    values = {
        "baseline": base,
        "target": target,
        "actual": max(1, target + int(rng.integers(-1, 2))),
    }
    return [
        (indicator, k, float(values[k]), "count", "single", None, ph.measured_on)
        for k, ph in phases.items()
    ]


def _touch_unit(minutes: float) -> str:
    return "h" if minutes >= 240 else "min"


def _other_indicators(
    rng: np.random.Generator,
    p: _Project,
    lead: list[_Phase],
    maps: dict[str, list[tuple]] | None,
) -> list[tuple]:
    """Rows (indicator, phase, value, unit, stat, n_obs, measured_on) besides lead time.

    A project with a value-stream map reports the map's touch time, waiting time, steps,
    hand-offs and approvals; others report a random selection of indicators.
    """
    rows = []
    phases = {ph.phase: ph for ph in lead if ph.phase != "followup"}
    family = p.process.family
    if maps is not None:
        state_of = {"baseline": "current", "target": "target", "actual": "actual"}
        for phase, ph in phases.items():
            state = maps.get(state_of[phase])
            if state is None:
                continue
            touch = sum(r[6] for r in state)
            unit = _touch_unit(touch)
            rows.append(_value_row("process_time", ph, touch / MINUTES_PER_UNIT[unit], unit))
            wait = (ph.minutes - touch) / MINUTES_PER_UNIT[ph.unit]
            rows.append(_value_row("wait_time", ph, wait, ph.unit))
            for name, n in (
                ("steps", len(state)),
                ("handoffs", sum(r[4] for r in state)),
                ("approvals", sum(r[5] for r in state)),
            ):
                rows.append((name, phase, float(n), "count", "single", None, ph.measured_on))
        if "actual" in phases and "actual" not in maps:  # in sustain: touch time measured anyway
            ph = phases["actual"]
            touch = min(
                sum(r[6] for r in maps["target"]) * rng.uniform(0.9, 1.15), 0.8 * ph.minutes
            )
            unit = _touch_unit(touch)
            rows.append(_value_row("process_time", ph, touch / MINUTES_PER_UNIT[unit], unit))
        return rows
    if rng.random() < 0.5:
        cap = {"permit": 400, "internal": 600, "benefit": 300, "enrol": 200}.get(family, math.inf)
        first = None
        for phase, ph in phases.items():
            per_unit = (
                _WORKDAY_DAYS * _DAY_MIN if ph.unit == "workday" else MINUTES_PER_UNIT[ph.unit]
            )
            lead_min = ph.value * per_unit
            if first is None:
                first = min(lead_min * rng.uniform(0.03, 0.6 if lead_min < 240 else 0.15), cap)
                touch = first
            else:
                touch = first * rng.uniform(*((0.6, 0.95) if phase == "target" else (0.55, 1.05)))
            touch = min(touch, 0.8 * lead_min)
            unit = _touch_unit(touch)
            rows.append(_value_row("process_time", ph, touch / MINUTES_PER_UNIT[unit], unit))
            if ph.unit != "workday" and rng.random() < 0.6:
                rows.append(_value_row("wait_time", ph, (lead_min - touch) / per_unit, ph.unit))
    citizen = family in ("permit", "mfc", "enrol", "benefit", "clinic")
    if rng.random() < 0.35:
        base = int(rng.integers(6, 21))
        rows += _count_rows(rng, "steps", base, phases, (0.2, 0.5))
        for name, hi in (("handoffs", 8), ("approvals", 6)):
            if rng.random() < 0.6:
                n = int(rng.integers(1, min(hi, base - 1) + 1))
                rows += _count_rows(rng, name, n, phases, (0.2, 0.7))
    if citizen and rng.random() < 0.25:
        rows += _count_rows(rng, "documents", int(rng.integers(3, 11)), phases, (0.15, 0.5))
    if citizen and rng.random() < 0.2:
        rows += _count_rows(rng, "visits", int(rng.integers(2, 5)), phases, (0.3, 0.6))
    if family in ("permit", "internal", "benefit") and rng.random() < 0.1:
        rows += _count_rows(rng, "backlog", int(rng.integers(20, 301)), phases, (0.4, 0.8))
    if citizen and rng.random() < 0.3:  # a survey of service users, in percent satisfied
        base = float(rng.integers(50, 86))
        target = min(98.0, base + float(rng.integers(8, 26)))
        actual = float(np.clip(round(base + (target - base) * rng.uniform(0.3, 1.3)), 1, 100))
        values = {"baseline": base, "target": target, "actual": actual}
        for phase, ph in phases.items():
            survey = phase != "target"
            rows.append(
                (
                    "satisfaction",
                    phase,
                    values[phase],
                    "pct",
                    "mean" if survey else "single",
                    int(rng.integers(30, 201)) if survey else None,
                    ph.measured_on,
                )
            )
    return rows


def _top_up(
    completed: np.ndarray,
    received: np.ndarray,
    done: np.ndarray,
    goal: float,
    limit: float,
    *,
    same_day: bool,
) -> np.ndarray:
    """Finish cases later until the mean lead time of the completed ones reaches ``goal``.

    Lead times in calendar time jump by whole days (and weekends) as working time grows, so a
    scale alone cannot always hit the goal. The longest cases are first moved to the next working
    day (unless cases end the day they start), then every case is finished a little later on its
    completion day, before 18:00 and before ``limit`` (the log extract).
    """
    flags, _ = _calendar()
    completed = completed.copy()
    gap = goal * done.sum() - (completed - received)[done].sum()
    longest_first = np.flatnonzero(done)[np.argsort(-(completed - received)[done], kind="stable")]
    for _ in range(0 if same_day else 10):
        slack = (completed // _DAY_MIN * _DAY_MIN + _WORK_CLOSE - 1 - completed)[done].sum()
        if gap <= slack:
            break
        for i in longest_first:
            day = completed[i] // _DAY_MIN
            step = (1 + int(np.argmax(flags[day + 1 :]))) * _DAY_MIN
            if step <= gap - slack and completed[i] + step < limit:
                completed[i] += step
                gap -= step
    if gap > 0:
        slack = np.where(done, completed // _DAY_MIN * _DAY_MIN + _WORK_CLOSE - 1 - completed, 0)
        completed += np.floor(slack * min(1.0, gap / max(slack.sum(), 1))).astype(np.int64)
    return completed


def _case_phase(
    rng: np.random.Generator,
    received_days: np.ndarray,
    mean_min: float,
    touch_min: float,
    extract_day: int | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Received and completed minute stamps (completed −1 while open) and touch minutes.

    Each case needs a lognormal amount of *working* time, spent 08:00–18:00 on working days, so
    it is completed in working hours. The scale is found by bisection so that the mean calendar
    lead time of the completed cases is ``mean_min * (1 + e)``, ``|e| <= 8 %``; the gap left by
    whole-day jumps is closed by :func:`_top_up`. Cases of
    processes shorter than four hours are completed the day they are received.
    """
    n = received_days.size
    received = np.sort(received_days * _DAY_MIN + rng.integers(_WORK_OPEN, _RECEIVE_CLOSE, size=n))
    sigma = rng.uniform(0.45, 0.85)
    shape = np.exp(sigma * rng.standard_normal(n))
    goal = mean_min * (1 + rng.uniform(-0.08, 0.08))
    start = _to_working_clock(received)
    room = _WORK_CLOSE - received % _DAY_MIN - 1 if goal < 240 else None
    limit = np.inf if extract_day is None else extract_day * _DAY_MIN

    def run(log_k: float) -> tuple[np.ndarray, np.ndarray, float]:
        work = np.maximum(np.round(math.exp(log_k) * shape), 2).astype(np.int64)
        if room is not None:
            work = np.minimum(work, room)
        completed = _from_working_clock(start + work)
        done = completed < limit
        mean = float((completed - received)[done].mean()) if done.any() else math.inf
        return completed, done, mean

    lo = math.log(goal / shape.mean() / 50)
    hi = math.log(goal / shape.mean() * 2)
    for _ in range(50):
        mid = (lo + hi) / 2
        if run(mid)[2] < goal:
            lo = mid
        else:
            hi = mid
    completed, done, _ = run(lo)  # mean just below the goal: whole-day jumps remain
    completed = _top_up(completed, received, done, goal, limit, same_day=room is not None)
    completed = np.where(done, completed, -1)
    lead = completed - received
    touch = touch_min * np.exp(0.35 * rng.standard_normal(n))
    touch = np.floor(np.minimum(touch, 0.9 * lead) * 10) / 10
    touch = np.where(done & (touch >= 0.1) & (rng.random(n) > 0.08), touch, np.nan)
    return received, completed, touch


def _make_cases(
    rng: np.random.Generator,
    p: _Project,
    lead: list[_Phase],
    touch: dict[str, float],
    after_from: dt.date,
) -> tuple[list[tuple], int]:
    """Case rows (case_id, phase, received, completed, work_min) of one project.

    ``before`` cases are received in the two to four months before the start; ``after`` cases
    from ``after_from`` until about one mean lead time before the ``actual`` measurement, when
    the log was extracted (cases not finished by then are open). Also returns the length of
    the ``after`` window in days.
    """
    by_phase = {ph.phase: ph for ph in lead}
    actual = by_phase["actual"]
    extract = actual.measured_on
    after_to = max(_plus(extract, -max(1.0, actual.minutes / _DAY_MIN)), _plus(after_from, 14))
    rows = []
    for phase, ph, (a, b), extract_day in (
        (
            "before",
            by_phase["baseline"],
            (_plus(p.start, -rng.uniform(60, 120)), _plus(p.start, -1)),
            None,
        ),
        ("after", actual, (after_from, after_to), _di(extract)),
    ):
        n = int(rng.integers(30, 151))
        days = _random_workdays(rng, a, b, n)
        received, completed, work = _case_phase(rng, days, ph.minutes, touch[phase], extract_day)
        tag = "B" if phase == "before" else "A"
        for k in range(n):
            rows.append(
                (
                    f"{p.id}-{tag}-{k + 1:04d}",
                    phase,
                    int(received[k]),
                    int(completed[k]),
                    float(work[k]),
                )
            )
    return rows, (after_to - after_from).days


def _milestones(
    rng: np.random.Generator, p: _Project
) -> tuple[dt.date, dt.date | None, dt.date | None]:
    """Dates of the baseline, actual and follow-up measurements (None when not taken yet)."""
    base_on = min(_plus(p.start, rng.uniform(0.05, 0.25) * p.duration), AS_OF)
    act_on = follow_on = None
    if p.stage == "closed":
        act_on = _plus(p.end_eff, -rng.uniform(0, 0.15) * (p.end_eff - p.impl_done).days)
        if (AS_OF - p.end_eff).days >= 183:
            follow_on = _plus(p.end_eff, rng.uniform(183, min(365, (AS_OF - p.end_eff).days)))
    elif p.stage == "sustain":
        act_on = _plus(p.impl_done, rng.uniform(0.4, 0.95) * (AS_OF - p.impl_done).days)
    if act_on is not None:
        act_on = min(max(act_on, _plus(p.impl_done, 1)), AS_OF)
    return base_on, act_on, follow_on


def _evidence(
    rng: np.random.Generator, p: _Project, act_on: dt.date | None
) -> tuple[str, bool, bool]:
    """Baseline method, and whether a value-stream map and a case log exist.

    Mature municipalities measure more, and map and log more; maps and logs need a measured
    baseline, and logs come from high-volume services with a long enough ``after`` window.
    """
    m, proc = p.maturity, p.process
    if proc.limit is not None and rng.random() < 0.85 - 0.55 * m:
        method = "regulation_limit"
    elif rng.random() < 0.2 - 0.15 * m:
        method = "estimate"
    else:
        method = "measured"
    measured = method == "measured"
    has_map = (
        measured and p.stage not in ("preparation", "cancelled") and rng.random() < 0.1 + 0.27 * m
    )
    has_cases = (
        measured
        and act_on is not None
        and proc.volume[1] >= 1000
        and (act_on - p.impl_done).days >= 31 + proc.lead_days[1]
        and rng.random() < 0.35 + 0.5 * m
    )
    return method, has_map, has_cases


def _touch_minutes(lead: list[_Phase], other: list[tuple], phase: str) -> float:
    """Typical staff touch time per case in a phase: the passport's, else a tenth of lead time."""
    for indicator, ph, value, unit, *_ in other:
        if indicator == "process_time" and ph == phase:
            return value * MINUTES_PER_UNIT[unit]
    return min(next(ph.minutes for ph in lead if ph.phase == phase) * 0.1, 240)


def _project_tables(
    rng: np.random.Generator, projects: Sequence[_Project]
) -> tuple[list, list, list, list]:
    """Rows of the projects, passport, steps and cases tables."""
    proj_rows, pas_rows, step_rows, case_rows = [], [], [], []
    order = {name: k for k, name in enumerate(INDICATORS)}
    phase_order = {name: k for k, name in enumerate(PASSPORT_PHASES)}
    for p in projects:
        proc = p.process
        dates = _milestones(rng, p)
        method, has_map, has_cases = _evidence(rng, p, dates[1])
        lead, target_pct, _ = _lead_time(rng, p, method, has_map or has_cases, dates)
        # annual volume: larger in larger municipalities; a case log implies a floor
        lo, hi = proc.volume
        scale = float(np.clip((p.inst.municipality.population / 30_000) ** 0.5, 0.5, 3.0))
        volume = math.exp(rng.uniform(math.log(lo), math.log(hi))) * scale
        maps = None
        if has_map:
            lengths = {ph.phase: ph.minutes for ph in lead if ph.phase != "followup"}
            lengths = {"current": lengths["baseline"], "target": lengths["target"]} | (
                {"actual": lengths["actual"]} if p.stage == "closed" else {}
            )
            maps = _make_map(rng, proc.family, lengths)
            for state, rows in maps.items():
                for no, (name, actor, _, va, hand, appr, pm, wm) in enumerate(rows, start=1):
                    step_rows.append((p.id, state, no, name, actor, pm, wm, va, hand, appr))
        other = _other_indicators(rng, p, lead, maps)
        if has_cases:
            touch = {
                "before": _touch_minutes(lead, other, "baseline"),
                "after": _touch_minutes(lead, other, "actual"),
            }
            rows, window = _make_cases(rng, p, lead, touch, _plus(p.impl_done, 1))
            case_rows += [(p.id, *r) for r in rows]
            per_year = sum(r[1] == "after" for r in rows) * 365 / max(window, 1)
            volume = max(volume, per_year * rng.uniform(1.0, 1.5))
        volume = max(50.0, min(_round_sig(volume), 20_000.0))
        proj_rows.append(
            (p.id, p.inst.id, proc.name, p.start, p.planned_end, p.actual_end, p.stage)
            + (volume, target_pct, method)
        )
        card = [(ph.phase, ph.value, ph.unit, ph.stat, ph.n_obs, ph.measured_on) for ph in lead]
        card = [("lead_time", *r) for r in card] + other
        card.sort(key=lambda r: (order[r[0]], phase_order[r[1]]))
        pas_rows += [(p.id, *r) for r in card]
    return proj_rows, pas_rows, step_rows, case_rows


# --------------------------------------------------------------------------- engagement


def _engagement(
    rng: np.random.Generator,
    munis: Sequence[_Municipality],
    maturity: dict[str, tuple[str, float]],
) -> list[tuple]:
    """Staff, staff trained (cumulative, up to a tier-dependent share) and proposals per quarter."""
    rows = []
    final_share = {
        "leader": (0.6, 0.9),
        "middle": (0.3, 0.6),
        "lagging": (0.1, 0.3),
        "dormant": (0.02, 0.1),
    }
    for mu in munis:
        tier, m = maturity[mu.id]
        staff0 = 60 + mu.population * 0.004 * rng.uniform(0.8, 1.2)
        share_end = rng.uniform(*final_share[tier])
        curve = rng.uniform(0.5, 1.5)
        n = len(QUARTERS)
        level = staff0
        trained = 0
        for qi, q in enumerate(mu.quarters):
            level *= 1 + rng.normal(0, 0.02)
            staff = int(round(level))
            frac = share_end * ((qi + 1) / n) ** curve
            trained = min(staff, max(trained, int(round(frac * staff))))
            rate = (0.003 + 0.03 * m) * (0.6 + 0.8 * qi / n)
            submitted = int(rng.poisson(staff * rate))
            implemented = int(rng.binomial(submitted, 0.25 + 0.5 * m))
            rows.append((mu.id, q, staff, trained, submitted, implemented))
    return rows


# --------------------------------------------------------------------------- frames


def _to_timestamp(minutes: np.ndarray) -> pd.Series:
    """Minutes since ``_CAL_START`` as ``datetime64[us]`` (negative minutes: missing)."""
    base = np.datetime64(_CAL_START, "m")
    stamps = base + minutes.astype("timedelta64[m]")
    out = pd.Series(stamps.astype("datetime64[us]"))
    return out.where(minutes >= 0)


def _frame(table: str, rows: Sequence[tuple]) -> pd.DataFrame:
    """A typed frame for ``table`` (dtypes as :func:`effmuni.validate` produces them)."""
    spec = TABLES[table]
    cols = list(zip(*rows, strict=True)) if rows else [()] * len(spec.columns)
    data = {}
    for col, values in zip(spec.columns, cols, strict=True):
        values = list(values)
        if col.kind in ("id", "text", "category", "quarter"):
            data[col.name] = pd.Series(values, dtype="string")
        elif col.kind == "float":
            data[col.name] = pd.Series(
                [np.nan if v is None else v for v in values], dtype="float64"
            )
        elif col.kind == "int":
            data[col.name] = pd.Series(values, dtype="Int64")
        elif col.kind == "bool":
            data[col.name] = pd.Series(values, dtype="boolean")
        elif col.kind == "date":
            data[col.name] = pd.Series(
                pd.to_datetime(pd.Series(values, dtype=object)), dtype="datetime64[us]"
            )
        else:  # datetime, given as minutes since _CAL_START (negative: missing)
            data[col.name] = _to_timestamp(np.asarray(values, dtype=np.int64))
    return pd.DataFrame(data)


def generate(seed: int = 2023) -> dict[str, pd.DataFrame]:
    """Generate the synthetic sample dataset.

    Parameters
    ----------
    seed : int, default 2023
        Seed of ``numpy.random.default_rng``; the bundled ``data/sample`` uses 2023.

    Returns
    -------
    dict of str to pandas.DataFrame
        One frame per table, in :data:`effmuni.schema.TABLE_ORDER`, with the canonical columns
        typed as :func:`effmuni.validate` returns them (``string``, ``float64``, ``Int64``,
        ``boolean``, ``datetime64[us]``).

    Examples
    --------
    >>> tables = generate(seed=7)
    >>> list(tables)
    ['municipalities', 'institutions', 'projects', 'passport', 'steps', 'cases', 'engagement']
    >>> tables["engagement"]["quarter"].min(), tables["engagement"]["quarter"].max()
    ('2023Q1', '2025Q4')
    """
    rng = np.random.default_rng(seed)
    munis = _municipalities()
    maturity = _draw_maturity(rng, munis)
    institutions = _make_institutions(rng, munis, {k: v[1] for k, v in maturity.items()})
    projects = _make_projects(rng, munis, institutions, maturity)
    _assign_models(rng, institutions, projects, maturity)
    proj_rows, pas_rows, step_rows, case_rows = _project_tables(rng, projects)
    eng_rows = _engagement(rng, munis, maturity)
    muni_rows = [
        (
            mu.id,
            mu.name_ru,
            mu.name_en,
            mu.kind,
            mu.population,
            _OKTMO.get(mu.id),
            None,
            _MERGED_TO if mu.successor else None,
            mu.successor,
        )
        for mu in munis
    ]
    inst_rows = [
        (i.id, i.municipality.id, i.name, i.sector, i.model_level, i.model_since)
        for i in institutions
    ]
    rows = {
        "municipalities": muni_rows,
        "institutions": inst_rows,
        "projects": proj_rows,
        "passport": pas_rows,
        "steps": step_rows,
        "cases": case_rows,
        "engagement": eng_rows,
    }
    return {name: _frame(name, rows[name]) for name in TABLE_ORDER}


# --------------------------------------------------------------------------- writing


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
    spec = TABLES[table]
    columns = [_fmt_cells(frame[c.name], c.kind) for c in spec.columns]
    buffer = _stdio.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(spec.column_names)
    writer.writerows(zip(*columns, strict=True))
    return buffer.getvalue()


def _readme(tables: dict[str, pd.DataFrame], seed: int) -> str:
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
    lines = [
        "# Synthetic sample dataset",
        "",
        "**Every figure in this folder is synthetic.** It was generated by `effmuni.synth` from a",
        "random seed to demonstrate and test the effmuni toolkit. It is not data from the",
        "«Эффективный регион» programme, from any municipality or from any institution, and it",
        "must not be quoted as such.",
        "",
        "What is real: the 26 municipal units of the Chuvash Republic as of 2023 (names, kind,",
        "approximate population, and the merger of the city okrugs Alatyr, Kanash and Shumerlya",
        "into their namesake municipal okrugs at the end of 2024). Institution names follow the",
        "usual Russian naming patterns. Everything else (which institutions run projects, project",
        "timings, indicator values, value-stream maps, case timings, model-institution statuses,",
        'staff and proposal counts) is invented. Each municipality\'s lean "maturity" is drawn at',
        "random, so a municipality's results here say nothing about the real one.",
        "",
        "## Regenerate",
        "",
        "```bash",
        f"effmuni sample --seed {seed} --out data/sample",
        "```",
        "",
        f'or, in Python, `effmuni.synth.write_sample("data/sample", seed={seed})`. The same seed',
        "gives byte-identical files.",
        "",
        "## Contents",
        "",
        "| file | rows | what it holds |",
        "|---|---|---|",
        f"| `municipalities.csv` | {len(mun)} | 21 municipal okrugs and 5 city okrugs; the 3 merged city okrugs have `valid_to` 2024-12-31 and a `successor_id` |",
        f"| `institutions.csv` | {len(inst)} | administrations, MFC offices, kindergartens, schools, hospitals, social, culture and sport institutions; model institutions («образцы»): local {int(models.get('local', 0))}, regional {int(models.get('regional', 0))}, federal {int(models.get('federal', 0))} |",
        f"| `projects.csv` | {len(proj)} | lean projects started 2023Q1–2025Q4; stages as of {AS_OF:%Y-%m-%d}: {stage_text}; baselines: {method_text} |",
        f"| `passport.csv` | {len(tables['passport'])} | project-card indicator values (lead time for every project; process and waiting time, steps, hand-offs, approvals, documents, visits, backlog and satisfaction for many) |",
        f"| `steps.csv` | {len(tables['steps'])} | value-stream maps (current, target and, for closed projects, actual state) of {tables['steps']['project_id'].nunique()} projects |",
        f"| `cases.csv` | {len(cases)} | case timings before and after {cases['project_id'].nunique()} projects ({int(cases['completed'].isna().sum())} cases still open) |",
        f"| `engagement.csv` | {len(tables['engagement'])} | staff, staff trained and improvement proposals per municipality and quarter |",
        "",
        "## How the tables agree",
        "",
        "- Value-stream maps exist only for projects with measured, calendar-unit lead times; the",
        "  sum of `process_min + wait_min` of the current, target and actual map equals the",
        "  passport lead time of the baseline, target and actual phase (in minutes).",
        "- Case lead times are lognormal. The mean of the completed cases of each phase equals the",
        "  passport baseline or actual value within 8 % (standing in for the difference between",
        "  a team's measurement and a log extract). Cases are received on Russian working days",
        "  between 08:00 and 17:00.",
        "- Regulation-limit baselines (`baseline_method` = `regulation_limit`) are the regulated",
        "  maximum (for example 5 working days for a building permit), which overstates the real",
        "  lead time, so their reductions look larger than they are.",
        "- Lead-time units differ between projects (`min`, `h`, `day`, `workday`) as analysts",
        "  write them, but a project never mixes calendar and working-day units in one indicator.",
        "",
    ]
    return "\n".join(lines)


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
        :data:`effmuni.schema.TABLE_ORDER`, then ``README.md``.

    Examples
    --------
    >>> import tempfile
    >>> import effmuni as em
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = write_sample(tmp, seed=2023)
    ...     report = em.validate(tmp)
    >>> [p.name for p in paths][-2:], report.ok, report.warnings.empty
    (['engagement.csv', 'README.md'], True, True)
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
    return written
