"""Lean maturity of municipalities: features, data-driven levels and a rule-based index.

Three steps, each a plain function on tidy frames:

1. :func:`maturity_features` turns a :class:`~effmuni.Dataset` into one row per municipality
   with thirteen features, every one oriented so that **higher means more mature**;
   :func:`municipality_context` returns the context (population, kind, mergers) kept *out* of
   the clustering and used afterwards to explain it. :func:`maturity_definitions` lists the
   definitions.
2. :func:`cluster_maturity` groups municipalities into levels 1..k (1 the least mature) with
   scikit-learn (impute → standardise → Ward, k-means seeded from Ward, or a Gaussian
   mixture), chooses k, and measures how well separated (silhouette) and how stable (bootstrap
   adjusted Rand index) the levels are. It returns a :class:`MaturityResult`.
3. :func:`maturity_index` scores the same features against fixed anchors into a transparent
   0–100 score and a 1–5 level worded after the five LESAT levels and gated by the programme's
   model-institution levels; :func:`compare_levels` sets the two side by side.

With 26 municipalities (23 after the 2024 mergers) the levels are groups, not rankings: read a
municipality's level together with the level's profile and its silhouette, and never sort
municipalities by a composite score to name a "best" one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from .labels import check_lang, label, missing, register

__all__ = [
    "FEATURES",
    "FEATURE_GROUPS",
    "INDEX_ANCHORS",
    "INDEX_THRESHOLDS",
    "MODEL_WEIGHTS",
    "LevelComparison",
    "MaturityResult",
    "cluster_maturity",
    "compare_levels",
    "default_index_weights",
    "maturity_definitions",
    "maturity_features",
    "maturity_index",
    "maturity_index_levels",
    "municipality_context",
]

Method = Literal["ward", "kmeans", "gmm"]
MergedPolicy = Literal["fold", "drop"]

# --------------------------------------------------------------------------- definitions


@dataclass(frozen=True)
class _Feature:
    name: str
    group: str
    unit: str
    definition_en: str
    definition_ru: str
    no_data: str  # what a municipality without the underlying data gets, and why


_FEATURES = (
    _Feature(
        "active_quarter_share",
        "cadence",
        "share",
        "Share of the quarters of the observation window in which the municipality started at "
        "least one project (the programme rule: one project a quarter).",
        "Доля кварталов периода наблюдения, в которых начат хотя бы один проект "
        "(правило программы: проект каждый квартал).",
        "0 when no project was started",
    ),
    _Feature(
        "projects_per_quarter",
        "cadence",
        "projects",
        "Projects started in the observation window divided by the number of its quarters "
        "(cancelled projects count: they were started). Not per capita: larger municipalities "
        "run more institutions; see the context.",
        "Число проектов, начатых за период наблюдения, делённое на число его кварталов "
        "(отменённые тоже учитываются).",
        "0 when no project was started",
    ),
    _Feature(
        "closed_share",
        "delivery",
        "share",
        "Of the projects due by the reference date (planned end passed, or already closed), the "
        "share closed by then.",
        "Доля закрытых проектов среди тех, чей плановый срок наступил (или уже закрытых) "
        "на расчётную дату.",
        "0 when no project is due",
    ),
    _Feature(
        "on_time_share",
        "delivery",
        "share",
        "Of the same projects due, the share closed on or before their planned end.",
        "Доля проектов, закрытых не позже планового срока, среди тех же проектов.",
        "0 when no project is due",
    ),
    _Feature(
        "median_reduction_pct",
        "results",
        "%",
        "Median lead-time reduction, 100 × (1 − actual / baseline), over projects with a "
        "passport baseline and actual lead time on the same basis (calendar or working days). "
        "Projects whose baseline is a regulation limit are left out: the limit overstates the "
        "real lead time, so the reduction would be inflated.",
        "Медиана сокращения времени протекания процесса, 100 × (1 − факт / база), по проектам "
        "с базовым и фактическим значением в одной основе (календарные или рабочие дни); "
        "проекты с базой «регламентный срок» не учитываются.",
        "0 (no evidence of a reduction) when no project has a comparable result",
    ),
    _Feature(
        "target_reached_share",
        "results",
        "share",
        "Of the projects with a result to judge (closed, or with an actual lead time) and a "
        "target, not counting regulation-limit baselines, the share whose actual lead time is at "
        "or below the passport target (else: whose reduction reaches target_reduction_pct). A "
        "closed project with no actual value counts as not reaching it.",
        "Доля проектов, достигших целевого значения, среди проектов с результатом (закрытых "
        "или с фактическим значением) и целью; закрытый проект без факта считается "
        "не достигшим цели.",
        "0 when no project has a result to judge",
    ),
    _Feature(
        "sustained_share",
        "sustainment",
        "share",
        "Of the projects closed by the reference date, the share with evidence that the change "
        "holds: an 'actual' value-stream map, case timings from the 'after' phase, or a "
        "follow-up lead time no more than 10 % above the actual value.",
        "Доля закрытых проектов с подтверждением закрепления результата: карта фактического "
        "состояния, хронометраж «после» или контрольный замер не более чем на 10 % выше "
        "фактического значения.",
        "0 when no project is closed",
    ),
    _Feature(
        "models_per_10k",
        "models",
        "per 10,000 residents",
        "Model institutions («образцы») weighted by level (local 1, regional 2, federal 3) per "
        "10,000 residents; statuses granted after the reference date are not counted.",
        "Образцовые учреждения, взвешенные по уровню (местный 1, региональный 2, "
        "федеральный 3), на 10 000 жителей.",
        "0 when there is no model institution",
    ),
    _Feature(
        "top_model_level",
        "models",
        "0–3",
        "Highest model-institution level reached: 0 none, 1 local, 2 regional, 3 federal.",
        "Высший уровень образцового учреждения: 0 нет, 1 местный, 2 региональный, 3 федеральный.",
        "0 when there is no model institution",
    ),
    _Feature(
        "trained_share",
        "people",
        "share",
        "Staff trained in lean methods as a share of all staff, in the latest quarter of the "
        "window (staff_trained is cumulative).",
        "Доля сотрудников, обученных бережливым технологиям, в последнем квартале периода.",
        "0 when the engagement table has no row for the municipality",
    ),
    _Feature(
        "proposals_per_100_staff",
        "people",
        "a year",
        "Improvement proposals submitted per 100 staff a year: 400 × Σ submitted / Σ staff over "
        "the quarters of the window.",
        "Число поданных предложений по улучшению на 100 сотрудников в год.",
        "0 when the engagement table has no row for the municipality",
    ),
    _Feature(
        "proposals_implemented_share",
        "people",
        "share",
        "Σ proposals implemented / Σ proposals submitted over the window (capped at 1).",
        "Доля реализованных предложений среди поданных (не больше 1).",
        "0 when no proposal was submitted",
    ),
    _Feature(
        "measured_baseline_share",
        "data_quality",
        "share",
        "Share of projects whose baseline was measured (chronometry or a log extract), not taken "
        "from a regulation limit or estimated.",
        "Доля проектов, базовое значение которых измерено (хронометраж, выгрузка), а не взято "
        "из регламента или оценено.",
        "0 when no project was started",
    ),
)

#: the feature columns of :func:`maturity_features`, in order
FEATURES: tuple[str, ...] = tuple(f.name for f in _FEATURES)
#: feature → aspect (cadence, delivery, results, sustainment, models, people, data_quality)
FEATURE_GROUPS: dict[str, str] = {f.name: f.group for f in _FEATURES}
_GROUPS = tuple(dict.fromkeys(FEATURE_GROUPS.values()))

#: weight of a model institution by level in ``models_per_10k``
MODEL_WEIGHTS: dict[str, float] = {"local": 1.0, "regional": 2.0, "federal": 3.0}
_MODEL_RANK = {"none": 0, "local": 1, "regional": 2, "federal": 3}
#: a follow-up lead time at most this much above the actual value still "holds" the gain
FOLLOWUP_TOLERANCE = 0.10

# --------------------------------------------------------------------------- labels

register(
    {
        "active_quarter_share": ("Доля кварталов с новым проектом", "Quarters with a new project"),
        "projects_per_quarter": ("Проектов в квартал", "Projects per quarter"),
        "closed_share": ("Доля закрытых проектов", "Projects closed"),
        "on_time_share": ("Доля закрытых в срок", "Closed on time"),
        "median_reduction_pct": ("Медиана сокращения ВПП, %", "Median lead-time reduction, %"),
        "target_reached_share": ("Доля достигших цели", "Target reached"),
        "sustained_share": ("Доля с закреплённым результатом", "Results sustained"),
        "models_per_10k": ("Образцы на 10 тыс. жителей", "Model institutions per 10,000"),
        "top_model_level": ("Высший уровень образца", "Top model-institution level"),
        "trained_share": ("Доля обученных сотрудников", "Staff trained"),
        "proposals_per_100_staff": (
            "Предложений на 100 сотрудников в год",
            "Proposals per 100 staff a year",
        ),
        "proposals_implemented_share": ("Доля реализованных предложений", "Proposals implemented"),
        "measured_baseline_share": ("Доля измеренных базовых значений", "Measured baselines"),
        # aspects
        "cadence": ("Регулярность", "Cadence"),
        "delivery": ("Исполнение", "Delivery"),
        "results": ("Результаты", "Results"),
        "sustainment": ("Закрепление", "Sustainment"),
        "models": ("Образцы", "Model institutions"),
        "people": ("Люди", "People"),
        "data_quality": ("Качество данных", "Data quality"),
        # data-driven groups (names depend on k)
        "maturity_group_dormant": ("Неактивные", "Dormant"),
        "maturity_group_lagging": ("Отстающие", "Lagging"),
        "maturity_group_developing": ("Развивающиеся", "Developing"),
        "maturity_group_established": ("Устойчивые", "Established"),
        "maturity_group_advanced": ("Продвинутые", "Advanced"),
        "maturity_group_leading": ("Лидеры", "Leading"),
        # rule-based index levels (LESAT-anchored)
        "maturity_index_level_1": ("Начальный", "Initial"),
        "maturity_index_level_2": ("Формирующийся", "Emerging"),
        "maturity_index_level_3": ("Системный", "Systematic"),
        "maturity_index_level_4": ("Совершенствующийся", "Refining"),
        "maturity_index_level_5": ("Образцовый", "Exemplary"),
        # result columns
        "maturity_score": ("Сводный балл (z)", "Composite score (z)"),
        "level_name": ("Группа", "Group"),
        "silhouette": ("Силуэт", "Silhouette"),
        "probability": ("Вероятность группы", "Group probability"),
        "index_score": ("Балл индекса (0–100)", "Index score (0–100)"),
        "index_level": ("Уровень индекса", "Index level"),
        "index_level_name": ("Уровень индекса (название)", "Index level name"),
        "capped": ("Ограничен уровнем образца", "Capped by model level"),
        "cluster_position": ("Положение по группам (0–1)", "Position by groups (0–1)"),
        "index_position": ("Положение по индексу (0–1)", "Position by index (0–1)"),
        "difference": ("Расхождение", "Difference"),
        "disagree": ("Расходятся", "Disagree"),
        "n_institutions": ("Учреждений", "Institutions"),
        "n_projects": ("Проектов", "Projects"),
        "n_quarters": ("Кварталов наблюдения", "Quarters observed"),
        "merged": ("Объединён (упразднён)", "Merged (ceased)"),
        "successor_id": ("Правопреемник", "Successor"),
        "predecessors": ("Присоединённые", "Predecessors"),
        "folded": ("Учтены данные", "History folded in"),
        "n_municipalities": ("Муниципалитетов", "Municipalities"),
        "population_median": ("Медиана населения", "Median population"),
        "city_okrug_share": ("Доля городских округов", "Share of city okrugs"),
        "merger_affected": ("Затронуты объединением", "Affected by a merger"),
        "stability": ("Устойчивость (Жаккар)", "Stability (Jaccard)"),
        "feature": ("Признак", "Feature"),
        "aspect": ("Аспект", "Aspect"),
        "definition": ("Определение", "Definition"),
        "no_data": ("Если данных нет", "When there is no data"),
        "description": ("Описание", "Description"),
        "maturity_selection_k": ("Число групп", "Number of groups"),
        "bic": ("BIC", "BIC"),
        "chosen": ("Выбрано", "Chosen"),
        "item": ("Показатель", "Item"),
    }
)
for _g in _GROUPS:
    register({f"aspect_{_g}": (f"Аспект: {label(_g, 'ru')}", f"Aspect: {label(_g, 'en')}")})
# generic words other modules may register too: only add them when nobody has
_GENERIC = {
    "level": ("Уровень", "Level"),
    "score": ("Балл", "Score"),
    "name": ("Наименование", "Name"),
    "unit": ("Единица", "Unit"),
    "value": ("Значение", "Value"),
    "k": ("Число групп", "k"),
}
register({k: v for k, v in _GENERIC.items() if k in set(missing(_GENERIC))})

#: names of data-driven groups by k, least mature first
_GROUP_NAMES = {
    1: ("developing",),
    2: ("lagging", "advanced"),  # the upper half of a split is not all "leaders"
    3: ("lagging", "developing", "leading"),
    4: ("lagging", "developing", "established", "leading"),
    5: ("dormant", "lagging", "developing", "established", "leading"),
    6: ("dormant", "lagging", "developing", "established", "advanced", "leading"),
}


def _group_names(k: int, lang: str) -> list[str]:
    keys = _GROUP_NAMES.get(k)
    if keys is None:  # more than six levels: number them
        word = label("level", lang)
        return [f"{word} {i}" for i in range(1, k + 1)]
    return [label(f"maturity_group_{key}", lang) for key in keys]


def maturity_definitions(lang: str = "ru") -> pd.DataFrame:
    """The definition of every maturity feature, as a table.

    Parameters
    ----------
    lang : {"ru", "en"}
        Language of the ``name``, ``aspect`` and ``definition`` columns.

    Returns
    -------
    pandas.DataFrame
        One row per feature of :func:`maturity_features` (in column order) with ``feature``
        (the column name), ``aspect``, ``name``, ``unit``, ``definition`` and ``no_data`` (the
        value a municipality gets when the underlying data is absent; in English).

    Examples
    --------
    >>> import effmuni as em
    >>> d = em.maturity_definitions("en")
    >>> d.loc[0, ["feature", "aspect", "name"]].tolist()
    ['active_quarter_share', 'Cadence', 'Quarters with a new project']
    """
    check_lang(lang)
    return pd.DataFrame(
        {
            "feature": [f.name for f in _FEATURES],
            "aspect": [label(f.group, lang) for f in _FEATURES],
            "name": [label(f.name, lang) for f in _FEATURES],
            "unit": [f.unit for f in _FEATURES],
            "definition": [
                f.definition_ru if lang == "ru" else f.definition_en for f in _FEATURES
            ],
            "no_data": [f.no_data for f in _FEATURES],
        }
    )


# --------------------------------------------------------------------------- attribution


@dataclass
class _Frame:
    """What every feature needs: units, their projects, engagement and the window."""

    units: pd.DataFrame  # alive municipalities (rows of the output), with owner-level population
    owner: pd.Series  # municipality_id → unit it is attributed to (NA: not attributed)
    projects: pd.DataFrame  # projects started by the reference date, with ``unit``
    quarters: dict[str, pd.PeriodIndex]  # unit → its quarters in the window
    ref: pd.Timestamp  # reference date
    last_complete: pd.Period | None  # the last quarter counted in cadence and engagement


def _as_timestamp(as_of) -> pd.Timestamp | None:
    if as_of is None:
        return None
    try:
        ts = pd.Timestamp(as_of)
    except (TypeError, ValueError) as e:
        raise ValueError(f"as_of must be a date such as '2024-12-31', not {as_of!r}") from e
    if ts is pd.NaT:
        raise ValueError(f"as_of must be a date such as '2024-12-31', not {as_of!r}")
    return ts.tz_localize(None).normalize() if ts.tzinfo else ts.normalize()


def _quarter_end(q: pd.Period) -> pd.Timestamp:
    return q.end_time.normalize()


def _data_span(ds) -> tuple[pd.Period | None, pd.Timestamp | None]:
    """First quarter with any programme activity, and the last date the data speaks of."""
    starts = ds.projects["start_date"].dropna()
    eq = pd.PeriodIndex(ds.engagement["quarter"].dropna().astype(str), freq="Q")
    firsts = []
    if len(starts):
        firsts.append(pd.Period(starts.min(), freq="Q"))
    if len(eq):
        firsts.append(eq.min())
    ends = [d for d in (starts.max(), ds.projects["actual_end"].max()) if pd.notna(d)]
    if len(eq):
        ends.append(_quarter_end(eq.max()))
    return (min(firsts) if firsts else None), (max(ends) if ends else None)


def _prepare(ds, as_of, merged: str) -> _Frame:
    if merged not in ("fold", "drop"):
        raise ValueError(f"merged must be 'fold' or 'drop', not {merged!r}")
    ref_in = _as_timestamp(as_of)
    first_q, data_end = _data_span(ds)
    muni = ds.municipalities.reset_index(drop=True)
    ids = muni["municipality_id"].astype(str)
    if ref_in is None:
        alive = set(ids)
        ref = data_end if data_end is not None else pd.Timestamp.today().normalize()
        last_complete = pd.Period(ref, freq="Q") if data_end is not None else None
    else:
        alive = set(ds.municipalities_as_of(ref_in)["municipality_id"].astype(str))
        ref = ref_in
        q = pd.Period(ref, freq="Q")
        last_complete = q if _quarter_end(q) <= ref else q - 1

    successor = dict(
        zip(ids, muni["successor_id"].astype("string").fillna("").tolist(), strict=True)
    )

    def resolve(mid: str) -> str | None:
        seen = set()
        while mid not in alive:
            if merged == "drop" or mid in seen or not successor.get(mid):
                return None
            seen.add(mid)
            mid = successor[mid]
        return mid

    owner = pd.Series({mid: resolve(mid) for mid in ids}, dtype="string")
    units = muni.loc[ids.isin(alive).to_numpy()].set_index("municipality_id")
    units.index = units.index.astype(str)
    pop = muni.assign(unit=owner.reindex(ids).to_numpy()).groupby("unit")["population"].sum()
    units["population"] = pop.reindex(units.index).astype("float64")

    pm = ds.project_municipality()[["project_id", "municipality_id"]]
    proj = ds.projects.merge(pm, on="project_id", how="left")
    proj["unit"] = proj["municipality_id"].astype("string").map(owner)
    proj = proj.loc[proj["unit"].notna() & (proj["start_date"] <= ref).fillna(False)]
    proj = proj.reset_index(drop=True)

    quarters: dict[str, pd.PeriodIndex] = {}
    if first_q is None or last_complete is None or last_complete < first_q:
        window = pd.PeriodIndex([], freq="Q")
    else:
        window = pd.period_range(first_q, last_complete, freq="Q")
    starts = window.start_time
    ends = window.end_time.normalize()
    for mid, row in units.iterrows():
        ok = np.ones(len(window), dtype=bool)
        if pd.notna(row["valid_from"]):
            ok &= ends >= row["valid_from"]
        if pd.notna(row["valid_to"]):
            ok &= starts <= row["valid_to"]
        quarters[mid] = window[ok]
    return _Frame(units, owner, proj, quarters, ref, last_complete)


# --------------------------------------------------------------------------- per project


def _lead_times(passport: pd.DataFrame, ref: pd.Timestamp) -> pd.DataFrame:
    """Per project: baseline, target, actual and follow-up lead time on one basis.

    A small stand-in for :func:`effmuni.passport_savings` (same basis rule: calendar-unit
    values are in minutes, working days stay apart in ``basis``). Rows measured after ``ref``
    are ignored; undated rows are kept. The earliest baseline and the latest actual and
    follow-up are used when a phase was measured more than once.
    """
    lt = passport.loc[
        (passport["indicator"] == "lead_time").fillna(False).to_numpy(dtype=bool)
        & passport["value"].notna().to_numpy()
        & ~(passport["measured_on"] > ref).fillna(False).to_numpy(dtype=bool),
        ["project_id", "phase", "value", "basis", "measured_on"],
    ]
    lt = lt.sort_values(["project_id", "phase", "measured_on"], na_position="first")
    # first row per (project, phase) for baseline/target, last for actual/follow-up
    first = lt.groupby(["project_id", "phase"], observed=True).first()
    last = lt.groupby(["project_id", "phase"], observed=True).last()
    out = pd.DataFrame(index=pd.Index(lt["project_id"].astype(str).unique(), name="project_id"))
    phases = set(first.index.get_level_values("phase").astype(str))
    for phase, src in (
        ("baseline", first),
        ("target", first),
        ("actual", last),
        ("followup", last),
    ):
        if phase in phases:
            part = src.xs(phase, level="phase")
            part.index = part.index.astype(str)
            out[phase] = part["value"].astype("float64").reindex(out.index)
            out[f"{phase}_basis"] = part["basis"].astype("string").reindex(out.index)
        else:
            out[phase] = np.nan
            out[f"{phase}_basis"] = pd.Series(pd.NA, index=out.index, dtype="string")
    for phase in ("target", "actual", "followup"):
        same = (out[f"{phase}_basis"] == out["baseline_basis"]).fillna(False)
        out[phase] = out[phase].where(same.to_numpy(dtype=bool))
    base = out["baseline"].where(out["baseline"] > 0)
    out["reduction_pct"] = 100.0 * (1.0 - out["actual"] / base)
    ref_f = out["actual"] * (1 + FOLLOWUP_TOLERANCE)
    out["followup_holds"] = (out["followup"] <= ref_f + 1e-9).where(
        out["followup"].notna() & out["actual"].notna()
    )
    return out[["baseline", "target", "actual", "followup", "reduction_pct", "followup_holds"]]


def _project_facts(ds, fr: _Frame) -> pd.DataFrame:
    """One row per project attributed to a unit, with every per-project flag the features use."""
    p = fr.projects
    ref = fr.ref
    lt = _lead_times(ds.passport, ref).reindex(p["project_id"].astype(str))
    lt.index = p.index
    closed = (p["stage"] == "closed").fillna(False) & ~(p["actual_end"] > ref).fillna(False)
    due = (p["planned_end"] <= ref).fillna(False) | closed
    on_time = closed & (p["actual_end"] <= p["planned_end"]).fillna(False)
    has_actual = lt["actual"].notna()
    judged = (closed | has_actual) & (p["baseline_method"] != "regulation_limit").fillna(True)
    target_met = (lt["actual"] <= lt["target"] * (1 + 1e-9)).where(lt["target"].notna())
    by_pct = (lt["reduction_pct"] >= p["target_reduction_pct"] - 1e-9).where(
        p["target_reduction_pct"].notna()
    )
    has_target = lt["target"].notna() | p["target_reduction_pct"].notna()
    target_met = target_met.fillna(by_pct).fillna(False).astype(bool) & has_actual
    ids = p["project_id"].astype(str)
    st = ds.steps
    actual_map = set(st.loc[(st["map_state"] == "actual").fillna(False), "project_id"].astype(str))
    cs = ds.cases
    after_cases = set(
        cs.loc[
            (cs["phase"] == "after").fillna(False) & ~(cs["received"] > ref).fillna(False),
            "project_id",
        ].astype(str)
    )
    sustained = closed & (
        ids.isin(actual_map) | ids.isin(after_cases) | lt["followup_holds"].fillna(False)
    )
    start_q = pd.PeriodIndex(p["start_date"], freq="Q")
    return pd.DataFrame(
        {
            "unit": p["unit"].astype(str),
            "start_q": start_q,
            "closed": closed.astype(bool),
            "due": due.astype(bool),
            "on_time": on_time.astype(bool),
            "reduction_pct": lt["reduction_pct"].where(judged),
            "judged_target": (judged & has_target).astype(bool),
            "target_met": (target_met & judged & has_target).astype(bool),
            "sustained": sustained.astype(bool),
            "measured": (p["baseline_method"] == "measured").fillna(False).astype(bool),
        },
        index=p.index,
    )


def _share(num: pd.Series, den: pd.Series) -> pd.Series:
    num, den = num.astype("float64"), den.astype("float64")
    return (num / den.where(den > 0)).fillna(0.0)


# --------------------------------------------------------------------------- features


def maturity_features(
    dataset,
    as_of=None,
    *,
    merged: MergedPolicy = "fold",
    model_weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Lean-maturity features of each municipality, every one oriented higher = more mature.

    Parameters
    ----------
    dataset : Dataset
        A loaded dataset (:func:`effmuni.load_dataset`).
    as_of : date-like, optional
        Reference date. Only municipalities that exist on that date are returned, only projects
        started by then count, a project counts as closed only if it closed by then, and
        passport values, case timings and model statuses dated later are ignored. Cadence and
        the engagement features use the quarters that have ended by ``as_of`` (the running
        quarter would otherwise count as a miss). ``None`` (default): every municipality that
        ever existed in the data, each with its own history, up to the last date in the data.
    merged : {"fold", "drop"}
        What happens, for an ``as_of`` after a merger, to the history of a municipality that
        ceased to exist. ``"fold"`` (default) attributes its institutions, projects, model
        institutions, engagement and population to its successor (``successor_id``, followed
        through chains): the successor runs those institutions now, so its maturity includes
        what they built. ``"drop"`` leaves that history out.
    model_weights : mapping, optional
        Weight per model-institution level in ``models_per_10k``; default
        :data:`MODEL_WEIGHTS` (local 1, regional 2, federal 3).

    Returns
    -------
    pandas.DataFrame
        Index ``municipality_id`` (in the order of the municipalities table), one float column
        per feature in :data:`FEATURES`; :func:`maturity_definitions` gives each definition and
        the value used when the data behind it is absent. Nothing is NaN: a municipality with
        no projects gets 0 for cadence, delivery, results, sustainment and data quality (no
        evidence is scored as no achievement), and its model-institution and engagement
        features from those tables (0 when absent).

    Notes
    -----
    The observation window runs from the first quarter with any programme activity in the data
    (a project start or an engagement row) to the reference quarter, limited to the quarters in
    which the municipality existed. Context (population, kind, mergers) is left out on purpose:
    see :func:`municipality_context`.

    Examples
    --------
    >>> import effmuni as em
    >>> ds = em.load_dataset()
    >>> f = em.maturity_features(ds)
    >>> f.shape, bool(f.notna().all().all())
    ((26, 13), True)
    >>> len(em.maturity_features(ds, as_of="2025-06-30"))  # after the 2024 mergers
    23
    """
    fr = _prepare(dataset, as_of, merged)
    weights = dict(MODEL_WEIGHTS if model_weights is None else model_weights)
    unknown = set(weights) - set(MODEL_WEIGHTS)
    if unknown:
        raise ValueError(
            f"model_weights: unknown level(s) {sorted(unknown)}; use local, regional, federal"
        )
    units = fr.units.index
    facts = _project_facts(dataset, fr)
    g = facts.groupby("unit")
    n_q = pd.Series({u: len(fr.quarters[u]) for u in units}, dtype="float64")

    # cadence: starts within the unit's window quarters
    in_window = pd.Series(
        [q in fr.quarters[u] for u, q in zip(facts["unit"], facts["start_q"], strict=True)],
        index=facts.index,
        dtype=bool,
    )
    fw = facts.loc[in_window]
    active_q = fw.groupby("unit")["start_q"].nunique().reindex(units, fill_value=0)
    starts = fw.groupby("unit").size().reindex(units, fill_value=0)

    def count(col: str) -> pd.Series:
        return g[col].sum().reindex(units, fill_value=0)

    n_proj = g.size().reindex(units, fill_value=0)
    n_due, n_closed = count("due"), count("closed")
    reduction = g["reduction_pct"].median().reindex(units).fillna(0.0)

    # model institutions attributed to the unit, granted by the reference date
    inst = dataset.institutions
    inst_unit = inst["municipality_id"].astype("string").map(fr.owner)
    granted = (inst["model_level"] != "none").fillna(False) & ~(
        inst["model_since"] > fr.ref
    ).fillna(False)
    mi = pd.DataFrame(
        {
            "unit": inst_unit,
            "w": inst["model_level"].astype(str).map(weights).fillna(0.0).astype("float64"),
            "rank": inst["model_level"].astype(str).map(_MODEL_RANK).fillna(0).astype("float64"),
        }
    ).loc[granted.to_numpy(dtype=bool) & inst_unit.notna().to_numpy()]
    weighted = mi.groupby("unit")["w"].sum().reindex(units, fill_value=0.0)
    pop = fr.units["population"].astype("float64")
    models_per_10k = (weighted / pop.where(pop > 0) * 10_000).fillna(0.0)
    top = mi.groupby("unit")["rank"].max().reindex(units, fill_value=0.0)

    people = _people(dataset, fr)

    out = pd.DataFrame(
        {
            "active_quarter_share": _share(active_q, n_q),
            "projects_per_quarter": _share(starts, n_q),
            "closed_share": _share(n_closed, n_due),
            "on_time_share": _share(count("on_time"), n_due),
            "median_reduction_pct": reduction,
            "target_reached_share": _share(count("target_met"), count("judged_target")),
            "sustained_share": _share(count("sustained"), n_closed),
            "models_per_10k": models_per_10k,
            "top_model_level": top,
            "trained_share": people["trained_share"],
            "proposals_per_100_staff": people["proposals_per_100_staff"],
            "proposals_implemented_share": people["proposals_implemented_share"],
            "measured_baseline_share": _share(count("measured"), n_proj),
        },
        index=units,
    ).astype("float64")
    out.index.name = "municipality_id"
    return out[list(FEATURES)]


def _people(ds, fr: _Frame) -> pd.DataFrame:
    units = fr.units.index
    e = ds.engagement
    cols = ["staff_total", "staff_trained", "proposals_submitted", "proposals_implemented"]
    eng = e[cols].astype("float64")
    eng["unit"] = e["municipality_id"].astype("string").map(fr.owner)
    eng["q"] = pd.PeriodIndex(e["quarter"].astype(str), freq="Q")
    keep = eng["unit"].notna().to_numpy() & np.array(
        [
            q in fr.quarters.get(u, ())
            for u, q in zip(eng["unit"].fillna(""), eng["q"], strict=True)
        ],
        dtype=bool,
    )
    eng = eng.loc[keep]
    per_q = eng.groupby(["unit", "q"])[cols].sum()  # folded predecessors add up per quarter
    tot = per_q.groupby(level="unit").sum().reindex(units, fill_value=0.0)
    latest = per_q.groupby(level="unit").tail(1).droplevel("q").reindex(units, fill_value=0.0)
    return pd.DataFrame(
        {
            "trained_share": _share(latest["staff_trained"], latest["staff_total"]).clip(0, 1),
            "proposals_per_100_staff": 400.0
            * _share(tot["proposals_submitted"], tot["staff_total"]),
            "proposals_implemented_share": _share(
                tot["proposals_implemented"], tot["proposals_submitted"]
            ).clip(0, 1),
        },
        index=units,
    )


def municipality_context(dataset, as_of=None, *, merged: MergedPolicy = "fold") -> pd.DataFrame:
    """Context of each municipality, kept out of the clustering and used to explain it.

    Parameters
    ----------
    dataset : Dataset
        A loaded dataset.
    as_of, merged
        As in :func:`maturity_features` (the rows match its rows).

    Returns
    -------
    pandas.DataFrame
        Index ``municipality_id``; columns ``name_ru``, ``name_en``, ``kind``, ``population``
        (including folded predecessors), ``n_institutions``, ``n_projects`` (started by the
        reference date), ``n_quarters`` (quarters in the observation window), ``merged`` (True
        for a unit that ceased to exist by merging into ``successor_id``), ``successor_id``,
        ``predecessors`` (ids of units merged into this one, comma-separated; empty if none)
        and ``folded`` (the predecessors whose history is included in this row).

    Examples
    --------
    >>> import effmuni as em
    >>> ctx = em.municipality_context(em.load_dataset())
    >>> int(ctx["merged"].sum()), ctx.loc["kanashsky", "predecessors"]
    (3, 'kanash')
    """
    fr = _prepare(dataset, as_of, merged)
    u = fr.units
    ids = u.index
    muni = dataset.municipalities
    succ = muni["successor_id"].astype("string")
    mids = muni["municipality_id"].astype(str)
    preds = {i: ", ".join(mids[(succ == i).fillna(False).to_numpy()]) for i in ids}
    folded = {
        i: ", ".join(m for m, o in fr.owner.items() if pd.notna(o) and o == i and m != i)
        for i in ids
    }
    inst_unit = dataset.institutions["municipality_id"].astype("string").map(fr.owner)
    n_inst = inst_unit.value_counts().reindex(ids, fill_value=0)
    n_proj = fr.projects["unit"].value_counts().reindex(ids, fill_value=0)
    out = pd.DataFrame(
        {
            "name_ru": u["name_ru"].astype("string"),
            "name_en": u["name_en"].astype("string"),
            "kind": u["kind"].astype("string"),
            "population": u["population"].round().astype("Int64"),
            "n_institutions": n_inst.astype("int64"),
            "n_projects": n_proj.astype("int64"),
            "n_quarters": pd.Series({i: len(fr.quarters[i]) for i in ids}, dtype="int64"),
            "merged": u["valid_to"].notna() & u["successor_id"].notna(),
            "successor_id": u["successor_id"].astype("string"),
            "predecessors": pd.Series(preds, dtype="string"),
            "folded": pd.Series(folded, dtype="string"),
        },
        index=ids,
    )
    out["merged"] = out["merged"].astype(bool)
    out.index.name = "municipality_id"
    return out


# --------------------------------------------------------------------------- clustering

_METHODS = ("ward", "kmeans", "gmm")
_K_MAX = 6
#: variance floor of the Gaussian mixture on the standardised scale (SD ≈ 0.3): with ~26 units
#: in 13 dimensions smaller floors let a component collapse onto one to three municipalities
_GMM_REG_COVAR = 0.1


def _check_features(features: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(features, pd.DataFrame):
        raise TypeError("features must be a DataFrame (one row per municipality)")
    if features.shape[1] == 0:
        raise ValueError("features has no columns")
    bad = [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    if bad:
        raise ValueError(f"features must be numeric; not numeric: {', '.join(map(str, bad))}")
    if features.index.has_duplicates:
        dup = features.index[features.index.duplicated()].unique().tolist()
        raise ValueError(f"features has duplicate municipalities: {dup[:5]}")
    x = features.astype("float64")
    if np.isinf(x.to_numpy()).any():
        raise ValueError("features hold infinite values; replace them or leave them empty (NaN)")
    return x


def _preprocess():
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import StandardScaler

    return [
        ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
        ("scale", StandardScaler()),
    ]


def _centroids(X: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    return np.vstack([X[labels == c].mean(axis=0) for c in range(k)])


def _estimator(X: np.ndarray, k: int, method: str, seed: int):
    """An unfitted clusterer for ``X`` (k-means and the mixture start from Ward's centroids)."""
    from sklearn.cluster import AgglomerativeClustering, KMeans
    from sklearn.mixture import GaussianMixture

    ward = AgglomerativeClustering(n_clusters=k, linkage="ward")
    if method == "ward":
        return ward
    init = _centroids(X, ward.fit_predict(X), k)
    if method == "kmeans":
        return KMeans(n_clusters=k, init=init, n_init=1, random_state=seed)
    return GaussianMixture(
        n_components=k,
        covariance_type="diag",
        reg_covar=_GMM_REG_COVAR,
        means_init=init,
        max_iter=500,
        random_state=seed,
    )


def _fit_labels(X: np.ndarray, k: int, method: str, seed: int) -> tuple[np.ndarray, object]:
    est = _estimator(X, k, method, seed)
    if method == "gmm":
        import warnings

        from sklearn.exceptions import ConvergenceWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # reported via ``converged``
            est.fit(X)
        return est.predict(X), est
    return est.fit_predict(X), est


def _silhouette(X: np.ndarray, labels: np.ndarray) -> float:
    from sklearn.metrics import silhouette_score

    n_labels = len(np.unique(labels))
    if n_labels < 2 or n_labels > len(X) - 1:
        return float("nan")
    return float(silhouette_score(X, labels))


def _bootstrap(
    X: np.ndarray, labels: np.ndarray, k: int, method: str, seed: int, n_boot: int
) -> tuple[np.ndarray, np.ndarray]:
    """ARI per resample and mean Jaccard per (raw) cluster over bootstrap resamples of units."""
    from sklearn.metrics import adjusted_rand_score
    from sklearn.metrics.cluster import contingency_matrix

    rng = np.random.default_rng(seed)
    n = len(X)
    aris = []
    jac_sum, jac_n = np.zeros(k), np.zeros(k)
    for _ in range(n_boot):
        idx = rng.integers(0, n, size=n)
        uniq, first = np.unique(idx, return_index=True)
        if len(uniq) <= k:
            continue
        lb, _ = _fit_labels(X[idx], k, method, seed)
        lb_u, lf_u = lb[first], labels[uniq]
        aris.append(adjusted_rand_score(lf_u, lb_u))
        # clusterwise stability (Hennig): best Jaccard match of each original cluster
        present = np.unique(lf_u)
        cm = contingency_matrix(lf_u, lb_u)
        inter = cm.astype(float)
        union = cm.sum(axis=1, keepdims=True) + cm.sum(axis=0, keepdims=True) - inter
        best = (inter / union).max(axis=1)
        jac_sum[present] += best
        jac_n[present] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        jac = np.where(jac_n > 0, jac_sum / np.maximum(jac_n, 1), np.nan)
    return np.asarray(aris, dtype=float), jac


@dataclass
class MaturityResult:
    """Data-driven maturity levels of municipalities (see :func:`cluster_maturity`).

    Attributes
    ----------
    levels : pandas.Series
        ``municipality_id`` → level 1..k, **1 the least mature**; levels are ordered by the
        mean over their members of :attr:`scores`.
    k : int
        Number of levels.
    method : {"ward", "kmeans", "gmm"}
        The clusterer.
    silhouette : float
        Mean silhouette width (−1..1; above ~0.25 some structure, above ~0.5 clear groups).
    silhouette_samples : pandas.Series
        Silhouette width per municipality (negative: closer to another level).
    stability : float
        Mean adjusted Rand index between the levels of the full data and those found again on
        bootstrap resamples of municipalities (1 perfectly stable, ~0 no better than chance).
    level_stability : pandas.Series
        Per level, the mean best Jaccard similarity with a level of the resample (Hennig's
        clusterwise stability; below ~0.6 a level is not a stable pattern).
    stability_samples : numpy.ndarray
        The adjusted Rand index of each bootstrap resample.
    profiles : pandas.DataFrame
        Level × feature means in the features' own units.
    profiles_z : pandas.DataFrame
        Level × feature means of the standardised features (0 = the average municipality).
    scores : pandas.Series
        Composite score per municipality: the mean of its standardised features.
    standardised : pandas.DataFrame
        The imputed, standardised features the clusterer saw.
    model : sklearn.pipeline.Pipeline
        The fitted pipeline ``impute → scale → cluster``. Ward
        (``AgglomerativeClustering``) has no ``predict``: use :meth:`predict`, which assigns
        new rows to the nearest level centroid for Ward and calls the model otherwise.
    probabilities : pandas.DataFrame or None
        For ``method="gmm"``: probability of each level per municipality (columns 1..k).
    selection : pandas.DataFrame
        The candidate k with their silhouette (and BIC for the mixture) and which was chosen.
    features : pandas.DataFrame
        The features clustered (as given).
    seed, n_boot : int
        The seed of every random step and the number of bootstrap resamples.
    converged : bool
        Whether the Gaussian mixture converged (always True for Ward and k-means).
    """

    levels: pd.Series
    k: int
    method: str
    silhouette: float
    silhouette_samples: pd.Series
    stability: float
    level_stability: pd.Series
    stability_samples: np.ndarray
    profiles: pd.DataFrame
    profiles_z: pd.DataFrame
    scores: pd.Series
    standardised: pd.DataFrame
    model: object
    probabilities: pd.DataFrame | None
    selection: pd.DataFrame
    features: pd.DataFrame
    seed: int
    n_boot: int
    converged: bool = True
    _level_of: np.ndarray = field(default=None, repr=False)  # raw label → level
    _centres: np.ndarray = field(default=None, repr=False)  # raw-label centroids (standardised)

    @property
    def sizes(self) -> pd.Series:
        """Number of municipalities per level."""
        return self.levels.value_counts().reindex(range(1, self.k + 1), fill_value=0)

    def level_names(self, lang: str = "ru") -> pd.Series:
        """Level → its name (e.g. Lagging, Developing, Leading for k = 3)."""
        return pd.Series(_group_names(self.k, check_lang(lang)), index=range(1, self.k + 1))

    def level_table(self, context: pd.DataFrame | None = None, lang: str = "ru") -> pd.DataFrame:
        """One row per municipality: level, its name, composite score and silhouette.

        Sorted by level (most mature first) and then by name, not by score: within a level,
        municipalities are peers. ``context`` (from :func:`municipality_context`) adds the
        name in ``lang`` and the kind and population.
        """
        names = self.level_names(lang)
        out = pd.DataFrame(
            {
                "level": self.levels,
                "level_name": self.levels.map(names).astype("string"),
                "maturity_score": self.scores,
                "silhouette": self.silhouette_samples,
            }
        )
        if self.probabilities is not None:
            out["probability"] = [self.probabilities.loc[m, lv] for m, lv in self.levels.items()]
        if context is not None:
            ctx = context.reindex(out.index)
            name_col = "name_ru" if lang == "ru" else "name_en"
            out.insert(0, "name", ctx[name_col].astype("string"))
            for col in ("kind", "population"):
                if col in ctx:
                    out[col] = ctx[col]
            out = out.sort_values(["level", "name"], ascending=[False, True], kind="stable")
        else:
            out = out.sort_values("level", ascending=False, kind="stable")
        out.index.name = "municipality_id"
        return out

    def context_profile(self, context: pd.DataFrame, lang: str = "ru") -> pd.DataFrame:
        """Who is in each level: size, population, kind and mergers (context kept out of the
        clustering, used to explain it).

        Parameters
        ----------
        context : pandas.DataFrame
            From :func:`municipality_context` for the same municipalities.
        lang : {"ru", "en"}
            Language of ``level_name``.

        Returns
        -------
        pandas.DataFrame
            Index ``level``; columns ``level_name``, ``n_municipalities``,
            ``population_median``, ``city_okrug_share`` and ``merger_affected`` (members that
            merged into another unit or took one in).
        """
        ctx = context.reindex(self.levels.index)
        merger = ctx["merged"].fillna(False).astype(bool) | (
            ctx["predecessors"].fillna("").astype(str) != ""
        )
        grouped = pd.DataFrame(
            {
                "population": ctx["population"].astype("float64"),
                "city": (ctx["kind"] == "city_okrug").fillna(False).astype(float),
                "merger": merger.astype(int),
            }
        ).groupby(self.levels)
        out = pd.DataFrame(
            {
                "level_name": self.level_names(lang),
                "n_municipalities": self.sizes,
                "population_median": grouped["population"].median().round().astype("Int64"),
                "city_okrug_share": grouped["city"].mean(),
                "merger_affected": grouped["merger"].sum(),
            }
        )
        out.index.name = "level"
        return out

    def summary(self, lang: str = "ru") -> pd.DataFrame:
        """The headline numbers as a two-column table (``item``, ``value``, as text)."""
        check_lang(lang)
        ru = lang == "ru"
        sizes = ", ".join(
            f"{n} {int(s)}" for n, s in zip(self.level_names(lang), self.sizes, strict=True)
        )
        method = {"ward": "Ward", "kmeans": "k-means (Ward)", "gmm": "GMM"}[self.method]
        rows = [
            ("Метод" if ru else "Method", method),
            ("Число групп k" if ru else "Number of groups k", str(self.k)),
            ("Размеры групп" if ru else "Group sizes", sizes),
            ("Средний силуэт" if ru else "Mean silhouette", f"{self.silhouette:.2f}"),
            (
                "Устойчивость (ARI, бутстрэп)" if ru else "Stability (ARI, bootstrap)",
                f"{self.stability:.2f} ({len(self.stability_samples)} × {self.n_boot})",
            ),
        ]
        return pd.DataFrame(rows, columns=["item", "value"])

    def predict(self, features: pd.DataFrame) -> pd.Series:
        """Level (1..k) of new rows of features, with the fitted pipeline.

        Ward is not an inductive method, so new rows go to the nearest level centroid (in the
        standardised space); k-means and the mixture use the model's own ``predict``.
        """
        x = _check_features(features)[list(self.features.columns)]
        if self.method == "ward":
            z = self.model[:-1].transform(x)
            d = ((z[:, None, :] - self._centres[None, :, :]) ** 2).sum(axis=2)
            raw = d.argmin(axis=1)
        else:
            raw = self.model.predict(x)
        return pd.Series(self._level_of[raw], index=x.index, name="level")


def cluster_maturity(
    features: pd.DataFrame,
    k: int | Literal["auto"] = "auto",
    method: Method = "ward",
    seed: int = 0,
    *,
    n_boot: int = 100,
) -> MaturityResult:
    """Group municipalities into maturity levels 1..k (1 the least mature).

    Parameters
    ----------
    features : pandas.DataFrame
        One row per municipality, numeric columns oriented higher = more mature (as from
        :func:`maturity_features`). Missing values are imputed with the column median; a
        constant column carries no information and is standardised to 0.
    k : int or "auto"
        Number of levels. ``"auto"`` tries 2..6, never more than n/3 (so every level can hold
        a few municipalities), and keeps the best mean silhouette (the lowest BIC for
        ``"gmm"``); ties go to the smaller k. An explicit k must lie in 2..n−1.
    method : {"ward", "kmeans", "gmm"}
        ``"ward"``: agglomerative clustering with Ward linkage (deterministic).
        ``"kmeans"``: k-means started once from the Ward centroids (the Ward → k-means
        procedure). ``"gmm"``: a Gaussian mixture with diagonal covariances started from the
        Ward centroids; gives :attr:`MaturityResult.probabilities`.
    seed : int
        Seed of every random step (k-means, the mixture, the bootstrap).
    n_boot : int
        Number of bootstrap resamples for :attr:`MaturityResult.stability` (0 skips it).

    Returns
    -------
    MaturityResult

    Raises
    ------
    ValueError
        Fewer than 3 municipalities (fewer than 6 for ``k="auto"``), k out of range, an
        unknown method, non-numeric or infinite values, or features that do not vary at all.

    Examples
    --------
    >>> import effmuni as em
    >>> f = em.maturity_features(em.load_dataset())
    >>> r = em.cluster_maturity(f, k=3, seed=0)
    >>> r.k, sorted(r.levels.unique().tolist())
    (3, [1, 2, 3])
    >>> bool(r.scores.groupby(r.levels).mean().is_monotonic_increasing)
    True
    """
    # scikit-learn re-negotiates BLAS/OpenMP thread pools on every k-means fit; on 26 rows that
    # costs ten times the fit itself, so the whole procedure runs single-threaded
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _cluster(features, k, method, seed, n_boot)


def _cluster(features, k, method, seed, n_boot) -> MaturityResult:
    from sklearn.mixture import GaussianMixture
    from sklearn.pipeline import Pipeline

    if method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(_METHODS)}, not {method!r}")
    x = _check_features(features)
    n = len(x)
    if n < 3:
        raise ValueError(
            f"clustering needs at least 3 municipalities; got {n}. "
            "With so few, compare their features directly (maturity_index)."
        )
    pre = Pipeline(_preprocess()).fit(x)
    X = pre.transform(x)
    if np.allclose(X, 0.0):
        raise ValueError("the features do not vary across municipalities: nothing to cluster")
    seed = int(seed)

    if isinstance(k, str):
        if k != "auto":
            raise ValueError(f"k must be a whole number or 'auto', not {k!r}")
        k_hi = min(_K_MAX, n // 3)
        if k_hi < 2:
            raise ValueError(
                f"k='auto' needs at least 6 municipalities (k is at most n/3); got {n}. "
                "Give k explicitly."
            )
        candidates = list(range(2, k_hi + 1))
    else:
        if isinstance(k, bool) or not float(k).is_integer():
            raise ValueError(f"k must be a whole number or 'auto', not {k!r}")
        k = int(k)
        if not 2 <= k <= n - 1:
            raise ValueError(f"k must be between 2 and n − 1 = {n - 1} municipalities; got {k}")
        candidates = [k]

    rows = []
    for kk in candidates:
        labels, est = _fit_labels(X, kk, method, seed)
        bic = float(est.bic(X)) if isinstance(est, GaussianMixture) else float("nan")
        full = len(np.unique(labels)) == kk
        rows.append(
            {
                "k": kk,
                "silhouette": _silhouette(X, labels) if full else float("nan"),
                "bic": bic if full else float("nan"),
            }
        )
    selection = pd.DataFrame(rows)
    crit = selection["bic"] if method == "gmm" else -selection["silhouette"]
    if crit.isna().all():
        raise ValueError(
            f"{method} could not form {candidates[-1] if len(candidates) == 1 else 'the'} "
            "non-empty levels; try method='ward' or a smaller k"
        )
    best = int(selection.loc[crit.idxmin(), "k"])  # idxmin: first (smaller k) on ties
    selection["chosen"] = selection["k"] == best
    k = best

    est = _estimator(X, k, method, seed)
    model = Pipeline([*_preprocess(), ("cluster", est)])
    if method == "gmm":
        import warnings

        from sklearn.exceptions import ConvergenceWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(x)
        raw = model.predict(x)
        converged = bool(model[-1].converged_)
    else:
        model.fit(x)
        raw = model[-1].labels_
        converged = True

    z = pd.DataFrame(X, index=x.index, columns=x.columns)
    scores = z.mean(axis=1).rename("maturity_score")
    present = np.unique(raw)
    centres = _centroids(X, raw, k) if len(present) == k else None
    if centres is None:
        raise ValueError(f"{method} left a level empty with k={k}; try method='ward'")
    mean_score = np.array([scores.to_numpy()[raw == c].mean() for c in range(k)])
    order = np.argsort(mean_score, kind="stable")
    level_of = np.empty(k, dtype=int)
    level_of[order] = np.arange(1, k + 1)
    levels = pd.Series(level_of[raw], index=x.index, name="level")

    from sklearn.metrics import silhouette_samples

    sil_s = pd.Series(silhouette_samples(X, raw), index=x.index, name="silhouette")
    if n_boot > 0:
        aris, jac = _bootstrap(X, raw, k, method, seed, int(n_boot))
    else:
        aris, jac = np.array([]), np.full(k, np.nan)
    level_stab = pd.Series(
        {int(level_of[c]): float(jac[c]) for c in range(k)}, name="stability"
    ).sort_index()
    level_stab.index.name = "level"

    probabilities = None
    if method == "gmm":
        proba = model.predict_proba(x)
        probabilities = pd.DataFrame(
            {int(level_of[c]): proba[:, c] for c in range(k)}, index=x.index
        )[list(range(1, k + 1))]
        probabilities.columns.name = "level"

    profiles = x.groupby(levels).mean()
    profiles_z = z.groupby(levels).mean()
    return MaturityResult(
        levels=levels,
        k=k,
        method=method,
        silhouette=float(sil_s.mean()),
        silhouette_samples=sil_s,
        stability=float(aris.mean()) if len(aris) else float("nan"),
        level_stability=level_stab,
        stability_samples=aris,
        profiles=profiles,
        profiles_z=profiles_z,
        scores=scores,
        standardised=z,
        model=model,
        probabilities=probabilities,
        selection=selection,
        features=features,
        seed=seed,
        n_boot=int(n_boot),
        converged=converged,
        _level_of=level_of,
        _centres=centres,
    )


# --------------------------------------------------------------------------- rule-based index

#: value of each feature regarded as full attainment (attainment = clip(value / anchor, 0, 1))
INDEX_ANCHORS: dict[str, float] = {
    "active_quarter_share": 1.0,  # a project every quarter: the programme rule
    "projects_per_quarter": 2.0,  # twice the programme minimum
    "closed_share": 1.0,
    "on_time_share": 1.0,
    "median_reduction_pct": 50.0,  # the order of published public-sector results (−40…−50 %)
    "target_reached_share": 1.0,
    "sustained_share": 1.0,
    "models_per_10k": 1.0,  # one local model institution per 10,000 residents
    "top_model_level": 3.0,  # federal
    "trained_share": 0.5,  # iSixSigma rubric, top level: half of the staff involved
    "proposals_per_100_staff": 10.0,  # a convention: 10 proposals per 100 staff a year
    "proposals_implemented_share": 1.0,
    "measured_baseline_share": 1.0,
}
#: score thresholds (0–100) between index levels 1|2|3|4|5
INDEX_THRESHOLDS: tuple[float, float, float, float] = (20.0, 40.0, 60.0, 80.0)
#: highest index level allowed by the highest model-institution level (0 none … 3 federal)
_MODEL_GATE = {0: 2, 1: 3, 2: 4, 3: 5}

_INDEX_LEVEL_TEXT = {
    1: (
        "Единичные действия: проекты редки, результаты не измерены; образцов нет "
        "(LESAT, уровень 1: осведомлённость, эпизодическая активность).",
        "Sporadic activity: few projects, results not measured; no model institution "
        "(LESAT level 1: some awareness, sporadic activity).",
    ),
    2: (
        "Неформальный подход в отдельных учреждениях: проекты не каждый квартал, часть "
        "результатов измерена (LESAT, уровень 2).",
        "Informal approach in a few institutions: projects in some quarters, some results "
        "measured (LESAT level 2).",
    ),
    3: (
        "Системный подход в большинстве учреждений с опорой на измерения; есть хотя бы одно "
        "образцовое учреждение, например местного уровня (LESAT, уровень 3; требование "
        "программы — образец в каждом округе).",
        "A systematic approach in most institutions, backed by measurement; at least one model "
        "institution, local level or higher (LESAT level 3; the programme's requirement of a "
        "model institution per okrug).",
    ),
    4: (
        "Непрерывное совершенствование по всему муниципалитету: регулярные проекты в срок, "
        "результаты закреплены, персонал обучен; образец регионального уровня или выше "
        "(LESAT, уровень 4).",
        "Continuous refinement across the municipality: regular projects delivered on time, "
        "results sustained, staff trained; a model institution of regional level or higher "
        "(LESAT level 4).",
    ),
    5: (
        "Признанная лучшая практика, тиражируемая другими: высокие значения по всем аспектам; "
        "образец федерального уровня (LESAT, уровень 5).",
        "Recognised best practice replicated by others: strong on every aspect; a model "
        "institution of federal level (LESAT level 5).",
    ),
}


def default_index_weights() -> dict[str, float]:
    """Default weights of :func:`maturity_index`: the seven aspects count equally.

    Within an aspect its features share the aspect's weight equally (e.g. cadence's two
    features get 1/14 each). The weights sum to 1.

    Examples
    --------
    >>> w = default_index_weights()
    >>> round(sum(w.values()), 6), round(w["sustained_share"], 4)
    (1.0, 0.1429)
    """
    per_group = {g: sum(1 for f in FEATURES if FEATURE_GROUPS[f] == g) for g in _GROUPS}
    return {f: 1.0 / len(_GROUPS) / per_group[FEATURE_GROUPS[f]] for f in FEATURES}


def maturity_index_levels(lang: str = "ru") -> pd.DataFrame:
    """The five levels of :func:`maturity_index`: name, score band and wording.

    Examples
    --------
    >>> maturity_index_levels("en")["name"].tolist()
    ['Initial', 'Emerging', 'Systematic', 'Refining', 'Exemplary']
    """
    check_lang(lang)
    bounds = (0.0, *INDEX_THRESHOLDS, 100.0)
    need = {1: "—", 2: "—"}
    gate_word = {
        "ru": {3: "местный или выше", 4: "региональный или выше", 5: "федеральный"},
        "en": {3: "local or higher", 4: "regional or higher", 5: "federal"},
    }[lang]
    i = 0 if lang == "ru" else 1
    return pd.DataFrame(
        {
            "level": range(1, 6),
            "name": [label(f"maturity_index_level_{lv}", lang) for lv in range(1, 6)],
            "score": [f"{bounds[lv - 1]:.0f}–{bounds[lv]:.0f}" for lv in range(1, 6)],
            "model_level_needed": [need.get(lv) or gate_word[lv] for lv in range(1, 6)],
            "description": [_INDEX_LEVEL_TEXT[lv][i] for lv in range(1, 6)],
        }
    )


register({"model_level_needed": ("Нужен образец уровня", "Model institution needed")})


def maturity_index(
    features: pd.DataFrame,
    weights: Mapping[str, float] | None = None,
    *,
    anchors: Mapping[str, float] | None = None,
    lang: str = "ru",
) -> pd.DataFrame:
    """A transparent rule-based maturity score (0–100) and level (1–5).

    Each feature is turned into an attainment ``clip(value / anchor, 0, 1)`` against a fixed
    anchor (:data:`INDEX_ANCHORS`: the value regarded as full attainment, e.g. a project every
    quarter, a 50 % lead-time reduction, half of the staff trained); the score is 100 × the
    weighted mean of the attainments. It does not depend on the other municipalities, so it is
    comparable between runs and dates. Levels cut the score at 20/40/60/80
    (:data:`INDEX_THRESHOLDS`) and are then capped by the programme's model-institution levels
    when ``top_model_level`` is present: level 3 needs at least a local model institution,
    level 4 a regional one and level 5 a federal one. The level wording follows the five LESAT
    levels (:func:`maturity_index_levels`).

    Parameters
    ----------
    features : pandas.DataFrame
        As from :func:`maturity_features`.
    weights : mapping, optional
        Feature → non-negative weight (normalised to sum 1; features not named get 0). Default
        :func:`default_index_weights`: the seven aspects count equally.
    anchors : mapping, optional
        Overrides of :data:`INDEX_ANCHORS` (needed for any feature not listed there).
    lang : {"ru", "en"}
        Language of ``level_name``.

    Returns
    -------
    pandas.DataFrame
        Index as ``features``; columns ``index_score`` (0–100), ``index_level`` (1–5),
        ``index_level_name``, ``capped`` (True where the model-institution gate lowered the
        level) and one ``aspect_<name>`` sub-score (0–100) per aspect present. A missing
        feature value is left out of that municipality's weighted mean.

    Examples
    --------
    >>> import effmuni as em
    >>> idx = em.maturity_index(em.maturity_features(em.load_dataset()), lang="en")
    >>> bool(idx["index_level"].between(1, 5).all()), bool(idx["index_score"].between(0, 100).all())
    (True, True)
    """
    check_lang(lang)
    x = _check_features(features)
    anc = {**INDEX_ANCHORS, **(dict(anchors) if anchors else {})}
    if weights is None:
        w = {f: v for f, v in default_index_weights().items() if f in x.columns}
    else:
        w = {str(f): float(v) for f, v in weights.items()}
        unknown = [f for f in w if f not in x.columns]
        if unknown:
            raise ValueError(f"weights name features that are not columns: {unknown}")
        if any(v < 0 or math.isnan(v) for v in w.values()):
            raise ValueError("weights must be non-negative numbers")
    w = {f: v for f, v in w.items() if v > 0}
    if not w:
        raise ValueError("no feature has a positive weight")
    no_anchor = [f for f in w if f not in anc or not anc[f] > 0]
    if no_anchor:
        raise ValueError(f"no positive anchor for {no_anchor}; pass anchors={{...}}")
    cols = list(w)
    att = (x[cols] / pd.Series({f: anc[f] for f in cols})).clip(0.0, 1.0)
    wv = pd.Series(w)

    def wmean(frame: pd.DataFrame, ws: pd.Series) -> pd.Series:
        have = frame.notna()
        den = have.mul(ws, axis=1).sum(axis=1)
        num = frame.fillna(0.0).mul(ws, axis=1).sum(axis=1)
        return 100.0 * num / den.where(den > 0)

    score = wmean(att, wv)
    by_score = 1 + sum((score >= t).astype(int) for t in INDEX_THRESHOLDS)
    level = by_score.where(score.notna())
    capped = pd.Series(False, index=x.index)
    if "top_model_level" in x.columns:
        top = x["top_model_level"].fillna(0).clip(0, 3).round().astype(int)
        cap = top.map(_MODEL_GATE)
        capped = (level > cap).fillna(False)
        level = level.where(~capped, cap)
    out = pd.DataFrame(
        {
            "index_score": score,
            "index_level": level.astype("Int64"),
            "index_level_name": level.map(
                lambda v: label(f"maturity_index_level_{int(v)}", lang) if pd.notna(v) else pd.NA
            ).astype("string"),
            "capped": capped.astype(bool),
        },
        index=x.index,
    )
    for g in _GROUPS:
        gcols = [f for f in cols if FEATURE_GROUPS.get(f) == g]
        if gcols:
            out[f"aspect_{g}"] = wmean(att[gcols], wv[gcols])
    out.index.name = x.index.name
    return out


# --------------------------------------------------------------------------- comparison


@dataclass
class LevelComparison:
    """Data-driven levels beside the rule-based index (see :func:`compare_levels`).

    Attributes
    ----------
    table : pandas.DataFrame
        Per municipality: ``level``, ``index_level``, ``maturity_score``, ``index_score``,
        ``cluster_position`` and ``index_position`` (each level put on 0–1),
        ``difference`` (index − cluster position) and ``disagree`` (|difference| > 0.5).
    crosstab : pandas.DataFrame
        Counts of municipalities, data-driven level × index level.
    spearman_levels, spearman_scores : float
        Spearman rank correlation of the two levels, and of the composite score with the index
        score (NaN when either side is constant).
    """

    table: pd.DataFrame
    crosstab: pd.DataFrame
    spearman_levels: float
    spearman_scores: float

    @property
    def disagreements(self) -> pd.DataFrame:
        """The rows of :attr:`table` where the two placements are far apart."""
        return self.table.loc[self.table["disagree"]]


def _spearman(a: pd.Series, b: pd.Series) -> float:
    from scipy.stats import spearmanr

    ok = a.notna() & b.notna()
    a, b = a[ok].astype(float), b[ok].astype(float)
    if len(a) < 3 or a.nunique() < 2 or b.nunique() < 2:
        return float("nan")
    return float(spearmanr(a, b).statistic)


def compare_levels(result: MaturityResult, index: pd.DataFrame) -> LevelComparison:
    """Set the data-driven levels beside the rule-based index levels.

    Parameters
    ----------
    result : MaturityResult
        From :func:`cluster_maturity`.
    index : pandas.DataFrame
        From :func:`maturity_index` on the same municipalities.

    Returns
    -------
    LevelComparison

    Examples
    --------
    >>> import effmuni as em
    >>> f = em.maturity_features(em.load_dataset())
    >>> cmp = em.compare_levels(em.cluster_maturity(f, k=3), em.maturity_index(f))
    >>> int(cmp.crosstab.to_numpy().sum()), cmp.spearman_scores > 0.5
    (26, True)
    """
    common = result.levels.index.intersection(index.index)
    if len(common) == 0:
        raise ValueError("the clustering and the index share no municipality")
    lv = result.levels.reindex(common)
    il = index["index_level"].reindex(common)
    k = result.k
    table = pd.DataFrame(
        {
            "level": lv,
            "index_level": il,
            "maturity_score": result.scores.reindex(common),
            "index_score": index["index_score"].reindex(common),
            "cluster_position": (lv - 1) / max(k - 1, 1),
            "index_position": (il.astype("float64") - 1) / 4,
        }
    )
    table["difference"] = table["index_position"] - table["cluster_position"]
    table["disagree"] = (table["difference"].abs() > 0.5).fillna(False).astype(bool)
    table.index.name = "municipality_id"
    ct = pd.crosstab(table["level"], table["index_level"].astype("float64").astype("Int64"))
    ct = ct.reindex(index=range(1, k + 1), columns=range(1, 6), fill_value=0)
    ct.index.name, ct.columns.name = "level", "index_level"
    return LevelComparison(
        table=table,
        crosstab=ct,
        spearman_levels=_spearman(table["level"], table["index_level"]),
        spearman_scores=_spearman(table["maturity_score"], table["index_score"]),
    )
