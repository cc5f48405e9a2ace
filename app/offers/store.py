"""Bulk persistence of validated offers: no ORM object and no compiled statement per row.

PostgreSQL: binary ``COPY`` into a temporary staging table, then one
``INSERT … SELECT … ON CONFLICT``.
SQLite: the driver's ``executemany`` of one ``INSERT … ON CONFLICT`` in chunks. Either way an
offer already held (same provider, pathway, offer date and appointment date) has its
attendance, reason and batch replaced: that is how a PAS correction arrives. The validator
has refused a file that repeats an offer, so no statement meets the same key twice.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection

from app.bulk_write import ColumnSlice, copy_binary, insert_many
from app.offers.validate import ValidatedOffers

KEY: Final = ("provider_code", "pathway_id", "offer_date", "appointment_date")
COLUMNS: Final = (
    "batch_id",
    "provider_code",
    "pathway_id",
    "nhs_number",
    "offer_date",
    "appointment_date",
    "attendance",
    "outcome_reason",
    "failed",
)
_NAMES: Final = ", ".join(COLUMNS)
_UPDATE: Final = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c not in KEY)
_CONFLICT: Final = f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {_UPDATE}"


def store_offers(connection: Connection, offers: ValidatedOffers, batch_id: int) -> None:
    """Insert every offer of ``offers`` under ``batch_id``, replacing any already held."""
    n, column = len(offers), _columns(offers, batch_id)
    if connection.dialect.name != "postgresql":
        insert_many(connection, "offers", COLUMNS, n, column, suffix=_CONFLICT)
        return
    connection.exec_driver_sql("DROP TABLE IF EXISTS offers_staging")
    connection.exec_driver_sql(
        "CREATE TEMPORARY TABLE offers_staging ("
        "batch_id bigint, provider_code varchar(5), pathway_id varchar(20), "
        "nhs_number varchar(10), offer_date date, appointment_date date, "
        "attendance smallint, outcome_reason varchar(40), failed boolean) ON COMMIT DROP"
    )
    copy_binary(connection, "offers_staging", COLUMNS, n, column)
    connection.exec_driver_sql(
        f"INSERT INTO offers ({_NAMES}) SELECT {_NAMES} FROM offers_staging {_CONFLICT}"
    )
    connection.exec_driver_sql("DROP TABLE offers_staging")


def _columns(offers: ValidatedOffers, batch_id: int) -> ColumnSlice:
    """Each stored column's slice: a missing reason as NULL, attendance as a Python int."""

    def column(name: str, start: int, stop: int) -> NDArray[Any]:
        if name == "batch_id":
            return np.full(stop - start, batch_id, dtype=np.int64)
        if name == "outcome_reason":
            reasons = offers.outcome_reason[start:stop].astype(str).astype(object)
            reasons[reasons == ""] = None
            return reasons
        values: NDArray[Any] = getattr(offers, name)[start:stop]
        if name == "attendance":
            return values.astype(np.int64)
        if name == "failed":
            return values.astype(bool)
        return values if values.dtype.kind == "M" else values.astype(str)

    return column
