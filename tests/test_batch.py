"""The batch runner, with real papermill, real kernels, real processes and a real Dask cluster."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from conftest import DATA, REPO, run_cli

import effmuni as em
from effmuni.batch import parse_parameter

MINI = DATA / "mini"


def make_notebook(path: Path, body: str, params: str = "") -> Path:
    """A tiny parameterised notebook: parameters cell, then ``body``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "some-conda-env-that-does-not-exist",
        "display_name": "x",
        "language": "python",
    }
    cell = nbformat.v4.new_code_cell(
        'municipality = "none"\ndata_dir = None\nlang = "ru"\n' + params
    )
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell(body)]
    nbformat.write(nb, path)
    return path


ECHO = """
import json, os, sys
print(json.dumps({"municipality": municipality, "lang": lang, "prefix": sys.prefix, "ppid": os.getppid(),
                  "note": note, "code": code, "when": when}, ensure_ascii=False))
"""
ECHO_PARAMS = 'note = ""\ncode = ""\nwhen = ""\n'


def outputs_json(nb_path: Path) -> dict:
    nb = nbformat.read(nb_path, as_version=4)
    text = "".join(
        o.get("text", "")
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("name") == "stdout"
    )
    return json.loads(text.strip().splitlines()[-1])


@pytest.fixture
def echo_nb(tmp_path):
    return make_notebook(tmp_path / "echo.ipynb", ECHO, ECHO_PARAMS)


def test_success_html_index_and_summaries(echo_nb, tmp_path):
    out = tmp_path / "reports"
    summary = em.run_batch(echo_nb, "all", output_dir=out, jobs=2, data=MINI, progress=False)
    assert list(summary.columns) == [
        "municipality_id",
        "status",
        "seconds",
        "notebook",
        "html",
        "error",
    ]
    assert summary["status"].tolist() == ["ok", "ok", "ok"]
    assert summary["municipality_id"].tolist() == ["cheboksary", "kanashsky", "kanash"]
    for m in summary["municipality_id"]:
        got = outputs_json(out / f"{m}.ipynb")
        assert got["municipality"] == m
        # the python3 kernel of this environment, whatever the notebook's metadata says
        assert got["prefix"] == sys.prefix
        page = (out / f"{m}.html").read_text(encoding="utf-8")
        assert m in page and "import json" not in page  # code cells hidden
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Чебоксары" in index and 'href="kanash.html"' in index
    csv = pd.read_csv(out / "summary.csv")
    assert csv["notebook"].tolist() == ["cheboksary.ipynb", "kanashsky.ipynb", "kanash.ipynb"]
    from openpyxl import load_workbook

    ws = load_workbook(out / "summary.xlsx").active
    assert ws.cell(1, 1).value == "Муниципалитет" and ws.cell(2, 1).value == "Канаш"
    assert not list(out.glob(".*"))  # no temporary files left


def test_failing_municipality_does_not_stop_the_others(tmp_path):
    nb = make_notebook(
        tmp_path / "raises.ipynb",
        'if municipality == "kanashsky":\n    raise ValueError("нет данных для " + municipality)\nprint("ok")',
    )
    out = tmp_path / "r"
    summary = em.run_batch(
        nb, "all", output_dir=out, jobs=2, data=MINI, html=False, progress=False
    ).set_index("municipality_id")
    assert summary.loc["kanashsky", "status"] == "failed"
    assert summary.loc["kanashsky", "error"] == "cell In[3]: ValueError: нет данных для kanashsky"
    assert summary.loc["kanashsky", "notebook"].endswith("kanashsky.failed.ipynb")
    assert not (out / "kanashsky.ipynb").exists()
    assert summary.loc[["cheboksary", "kanash"], "status"].tolist() == ["ok", "ok"]


def test_cli_exit_code_and_failing_cell(tmp_path):
    nb = make_notebook(tmp_path / "raises.ipynb", 'raise RuntimeError("boom")')
    proc = run_cli(
        "batch",
        str(nb),
        "--municipality",
        "kanash",
        "--data",
        str(MINI),
        "--output-dir",
        str(tmp_path / "o"),
        "--jobs",
        "1",
    )
    assert proc.returncode == 1
    assert "kanash" in proc.stdout and "cell In[3]: RuntimeError: boom" in proc.stdout
    assert "Traceback" not in proc.stdout


def test_hung_cell_is_stopped_by_the_timeout(tmp_path):
    nb = make_notebook(
        tmp_path / "hang.ipynb",
        'import time\nif municipality == "kanash":\n    time.sleep(600)\nprint("done")',
    )
    start = time.monotonic()
    summary = em.run_batch(
        nb,
        ["kanash", "cheboksary"],
        output_dir=tmp_path / "o",
        jobs=2,
        data=MINI,
        html=False,
        timeout=8,
        progress=False,
    ).set_index("municipality_id")
    assert time.monotonic() - start < 60
    assert summary.loc["kanash", "status"] == "failed"
    assert "timed out after 8 s" in summary.loc["kanash", "error"]
    assert summary.loc["cheboksary", "status"] == "ok"


@pytest.mark.parametrize("bad", ["../x", "/etc", "", "a/b", "kanash/../../etc"])
def test_unsafe_ids_are_refused_before_anything_runs(echo_nb, tmp_path, bad):
    out = tmp_path / "o"
    with pytest.raises(ValueError, match="refusing unsafe municipality id"):
        em.run_batch(echo_nb, [bad], output_dir=out, data=MINI, progress=False)
    assert not out.exists()


def test_unknown_id_lists_the_known_ones(echo_nb, tmp_path):
    with pytest.raises(
        ValueError, match="unknown municipality id.*nowhere.*the dataset has: cheboksary"
    ):
        em.run_batch(echo_nb, ["nowhere"], output_dir=tmp_path / "o", data=MINI, progress=False)
    proc = run_cli("batch", str(echo_nb), "--municipality", "../x", "--data", str(MINI))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "ошибка: недопустимые коды муниципалитетов: '../x'" in proc.stderr


def _cli(capsys, *args: str) -> tuple[int, str]:
    """The command line run in this process (the code ``python -m effmuni`` runs):
    its exit code and what it wrote to stderr."""
    from effmuni.cli import main

    try:
        code = main(list(args))
    except SystemExit as stop:  # argparse's usage errors
        code = stop.code
    return code, capsys.readouterr().err


def test_refusals_before_anything_runs_speak_the_command_lines_language(
    echo_nb, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("LANG", "C.UTF-8")  # a locale that does not ask for English
    out = tmp_path / "o"
    cases = [  # (arguments, Russian, English): one line each, exit code 2, nothing written
        (
            [str(echo_nb), "--municipality", "nowhere", "--data", str(MINI)],
            "неизвестные коды муниципалитетов: nowhere; в наборе данных есть: cheboksary",
            "unknown municipality id(s) nowhere; the dataset has: cheboksary",
        ),
        (
            [str(tmp_path / "missing.ipynb"), "--data", str(MINI)],
            "блокнот не найден: ",
            "notebook not found: ",
        ),
        (
            [str(echo_nb), "--analysis", str(tmp_path / "nowhere")],
            "нет результатов effmuni analyse (нет файла municipalities.parquet)",
            "no results of effmuni analyse in ",
        ),
        ([str(echo_nb), "--jobs", "0"], "аргумент --jobs: нужно целое число не меньше 1", None),
        ([str(echo_nb), "--timeout", "-5"], "аргумент --timeout: нужно число больше 0", None),
    ]
    for args, ru, en in cases:
        code, err = _cli(capsys, "batch", *args, "--output-dir", str(out))
        assert code == 2 and ru in err and "Traceback" not in err, (args, err)
        if en is not None:
            code, err = _cli(capsys, "--lang", "en", "batch", *args, "--output-dir", str(out))
            assert code == 2 and f"effmuni batch: error: {en}" in err, err
    assert not out.exists()


def test_refusal_is_english_for_the_api_and_survives_pickling():
    import pickle

    from effmuni.text import Refusal

    err = Refusal("batch_err_unsafe_ids", ids="'../x'")
    again = pickle.loads(pickle.dumps(err))
    assert isinstance(again, ValueError) and str(again) == str(err)
    assert str(err).startswith("refusing unsafe municipality id(s) '../x'")
    assert again.message("ru").startswith("недопустимые коды муниципалитетов: '../x'")


def test_an_unreachable_scheduler_is_a_worded_refusal(echo_nb):
    from effmuni.analysis.regions import connect_scheduler
    from effmuni.text import Refusal

    start = time.monotonic()
    with pytest.raises(Refusal) as caught:
        connect_scheduler("tcp://127.0.0.1:9", timeout="1s")  # the discard port: nobody there
    assert time.monotonic() - start < 30
    assert caught.value.message("ru").startswith(
        "нет связи с планировщиком Dask tcp://127.0.0.1:9: "
    )
    assert str(caught.value).startswith("cannot reach the Dask scheduler tcp://127.0.0.1:9: ")
    # the batch says so before it reads any data (here: data that do not exist)
    with pytest.raises(Refusal, match="cannot reach the Dask scheduler nowhere"):
        em.run_batch(echo_nb, "all", data="/nonexistent", scheduler="nowhere", progress=False)


def test_parameters_reach_the_notebook_intact(echo_nb, tmp_path):
    odd = 'он сказал "да", it\'s «ок»\nвторая строка'
    out = tmp_path / "o"
    em.run_batch(
        echo_nb,
        ["kanash"],
        output_dir=out,
        data=MINI,
        html=False,
        progress=False,
        parameters={"note": odd, "code": "0123", "when": "2024-01-01", "lang": "en"},
    )
    got = outputs_json(out / "kanash.ipynb")
    assert (got["note"], got["code"], got["when"], got["lang"]) == (
        odd,
        "0123",
        "2024-01-01",
        "en",
    )
    # and through the command line, where -p values are converted only when exact
    proc = run_cli(
        "batch",
        str(echo_nb),
        "--municipality",
        "cheboksary",
        "--data",
        str(MINI),
        "--output-dir",
        str(out),
        "--jobs",
        "1",
        "--no-html",
        "-p",
        "note",
        'Чебоксары "центр"',
        "-p",
        "code",
        "0123",
        "-p",
        "when",
        "2024-01-01",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    got = outputs_json(out / "cheboksary.ipynb")
    assert (got["note"], got["code"], got["when"]) == ('Чебоксары "центр"', "0123", "2024-01-01")


def test_parse_parameter_is_conservative():
    assert parse_parameter("42") == 42 and parse_parameter("-3") == -3
    assert parse_parameter("0.5") == 0.5 and parse_parameter("1.50") == "1.50"
    assert parse_parameter("007") == "007" and parse_parameter("1e3") == "1e3"
    assert parse_parameter("False") is False and parse_parameter("None") is None


def test_resume_after_a_killed_run(tmp_path, monkeypatch):
    nb = make_notebook(tmp_path / "slow.ipynb", "import time\ntime.sleep(3)\nprint(municipality)")
    out = tmp_path / "o"
    cmd = [
        sys.executable,
        "-m",
        "effmuni",
        "batch",
        str(nb),
        "--data",
        str(MINI),
        "--output-dir",
        str(out),
        "--jobs",
        "1",
    ]
    proc = subprocess.Popen(
        cmd, cwd=REPO, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while not (out / "cheboksary.ipynb").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.5)  # the second municipality is now half-way through its notebook
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    visible = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    # only complete reports: the first one (notebook and html), nothing half-written
    assert visible == ["cheboksary.html", "cheboksary.ipynb"]
    first_mtime = (out / "cheboksary.ipynb").stat().st_mtime

    summary = em.run_batch(
        nb, "all", output_dir=out, jobs=2, data=MINI, resume=True, progress=False
    )
    assert summary.set_index("municipality_id")["status"].to_dict() == {
        "cheboksary": "skipped",
        "kanashsky": "ok",
        "kanash": "ok",
    }
    assert (out / "cheboksary.ipynb").stat().st_mtime == first_mtime
    assert not list(out.glob(".*partial*"))
    # changed parameters make a report stale
    summary = em.run_batch(
        nb,
        ["kanash"],
        output_dir=out,
        data=MINI,
        resume=True,
        progress=False,
        parameters={"lang": "en"},
    )
    assert summary["status"].tolist() == ["ok"]
    # a touched notebook makes every report stale
    os.utime(nb, None)
    summary = em.run_batch(
        nb, "all", output_dir=out, jobs=2, data=MINI, resume=True, progress=False
    )
    assert set(summary["status"]) == {"ok"}
    meta = json.loads((out / "kanash.ipynb").read_text(encoding="utf-8"))["metadata"]
    assert meta["effmuni"]["source_hash"] == em.analysis.source_hash()
    # so does a change of effmuni's own code: its numbers may have changed
    summary = em.run_batch(
        nb, "all", output_dir=out, jobs=2, data=MINI, resume=True, progress=False
    )
    assert set(summary["status"]) == {"skipped"}
    monkeypatch.setattr("effmuni.batch.source_hash", lambda: "edited-code")
    summary = em.run_batch(
        nb, "all", output_dir=out, jobs=2, data=MINI, resume=True, progress=False
    )
    assert set(summary["status"]) == {"ok"}


def test_dask_local_cluster(echo_nb, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        summary = em.run_batch(
            echo_nb,
            "all",
            output_dir=tmp_path / "o",
            data=MINI,
            scheduler=cluster.scheduler_address,
            progress=False,
        )
        with distributed.Client(cluster.scheduler_address) as client:
            worker_pids = set(client.run(os.getpid).values())
    assert summary["status"].tolist() == ["ok", "ok", "ok"]
    assert len(worker_pids) == 2
    # each kernel was started by a Dask worker process, not by this process
    parents = {
        outputs_json(tmp_path / "o" / f"{m}.ipynb")["ppid"] for m in summary["municipality_id"]
    }
    assert parents <= worker_pids and os.getpid() not in parents
    assert outputs_json(tmp_path / "o" / "kanash.ipynb")["municipality"] == "kanash"


def test_refresh_notebook_in_place_is_stable(tmp_path):
    from effmuni.batch import refresh_notebook

    nb = make_notebook(
        tmp_path / "r.ipynb", "import os\nprint(municipality, os.path.basename(os.getcwd()))"
    )
    refresh_notebook(nb)
    first = nb.read_bytes()
    refresh_notebook(nb)
    assert nb.read_bytes() == first  # no timings or paths recorded: a rerun changes nothing
    cells = nbformat.read(nb, as_version=4).cells
    assert cells[1].outputs[0]["text"] == f"none {tmp_path.name}\n"  # kernel ran in the folder
    assert "execution" not in cells[1].metadata
    assert nbformat.read(nb, as_version=4).metadata["kernelspec"]["name"] == "python3"


def test_the_analysis_is_computed_once_before_the_reports(tmp_path, monkeypatch):
    """The batch computes the region's analysis before any kernel starts and stores what the
    reports draw; every report reads it from the cache (the reports' kernels get
    ``EFFMUNI_CACHE``) instead of reading the data and computing it."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("EFFMUNI_CACHE", str(cache))
    out = tmp_path / "o"
    summary = em.run_batch(
        REPO / "notebooks" / "municipality_report.ipynb",
        ["kanash", "cheboksary"],
        output_dir=out,
        jobs=2,
        data=MINI,
        parameters={"n_boot": 100},
        progress=False,
    )
    assert summary["status"].tolist() == ["ok", "ok"]
    entries = list((cache / "analysis").iterdir())
    assert len(entries) == 1
    (inputs,) = (cache / "report-inputs").iterdir()  # what each report reads: its slice
    stored = max((e / "meta.json").stat().st_mtime for e in (entries[0], inputs))
    for m in ("kanash", "cheboksary"):
        meta = json.loads((out / f"{m}.ipynb").read_text(encoding="utf-8"))["metadata"]
        started = pd.Timestamp(meta["papermill"]["start_time"]).timestamp()
        assert stored <= started  # the entry existed before the kernel ran


STATE = """
import json, os, sys, warnings
import matplotlib, pandas as pd
report = {"pid": os.getpid(), "leaked": "leak" in globals(), "count": get_ipython().execution_count,
          "max_rows": pd.get_option("display.max_rows"), "linewidth": matplotlib.rcParams["lines.linewidth"],
          "cwd": os.getcwd() == START}
print(json.dumps(report))
leak = municipality
pd.set_option("display.max_rows", 3)
matplotlib.rcParams["lines.linewidth"] = 7
os.chdir(os.path.dirname(sys.executable))
warnings.warn("shown in every report")
if municipality == fail:
    raise ValueError("failed on purpose")
"""


def test_a_warm_kernel_forgets_the_previous_report(tmp_path):
    """One kernel runs the reports of a worker, each from the state after warming up: nothing a
    report set or defined is seen by the next; a failed report's kernel is replaced."""
    nb = make_notebook(tmp_path / "state.ipynb", STATE, f'fail = ""\nSTART = {os.getcwd()!r}\n')
    out = tmp_path / "o"
    ids = ["cheboksary", "kanashsky", "kanash"]
    summary = em.run_batch(nb, ids, output_dir=out, jobs=1, data=MINI, html=False, progress=False)
    assert summary["status"].tolist() == ["ok"] * 3
    seen = [outputs_json(out / f"{m}.ipynb") for m in ids]
    assert len({s["pid"] for s in seen}) == 1  # one kernel for the three reports
    for s in seen:
        assert s == {**seen[0], "leaked": False, "max_rows": 60, "linewidth": 1.5, "cwd": True}
    for m in ids:
        cells = nbformat.read(out / f"{m}.ipynb", as_version=4).cells
        assert [c.execution_count for c in cells if c.cell_type == "code"] == [1, 2, 3]
        streams = [o for o in cells[-1].outputs if o.get("name") == "stderr"]
        assert "shown in every report" in "".join(o["text"] for o in streams)

    # a failure: the next report runs in a new kernel, as fresh as the first
    summary = em.run_batch(
        nb, ids, output_dir=out, jobs=1, data=MINI, html=False, progress=False,
        parameters={"fail": "kanashsky"},
    )  # fmt: skip
    assert summary["status"].tolist() == ["ok", "failed", "ok"]
    first, last = outputs_json(out / "cheboksary.ipynb"), outputs_json(out / "kanash.ipynb")
    assert first["pid"] != last["pid"] and not last["leaked"] and last["max_rows"] == 60
    assert not list(out.glob(".*"))  # the kernels' logs went with them

    # fresh kernels on request: one a report
    proc = run_cli(
        "batch", str(nb), "--data", str(MINI), "--output-dir", str(out), "--jobs", "1",
        "--no-html", "--fresh-kernels",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len({outputs_json(out / f"{m}.ipynb")["pid"] for m in ids}) == 3


def _kernels_held() -> int:
    from effmuni.batch._warm import _warm_kernels

    return len(_warm_kernels())


def test_a_dask_worker_with_two_threads_gives_each_thread_its_own_kernel(tmp_path):
    """Two reports running at once in one Dask worker (two threads) never share a kernel:
    each thread keeps its own, and every report still starts from the warmed state."""
    distributed = pytest.importorskip("distributed")
    nb = make_notebook(tmp_path / "state.ipynb", STATE, f'fail = ""\nSTART = {os.getcwd()!r}\n')
    out = tmp_path / "o"
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        summary = em.run_batch(
            nb, "all", output_dir=out, data=MINI, html=False, progress=False,
            scheduler=cluster.scheduler_address,
        )  # fmt: skip
        with distributed.Client(cluster.scheduler_address) as client:
            left = client.run(_kernels_held)
    assert summary["status"].tolist() == ["ok"] * 3
    seen = [outputs_json(out / f"{m}.ipynb") for m in summary["municipality_id"]]
    assert len({s["pid"] for s in seen}) == 2  # one kernel per thread
    for s in seen:
        assert not s["leaked"] and s["max_rows"] == 60 and s["linewidth"] == 1.5 and s["cwd"]
    assert list(left.values()) == [0]  # the batch shut the worker's kernels down


def _outputs(path: Path) -> list:
    cells = nbformat.read(path, as_version=4).cells
    return [(c.execution_count, c.outputs) for c in cells if c.cell_type == "code"]


def test_reports_of_warm_kernels_equal_those_of_fresh_ones(tmp_path):
    """The municipality report made in a warm kernel (after other reports) is the one a fresh
    kernel makes: every output, figure bytes included, and the HTML page."""
    ids = ["kanash", "cheboksary", "kanashsky"]
    report = REPO / "notebooks" / "municipality_report.ipynb"
    common = dict(jobs=1, data=MINI, parameters={"n_boot": 200}, progress=False)
    warm = em.run_batch(report, ids, output_dir=tmp_path / "warm", **common)
    fresh = em.run_batch(
        report, ids[::-1], output_dir=tmp_path / "fresh", warm_kernels=False, **common
    )
    assert set(warm["status"]) == set(fresh["status"]) == {"ok"}
    for m in ids:
        assert _outputs(tmp_path / "warm" / f"{m}.ipynb") == _outputs(
            tmp_path / "fresh" / f"{m}.ipynb"
        )
        assert (tmp_path / "warm" / f"{m}.html").read_bytes() == (
            tmp_path / "fresh" / f"{m}.html"
        ).read_bytes()
    figures = [
        o for _, outs in _outputs(tmp_path / "warm" / "kanashsky.ipynb") for o in outs
        if "image/png" in o.get("data", {})
    ]  # fmt: skip
    assert len(figures) >= 2


def test_lang_given_on_the_command_line_reaches_the_reports(
    echo_nb, tmp_path, capsys, monkeypatch
):
    """``--lang en`` switches the reports and the index; the locale alone does not (reports
    are read by officials); ``-p lang`` wins; ``--municipality`` given twice keeps both."""
    monkeypatch.setenv("LANG", "en_US.UTF-8")  # an English terminal: reports stay Russian
    out = tmp_path / "o"
    base = ["batch", str(echo_nb), "--data", str(MINI), "--no-progress", "--jobs", "1"]
    ids = ["--municipality", "cheboksary", "--municipality", "kanash"]
    assert _cli(capsys, *base, *ids, "--output-dir", str(out))[0] == 0
    assert sorted(p.stem for p in out.glob("*.ipynb")) == ["cheboksary", "kanash"]
    assert outputs_json(out / "kanash.ipynb")["lang"] == "ru"
    assert "<title>" + em.text.label("site_title", "ru") in (out / "index.html").read_text()
    out = tmp_path / "en"
    assert _cli(capsys, "--lang", "en", *base, *ids[:2], "--output-dir", str(out))[0] == 0
    assert outputs_json(out / "cheboksary.ipynb")["lang"] == "en"
    assert "<title>" + em.text.label("site_title", "en") in (out / "index.html").read_text()
    out = tmp_path / "p"
    args = [*base, *ids[:2], "-p", "lang", "ru", "--lang", "en", "--output-dir", str(out)]
    assert _cli(capsys, *args)[0] == 0
    assert outputs_json(out / "cheboksary.ipynb")["lang"] == "ru"
