"""Each column rule, one by one: a value it refuses (with the message) and values it accepts
(with the normalised value stored)."""

from __future__ import annotations

from datetime import date

import pytest

from .conftest import Validate, row

PRIORITIES = "P1a, P1b, P2, P3, P4, P5, P6"
ETHNIC = "A, B, C, D, E, F, G, H, J, K, L, M, N, P, R, S, Z, 99"
DATE_LAYOUT = "date must be YYYY-MM-DD or DD/MM/YYYY"
PATHWAY_SHAPE = "pathway_id must be 1–20 characters: letters, digits, '-', '_' or '/'"
NHS_SHAPE = "NHS number must be 10 digits (spaces or hyphens only in the 3-3-4 layout)"
PROVIDER_SHAPE = "provider_code must be an ODS organisation code of 3–5 letters or digits"
STAGE = "pathway_stage must be admitted or non_admitted (IRTT or ORTT also accepted)"
SEX = "sex must be 1 (male), 2 (female), 9 (indeterminate) or X (not known); M, F, U also accepted"
SITE_SHAPE = "site_code must be an ODS site code of 3–9 letters or digits"
OPCS = "procedure_code must be an OPCS-4 code such as W371 or W37.1"
SEPARATE = " (separate codes with ';')"
AFTER_TODAY = "is after today 2026-11-23"
NON_RTT = (
    "non-RTT waiting list type {} is not accepted: only RTT pathways (IRTT/ORTT) belong on the PTL"
)

REFUSED = [
    ("pathway_id", "", "pathway_id is required"),
    ("pathway_id", "PW 0001", PATHWAY_SHAPE),
    ("pathway_id", "P" * 21, PATHWAY_SHAPE),
    ("pathway_id", "PW#1", PATHWAY_SHAPE),
    ("nhs_number", "", "nhs_number is required"),
    ("nhs_number", "9990000019", "not a valid NHS number (check digit)"),
    ("nhs_number", "9990000000", "not a valid NHS number (check digit)"),
    ("nhs_number", "999000001", NHS_SHAPE),
    ("nhs_number", "999 0000018", NHS_SHAPE),
    ("provider_code", "", "provider_code is required"),
    ("provider_code", "RZ", PROVIDER_SHAPE),
    ("provider_code", "RZZ-1", PROVIDER_SHAPE),
    ("treatment_function_code", "", "treatment_function_code is required"),
    ("treatment_function_code", "999", "unknown treatment function code '999'"),
    ("pathway_stage", "", "pathway_stage is required"),
    ("pathway_stage", "INON", NON_RTT.format("INON")),
    ("pathway_stage", "onon", NON_RTT.format("ONON")),
    ("pathway_stage", "waiting", STAGE),
    ("priority_code", "P7", f"unknown priority code 'P7' (expected one of {PRIORITIES})"),
    ("priority_code", "P1", f"unknown priority code 'P1' (expected one of {PRIORITIES})"),
    ("rtt_clock_start", "", "rtt_clock_start is required"),
    ("rtt_clock_start", "2026-11-24", "clock start 2026-11-24 is after today 2026-11-23"),
    ("rtt_clock_start", "2026/05/01", DATE_LAYOUT),
    ("rtt_clock_start", "31/02/2026", "31/02/2026 is not a real calendar date"),
    ("date_of_birth", "2027-01-01", "date of birth 2027-01-01 is after today 2026-11-23"),
    ("date_of_birth", "1960-2-14", DATE_LAYOUT),
    ("sex", "0", SEX),
    ("sex", "male", SEX),
    ("ethnic_category", "T", f"unknown ethnic category 'T' (expected one of {ETHNIC})"),
    ("ethnic_category", "9", f"unknown ethnic category '9' (expected one of {ETHNIC})"),
    ("lsoa_code", "E0100001", "LSOA code must be E01 or W01 followed by 6 digits"),
    ("lsoa_code", "E02000001", "LSOA code must be E01 or W01 followed by 6 digits"),
    ("imd_decile", "0", "imd_decile must be a whole number from 1 (most deprived) to 10"),
    ("imd_decile", "11", "imd_decile must be a whole number from 1 (most deprived) to 10"),
    ("imd_decile", "3.0", "imd_decile must be a whole number from 1 (most deprived) to 10"),
    ("inclusion_groups", "homles", "unknown inclusion group 'homles'"),
    ("inclusion_groups", "homeless;x;y", "unknown inclusion groups 'x', 'y'"),
    ("inclusion_groups", "homeless,carer", "unknown inclusion group 'homeless,carer'" + SEPARATE),
    ("clinical_areas", "cancer", "unknown clinical area 'cancer'"),
    ("site_code", "RZ", SITE_SHAPE),
    ("site_code", "RZZ01-A", SITE_SHAPE),
    ("priority_set_date", "2026-12-01", "priority set date 2026-12-01 is after today 2026-11-23"),
    ("priority_set_date", "1 Oct 2026", DATE_LAYOUT),
    ("procedure_code", "W3712", OPCS),
    ("procedure_code", "W3.71", OPCS),
    ("last_validated_date", "2027-01-01", f"last validated date 2027-01-01 {AFTER_TODAY}"),
    ("rtt_status", "40", "unknown RTT period status '40'"),
]  # fmt: skip


@pytest.mark.parametrize(("field", "value", "message"), REFUSED)
def test_rule_refuses(validate: Validate, field: str, value: str, message: str) -> None:
    outcome = validate([row(**{field: value})])
    assert not outcome.ok
    assert [(e.row, e.field, e.message) for e in outcome.errors] == [(2, field, message)]
    shown = outcome.errors[0].value
    if field == "nhs_number" and value:
        # Masked: first 3 and last 2 characters kept, no more than 5 digits shown.
        assert shown[:3] == value[:3] and shown[-2:] == value[-2:]
        assert sum(character.isdigit() for character in shown) == 5
        assert "*" in shown
    else:
        assert shown == value


ACCEPTED = [
    ("pathway_id", "A/B_9-x", "A/B_9-x"),
    ("pathway_id", "  PW1 ", "PW1"),
    ("pathway_id", "P" * 20, "P" * 20),
    ("nhs_number", "999 000 0018", "9990000018"),
    ("nhs_number", "999-000-0018", "9990000018"),
    ("provider_code", "rzz", "RZZ"),
    ("provider_code", "R1H12", "R1H12"),
    ("treatment_function_code", "502", "502"),
    ("pathway_stage", "ADMITTED", "admitted"),
    ("pathway_stage", "Non_Admitted", "non_admitted"),
    ("pathway_stage", "IRTT", "admitted"),
    ("pathway_stage", "ortt", "non_admitted"),
    ("priority_code", "p1a", "P1a"),
    ("priority_code", "P5", "P5"),
    ("rtt_clock_start", "01/05/2026", date(2026, 5, 1)),
    ("rtt_clock_start", "2026-11-23", date(2026, 11, 23)),
    ("date_of_birth", "14/02/1960", date(1960, 2, 14)),
    ("date_of_birth", "", None),
    ("sex", "M", "1"),
    ("sex", "f", "2"),
    ("sex", "U", "X"),
    ("sex", "x", "X"),
    ("sex", "9", "9"),
    ("sex", "", ""),
    ("ethnic_category", "h", "H"),
    ("ethnic_category", "99", "99"),
    ("ethnic_category", "Z", "Z"),
    ("ethnic_category", "", "99"),
    ("lsoa_code", "e01000001", "E01000001"),
    ("lsoa_code", "W01000001", "W01000001"),
    ("lsoa_code", "", ""),
    ("imd_decile", "1", 1),
    ("imd_decile", "10", 10),
    ("imd_decile", " 03 ", 3),
    ("inclusion_groups", "Homeless; carer;;homeless", "carer;homeless"),
    ("inclusion_groups", "", ""),
    ("clinical_areas", "smi;DIABETES", "diabetes;smi"),
    ("site_code", "rzz01", "RZZ01"),
    ("site_code", "", ""),
    ("priority_set_date", "", None),
    ("procedure_code", "w37.1", "W371"),
    ("procedure_code", "W371", "W371"),
    ("procedure_code", "", ""),
    ("last_validated_date", "2026-11-23", date(2026, 11, 23)),
    ("rtt_status", "31", "31"),
    ("rtt_status", "", ""),
]


@pytest.mark.parametrize(("field", "value", "stored"), ACCEPTED)
def test_rule_accepts_and_normalises(
    validate: Validate, field: str, value: str, stored: object
) -> None:
    outcome = validate([row(**{field: value})])
    assert outcome.ok, outcome.errors
    assert outcome.validated is not None
    assert outcome.validated.columns[field].tolist() == [stored]


def test_clock_start_before_birth_is_refused(validate: Validate) -> None:
    outcome = validate([row(rtt_clock_start="2000-01-01", date_of_birth="01/01/2001")])
    message = "clock start 2000-01-01 is before date of birth 2001-01-01"
    assert [(e.row, e.field, e.value, e.message) for e in outcome.errors] == [
        (2, "rtt_clock_start", "2000-01-01", message)
    ]


def test_clock_start_on_the_day_of_birth_is_accepted(validate: Validate) -> None:
    assert validate([row(rtt_clock_start="2001-01-01", date_of_birth="2001-01-01")]).ok


def test_non_ascii_character_is_named(validate: Validate) -> None:
    outcome = validate([row(provider_code="RZZ\u00e9")])
    assert [(e.row, e.field, e.message) for e in outcome.errors] == [
        (2, "provider_code", "contains 'é' (U+00E9): only ASCII characters are allowed")
    ]


def test_non_breaking_space_around_a_value_is_trimmed(validate: Validate) -> None:
    outcome = validate([row(provider_code="\u00a0RZZ\u00a0")])
    assert outcome.ok, outcome.errors
