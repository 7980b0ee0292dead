"""Packaging: environment.yml and pyproject.toml agree; the data dictionary is documented."""

from __future__ import annotations

import re
import tomllib

import yaml
from conftest import REPO

import effmuni as em
from effmuni.schema import dictionary_markdown


def _requirement(spec: str) -> tuple[str, str]:
    m = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(.*)", spec)
    assert m, spec
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def test_environment_yml_names_the_same_dependencies_as_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    wanted = dict(_requirement(s) for s in project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted |= dict(_requirement(s) for s in extra)
    env = yaml.safe_load((REPO / "environment.yml").read_text("utf-8"))
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    have = dict(
        _requirement(s.replace("=", "==", 1) if re.fullmatch(r"[\w-]+=[\d.]+", s) else s)
        for s in conda
    )
    assert have.pop("python") == "==3.11"
    assert have.pop("pip") == ""
    assert have == wanted
    assert pip == ["-e ."]
    assert "pm4py" not in wanted  # AGPL: not a dependency


def test_every_dependency_has_a_lower_bound():
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    for spec in project["dependencies"] + project["optional-dependencies"]["test"]:
        assert ">=" in spec, spec


def test_data_readme_holds_the_current_dictionary():
    text = (REPO / "data" / "README.md").read_text("utf-8")
    block = text.split("<!-- dictionary:start -->\n", 1)[1].split("<!-- dictionary:end -->", 1)[0]
    assert block.strip() == dictionary_markdown().strip()


def test_console_script_is_declared():
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["scripts"] == {"effmuni": "effmuni.cli:main"}


def test_one_version_source_and_a_licence_file():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    project = pyproject["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "effmuni.__version__"}
    from importlib.metadata import version

    assert version("effmuni") == em.__version__
    licence = (REPO / "LICENSE").read_text("utf-8")
    assert project["license"] == "MIT" and licence.startswith("MIT License")
    assert project["license-files"] == ["LICENSE"]


def test_make_clean_removes_what_the_makefile_creates():
    import subprocess

    out = subprocess.run(
        ["make", "-n", "clean"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    for made in ("reports", ".cache", ".venv-oldest", "build", "quarantine", ".hypothesis"):
        assert f" {made} " in out or f" {made}\n" in out, made
    makefile = (REPO / "Makefile").read_text("utf-8")
    assert "EFFMUNI_CACHE ?= $(CURDIR)/.cache/effmuni" in makefile
