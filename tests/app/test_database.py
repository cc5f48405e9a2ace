"""Database errors never carry patients' data into messages or logs."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.database import SQLITE_BULK_CACHE_KIB, build_engine, bulk_write_cache


def test_a_failed_statement_does_not_print_its_parameters(engine):
    fresh = build_engine(engine.url.render_as_string(hide_password=False))
    try:
        with fresh.connect() as connection, pytest.raises(DBAPIError) as caught:
            connection.execute(
                text("INSERT INTO no_such_table (nhs_number) VALUES (:nhs_number)"),
                {"nhs_number": "9990000018"},
            )
    finally:
        fresh.dispose()
    assert "9990000018" not in str(caught.value)
    assert "hidden" in str(caught.value)


def test_a_bulk_write_gets_a_large_page_cache_and_gives_it_back(engine):
    with engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            with bulk_write_cache(connection):  # nothing to size on PostgreSQL
                assert connection.execute(text("SELECT 1")).scalar_one() == 1
            return
        before = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
        with bulk_write_cache(connection):
            during = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
        after = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    assert during == -SQLITE_BULK_CACHE_KIB
    assert after == before != during


def test_the_page_cache_is_given_back_when_the_bulk_write_fails(engine):
    with engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            pytest.skip("SQLite's page cache only")
        before = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
        with pytest.raises(DBAPIError), bulk_write_cache(connection):
            connection.execute(text("INSERT INTO no_such_table (x) VALUES (1)"))
        assert connection.exec_driver_sql("PRAGMA cache_size").scalar_one() == before
