"""The offers file's shape is judged by the upload reader every format shares."""

from app.ingest.columns import MAX_CELL_CHARS
from app.ingest.results import RowError
from app.offers.reader import read_offers_csv

HEADER = b"pathway_id,provider_code,nhs_number,offer_date,appointment_date,attendance\n"
ROW = b"P1,RZZ,9434765919,2026-10-01,2026-10-20,5\n"


def test_ragged_blank_and_absurd_rows_are_reported_by_row_number():
    long_cell = b"x" * (MAX_CELL_CHARS + 1)
    content = (
        HEADER + ROW + b"P2,RZZ\n" + b"\n" + b",,,,,\n" + b"P3,RZZ,9434765919,2026-10-01,"
        b"2026-10-20,5," + long_cell + b"\n" + long_cell + b",RZZ,9434765919,2026-10-01,"
        b"2026-10-20,5\n" + ROW
    )
    table = read_offers_csv(content, chunk_rows=2)
    assert table.row_numbers.tolist() == [2, 8]
    assert table.blank_rows == [4, 5]
    assert [(e.row, e.field) for e in table.errors] == [(3, None), (6, None), (7, "pathway_id")]
    assert table.errors[0].message == "row has 2 fields but the header has 6"
    assert "characters long" in table.errors[2].message


def test_a_file_that_is_not_utf8_csv_is_refused_at_row_one():
    assert read_offers_csv("x".encode("utf-16")).errors == [
        RowError(1, None, "", "the file is UTF-16: save it as 'CSV UTF-8'")
    ]
    assert read_offers_csv(b" , \n" + ROW).errors == [
        RowError(1, None, "", "the header row (row 1) is blank")
    ]


def test_missing_and_repeated_columns_are_header_errors():
    table = read_offers_csv(b"pathway_id,pathway_id,provider_code\nP1,P1,RZZ\n")
    fields = {(e.field, e.message.split(":")[0]) for e in table.errors}
    assert ("pathway_id", "column pathway_id is given more than once") in fields
    assert ("attendance", "required column missing") in fields
