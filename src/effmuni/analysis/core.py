"""``analyse(dataset, config)``: every figure the toolkit reports, computed once."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..effects import (
    COHORT_EFFECT_COLUMNS,
    EVENT_COLUMNS,
    NOTE_COLUMNS,
    OVERALL_EFFECT_COLUMNS,
    SERVICE_EFFECT_COLUMNS,
    UNIT_COLUMNS,
    ServiceEffects,
    service_effects,
)
from ..io import DataError
from ..maturity import (
    SCORE_COLUMNS,
    LevelComparison,
    MaturityResult,
    cluster_maturity,
    compare_levels,
    composite_scores,
    maturity_features,
    maturity_index,
    municipality_context,
)
from ..overview import project_coverage, rule_compliance
from ..savings import annual_effect, pool_savings, project_savings, target_attainment
from ..text import Refusal
from .cache import dataset_hash, entry_key, load_entry, store_entry
from .config import AnalysisConfig

__all__ = ["Analysis", "analyse"]

# the tables of an Analysis, in the order they are computed and stored
_TABLES = (
    "savings",
    "pooled_municipality",
    "pooled_region",
    "annual_project",
    "annual_municipality",
    "annual_region",
    "attainment_project",
    "attainment_municipality",
    "attainment_region",
    "coverage",
    "compliance",
    "features",
    "context",
    "index",
    "scores",
    "effects_overall",
    "effects_service",
    "effects_cohort",
    "effects_event",
    "effects_units",
    "effects_notes",
)
#: the effects tables of an Analysis and the ServiceEffects attribute each holds
_EFFECTS = {
    "effects_overall": ("overall", OVERALL_EFFECT_COLUMNS),
    "effects_service": ("by_service", SERVICE_EFFECT_COLUMNS),
    "effects_cohort": ("by_cohort", COHORT_EFFECT_COLUMNS),
    "effects_event": ("event_study", EVENT_COLUMNS),
    "effects_units": ("units", UNIT_COLUMNS),
    "effects_notes": ("notes", NOTE_COLUMNS),
}


@dataclass(frozen=True)
class Analysis:
    """Everything the toolkit reports about one dataset under one configuration.

    Computed results carry no language: labels, names and formatting are applied where things
    are shown (command line, notebooks, report, Excel).

    Attributes
    ----------
    config : AnalysisConfig
    key : str
        Hash of the data, the configuration and the package source (the cache key).
    savings : pandas.DataFrame
        One row per project (:func:`effmuni.project_savings`) with its ``start_date``,
        ``planned_end`` and ``actual_end``.
    pooled_municipality, pooled_region : pandas.DataFrame
        :func:`effmuni.pool_savings` per municipality and for the region.
    annual_project, annual_municipality, annual_region : pandas.DataFrame
        :func:`effmuni.annual_effect` at each level.
    attainment_project, attainment_municipality, attainment_region : pandas.DataFrame
        :func:`effmuni.target_attainment` at each level.
    coverage, compliance : pandas.DataFrame
        :func:`effmuni.project_coverage` and :func:`effmuni.rule_compliance`.
    features, context : pandas.DataFrame
        :func:`effmuni.maturity_features` and :func:`effmuni.municipality_context`.
    maturity : MaturityResult or None
        The maturity grouping (:func:`effmuni.cluster_maturity`); None when the data cannot
        support one (too few municipalities): ``notes`` says why.
    index : pandas.DataFrame
        The rule-based index (:func:`effmuni.maturity_index`), without level names.
    scores : pandas.DataFrame
        The composite score per municipality with a bootstrap interval over the features
        (:func:`effmuni.composite_scores`): what the surfaces show when there are no groups.
    comparison : LevelComparison or None
        Groups versus the index (:func:`effmuni.compare_levels`).
    effects_overall, effects_service, effects_cohort, effects_event, effects_units, effects_notes : pandas.DataFrame
        The causal effect of projects on service statistics (:func:`effmuni.service_effects`
        with ``config.did_control``, ``confidence`` and ``seed``): overall, by service, by
        cohort, by months since implementation, per municipality-service, and its notes.
        Empty (with a line in ``notes``) when the data hold no service statistics or they
        cannot be analysed; :attr:`effects` gives them as one object.
    notes : tuple of str
        What could not be computed and why (English; shown translated by the surfaces).
    """

    config: AnalysisConfig
    key: str
    savings: pd.DataFrame
    pooled_municipality: pd.DataFrame
    pooled_region: pd.DataFrame
    annual_project: pd.DataFrame
    annual_municipality: pd.DataFrame
    annual_region: pd.DataFrame
    attainment_project: pd.DataFrame
    attainment_municipality: pd.DataFrame
    attainment_region: pd.DataFrame
    coverage: pd.DataFrame
    compliance: pd.DataFrame
    features: pd.DataFrame
    context: pd.DataFrame
    maturity: MaturityResult | None
    index: pd.DataFrame
    scores: pd.DataFrame
    comparison: LevelComparison | None
    effects_overall: pd.DataFrame
    effects_service: pd.DataFrame
    effects_cohort: pd.DataFrame
    effects_event: pd.DataFrame
    effects_units: pd.DataFrame
    effects_notes: pd.DataFrame
    notes: tuple[str, ...] = ()

    @property
    def effects(self) -> ServiceEffects | None:
        """The causal effects as a :class:`~effmuni.effects.ServiceEffects` (None when not
        computed: ``notes`` says why)."""
        if self.effects_overall.empty:
            return None
        return ServiceEffects.from_tables(
            {attr: getattr(self, name) for name, (attr, _) in _EFFECTS.items()}
        )

    def savings_tables(self, by: str = "project") -> dict[str, pd.DataFrame]:
        """The savings tables at one level: ``"project"``, ``"municipality"`` or ``"region"``.

        ``"project"`` gives ``savings``, ``annual`` and ``attainment``; the other levels give
        ``pooled``, ``annual`` and ``attainment``.
        """
        if by not in ("project", "municipality", "region"):
            raise ValueError(f"by must be project, municipality or region, not {by!r}")
        first = (
            ("savings", self.savings)
            if by == "project"
            else (
                "pooled",
                getattr(self, f"pooled_{by}"),
            )
        )
        return {
            first[0]: first[1],
            "annual": getattr(self, f"annual_{by}"),
            "attainment": getattr(self, f"attainment_{by}"),
        }

    def scope(self, municipality: str | None = None) -> dict[str, pd.DataFrame]:
        """The savings tables of the region, or of one municipality.

        Returns ``savings`` (projects), ``pooled`` (per municipality), ``total`` (the pooled
        estimate of the scope: the region, or the municipality's own row), ``annual`` (per
        municipality), ``annual_total`` and ``attainment`` (per municipality). With
        ``municipality`` None or ``"all"`` the scope is the whole region.
        """
        if municipality in (None, "all"):
            return {
                "savings": self.savings,
                "pooled": self.pooled_municipality,
                "total": self.pooled_region,
                "annual": self.annual_municipality,
                "annual_total": self.annual_region,
                "attainment": self.attainment_municipality,
            }
        known = set(self.features.index) | set(self.coverage["municipality_id"])
        if municipality not in known:
            raise Refusal(
                "err_unknown_municipality", id=repr(municipality), known=", ".join(sorted(known))
            )

        def rows(frame: pd.DataFrame) -> pd.DataFrame:
            return frame.loc[frame["municipality_id"] == municipality].reset_index(drop=True)

        pooled, annual = rows(self.pooled_municipality), rows(self.annual_municipality)
        return {
            "savings": rows(self.savings),
            "pooled": pooled,
            "total": pooled.drop(columns="municipality_id"),
            "annual": annual,
            "annual_total": annual.drop(columns="municipality_id"),
            "attainment": rows(self.attainment_municipality),
        }

    def municipality(self, municipality_id: str) -> dict[str, object]:
        """The slice of one municipality: its projects, quarters, totals and maturity group."""

        def rows(frame: pd.DataFrame) -> pd.DataFrame:
            return frame.loc[frame["municipality_id"] == municipality_id].reset_index(drop=True)

        return {
            "savings": rows(self.savings),
            "coverage": rows(self.coverage),
            "annual": rows(self.annual_municipality),
            "attainment": rows(self.attainment_municipality),
            "pooled": rows(self.pooled_municipality),
            "level": None
            if self.maturity is None
            else int(self.maturity.levels.get(municipality_id, 0)) or None,
        }


def analyse(dataset, config: AnalysisConfig | None = None, *, cache: bool = True) -> Analysis:
    """Compute every figure the toolkit reports, once, under one configuration.

    Project savings, pooled and annual figures, target attainment, the one-project-a-quarter
    rule, the maturity grouping and the rule-based index. The command line, the municipality
    report, the batch and the notebooks all take their numbers from here, so they agree.

    Parameters
    ----------
    dataset : Dataset
        From :func:`effmuni.load_dataset`.
    config : AnalysisConfig, optional
        Every option; the defaults when omitted.
    cache : bool, default True
        Reuse (and store) the result in ``$EFFMUNI_CACHE/analysis``, keyed by a hash of the
        data, the configuration and the package source, so a batch of reports computes the
        region once and a code change never serves old numbers.

    Returns
    -------
    Analysis

    Examples
    --------
    >>> import effmuni as em
    >>> a = em.analyse(em.load_dataset(), em.AnalysisConfig(n_boot=200), cache=False)
    >>> len(a.savings) == len(em.load_dataset().projects)
    True
    >>> a.maturity.k == a.maturity.levels.nunique()
    True
    """
    config = AnalysisConfig() if config is None else config
    if not isinstance(config, AnalysisConfig):
        raise TypeError(f"config must be an AnalysisConfig, not {type(config).__name__}")
    key = entry_key("analysis", dataset_hash(dataset), config.as_dict())
    if cache:
        hit = load_entry("analysis", key)
        if hit is not None:
            restored = _restore(config, key, *hit)
            if restored is not None:
                return restored
    tables, maturity = _compute(dataset, config)
    if cache:
        store_entry("analysis", key, *_storable(tables, maturity))
    return _assemble(config, key, tables, maturity)


def _compute(dataset, c: AnalysisConfig) -> tuple[dict[str, pd.DataFrame], MaturityResult | None]:
    boot = {"confidence": c.confidence, "n_boot": c.n_boot, "seed": c.seed}
    common = {"include_regulation_baselines": c.include_regulation_baselines}
    sav = project_savings(dataset, **boot)
    dates = dataset.projects[["project_id", "start_date", "planned_end", "actual_end"]]
    sav = sav.merge(dates, on="project_id", how="left")
    t: dict[str, pd.DataFrame] = {"savings": sav}
    for level, key in (("municipality", "municipality_id"), ("region", None)):
        t[f"pooled_{level}"] = pool_savings(sav, by=key, **boot, **common)
    for level, key in (
        ("project", "project_id"),
        ("municipality", "municipality_id"),
        ("region", None),
    ):
        t[f"annual_{level}"] = annual_effect(sav, dataset, by=key, **boot, **common)
        t[f"attainment_{level}"] = target_attainment(sav, by=key, **common)
    t["coverage"] = project_coverage(dataset)
    t["compliance"] = rule_compliance(t["coverage"])
    # maturity as of the extract date by default: units merged away by then are folded into
    # their successors, so every surface counts the municipalities that exist
    extract = getattr(dataset, "extract_date", None)
    as_of = c.as_of or (None if extract is None else f"{extract:%Y-%m-%d}")
    t["features"] = maturity_features(dataset, as_of=as_of, merged=c.merged)
    t["context"] = municipality_context(dataset, as_of=as_of, merged=c.merged)
    try:
        maturity = cluster_maturity(
            t["features"], k=c.k, method=c.method, seed=c.seed, n_boot=c.maturity_n_boot
        )
    except ValueError as e:  # too few municipalities for a grouping: the rest still stands
        maturity = None
        t["notes"] = pd.DataFrame({"note": [f"maturity grouping not computed: {e}"]})
    index = maturity_index(t["features"])
    t["index"] = index.drop(columns=["index_level_name"], errors="ignore")
    if maturity is not None:
        n = max(10 * c.maturity_n_boot, 200)
        t["scores"] = composite_scores(maturity, n_boot=n, confidence=c.confidence, seed=c.seed)
    else:
        t["scores"] = pd.DataFrame(
            columns=list(SCORE_COLUMNS), index=pd.Index([], name="municipality_id")
        ).astype("float64")
    t.update(_effects(dataset, c, t))
    return t, maturity


def _effects(dataset, c: AnalysisConfig, t: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The effects tables, or empty ones (and a note) when they cannot be computed."""
    try:
        fx = service_effects(
            dataset, control=c.did_control, confidence=c.confidence, seed=c.seed
        ).tables()
    except DataError as e:  # no statistics, or none usable: the rest still stands
        note = pd.DataFrame({"note": [f"causal effects on service statistics not computed: {e}"]})
        t["notes"] = pd.concat([t["notes"], note], ignore_index=True) if "notes" in t else note
        return {
            name: pd.DataFrame({col: pd.Series(dtype="object") for col in cols})
            for name, (_, cols) in _EFFECTS.items()
        }
    return {name: fx[attr] for name, (attr, _) in _EFFECTS.items()}


def _assemble(c, key, tables, maturity) -> Analysis:
    tables = dict(tables)
    notes = tables.pop("notes", None)
    notes = () if notes is None else tuple(notes["note"].astype(str))
    comparison = None if maturity is None else compare_levels(maturity, tables["index"])
    return Analysis(
        config=c, key=key, maturity=maturity, comparison=comparison, notes=notes, **tables
    )


# --------------------------------------------------------------------------- storage
# The maturity grouping is stored as its tables; its fitted scikit-learn model is not data, so
# on reading the (deterministic, millisecond) fit is redone with the stored k and every other
# attribute (stability bootstrap, k selection, …) is restored from the cache.


def _frame_out(value) -> tuple[pd.DataFrame, dict]:
    """A value as a Parquet-ready frame plus what is needed to restore it exactly."""
    if isinstance(value, np.ndarray):
        return pd.DataFrame({"value": value}), {"type": "array"}
    if isinstance(value, pd.Series):
        info = {"type": "series", "name": value.name}
        value = value.to_frame(name="value")
    else:
        info = {"type": "frame"}
    cols = list(value.columns)
    if not all(isinstance(col, str) for col in cols):
        info["columns"] = [c.item() if hasattr(c, "item") else c for c in cols]
        value = value.set_axis([str(col) for col in cols], axis=1)
    return value, info


def _frame_in(frame: pd.DataFrame, info: dict):
    if "columns" in info:
        frame = frame.set_axis(info["columns"], axis=1)
    if info["type"] == "array":
        return frame["value"].to_numpy()
    if info["type"] == "series":
        return frame["value"].rename(info["name"])
    return frame


def _storable(tables: dict[str, pd.DataFrame], maturity: MaturityResult | None):
    out: dict[str, pd.DataFrame] = {}
    infos: dict[str, dict] = {}
    for name, frame in tables.items():
        out[name], infos[name] = _frame_out(frame)
    if maturity is None:
        return out, {"frames": infos, "maturity": None}
    scalars = {}
    for f in dataclasses.fields(maturity):
        if f.name == "model" or f.name.startswith("_") or f.name == "features":
            continue
        value = getattr(maturity, f.name)
        if isinstance(value, pd.DataFrame | pd.Series | np.ndarray):
            out[f"maturity.{f.name}"], infos[f"maturity.{f.name}"] = _frame_out(value)
        elif value is None or isinstance(value, str | int | float | bool | np.generic):
            scalars[f.name] = value.item() if isinstance(value, np.generic) else value
    return out, {"frames": infos, "maturity": scalars}


def _tables_of(result: Analysis) -> dict[str, pd.DataFrame]:
    """The result tables of an analysis, by name (with its notes, if any, as a table)."""
    tables = {name: getattr(result, name) for name in _TABLES}
    if result.notes:
        tables["notes"] = pd.DataFrame({"note": list(result.notes)})
    return tables


def _restore(config, key, frames: dict[str, pd.DataFrame], meta: dict) -> Analysis | None:
    try:
        infos = meta["frames"]
        names = [*_TABLES, *(["notes"] if "notes" in frames else [])]
        tables = {name: _frame_in(frames[name], infos[name]) for name in names}
        if meta["maturity"] is None:
            return _assemble(config, key, tables, None)
        stored = {
            name.split(".", 1)[1]: _frame_in(frame, infos[name])
            for name, frame in frames.items()
            if name.startswith("maturity.")
        }
        scalars = meta["maturity"]
        fit = cluster_maturity(
            tables["features"],
            k=int(scalars["k"]),
            method=scalars["method"],
            seed=int(scalars["seed"]),
            n_boot=0,
        )
        names = {f.name for f in dataclasses.fields(fit)}
        changes = {k: v for k, v in {**scalars, **stored}.items() if k in names}
        maturity = dataclasses.replace(fit, **changes)
    except (KeyError, ValueError, TypeError):
        return None
    return _assemble(config, key, tables, maturity)
