# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export EQUIWAIT_DATABASE_URL ?= sqlite:///var/equiwait.db

.PHONY: run test lint typecheck check bench install clean lock audit

# Every dependency comes from the lock files, checked against their hashes; the project
# itself is installed without dependencies. After changing pyproject.toml, run `make lock`.
$(STAMP): pyproject.toml requirements.lock requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==25.3
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
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

## Re-resolve both lock files (with hashes) from pyproject.toml, for every platform.
lock:
	@test -x $(BIN)/uv || { $(PYTHON) -m venv $(VENV) && $(BIN)/pip install --quiet uv==0.13.9; }
	$(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes \
		--quiet -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
		--generate-hashes --quiet -o requirements-dev.lock

## Known vulnerabilities in the locked runtime and development dependencies (pip-audit).
audit: $(STAMP)
	bash scripts/audit_dependencies.sh

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
