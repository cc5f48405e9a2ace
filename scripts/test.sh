#!/usr/bin/env bash
# The whole test suite on SQLite and PostgreSQL, after lint and type checks.
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
echo "== pytest (SQLite and PostgreSQL)" >&2
$BIN/python -m pytest -n "${EQUIWAIT_TEST_WORKERS:-2}" -p no:cacheprovider "$@"
