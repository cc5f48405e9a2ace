#!/usr/bin/env bash
# Start a throw-away PostgreSQL server for the test suite and print its admin URL.
# Installs Debian's postgresql package when no server binaries are present (needs root).
set -euo pipefail

PGPORT="${EQUIWAIT_TEST_PG_PORT:-54329}"
PGROOT="${EQUIWAIT_TEST_PG_DIR:-/tmp/equiwait-pg-$PGPORT}"

find_bindir() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
    done
    return 1
}

if ! BINDIR=$(find_bindir); then
    if [ "$(id -u)" -ne 0 ]; then
        echo "PostgreSQL server binaries not found and not root: install 'postgresql' first" >&2
        exit 1
    fi
    echo "Installing PostgreSQL from Debian packages..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    BINDIR=$(find_bindir)
fi

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi

mkdir -p "$PGROOT"
[ "$(id -u)" -eq 0 ] && chown postgres "$PGROOT"
if [ ! -s "$PGROOT/data/PG_VERSION" ]; then
    as_owner "$BINDIR/initdb" -D "$PGROOT/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
fi
if ! as_owner "$BINDIR/pg_ctl" -D "$PGROOT/data" status >/dev/null 2>&1; then
    as_owner "$BINDIR/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/server.log" -w -t 60 start \
        -o "-p $PGPORT -k $PGROOT -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null
fi
echo "postgresql://postgres@127.0.0.1:$PGPORT/postgres"
