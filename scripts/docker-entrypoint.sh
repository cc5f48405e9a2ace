#!/usr/bin/env bash
# Container entry: migrate (and load reference data), then serve. Settings come from EQUIWAIT_*.
set -euo pipefail
equiwait migrate
exec equiwait serve --host "${EQUIWAIT_HOST:-0.0.0.0}" --port "${EQUIWAIT_PORT:-8000}" \
    --workers "${EQUIWAIT_WORKERS:-2}"
