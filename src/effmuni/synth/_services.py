"""Monthly service statistics with a planted project effect, from a stream of their own.

Ten municipal services (``data/services.csv``) in every municipality, 2023-01 to 2025-12 (the
merged city okrugs to 2024-12). A project links to a service when its process is the
service's process (``projects.service_id``); a municipality-service is *treated* from the first
month after the first of its projects was implemented (``projects.implemented_on``).

The log mean lead time of municipality ``i``, service ``s``, month ``t`` is

    log(base_s) + a_is + season_s(t) + t * log(0.99) + shock_st + effect_s * treated_ist
    + e_ist + sampling noise

- ``a_is``: a level of its own, N(0, 0.2), plus 0.25 where the municipality runs a project on
  the service at all: projects go where lead times are high (a difference in levels, which a
  before/after comparison does not care about but a treated-versus-untreated one would);
- ``season_s``: a cosine over the year, service-specific amplitude and peak month;
- the regional trend: lead times fall by 1 % a month everywhere (digital services, new rules),
  which is what a before/after comparison wrongly credits to the projects;
- ``shock_st``: a month's shock shared by the service in every municipality, N(0, 0.03);
- ``effect_s``: the planted effect, constant from the cohort month on, differing by service;
- ``e_ist``: AR(1) noise of the office (rho 0.5, innovations N(0, 0.04)); the sampling noise
  of a mean of ``n`` cases is N(0, 0.5 / sqrt(n)).

Cases completed a month are Poisson, proportional to ``cases_per_10k`` and to the population
(to the power 0.8), busier in the service's season; months with no completed case have no
lead time. Cases open at the month's end follow Little's law (completions a day x lead days).
The draws come from ``default_rng([seed, 1])``: the other tables of the sample do not change
when this module does.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from ._clock import MERGED_TO, QUARTERS
from ._reference import Municipality, services

__all__ = [
    "MONTHS",
    "cohort_of",
    "implemented_on",
    "make_service_stats",
    "planted_effects",
    "service_of",
]

#: the months of the statistics: the sample's quarters, month by month
MONTHS = pd.period_range(QUARTERS[0][:4] + "-01", QUARTERS[-1][:4] + "-12", freq="M")
_STREAM = 1  # the statistics draw from default_rng([seed, _STREAM])
_TREND = math.log(0.99)  # -1 % a month
_SELECTION = 0.25


def service_of(process_name: str) -> str | None:
    """The service a project on ``process_name`` changes (None when it is not one of them)."""
    for s in services():
        if s.process_name == process_name:
            return s.id
    return None


def implemented_on(stage: str, impl_done: dt.date) -> dt.date | None:
    """The date the changes went live: set once a project is past its implementation stage."""
    return impl_done if stage in ("sustain", "closed") else None


def cohort_of(links: Iterable[tuple[str, str, dt.date | None]]) -> dict[tuple[str, str], object]:
    """First treated month of each (municipality, service): the month after the first
    implementation among its projects. ``links`` are (municipality, service, implemented_on)."""
    first: dict[tuple[str, str], dt.date] = {}
    for mu, sid, done in links:
        if sid is None or done is None:
            continue
        key = (mu, sid)
        first[key] = min(first.get(key, done), done)
    return {k: pd.Period(d, freq="M") + 1 for k, d in first.items()}


def _months_of(mu: Municipality) -> pd.PeriodIndex:
    if mu.successor:
        return MONTHS[MONTHS <= pd.Period(MERGED_TO, freq="M")]
    return MONTHS


def make_service_stats(
    seed: int,
    munis: Sequence[Municipality],
    links: Sequence[tuple[str, str | None, dt.date | None]],
) -> list[tuple]:
    """Rows of ``service_stats``: municipality, service, month, n_completed, mean and median
    lead days, n_open; ``links`` are (municipality, service, implemented_on) of the projects."""
    rng = np.random.default_rng([seed, _STREAM])
    cohorts = cohort_of(links)
    linked = {(mu, sid) for mu, sid, _ in links if sid is not None}
    reports_median = {mu.id: rng.random() < 0.7 for mu in munis}
    t_index = np.arange(len(MONTHS))
    month_no = MONTHS.month.to_numpy()
    rows: list[tuple] = []
    per_unit: dict[tuple[str, str], list[tuple]] = {}
    for s in services():
        season = s.season_amplitude * np.cos(2 * np.pi * (month_no - s.season_peak_month) / 12)
        shock = rng.normal(0.0, 0.03, len(MONTHS))
        for mu in munis:
            months = _months_of(mu)
            k = len(months)
            level = rng.normal(0.0, 0.2) + _SELECTION * ((mu.id, s.id) in linked)
            g = cohorts.get((mu.id, s.id))
            treated = np.array([g is not None and m >= g for m in months])
            e = np.zeros(k)
            innov = rng.normal(0.0, 0.04, k)
            for j in range(k):
                e[j] = (0.5 * e[j - 1] if j else 0.0) + innov[j]
            size = max(mu.population / 10_000, 1.0) ** 0.8
            lam = s.cases_per_10k * size * (1 + 1.5 * season[:k])
            n = rng.poisson(np.clip(lam, 0.1, None))
            y = (
                math.log(s.base_lead_days)
                + level
                + season[:k]
                + _TREND * t_index[:k]
                + shock[:k]
                + s.effect_log * treated
                + e
            )
            y = y + rng.normal(0.0, 1.0, k) * 0.5 / np.sqrt(np.maximum(n, 1))
            med_noise = rng.normal(0.0, 0.05, k)
            opened = rng.poisson(np.maximum(n, 0) * np.exp(y) / 30.4)
            out = []
            for j, month in enumerate(months):
                if n[j] == 0:
                    out.append((mu.id, s.id, str(month), 0, None, None, int(opened[j])))
                    continue
                mean = max(round(math.exp(y[j]), 1), 0.1)
                median = (
                    max(round(mean * math.exp(-0.18 + med_noise[j]), 1), 0.1)
                    if reports_median[mu.id]
                    else None
                )
                out.append((mu.id, s.id, str(month), int(n[j]), mean, median, int(opened[j])))
            per_unit[(mu.id, s.id)] = out
    for mu in munis:
        for s in services():
            rows += per_unit[(mu.id, s.id)]
    return rows


def planted_effects(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The planted truth of a generated sample, per service and overall.

    One row per service (``service_id``, ``process_name``, ``effect_log``, ``reduction_pct``
    = 100 (1 - exp(effect)), ``n_treated``: municipality-services first treated after the
    first month of the statistics and no later than their last month) and a last row
    ``service_id = "all"``: the average effect over the treated municipality-services, as
    :func:`effmuni.service_effects` weighs services (by treated units).
    """
    projects = tables["projects"].merge(
        tables["institutions"][["institution_id", "municipality_id"]], on="institution_id"
    )
    links = [
        (mu, sid, None if pd.isna(d) else d.date())
        for mu, sid, d in zip(
            projects["municipality_id"],
            projects["service_id"].astype(object).where(projects["service_id"].notna(), None),
            projects["implemented_on"],
            strict=True,
        )
    ]
    cohorts = cohort_of(links)
    stats = tables["service_stats"]
    last = stats.groupby(["municipality_id", "service_id"])["month"].max()
    first = pd.Period(stats["month"].min(), freq="M")
    rows = []
    for s in services():
        n = sum(
            1
            for (mu, sid), g in cohorts.items()
            if sid == s.id and (mu, sid) in last.index and first < g <= pd.Period(last[(mu, sid)])
        )
        rows.append((s.id, s.process_name, s.effect_log, n))
    out = pd.DataFrame(rows, columns=["service_id", "process_name", "effect_log", "n_treated"])
    total = out["n_treated"].sum()
    overall = float((out["effect_log"] * out["n_treated"]).sum() / total) if total else math.nan
    out.loc[len(out)] = ("all", "", overall, total)
    out["reduction_pct"] = 100 * (1 - np.exp(out["effect_log"].astype(float)))
    return out[["service_id", "process_name", "effect_log", "reduction_pct", "n_treated"]]
