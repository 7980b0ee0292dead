"""Causal effect of projects on municipal services: :func:`service_effects`.

Every saving reported elsewhere in effmuni compares a process with itself before and after
the project. When projects start quarter by quarter while lead times fall everywhere (a new
portal, a new law, seasons), that comparison credits the projects with the trend. Here each
municipality-service (the *unit*) whose project was implemented is compared, month by month,
with the **same service in municipalities not (yet) treated**, by Callaway & Sant'Anna's
staggered difference-in-differences (:func:`effmuni.staggered_did`).

Design
------
- unit: municipality x service (``service_stats.service_id``, linked to projects by
  ``projects.service_id``); outcome: the log of the month's mean lead time;
- cohort: the first month after the first implementation of the unit's projects
  (``projects.implemented_on``; ``actual_end`` of closed projects when it is missing);
- each service is estimated on its own, so a service is only compared with itself (its own
  seasons and trends); services are then averaged by their number of treated units;
- within a service, units are weighted by their cases a month before the project (over the
  whole series when untreated): weights the project itself cannot move;
- the effect is reported as a lead-time reduction % (positive = faster), ``100 (1 - e^att)``,
  next to the naive before/after change of the same treated units.

Problems with the data either stop with a :class:`~effmuni.DataError` that says what is wrong,
or are counted in the result's notes (codes translated by the surfaces).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ._build import Note, build_panel
from ._engine import design, estimate
from ._panel import DidDataError
from .did import CONTROLS, group_time_cells

__all__ = [
    "COHORT_EFFECT_COLUMNS",
    "EFFECT_COLUMNS",
    "EVENT_COLUMNS",
    "NOTE_COLUMNS",
    "OVERALL_EFFECT_COLUMNS",
    "SERVICE_EFFECT_COLUMNS",
    "UNIT_COLUMNS",
    "ServiceEffects",
    "service_effects",
]

#: the estimate columns shared by the overall, by-service and by-cohort tables
EFFECT_COLUMNS = (
    "n_units",
    "n_treated",
    "att",
    "se",
    "att_low",
    "att_high",
    "reduction_pct",
    "reduction_pct_low",
    "reduction_pct_high",
    "naive_att",
    "naive_reduction_pct",
    "naive_reduction_pct_low",
    "naive_reduction_pct_high",
    "pretrend_pvalue",
)
OVERALL_EFFECT_COLUMNS = (*EFFECT_COLUMNS, "n_services", "control", "confidence")
SERVICE_EFFECT_COLUMNS = ("service_id", "process_name", *EFFECT_COLUMNS)
COHORT_EFFECT_COLUMNS = ("cohort", *EFFECT_COLUMNS[:-1])
EVENT_COLUMNS = (
    "event_time",
    "att",
    "se",
    "low",
    "high",
    "reduction_pct",
    "reduction_pct_low",
    "reduction_pct_high",
    "n_services",
)
UNIT_COLUMNS = (
    "municipality_id",
    "service_id",
    "cohort",
    "status",
    "weight",
    "n_months",
    "n_pre",
    "naive_att",
)
NOTE_COLUMNS = ("scope", "code", "params")

_REASONS = (
    ("Every unit is treated at once", "everyone_at_once"),
    ("No unit is treated", "no_treated"),
    ("No post-treatment effect", "no_post"),
    ("but every unit is treated", "no_never_treated"),
)
_SKIPPED = re.compile(r"^Cohort (\S+): no effect for period\(s\) ([^:]+): ")
#: the pre-trend test looks at the last year before the cohort month
PRE_WINDOW = 12
_TABLE_NAMES = ("overall", "by_service", "by_cohort", "event_study", "units", "notes")


def _pct(att):
    return 100 * (1 - np.exp(np.asarray(att, dtype=float)))


@dataclass(frozen=True)
class ServiceEffects:
    """Result of :func:`service_effects`; every table is language-free.

    Attributes
    ----------
    overall : pandas.DataFrame
        One row (:data:`OVERALL_EFFECT_COLUMNS`): ``att`` is the effect on the log lead time
        with ``se`` and interval ``att_low``/``att_high``; ``reduction_pct`` (positive =
        faster) with ``reduction_pct_low``/``_high``; ``naive_*`` the before/after change of the
        same treated units; ``pretrend_pvalue`` the joint pre-trend test of all services;
        ``n_units``/``n_treated`` municipality-services; ``n_services`` estimated.
    by_service : pandas.DataFrame
        One row per estimated service (:data:`SERVICE_EFFECT_COLUMNS`).
    by_cohort : pandas.DataFrame
        One row per cohort month (``"2024-04"``), services averaged by their treated units.
    event_study : pandas.DataFrame
        ``event_time`` (months since the cohort month; negative: before), ``att``, ``se`` and a
        simultaneous band ``low``/``high`` over all event times, as reductions % too.
    units : pandas.DataFrame
        One row per municipality-service: ``cohort``, ``status`` (``treated``, ``untreated``,
        ``implemented_after_series``, ``no_pre_period``, ``no_date``), ``weight``,
        ``n_months``, ``n_pre`` and its ``naive_att`` (mean log lead time after minus before).
    notes : pandas.DataFrame
        ``scope`` (a service or ``"all"``), ``code``, ``params`` (JSON): see
        :meth:`note_texts`; code ``detail`` holds the estimator's own notes in English.
    """

    overall: pd.DataFrame
    by_service: pd.DataFrame
    by_cohort: pd.DataFrame
    event_study: pd.DataFrame
    units: pd.DataFrame
    notes: pd.DataFrame

    @property
    def control(self) -> str:
        return str(self.overall["control"].iloc[0])

    @property
    def confidence(self) -> float:
        return float(self.overall["confidence"].iloc[0])

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name (``overall``, ``by_service``, ``by_cohort``, ``event_study``,
        ``units``, ``notes``)."""
        return {name: getattr(self, name) for name in _TABLE_NAMES}

    @classmethod
    def from_tables(cls, tables: dict[str, pd.DataFrame]) -> ServiceEffects:
        return cls(**{name: tables[name] for name in _TABLE_NAMES})

    def service_names(self, names: Mapping[str, str] | None = None) -> dict[str, str]:
        """``service_id`` to the process name of the estimated services, updated with ``names``
        (:func:`~effmuni.effects.service_names` of the dataset names the others too)."""
        b = self.by_service.dropna(subset=["process_name"])
        out = dict(zip(b["service_id"].astype(str), b["process_name"].astype(str), strict=True))
        out.update(names or {})
        return out

    def note_texts(
        self,
        lang: str = "en",
        *,
        details: bool = False,
        names: Mapping[str, str] | None = None,
    ) -> list[str]:
        """The notes as sentences in ``lang`` (the estimator's details only on request), each
        service named by its process name (:meth:`service_names`)."""
        from .tables import effects_note_table

        table = effects_note_table(
            self.notes, lang, details=details, names=self.service_names(names)
        )
        return list(table["note"])

    def __repr__(self) -> str:
        o = self.overall.iloc[0]
        return (
            f"ServiceEffects(reduction {o['reduction_pct']:.1f} % "
            f"[{o['reduction_pct_low']:.1f}, {o['reduction_pct_high']:.1f}], naive "
            f"{o['naive_reduction_pct']:.1f} %, {int(o['n_services'])} services, "
            f"{int(o['n_treated'])} treated of {int(o['n_units'])} units, "
            f"pretrend p={o['pretrend_pvalue']:.3g})"
        )


def service_effects(
    dataset,
    *,
    control: str = "not_yet_treated",
    confidence: float = 0.95,
    seed: int = 0,
    n_bootstrap: int = 999,
    weighted: bool = True,
    event_window: int = 12,
) -> ServiceEffects:
    """Causal effect of projects on the lead time of municipal services.

    Builds the panel of municipality-services from ``dataset.service_stats`` and the projects
    that name a service (see the module docstring), estimates each service by
    :func:`effmuni.staggered_did` and averages the services.

    Parameters
    ----------
    dataset : Dataset
        From :func:`effmuni.load_dataset`, with the optional table ``service_stats`` and
        ``projects.service_id`` (and, best, ``projects.implemented_on``).
    control : {"not_yet_treated", "never_treated"}
        Comparison units: the same service in municipalities not yet treated (and never
        treated), or never treated only.
    confidence : float
        Level of every interval.
    seed : int
        Seed of the bootstrap over municipalities.
    n_bootstrap : int
        Bootstrap draws (at least 99): municipalities resampled with replacement.
    weighted : bool
        Weight municipalities within a service by their cases a month before the project.
    event_window : int
        Months either side of the cohort month shown in the event study (its band covers
        them all at once).

    Returns
    -------
    ServiceEffects

    Raises
    ------
    effmuni.DataError
        When there are no statistics, no project names a service, the statistics repeat a
        municipality-service-month, or no service can be estimated; the message says why.

    Examples
    --------
    >>> import effmuni as em
    >>> from effmuni.effects import service_effects
    >>> fx = service_effects(em.load_dataset(), n_bootstrap=199)
    >>> int(fx.overall["n_services"].iloc[0])
    10
    >>> bool(fx.overall["reduction_pct"].iloc[0] > 0)
    True
    """
    if control not in CONTROLS:
        raise ValueError(f"control must be one of {CONTROLS}, not {control!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence!r}")
    if isinstance(event_window, bool) or not isinstance(event_window, int) or event_window < 1:
        raise ValueError(
            f"event_window must be a whole number of months >= 1, not {event_window!r}"
        )
    panel = build_panel(dataset, weighted=weighted)
    notes = list(panel.notes)
    units = panel.units.copy()
    munis = sorted(panel.rows["municipality_id"].astype(str).unique())
    K = _draws(len(munis), n_bootstrap, seed)
    fits: dict[str, dict] = {}
    naive: dict[str, float] = {}
    part = 0
    for sid, rows in panel.rows.groupby("service_id", sort=True):
        sid = str(sid)
        treated = units[(units["service_id"] == sid) & (units["status"] == "treated")]
        if treated.empty:
            notes.append(Note(sid, "service_skipped", {"reason": "no_treated"}))
            continue
        rows = rows.assign(cohort=pd.PeriodIndex(list(rows["cohort"]), freq="M"))
        part += _ragged(sid, rows, notes)
        try:
            att_gt, fit_notes = group_time_cells(
                rows, "unit", "month", "cohort", "y",
                control=control, weights="w" if weighted else None,
            )  # fmt: skip
        except DidDataError as error:
            notes.append(Note(sid, "service_skipped", {"reason": _reason(str(error))}))
            notes.append(Note(sid, "detail", {"text": str(error)}))
            continue
        x = design(sid, rows, att_gt, control, munis)
        est = estimate(x, K[:, x.muni])
        gap = np.nanmax(np.abs(est["cells"][0] - att_gt["att"].to_numpy(float)))
        if not gap < 1e-8:  # pragma: no cover - the two implementations must agree
            raise RuntimeError(f"bootstrap cells of {sid} differ from diff-diff's by {gap:g}")
        fits[sid] = est
        naive.update(zip(x.units, x.d, strict=True))
        _estimator_notes(sid, fit_notes, rows, notes)
    if part:
        notes.append(Note("all", "part_series", {"n": part}))
    if not fits:
        reasons = "; ".join(
            f"{n.scope}: {n.params['reason']}" for n in notes if n.code == "service_skipped"
        )
        raise DidDataError(
            f"No service could be estimated ({reasons}); see the notes of each service."
        )
    unit_ids = units["municipality_id"].astype(str) + "/" + units["service_id"].astype(str)
    units["naive_att"] = unit_ids.map(naive).astype("float64")
    by_service = _by_service(fits, units, panel.process_names, confidence)
    overall = _overall(fits, by_service, control, confidence)
    by_cohort = _by_cohort(fits, panel.rows, confidence)
    event_study = _event_study(fits, confidence, int(event_window))
    for sid, p in zip(by_service["service_id"], by_service["pretrend_pvalue"], strict=True):
        if p < 0.05:
            notes.append(Note(str(sid), "pretrend_rejected", {"p": round(float(p), 4)}))
    p_all = float(overall["pretrend_pvalue"].iloc[0])
    if p_all < 0.05:
        notes.append(Note("all", "pretrend_rejected", {"p": round(p_all, 4)}))
    sizes = by_cohort["n_treated"]
    if len(sizes) and float(sizes.median()) < 5:
        notes.append(Note("all", "small_cohorts", {"median": float(sizes.median())}))
    for sid in by_service.loc[by_service["n_treated"] == 1, "service_id"]:
        notes.append(Note(str(sid), "naive_single", {}))
    note_frame = pd.DataFrame(
        {
            "scope": pd.Series([n.scope for n in notes], dtype="string"),
            "code": pd.Series([n.code for n in notes], dtype="string"),
            "params": pd.Series(
                [json.dumps(n.params, ensure_ascii=False, sort_keys=True) for n in notes],
                dtype="string",
            ),
        }
    )
    return ServiceEffects(
        overall=overall,
        by_service=by_service,
        by_cohort=by_cohort,
        event_study=event_study,
        units=units[list(UNIT_COLUMNS)].reset_index(drop=True),
        notes=note_frame,
    )


def _draws(n_munis: int, n_bootstrap: int, seed: int) -> np.ndarray:
    """Municipality multiplicities: row 0 every municipality once, then bootstrap draws."""
    if int(n_bootstrap) < 99:
        raise ValueError("n_bootstrap must be at least 99")
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n_munis, np.full(n_munis, 1 / n_munis), size=int(n_bootstrap))
    return np.vstack([np.ones((1, n_munis)), draws]).astype(float)


# --------------------------------------------------------------------------- notes


def _reason(message: str) -> str:
    for text, code in _REASONS:
        if text in message:
            return code
    return "other"


def _ragged(sid: str, rows: pd.DataFrame, notes: list[Note]) -> int:
    """Note months absent for every unit of a service; return the units observed over part of
    the service's span only (noted once for all services)."""
    span = rows.groupby("unit")["month"].agg(["min", "max"])
    lo, hi = rows["month"].min(), rows["month"].max()
    part = int(((span["min"] > lo) | (span["max"] < hi)).sum())
    have = set(rows["month"])
    absent = [str(m) for m in pd.period_range(lo, hi, freq="M") if m not in have]
    if absent:
        notes.append(Note(sid, "absent_months", {"n": len(absent), "months": ", ".join(absent)}))
    return part


def _estimator_notes(sid: str, fit_notes: list[str], rows: pd.DataFrame, notes: list[Note]):
    """Turn the estimator's notes that matter into coded ones; keep them all as details."""
    for text in fit_notes:
        m = _SKIPPED.match(text)
        if m:
            periods = [p.strip() for p in m.group(2).split(",")]
            cohort = m.group(1)
            own = rows.loc[rows["cohort"] == pd.Period(cohort, freq="M"), "month"].astype(str)
            seen = own.isin(periods).any()
            code = "no_comparison_left" if seen else "cohort_unobserved"
            notes.append(
                Note(sid, code, {"cohort": cohort, "first": periods[0], "n": len(periods)})
            )
        elif "parallel trends were not tested" in text:
            notes.append(Note(sid, "no_pretrend", {}))
        notes.append(Note(sid, "detail", {"text": text}))


# --------------------------------------------------------------------------- combining


def _summary(draws: np.ndarray, confidence: float, n: int) -> tuple[float, float, float, float]:
    """Estimate (row 0), standard error and interval from the bootstrap draws.

    ``n`` treated municipality-services carry most of the variance, and a bootstrap over so
    few understates it: the bootstrap standard error is scaled by sqrt(n / (n - 1)) and the
    interval uses Student's t with n - 1 degrees of freedom (the classic t-interval of a mean
    of n units). No standard error with fewer than two.
    """
    est = float(draws[0])
    rest = draws[1:][np.isfinite(draws[1:])]
    if n < 2 or len(rest) < 2 or not np.isfinite(est):
        return est, np.nan, np.nan, np.nan
    se = float(np.std(rest, ddof=1)) * np.sqrt(n / (n - 1))
    crit = float(stats.t.ppf(0.5 + confidence / 2, n - 1))
    return est, se, est - crit * se, est + crit * se


def _effect_columns(draws: np.ndarray, confidence: float, n: int) -> dict:
    att, se, low, high = _summary(draws, confidence, n)
    return {
        "att": att,
        "se": se,
        "att_low": low,
        "att_high": high,
        "reduction_pct": float(_pct(att)),
        "reduction_pct_low": float(_pct(high)),
        "reduction_pct_high": float(_pct(low)),
    }


def _naive_columns(draws: np.ndarray, confidence: float, n: int) -> dict:
    att, _, low, high = _summary(draws, confidence, n)
    return {
        "naive_att": att,
        "naive_reduction_pct": float(_pct(att)),
        "naive_reduction_pct_low": float(_pct(high)),
        "naive_reduction_pct_high": float(_pct(low)),
    }


def _weighted(values: list[np.ndarray], weights: list[np.ndarray]) -> np.ndarray:
    """Average of per-service draws by per-service weights, skipping missing ones."""
    v, w = np.stack(values, axis=-1), np.stack(weights, axis=-1)
    ok = np.isfinite(v) & (w > 0)
    num = np.where(ok, v * w, 0.0).sum(-1)
    den = np.where(ok, w, 0.0).sum(-1)
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _ratio1(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _pretrend(pre: np.ndarray, n: int) -> float:
    """p-value of the test that the pre-treatment gaps average zero.

    ``pre`` holds the event-study draws of the months before the cohort month (with a
    varying base, each is the month-on-month change of treated minus comparison units); their
    mean is tested against zero (as :func:`_summary`, Student's t with ``n`` - 1 degrees of
    freedom for ``n`` treated municipality-services). A single averaged figure
    rather than a joint Wald test: with a handful of treated municipalities per service the
    bootstrap cannot estimate a 12 x 12 covariance, and a joint test would reject far too often.
    """
    if pre.shape[1] == 0 or not np.isfinite(pre[0]).any():
        return np.nan
    seen = np.isfinite(pre)
    mean = _ratio1(np.where(seen, pre, 0.0).sum(axis=1), seen.sum(axis=1))
    est, se, _, _ = _summary(mean, 0.95, n)
    if not np.isfinite(se) or se == 0:
        return np.nan
    return float(2 * stats.t.sf(abs(est) / se, n - 1))


def _pre(est: dict) -> np.ndarray:
    keep = (est["events"] < 0) & (est["events"] >= -PRE_WINDOW)
    return est["es"][:, keep]


def _by_service(fits, units, names, confidence) -> pd.DataFrame:
    rows = []
    for sid, est in fits.items():
        kept = (units["service_id"] == sid) & units["status"].isin(
            ["treated", "untreated", "implemented_after_series"]
        )
        n = int(est["n_treated"][0])
        rows.append(
            {
                "service_id": sid,
                "process_name": names.get(sid),
                "n_units": int(kept.sum()),
                "n_treated": n,
                **_effect_columns(est["simple"], confidence, n),
                **_naive_columns(est["naive"], confidence, n),
                "pretrend_pvalue": _pretrend(_pre(est), n),
            }
        )
    out = pd.DataFrame(rows, columns=list(SERVICE_EFFECT_COLUMNS))
    return out.astype({"service_id": "string", "process_name": "string"})


def _overall(fits, by_service, control, confidence) -> pd.DataFrame:
    ests = list(fits.values())
    weights = [e["n_treated"] for e in ests]
    simple = _weighted([e["simple"] for e in ests], weights)
    naive = _weighted([e["naive"] for e in ests], weights)
    pre = _combined_events(ests, pre_only=True)[1]
    n = int(by_service["n_treated"].sum())
    row = {
        "n_units": int(by_service["n_units"].sum()),
        "n_treated": n,
        **_effect_columns(simple, confidence, n),
        **_naive_columns(naive, confidence, n),
        "pretrend_pvalue": _pretrend(pre, n),
        "n_services": len(fits),
        "control": control,
        "confidence": float(confidence),
    }
    return pd.DataFrame([row], columns=list(OVERALL_EFFECT_COLUMNS)).astype({"control": "string"})


def _combined_events(
    ests, pre_only: bool = False, window: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Event times, their draws averaged over services by treated units, services per time."""
    times = np.unique(np.concatenate([e["events"] for e in ests]))
    if pre_only:
        times = times[(times < 0) & (times >= -PRE_WINDOW)]
    if window is not None:
        times = times[np.abs(times) <= window]
    B = ests[0]["es"].shape[0]
    values, weights = [], []
    for e in ests:
        pos = {int(v): k for k, v in enumerate(e["events"])}
        cols = [pos.get(int(v)) for v in times]
        v = np.full((B, len(times)), np.nan)
        for j, c in enumerate(cols):
            if c is not None:
                v[:, j] = e["es"][:, c]
        values.append(v)
        weights.append(np.repeat(e["n_treated"][:, None], len(times), axis=1))
    counts = np.sum([np.isfinite(v[0]) for v in values], axis=0)
    return times, _weighted(values, weights), counts


def _event_study(fits, confidence: float, window: int) -> pd.DataFrame:
    """The services' event studies averaged, ``window`` months either side of the cohort
    month, with a simultaneous band over those event times: the ``confidence`` quantile of
    the largest studentised deviation of the draws."""
    times, draws, counts = _combined_events(list(fits.values()), window=window)
    att = draws[0]
    rest = draws[1:]
    se = np.array([np.nanstd(rest[:, j], ddof=1) for j in range(len(times))])
    dev = np.abs(rest - att) / np.where(se > 0, se, np.nan)
    worst = np.nanmax(np.where(np.isfinite(dev), dev, -np.inf), axis=1)
    worst = worst[np.isfinite(worst)]
    crit = (
        float(np.quantile(worst, confidence))
        if len(worst)
        else float(stats.norm.ppf(0.5 + confidence / 2))
    )
    low, high = att - crit * se, att + crit * se
    return pd.DataFrame(
        {
            "event_time": times.astype(np.int64),
            "att": att,
            "se": se,
            "low": low,
            "high": high,
            "reduction_pct": _pct(att),
            "reduction_pct_low": _pct(high),
            "reduction_pct_high": _pct(low),
            "n_services": counts.astype(np.int64),
        }
    )


def _by_cohort(fits, rows: pd.DataFrame, confidence: float) -> pd.DataFrame:
    labels: dict[str, list] = {}
    for sid, est in fits.items():
        first = rows.loc[rows["service_id"] == sid, "month"].min()
        for j, c in enumerate(est["cohorts"]):
            label = str(first + int(c))
            labels.setdefault(label, []).append((sid, j))
    out = []
    for label in sorted(labels):
        parts = labels[label]
        att = _weighted(
            [fits[s]["group"][:, j] for s, j in parts],
            [fits[s]["group_n"][:, j] for s, j in parts],
        )
        naive = _weighted(
            [fits[s]["group_naive"][:, j] for s, j in parts],
            [fits[s]["group_n"][:, j] for s, j in parts],
        )
        n = int(sum(fits[s]["group_n"][0, j] for s, j in parts))
        out.append(
            {"cohort": label, "n_units": n, "n_treated": n,
             **_effect_columns(att, confidence, n), **_naive_columns(naive, confidence, n)}
        )  # fmt: skip
    return pd.DataFrame(out, columns=list(COHORT_EFFECT_COLUMNS)).astype({"cohort": "string"})
