"""The project card (passport): lead time by phase and the other indicators of a project."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from ..schema import MINUTES_PER_UNIT
from ._clock import DAY_MIN, WORKDAY_DAYS, days_to_unit, phase_unit, pick, round_value
from ._projects import Project

_TARGET_PCTS = np.array([20, 25, 30, 35, 40, 45, 50, 55, 60])
_TARGET_WEIGHTS = np.array([1, 1.5, 3, 2, 2.5, 1.5, 2.5, 1, 1])


@dataclass
class Phase:
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


def lead_time(
    rng: np.random.Generator,
    p: Project,
    method: str,
    calendar_only: bool,
    dates: tuple[dt.date, dt.date | None, dt.date | None],
) -> tuple[list[Phase], float, float]:
    """Lead-time phases of one project, its target reduction (%) and the true baseline (days)."""
    proc, m = p.process, p.maturity
    lo, hi = proc.lead_days
    true_base = math.exp(rng.uniform(math.log(lo), math.log(hi)))
    units = [u for u in proc.units if not (calendar_only and u == "workday")] or ["day"]
    if method == "regulation_limit":
        limit, unit = proc.limit
        limit_days = limit * (WORKDAY_DAYS if unit == "workday" else 1)
        true_base = limit_days * rng.uniform(0.45, 0.85)  # the regulation overstates real time
        base_value = float(limit)
    else:
        unit = pick(rng, units)
        reported = true_base * (rng.uniform(0.9, 1.6) if method == "estimate" else 1.0)
        base_value = days_to_unit(reported, unit)
        if method == "estimate" and base_value >= 1:  # a round figure
            base_value = float(round(base_value)) if base_value >= 3 else round(base_value * 2) / 2
        base_value = round_value(base_value, unit)
    target_pct = float(rng.choice(_TARGET_PCTS, p=_TARGET_WEIGHTS / _TARGET_WEIGHTS.sum()))
    base_on, act_on, follow_on = dates
    measured = method == "measured"
    stat = "mean" if calendar_only else pick(rng, ("mean", "median"), (0.6, 0.4))
    phases = [
        Phase(
            "baseline",
            base_value,
            unit,
            stat if measured else "single",
            int(rng.integers(8, 61)) if measured else None,
            None if method == "regulation_limit" else base_on,
        )
    ]
    base_days = base_value * (
        WORKDAY_DAYS if unit == "workday" else MINUTES_PER_UNIT[unit] / DAY_MIN
    )
    tgt_days = base_days * (1 - target_pct / 100)
    tu = phase_unit(unit, tgt_days)
    phases.append(
        Phase("target", round_value(days_to_unit(tgt_days, tu), tu), tu, "single", None, None)
    )
    if p.has_actual:
        t = target_pct / 100
        if rng.random() < 0.13 - 0.1 * m:
            r = rng.uniform(-0.3, 0.05)  # no change, or worse
        else:
            r = float(np.clip(t * rng.normal(0.65 + 0.65 * m, 0.2), 0.1, 0.85))
        act_days = max(true_base * (1 - r), 0.25 * proc.lead_days[0])
        au = phase_unit(unit, act_days)
        stat_a = "mean" if calendar_only else pick(rng, ("mean", "median"), (0.6, 0.4))
        phases.append(
            Phase(
                "actual",
                round_value(days_to_unit(act_days, au), au),
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
            fu = phase_unit(unit, f_days)
            phases.append(
                Phase(
                    "followup",
                    round_value(days_to_unit(f_days, fu), fu),
                    fu,
                    stat_a,
                    int(rng.integers(5, 41)),
                    follow_on,
                )
            )
    return phases, target_pct, true_base


def _value_row(indicator: str, ph: Phase, value: float, unit: str) -> tuple:
    """A passport row measured alongside the lead time of the same phase."""
    return (
        indicator,
        ph.phase,
        round_value(value, unit),
        unit,
        ph.stat,
        ph.n_obs,
        ph.measured_on,
    )


def _count_rows(
    rng: np.random.Generator,
    indicator: str,
    base: int,
    phases: dict[str, Phase],
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


def other_indicators(
    rng: np.random.Generator,
    p: Project,
    lead: list[Phase],
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
                WORKDAY_DAYS * DAY_MIN if ph.unit == "workday" else MINUTES_PER_UNIT[ph.unit]
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


def touch_minutes(lead: list[Phase], other: list[tuple], phase: str) -> float:
    """Typical staff touch time per case in a phase: the passport's, else a tenth of lead time."""
    for indicator, ph, value, unit, *_ in other:
        if indicator == "process_time" and ph == phase:
            return value * MINUTES_PER_UNIT[unit]
    return min(next(ph.minutes for ph in lead if ph.phase == phase) * 0.1, 240)
