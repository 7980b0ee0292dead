"""The analysis of a partitioned dataset once per region on a real Dask LocalCluster: the same
numbers as an in-process analysis of the region, a corrupt partition quarantined while the
other regions go on, and a worker killed mid-task whose region is computed again elsewhere
without being duplicated or lost."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import effmuni as em
from effmuni.analysis.regions import (
    REGION_COLUMNS,
    analyse_regions,
    dataset_regions,
    load_region,
    national_rollup,
    region_folder,
)

distributed = pytest.importorskip("distributed")

CONFIG = em.AnalysisConfig(n_boot=100, maturity_n_boot=0)
REPORT = Path(__file__).resolve().parents[1] / "notebooks" / "municipality_report.ipynb"
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def _cluster(**kw):
    return distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",  # no fixed port (8787 may be taken)
        **kw,
    )


def _leftovers(out) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith("."))


class _Killer(threading.Thread):
    """Kills (SIGKILL) the first worker seen running a region, two seconds into the task."""

    def __init__(self, address: str):
        super().__init__(daemon=True)
        self.address = address
        self.killed: tuple[int, str] | None = None  # (pid, task key)

    def run(self):
        with distributed.Client(self.address) as client:
            pids = client.run(os.getpid)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                for worker, keys in client.processing().items():
                    regions = [k for k in keys if str(k).startswith("effmuni-region-")]
                    if regions:
                        time.sleep(2.0)
                        os.kill(pids[worker], signal.SIGKILL)
                        self.killed = (pids[worker], str(regions[0]))
                        return
                time.sleep(0.05)


def test_a_killed_worker_is_replaced_and_every_region_is_computed_once(federal, tmp_path):
    data, summary = federal
    out = tmp_path / "analysis"
    with _cluster(memory_limit="4GiB") as cluster:
        killer = _Killer(cluster.scheduler_address)
        killer.start()
        result = analyse_regions(
            data,
            CONFIG,
            output_dir=out,
            scheduler=cluster.scheduler_address,
            lang="en",
            progress=False,
        )
        killer.join(timeout=5)
    assert killer.killed is not None, "no worker was seen running a region"
    killed_pid, _ = killer.killed
    assert list(result.columns) == list(REGION_COLUMNS)
    assert result["region_id"].tolist() == [1, 2, 21] == dataset_regions(data)
    assert set(result["status"]) == {"ok"}
    assert killed_pid not in set(result["worker"])  # its region was finished by another worker
    # one folder per region, nothing half-written, the summary on disk equals the one returned
    assert sorted(p.name for p in out.glob("region_id=*")) == [
        "region_id=01",
        "region_id=02",
        "region_id=21",
    ]
    assert _leftovers(out) == []
    on_disk = pd.read_csv(out / "regions.csv")
    assert on_disk["status"].tolist() == ["ok", "ok", "ok"]
    for rid in (1, 2, 21):
        n = summary["rows_by_region"][rid]
        row = result.set_index("region_id").loc[rid]
        assert row["n_municipalities"] == n["municipalities"]
        assert row["n_projects"] == n["projects"]
        assert row["n_cases"] == n["cases"]

    # the same numbers as analysing the region in this process
    ds = em.load_dataset(data, region=2)
    here = em.analyse(ds, CONFIG, cache=False)
    there = load_region(out, 2)
    assert there.key == here.key
    pd.testing.assert_frame_equal(there.savings, here.savings)
    pd.testing.assert_frame_equal(there.pooled_region, here.pooled_region)
    pd.testing.assert_frame_equal(there.effects_overall, here.effects_overall)
    assert (there.maturity is None) == (here.maturity is None)
    if here.maturity is not None:
        pd.testing.assert_series_equal(there.maturity.levels, here.maturity.levels)

    # the national roll-up joins the regions' results, one row per project and per unit
    rolled = national_rollup(out)
    assert len(rolled["savings"]) == sum(
        summary["rows_by_region"][r]["projects"] for r in (1, 2, 21)
    )
    assert rolled["savings"]["project_id"].is_unique
    assert rolled["savings"].groupby("region_id").size().to_dict() == {
        r: summary["rows_by_region"][r]["projects"] for r in (1, 2, 21)
    }
    per_unit = rolled["index"].groupby("region_id")["municipality_id"].nunique()
    assert per_unit.loc[2] == len(here.index)
    assert set(rolled["effects_overall"]["region_id"]) <= {1, 2, 21}
    # the national effect: the regions' effects pooled, DerSimonian-Laird by hand
    regional = rolled["effects_overall"]
    y, v = regional["att"].to_numpy(), regional["se"].to_numpy() ** 2
    w = 1 / v
    q = (w * (y - (w * y).sum() / w.sum()) ** 2).sum()
    tau2 = max(0.0, (q - (len(y) - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    w_re = 1 / (v + tau2)
    national = rolled["effects_national"].iloc[0]
    assert national["n_regions"] == len(y) == 3
    assert national["att"] == pytest.approx((w_re * y).sum() / w_re.sum(), rel=1e-9)
    assert national["tau2"] == pytest.approx(tau2, abs=1e-12)
    assert national["att_low"] < national["att"] < national["att_high"]
    assert national["reduction_pct"] == pytest.approx(100 * (1 - np.exp(national["att"])))


def test_bad_partitions_are_quarantined_and_the_rest_goes_on(federal, tmp_path):
    data, _ = federal
    copy = tmp_path / "fed"
    shutil.copytree(data, copy)
    bad = copy / "institutions" / "region_id=01" / "part-0.parquet"
    bad.write_bytes(b"not parquet at all" * 20)  # region 1: a file that cannot be read
    stats = copy / "service_stats" / "region_id=02" / "part-0.parquet"
    table = pq.read_table(stats)
    n_completed = table["n_completed"].to_pylist()
    n_completed[7] = -5  # region 2: one invalid row
    column = table.schema.get_field_index("n_completed")
    pq.write_table(table.set_column(column, "n_completed", pa.array(n_completed)), stats)
    out = tmp_path / "analysis"
    config = em.AnalysisConfig(n_boot=0, maturity_n_boot=0)
    result = analyse_regions(
        copy, config, output_dir=out, regions=[1, 2, 21], workers=2, lang="en", progress=False
    ).set_index("region_id")
    assert result["status"].to_dict() == {1: "quarantined", 2: "quarantined", 21: "ok"}
    assert "institutions/region_id=01/part-0.parquet" in result.loc[1, "error"]
    assert result.loc[21, "error"] == "" and result.loc[21, "n_rejected"] == 0
    assert result.loc[2, "n_rejected"] == 1
    assert result.attrs["memory_limit"] == 4 * 2**30
    # the reasons are kept, file by file, and the rejected rows with theirs
    problems = pd.read_csv(out / "quarantine" / "region_id=01.csv")
    assert "read_bad_parquet" in set(problems["code"])
    rows = pd.read_csv(out / "quarantine" / "region_id=02" / "service_stats.quarantine.csv")
    assert len(rows) == 1 and rows["n_completed"].iloc[0] == -5 and rows["_problems"].iloc[0]
    assert not region_folder(out, 1).exists() and not region_folder(out, 2).exists()
    # the reason in a few words: how many problems, the first, and where the rest are
    reason = result.loc[2, "error"]
    assert reason.startswith(f"{len(pd.read_csv(out / 'quarantine' / 'region_id=02.csv'))} ")
    assert "service_stats/region_id=02/part-0.parquet, row 9, column 'n_completed'" in reason
    assert reason.endswith(
        "Every problem is in quarantine/region_id=02.csv, the rejected rows with their reasons "
        "in quarantine/region_id=02/"
    )
    assert "--quarantine" not in reason  # the command's option does not apply here
    assert region_folder(out, 21).is_dir()
    with pytest.raises(FileNotFoundError):
        load_region(out, 1)
    # leniency leaves out rows, not tables: region 1 stays in quarantine
    lenient = analyse_regions(
        copy, config, output_dir=out, regions=[1], workers=1, strict=False, progress=False
    )
    assert lenient["status"].tolist() == ["quarantined"]
    # region 1 repaired; region 2 analysed on its accepted rows (lenient): the quarantine of
    # region 1 goes, region 2's rejected row stays in the quarantine with its reason
    shutil.copy(data / "institutions" / "region_id=01" / "part-0.parquet", bad)
    again = analyse_regions(
        copy, config, output_dir=out, regions=[1, 2], workers=2, strict=False, progress=False
    ).set_index("region_id")
    assert again["status"].to_dict() == {1: "ok", 2: "ok"}
    assert again["n_rejected"].to_dict() == {1: 0, 2: 1}
    assert not (out / "quarantine" / "region_id=01.csv").exists()
    assert (out / "quarantine" / "region_id=02" / "service_stats.quarantine.csv").is_file()
    index = pd.read_parquet(out / "municipalities.parquet")
    assert set(index["region_id"]) == {1, 2, 21} and index["municipality_id"].is_unique


def test_the_analyse_command(federal, tmp_path):
    data, _ = federal
    run = [sys.executable, "-m", "effmuni", "analyse"]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [*run, str(data), "--out", str(tmp_path / "a"), "--regions", "21", "--n-boot", "0"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "Регионов: 1; рассчитано 1, в карантине 0, с ошибкой 0" in done.stdout
    assert "Бюджет памяти на рабочий процесс: 4,0 ГиБ" in done.stdout
    assert "Traceback" not in done.stderr
    assert (tmp_path / "a" / "region_id=21" / "meta.json").is_file()

    # a report of the federal run reads its region's results only, and says what the report
    # of the regional sample says (Chuvashia, region 21, is the regional sample)
    ds, analysis = em.report_inputs("kanash", analysis_dir=str(tmp_path / "a"))
    assert ds.cases.empty and ds.service_stats.empty and len(ds.municipalities) == 26
    federal_report = em.municipality_report(ds, "kanash", analysis=analysis)
    regional = em.municipality_report(
        em.load_dataset(), "kanash", config=em.AnalysisConfig(n_boot=0), cache=False
    )
    for part in ("title_md", "lead_md", "projects_md", "savings_md", "effects_md", "maturity_md"):
        assert getattr(federal_report, part)() == getattr(regional, part)()
    summary = em.run_batch(
        REPORT,
        ["kanash"],
        output_dir=tmp_path / "reports",
        analysis_dir=tmp_path / "a",
        jobs=1,
        progress=False,
    )
    assert summary["status"].tolist() == ["ok"], summary["error"].tolist()
    page = (tmp_path / "reports" / "kanash.html").read_text(encoding="utf-8")
    assert federal_report.name in page
    index = (tmp_path / "reports" / "index.html").read_text(encoding="utf-8")
    assert "Эффективный регион: федеральная сводка" in index and 'href="kanash.html"' in index
    with pytest.raises(ValueError, match="unknown municipality"):
        em.report_inputs("nowhere", analysis_dir=str(tmp_path / "a"))
    # a dataset that is not partitioned, and a region it does not have: one line each,
    # refused before anything runs (exit code 2, as every refusal)
    flat = subprocess.run(
        [*run, str(SAMPLE), "--out", str(tmp_path / "b"), "--lang", "en"],
        capture_output=True,
        text=True,
    )
    assert flat.returncode == 2 and "is not a dataset partitioned by region" in flat.stderr
    unknown = subprocess.run(
        [*run, str(data), "--out", str(tmp_path / "b"), "--regions", "5"],
        capture_output=True,
        text=True,
    )
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == "effmuni analyse: в наборе нет регионов 5; есть: 1, 2, 21"
    assert not (tmp_path / "b").exists()


def test_the_memory_budget_is_enforced(federal, tmp_path):
    """A region that needs more than its worker's budget: Dask's nanny restarts the worker each
    time it goes past 95 % of it, and after the allowed attempts the region fails with a
    message saying so, in the user's language; no result is written for it."""
    data, _ = federal
    out = tmp_path / "analysis"
    result = analyse_regions(
        data,
        em.AnalysisConfig(n_boot=0, maturity_n_boot=0),
        output_dir=out,
        regions=[21],
        workers=1,
        memory_limit="300MiB",  # a worker with effmuni imported and a region loaded needs more
        progress=False,
    )
    assert result["status"].tolist() == ["failed"]
    assert result.attrs["memory_limit"] == 300 * 2**20
    error = result["error"].iloc[0]
    assert "бюджета памяти (0,3 ГиБ на процесс)" in error and "попыток: 4" in error
    assert not region_folder(out, 21).exists() and _leftovers(out) == []
