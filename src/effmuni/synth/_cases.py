"""Case timings: lognormal lead times in working time, scaled to the passport's values."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from ._clock import (
    DAY_MIN,
    RECEIVE_CLOSE,
    WORK_CLOSE,
    WORK_OPEN,
    calendar,
    day_index,
    from_working_clock,
    plus,
    random_workdays,
    to_working_clock,
)
from ._passport import Phase
from ._projects import Project


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
    flags, _ = calendar()
    completed = completed.copy()
    gap = goal * done.sum() - (completed - received)[done].sum()
    longest_first = np.flatnonzero(done)[np.argsort(-(completed - received)[done], kind="stable")]
    for _ in range(0 if same_day else 10):
        slack = (completed // DAY_MIN * DAY_MIN + WORK_CLOSE - 1 - completed)[done].sum()
        if gap <= slack:
            break
        for i in longest_first:
            day = completed[i] // DAY_MIN
            step = (1 + int(np.argmax(flags[day + 1 :]))) * DAY_MIN
            if step <= gap - slack and completed[i] + step < limit:
                completed[i] += step
                gap -= step
    if gap > 0:
        slack = np.where(done, completed // DAY_MIN * DAY_MIN + WORK_CLOSE - 1 - completed, 0)
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
    received = np.sort(received_days * DAY_MIN + rng.integers(WORK_OPEN, RECEIVE_CLOSE, size=n))
    sigma = rng.uniform(0.45, 0.85)
    shape = np.exp(sigma * rng.standard_normal(n))
    goal = mean_min * (1 + rng.uniform(-0.08, 0.08))
    start = to_working_clock(received)
    room = WORK_CLOSE - received % DAY_MIN - 1 if goal < 240 else None
    limit = np.inf if extract_day is None else extract_day * DAY_MIN

    def run(log_k: float) -> tuple[np.ndarray, np.ndarray, float]:
        work = np.maximum(np.round(math.exp(log_k) * shape), 2).astype(np.int64)
        if room is not None:
            work = np.minimum(work, room)
        completed = from_working_clock(start + work)
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


def make_cases(
    rng: np.random.Generator,
    p: Project,
    lead: list[Phase],
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
    after_to = max(plus(extract, -max(1.0, actual.minutes / DAY_MIN)), plus(after_from, 14))
    rows = []
    for phase, ph, (a, b), extract_day in (
        (
            "before",
            by_phase["baseline"],
            (plus(p.start, -rng.uniform(60, 120)), plus(p.start, -1)),
            None,
        ),
        ("after", actual, (after_from, after_to), day_index(extract)),
    ):
        n = int(rng.integers(30, 151))
        days = random_workdays(rng, a, b, n)
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
