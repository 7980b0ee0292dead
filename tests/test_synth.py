"""The synthetic sample: reproducible byte for byte, valid, internally consistent and varied."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import REPO

import effmuni as em
from effmuni.schema import TABLE_ORDER
from effmuni.synth import QUARTERS, generate, planted_effects, write_sample

SAMPLE = REPO / "data" / "sample"
FILES = [f"{t}.csv" for t in TABLE_ORDER] + ["README.md", "dataset.json"]
MERGED = {"alatyr": "alatyrsky", "kanash": "kanashsky", "shumerlya": "shumerlinsky"}


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    """The sample written from seed 2023 into a fresh folder."""
    out = tmp_path_factory.mktemp("sample")
    paths = write_sample(out, seed=2023)
    assert [p.name for p in paths] == FILES
    return out


@pytest.fixture(scope="module")
def ds(written) -> em.Dataset:
    return em.load_dataset(written)


def lead_time(ds: em.Dataset) -> pd.DataFrame:
    """Passport lead times, one row per project, one column per phase (minutes or workdays)."""
    lt = ds.passport[ds.passport["indicator"] == "lead_time"]
    return lt.pivot_table(index="project_id", columns="phase", values="value", aggfunc="first")


# --------------------------------------------------------------------------- reproducibility


def test_same_seed_gives_identical_bytes(written, tmp_path):
    write_sample(tmp_path, seed=2023)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (written / name).read_bytes(), name


def test_different_seed_gives_different_data(written, tmp_path):
    write_sample(tmp_path, seed=2024)
    # the municipal units are facts, the rest is drawn
    assert (tmp_path / "municipalities.csv").read_bytes() == (
        written / "municipalities.csv"
    ).read_bytes()
    for name in ("institutions.csv", "projects.csv", "passport.csv", "steps.csv", "cases.csv",
                 "service_stats.csv"):  # fmt: skip
        assert (tmp_path / name).read_bytes() != (written / name).read_bytes(), name


def test_committed_sample_is_what_the_cli_writes(written):
    """data/sample equals write_sample(seed=2023) byte for byte (`effmuni sample` reproduces it)."""
    assert sorted(p.name for p in SAMPLE.iterdir()) == sorted(FILES)
    for name in FILES:
        assert (SAMPLE / name).read_bytes() == (written / name).read_bytes(), (
            f"data/sample/{name} is stale: run `effmuni sample --seed 2023 --out data/sample`"
        )


def test_files_are_plain_utf8_csv_with_iso_dates(written):
    for name in FILES:
        raw = (written / name).read_bytes()
        assert not raw.startswith(codecs.BOM_UTF8), name
        assert b"\r" not in raw, name
        raw.decode("utf-8")
    projects = (written / "projects.csv").read_text(encoding="utf-8").splitlines()
    assert projects[0] == (
        "project_id,institution_id,process_name,start_date,planned_end,actual_end,stage,"
        "annual_volume,target_reduction_pct,baseline_method,service_id,implemented_on"
    )
    assert re.search(r",\d{4}-\d{2}-\d{2},\d{4}-\d{2}-\d{2},", projects[1])
    case = (written / "cases.csv").read_text(encoding="utf-8").splitlines()[1]
    assert re.fullmatch(r"P\d{3}-[BA]-\d{4}", case.split(",")[1])
    assert re.search(r",\d{4}-\d{2}-\d{2} \d{2}:\d{2},", case)


def test_generate_returns_what_the_files_hold(ds):
    """Values are rounded before writing, so the files lose nothing of ``generate()``."""
    tables = generate(seed=2023)
    assert list(tables) == list(TABLE_ORDER)
    for name in TABLE_ORDER:
        pd.testing.assert_frame_equal(ds.report.tables[name], tables[name], check_dtype=False)


def test_size_under_10_mb(written):
    assert sum((written / n).stat().st_size for n in FILES) < 10 * 2**20


# --------------------------------------------------------------------------- validity


def test_sample_validates_without_errors_or_warnings(ds):
    report = ds.report
    assert report.ok, report.describe_errors()
    assert report.warnings.empty, report.warnings.to_string()
    assert int(report.counts["rows_rejected"].sum()) == 0


def test_municipalities_are_the_26_units_of_2023(ds):
    m = ds.municipalities.set_index("municipality_id")
    assert len(m) == 26
    assert m["kind"].value_counts().to_dict() == {"municipal_okrug": 21, "city_okrug": 5}
    assert m.loc["cheboksary", "oktmo"] == "97701000"
    assert m.loc["mariinsko-posadsky", "name_ru"] == "Мариинско-Посадский муниципальный округ"
    merged = m[m["successor_id"].notna()]
    assert merged["successor_id"].to_dict() == MERGED
    assert (merged["valid_to"] == pd.Timestamp("2024-12-31")).all()
    assert m["valid_to"].notna().sum() == 3
    assert len(ds.municipalities_as_of("2025-06-30")) == 23


def test_quarters_span_2023q1_to_2025q4(ds):
    pm = ds.project_municipality().merge(
        ds.projects[["project_id", "start_date"]], on="project_id"
    )
    quarters = pm["start_date"].dt.to_period("Q").astype(str)
    assert (quarters.min(), quarters.max()) == (QUARTERS[0], QUARTERS[-1]) == ("2023Q1", "2025Q4")
    # merged city okrugs stop starting projects, and reporting, after 2024Q4
    merged = pm["municipality_id"].isin(list(MERGED))
    assert (pm.loc[merged, "start_date"] <= "2024-12-31").all()
    e = ds.engagement
    assert len(e) == 23 * 12 + 3 * 8
    assert e.loc[e["municipality_id"].isin(list(MERGED)), "quarter"].max() == "2024Q4"
    assert (e["staff_trained"] <= e["staff_total"]).all()
    assert (e["proposals_implemented"] <= e["proposals_submitted"]).all()


def test_project_stages_fit_the_as_of_date(ds):
    p = ds.projects
    assert p["start_date"].max() <= pd.Timestamp("2025-12-31")
    closed = p["stage"] == "closed"
    assert p.loc[closed, "actual_end"].notna().all()
    assert p.loc[~closed, "actual_end"].isna().all()
    assert (p.loc[closed, "actual_end"] <= pd.Timestamp("2025-12-31")).all()
    months = (p["planned_end"] - p["start_date"]).dt.days / 30.44
    assert months.between(2.9, 9.2).all()
    assert (p.loc[closed, "actual_end"] > p.loc[closed, "planned_end"]).any()  # some close late
    # every project has a lead-time baseline and target; sustain/closed also an actual
    lt = lead_time(ds)
    assert lt[["baseline", "target"]].notna().all().all()
    with_actual = set(lt.index[lt["actual"].notna()])
    assert with_actual == set(p.loc[p["stage"].isin(["sustain", "closed"]), "project_id"])


# --------------------------------------------------------------------------- agreement


def test_value_stream_maps_sum_to_the_passport_lead_time(ds):
    """Σ(process_min + wait_min) of each map state equals the matching passport phase (±1 %)."""
    lt = lead_time(ds)
    basis = (
        ds.passport.loc[ds.passport["indicator"] == "lead_time"]
        .groupby("project_id")["basis"]
        .first()
    )
    totals = ds.steps.assign(total=ds.steps["process_min"] + ds.steps["wait_min"])
    totals = totals.groupby(["project_id", "map_state"])["total"].sum()
    phase_of = {"current": "baseline", "target": "target", "actual": "actual"}
    assert totals.index.get_level_values(0).nunique() >= 0.2 * len(ds.projects)
    for (pid, state), total in totals.items():
        assert basis[pid] == "calendar", pid  # maps only for calendar units: minutes compare
        assert total == pytest.approx(lt.loc[pid, phase_of[state]], rel=0.01), (pid, state)
    states = {pid: set(g) for pid, g in ds.steps.groupby("project_id")["map_state"]}
    assert all({"current", "target"} <= s for s in states.values())
    closed = set(ds.projects.loc[ds.projects["stage"] == "closed", "project_id"])
    assert all(("actual" in s) == (pid in closed) for pid, s in states.items())
    n_steps = ds.steps.groupby(["project_id", "map_state"]).size()
    assert n_steps.between(5, 15).all()


def test_case_means_match_the_passport(ds):
    """The mean lead time of a phase's completed cases is within 10 % of the passport value.

    The generator scales each phase's lognormal lead times so that their mean is the passport
    value times ``1 + e`` with ``|e| <= 8 %`` (the gap between a team's measurement and a log
    extract); whole-minute timestamps add well under 1 %. 10 % is that bound plus margin.
    """
    lt = lead_time(ds)
    c = ds.cases.assign(minutes=ds.cases["lead_time_days"] * 24 * 60)
    assert (c["minutes"].dropna() > 0).all()
    stats = c.groupby(["project_id", "phase"])["minutes"].agg(["mean", "median", "size"])
    for (pid, phase), row in stats.iterrows():
        passport = lt.loc[pid, "baseline" if phase == "before" else "actual"]
        assert row["mean"] == pytest.approx(passport, rel=0.10), (pid, phase)
        assert 30 <= row["size"] <= 150
    n_projects = stats.index.get_level_values(0).nunique()
    assert 0.12 * len(ds.projects) <= n_projects <= 0.22 * len(ds.projects)
    # lognormal: right-skewed, mean above median in (nearly) every phase
    assert (stats["mean"] > stats["median"]).mean() >= 0.9
    # open cases only after the project, and only a few
    open_ = c[c["completed"].isna()]
    assert (open_["phase"] == "after").all()
    assert 0 < len(open_) < 0.05 * len(c)


def test_cases_are_received_in_working_hours(ds):
    received = ds.cases["received"]
    assert em.is_workday(received).all()
    minutes = received.dt.hour * 60 + received.dt.minute
    assert minutes.between(8 * 60, 17 * 60).all()
    done = ds.cases["completed"].dropna()
    assert em.is_workday(done).all()
    work = ds.cases.dropna(subset=["work_min"])
    assert len(work) > 0.8 * len(ds.cases)
    assert (work["work_min"] <= work["lead_time_days"] * 24 * 60).all()


def test_units_never_mix_calendar_and_working_days_within_an_indicator(ds):
    dur = ds.passport[ds.passport["basis"].notna()]
    assert (dur.groupby(["project_id", "indicator"])["basis"].nunique() == 1).all()
    units = set(ds.passport.loc[ds.passport["indicator"] == "lead_time", "unit_raw"])
    assert units == {"min", "h", "day", "workday"}


def test_regulation_limit_baselines_are_round_limits(ds):
    p = ds.projects.set_index("project_id")
    reg = p.index[p["baseline_method"] == "regulation_limit"]
    assert 0.05 * len(p) <= len(reg) <= 0.25 * len(p)
    base = ds.passport[
        (ds.passport["indicator"] == "lead_time")
        & (ds.passport["phase"] == "baseline")
        & ds.passport["project_id"].isin(reg)
    ]
    assert (base["value_raw"] == base["value_raw"].round()).all()
    assert (base["stat"] == "single").all() and base["n_obs"].isna().all()
    assert set(base["value_raw"]) <= {3, 5, 7, 10, 14, 15, 30, 45}
    assert (p["baseline_method"] == "measured").mean() > 0.6


# --------------------------------------------------------------------------- variety


def test_cadence_differs_between_municipalities(ds):
    pm = ds.project_municipality().merge(
        ds.projects[["project_id", "start_date"]], on="project_id"
    )
    pm["quarter"] = pm["start_date"].dt.to_period("Q")
    n_quarters = pd.Series(12, index=ds.municipalities["municipality_id"])
    n_quarters[list(MERGED)] = 8
    share = (
        pm.groupby("municipality_id")["quarter"].nunique().reindex(n_quarters.index, fill_value=0)
    )
    share = share / n_quarters
    assert (share >= 0.9).sum() >= 3  # leaders start a project almost every quarter
    assert (share <= 0.6).sum() >= 3  # laggards
    assert (share <= 0.25).sum() >= 1  # and one or two barely start


def test_model_institutions_exist_mostly_local(ds):
    inst = ds.institutions
    levels = inst["model_level"].value_counts()
    assert levels.get("local", 0) > levels.get("regional", 0) > 0
    assert 1 <= levels.get("federal", 0) <= 2
    models = inst[inst["model_level"] != "none"]
    assert models["model_since"].between("2023-01-01", "2025-12-31").all()
    assert inst.loc[inst["model_level"] == "none", "model_since"].isna().all()
    assert inst["municipality_id"].nunique() > models["municipality_id"].nunique() >= 5
    assert set(inst["sector"]) == {
        "administration",
        "mfc",
        "preschool",
        "school",
        "health",
        "social",
        "culture",
        "sport",
        "other",
    }
    per_muni = inst.groupby("municipality_id").size()
    assert per_muni.drop("cheboksary").between(3, 14).all() and per_muni["cheboksary"] >= 18


def test_reductions_mostly_20_to_80_percent_with_failures(ds):
    lt = lead_time(ds).dropna(subset=["actual"])
    reduction = 1 - lt["actual"] / lt["baseline"]
    assert reduction.between(0.2, 0.8).mean() >= 0.75
    assert (reduction <= 0).sum() >= 1  # no change, or worse
    assert np.median(reduction) == pytest.approx(0.45, abs=0.15)


# --------------------------------------------------------------------------- service statistics


def test_service_statistics_draw_from_a_stream_of_their_own(monkeypatch):
    """Changing the statistics' stream changes them and nothing else."""
    from effmuni.synth import _services

    base = generate(seed=2023)
    monkeypatch.setattr(_services, "_STREAM", 2)
    other = generate(seed=2023)
    for name in TABLE_ORDER:
        if name == "service_stats":
            assert not base[name].equals(other[name])
        else:
            pd.testing.assert_frame_equal(base[name], other[name])


def test_projects_name_their_service_and_date_their_implementation(ds):
    p = ds.projects
    linked = p.dropna(subset=["service_id"])
    assert 80 <= len(linked) <= 120
    assert set(linked["service_id"]) == set(ds.service_stats["service_id"])
    # the link follows the process: one process per service
    assert (linked.groupby("service_id")["process_name"].nunique() == 1).all()
    done = p["stage"].isin(["sustain", "closed"])
    assert (
        p.loc[done, "implemented_on"].notna().all() and p.loc[~done, "implemented_on"].isna().all()
    )
    closed = p[p["stage"] == "closed"]
    assert (closed["start_date"] < closed["implemented_on"]).all()
    assert (closed["implemented_on"] < closed["actual_end"]).all()


def test_the_planted_effects_differ_by_service_and_average_to_the_stated_truth(ds):
    truth = planted_effects(ds.report.tables).set_index("service_id")
    per = truth.drop(index="all")
    assert len(per) == 10 and per["effect_log"].nunique() >= 6
    assert per["effect_log"].between(-0.5, -0.05).all()
    expected = (per["effect_log"] * per["n_treated"]).sum() / per["n_treated"].sum()
    assert truth.loc["all", "effect_log"] == pytest.approx(expected)
    assert truth.loc["all", "reduction_pct"] == pytest.approx(100 * (1 - np.exp(expected)))
    assert (per["n_treated"] >= 3).all() and truth.loc["all", "n_treated"] == per[
        "n_treated"
    ].sum()


def test_lead_times_trend_down_and_are_higher_where_projects_go(ds):
    s = ds.service_stats.copy()
    s["y"] = np.log(s["mean_lead_days"])
    first, last = s[s["month"] <= "2023-12"], s[s["month"] >= "2025-01"]
    untreated = ~s.set_index(["municipality_id", "service_id"]).index.isin(
        ds.projects.merge(ds.institutions, on="institution_id")
        .dropna(subset=["service_id"])[["municipality_id", "service_id"]]
        .apply(tuple, axis=1)
    )
    drop = (
        last.loc[untreated[last.index], "y"].mean() - first.loc[untreated[first.index], "y"].mean()
    )
    assert drop == pytest.approx(np.log(0.99) * 24, abs=0.06)  # -1 % a month, 24 months apart
    before = s[s["month"] == "2023-01"].assign(linked=~untreated[s["month"] == "2023-01"])
    gap = before.groupby("linked")["y"].mean()
    assert gap[True] - gap[False] > 0.1  # projects go where lead times are high
