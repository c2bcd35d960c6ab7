# The two commands: `make run` (the embedded stack) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test test-all lint bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Cascade needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.run-installed: pyproject.toml services/console/node_modules/.installed | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

# The console's front-end libraries (Chart.js) from the npm registry, as the lock file pins them.
services/console/node_modules/.installed: services/console/package.json services/console/package-lock.json
	cd services/console && npm ci --no-audit --no-fund --silent
	touch $@

$(VENV)/.dev-installed: pyproject.toml services/console/node_modules/.installed | $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"
	touch $@ $(VENV)/.run-installed

run: $(VENV)/.run-installed
	$(BIN)/cascade up

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The slowest tests (chaos: minutes of faults under load, marked `slow`) run in CI (CI=true)
# and with `make test-all`, not on every local `make test`.
SLOW := $(if $(CI),,-m "not slow")

test: lint
	$(BIN)/pytest $(SLOW)

test-all: lint
	$(BIN)/pytest

bench: $(VENV)/.dev-installed
	$(BIN)/python bench/e2e.py --start

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
