"""Offers CSV to a column table of raw cells (the PTL reader's :class:`RawTable`).

The file's shape (header, ragged rows, undecodable text, absurd cells) is judged here; the
values are judged by :mod:`app.offers.validate`. Rows are turned into numpy arrays a chunk at
a time, so a million-offer history stays a few arrays of bytes.
"""

from __future__ import annotations

import csv
import io
from itertools import islice
from typing import IO, Final

import numpy as np
import numpy.typing as npt

from app.ingest.columns import MAX_CELL_CHARS
from app.ingest.reader import RawTable
from app.ingest.results import RowError
from app.ingest.text import StrArray, decode, shorten
from app.offers.columns import OFFER_COLUMNS, REQUIRED_OFFER_COLUMNS, canonical_offer_column

CHUNK_ROWS: Final = 20_000


def read_offers_csv(source: bytes | IO[bytes], *, chunk_rows: int = CHUNK_ROWS) -> RawTable:
    """Read an offers CSV (UTF-8, optional BOM); the header is row 1, data start at row 2."""
    stream: IO[bytes] = io.BytesIO(source) if isinstance(source, bytes) else source
    start = stream.tell()
    head = stream.read(4)
    stream.seek(start)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _failed(RowError(1, None, "", "the file is UTF-16: save it as 'CSV UTF-8'"))
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    try:
        return _read(csv.reader(text), chunk_rows)
    finally:
        text.detach()  # the caller owns the stream


def _failed(error: RowError) -> RawTable:
    return RawTable(columns={}, row_numbers=np.zeros(0, dtype=np.int64), errors=[error])


def _read(reader: csv.Reader, chunk_rows: int) -> RawTable:  # type: ignore[name-defined]
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return _failed(RowError(1, None, "", f"the header row cannot be read: {exc}"))
    if header is None or not any(cell.strip() for cell in header):
        return _failed(RowError(1, None, "", "the file is empty: expected a header row"))
    positions, extras, errors = _map_header(header)
    parts: dict[str, list[StrArray]] = {name: [] for name in positions}
    numbers: list[npt.NDArray[np.int64]] = []
    blank_rows: list[int] = []
    next_row = 2
    while True:
        failure: csv.Error | None = None
        rows: list[list[str]] = []
        try:
            rows.extend(islice(reader, chunk_rows))
        except csv.Error as exc:
            failure = exc
        if not rows and failure is None:
            break
        kept: list[list[str]] = []
        kept_numbers: list[int] = []
        for offset, row in enumerate(rows):
            number = next_row + offset
            if not any(cell.strip() for cell in row):
                blank_rows.append(number)
            elif len(row) != len(header):
                message = f"row has {len(row)} fields but the header has {len(header)}"
                errors.append(RowError(number, None, "", message))
            elif (long := _too_long(row, positions)) is not None:
                name, cell = long
                message = f"value is {len(cell):,} characters long (at most {MAX_CELL_CHARS:,})"
                shown = "" if name == "nhs_number" else shorten(decode(cell))
                errors.append(RowError(number, name, shown, message))
            else:
                kept.append(row)
                kept_numbers.append(number)
        next_row += len(rows)
        columns = list(zip(*kept, strict=True)) if kept else []
        for name, index in positions.items():
            parts[name].append(_to_array(columns[index] if columns else ()))
        numbers.append(np.array(kept_numbers, dtype=np.int64))
        if failure is not None:
            message = f"the file cannot be read from this row on: {failure}"
            errors.append(RowError(next_row, None, "", message))
            break
    return RawTable(
        columns={name: _concatenate(chunks) for name, chunks in parts.items()},
        row_numbers=np.concatenate(numbers) if numbers else np.zeros(0, dtype=np.int64),
        extra_columns=extras,
        errors=errors,
        blank_rows=blank_rows,
    )


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


def _too_long(row: list[str], positions: dict[str, int]) -> tuple[str, str] | None:
    for name, index in positions.items():
        if len(row[index]) > MAX_CELL_CHARS:
            return name, row[index]
    return None


def _to_array(values: tuple[str, ...] | tuple[()]) -> StrArray:
    """ASCII bytes when every value is ASCII, else unicode (the validator reports it)."""
    if len(values) == 0:
        return np.zeros(0, dtype="S1")
    try:
        return np.array(values, dtype=np.bytes_)
    except UnicodeEncodeError:
        return np.array(values, dtype=np.str_)


def _concatenate(parts: list[StrArray]) -> StrArray:
    if not parts:
        return np.zeros(0, dtype="S1")
    if any(part.dtype.kind == "U" for part in parts):
        parts = [part.astype(np.str_) for part in parts]
    return np.concatenate(parts)
