"""Database errors never carry patients' data into messages or logs."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.database import build_engine


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
