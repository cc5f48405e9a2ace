"""Whole-upload behaviour: every error listed and ordered, duplicates, IMD, warnings, output."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest

from app.ingest import PTL_COLUMNS, RawTable, RowError, ValidatedPtl, WarningCode

from .conftest import HEADER_LINE, VALID_ROW, Validate, csv_bytes, row, rows


def _errors(outcome) -> list[tuple[int, str | None, str]]:
    return [(error.row, error.field, error.message) for error in outcome.errors]


def _validated(outcome) -> ValidatedPtl:
    assert outcome.ok, outcome.errors
    assert outcome.validated is not None
    return outcome.validated


def _warnings(outcome) -> dict[WarningCode, tuple[int, list[int]]]:
    return {w.code: (w.count, w.rows) for w in _validated(outcome).warnings}


class TestEveryErrorIsListed:
    def test_all_errors_in_row_then_field_order(self, validate: Validate) -> None:
        data = [
            row(pathway_id="A1"),
            row(pathway_id="A2", priority_code="P9", nhs_number="9990000019"),
            row(pathway_id="A3"),
            row(pathway_id="A4", rtt_clock_start="2027-01-01", sex="q", lsoa_code="x"),
        ]
        outcome = validate(data)
        assert not outcome.ok and outcome.validated is None
        assert outcome.error_count == 5
        assert [(e.row, e.field) for e in outcome.errors] == [
            (3, "nhs_number"),
            (3, "priority_code"),
            (5, "lsoa_code"),
            (5, "rtt_clock_start"),
            (5, "sex"),
        ]

    def test_header_is_row_one(self, validate: Validate) -> None:
        outcome = validate([*rows(2), row(pathway_id="LAST", treatment_function_code="1")])
        assert _errors(outcome) == [
            (4, "treatment_function_code", "unknown treatment function code '1'")
        ]

    def test_json_records_are_numbered_from_one(self, validate: Validate) -> None:
        table = RawTable.from_records([dict(VALID_ROW), dict(VALID_ROW, pathway_id="B", sex="7")])
        assert [(e.row, e.field) for e in validate(table).errors] == [(2, "sex")]

    def test_json_record_missing_a_required_key(self, validate: Validate) -> None:
        record = {key: value for key, value in VALID_ROW.items() if key != "pathway_stage"}
        outcome = validate(RawTable.from_records([record]))
        assert _errors(outcome) == [(1, "pathway_stage", "pathway_stage is required")]

    def test_a_blank_priority_is_accepted_flagged_and_warned(self, validate: Validate) -> None:
        outcome = validate(
            RawTable.from_records(
                [dict(VALID_ROW, priority_code=""), dict(VALID_ROW, pathway_id="B")]
            )
        )
        validated = _validated(outcome)
        assert _warnings(outcome)[WarningCode.PRIORITY_CODE_BLANK] == (1, [1])
        blank = next(w for w in validated.warnings if w.code == WarningCode.PRIORITY_CODE_BLANK)
        assert "ranked as the rule set's unset_priority_as" in blank.message
        assert validated.priority_code.tolist() == ["", VALID_ROW["priority_code"]]

    def test_reader_and_value_errors_are_merged(self, validate: Validate) -> None:
        line = ",".join(VALID_ROW.values())
        data = f"{HEADER_LINE}\n{line}\n{line},extra\n{line.replace('RZZ01', 'R')}\n".encode()
        outcome = validate(data)
        duplicate = "duplicate pathway_id 'PW-0001' for provider RZZ (first seen on row 2)"
        assert _errors(outcome) == [
            (3, None, "row has 20 fields but the header has 19"),
            (4, "pathway_id", duplicate),
            (4, "site_code", "site_code must be an ODS site code of 3–9 letters or digits"),
        ]

    def test_missing_required_column_is_reported_once_and_rows_still_checked(
        self, validate: Validate
    ) -> None:
        header = [name for name in VALID_ROW if name != "priority_code"]
        outcome = validate(csv_bytes([*rows(3), row(pathway_id="X", sex="7")], header=header))
        assert _errors(outcome) == [
            (1, "priority_code", "required column missing: priority_code"),
            (5, "sex", outcome.errors[1].message),
        ]

    def test_max_errors_caps_the_list_not_the_count(self, validate: Validate) -> None:
        outcome = validate(rows(30, sex="7", rtt_status="0"), max_errors=5)
        assert outcome.error_count == 60
        assert [(e.row, e.field) for e in outcome.errors] == [
            (2, "rtt_status"), (2, "sex"), (3, "rtt_status"), (3, "sex"), (4, "rtt_status"),
        ]  # fmt: skip

    def test_non_utf8_bytes_name_the_row_and_field(self, validate: Validate) -> None:
        data = csv_bytes(rows(3)).replace(b"PW0001", b"PW\xff0001")
        outcome = validate(data)
        message = "contains bytes that are not valid UTF-8: save the file as 'CSV UTF-8'"
        assert _errors(outcome) == [(3, "pathway_id", message)]
        assert outcome.errors[0].value == "PW\\xff0001"

    def test_error_body_is_the_422_shape(self, validate: Validate) -> None:
        body = validate([row(nhs_number="9990000019")]).error_body()
        assert json.loads(json.dumps(body)) == {
            "errors": [
                {
                    "row": 2,
                    "field": "nhs_number",
                    "value": "999*****19",
                    "message": "not a valid NHS number (check digit)",
                }
            ]
        }

    def test_no_full_nhs_number_in_any_error(self, validate: Validate) -> None:
        numbers = ["9990000019", "99900000189", "999-000-0019", "999 000 0019"]
        data = [row(pathway_id=f"N{i}", nhs_number=n) for i, n in enumerate(numbers)]
        outcome = validate(data)
        assert len(outcome.errors) == 4
        text = json.dumps(outcome.error_body())
        for number in numbers:
            assert number not in text
            assert "".join(ch for ch in number if ch.isdigit()) not in text


class TestStructure:
    def test_empty_file_is_an_error(self, validate: Validate) -> None:
        assert _errors(validate(b"")) == [(1, None, "the file is empty: expected a header row")]

    def test_header_only_is_valid_and_empty(self, validate: Validate) -> None:
        ptl = _validated(validate(f"{HEADER_LINE}\n".encode()))
        assert len(ptl) == 0
        assert all(len(values) == 0 for values in ptl.columns.values())

    def test_required_columns_alone_are_enough(self, validate: Validate) -> None:
        header = list(VALID_ROW)[:7]
        ptl = _validated(validate(csv_bytes([VALID_ROW], header=header)))
        assert ptl.ethnic_category.tolist() == ["99"]
        assert ptl.imd_source.tolist() == ["unknown"]
        assert np.isnat(ptl.date_of_birth).all()


class TestDuplicates:
    def test_each_repeat_names_the_first_row(self, validate: Validate) -> None:
        data = [row(pathway_id="A"), row(pathway_id="B"), row(pathway_id="A"), row(pathway_id="A")]
        assert _errors(validate(data)) == [
            (4, "pathway_id", "duplicate pathway_id 'A' for provider RZZ (first seen on row 2)"),
            (5, "pathway_id", "duplicate pathway_id 'A' for provider RZZ (first seen on row 2)"),
        ]

    def test_provider_is_compared_after_normalising(self, validate: Validate) -> None:
        data = [row(pathway_id="A", provider_code="rzz"), row(pathway_id="A", provider_code="RZZ")]
        assert [(e.row, e.field) for e in validate(data).errors] == [(3, "pathway_id")]

    def test_same_pathway_id_at_another_provider_is_fine(self, validate: Validate) -> None:
        data = [row(pathway_id="A"), row(pathway_id="A", provider_code="RKB")]
        assert validate(data).ok

    def test_the_same_patient_on_two_pathways_is_fine(self, validate: Validate) -> None:
        assert validate(rows(2)).ok


class TestImd:
    def test_decile_is_looked_up_from_the_lsoa(self, validate: Validate) -> None:
        ptl = _validated(validate([row(lsoa_code="E01000001")]))
        assert ptl.imd_decile.tolist() == [9]
        assert ptl.imd_source.tolist() == ["lookup"]
        assert ptl.imd_edition.tolist() == ["iod2019"]

    def test_supplied_decile_is_kept_and_a_difference_reported(self, validate: Validate) -> None:
        outcome = validate([row(lsoa_code="E01000001", imd_decile="2"), row(pathway_id="B")])
        ptl = _validated(outcome)
        assert ptl.imd_decile.tolist() == [2, 9]
        assert ptl.imd_source.tolist() == ["supplied", "lookup"]
        assert ptl.imd_edition.tolist() == ["", "iod2019"]
        assert _warnings(outcome)[WarningCode.IMD_DECILE_DIFFERS_FROM_LOOKUP] == (1, [2])

    def test_supplied_decile_without_lsoa(self, validate: Validate) -> None:
        outcome = validate([row(lsoa_code="", imd_decile="1")])
        assert _validated(outcome).imd_source.tolist() == ["supplied"]
        assert WarningCode.IMD_UNKNOWN not in _warnings(outcome)

    def test_unknown_lsoa_means_unknown_imd(self, validate: Validate) -> None:
        outcome = validate([row(lsoa_code="E01999999"), row(pathway_id="B", lsoa_code="")])
        ptl = _validated(outcome)
        assert ptl.imd_decile.tolist() == [0, 0]
        assert ptl.imd_source.tolist() == ["unknown", "unknown"]
        assert ptl.imd_edition.tolist() == ["", ""]
        warnings = _warnings(outcome)
        assert warnings[WarningCode.IMD_UNKNOWN] == (2, [2, 3])
        assert warnings[WarningCode.LSOA_NOT_IN_IMD_LOOKUP] == (1, [2])

    def test_without_a_lookup_every_unsupplied_decile_is_unknown(self, validate: Validate) -> None:
        outcome = validate(
            [row(lsoa_code="E01000001"), row(pathway_id="B", imd_decile="5")], imd=None
        )
        ptl = _validated(outcome)
        assert ptl.imd_decile.tolist() == [0, 5]
        messages = {w.code: w.message for w in ptl.warnings}
        assert "no IMD lookup is loaded" in messages[WarningCode.IMD_UNKNOWN]


class TestWarnings:
    def test_ethnicity_not_stated_not_known_and_blank(self, validate: Validate) -> None:
        data = [
            row(pathway_id="1", ethnic_category="Z"),
            row(pathway_id="2", ethnic_category="99"),
            row(pathway_id="3", ethnic_category=""),
            row(pathway_id="4", ethnic_category=" "),
            row(pathway_id="5", ethnic_category="A"),
        ]
        outcome = validate(data)
        assert _validated(outcome).ethnic_category.tolist() == ["Z", "99", "99", "99", "A"]
        warnings = _warnings(outcome)
        assert warnings[WarningCode.ETHNICITY_NOT_STATED] == (1, [2])
        assert warnings[WarningCode.ETHNICITY_NOT_KNOWN] == (1, [3])
        assert warnings[WarningCode.ETHNICITY_BLANK] == (2, [4, 5])

    def test_extra_columns_and_blank_rows(self, validate: Validate) -> None:
        line = ",".join(VALID_ROW.values())
        data = f"{HEADER_LINE},Surname,Ward\n{line},x,y\n\n".encode()
        outcome = validate(data + b"," * 20 + b"\n")
        warnings = {w.code: w for w in _validated(outcome).warnings}
        extra = warnings[WarningCode.EXTRA_COLUMNS_IGNORED]
        assert (extra.count, extra.message) == (
            2,
            "columns not in the format were ignored: Surname, Ward",
        )
        assert (warnings[WarningCode.BLANK_ROWS_SKIPPED].count,
                warnings[WarningCode.BLANK_ROWS_SKIPPED].rows) == (2, [3, 4])  # fmt: skip

    def test_stale_priority_is_more_than_90_days(self, validate: Validate) -> None:
        data = [
            row(pathway_id="1", priority_set_date="2026-08-25"),  # exactly 90 days: fine
            row(pathway_id="2", priority_set_date="2026-08-24"),
            row(pathway_id="3", priority_set_date=""),
        ]
        outcome = validate(data)
        assert _warnings(outcome)[WarningCode.PRIORITY_SET_DATE_STALE] == (1, [3])
        assert WarningCode.PRIORITY_SET_DATE_STALE not in _warnings(
            validate(data, stale_priority_days=365)
        )

    def test_clock_stopped_rtt_status(self, validate: Validate) -> None:
        outcome = validate([row(pathway_id="1", rtt_status="30"), row(pathway_id="2")])
        assert _warnings(outcome)[WarningCode.RTT_STATUS_CLOCK_STOPPED] == (1, [2])

    def test_a_clean_upload_has_no_warnings(self, validate: Validate) -> None:
        assert _validated(validate(rows(3))).warnings == []

    def test_warning_rows_are_the_first_twenty(self, validate: Validate) -> None:
        outcome = validate(rows(45, ethnic_category="Z"))
        count, examples = _warnings(outcome)[WarningCode.ETHNICITY_NOT_STATED]
        assert count == 45
        assert examples == list(range(2, 22))
        message = _validated(outcome).warnings[0].message
        assert message == "45 entries with ethnic category Z (not stated)"


class TestValidatedPtl:
    def test_columns_are_typed_and_in_order(self, validate: Validate) -> None:
        ptl = _validated(validate(rows(3)))
        columns = ptl.columns
        assert tuple(columns) == PTL_COLUMNS
        assert len(ptl) == 3 and ptl.row_numbers.tolist() == [2, 3, 4]
        assert columns["rtt_clock_start"].dtype == np.dtype("datetime64[D]")
        assert columns["imd_decile"].dtype == np.int8
        assert columns["pathway_id"].tolist() == ["PW0000", "PW0001", "PW0002"]

    def test_rows_come_as_database_ready_dicts_in_chunks(self, validate: Validate) -> None:
        data = [*rows(4), row(pathway_id="Z", date_of_birth="", site_code="", lsoa_code="")]
        ptl = _validated(validate(data))
        chunks = list(ptl.iter_row_chunks(chunk_size=2))
        assert [len(chunk) for chunk in chunks] == [2, 2, 1]
        first = chunks[0][0]
        assert list(first) == list(PTL_COLUMNS)
        assert first["rtt_clock_start"] == date(2026, 5, 1)
        assert first["nhs_number"] == "9990000018"
        assert first["imd_decile"] == 9 and first["imd_source"] == "lookup"
        last = chunks[-1][0]
        assert last["date_of_birth"] is None and last["site_code"] is None
        assert last["imd_decile"] is None and last["imd_source"] == "unknown"

    def test_chunk_size_must_be_positive(self, validate: Validate) -> None:
        with pytest.raises(ValueError, match="chunk_size"):
            next(_validated(validate(rows(1))).iter_row_chunks(0))

    def test_errors_sort_with_whole_row_errors_first(self) -> None:
        from app.ingest.results import sort_key

        errors = [RowError(3, "sex", "", ""), RowError(3, None, "", ""), RowError(2, "x", "", "")]
        assert [(e.row, e.field) for e in sorted(errors, key=sort_key)] == [
            (2, "x"), (3, None), (3, "sex"),
        ]  # fmt: skip


def test_undecodable_text_in_json_is_reported_and_serialisable(validate: Validate) -> None:
    record = dict(VALID_ROW, pathway_id="A\ud800", site_code="\udce9")
    outcome = validate(RawTable.from_records([record]))
    body = json.loads(json.dumps(outcome.error_body()))
    assert [(e["row"], e["field"], e["value"]) for e in body["errors"]] == [
        (1, "pathway_id", "A\\ud800"),
        (1, "site_code", "\\xe9"),
    ]
