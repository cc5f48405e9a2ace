"""Bulk persistence of validated offers: no ORM object and no compiled statement per row.

PostgreSQL: ``COPY`` into a temporary staging table, then one ``INSERT … SELECT … ON CONFLICT``.
SQLite: the driver's ``executemany`` of one ``INSERT … ON CONFLICT`` in chunks. Either way an
offer already held (same provider, pathway, offer date and appointment date) has its
attendance, reason and batch replaced: that is how a PAS correction arrives. The validator
has refused a file that repeats an offer, so no statement meets the same key twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

import numpy as np
from sqlalchemy import Connection

from app.offers.validate import ValidatedOffers

#: Rows handed to the driver at a time.
CHUNK_ROWS: Final = 20_000
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
    if connection.dialect.name == "postgresql":
        _store_postgres(connection, offers, batch_id)
        return
    placeholders = ", ".join("?" for _ in COLUMNS)
    sql = f"INSERT INTO offers ({_NAMES}) VALUES ({placeholders}) {_CONFLICT}"
    for chunk in _row_chunks(offers, batch_id, boolean=int):
        connection.exec_driver_sql(sql, chunk)


def _store_postgres(connection: Connection, offers: ValidatedOffers, batch_id: int) -> None:
    connection.exec_driver_sql("DROP TABLE IF EXISTS offers_staging")
    connection.exec_driver_sql(
        "CREATE TEMPORARY TABLE offers_staging ("
        "batch_id bigint, provider_code varchar(5), pathway_id varchar(20), "
        "nhs_number varchar(10), offer_date date, appointment_date date, "
        "attendance smallint, outcome_reason varchar(40), failed boolean) ON COMMIT DROP"
    )
    raw = connection.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(f"COPY offers_staging ({_NAMES}) FROM STDIN") as copy:
        for chunk in _row_chunks(offers, batch_id, boolean=bool):
            for row in chunk:
                copy.write_row(row)
    connection.exec_driver_sql(
        f"INSERT INTO offers ({_NAMES}) SELECT {_NAMES} FROM offers_staging {_CONFLICT}"
    )
    connection.exec_driver_sql("DROP TABLE offers_staging")


def _row_chunks(
    offers: ValidatedOffers, batch_id: int, *, boolean: type[int] | type[bool]
) -> Iterator[list[tuple[Any, ...]]]:
    """Rows in ``COLUMNS`` order, dates as ISO text, a missing reason as NULL."""
    for start in range(0, len(offers), CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, len(offers))
        reasons = offers.outcome_reason[start:stop].astype(str).astype(object)
        reasons[reasons == ""] = None
        parts = [
            [batch_id] * (stop - start),
            offers.provider_code[start:stop].astype(str).tolist(),
            offers.pathway_id[start:stop].astype(str).tolist(),
            offers.nhs_number[start:stop].astype(str).tolist(),
            np.datetime_as_string(offers.offer_date[start:stop], unit="D").tolist(),
            np.datetime_as_string(offers.appointment_date[start:stop], unit="D").tolist(),
            offers.attendance[start:stop].astype(np.int64).tolist(),
            reasons.tolist(),
            offers.failed[start:stop].astype(boolean).tolist(),
        ]
        yield list(zip(*parts, strict=True))
