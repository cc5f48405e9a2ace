"""The data-quality report on a hand-made list, shares computed by hand."""

from __future__ import annotations

from datetime import timedelta

from app.database import session_scope
from app.reports import QualityThresholds, build_quality_report, quality_csv
from tests.app.reports.entries import CENSUS, add_entries


def _ago(days):
    return CENSUS - timedelta(days=days)


ROWS = [
    # specialty 100: four entries
    {"ethnic_category": "Z"},  # a: nothing else known
    {  # b: LSOA not in the lookup; dates exactly at the thresholds (not stale)
        "ethnic_category": "99",
        "lsoa_code": "E01999999",
        "priority_set_date": _ago(90),
        "last_validated_date": _ago(84),
    },
    {  # c: looked-up IMD; dates one day past the thresholds (stale)
        "lsoa_code": "E01000001",
        "imd_decile": 9,
        "imd_source": "lookup",
        "priority_set_date": _ago(91),
        "last_validated_date": _ago(85),
    },
    {  # d: no priority code (ranked as P4)
        "imd_decile": 3,
        "priority_code": "",
        "priority_set_date": _ago(10),
        "last_validated_date": _ago(10),
    },
    # specialty 130: two entries (one parked: still counted for data quality)
    {
        "treatment_function_code": "130",
        "ethnic_category": "Z",
        "lsoa_code": "E01000002",
        "imd_decile": 10,
        "imd_source": "lookup",
        "last_validated_date": _ago(200),
    },
    {
        "treatment_function_code": "130",
        "priority_code": "P5",
        "ethnic_category": "H",
        "priority_set_date": _ago(400),
    },
]


def _counts(row):
    return {name: (m.count, m.pct) for name, m in row.measures.items()}


def test_quality_shares_by_hand(engine):
    add_entries(engine, ROWS)
    with session_scope(engine) as session:
        report = build_quality_report(session, "RZZ", CENSUS)
    assert report.thresholds == QualityThresholds(90, 84)
    rows = {row.specialty: row for row in report.by_specialty}
    assert (rows["100"].entries, rows["130"].entries, report.overall.entries) == (4, 2, 6)
    # 100: Z = a (1/4); 99 = b; Z or 99 = 2/4; no IMD = a, b; no LSOA = a, d; LSOA not found = b;
    # priority date: missing a, stale c (91 > 90; b at 90 is not); validated: missing a, stale c.
    assert _counts(rows["100"]) == {
        "ethnicity_not_stated": (1, 25.0),
        "ethnicity_not_known": (1, 25.0),
        "ethnicity_incomplete": (2, 50.0),
        "imd_unknown": (2, 50.0),
        "lsoa_missing": (2, 50.0),
        "lsoa_not_in_lookup": (1, 25.0),
        "priority_missing": (1, 25.0),
        "priority_date_missing": (1, 25.0),
        "priority_date_stale": (1, 25.0),
        "last_validated_missing": (1, 25.0),
        "last_validated_stale": (1, 25.0),
    }
    # 130: Z = e; no IMD = f; no LSOA = f; priority missing e, stale f;
    # validated missing f, stale e.
    assert _counts(rows["130"]) == {
        "ethnicity_not_stated": (1, 50.0),
        "ethnicity_not_known": (0, 0.0),
        "ethnicity_incomplete": (1, 50.0),
        "imd_unknown": (1, 50.0),
        "lsoa_missing": (1, 50.0),
        "lsoa_not_in_lookup": (0, 0.0),
        "priority_missing": (0, 0.0),
        "priority_date_missing": (1, 50.0),
        "priority_date_stale": (1, 50.0),
        "last_validated_missing": (1, 50.0),
        "last_validated_stale": (1, 50.0),
    }
    # all six: 2/6 = 33.33%, 1/6 = 16.67%, 3/6 = 50%.
    overall = _counts(report.overall)
    assert overall["ethnicity_not_stated"] == (2, 33.33)
    assert overall["ethnicity_not_known"] == (1, 16.67)
    assert overall["ethnicity_incomplete"] == (3, 50.0)
    assert overall["lsoa_not_in_lookup"] == (1, 16.67)
    assert overall["priority_date_stale"] == (2, 33.33)


def test_an_lsoa_outside_the_lookup_counts_even_when_the_decile_was_supplied(engine):
    rows = [
        {"lsoa_code": "E01999999", "imd_decile": 4, "imd_source": "supplied"},  # wrong LSOA
        {"lsoa_code": "E01000001", "imd_decile": 4, "imd_source": "supplied"},  # real LSOA
        {"lsoa_code": "E01999998"},  # wrong LSOA, IMD unknown
    ]
    add_entries(engine, rows)
    with session_scope(engine) as session:
        report = build_quality_report(session, "RZZ", CENSUS)
    overall = _counts(report.overall)
    assert overall["lsoa_not_in_lookup"] == (2, 66.67)
    assert overall["imd_unknown"] == (1, 33.33)


def test_thresholds_are_parameters(engine):
    add_entries(engine, ROWS)
    with session_scope(engine) as session:
        report = build_quality_report(session, "RZZ", CENSUS, QualityThresholds(5, 300))
    rows = {row.specialty: row for row in report.by_specialty}
    # priority older than 5 days: b (90), c (91), d (10) in 100; f (400) in 130.
    assert rows["100"].measures["priority_date_stale"].count == 3
    assert rows["130"].measures["priority_date_stale"].count == 1
    # validated older than 300 days: nobody.
    assert report.overall.measures["last_validated_stale"].count == 0


def test_quality_csv(engine):
    add_entries(engine, ROWS)
    with session_scope(engine) as session:
        report = build_quality_report(session, "RZZ", CENSUS)
    lines = quality_csv(report).splitlines()
    assert lines[0].startswith(
        "provider_code,census_date,specialty,label,entries,"
        "ethnicity_not_stated_count,ethnicity_not_stated_pct,"
    )
    assert [line.split(",")[2] for line in lines[1:]] == ["all", "100", "130"]
    assert lines[3].startswith("RZZ,2026-11-23,130,Ophthalmology,2,1,50.0,0,0.0,1,50.0,")
