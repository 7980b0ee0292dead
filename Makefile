# effmuni: every target installs what it needs into .venv first.
# `make help` lists the targets.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA   ?= data/sample
PORT   ?= 8888
OLDEST := .venv-oldest
# pytest processes for the unit tests (pytest-xdist; tests of one file stay on one process)
TEST_JOBS ?= 2
# results of `effmuni.analyse` are cached here (keyed by data, options and code); `make clean` empties it
export EFFMUNI_CACHE ?= $(CURDIR)/.cache/effmuni

.DEFAULT_GOAL := help
NBVAL  := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: help setup run test test-unit test-notebooks notebooks browser lint format lab sample bench clean test-oldest fuzz

help: ## List the targets with one line each
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --progress-bar off -e ".[test]"
	$(BIN)/python -m ipykernel install --sys-prefix >/dev/null
	touch $(STAMP)

setup: $(STAMP) ## Create .venv and install effmuni (editable) with its test extras

run: $(STAMP) ## Main job: validate the sample data, then build all municipality reports (HTML + index)
	$(BIN)/effmuni validate $(DATA)
	$(BIN)/effmuni batch notebooks/municipality_report.ipynb --data $(DATA) --output-dir reports --resume

test: lint browser test-unit test-notebooks ## Whole test suite: lint, unit/integration and browser tests, doctests, nbval

test-unit: $(STAMP) ## Unit and integration tests and the docstring examples
	$(BIN)/python -m pytest -q -n $(TEST_JOBS) --dist loadfile --durations=15 --doctest-modules src/effmuni tests

test-notebooks: $(STAMP) ## Re-run the committed notebooks and compare their outputs (nbval, strict)
	EFFMUNI_CACHE=$$(mktemp -d) $(BIN)/python -m pytest -q $(NBVAL) notebooks/

fuzz: $(STAMP) ## Fuzz every reader with hypothesis, a long budget (FUZZ_EXAMPLES per property, default 2000)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_fuzz.py

test-oldest: ## Unit tests against the oldest supported versions (requirements/oldest.txt, .venv-oldest)
	test -x $(OLDEST)/bin/python || $(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install --quiet --upgrade pip
	$(OLDEST)/bin/python -m pip install --quiet --progress-bar off -r requirements/oldest.txt
	$(OLDEST)/bin/python -m pip install --quiet --progress-bar off --no-deps -e .
	$(OLDEST)/bin/python -m ipykernel install --sys-prefix >/dev/null
	$(OLDEST)/bin/python -m pytest -q tests -p no:cacheprovider

notebooks: $(STAMP) ## Re-execute the notebooks in place to refresh their stored outputs
	$(BIN)/effmuni refresh notebooks/*.ipynb

browser: ## Best effort: install Debian's chromium for the browser tests (test_browser, test_lab)
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	    && apt-get update -qq >/dev/null 2>&1 \
	    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 \
	    && echo "installed chromium"; } \
	    || echo "chromium not available: the browser tests (test_browser, test_lab) will be skipped"

lint: $(STAMP) ## Ruff lint and format check
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: $(STAMP) ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

lab: $(STAMP) ## Open JupyterLab on the notebooks (token authentication stays on)
	$(BIN)/jupyter lab --no-browser --ip 127.0.0.1 --port $(PORT) \
	    --ServerApp.root_dir=. $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

sample: $(STAMP) ## Regenerate data/sample from its seed (byte for byte)
	$(BIN)/effmuni sample --seed 2023 --out data/sample

bench: $(STAMP) ## Run the benchmarks under benchmarks/ (prints figures and ratios)
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean: ## Remove everything the Makefile creates except .venv (reports, caches, .venv-oldest, build)
	rm -rf reports quarantine .cache .pytest_cache .ruff_cache .hypothesis benchmarks/_data \
	    benchmarks/results $(OLDEST) build dist src/*.egg-info
	find . -name __pycache__ -type d -prune -not -path './.venv/*' -exec rm -rf {} +
