"""The databases a benchmark runs on: a SQLite file, and a fresh PostgreSQL database when
``EQUIWAIT_TEST_POSTGRES_URL`` names a server (the one `make bench` starts).

The benchmarks run the service's functions outside the app, so the settings those read from
the environment (the audit chain's key among them) default here to the test environment's
rather than to production's refusal of an unset secret.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("EQUIWAIT_ENVIRONMENT", "test")
os.environ.setdefault("EQUIWAIT_SECRET_KEY", "benchmark-only-" + "k" * 32)

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def fresh_postgres(admin_url: str, name: str) -> str:
    """Drop and create database ``name`` on the server at ``admin_url``; its URL."""
    admin = create_engine(make_url(admin_url).set(drivername="postgresql+psycopg"))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def benchmark_targets(workdir: str | Path, postgres_name: str) -> list[str]:
    """SQLite in ``workdir``, then PostgreSQL (database ``postgres_name``) if a server is set."""
    targets = [f"sqlite:///{workdir}/bench.db"]
    admin_url = os.environ.get("EQUIWAIT_TEST_POSTGRES_URL")
    if admin_url:
        targets.append(fresh_postgres(admin_url, postgres_name))
    else:
        print("PostgreSQL skipped: EQUIWAIT_TEST_POSTGRES_URL not set")
    return targets
