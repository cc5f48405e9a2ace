"""A larger synthetic PTL goes through end to end, across many reader chunks."""

from __future__ import annotations

import numpy as np

from app.ingest import RawTable, WarningCode, read_ptl_csv

from .conftest import Validate
from .synthetic import synthetic_ptl_csv


def test_synthetic_ptl_is_valid_and_fully_read(validate: Validate) -> None:
    data = synthetic_ptl_csv(20_000)
    table = read_ptl_csv(data, chunk_rows=3_000)
    outcome = validate(table)
    assert outcome.ok, outcome.errors[:5]
    assert outcome.validated is not None
    ptl = outcome.validated
    assert len(ptl) == 20_000
    assert ptl.row_numbers.tolist() == list(range(2, 20_002))
    assert not np.isnat(ptl.rtt_clock_start).any()
    assert set(ptl.imd_source.tolist()) <= {"lookup", "unknown"}
    codes = {warning.code for warning in ptl.warnings}
    assert WarningCode.ETHNICITY_BLANK in codes


def test_no_records_validate_to_an_empty_ptl(validate: Validate) -> None:
    outcome = validate(RawTable.from_records([]))
    assert outcome.ok and outcome.validated is not None and len(outcome.validated) == 0
