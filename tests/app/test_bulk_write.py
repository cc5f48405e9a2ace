"""Bulk inserts store exactly the values given, NULLs and dates included, on both databases."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from sqlalchemy import text

from app.bulk_write import bulk_insert, columns_of, copy_binary, row_chunks

NAMES = ("id", "code", "day", "flag", "small", "score")


def _columns() -> dict[str, np.ndarray]:
    return {
        "id": np.array([1, 2, 3], dtype=np.int64),
        "code": np.array(["A\tB", None, "back\\slash"], dtype=object),
        "day": np.array(["2024-02-29", "NaT", "1999-12-31"], dtype="datetime64[D]"),
        "flag": np.array([True, False, True]),
        "small": np.array([None, 7, 10], dtype=object),
        "score": np.array([0.1, -2.5e-07, 1e300]),
    }


def _create(connection) -> None:
    connection.execute(
        text(
            "CREATE TEMPORARY TABLE bulk_probe (id bigint, code varchar(20), day date, "
            "flag boolean, small smallint, score double precision)"
        )
    )


def test_every_value_round_trips(engine):
    with engine.begin() as connection:
        _create(connection)
        bulk_insert(connection, "bulk_probe", NAMES, 3, columns_of(_columns()))
        rows = connection.execute(
            text(
                "SELECT id, code, CAST(day AS VARCHAR(10)), flag, small, score FROM bulk_probe "
                "ORDER BY id"
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        (1, "A\tB", "2024-02-29", True, None, 0.1),
        (2, None, None, False, 7, -2.5e-07),
        (3, "back\\slash", "1999-12-31", True, 10, 1e300),
    ]


def test_chunks_cover_every_row_once_in_order():
    chunks = list(row_chunks(NAMES, 3, columns_of(_columns()), postgres=True, rows=2))
    assert [len(c) for c in chunks] == [2, 1]
    assert [row[0] for chunk in chunks for row in chunk] == [1, 2, 3]
    assert chunks[0][0][2] == date(2024, 2, 29) and chunks[0][1][2] is None
    sqlite_rows = next(row_chunks(NAMES, 3, columns_of(_columns()), postgres=False))
    assert [row[2] for row in sqlite_rows] == ["2024-02-29", None, "1999-12-31"]


def test_a_column_the_table_lacks_is_refused_before_any_row(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("binary COPY is PostgreSQL's")
    with engine.begin() as connection:
        _create(connection)
        columns = {**_columns(), "nope": np.array([1, 2, 3])}
        with pytest.raises(ValueError, match="bulk_probe has no column nope"):
            copy_binary(connection, "bulk_probe", (*NAMES, "nope"), 3, columns_of(columns))
