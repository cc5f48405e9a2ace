#!/usr/bin/env bash
# The whole test suite on SQLite and PostgreSQL, after lint and type checks, then a bounded
# schemathesis run over the OpenAPI document (tests/fuzz; EQUIWAIT_FUZZ_EXAMPLES per operation),
# then the browser tests (Debian's Chromium, installed by scripts/chromium.sh when missing).
# A PostgreSQL server is started (and installed from Debian's packages if needed) unless
# EQUIWAIT_TEST_POSTGRES_URL already points at one.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

if [ -z "${EQUIWAIT_TEST_POSTGRES_URL:-}" ]; then
    if url=$(bash scripts/postgres.sh); then
        export EQUIWAIT_TEST_POSTGRES_URL="$url"
    elif [ "${CI:-}" = "true" ]; then
        echo "PostgreSQL could not be started; CI needs it" >&2
        exit 1
    else
        echo "PostgreSQL unavailable: PostgreSQL tests will be skipped" >&2
    fi
fi

echo "== ruff" >&2
$BIN/ruff check .
echo "== mypy" >&2
$BIN/mypy app api models prioritisation web
if browser=$(bash scripts/chromium.sh); then
    export EQUIWAIT_CHROMIUM="$browser"
elif [ "${CI:-}" = "true" ]; then
    echo "Chromium could not be installed; CI needs it for the browser tests" >&2
    exit 1
else
    echo "Chromium unavailable: browser tests will be skipped" >&2
fi

echo "== pytest (SQLite and PostgreSQL)" >&2
$BIN/python -m pytest -n "${EQUIWAIT_TEST_WORKERS:-2}" -p no:cacheprovider -m "not fuzz" \
    --ignore=tests/browser "$@"
echo "== fuzz: schemathesis over the OpenAPI document (SQLite, fixed seed)" >&2
$BIN/python -m pytest -n 0 -p no:cacheprovider -m fuzz tests/fuzz
echo "== browser tests (Chromium, SQLite and PostgreSQL, axe-core)" >&2
# One worker per backend (tests/browser/conftest.py groups them): each server starts once.
$BIN/python -m pytest tests/browser -n "${EQUIWAIT_TEST_WORKERS:-2}" --dist loadgroup \
    -p no:cacheprovider "$@"
