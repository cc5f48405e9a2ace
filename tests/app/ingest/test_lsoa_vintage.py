"""WLMDS extracts with derLSOA (2011 LSOAs) and/or derLSOA2021: the IMD edition decides."""

from __future__ import annotations

import pytest

from app.ingest import RawTable, RowError, WarningCode, read_ptl_csv

from .conftest import Validate, csv_bytes, row

#: E01000001 is a 2011 LSOA in IoD 2019 (decile 9); E01035624 exists only from 2021.
LSOA_2011, LSOA_2021 = "E01000001", "E01035624"


def _both(first: str = "derLSOA", second: str = "derLSOA2021") -> bytes:
    header = [name for name in row() if name != "lsoa_code"] + [first, second]
    values = {first: LSOA_2011 if first == "derLSOA" else LSOA_2021}
    values[second] = LSOA_2021 if second == "derLSOA2021" else LSOA_2011
    return csv_bytes([row(**values)], header=header)


@pytest.mark.parametrize("order", [("derLSOA", "derLSOA2021"), ("derLSOA2021", "derLSOA")])
def test_both_columns_read_the_one_matching_the_edition(order, validate: Validate) -> None:
    table = read_ptl_csv(_both(*order), lsoa_vintage="2011")
    assert table.errors == []
    assert table.columns["lsoa_code"].tolist() == [LSOA_2011.encode()]
    assert table.lsoa.ignored == {"derLSOA2021": "2021"}
    outcome = validate(table)
    assert outcome.ok, outcome.errors
    assert outcome.validated is not None
    assert outcome.validated.imd_decile.tolist() == [9]
    [warning] = [w for w in outcome.validated.warnings if w.code == WarningCode.LSOA_COLUMN_IGNORED]
    assert warning.message == (
        "derLSOA2021 (2021 LSOAs) ignored: the iod2019 IMD lookup uses 2011 LSOAs, "
        "read from derLSOA"
    )
    assert warning.rows == [1]
    assert WarningCode.LSOA_VINTAGE_MISMATCH not in {w.code for w in outcome.validated.warnings}


def test_an_iod2025_upload_reads_derlsoa2021() -> None:
    table = read_ptl_csv(_both(), lsoa_vintage="2021")
    assert table.columns["lsoa_code"].tolist() == [LSOA_2021.encode()]
    assert table.lsoa.ignored == {"derLSOA": "2011"}


def test_without_a_known_edition_both_columns_still_clash() -> None:
    table = read_ptl_csv(_both())
    assert [e.message for e in table.errors] == ["column lsoa_code is given more than once"]


def test_two_columns_of_one_census_or_without_one_still_clash() -> None:
    for names in [("derLSOA", "LSOA"), ("lsoa_code", "derLSOA2021")]:
        header = [name for name in row() if name != "lsoa_code"] + list(names)
        table = read_ptl_csv(csv_bytes([row()], header=header), lsoa_vintage="2011")
        assert table.errors == [
            RowError(1, "lsoa_code", ", ".join(names), "column lsoa_code is given more than once")
        ]


def test_only_the_other_census_is_looked_up_with_a_warning(validate: Validate) -> None:
    header = [name for name in row() if name != "lsoa_code"] + ["derLSOA2021"]
    rows = [
        row(pathway_id="A", derLSOA2021=LSOA_2011),  # unchanged between the censuses
        row(pathway_id="B", derLSOA2021=LSOA_2021),  # created in 2021: not in IoD 2019
    ]
    table = read_ptl_csv(csv_bytes(rows, header=header), lsoa_vintage="2011")
    outcome = validate(table)
    assert outcome.ok, outcome.errors
    ptl = outcome.validated
    assert ptl is not None
    assert ptl.imd_decile.tolist() == [9, 0]
    assert ptl.imd_source.tolist() == ["lookup", "unknown"]
    by_code = {w.code: w for w in ptl.warnings}
    mismatch = by_code[WarningCode.LSOA_VINTAGE_MISMATCH]
    assert "derLSOA2021 (2021 LSOAs)" in mismatch.message
    assert "iod2019 IMD lookup uses 2011 LSOAs" in mismatch.message
    assert "IMD unknown" in mismatch.message
    assert by_code[WarningCode.IMD_UNKNOWN].count == 1


def test_json_records_follow_the_same_rule(validate: Validate) -> None:
    base = {k: v for k, v in row().items() if k != "lsoa_code"}
    records = [
        {**base, "pathway_id": "A", "derLSOA2021": LSOA_2021, "derLSOA": LSOA_2011},
        {**base, "pathway_id": "B", "derLSOA": LSOA_2011, "derLSOA2021": LSOA_2021},
        {**base, "pathway_id": "C", "lsoa_code": LSOA_2011, "derLSOA": LSOA_2011},
    ]
    table = RawTable.from_records(records, lsoa_vintage="2011")
    assert table.row_numbers.tolist() == [1, 2]
    assert table.columns["lsoa_code"].tolist() == [LSOA_2011.encode()] * 2
    assert [e.row for e in table.errors] == [3]
    assert table.lsoa.ignored == {"derLSOA2021": "2021"}
    only_2021 = RawTable.from_records([{**base, "derLSOA2021": LSOA_2011}], lsoa_vintage="2011")
    outcome = validate(only_2021)
    assert outcome.validated is not None
    assert WarningCode.LSOA_VINTAGE_MISMATCH in {w.code for w in outcome.validated.warnings}
