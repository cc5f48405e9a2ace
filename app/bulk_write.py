"""Bulk inserts of column arrays: PostgreSQL's binary ``COPY``, SQLite's ``executemany``.

Why one place: the PTL upload, the offers upload and every ranking run write up to a million
rows at a time, and each used to format them its own way.

Why binary ``COPY``: in text format psycopg formats every value in Python; in binary format
each value is packed by its type's C dumper, which cuts a million-row load's client time about
eightfold and spares the server the parsing. The binary format needs each value packed exactly
as its column expects, so the types are read from the target table itself (a temporary staging
table included), never declared by hand.

Dates arrive as ``datetime64[D]`` arrays (NaT for NULL) and are handed to each driver in the
form it binds: ``date`` objects to psycopg, ISO text to SQLite (whose default date adapter is
deprecated).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection

from app.database import bulk_write_cache

#: A slice ``[start, stop)`` of one named column, as database-ready values (None for NULL).
ColumnSlice = Callable[[str, int, int], NDArray[Any]]

#: Rows handed to the driver at a time: bounds the Python objects alive at once.
CHUNK_ROWS: Final = 50_000

_TYPES_SQL: Final = (
    "SELECT a.attname, a.atttypid FROM pg_attribute a "
    "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped"
)


def _driver_values(values: NDArray[Any], *, postgres: bool) -> list[Any]:
    """One column chunk as the Python values the driver binds."""
    if values.dtype.kind == "M":
        days = values.astype("datetime64[D]")
        if postgres:
            values = days.astype(object)  # date objects, None for NaT
        else:
            values = np.datetime_as_string(days, unit="D").astype(object)
            values[np.isnat(days)] = None
    out: list[Any] = values.tolist()
    return out


def row_chunks(
    names: Sequence[str], n: int, column: ColumnSlice, *, postgres: bool, rows: int = CHUNK_ROWS
) -> Iterator[list[tuple[Any, ...]]]:
    """Rows of ``names`` in chunks of ``rows``, built a column at a time."""
    for start in range(0, n, rows):
        stop = min(start + rows, n)
        parts = [_driver_values(column(name, start, stop), postgres=postgres) for name in names]
        yield list(zip(*parts, strict=True))


def _quoted(connection: Connection, names: Sequence[str]) -> str:
    quote = connection.dialect.identifier_preparer.quote
    return ", ".join(quote(name) for name in names)


def copy_binary(
    connection: Connection, table: str, names: Sequence[str], n: int, column: ColumnSlice
) -> None:
    """``COPY table (names) FROM STDIN (FORMAT BINARY)`` in the connection's transaction."""
    raw = connection.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor:
        cursor.execute(_TYPES_SQL, (table,))
        types = dict(cursor.fetchall())
        missing = [name for name in names if name not in types]
        if missing:
            raise ValueError(f"table {table} has no column {', '.join(missing)}")
        sql = f"COPY {table} ({_quoted(connection, names)}) FROM STDIN (FORMAT BINARY)"
        with cursor.copy(sql) as copy:
            copy.set_types([types[name] for name in names])
            for chunk in row_chunks(names, n, column, postgres=True):
                for row in chunk:
                    copy.write_row(row)


def insert_many(
    connection: Connection,
    table: str,
    names: Sequence[str],
    n: int,
    column: ColumnSlice,
    *,
    suffix: str = "",
) -> None:
    """One ``INSERT … VALUES (?, …) suffix`` per row through the driver's ``executemany``
    (SQLite), with a large page cache for the duration."""
    placeholders = ", ".join("?" for _ in names)
    sql = f"INSERT INTO {table} ({_quoted(connection, names)}) VALUES ({placeholders})"
    if suffix:
        sql = f"{sql} {suffix}"
    with bulk_write_cache(connection):
        for chunk in row_chunks(names, n, column, postgres=False):
            connection.exec_driver_sql(sql, chunk)


def bulk_insert(
    connection: Connection, table: str, names: Sequence[str], n: int, column: ColumnSlice
) -> None:
    """Append ``n`` rows to ``table`` inside the caller's transaction, the fastest way each
    database has."""
    if connection.dialect.name == "postgresql":
        copy_binary(connection, table, names, n, column)
    else:
        insert_many(connection, table, names, n, column)


def columns_of(columns: Mapping[str, NDArray[Any]]) -> ColumnSlice:
    """The :data:`ColumnSlice` of a mapping of whole column arrays."""
    return lambda name, start, stop: columns[name][start:stop]
