"""The tables of the sample from one seed: :func:`generate`."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..schema import INDICATORS, PASSPORT_PHASES, TABLE_ORDER, TABLES
from ._cases import make_cases
from ._clock import CAL_START, MERGED_TO, QUARTERS, plus, round_sig
from ._institutions import make_institutions
from ._maps import make_map
from ._passport import lead_time, other_indicators, touch_minutes
from ._projects import Project, assign_models, draw_maturity, evidence, make_projects, milestones
from ._reference import Municipality, municipalities
from ._services import implemented_on, make_service_stats, service_of


def _project_tables(
    rng: np.random.Generator, projects: Sequence[Project]
) -> tuple[list, list, list, list]:
    """Rows of the projects, passport, steps and cases tables."""
    proj_rows, pas_rows, step_rows, case_rows = [], [], [], []
    order = {name: k for k, name in enumerate(INDICATORS)}
    phase_order = {name: k for k, name in enumerate(PASSPORT_PHASES)}
    for p in projects:
        proc = p.process
        dates = milestones(rng, p)
        method, has_map, has_cases = evidence(rng, p, dates[1])
        lead, target_pct, _ = lead_time(rng, p, method, has_map or has_cases, dates)
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
            maps = make_map(rng, proc.family, lengths)
            for state, rows in maps.items():
                for no, (name, actor, _, va, hand, appr, pm, wm) in enumerate(rows, start=1):
                    step_rows.append((p.id, state, no, name, actor, pm, wm, va, hand, appr))
        other = other_indicators(rng, p, lead, maps)
        if has_cases:
            touch = {
                "before": touch_minutes(lead, other, "baseline"),
                "after": touch_minutes(lead, other, "actual"),
            }
            rows, window = make_cases(rng, p, lead, touch, plus(p.impl_done, 1))
            case_rows += [(p.id, *r) for r in rows]
            per_year = sum(r[1] == "after" for r in rows) * 365 / max(window, 1)
            volume = max(volume, per_year * rng.uniform(1.0, 1.5))
        volume = max(50.0, min(round_sig(volume), 20_000.0))
        proj_rows.append(
            (p.id, p.inst.id, proc.name, p.start, p.planned_end, p.actual_end, p.stage)
            + (volume, target_pct, method)
            + (service_of(proc.name), implemented_on(p.stage, p.impl_done))
        )
        card = [(ph.phase, ph.value, ph.unit, ph.stat, ph.n_obs, ph.measured_on) for ph in lead]
        card = [("lead_time", *r) for r in card] + other
        card.sort(key=lambda r: (order[r[0]], phase_order[r[1]]))
        pas_rows += [(p.id, *r) for r in card]
    return proj_rows, pas_rows, step_rows, case_rows


# --------------------------------------------------------------------------- engagement


def _engagement(
    rng: np.random.Generator,
    munis: Sequence[Municipality],
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
    """Minutes since ``CAL_START`` as ``datetime64[us]`` (negative minutes: missing)."""
    base = np.datetime64(CAL_START, "m")
    stamps = base + minutes.astype("timedelta64[m]")
    out = pd.Series(stamps.astype("datetime64[us]"))
    return out.where(minutes >= 0)


#: columns the regional sample does not write: ``region_id`` is the federal sample's partition
FEDERAL_ONLY = frozenset({"region_id"})


def regional_columns(table: str) -> list:
    """The dictionary's columns of ``table`` that the regional sample holds, in order."""
    return [c for c in TABLES[table].columns if c.name not in FEDERAL_ONLY]


def _frame(table: str, rows: Sequence[tuple]) -> pd.DataFrame:
    """A typed frame for ``table`` (dtypes as :func:`effmuni.validate` produces them)."""
    columns = regional_columns(table)
    cols = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    data = {}
    for col, values in zip(columns, cols, strict=True):
        values = list(values)
        if col.kind in ("id", "text", "category", "quarter", "month"):
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
        else:  # datetime, given as minutes since CAL_START (negative: missing)
            data[col.name] = _to_timestamp(np.asarray(values, dtype=np.int64))
    # columns the regional files do not hold (``region_id``): empty, as reading the files gives
    for col in TABLES[table].columns:
        if col.name in FEDERAL_ONLY:
            data[col.name] = pd.Series([pd.NA] * len(data[columns[0].name]), dtype="Int64")
    return pd.DataFrame({c.name: data[c.name] for c in TABLES[table].columns})


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
    >>> list(tables)  # doctest: +NORMALIZE_WHITESPACE
    ['municipalities', 'institutions', 'projects', 'passport', 'steps', 'cases', 'engagement',
     'service_stats']
    >>> tables["engagement"]["quarter"].min(), tables["engagement"]["quarter"].max()
    ('2023Q1', '2025Q4')
    """
    rng = np.random.default_rng(seed)
    munis = municipalities()
    maturity = draw_maturity(rng, munis)
    institutions = make_institutions(rng, munis, {k: v[1] for k, v in maturity.items()})
    projects = make_projects(rng, munis, institutions, maturity)
    assign_models(rng, institutions, projects, maturity)
    proj_rows, pas_rows, step_rows, case_rows = _project_tables(rng, projects)
    eng_rows = _engagement(rng, munis, maturity)
    # the service statistics draw from a stream of their own: the tables above never change
    links = [
        (p.inst.municipality.id, service_of(p.process.name), implemented_on(p.stage, p.impl_done))
        for p in projects
    ]
    stats_rows = make_service_stats(seed, munis, links)
    muni_rows = [
        (
            mu.id,
            mu.name_ru,
            mu.name_en,
            mu.kind,
            mu.population,
            mu.oktmo,
            None,
            MERGED_TO if mu.successor else None,
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
        "service_stats": stats_rows,
    }
    return {name: _frame(name, rows[name]) for name in TABLE_ORDER}
