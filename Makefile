# The two commands of the README: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck unit bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Start a node on SQLite with generated demo data from several ASEAN countries.
demo: $(STAMP)
	$(BIN)/bersama demo

## Run the whole test suite: lint, types, unit, contract (SQLite + PostgreSQL), integration.
test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	# The server must start: a missing PostgreSQL fails the run instead of skipping its tests.
	url=$$(scripts/pg-test-server.sh) && BERSAMA_TEST_PG_URL=$$url $(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

clean:
	rm -rf $(VENV) .pg bersama-data .pytest_cache .mypy_cache .ruff_cache
