"""Reading the file's shape: header, aliases, encodings, ragged and blank rows, numbering."""

from __future__ import annotations

import io

import pytest

from app.ingest import CANONICAL_COLUMNS, RawTable, RowError, read_ptl_csv
from app.ingest.columns import MAX_CELL_CHARS, WLMDS_ALIASES

from .conftest import VALID_ROW, csv_bytes, rows

HEADER = ",".join(VALID_ROW)
LINE = ",".join(VALID_ROW.values())


def test_rows_are_numbered_from_two_under_the_header() -> None:
    table = read_ptl_csv(csv_bytes(rows(3)))
    assert table.row_numbers.tolist() == [2, 3, 4]
    assert table.columns["pathway_id"].tolist() == [b"PW0000", b"PW0001", b"PW0002"]
    assert set(table.columns) == set(CANONICAL_COLUMNS)
    assert table.errors == [] and table.extra_columns == []


def test_row_numbers_survive_chunking() -> None:
    data = csv_bytes(rows(25))
    table = read_ptl_csv(data, chunk_rows=4)
    assert table.row_numbers.tolist() == list(range(2, 27))
    assert table.columns["pathway_id"].tolist()[-1] == b"PW0024"


def test_stream_input_is_read_and_left_open() -> None:
    stream = io.BytesIO(csv_bytes(rows(2)))
    table = read_ptl_csv(stream)
    assert len(table) == 2
    assert not stream.closed


def test_byte_order_mark_is_ignored() -> None:
    table = read_ptl_csv(b"\xef\xbb\xbf" + csv_bytes(rows(1)))
    assert "pathway_id" in table.columns
    assert table.extra_columns == []


def test_wlmds_header_names_load_as_canonical_columns() -> None:
    wlmds = {canonical: alias for alias, canonical in WLMDS_ALIASES.items()}
    record = {wlmds.get(name, name): value for name, value in VALID_ROW.items()}
    assert "PATIENT_PATHWAY_IDENTIFIER" in record and "Waiting_List_Type" in record
    table = read_ptl_csv(csv_bytes([record]))
    assert table.errors == []
    assert table.columns["pathway_stage"].tolist() == [b"admitted"]
    assert table.columns["lsoa_code"].tolist() == [b"E01000001"]


def test_headers_match_case_insensitively_after_trimming() -> None:
    data = f"{HEADER.upper().replace('PATHWAY_ID', '  Pathway_Id ')}\n{LINE}\n".encode()
    table = read_ptl_csv(data)
    assert table.errors == []
    assert table.columns["pathway_id"].tolist() == [b"PW-0001"]


def test_extra_columns_are_listed_not_kept() -> None:
    data = f"{HEADER},Notes,\n{LINE},call first,\n".encode()
    table = read_ptl_csv(data)
    assert table.extra_columns == ["Notes", "(blank)"]
    assert set(table.columns) == set(CANONICAL_COLUMNS)


def test_missing_required_columns_are_header_errors() -> None:
    header = [name for name in VALID_ROW if name not in {"priority_code", "nhs_number"}]
    table = read_ptl_csv(csv_bytes([VALID_ROW], header=header))
    assert table.errors == [
        RowError(1, "nhs_number", "", "required column missing: nhs_number"),
        RowError(1, "priority_code", "", "required column missing: priority_code"),
    ]
    assert len(table) == 1


def test_a_column_named_twice_is_an_error() -> None:
    data = f"{HEADER},PATIENT_PATHWAY_IDENTIFIER\n{LINE},X\n".encode()
    table = read_ptl_csv(data)
    assert table.errors == [
        RowError(
            1,
            "pathway_id",
            "pathway_id, PATIENT_PATHWAY_IDENTIFIER",
            "column pathway_id is given more than once",
        )
    ]
    assert table.columns["pathway_id"].tolist() == [b"PW-0001"]  # the first one is read


def test_semicolon_separated_file_gets_a_hint() -> None:
    data = f"{HEADER.replace(',', ';')}\n{LINE.replace(',', ';')}\n".encode()
    table = read_ptl_csv(data)
    assert all("separate columns with commas" in error.message for error in table.errors)
    assert {error.field for error in table.errors} == {
        "pathway_id", "nhs_number", "provider_code", "treatment_function_code",
        "pathway_stage", "priority_code", "rtt_clock_start",
    }  # fmt: skip


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf"])
def test_empty_file(data: bytes) -> None:
    table = read_ptl_csv(data)
    assert len(table) == 0
    assert table.errors == [RowError(1, None, "", "the file is empty: expected a header row")]


def test_blank_header_row() -> None:
    table = read_ptl_csv(b",,,\n" + LINE.encode())
    assert table.errors == [RowError(1, None, "", "the header row (row 1) is blank")]


def test_header_only_is_a_valid_empty_table() -> None:
    table = read_ptl_csv(f"{HEADER}\n".encode())
    assert len(table) == 0 and table.errors == []
    assert all(len(values) == 0 for values in table.columns.values())


def test_ragged_rows_are_row_errors_and_other_rows_are_kept() -> None:
    data = f"{HEADER}\n{LINE}\n{LINE},extra\n{LINE.rsplit(',', 2)[0]}\n{LINE}\n".encode()
    table = read_ptl_csv(data)
    assert table.errors == [
        RowError(3, None, "", "row has 20 fields but the header has 19"),
        RowError(4, None, "", "row has 17 fields but the header has 19"),
    ]
    assert table.row_numbers.tolist() == [2, 5]


def test_blank_lines_and_empty_rows_are_skipped_but_counted() -> None:
    empty = "," * (len(VALID_ROW) - 1)
    data = f"{HEADER}\n{LINE}\n\n{empty}\n{LINE}\n".encode()
    table = read_ptl_csv(data)
    assert table.row_numbers.tolist() == [2, 5]
    assert table.blank_rows == [3, 4]
    assert table.errors == []


def test_quoted_fields_with_commas_and_newlines_count_as_one_row() -> None:
    data = (
        f'{HEADER},Notes\n{LINE},"two\nlines, and a comma"\n{LINE.replace("PW-0001", "PW-2")},x\n'
    ).encode()
    table = read_ptl_csv(data)
    assert table.row_numbers.tolist() == [2, 3]
    assert table.columns["pathway_id"].tolist() == [b"PW-0001", b"PW-2"]


def test_non_utf8_bytes_are_kept_for_the_validator_to_report() -> None:
    data = f"{HEADER}\n{LINE}\n".encode().replace(b"PW-0001", b"PW-\xe90001")
    table = read_ptl_csv(data)
    assert table.errors == []
    assert table.columns["pathway_id"].dtype.kind == "U"
    assert table.columns["pathway_id"][0] == "PW-\udce90001"
    assert table.columns["nhs_number"].dtype.kind == "S"  # other columns stay compact


def test_utf16_file_is_refused_with_advice() -> None:
    data = f"{HEADER}\n{LINE}\n".encode("utf-16")
    table = read_ptl_csv(data)
    assert table.errors == [RowError(1, None, "", "the file is UTF-16: save it as 'CSV UTF-8'")]


def test_an_absurdly_long_cell_drops_its_row_with_an_error() -> None:
    long_value = "x" * (MAX_CELL_CHARS + 1)
    data = f"{HEADER}\n{LINE}\n{LINE.replace('RZZ01', long_value)}\n".encode()
    table = read_ptl_csv(data)
    assert table.row_numbers.tolist() == [2]
    [error] = table.errors
    assert (error.row, error.field) == (3, "site_code")
    assert error.message == f"value is {MAX_CELL_CHARS + 1:,} characters long (at most 1,024)"
    assert table.columns["site_code"].dtype.itemsize == len("RZZ01")


class TestFromRecords:
    def test_records_are_numbered_from_one(self) -> None:
        table = RawTable.from_records([dict(VALID_ROW), dict(VALID_ROW, pathway_id="B")])
        assert table.row_numbers.tolist() == [1, 2]
        assert table.columns["pathway_id"].tolist() == [b"PW-0001", b"B"]

    def test_aliases_json_types_and_missing_keys(self) -> None:
        record: dict[str, object] = {
            "PATIENT_PATHWAY_IDENTIFIER": "A1",
            "NHS_NUMBER": "9990000018",
            "imd_decile": 3,
            "inclusion_groups": ["homeless", "carer"],
            "sex": None,
            "Comment": "x",
        }
        table = RawTable.from_records([record])
        assert table.columns["pathway_id"].tolist() == [b"A1"]
        assert table.columns["nhs_number"].tolist() == [b"9990000018"]
        assert table.columns["imd_decile"].tolist() == [b"3"]
        assert table.columns["inclusion_groups"].tolist() == [b"homeless;carer"]
        assert table.columns["sex"].tolist() == [b""]
        assert table.columns["priority_code"].tolist() == [b""]  # absent key: empty value
        assert table.extra_columns == ["Comment"]

    def test_an_nhs_number_sent_as_a_number_is_a_masked_row_error(self) -> None:
        table = RawTable.from_records([{"NHS_NUMBER": 9990000018, "pathway_id": "A"}])
        assert len(table) == 0
        assert table.errors == [
            RowError(
                1,
                "nhs_number",
                "999*****18",
                "NHS number must be sent as a JSON string (a number loses leading zeros)",
            )
        ]

    def test_bad_records_are_row_errors(self) -> None:
        table = RawTable.from_records(
            [["not", "an", "object"], {"pathway_id": "A", "PATIENT_PATHWAY_IDENTIFIER": "B"}]
        )
        assert table.errors == [
            RowError(1, None, "", "each record must be a JSON object"),
            RowError(
                2,
                "pathway_id",
                "",
                "pathway_id is given more than once (pathway_id, PATIENT_PATHWAY_IDENTIFIER)",
            ),
        ]
        assert len(table) == 0

    def test_no_records(self) -> None:
        table = RawTable.from_records([])
        assert len(table) == 0
        assert all(values.shape == (0,) for values in table.columns.values())

    def test_unicode_values_are_kept_as_text(self) -> None:
        table = RawTable.from_records([dict(VALID_ROW, pathway_id="PWé")])
        assert table.columns["pathway_id"].dtype.kind == "U"
        assert table.columns["pathway_id"].tolist() == ["PWé"]


def test_a_row_csv_cannot_parse_stops_reading_with_an_error_naming_it() -> None:
    data = csv_bytes(rows(5)).replace(b"PW0002", b'"' + b"x" * 200_000 + b'"')
    table = read_ptl_csv(data, chunk_rows=10)
    assert table.row_numbers.tolist() == [2, 3]  # rows before it are kept for validation
    [error] = table.errors
    assert (error.row, error.field) == (4, None)
    assert error.message.startswith("the file cannot be read from this row on: field larger")
