"""The messy sample file holds exactly the defects it declares, one per messy row."""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Callable

import pytest
from nhs_number.validate import is_valid

from app.demo import ExpectedError, build_bad_ptl, write_bad_csv
from app.demo.reference import reference_codes
from tests.app.demo.ptl_rules import file_errors, parse_date

CENSUS = datetime.date(2026, 11, 23)
Row = dict[str, str]


def _date(text: str) -> datetime.date:
    parsed = parse_date(text)
    assert parsed is not None, text
    return parsed


def _unsupported_date(text: str) -> bool:
    layout_ok = re.fullmatch(r"\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4}", text) is not None
    return (
        bool(text)
        and not layout_ok
        and re.search(r"\d{1,4}[/-]\d{1,2}[/-]\d{1,4}", text) is not None
    )


#: What each defect means, checked on the damaged row itself.
DEFECT_HOLDS: dict[str, Callable[[Row, str], bool]] = {
    "bad_nhs_check_digit": lambda row, field: (
        len(row[field]) == 10 and row[field].isdigit() and not is_valid(row[field])
    ),
    "nhs_number_nine_digits": lambda row, field: re.fullmatch(r"\d{9}", row[field]) is not None,
    "future_clock_start": lambda row, field: (
        _date(row[field]) > CENSUS + datetime.timedelta(days=365)
    ),
    "clock_start_before_birth": lambda row, field: _date(row[field]) < _date(row["date_of_birth"]),
    "unknown_treatment_function": lambda row, field: (
        row[field] not in reference_codes("treatment_functions")
    ),
    "unknown_priority_code": lambda row, field: row[field] not in reference_codes("priority_codes"),
    "unsupported_date_format": lambda row, field: _unsupported_date(row[field]),
    "impossible_date": lambda row, field: (
        re.fullmatch(r"31/02/\d{4}", row[field]) is not None and parse_date(row[field]) is None
    ),
    "imd_decile_out_of_range": lambda row, field: row[field] == "11",
    "unknown_inclusion_group": lambda row, field: any(
        code not in reference_codes("inclusion_groups") for code in row[field].split(";")
    ),
    "invalid_pathway_stage": lambda row, field: (
        row[field].lower() not in {"admitted", "non_admitted"}
    ),
    "non_rtt_waiting_list": lambda row, field: row[field] in {"INON", "ONON"},
    "blank_required_field": lambda row, field: row[field] == "",
}


@pytest.fixture(scope="module")
def written() -> tuple[str, list[ExpectedError]]:
    buffer = io.StringIO()
    expected = write_bad_csv(buffer, seed=20261123, census_date=CENSUS)
    return buffer.getvalue(), expected


def test_small_file_with_one_error_per_messy_row(written: tuple[str, list[ExpectedError]]) -> None:
    text, expected = written
    rows = list(csv.DictReader(io.StringIO(text)))
    assert 20 <= len(rows) <= 40
    assert len({error.row for error in expected}) == len(expected)
    assert len({error.defect for error in expected}) >= 13
    assert len(rows) - len(expected) >= 15  # mostly valid rows


def test_expected_errors_are_exactly_what_the_file_contains(
    written: tuple[str, list[ExpectedError]],
) -> None:
    text, expected = written
    assert sorted(file_errors(text, today=CENSUS)) == sorted((e.row, e.field) for e in expected)


def test_each_messy_row_really_has_its_defect(written: tuple[str, list[ExpectedError]]) -> None:
    text, expected = written
    rows = list(csv.DictReader(io.StringIO(text)))
    for error in expected:
        row = rows[error.row - 2]
        assert row[error.field] == error.value
        if error.defect == "duplicate_pathway_id":
            assert error.first_row is not None and error.first_row < error.row
            assert rows[error.first_row - 2]["pathway_id"] == row["pathway_id"]
            assert error.first_row not in {e.row for e in expected}  # the original is valid
        else:
            assert DEFECT_HOLDS[error.defect](row, error.field), error


def test_the_brief_defects_are_all_present(written: tuple[str, list[ExpectedError]]) -> None:
    defects = {error.defect for error in written[1]}
    assert set(DEFECT_HOLDS) | {"duplicate_pathway_id"} == defects


def test_bad_file_is_deterministic_and_written_like_the_main_file() -> None:
    first, second = io.BytesIO(), io.BytesIO()
    assert write_bad_csv(first, census_date=CENSUS) == write_bad_csv(second, census_date=CENSUS)
    assert first.getvalue() == second.getvalue()
    other = build_bad_ptl(seed=1, census_date=CENSUS, provider_code="RKB")
    assert {row[2] for row in other.rows} == {"RKB"}
    assert sorted(file_errors(_as_csv(other.header, other.rows), today=CENSUS)) == sorted(
        (e.row, e.field) for e in other.expected_errors
    )


def _as_csv(header: tuple[str, ...], rows: tuple[tuple[str, ...], ...]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *rows])
    return buffer.getvalue()
