"""The federal generator's logs: value-stream maps, case timings, engagement and monthly
service statistics of one region, as arrays (see :mod:`effmuni.synth._federal`)."""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pandas as pd

from ._clock import (
    DAY_MIN,
    QUARTERS,
    calendar,
    from_working_clock,
    to_working_clock,
)
from ._federal_base import (
    _dates,
    _phase_value,
    _process_arrays,
    _stamps,
    _within,
    federal_services,
)
from ._reference import step_templates
from ._services import MONTHS

# --------------------------------------------------------------------------- value-stream maps


@cache
def _templates() -> dict[str, np.ndarray]:
    fams = step_templates()
    rows = [s for steps in fams.values() for s in steps]
    lengths = np.array([len(s) for s in fams.values()])
    return {
        "start": np.r_[0, np.cumsum(lengths)[:-1]],
        "length": lengths,
        "step": np.array([s[0] for s in rows], dtype=object),
        "actor": np.array([s[1] for s in rows], dtype=object),
        "touch": np.array([s[2] for s in rows], dtype=float),
        "va": np.array([s[3] for s in rows]),
        "handoff": np.array([s[4] for s in rows]),
        "approval": np.array([s[5] for s in rows]),
    }


def _steps(rng: np.random.Generator, pr: pd.DataFrame) -> dict[str, np.ndarray]:
    """Maps (current, target, actual of closed projects) whose Σ(process + wait) is the lead time."""
    tpl = _templates()
    family = _process_arrays()["family"][pr["proc"].to_numpy()]
    mapped = pr["has_map"].to_numpy()
    base_unit = pr["lt_unit"].to_numpy().astype(object)
    blocks = []
    for state, phase, days_col, extra in (
        ("current", "baseline", "base_days", None),
        ("target", "target", "target_days", None),
        ("actual", "actual", "actual_days", pr["stage"].to_numpy() == "closed"),
    ):
        idx = np.flatnonzero(mapped if extra is None else mapped & extra)
        _, _, minutes = _phase_value(pr[days_col].to_numpy()[idx], base_unit[idx], phase)
        blocks.append(pd.DataFrame({"proj": idx, "state": state, "minutes": minutes}))
    b = pd.concat(blocks, ignore_index=True)
    b["order"] = b["state"].map({"current": 0, "target": 1, "actual": 2})
    b = b.sort_values(["proj", "order"], kind="stable").reset_index(drop=True)
    fam = family[b["proj"].to_numpy()]
    length = tpl["length"][fam]
    block = np.repeat(np.arange(len(b)), length)
    step_no = _within(block) + 1
    t = tpl["start"][fam][block] + step_no - 1
    total = b["minutes"].to_numpy()
    proc_min = np.maximum(np.round(tpl["touch"][t] * np.exp(rng.normal(0, 0.3, t.size)), 1), 0.1)
    proc_sum = np.bincount(block, proc_min, minlength=len(b))
    factor = np.minimum(1.0, 0.5 * total / np.maximum(proc_sum, 1e-9))
    proc_min = np.maximum(np.floor(proc_min * factor[block] * 10) / 10, 0.1)
    wait_total = total - np.bincount(block, proc_min, minlength=len(b))
    share = rng.gamma(0.7, 1.0, t.size) + 1e-6
    share = share / np.bincount(block, share, minlength=len(b))[block]
    wait = np.maximum(np.floor(share * wait_total[block] * 10) / 10, 0.0)
    last = np.r_[np.flatnonzero(np.diff(block)), block.size - 1] if block.size else block
    rest = wait_total - np.bincount(block, wait, minlength=len(b))
    wait[last] = np.maximum(np.round(wait[last] + rest, 1), 0.0)
    return {
        "project_id": pr["project_id"].to_numpy()[b["proj"].to_numpy()][block],
        "map_state": b["state"].to_numpy()[block],
        "step_no": step_no,
        "step_name": tpl["step"][t],
        "actor_role": tpl["actor"][t],
        "process_min": proc_min,
        "wait_min": wait,
        "value_added": tpl["va"][t],
        "handoff": tpl["handoff"][t],
        "approval": tpl["approval"][t],
    }


# --------------------------------------------------------------------------- cases


def _cases(rng: np.random.Generator, pr: pd.DataFrame) -> tuple[dict[str, np.ndarray], dict]:
    """Case rows of the logged projects and the completed cases a phase (for ``n_obs``)."""
    logged = np.flatnonzero(pr["has_cases"].to_numpy())
    base_unit = pr["lt_unit"].to_numpy().astype(object)[logged]
    _, _, base_min = _phase_value(pr["base_days"].to_numpy()[logged], base_unit, "baseline")
    _, _, act_min = _phase_value(pr["actual_days"].to_numpy()[logged], base_unit, "actual")
    start = pr["start"].to_numpy()[logged]
    impl = pr["impl_done"].to_numpy()[logged]
    act_on = pr["act_on"].to_numpy()[logged]
    k = logged.size
    # blocks: every logged project's before phase, then its after phase
    proj = np.r_[logged, logged]
    after = np.r_[np.zeros(k, bool), np.ones(k, bool)]
    a = np.r_[start - np.round(rng.uniform(60, 120, k)).astype(np.int64), impl + 1]
    after_to = np.maximum(act_on - np.maximum(1, np.round(act_min / DAY_MIN)), impl + 15)
    after_to = after_to.astype(np.int64)
    b = np.r_[start - 1, after_to]
    goal_min = np.r_[base_min, act_min] * (1 + rng.uniform(-0.08, 0.08, 2 * k))
    limit = np.r_[np.full(k, np.inf), act_on * float(DAY_MIN)]
    nb = 2 * k
    n = rng.integers(190, 431, nb)
    order = np.lexsort((after, proj))  # by project, before first
    proj, after, a, b, goal_min, limit, n = (
        x[order] for x in (proj, after, a, b, goal_min, limit, n)
    )
    block = np.repeat(np.arange(nb), n)
    # received: working days in [a, b], 08:00–17:00, sorted within the block
    flags, _ = calendar()
    wd_before = np.r_[0, np.cumsum(flags)]
    workdays = np.flatnonzero(flags)
    lo, hi = wd_before[a], wd_before[b + 1]
    day = workdays[lo[block] + (rng.random(block.size) * (hi - lo)[block]).astype(np.int64)]
    received = day * DAY_MIN + rng.integers(8 * 60, 17 * 60, block.size)
    received = received[np.lexsort((received, block))]
    sigma = rng.uniform(0.45, 0.85, nb)
    shape = np.exp(sigma[block] * rng.standard_normal(block.size))
    start_w = to_working_clock(received)
    short = goal_min < 240
    room = 18 * 60 - received % DAY_MIN - 1
    counts = np.bincount(block, minlength=nb)
    mean_shape = np.bincount(block, shape, minlength=nb) / np.maximum(counts, 1)

    def run(log_k: np.ndarray):
        work = np.maximum(np.round(np.exp(log_k)[block] * shape), 2).astype(np.int64)
        work = np.where(short[block], np.minimum(work, room), work)
        completed = from_working_clock(start_w + work)
        done = completed < limit[block]
        n_done = np.bincount(block, done, minlength=nb)
        total = np.bincount(block, np.where(done, completed - received, 0), minlength=nb)
        mean = np.where(n_done > 0, total / np.maximum(n_done, 1), np.inf)
        return completed, done, mean

    lo_k = np.log(goal_min / mean_shape / 50)
    hi_k = np.log(goal_min / mean_shape * 2)
    for _ in range(40):
        mid = (lo_k + hi_k) / 2
        below = run(mid)[2] < goal_min
        lo_k, hi_k = np.where(below, mid, lo_k), np.where(below, hi_k, mid)
    c_lo, d_lo, m_lo = run(lo_k)
    c_hi, d_hi, m_hi = run(hi_k)
    use_hi = np.abs(m_hi - goal_min) < np.abs(m_lo - goal_min)
    completed = np.where(use_hi[block], c_hi, c_lo)
    done = np.where(use_hi[block], d_hi, d_lo)
    completed = np.where(done, completed, -1)
    lead = completed - received
    touch_min = np.minimum(goal_min * rng.uniform(0.05, 0.5, nb), 480)
    touch = touch_min[block] * np.exp(0.35 * rng.standard_normal(block.size))
    touch = np.floor(np.minimum(touch, 0.9 * lead) * 10) / 10
    touch = np.where(done & (touch >= 0.1) & (rng.random(block.size) > 0.08), touch, np.nan)
    pid = pr["project_id"].to_numpy()[proj][block]
    tag = np.where(after[block], "A", "B")
    k_in = pd.Series(_within(block) + 1).astype(str).str.zfill(4).to_numpy()
    case_id = pd.Series(pid) + "-" + tag + "-" + k_in
    n_done = np.bincount(block, done, minlength=nb).astype(float)
    n_obs = {"baseline": np.full(len(pr), np.nan), "actual": np.full(len(pr), np.nan)}
    n_obs["baseline"][proj[~after]] = n_done[~after]
    n_obs["actual"][proj[after]] = n_done[after]
    after_days = np.zeros(len(pr))
    after_days[proj[after]] = (b - a)[after]
    n_after = np.zeros(len(pr))
    n_after[proj[after]] = counts[after]
    rows = {
        "project_id": pid,
        "case_id": case_id.to_numpy(),
        "phase": np.where(after[block], "after", "before"),
        "received": _stamps(received),
        "completed": _stamps(completed),
        "work_min": touch,
    }
    return rows, {"n_obs": n_obs, "after_days": after_days, "n_after": n_after}


# --------------------------------------------------------------------------- engagement


def _engagement(
    rng: np.random.Generator, mun: pd.DataFrame, m: np.ndarray
) -> dict[str, np.ndarray]:
    u, nq = len(mun), len(QUARTERS)
    pop = mun["population"].to_numpy()
    staff0 = 60 + pop * 0.004 * rng.uniform(0.8, 1.2, u)
    share_end = np.clip(0.02 + 0.85 * m + rng.normal(0, 0.05, u), 0.02, 0.9)
    curve = rng.uniform(0.5, 1.5, u)
    level = staff0[:, None] * np.cumprod(1 + rng.normal(0, 0.02, (u, nq)), axis=1)
    staff = np.round(level).astype(np.int64)
    qi = np.arange(nq)[None, :]
    frac = share_end[:, None] * ((qi + 1) / nq) ** curve[:, None]
    trained = np.minimum(
        staff, np.maximum.accumulate(np.round(frac * staff).astype(np.int64), axis=1)
    )
    rate = (0.003 + 0.03 * m[:, None]) * (0.6 + 0.8 * qi / nq)
    submitted = rng.poisson(staff * rate)
    implemented = rng.binomial(submitted, np.broadcast_to(0.25 + 0.5 * m[:, None], (u, nq)))
    return {
        "municipality_id": np.repeat(mun["municipality_id"].to_numpy(), nq),
        "quarter": np.tile(np.array(QUARTERS, dtype=object), u),
        "staff_total": staff.ravel(),
        "staff_trained": trained.ravel(),
        "proposals_submitted": submitted.ravel(),
        "proposals_implemented": implemented.ravel(),
    }


# --------------------------------------------------------------------------- service statistics


def _service_stats(
    rng: np.random.Generator, mun: pd.DataFrame, pr: pd.DataFrame, inst_unit: np.ndarray
) -> dict[str, np.ndarray]:
    """The regional model of :mod:`effmuni.synth._services`, as (unit, service, month) arrays."""
    sv = federal_services()
    u, s, t = len(mun), len(sv), len(MONTHS)
    sid = {x: j for j, x in enumerate(sv["service_id"])}
    month_no = MONTHS.month.to_numpy()
    season = sv["season_amplitude"].to_numpy()[:, None] * np.cos(
        2 * np.pi * (month_no[None, :] - sv["season_peak_month"].to_numpy()[:, None]) / 12
    )
    # the cohort: the month after a unit's first implementation on the service
    service = _process_arrays()["service"][pr["proc"].to_numpy()]
    linked = np.zeros((u, s), bool)
    cohort = np.full((u, s), np.iinfo(np.int64).max)
    has = np.array([x is not None for x in service], dtype=bool)
    if has.any():
        pu = pr["unit"].to_numpy()[has]
        ps = np.array([sid[x] for x in service[has]])
        linked[pu, ps] = True
        impl = pr["impl_done"].to_numpy()[has]
        done = np.isin(pr["stage"].to_numpy()[has], ["sustain", "closed"])
        month = _dates(impl).astype("datetime64[M]").astype(int) - np.datetime64(
            MONTHS[0].start_time.date(), "M"
        ).astype(int)
        np.minimum.at(cohort, (pu[done], ps[done]), month[done] + 1)
    shock = rng.normal(0.0, 0.03, (s, t))
    reports_median = rng.random(u) < 0.7
    level = rng.normal(0.0, 0.2, (u, s)) + 0.25 * linked
    treated = np.arange(t)[None, None, :] >= cohort[:, :, None]
    innov = rng.normal(0.0, 0.04, (u, s, t))
    e = np.empty_like(innov)
    e[..., 0] = innov[..., 0]
    for j in range(1, t):  # AR(1) over the 36 months
        e[..., j] = 0.5 * e[..., j - 1] + innov[..., j]
    size = np.maximum(mun["population"].to_numpy() / 10_000, 1.0) ** 0.8
    lam = sv["cases_per_10k"].to_numpy()[None, :, None] * size[:, None, None] * (1 + 1.5 * season)
    n = rng.poisson(np.clip(lam, 0.1, None))
    y = (
        np.log(sv["base_lead_days"].to_numpy())[None, :, None]
        + level[:, :, None]
        + season[None]
        + math.log(0.99) * np.arange(t)[None, None, :]
        + shock[None]
        + sv["effect_log"].to_numpy()[None, :, None] * treated
        + e
    )
    y = y + rng.normal(0.0, 1.0, y.shape) * 0.5 / np.sqrt(np.maximum(n, 1))
    med_noise = rng.normal(0.0, 0.05, y.shape)
    opened = rng.poisson(np.maximum(n, 0) * np.exp(y) / 30.4)
    mean = np.maximum(np.round(np.exp(y), 1), 0.1)
    median = np.maximum(np.round(mean * np.exp(-0.18 + med_noise), 1), 0.1)
    median = np.where(reports_median[:, None, None], median, np.nan)
    mean = np.where(n > 0, mean, np.nan)
    median = np.where(n > 0, median, np.nan)
    return {
        "municipality_id": np.repeat(mun["municipality_id"].to_numpy(), s * t),
        "service_id": np.tile(np.repeat(sv["service_id"].to_numpy(), t), u),
        "month": np.tile(np.array([str(p) for p in MONTHS], dtype=object), u * s),
        "n_completed": n.ravel(),
        "mean_lead_days": mean.ravel(),
        "median_lead_days": median.ravel(),
        "n_open": opened.ravel(),
    }
