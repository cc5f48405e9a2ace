"""Database engine and sessions; the request or command that opens a session commits it once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from app.settings import Settings, get_settings


def normalise_url(url: str) -> str:
    """Use psycopg 3 for ``postgresql://`` URLs and create the folder of a SQLite file."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
        Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
    return parsed.render_as_string(hide_password=False)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


#: The page cache (KiB) a bulk write gets on SQLite. Its default of 2 MiB makes a million
#: index inserts re-read the same pages over and over; the cache is given back afterwards.
SQLITE_BULK_CACHE_KIB = 262_144


@contextmanager
def bulk_write_cache(connection: Connection) -> Iterator[None]:
    """A large SQLite page cache for the duration of a bulk write on ``connection``."""
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_BULK_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(before or -2000)}")


def _is_memory(url: str) -> bool:
    return make_url(url).database in (None, "", ":memory:")


def build_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int = 10,
    pool_timeout: float = 30.0,
    probe: bool = False,
) -> Engine:
    """An engine for ``url`` with the connection settings each backend needs.

    ``probe``: no pool at all (one connection per use), for health checks that must answer
    while every pooled connection is busy.
    """
    url = normalise_url(url)
    pooling: dict[str, Any] = (
        {"poolclass": NullPool}
        if probe
        else {"pool_size": pool_size, "max_overflow": max_overflow, "pool_timeout": pool_timeout}
    )
    # hide_parameters: a database error never prints bound values (NHS numbers among them).
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True,
            # An in-memory database lives in its one connection: SQLAlchemy's own pool for it.
            **({} if _is_memory(url) else pooling),
        )
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    connect_args = {"connect_timeout": max(1, round(pool_timeout))} if probe else {}
    return create_engine(
        url, pool_pre_ping=True, hide_parameters=True, connect_args=connect_args, **pooling
    )


def service_engine(settings: Settings, *, probe: bool = False) -> Engine:
    """The engine a serving process uses, its pool sized by the ``EQUIWAIT_DB_POOL_*`` settings."""
    return build_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        probe=probe,
    )


@lru_cache
def get_engine() -> Engine:
    """The process-wide engine for ``EQUIWAIT_DATABASE_URL``."""
    return service_engine(get_settings())


@lru_cache
def _session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    """Sessions bound to ``engine`` (the process-wide one by default)."""
    return _session_factory(engine or get_engine())


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
