"""The shape of the package: subpackages, private helpers kept private, files of sane size."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import effmuni as em

SRC = Path(em.__file__).parent
MAX_LINES = 600

# every public name of effmuni at the time of the "one house" reshaping: none may disappear
PUBLIC_BEFORE = {
    "TABLES", "DataError", "Dataset", "EventLogError", "LevelComparison", "MunicipalityReport",
    "MaturityResult", "ValidationReport", "__version__", "annual_effect", "case_timings",
    "cluster_maturity", "compare_levels", "data_dictionary", "describe_saving",
    "describe_work_wait", "estimate_savings", "is_workday", "lead_time_summary", "load_dataset",
    "log_summary", "map_savings", "maturity_definitions", "maturity_features", "maturity_index",
    "maturity_index_levels", "municipality_report", "municipality_context", "passport_savings",
    "period_lead_times", "pool_savings", "project_coverage", "project_savings",
    "read_event_log", "resolve_path", "rule_compliance", "run_batch", "sample_path", "split_at",
    "target_attainment", "validate", "workdays_between", "xmr",
}  # fmt: skip


def _modules():
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield path, ["effmuni", *parts]


def _package_of(dotted: list[str]) -> str:
    """The top-level unit a module belongs to: ``effmuni.savings`` for effmuni.savings.cases."""
    return ".".join(dotted[:2])


def _resolve(module: list[str], is_pkg: bool, node: ast.ImportFrom) -> list[str]:
    if node.level == 0:
        return (node.module or "").split(".")
    base = module if is_pkg else module[:-1]
    base = base[: len(base) - (node.level - 1)]
    return base + (node.module.split(".") if node.module else [])


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _crossings():
    found = []
    for path, module in _modules():
        is_pkg = path.name == "__init__.py"
        mine = _package_of(module)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            target = _resolve(module, is_pkg, node)
            if not target or target[0] != "effmuni":
                continue
            if _package_of(target) == mine:
                continue
            private_module = any(_private(p) for p in target[1:])
            private_names = [a.name for a in node.names if _private(a.name)]
            if private_module or private_names:
                names = ", ".join(a.name for a in node.names)
                found.append(f"{path.relative_to(SRC)}: from {'.'.join(target)} import {names}")
    return found


def test_no_private_name_crosses_a_package_border():
    assert _crossings() == []


def test_the_checker_sees_a_crossing():
    # the rule itself must be able to fail: a fake module importing a private helper
    fake = ast.parse("from .savings._bootstrap import _mean_interval\n").body[0]
    target = _resolve(["effmuni", "report"], False, fake)
    assert _package_of(target) == "effmuni.savings" != _package_of(["effmuni", "report"])
    assert target[2].startswith("_")


@pytest.mark.parametrize("path", [p for p, _ in _modules()], ids=lambda p: p.name)
def test_no_source_file_is_too_long(path):
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{path.relative_to(SRC)} has {n} lines (split it by topic)"


def test_subpackages_exist():
    for name in ("io", "savings", "maturity", "cli", "analysis", "synth", "text"):
        assert (SRC / name / "__init__.py").is_file(), name


def test_public_names_are_kept_and_exported():
    assert PUBLIC_BEFORE <= set(em.__all__)
    for name in em.__all__:
        assert hasattr(em, name), name


def test_column_contracts_are_exported():
    contracts = [n for n in em.__all__ if n.endswith("_COLUMNS")]
    assert contracts, "the *_COLUMNS contracts are part of the public surface"
    for name in contracts:
        cols = getattr(em, name)
        assert isinstance(cols, tuple) and all(isinstance(c, str) for c in cols), name


def _public_callables():
    import importlib
    import inspect
    import pkgutil

    seen = set()
    mods = [em] + [
        importlib.import_module(m.name)
        for m in pkgutil.walk_packages(em.__path__, "effmuni.")
        if not m.name.endswith("__main__")
    ]
    for mod in mods:
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name, None)
            if inspect.isfunction(obj):
                targets = [(name, obj)]
            elif inspect.isclass(obj):
                targets = [
                    (f"{name}.{n}", f)
                    for n, f in vars(obj).items()
                    if inspect.isfunction(f) and not n.startswith("_")
                ]
            else:
                targets = []
            for qual, f in targets:
                if id(f) not in seen:
                    seen.add(id(f))
                    yield f"{mod.__name__}.{qual}", inspect.signature(f)


def test_options_are_keyword_only_after_the_first_two_arguments():
    late = []
    for name, sig in _public_callables():
        params = [p for p in sig.parameters.values() if p.name not in ("self", "cls")]
        positional = [p for p in params if p.kind == p.POSITIONAL_OR_KEYWORD]
        options = [p for p in positional[2:] if p.default is not p.empty]
        if options:
            late.append(f"{name}{sig}")
    assert late == []


def test_the_readme_architecture_matches_the_tree():
    readme = (SRC.parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- architecture:start -->", 1)[1].split("<!-- architecture:end -->")[0]
    named = set()
    rows = [ln for ln in block.splitlines() if ln.startswith("| `")]
    for line in rows:
        first = line.split("|")[1]
        named |= {n.strip("` /") for n in first.split(",") if n.strip()}
    tree = {
        p.name if p.is_dir() else p.stem
        for p in SRC.iterdir()
        if (p.is_dir() and (p / "__init__.py").exists())
        or (p.suffix == ".py" and not p.name.startswith("_"))
    }
    assert named == tree
