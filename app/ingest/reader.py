"""Upload CSVs (PTL, offers) or PTL JSON records to columns of raw cells, read in chunks.

Each chunk of rows becomes one fixed-width numpy array per recognised column, so a million-row
upload is held as a few hundred megabytes of bytes rather than tens of millions of Python
strings. Problems with the file's shape (header, ragged rows, undecodable text) are collected
here; the values themselves are judged by :mod:`app.ingest.validate`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import IO, Final

import numpy as np
import numpy.typing as npt

from app.ingest.columns import CANONICAL_COLUMNS, MAX_CELL_CHARS, REQUIRED_COLUMNS, canonical_column
from app.ingest.lsoa_source import LsoaSource
from app.ingest.nhs_number import mask_nhs_number
from app.ingest.results import RowError
from app.ingest.text import StrArray, decode, shorten

#: Rows turned into arrays at a time: small enough that the row lists stay cheap to collect.
DEFAULT_CHUNK_ROWS: Final = 10_000
#: Why a JSON NHS number must be a string.
NHS_NUMBER_NOT_TEXT: Final = (
    "NHS number must be sent as a JSON string (a number loses leading zeros)"
)


@dataclass(eq=False)
class RawTable:
    """Raw cells by canonical column (``S`` bytes, or ``U`` when a column holds non-ASCII).

    ``row_numbers`` gives each kept row's number in the source; rows with the wrong number of
    fields are not kept but reported in ``errors`` together with header problems. ``lsoa``
    says which census-bound LSOA names were read or ignored.
    """

    columns: dict[str, StrArray]
    row_numbers: npt.NDArray[np.int64]
    extra_columns: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    blank_rows: list[int] = field(default_factory=list)
    lsoa: LsoaSource = field(default_factory=LsoaSource)

    def __len__(self) -> int:
        return len(self.row_numbers)

    @classmethod
    def from_csv(
        cls, source: bytes | IO[bytes], *, chunk_rows: int = 0, lsoa_vintage: str | None = None
    ) -> RawTable:
        """Same as :func:`read_ptl_csv`."""
        return read_ptl_csv(
            source, chunk_rows=chunk_rows or DEFAULT_CHUNK_ROWS, lsoa_vintage=lsoa_vintage
        )

    @classmethod
    def from_records(
        cls, records: Sequence[object], *, lsoa_vintage: str | None = None
    ) -> RawTable:
        """JSON records (objects keyed by column name or alias); row = 1-based record index.

        A key missing from a record is an empty value; every canonical column is present.
        ``lsoa_vintage`` is the LSOA census of the IMD edition in use (see :func:`read_ptl_csv`).
        """
        cells: dict[str, list[str]] = {name: [] for name in CANONICAL_COLUMNS}
        numbers: list[int] = []
        extra: dict[str, None] = {}
        errors: list[RowError] = []
        lsoa = LsoaSource(expected=lsoa_vintage)
        for number, record in enumerate(records, start=1):
            if not isinstance(record, Mapping):
                errors.append(RowError(number, None, "", "each record must be a JSON object"))
                continue
            values, problems = _record_values(number, record, extra, lsoa)
            if problems:
                errors.extend(problems)
                continue
            for name in CANONICAL_COLUMNS:
                cells[name].append(values.get(name, ""))
            numbers.append(number)
        return cls(
            columns={name: _to_array(values) for name, values in cells.items()},
            row_numbers=np.array(numbers, dtype=np.int64),
            extra_columns=list(extra),
            errors=errors,
            lsoa=lsoa,
        )


#: A file's header to canonical column positions, unknown names and header errors.
HeaderMap = Callable[[list[str]], tuple[dict[str, int], list[str], list[RowError]]]


def read_ptl_csv(
    source: bytes | IO[bytes],
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    lsoa_vintage: str | None = None,
) -> RawTable:
    """Read a PTL CSV (UTF-8, optional BOM); header is row 1, the first data row is row 2.

    ``lsoa_vintage`` (``"2011"`` or ``"2021"``) is the LSOA census of the IMD edition in use:
    a header with both ``derLSOA`` and ``derLSOA2021`` is read from the matching one.
    """
    lsoa = LsoaSource(expected=lsoa_vintage)
    table = read_csv_table(
        source, chunk_rows=chunk_rows, map_header=lambda header: _map_header(header, lsoa)
    )
    table.lsoa = lsoa
    return table


def read_csv_table(
    source: bytes | IO[bytes], *, chunk_rows: int, map_header: HeaderMap
) -> RawTable:
    """Any upload CSV (UTF-8, optional BOM) to raw columns, its header read by ``map_header``.

    One reader for every upload format, so each judges a file's shape the same way: UTF-16,
    an empty or blank header, ragged rows, absurd cells and blank lines, row by row number.
    """
    stream: IO[bytes] = io.BytesIO(source) if isinstance(source, bytes) else source
    if not stream.seekable():
        stream = io.BytesIO(stream.read())
    start = stream.tell()
    head = stream.read(4)
    stream.seek(start)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _failed(RowError(1, None, "", "the file is UTF-16: save it as 'CSV UTF-8'"))
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    try:
        return _read(csv.reader(text), chunk_rows, map_header)
    finally:
        text.detach()  # the caller owns the stream


def _failed(error: RowError) -> RawTable:
    return RawTable(columns={}, row_numbers=np.zeros(0, dtype=np.int64), errors=[error])


def _read(reader: Iterable[list[str]], chunk_rows: int, map_header: HeaderMap) -> RawTable:
    rows_iter = iter(reader)
    try:
        header = next(rows_iter, None)
    except csv.Error as exc:
        return _failed(RowError(1, None, "", f"the header row cannot be read: {exc}"))
    if header is None:
        return _failed(RowError(1, None, "", "the file is empty: expected a header row"))
    if not any(cell.strip() for cell in header):
        return _failed(RowError(1, None, "", "the header row (row 1) is blank"))
    positions, extras, errors = map_header(header)
    chunks: dict[str, list[StrArray]] = {name: [] for name in positions}
    numbers: list[npt.NDArray[np.int64]] = []
    blank_rows: list[int] = []
    next_row = 2
    while True:
        rows: list[list[str]] = []
        failure: csv.Error | None = None
        try:
            rows.extend(islice(rows_iter, chunk_rows))
        except csv.Error as exc:
            failure = exc
        if not rows and failure is None:
            break
        columns, kept_numbers = _shape_checks(
            rows, next_row, len(header), positions, errors, blank_rows
        )
        next_row += len(rows)
        del rows
        arrays = {
            name: _to_array(columns[index] if columns else ()) for name, index in positions.items()
        }
        del columns
        blank = _all_empty(arrays, len(kept_numbers))
        if blank.any():
            blank_rows.extend(kept_numbers[blank].tolist())
            arrays = {name: values[~blank] for name, values in arrays.items()}
            kept_numbers = kept_numbers[~blank]
        for name, values in arrays.items():
            chunks[name].append(values)
        numbers.append(kept_numbers)
        if failure is not None:
            message = f"the file cannot be read from this row on: {failure}"
            errors.append(RowError(next_row, None, "", message))
            break
    return RawTable(
        columns={name: _concatenate(parts) for name, parts in chunks.items()},
        row_numbers=np.concatenate(numbers) if numbers else np.zeros(0, dtype=np.int64),
        extra_columns=extras,
        errors=errors,
        blank_rows=sorted(blank_rows),
    )


def _map_header(
    header: list[str], lsoa: LsoaSource
) -> tuple[dict[str, int], list[str], list[RowError]]:
    """Canonical column -> position; unknown names; missing or repeated columns as errors."""
    positions: dict[str, int] = {}
    given: dict[str, list[int]] = {}
    extras: list[str] = []
    for index, name in enumerate(header):
        canonical = canonical_column(name)
        if canonical is None:
            extras.append(shorten(decode(name.strip())) or "(blank)")
            continue
        given.setdefault(canonical, []).append(index)
        positions.setdefault(canonical, index)
    lsoa_at = given.get("lsoa_code", [])
    if len(lsoa_at) > 1 and (chosen := lsoa.pick([header[i] for i in lsoa_at])) is not None:
        given["lsoa_code"] = [lsoa_at[chosen]]
        positions["lsoa_code"] = lsoa_at[chosen]
    if "lsoa_code" in positions:
        lsoa.note_read(header[positions["lsoa_code"]])
    errors = [
        RowError(
            1,
            column,
            ", ".join(shorten(decode(header[i].strip())) for i in at),
            f"column {column} is given more than once",
        )
        for column, at in given.items()
        if len(at) > 1
    ]
    hint = ""
    if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
        hint = " (the header has a single column: separate columns with commas)"
    errors += [
        RowError(1, column, "", f"required column missing: {column}{hint}")
        for column in CANONICAL_COLUMNS
        if column in REQUIRED_COLUMNS and column not in positions
    ]
    return positions, extras, errors


def _shape_checks(
    rows: list[list[str]],
    first_row: int,
    width: int,
    positions: Mapping[str, int],
    errors: list[RowError],
    blank_rows: list[int],
) -> tuple[list[tuple[str, ...]], npt.NDArray[np.int64]]:
    """The chunk's columns without empty lines, ragged rows or rows with an absurd cell."""
    numbers = np.arange(first_row, first_row + len(rows), dtype=np.int64)
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    bad = lengths != width
    if bad.any():
        for index in np.flatnonzero(bad).tolist():
            if lengths[index] == 0:
                blank_rows.append(int(numbers[index]))
            else:
                message = f"row has {lengths[index]} fields but the header has {width}"
                errors.append(RowError(int(numbers[index]), None, "", message))
        rows = [row for row, drop in zip(rows, bad.tolist(), strict=True) if not drop]
        numbers = numbers[~bad]
    columns = list(zip(*rows, strict=True))
    too_long = np.zeros(len(rows), dtype=np.bool_)
    for name, index in positions.items():
        if not columns or max(map(len, columns[index])) <= MAX_CELL_CHARS:
            continue
        for row_index, cell in enumerate(columns[index]):
            if len(cell) > MAX_CELL_CHARS:
                too_long[row_index] = True
                message = f"value is {len(cell):,} characters long (at most {MAX_CELL_CHARS:,})"
                value = "" if name == "nhs_number" else shorten(decode(cell))
                errors.append(RowError(int(numbers[row_index]), name, value, message))
    if too_long.any():
        keep = np.flatnonzero(~too_long).tolist()
        columns = [tuple(column[index] for index in keep) for column in columns]
        numbers = numbers[~too_long]
    return columns, numbers


def _to_array(values: Sequence[str]) -> StrArray:
    """ASCII bytes when every value is ASCII (a quarter of the memory), else unicode."""
    if len(values) == 0:
        return np.zeros(0, dtype="S1")
    try:
        return np.array(values, dtype=np.bytes_)
    except UnicodeEncodeError:
        return np.array(values, dtype=np.str_)


def _all_empty(arrays: Mapping[str, StrArray], count: int) -> npt.NDArray[np.bool_]:
    blank = np.ones(count, dtype=np.bool_)
    for values in arrays.values():
        blank &= np.strings.str_len(values) == 0
    return blank if arrays else np.zeros(count, dtype=np.bool_)


def _concatenate(parts: list[StrArray]) -> StrArray:
    if not parts:
        return np.zeros(0, dtype="S1")
    if any(part.dtype.kind == "U" for part in parts):
        parts = [part.astype(np.str_) for part in parts]
    return np.concatenate(parts)


def _record_values(
    number: int, record: Mapping[object, object], extra: dict[str, None], lsoa: LsoaSource
) -> tuple[dict[str, str], list[RowError]]:
    """One JSON record's cells by canonical column, or the reasons it cannot be used."""
    values: dict[str, str] = {}
    given: dict[str, str] = {}
    problems: list[RowError] = []
    for key, raw in record.items():
        name = str(key)
        canonical = canonical_column(name)
        if canonical is None:
            extra.setdefault(shorten(decode(name.strip())) or "(blank)", None)
            continue
        if canonical in given:
            chosen = lsoa.pick([given[canonical], name]) if canonical == "lsoa_code" else None
            if chosen is None:
                message = (
                    f"{canonical} is given more than once ({decode(given[canonical])}, "
                    f"{decode(name)})"
                )
                problems.append(RowError(number, canonical, "", message))
            if chosen != 1:
                continue
        given[canonical] = name
        text = _json_cell(raw)
        if canonical == "nhs_number" and raw is not None and not isinstance(raw, str):
            shown = shorten(mask_nhs_number(decode(text)))
            problems.append(RowError(number, canonical, shown, NHS_NUMBER_NOT_TEXT))
            continue
        if len(text) > MAX_CELL_CHARS:
            message = f"value is {len(text):,} characters long (at most {MAX_CELL_CHARS:,})"
            shown = "" if canonical == "nhs_number" else shorten(decode(text))
            problems.append(RowError(number, canonical, shown, message))
        values[canonical] = text
    if "lsoa_code" in given:
        lsoa.note_read(given["lsoa_code"])
    return values, problems


def _json_cell(value: object) -> str:
    """JSON values as the text a CSV cell would hold; lists of codes join with ';'."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return ";".join(value)
    return str(value)
