# mic2025 — the two commands a fresh machine needs are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test install install-test lint typecheck layers unit system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: $(BIN)/python
	scripts/fetch-web-assets.sh
	$(BIN)/python -m pip install -q -e .

install-test: $(BIN)/python
	scripts/fetch-web-assets.sh
	$(BIN)/python -m pip install -q -e '.[test]'

## run: install, then evaluate the plan on the bundled evidence, print it and write the reports
run: install
	$(BIN)/mic2025 run --out build/report

## test: install what the tests need (Python packages; as root also chromium, CJK fonts,
## PostgreSQL), then ruff, mypy, the import-linter layer contracts and the whole pytest
## suite against SQLite and PostgreSQL
test: system-deps install-test
	$(BIN)/ruff check src tests $(wildcard benchmarks)
	$(BIN)/mypy
	$(BIN)/lint-imports
	scripts/with-postgres.sh $(BIN)/python -m pytest $(PYTEST_ARGS)

system-deps:
	scripts/system-deps.sh

lint:
	$(BIN)/ruff check src tests $(wildcard benchmarks)

typecheck:
	$(BIN)/mypy

layers:
	$(BIN)/lint-imports

## unit: the fast subset (no PostgreSQL, browser, slow or Spark tests) on every core.
## Compiled modules and pytest's rewritten test modules are cached even where the shell sets
## PYTHONDONTWRITEBYTECODE: without the cache every worker compiles every module again.
## Schemathesis's pytest plugin (about 0.7 s to import in each process) serves only the slow
## API fuzzing test, which this subset leaves out.
unit:
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n auto --dist worksteal -p no:schemathesis -m "not postgres and not browser and not slow" $(PYTEST_ARGS)

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache test-artifacts
