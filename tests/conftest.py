"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

Each backend gets a template database migrated once per session (with reference data and the
IoD 2019 lookup); every test then gets its own copy, so tests are isolated even though the
service commits.
"""

from __future__ import annotations

import itertools
import os
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from app.bootstrap import prepare_database
from app.database import build_engine
from app.security import Role, create_token
from app.settings import Settings

# Hypothesis deadlines are timing assertions: on a loaded machine they fail at random.
hypothesis_settings.register_profile("equiwait", deadline=None)
hypothesis_settings.load_profile("equiwait")
os.environ.setdefault("EQUIWAIT_ENVIRONMENT", "test")
TEST_SECRET = "test-secret-" + "x" * 40
# Every engine of the suite, bound to settings or not, keys the audit chain alike; apps do not
# anchor the chain on their own (the anchoring tests ask for it).
os.environ.setdefault("EQUIWAIT_SECRET_KEY", TEST_SECRET)
os.environ.setdefault("EQUIWAIT_AUDIT_ANCHOR_INTERVAL_SECONDS", "0")
BACKENDS = ("sqlite", "postgresql")
_counter = itertools.count()


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _postgres_admin_url() -> str | None:
    return os.environ.get("EQUIWAIT_TEST_POSTGRES_URL") or None


def _skip_or_fail_without_postgres() -> None:
    message = "EQUIWAIT_TEST_POSTGRES_URL is not set (run the suite with `make test`)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required in CI: {message}")
    pytest.skip(message)


def _admin_engine(url: str) -> Engine:
    parsed = make_url(url).set(drivername="postgresql+psycopg")
    return create_engine(parsed, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = build_engine(f"sqlite:///{path}")
    prepare_database(engine, load_default_imd=True, show_progress=False)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    admin_url = _postgres_admin_url()
    if admin_url is None:
        _skip_or_fail_without_postgres()
        raise AssertionError("unreachable")
    name = f"equiwait_tpl_{_worker()}"
    admin = _admin_engine(admin_url)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = build_engine(url)
    prepare_database(engine, load_default_imd=True, show_progress=False)
    engine.dispose()
    yield name
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database of each backend for one test."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "equiwait.db"
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
        return
    template_name: str = request.getfixturevalue("postgres_template")
    admin_url = _postgres_admin_url()
    assert admin_url is not None
    name = f"equiwait_t_{_worker()}_{os.getpid()}_{next(_counter)}"
    admin = _admin_engine(admin_url)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"'))
    yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # The schedule is started only by the tests about it: its snapshots and sweeps would
    # otherwise interleave with what other tests set up.
    return Settings(
        environment="test",
        database_url=database_url,
        secret_key=TEST_SECRET,
        audit_anchor_file=tmp_path / "audit_anchors.jsonl",
        scheduler="external",
        job_poll_seconds=0.2,
    )


def wait_for_jobs(engine: Engine, *, timeout: float = 120.0) -> None:
    """Until no job that is due is queued or running (the background has caught up)."""
    from sqlalchemy import func, or_, select

    from models import Job
    from models.base import utcnow

    deadline = time.monotonic() + timeout
    while True:
        with engine.connect() as connection:
            busy = connection.scalar(
                select(func.count())
                .select_from(Job)
                .where(
                    or_(
                        Job.state == "running",
                        (Job.state == "queued") & (Job.run_after <= utcnow()),
                    )
                )
            )
        if not busy:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{busy} background job(s) still busy after {timeout} s")
        time.sleep(0.02)


class WaitingClient(TestClient):
    """A test client that, after each request, waits for the background jobs it queued
    (``wait_for_jobs = False`` to look at the answer before they ran)."""

    wait_for_jobs = True

    def request(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        response = super().request(*args, **kwargs)
        if self.wait_for_jobs:
            wait_for_jobs(self.app.state.engine)  # type: ignore[attr-defined]
        return response


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = build_engine(settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def client(settings: Settings) -> Iterator[WaitingClient]:
    from app.main import create_app

    with WaitingClient(create_app(settings)) as test_client:
        yield test_client


TokenFactory = Callable[..., dict[str, str]]


@pytest.fixture
def auth() -> TokenFactory:
    """``auth("scheduler")`` → headers carrying a valid token for that role."""

    def headers(*roles: str, subject: str = "test.user") -> dict[str, str]:
        token = create_token(subject, [Role(r) for r in roles], TEST_SECRET, timedelta(hours=1))
        return {"Authorization": f"Bearer {token}"}

    return headers
