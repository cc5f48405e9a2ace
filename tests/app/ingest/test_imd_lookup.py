"""The IoD reader (official column names) and the sorted-array lookup, on the shipped file."""

from __future__ import annotations

import csv
import gzip
import io

import numpy as np
import pytest

from app.ingest.imd_lookup import (
    IMD_DOMAINS,
    IOD2019_EDITION,
    SHIPPED_IOD2019,
    ImdLookup,
    IodFileError,
    read_iod_csv,
)

IMD_DECILE = "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)"
BARRIERS_DECILE = "Barriers to Housing and Services Decile (where 1 is most deprived 10% of LSOAs)"


def _official_rows() -> list[dict[str, str]]:
    with gzip.open(SHIPPED_IOD2019, "rt", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_shipped_file_reads_every_lsoa() -> None:
    table = read_iod_csv(SHIPPED_IOD2019, IOD2019_EDITION)
    assert len(table) == 32_844
    assert table.edition == "iod2019"
    first = table.lsoa_codes.tolist().index("E01000001")
    assert table.imd_decile[first] == 9
    assert table.imd_rank[first] == 29_199
    assert table.imd_score[first] == pytest.approx(6.208)
    assert set(table.domain_deciles) == set(IMD_DOMAINS)


def test_lookup_matches_the_files_own_decile_columns(imd: ImdLookup) -> None:
    rows = _official_rows()
    codes = np.array([row["LSOA code (2011)"] for row in rows])
    deciles, found = imd.lookup(codes)
    assert found.all()
    assert deciles.tolist() == [int(row[IMD_DECILE]) for row in rows]
    barriers, _ = imd.lookup_domain(codes, "barriers")
    assert barriers.tolist() == [int(row[BARRIERS_DECILE]) for row in rows]


def test_e01000001_is_decile_9(imd: ImdLookup) -> None:
    deciles, found = imd.lookup(np.array([b"E01000001"]))
    assert deciles.tolist() == [9] and found.tolist() == [True]


def test_unknown_codes_are_zero_and_not_found(imd: ImdLookup) -> None:
    codes = np.array(["E01999999", "W01000001", "", "E0100000", "E010000011", "é"])
    deciles, found = imd.lookup(codes)
    assert deciles.tolist() == [0] * 6
    assert found.tolist() == [False] * 6


def _header_and_rows() -> tuple[list[str], list[list[str]]]:
    with gzip.open(SHIPPED_IOD2019, "rt", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:4]


def _csv(header: list[str], rows: list[list[str]]) -> io.BytesIO:
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return io.BytesIO(out.getvalue().encode())


def test_plain_csv_and_2021_lsoa_header_are_read() -> None:
    header, rows = _header_and_rows()
    header = ["LSOA code (2021)" if name == "LSOA code (2011)" else name for name in header]
    table = read_iod_csv(_csv(header, rows), "iod2025")
    assert table.lsoa_codes.tolist() == ["E01000001", "E01000002", "E01000003"]
    assert table.to_lookup().edition == "iod2025"


def test_missing_column_is_named() -> None:
    header, rows = _header_and_rows()
    drop = header.index(BARRIERS_DECILE)
    header = header[:drop] + header[drop + 1 :]
    rows = [row[:drop] + row[drop + 1 :] for row in rows]
    with pytest.raises(IodFileError, match="missing the column 'Barriers to Housing"):
        read_iod_csv(_csv(header, rows), "iod2019")


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        (IMD_DECILE, "11", "line 3: .* is not a decile 1–10"),
        (IMD_DECILE, "x", "line 3: .* is not a decile 1–10"),
        ("Index of Multiple Deprivation (IMD) Score", "n/a", "line 3: .* is not a number"),
        ("LSOA code (2011)", "E1000002", "line 3: .* is not an LSOA code"),
    ],
)
def test_bad_values_name_the_line(column: str, value: str, message: str) -> None:
    header, rows = _header_and_rows()
    rows[1][header.index(column)] = value
    with pytest.raises(IodFileError, match=message):
        read_iod_csv(_csv(header, rows), "iod2019")


def test_from_columns_refuses_repeats_and_bad_deciles() -> None:
    domains = {key: [1, 2] for key in IMD_DOMAINS}
    with pytest.raises(IodFileError, match="E01000001 appears more than once"):
        ImdLookup.from_columns("x", ["E01000001", "E01000001"], [1, 2], domains)
    with pytest.raises(IodFileError, match="imd deciles must be 1–10"):
        ImdLookup.from_columns("x", ["E01000001", "E01000002"], [0, 2], domains)


def test_from_columns_sorts_and_an_empty_lookup_finds_nothing() -> None:
    domains = {key: [3, 7] for key in IMD_DOMAINS}
    lookup = ImdLookup.from_columns("x", ["E01000009", "E01000001"], [4, 8], domains)
    assert lookup.lookup(np.array(["E01000001", "E01000009"]))[0].tolist() == [8, 4]
    assert lookup.lookup_domain(np.array(["E01000001"]), "crime")[0].tolist() == [7]
    empty = ImdLookup.from_columns("x", [], [], {key: [] for key in IMD_DOMAINS})
    assert empty.lookup(np.array(["E01000001"]))[1].tolist() == [False]
