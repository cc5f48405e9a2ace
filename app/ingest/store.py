"""Bulk persistence of a validated PTL: staging table, one upsert, one closing update.

No ORM object per row: rows go into a temporary staging table through :mod:`app.bulk_write`
(binary ``COPY`` on PostgreSQL, ``executemany`` in chunks on SQLite), then set-based SQL
inserts, updates and closes entries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import (
    Column,
    Connection,
    Date,
    MetaData,
    SmallInteger,
    String,
    Table,
    bindparam,
    text,
)
from sqlalchemy.orm import Session

from app.bulk_write import bulk_insert
from app.database import bulk_write_cache
from app.ingest.results import PTL_COLUMNS
from models.base import UTCDateTime

#: Columns stored per entry (the validator's typed output), in staging order.
STORED_COLUMNS = PTL_COLUMNS
DATE_COLUMNS = frozenset(
    {"rtt_clock_start", "date_of_birth", "priority_set_date", "last_validated_date"}
)
#: Optional text columns stored as NULL when empty.
NULLABLE_TEXT = frozenset(
    {"sex", "lsoa_code", "imd_edition", "site_code", "procedure_code", "rtt_status"}
)
KEY = ("provider_code", "pathway_id")

_staging_metadata = MetaData()
STAGING = Table(
    "ptl_staging",
    _staging_metadata,
    *[
        Column(
            name,
            Date if name in DATE_COLUMNS else SmallInteger if name == "imd_decile" else String,
        )
        for name in STORED_COLUMNS
    ],
    prefixes=["TEMPORARY"],
)


ListKey = tuple[str, str, str]
"""(provider code, treatment function code, pathway stage): one ranked list."""


@dataclass(frozen=True)
class StoreCounts:
    """What a batch changed, and the lists whose entries it changed."""

    inserted: int
    updated: int
    closed: int
    lists: frozenset[ListKey] = frozenset()


def _column_values(name: str, values: Any) -> np.ndarray:
    """One column as DB-ready values: dates as ``datetime64[D]`` (NaT for missing), everything
    else as an object array (None for missing)."""
    array = np.asarray(values)
    if name in DATE_COLUMNS:
        return array.astype("datetime64[D]")  # NaT for NULL: app.bulk_write binds it
    if name == "imd_decile":
        ints = array.astype(np.int64)
        out = ints.astype(object)
        out[ints <= 0] = None
        return out
    out = array.astype(object)
    if name in NULLABLE_TEXT:
        out[out == ""] = None
    return out


def _load_staging(connection: Connection, columns: Mapping[str, Any], n_rows: int) -> None:
    connection.exec_driver_sql("DROP TABLE IF EXISTS ptl_staging")
    STAGING.create(connection)
    bulk_insert(
        connection,
        "ptl_staging",
        STORED_COLUMNS,
        n_rows,
        lambda name, start, stop: _column_values(name, columns[name][start:stop]),
    )
    # Without it the closing anti-join scans staging once per open entry (quadratic).
    connection.exec_driver_sql(
        "CREATE UNIQUE INDEX ix_ptl_staging_key ON ptl_staging (provider_code, pathway_id)"
    )
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("ANALYZE ptl_staging")


def _upsert_sql() -> str:
    names = ", ".join(STORED_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in STORED_COLUMNS if c not in KEY)
    return (
        f"INSERT INTO ptl_entries ({names}, is_open, closed_at, first_batch_id, last_batch_id, "
        f"created_at, updated_at) "
        f"SELECT {names}, true, NULL, :batch_id, :batch_id, :now, :now FROM ptl_staging WHERE true "
        f"ON CONFLICT (provider_code, pathway_id) DO UPDATE SET {updates}, is_open = true, "
        f"closed_at = NULL, last_batch_id = excluded.last_batch_id, "
        f"updated_at = excluded.updated_at"
    )


# The lists existing entries were on before this batch (an entry may move to another list),
# and how many of the rows already exist.
_EXISTING_SQL = (
    "SELECT e.provider_code, e.treatment_function_code, e.pathway_stage, count(*) "
    "FROM ptl_staging s JOIN ptl_entries e "
    "ON e.provider_code = s.provider_code AND e.pathway_id = s.pathway_id "
    "GROUP BY e.provider_code, e.treatment_function_code, e.pathway_stage"
)
_OPEN_SQL = "SELECT count(*) FROM ptl_entries WHERE is_open = true AND provider_code IN :providers"
_CLOSE_SQL = (
    "UPDATE ptl_entries SET is_open = false, closed_at = :now, last_batch_id = :batch_id, "
    "updated_at = :now WHERE is_open = true AND provider_code IN :providers AND NOT EXISTS ("
    "SELECT 1 FROM ptl_staging s WHERE s.provider_code = ptl_entries.provider_code "
    "AND s.pathway_id = ptl_entries.pathway_id) "
    "RETURNING provider_code, treatment_function_code, pathway_stage"
)


def _row_lists(columns: Mapping[str, Any]) -> set[ListKey]:
    """The distinct lists the batch's rows are on (each column coded once, then combined)."""
    names = ("provider_code", "treatment_function_code", "pathway_stage")
    uniques, codes = [], []
    for name in names:
        values, inverse = np.unique(np.asarray(columns[name]), return_inverse=True)
        uniques.append([str(v) for v in values.tolist()])
        codes.append(inverse.astype(np.int64).ravel())
    if not codes[0].size:
        return set()
    n_t, n_s = len(uniques[1]), len(uniques[2])
    combined = np.unique(codes[0] * (n_t * n_s) + codes[1] * n_s + codes[2])
    return {
        (uniques[0][c // (n_t * n_s)], uniques[1][(c // n_s) % n_t], uniques[2][c % n_s])
        for c in combined.tolist()
    }


def store_entries(
    session: Session,
    columns: Mapping[str, Any],
    n_rows: int,
    *,
    batch_id: int,
    replace_providers: Sequence[str],
    now: datetime,
) -> StoreCounts:
    """Insert or update every row; close open pathways of ``replace_providers`` not in the rows.

    ``columns`` maps each name in :data:`STORED_COLUMNS` to an array of ``n_rows`` values.
    Runs inside the caller's transaction, so a failure leaves nothing behind.
    """
    missing = [name for name in STORED_COLUMNS if name not in columns]
    if missing:
        raise ValueError(f"columns missing for storage: {', '.join(missing)}")
    connection = session.connection()
    with bulk_write_cache(connection):
        _load_staging(connection, columns, n_rows)
        before = connection.exec_driver_sql(_EXISTING_SQL).all()
        existing = sum(int(row[3]) for row in before)
        lists = _row_lists(columns) | {(row[0], row[1], row[2]) for row in before}
        params = {"batch_id": batch_id, "now": now}
        stamp = bindparam("now", type_=UTCDateTime())
        connection.execute(text(_upsert_sql()).bindparams(stamp), params)
        closed = 0
        if replace_providers:
            # Every row is now an open entry of these providers; any other open one is closed.
            # Counted first (an index scan), so the closing update runs only when needed.
            providers = {"providers": list(replace_providers)}
            count = text(_OPEN_SQL).bindparams(bindparam("providers", expanding=True))
            if int(connection.execute(count, providers).scalar_one()) > n_rows:
                close = text(_CLOSE_SQL).bindparams(stamp, bindparam("providers", expanding=True))
                gone = connection.execute(close, {**params, **providers}).all()
                closed = len(gone)
                lists |= {(row[0], row[1], row[2]) for row in gone}
        connection.exec_driver_sql("DROP TABLE ptl_staging")
    return StoreCounts(
        inserted=n_rows - existing, updated=existing, closed=closed, lists=frozenset(lists)
    )
