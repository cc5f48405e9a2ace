"""Shared fixtures: the shipped reference lists and IoD 2019 lookup, and a CSV builder."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from datetime import date

import pytest

from app.ingest import (
    ImdLookup,
    RawTable,
    ReferenceCodes,
    ValidationOutcome,
    read_ptl_csv,
    validate_table,
)
from app.ingest.imd_lookup import IOD2019_EDITION, SHIPPED_IOD2019

TODAY = date(2026, 11, 23)

#: A valid row: every rule passes, every optional column filled.
VALID_ROW: dict[str, str] = {
    "pathway_id": "PW-0001",
    "nhs_number": "9990000018",
    "provider_code": "RZZ",
    "treatment_function_code": "110",
    "pathway_stage": "admitted",
    "priority_code": "P2",
    "rtt_clock_start": "2026-05-01",
    "date_of_birth": "1960-02-14",
    "sex": "2",
    "ethnic_category": "A",
    "lsoa_code": "E01000001",
    "imd_decile": "",
    "inclusion_groups": "",
    "clinical_areas": "",
    "site_code": "RZZ01",
    "priority_set_date": "2026-10-01",
    "procedure_code": "W371",
    "last_validated_date": "2026-11-01",
    "rtt_status": "20",
}

HEADER_LINE = ",".join(VALID_ROW)


def csv_bytes(rows: Sequence[Mapping[str, str]], header: Sequence[str] | None = None) -> bytes:
    """A CSV of ``rows`` (missing keys empty); ``header`` defaults to the first row's keys."""
    names = list(header if header is not None else (rows[0] if rows else VALID_ROW))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([row.get(name, "") for name in names])
    return out.getvalue().encode()


def row(**changes: str) -> dict[str, str]:
    """The valid row with some values changed."""
    return {**VALID_ROW, **changes}


def rows(count: int, **changes: str) -> list[dict[str, str]]:
    """``count`` valid rows with distinct pathway ids."""
    return [row(pathway_id=f"PW{i:04d}", **changes) for i in range(count)]


@pytest.fixture(scope="session")
def reference() -> ReferenceCodes:
    return ReferenceCodes.from_reference_files()


@pytest.fixture(scope="session")
def imd() -> ImdLookup:
    return ImdLookup.from_iod_csv(SHIPPED_IOD2019, IOD2019_EDITION)


Validate = Callable[..., ValidationOutcome]


@pytest.fixture
def validate(reference: ReferenceCodes, imd: ImdLookup) -> Validate:
    """Validate CSV bytes, a RawTable or a list of row dicts against the shipped reference."""

    def run(source: bytes | RawTable | Sequence[Mapping[str, str]], **options: object):
        if isinstance(source, bytes):
            table = read_ptl_csv(source)
        elif isinstance(source, RawTable):
            table = source
        else:
            table = read_ptl_csv(csv_bytes(source))
        lookup = options.pop("imd", imd)
        return validate_table(table, reference, lookup, TODAY, **options)  # type: ignore[arg-type]

    return run
