"""Projects: a latent maturity per municipality, project starts and stages, model institutions."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._clock import (
    AS_OF,
    add_months,
    date_of,
    pick,
    plus,
    quarter_bounds,
    random_workdays,
)
from ._institutions import SECTOR_WEIGHT, Institution
from ._reference import Municipality, Process, processes

_TIERS = (("leader", 7), ("middle", 9), ("lagging", 8), ("dormant", 2))


@dataclass
class Project:
    inst: Institution
    process: Process
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
        return plus(self.start, 0.7 * self.duration)

    @property
    def actual_end(self) -> dt.date | None:
        return self.end_eff if self.stage == "closed" else None

    @property
    def has_actual(self) -> bool:
        return self.stage in ("sustain", "closed")


def draw_maturity(
    rng: np.random.Generator, munis: Sequence[Municipality]
) -> dict[str, tuple[str, float]]:
    """A tier and a latent lean maturity (0–1) per municipality, drawn at random."""
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
    planned_end = add_months(start, int(rng.integers(3, 10)))
    plan = (planned_end - start).days
    if rng.random() < 0.3 + 0.6 * m:
        g = rng.uniform(0.8, 1.0)  # on time
    elif rng.random() < 0.15 * (1 - m):
        g = rng.uniform(1.8, 3.0)  # stalls
    else:
        g = 1.0 + rng.gamma(2.0, 0.15)  # late
    end_eff = plus(start, plan * g)
    duration = (end_eff - start).days
    cancel_at = plus(start, rng.uniform(0.15, 0.7) * duration)
    if rng.random() < 0.02 + 0.08 * (1 - m) and cancel_at <= AS_OF:
        return planned_end, end_eff, "cancelled"
    if end_eff <= AS_OF:
        return planned_end, end_eff, "closed"
    f = (AS_OF - start).days / duration
    for share, stage in ((0.1, "preparation"), (0.35, "diagnosis"), (0.7, "implementation")):
        if f < share:
            return planned_end, end_eff, stage
    return planned_end, end_eff, "sustain"


def make_projects(
    rng: np.random.Generator,
    munis: Sequence[Municipality],
    institutions: Sequence[Institution],
    maturity: dict[str, tuple[str, float]],
) -> list[Project]:
    by_muni: dict[str, list[Institution]] = {}
    for inst in institutions:
        by_muni.setdefault(inst.municipality.id, []).append(inst)
    projects: list[Project] = []
    for mu in munis:
        tier, m = maturity[mu.id]
        insts = by_muni[mu.id]
        weights = np.array(
            [SECTOR_WEIGHT[i.sector] * (1.5 if i.pool == "adm_main" else 1.0) for i in insts]
        )
        size = float(np.clip(math.log10(mu.population / 10_000), 0.0, 1.7))
        lam = (0.2 + 0.8 * m) * (0.5 + size)
        used: dict[str, set[str]] = {}
        quarters = mu.quarters
        for qi in _active_quarters(rng, tier, len(quarters)):
            first, last = quarter_bounds(quarters[int(qi)])
            for _ in range(1 + int(rng.poisson(lam))):
                inst = insts[int(rng.choice(len(insts), p=weights / weights.sum()))]
                pool = [p for p in processes() if inst.pool in p.pools]
                seen = used.setdefault(inst.id, set())
                pw = [0.2 if p.name in seen else 1.0 for p in pool]
                process = pick(rng, pool, pw)
                seen.add(process.name)
                start = date_of(int(random_workdays(rng, first, min(last, AS_OF), 1)[0]))
                planned_end, end_eff, stage = _timeline(rng, start, m)
                projects.append(Project(inst, process, m, start, planned_end, end_eff, stage))
    projects.sort(key=lambda p: (p.start, p.inst.id, p.process.name))
    width = max(3, len(str(len(projects))))
    for k, p in enumerate(projects, start=1):
        p.id = f"P{k:0{width}d}"
    return projects


def assign_models(
    rng: np.random.Generator,
    institutions: Sequence[Institution],
    projects: Sequence[Project],
    maturity: dict[str, tuple[str, float]],
) -> None:
    """Give model-institution status to busy institutions of mature municipalities."""
    first_start: dict[str, dt.date] = {}
    n_projects: dict[str, int] = {}
    for p in projects:
        n_projects[p.inst.id] = n_projects.get(p.inst.id, 0) + 1
        first_start.setdefault(p.inst.id, p.start)
    regional: list[Institution] = []
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
            chosen = rng.choice(len(cands), size=k, replace=False, p=w / w.sum())
            cands = [cands[int(j)] for j in chosen]
        for rank, inst in enumerate(cands):
            since = plus(first_start[inst.id], rng.uniform(150, 500))
            inst.model_level = "local"
            if tier == "leader" and rng.random() < (0.6 if rank == 0 else 0.15):
                inst.model_level = "regional"
                since = plus(since, rng.uniform(90, 270))
                regional.append(inst)
            inst.model_since = min(max(since, dt.date(2023, 3, 1)), dt.date(2025, 11, 28))
    if regional:
        # federal models are usually kindergartens, schools, clinics or MFC offices
        regional.sort(key=lambda i: (i.sector == "administration", -n_projects[i.id], i.id))
        for inst in regional[: int(rng.integers(1, 3))]:
            inst.model_level = "federal"
            inst.model_since = plus(dt.date(2025, 2, 1), rng.uniform(0, 270))


def milestones(
    rng: np.random.Generator, p: Project
) -> tuple[dt.date, dt.date | None, dt.date | None]:
    """Dates of the baseline, actual and follow-up measurements (None when not taken yet)."""
    base_on = min(plus(p.start, rng.uniform(0.05, 0.25) * p.duration), AS_OF)
    act_on = follow_on = None
    if p.stage == "closed":
        act_on = plus(p.end_eff, -rng.uniform(0, 0.15) * (p.end_eff - p.impl_done).days)
        if (AS_OF - p.end_eff).days >= 183:
            follow_on = plus(p.end_eff, rng.uniform(183, min(365, (AS_OF - p.end_eff).days)))
    elif p.stage == "sustain":
        act_on = plus(p.impl_done, rng.uniform(0.4, 0.95) * (AS_OF - p.impl_done).days)
    if act_on is not None:
        act_on = min(max(act_on, plus(p.impl_done, 1)), AS_OF)
    return base_on, act_on, follow_on


def evidence(
    rng: np.random.Generator, p: Project, act_on: dt.date | None
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
