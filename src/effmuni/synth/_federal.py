"""The federal synthetic sample: one region's tables, vectorised (:func:`region_tables`).

The regional sample (:func:`effmuni.synth.generate`) follows every project in Python; at the
federal scale (about 85 regions, 2,300 municipal units, 40,000 projects and 4 million case rows)
the same ideas are drawn as arrays, one region at a time, with no Python loop over units,
projects, cases or rows (loops run over regions, reference categories, passport phases and the
36 months of the AR(1) noise):

- **municipalities**: about 27 units a region (lognormal, median 26, 8–75), one capital city okrug,
  about one in eight further units a city okrug, the rest municipal okrugs; names are built
  from the word lists ``federal_stems.csv`` and ``federal_prefixes.csv`` with the patterns of
  ``federal_kinds.csv`` (``Berezovsky municipal okrug``, ``town of Berezovsk``), ids are
  ``r<region>-<transliterated name>`` and so unique across the country;
- **institutions**: the rows of ``federal_institutions.csv`` in every unit (kindergartens and
  schools by population), ids ``<unit>-<code>-<k>`` as in the regional sample;
- **projects**: a latent maturity per unit drives a Poisson number of projects (about 17 per
  unit over the twelve quarters), the stage as of 2025-12-31 follows the regional generator's
  timeline (on time, late or stalled; cancelled); processes are those of ``processes.csv``
  that the institution's pool runs; ids ``R<region>-P<k>``;
- **passport**: the ``lead_time`` card (baseline, target, actual, follow-up) with the regional
  generator's rules for baseline methods, units and rounding;
- **steps**: value-stream maps of the measured projects in calendar units, from
  ``step_templates.csv``; the map's Σ(process + wait) equals the passport lead time;
- **cases**: for measured projects with an ``actual`` value in calendar units and enough
  volume, 190–430 cases a phase in working time; a vectorised bisection (every project at
  once) scales the lognormal working time so the completed cases' mean lead time is the
  passport value times ``1 + e``, ``|e| <= 8 %`` (up to whole-day jumps, which the regional
  generator tops up and this one does not);
- **engagement**: staff, trained staff and proposals per unit and quarter;
- **service_stats**: the 48 services of ``federal_services.csv`` (the regional ten plus 38
  more processes) in every unit, month by month, with the regional model of
  :mod:`effmuni.synth._services` (level, season, trend, shocks, AR(1) noise, planted effect
  from the month after a unit's first implemented project on the service's process).

Every region draws from ``numpy.random.default_rng(SeedSequence([seed, region_id]))``, so a
region's tables do not depend on which worker builds it or in what order.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa

from ._clock import (
    QUARTERS,
    calendar,
)
from ._federal_base import (
    _AS_OF,
    _CALENDAR_UNITS,
    _D0,
    _MODEL_FROM,
    _MODEL_TO,
    _dates,
    _fill,
    _institution_rows,
    _kinds,
    _names,
    _phase_value,
    _process_arrays,
    _round_sig2,
    _round_value,
    _to_unit,
    _within,
    to_arrow,
)
from ._federal_logs import _cases, _engagement, _service_stats, _steps
from ._institutions import SECTOR_WEIGHT
from ._reference import processes

__all__ = ["CHUVASHIA", "REGIONS", "chuvashia_tables", "region_tables"]

#: the region codes of the federal sample, in the order they are generated; Chuvashia first
CHUVASHIA = 21
REGIONS: tuple[int, ...] = (CHUVASHIA, *(r for r in range(1, 86) if r != CHUVASHIA))

# --------------------------------------------------------------------------- municipalities


def _municipalities(rng: np.random.Generator, rid: int) -> pd.DataFrame:
    stem_ru, stem_en, pre_ru, pre_en = _names()
    n = int(np.clip(round(rng.lognormal(math.log(26.0), 0.45)), 8, 75))
    n_combos = stem_ru.size * pre_ru.size
    w = np.where(np.arange(n_combos) % pre_ru.size == 0, 6.0, 1.0)
    combo = rng.choice(n_combos, size=n, replace=False, p=w / w.sum())
    stem, pre = combo // pre_ru.size, combo % pre_ru.size
    has_pre = pre_ru[pre] != ""
    s_ru = np.where(
        has_pre, pre_ru[pre] + pd.Series(stem_ru[stem]).str.lower().to_numpy(), stem_ru[stem]
    )
    s_en = np.where(
        has_pre, pre_en[pre] + pd.Series(stem_en[stem]).str.lower().to_numpy(), stem_en[stem]
    )
    city = rng.random(n) < 0.12
    city[0] = True  # the capital
    pop = np.where(
        city,
        rng.lognormal(math.log(60_000), 0.6, n),
        rng.lognormal(math.log(22_000), 0.6, n),
    )
    pop[0] = rng.lognormal(math.log(400_000), 0.6)
    pop = np.where(city, np.clip(pop, 15_000, 1_500_000), np.clip(pop, 2_000, 200_000))
    pop[0] = max(pop[0], 100_000)
    pop = (np.round(pop / 100) * 100).astype(np.int64)
    kind = np.where(city, "city_okrug", "municipal_okrug")
    frame = pd.DataFrame(
        {"stem": s_ru, "stem_en": s_en, "kind": kind, "population": pop, "city": city}
    )
    parts = []
    for k, spec in _kinds().items():
        sub = frame[frame["kind"] == k].reset_index()
        sub["name_ru"] = _fill(spec["name_ru"], stem=sub["stem"]).to_numpy()
        sub["name_en"] = _fill(spec["name_en"], stem_en=sub["stem_en"]).to_numpy()
        sub["genitive"] = _fill(spec["genitive"], stem=sub["stem"]).to_numpy()
        parts.append(sub)
    frame = pd.concat(parts).sort_values("index").drop(columns="index")
    frame["municipality_id"] = f"r{rid:02d}-" + frame["name_en"].str.lower()
    # the capital first, then the city okrugs by population, then the municipal okrugs by id
    frame["order"] = np.where(np.arange(n) == 0, 0, np.where(frame["city"], 1, 2))
    frame = frame.sort_values(
        ["order", "population", "municipality_id"], ascending=[True, False, True]
    )
    return frame.reset_index(drop=True)


# --------------------------------------------------------------------------- institutions


def _institutions(mun: pd.DataFrame) -> pd.DataFrame:
    patterns = _institution_rows()
    pop = mun["population"].to_numpy()
    counts = np.empty((len(mun), len(patterns)), dtype=np.int64)
    for j, r in enumerate(patterns):
        if r["count"].startswith("per_"):
            per = int(r["count"][len("per_") :])
            counts[:, j] = np.clip(np.round(pop / per), 1, 8)
        else:
            counts[:, j] = int(r["count"])
    flat = counts.ravel()
    cell = np.repeat(np.arange(flat.size), flat)
    unit, pat = cell // len(patterns), cell % len(patterns)
    number = _within(cell) + 1
    code = np.array([r["code"] for r in patterns], dtype=object)[pat]
    out = pd.DataFrame(
        {
            "unit": unit,
            "municipality_id": mun["municipality_id"].to_numpy()[unit],
            "sector": np.array([r["sector"] for r in patterns], dtype=object)[pat],
            "pool": np.array([r["pool"] for r in patterns], dtype=object)[pat],
            "code": code,
        }
    )
    gen = pd.Series(mun["genitive"].to_numpy()[unit])
    names = pd.Series([""] * len(out), dtype=object)
    for j, r in enumerate(patterns):
        mask = pat == j
        if mask.any():
            names[mask] = _fill(
                r["name"],
                genitive=gen[mask].reset_index(drop=True),
                number=pd.Series(number[mask]),
            ).to_numpy()
    out["name"] = names.to_numpy()
    k = out.groupby(["unit", "code"], sort=False).cumcount().to_numpy() + 1
    out["institution_id"] = out["municipality_id"] + "-" + out["code"] + "-" + k.astype(str)
    return out


# --------------------------------------------------------------------------- projects


def _projects(
    rng: np.random.Generator, rid: int, mun: pd.DataFrame, inst: pd.DataFrame, m: np.ndarray
) -> pd.DataFrame:
    pop = mun["population"].to_numpy()
    size = np.clip((pop / 25_000) ** 0.25, 0.6, 2.0)
    lam = 16.5 * (0.3 + 1.4 * m) * size
    n_proj = rng.poisson(lam)
    unit = np.repeat(np.arange(len(mun)), n_proj)
    n = unit.size
    # the institution: weighted by sector within the unit
    w = np.array([SECTOR_WEIGHT[s] for s in inst["sector"]]) * np.where(
        inst["pool"] == "adm_main", 1.5, 1.0
    )
    w = w / np.where(inst["sector"].isin(["preschool", "school"]), 2.0, 1.0)
    cum = np.cumsum(w)
    inst_unit = inst["unit"].to_numpy()
    first = np.searchsorted(inst_unit, np.arange(len(mun)), side="left")
    last = np.searchsorted(inst_unit, np.arange(len(mun)), side="right")
    lo_c = np.where(first > 0, cum[first - 1], 0.0)
    hi_c = cum[last - 1]
    u = lo_c[unit] + rng.random(n) * (hi_c - lo_c)[unit]
    ins = np.minimum(np.searchsorted(cum, u, side="right"), last[unit] - 1)
    # the process: uniform among those the institution's pool runs
    pools = inst["pool"].to_numpy()[ins]
    proc = np.zeros(n, dtype=np.int64)
    draw = rng.random(n)
    for pool in np.unique(pools):
        cands = np.array([k for k, p in enumerate(processes()) if pool in p.pools])
        mask = pools == pool
        proc[mask] = cands[np.minimum((draw[mask] * cands.size).astype(np.int64), cands.size - 1)]
    # the start: a working day of a quarter, later quarters a little likelier
    flags, _ = calendar()
    q_w = 1.0 + 0.12 * np.arange(len(QUARTERS))
    q = rng.choice(len(QUARTERS), size=n, p=q_w / q_w.sum())
    q_first = np.array(
        [
            (np.datetime64(f"{s[:4]}-{3 * int(s[-1]) - 2:02d}-01") - _D0).astype(int)
            for s in QUARTERS
        ]
    )
    q_end = np.r_[q_first[1:], _AS_OF + 1]
    wd_before = np.r_[0, np.cumsum(flags)]
    workdays = np.flatnonzero(flags)
    a, b = wd_before[q_first[q]], wd_before[q_end[q]]
    start = workdays[a + (rng.random(n) * (b - a)).astype(np.int64)]
    # the timeline, as the regional _timeline
    mm = m[unit]
    months = rng.integers(3, 10, n)
    planned_end = start + np.round(months * 30.44).astype(np.int64)
    plan = planned_end - start
    r1, r2 = rng.random(n), rng.random(n)
    g = np.where(
        r1 < 0.3 + 0.6 * mm,
        rng.uniform(0.8, 1.0, n),
        np.where(r2 < 0.15 * (1 - mm), rng.uniform(1.8, 3.0, n), 1.0 + rng.gamma(2.0, 0.15, n)),
    )
    end_eff = start + np.round(plan * g).astype(np.int64)
    duration = np.maximum(end_eff - start, 1)
    cancel_at = start + np.round(rng.uniform(0.15, 0.7, n) * duration).astype(np.int64)
    cancelled = (rng.random(n) < 0.02 + 0.08 * (1 - mm)) & (cancel_at <= _AS_OF)
    f = (_AS_OF - start) / duration
    stage = np.select(
        [cancelled, end_eff <= _AS_OF, f < 0.1, f < 0.35, f < 0.7],
        ["cancelled", "closed", "preparation", "diagnosis", "implementation"],
        "sustain",
    ).astype(object)
    impl_done = start + np.round(0.7 * duration).astype(np.int64)
    out = pd.DataFrame(
        {
            "unit": unit,
            "inst": ins,
            "proc": proc,
            "start": start,
            "planned_end": planned_end,
            "end_eff": end_eff,
            "impl_done": impl_done,
            "stage": stage,
            "m": mm,
        }
    )
    out = out.sort_values(["start", "inst", "proc"], kind="stable").reset_index(drop=True)
    out["project_id"] = f"R{rid:02d}-P" + pd.Series(np.arange(1, len(out) + 1)).astype(
        str
    ).str.zfill(5)
    return out


def _evidence(rng: np.random.Generator, pr: pd.DataFrame) -> None:
    """Milestones, baseline method, units and values of the lead time, maps and case logs."""
    pa_ = _process_arrays()
    n = len(pr)
    proc, m = pr["proc"].to_numpy(), pr["m"].to_numpy()
    start, end_eff, impl = (
        pr["start"].to_numpy(),
        pr["end_eff"].to_numpy(),
        pr["impl_done"].to_numpy(),
    )
    stage = pr["stage"].to_numpy()
    duration = np.maximum(end_eff - start, 1)
    closed, sustain = stage == "closed", stage == "sustain"
    has_actual = closed | sustain
    # milestones, as the regional milestones()
    base_on = np.minimum(start + np.round(rng.uniform(0.05, 0.25, n) * duration), _AS_OF)
    act_closed = end_eff - np.round(rng.uniform(0, 0.15, n) * (end_eff - impl))
    act_sustain = impl + np.round(rng.uniform(0.4, 0.95, n) * (_AS_OF - impl))
    act_on = np.where(closed, act_closed, act_sustain)
    act_on = np.minimum(np.maximum(act_on, impl + 1), _AS_OF)
    gap = _AS_OF - end_eff
    has_follow = closed & (gap >= 183)
    follow_on = end_eff + np.round(183 + rng.random(n) * np.maximum(np.minimum(365, gap) - 183, 0))
    # baseline method, as the regional evidence()
    has_limit = ~np.isnan(pa_["limit_value"][proc])
    r1, r2 = rng.random(n), rng.random(n)
    method = np.where(
        has_limit & (r1 < 0.85 - 0.55 * m),
        "regulation_limit",
        np.where(r2 < 0.2 - 0.15 * m, "estimate", "measured"),
    ).astype(object)
    # units and values (days) of the phases
    k = np.minimum(
        (rng.random(n) * pa_["n_units"][proc]).astype(np.int64), pa_["n_units"][proc] - 1
    )
    unit = np.stack(pa_["units"][proc])[np.arange(n), k] if n else np.array([], dtype=object)
    lo, hi = pa_["lo"][proc], pa_["hi"][proc]
    base_days = np.exp(rng.uniform(np.log(lo), np.log(hi)))
    reg = method == "regulation_limit"
    unit = np.where(reg, pa_["limit_unit"][proc], unit).astype(object)
    base_val = _round_value(_to_unit(base_days, unit), unit)
    base_val = np.where(reg, pa_["limit_value"][proc], base_val)
    per_day = _to_unit(np.ones(n), unit)  # values per calendar day
    base_days = base_val / per_day
    target_pct = np.round(rng.uniform(20, 70, n) / 5) * 5
    target_days = base_days * (1 - target_pct / 100)
    achieved = np.clip(rng.normal(0.55 + 0.5 * m, 0.35), -0.2, 1.3)
    actual_days = base_days * np.maximum(1 - target_pct / 100 * achieved, 0.08)
    if reg.any():  # a regulation limit is an upper bound: the real process was quicker
        actual_days = np.where(reg, actual_days * rng.uniform(0.6, 1.0, n), actual_days)
    follow_days = actual_days * np.exp(rng.normal(0.05, 0.1, n))
    calendar_unit = np.isin(unit, _CALENDAR_UNITS)
    measured = method == "measured"
    has_map = (
        measured
        & calendar_unit
        & ~np.isin(stage, ["preparation", "cancelled"])
        & (rng.random(n) < 0.1 + 0.27 * m)
    )
    has_cases = (
        measured
        & has_actual
        & calendar_unit
        & (pa_["vol_hi"][proc] >= 1000)
        & (act_on - impl >= 31 + np.ceil(hi))
        & (rng.random(n) < 0.55 + 0.45 * m)
    )
    pr["base_on"] = base_on.astype(np.int64)
    pr["act_on"] = act_on.astype(np.int64)
    pr["follow_on"] = follow_on.astype(np.int64)
    pr["has_actual"], pr["has_follow"] = has_actual, has_follow
    pr["method"], pr["lt_unit"], pr["target_pct"] = method, unit, target_pct
    pr["base_days"], pr["target_days"] = base_days, target_days
    pr["actual_days"], pr["follow_days"] = actual_days, follow_days
    pr["has_map"], pr["has_cases"] = has_map, has_cases


_PHASES = (
    ("baseline", "base_days", "base_on"),
    ("target", "target_days", None),
    ("actual", "actual_days", "act_on"),
    ("followup", "follow_days", "follow_on"),
)


def _present(pr: pd.DataFrame, phase: str) -> np.ndarray:
    if phase == "actual":
        return pr["has_actual"].to_numpy()
    if phase == "followup":
        return pr["has_follow"].to_numpy()
    return np.ones(len(pr), bool)


def _passport(pr: pd.DataFrame, n_obs: dict[str, np.ndarray]) -> pd.DataFrame:
    """The ``lead_time`` rows of the passport; ``n_obs`` (float, NaN: none) per phase."""
    parts = []
    base_unit = pr["lt_unit"].to_numpy().astype(object)
    measured = pr["method"].to_numpy() == "measured"
    for order, (phase, days_col, on_col) in enumerate(_PHASES):
        idx = np.flatnonzero(_present(pr, phase))
        unit, value, _ = _phase_value(pr[days_col].to_numpy()[idx], base_unit[idx], phase)
        if phase == "baseline":
            is_measured = measured[idx]
        else:
            is_measured = np.full(idx.size, phase != "target")
        nobs = np.where(is_measured, n_obs[phase][idx], np.nan) if phase in n_obs else np.nan
        on = pr[on_col].to_numpy()[idx] if on_col else np.zeros(idx.size, np.int64)
        parts.append(
            pd.DataFrame(
                {
                    "row": idx,
                    "order": order,
                    "project_id": pr["project_id"].to_numpy()[idx],
                    "indicator": "lead_time",
                    "phase": phase,
                    "value": value,
                    "unit": unit,
                    "stat": np.where(is_measured, "mean", "single"),
                    "n_obs": np.zeros(idx.size) + nobs,
                    "measured_on": _dates(on, is_measured & (on_col is not None)),
                }
            )
        )
    out = pd.concat(parts, ignore_index=True).sort_values(["row", "order"], kind="stable")
    return out.drop(columns=["row", "order"]).reset_index(drop=True)


# --------------------------------------------------------------------------- one region


def _models(rng: np.random.Generator, inst: pd.DataFrame, pr: pd.DataFrame, m: np.ndarray):
    """Model-institution status of busy institutions, likelier in mature units."""
    n_inst = len(inst)
    n_proj = np.bincount(pr["inst"].to_numpy(), minlength=n_inst)
    first = np.full(n_inst, np.iinfo(np.int64).max)
    np.minimum.at(first, pr["inst"].to_numpy(), pr["start"].to_numpy())
    mu = m[inst["unit"].to_numpy()]
    r = rng.random(n_inst)
    model = (n_proj >= 2) & (r < (0.04 + 0.3 * mu) * np.minimum(n_proj, 6) / 3)
    regional = model & (mu > 0.7) & (rng.random(n_inst) < 0.2)
    federal = regional & (rng.random(n_inst) < 0.05)
    since = (
        first
        + np.round(rng.uniform(150, 500, n_inst))
        + np.where(regional, np.round(rng.uniform(90, 270, n_inst)), 0)
    )
    since = np.clip(since, _MODEL_FROM, _MODEL_TO).astype(np.int64)
    level = np.select([federal, regional, model], ["federal", "regional", "local"], "none")
    return level.astype(object), _dates(np.where(model, since, 0), model)


def region_tables(seed: int, rid: int) -> dict[str, pa.Table]:
    """The eight tables of one region other than Chuvashia, as arrow tables (no ``region_id``)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, rid]))
    mun = _municipalities(rng, rid)
    m = rng.uniform(0.02, 0.95, len(mun))
    inst = _institutions(mun)
    pr = _projects(rng, rid, mun, inst, m)
    _evidence(rng, pr)
    level, since = _models(rng, inst, pr, m)
    steps = _steps(rng, pr)
    cases, info = _cases(rng, pr)
    n_obs = {
        "baseline": np.where(
            np.isnan(info["n_obs"]["baseline"]),
            rng.integers(5, 61, len(pr)),
            info["n_obs"]["baseline"],
        ),
        "actual": np.where(
            np.isnan(info["n_obs"]["actual"]),
            rng.integers(5, 61, len(pr)),
            info["n_obs"]["actual"],
        ),
        "followup": rng.integers(5, 61, len(pr)).astype(float),
    }
    passport = _passport(pr, n_obs)
    pa_ = _process_arrays()
    proc = pr["proc"].to_numpy()
    pop = mun["population"].to_numpy()[pr["unit"].to_numpy()]
    scale = np.clip((pop / 30_000) ** 0.5, 0.5, 3.0)
    lo, hi = pa_["vol_lo"][proc], pa_["vol_hi"][proc]
    volume = np.exp(rng.uniform(np.log(lo), np.log(hi))) * scale
    per_year = info["n_after"] * 365 / np.maximum(info["after_days"], 1)
    volume = np.where(
        pr["has_cases"], np.maximum(volume, per_year * rng.uniform(1.0, 1.5, len(pr))), volume
    )
    volume = np.clip(_round_sig2(volume), 50.0, 20_000.0)
    stage = pr["stage"].to_numpy()
    closed = stage == "closed"
    implemented = np.isin(stage, ["sustain", "closed"])
    inst_ids = inst["institution_id"].to_numpy()
    service = pa_["service"][proc]
    engagement = _engagement(rng, mun, m)
    # the statistics draw from a stream of their own: the other tables never depend on them
    stats_rng = np.random.default_rng(np.random.SeedSequence([seed, rid, 1]))
    stats = _service_stats(stats_rng, mun, pr, inst["unit"].to_numpy())
    columns = {
        "municipalities": {
            "municipality_id": mun["municipality_id"].to_numpy(),
            "name_ru": mun["name_ru"].to_numpy(),
            "name_en": mun["name_en"].to_numpy(),
            "kind": mun["kind"].to_numpy(),
            "population": mun["population"].to_numpy(),
            "oktmo": np.full(len(mun), None, dtype=object),
            "valid_from": np.full(len(mun), np.datetime64("NaT", "D")),
            "valid_to": np.full(len(mun), np.datetime64("NaT", "D")),
            "successor_id": np.full(len(mun), None, dtype=object),
        },
        "institutions": {
            "institution_id": inst_ids,
            "municipality_id": inst["municipality_id"].to_numpy(),
            "name": inst["name"].to_numpy(),
            "sector": inst["sector"].to_numpy(),
            "model_level": level,
            "model_since": since,
        },
        "projects": {
            "project_id": pr["project_id"].to_numpy(),
            "institution_id": inst_ids[pr["inst"].to_numpy()],
            "process_name": pa_["name"][proc],
            "start_date": _dates(pr["start"].to_numpy()),
            "planned_end": _dates(pr["planned_end"].to_numpy()),
            "actual_end": _dates(pr["end_eff"].to_numpy(), closed),
            "stage": stage,
            "annual_volume": volume,
            "target_reduction_pct": pr["target_pct"].to_numpy(),
            "baseline_method": pr["method"].to_numpy(),
            "service_id": service,
            "implemented_on": _dates(pr["impl_done"].to_numpy(), implemented),
        },
        "passport": {c: passport[c].to_numpy() for c in passport.columns},
        "steps": steps,
        "cases": cases,
        "engagement": engagement,
        "service_stats": stats,
    }
    return {name: to_arrow(name, cols) for name, cols in columns.items()}


def chuvashia_tables(seed: int) -> dict[str, pa.Table]:
    """The regional sample's tables (:func:`effmuni.synth.generate`) as arrow tables."""
    from ._generate import generate

    out = {}
    for name, frame in generate(seed).items():
        out[name] = to_arrow(name, {c: frame[c] for c in frame.columns})
    return out
