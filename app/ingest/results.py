"""What validation hands back: errors for a 422, or a typed, columnar PTL ready to store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt

from app.ingest.columns import CANONICAL_COLUMNS


class RowError(NamedTuple):
    """One problem in an upload. ``row`` counts the header as row 1 (CSV) or records from 1
    (JSON); ``field`` is None when the whole row or file is at fault. NHS numbers are masked.

    A named tuple rather than a dataclass: a broken million-row file can produce millions.
    """

    row: int
    field: str | None
    value: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "value": self.value, "message": self.message}


def sort_key(error: RowError) -> tuple[int, str]:
    """Errors are listed by row, then field name (whole-row errors first)."""
    return (error.row, error.field or "")


class WarningCode(StrEnum):
    """Things an upload did that are accepted but worth a look (see docs/ptl-format.md)."""

    EXTRA_COLUMNS_IGNORED = "extra_columns_ignored"
    LSOA_COLUMN_IGNORED = "lsoa_column_ignored"
    LSOA_VINTAGE_MISMATCH = "lsoa_vintage_mismatch"
    BLANK_ROWS_SKIPPED = "blank_rows_skipped"
    ETHNICITY_NOT_STATED = "ethnicity_not_stated"
    ETHNICITY_NOT_KNOWN = "ethnicity_not_known"
    ETHNICITY_BLANK = "ethnicity_blank"
    IMD_UNKNOWN = "imd_unknown"
    LSOA_NOT_IN_IMD_LOOKUP = "lsoa_not_in_imd_lookup"
    IMD_DECILE_DIFFERS_FROM_LOOKUP = "imd_decile_differs_from_lookup"
    PRIORITY_CODE_BLANK = "priority_code_blank"
    PRIORITY_SET_DATE_STALE = "priority_set_date_stale"
    RTT_STATUS_CLOCK_STOPPED = "rtt_status_clock_stopped"


#: How many example row numbers a warning carries.
WARNING_EXAMPLE_ROWS: Final = 20


@dataclass(frozen=True)
class ValidationWarning:
    """An accepted oddity: how many entries it touches and the first few row numbers."""

    code: WarningCode
    message: str
    count: int
    rows: list[int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code.value,
            "message": self.message,
            "count": self.count,
            "rows": self.rows,
        }


#: The stored columns, in order: the canonical ones, with how the IMD decile was obtained
#: (``imd_source``, ``imd_edition``) right after ``imd_decile``.
_AFTER_IMD: Final = CANONICAL_COLUMNS.index("imd_decile") + 1
PTL_COLUMNS: Final[tuple[str, ...]] = (
    *CANONICAL_COLUMNS[:_AFTER_IMD],
    "imd_source",
    "imd_edition",
    *CANONICAL_COLUMNS[_AFTER_IMD:],
)

Column = npt.NDArray[Any]


@dataclass(frozen=True, eq=False)
class ValidatedPtl:
    """A valid upload as typed columns, one element per entry.

    Text columns use numpy's variable-width ``StringDType`` ("" = not supplied); dates are
    ``datetime64[D]`` (NaT = not supplied); ``imd_decile`` is int8 with 0 = unknown.
    """

    pathway_id: Column
    nhs_number: Column
    provider_code: Column
    treatment_function_code: Column
    pathway_stage: Column
    priority_code: Column
    rtt_clock_start: Column
    date_of_birth: Column
    sex: Column
    ethnic_category: Column
    lsoa_code: Column
    imd_decile: npt.NDArray[np.int8]
    imd_source: Column
    imd_edition: Column
    inclusion_groups: Column
    clinical_areas: Column
    site_code: Column
    priority_set_date: Column
    procedure_code: Column
    last_validated_date: Column
    rtt_status: Column
    row_numbers: npt.NDArray[np.int64]
    warnings: list[ValidationWarning] = field(default_factory=list)

    def __post_init__(self) -> None:
        lengths = {len(getattr(self, name)) for name in PTL_COLUMNS}
        if lengths - {len(self.row_numbers)}:
            raise ValueError("every column must have one element per entry")

    def __len__(self) -> int:
        return len(self.row_numbers)

    @property
    def columns(self) -> dict[str, Column]:
        """Every stored column by name, in ``PTL_COLUMNS`` order (for COPY or bulk loaders)."""
        return {name: getattr(self, name) for name in PTL_COLUMNS}

    def iter_row_chunks(self, chunk_size: int = 10_000) -> Iterator[list[dict[str, Any]]]:
        """Rows as dicts in chunks, database-ready: "" / NaT / decile 0 become None."""
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        for start in range(0, len(self), chunk_size):
            stop = min(start + chunk_size, len(self))
            names = list(self.columns)
            values = [_python_values(column[start:stop]) for column in self.columns.values()]
            yield [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]


def _python_values(column: Column) -> list[Any]:
    """Plain Python values with None for "not supplied", so a NULL lands in the database."""
    if column.dtype.kind == "M":
        return list(column.tolist())  # NaT comes back as None
    if column.dtype.kind == "i":
        return [value or None for value in column.tolist()]
    return [value if value else None for value in column.tolist()]


@dataclass(frozen=True)
class ValidationOutcome:
    """Either ``validated`` (nothing wrong) or ``errors``; ``error_count`` counts past any cap."""

    validated: ValidatedPtl | None
    errors: list[RowError]
    error_count: int

    @property
    def ok(self) -> bool:
        return self.validated is not None

    def error_body(self) -> dict[str, list[dict[str, Any]]]:
        """The 422 response body: ``{"errors": [{row, field, value, message}, ...]}``."""
        return {"errors": [error.as_dict() for error in self.errors]}
