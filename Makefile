# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export EQUIWAIT_DATABASE_URL ?= sqlite:///var/equiwait.db

.PHONY: run test lint typecheck check bench install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==25.3
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Migrate the embedded SQLite database, load the IMD lookup and demo PTL, serve on :8000.
run: $(STAMP)
	$(BIN)/python scripts/run_demo.py

## The whole test suite, on SQLite and PostgreSQL (a local server is started if needed).
test: $(STAMP)
	bash scripts/test.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy app api models prioritisation web

check: lint typecheck test

bench: $(STAMP)
	EQUIWAIT_TEST_POSTGRES_URL=$${EQUIWAIT_TEST_POSTGRES_URL:-$$(bash scripts/postgres.sh)} $(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
