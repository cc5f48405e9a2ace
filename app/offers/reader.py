"""Offers CSV to a column table of raw cells, by the PTL upload's reader.

Only the header is the offers format's own (its columns and aliases); the file's shape
(encoding, ragged rows, absurd cells, blank lines) is judged by
:func:`app.ingest.reader.read_csv_table`, the values by :mod:`app.offers.validate`.
"""

from __future__ import annotations

from typing import IO, Final

from app.ingest.reader import RawTable, read_csv_table
from app.ingest.results import RowError
from app.ingest.text import decode, shorten
from app.offers.columns import OFFER_COLUMNS, REQUIRED_OFFER_COLUMNS, canonical_offer_column

CHUNK_ROWS: Final = 20_000


def read_offers_csv(source: bytes | IO[bytes], *, chunk_rows: int = CHUNK_ROWS) -> RawTable:
    """Read an offers CSV (UTF-8, optional BOM); the header is row 1, data start at row 2."""
    return read_csv_table(source, chunk_rows=chunk_rows, map_header=_map_header)


def _map_header(header: list[str]) -> tuple[dict[str, int], list[str], list[RowError]]:
    """Canonical column -> position; unknown names; missing or repeated columns as errors."""
    positions: dict[str, int] = {}
    extras: list[str] = []
    errors: list[RowError] = []
    for index, name in enumerate(header):
        canonical = canonical_offer_column(name)
        if canonical is None:
            extras.append(shorten(decode(name.strip())) or "(blank)")
        elif canonical in positions:
            message = f"column {canonical} is given more than once"
            errors.append(RowError(1, canonical, shorten(decode(name.strip())), message))
        else:
            positions[canonical] = index
    hint = ""
    if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
        hint = " (the header has a single column: separate columns with commas)"
    errors += [
        RowError(1, column, "", f"required column missing: {column}{hint}")
        for column in OFFER_COLUMNS
        if column in REQUIRED_OFFER_COLUMNS and column not in positions
    ]
    return positions, extras, errors
