"""The equity report on a hand-made list (see entries.HAND_LIST), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import numpy as np
import pytest

from app.database import session_scope
from app.reports import ProviderNotFound, PtlFilters, build_equity_report, equity_csv
from app.reports.columns import memberships
from tests.app.reports.entries import CENSUS, HAND_LIST, add_entries


def _by_group(rows):
    return {row.group: row for row in rows}


def test_report_arithmetic_by_hand(engine):
    add_entries(engine, HAND_LIST)
    with session_scope(engine) as session:
        report = build_equity_report(session, "RZZ", CENSUS)
    # 10 open RZZ entries; P5 and RTT 31 are parked and left out; 8 measured.
    assert (report.entries_open, report.parked_count, report.entries_measured) == (10, 2, 8)
    assert report.clock_start_after_census == 0
    # All: 7 14 21 50 70 130 140 400 -> median rank 4 = 50 d (7.14 w); p92 rank ceil(7.36)=8
    # = 400 d (57.14 w); over 18: 130 140 400 = 3/8 = 37.5%; over 52: 400 = 12.5%.
    overall = report.overall
    assert (overall.count, overall.median_days, overall.p92_days) == (8, 50, 400)
    assert (overall.median_weeks, overall.p92_weeks) == (7.14, 57.14)
    assert (overall.pct_over_18_weeks, overall.pct_over_52_weeks) == (37.5, 12.5)

    quintiles = _by_group(report.by_imd_quintile)
    assert list(quintiles) == ["1", "2", "3", "4", "5", "unknown"]
    # Q1: 70 140 400 -> median 140 d = 20 w; p92 400 d; over 18: 2/3; over 52: 1/3.
    q1 = quintiles["1"]
    assert (q1.count, q1.median_weeks, q1.p92_weeks) == (3, 20.0, 57.14)
    assert (q1.pct_over_18_weeks, q1.pct_over_52_weeks) == (66.67, 33.33)
    # Q5: 7 14 21 130 -> median rank 2 = 14 d = 2 w; p92 rank 4 = 130 d = 18.57 w; 1/4 over 18.
    q5 = quintiles["5"]
    assert (q5.count, q5.median_weeks, q5.p92_weeks, q5.pct_over_18_weeks) == (4, 2.0, 18.57, 25.0)
    assert quintiles["3"].count == 0 and quintiles["3"].median_weeks is None
    assert (quintiles["unknown"].count, quintiles["unknown"].median_days) == (1, 50)

    gap = report.deprivation_gap
    # 20 - 2 = 18 weeks; (400 - 130) / 7 = 38.57 weeks; 66.67 - 25 = 41.67 and 33.33 points.
    assert (gap.median_weeks, gap.p92_weeks) == (18.0, 38.57)
    assert (gap.pct_over_18_weeks_points, gap.pct_over_52_weeks_points) == (41.67, 33.33)
    assert (gap.most_deprived_count, gap.least_deprived_count) == (3, 4)


def test_ethnic_inclusion_and_specialty_breakdowns(engine):
    add_entries(engine, HAND_LIST)
    with session_scope(engine) as session:
        report = build_equity_report(session, "RZZ", CENSUS)
    ethnic = _by_group(report.by_ethnic_group)
    assert set(ethnic) == {"white", "mixed", "asian", "black", "other", "not_stated", "not_known"}
    assert ethnic["white"].label == "White (A, B, C)"
    # White: 7 50 130 140 -> median rank 2 = 50; p92 rank 4 = 140; over 18: 130, 140 = 50%.
    white = ethnic["white"]
    assert (white.count, white.median_days, white.p92_days, white.pct_over_18_weeks) == (
        4,
        50,
        140,
        50.0,
    )
    assert (ethnic["black"].count, ethnic["black"].median_days) == (1, 70)
    assert (ethnic["not_stated"].count, ethnic["not_stated"].median_days) == (1, 400)
    assert (ethnic["not_known"].count, ethnic["not_known"].median_days) == (1, 21)
    assert ethnic["mixed"].count == 0 and ethnic["mixed"].p92_days is None

    inclusion = _by_group(report.by_inclusion_group)
    assert list(inclusion)[-1] == "none"
    # homeless: 140, 400 -> median rank 1 = 140; p92 rank 2 = 400; 100% over 18; 50% over 52.
    homeless = inclusion["homeless"]
    assert (homeless.count, homeless.median_days, homeless.p92_days) == (2, 140, 400)
    assert (homeless.pct_over_18_weeks, homeless.pct_over_52_weeks) == (100.0, 50.0)
    assert homeless.label == "People experiencing homelessness"
    assert (inclusion["learning_disability"].count, inclusion["carer"].median_days) == (1, 130)
    # none: 7 14 21 50 70 -> median rank 3 = 21; p92 rank 5 = 70.
    none = inclusion["none"]
    assert (none.count, none.median_days, none.p92_days) == (5, 21, 70)
    assert inclusion["sex_worker"].count == 0

    specialty = _by_group(report.by_specialty)
    # 110: 70 140 -> median 70, p92 140. 130: 7 400. 100: 14 21 50 130 -> median 21, p92 130.
    assert (specialty["110"].median_days, specialty["110"].p92_days) == (70, 140)
    assert (specialty["130"].median_days, specialty["130"].p92_days) == (7, 400)
    assert (specialty["100"].count, specialty["100"].median_days) == (4, 21)
    assert specialty["110"].label == "Trauma and Orthopaedic"


def test_parked_can_be_included(engine):
    add_entries(engine, HAND_LIST)
    with session_scope(engine) as session:
        report = build_equity_report(session, "RZZ", CENSUS, include_parked=True)
    # adds 1000 (Q1) and 900 (Q5): Q1 70 140 400 1000 -> median rank 2 = 140; p92 rank 4 = 1000.
    assert report.entries_measured == 10
    q1 = _by_group(report.by_imd_quintile)["1"]
    assert (q1.count, q1.median_days, q1.p92_days, q1.pct_over_52_weeks) == (4, 140, 1000, 50.0)


def test_filters_narrow_in_sql(engine):
    add_entries(engine, HAND_LIST)
    with session_scope(engine) as session:
        t_and_o = build_equity_report(session, "RZZ", CENSUS, PtlFilters(specialty="110"))
        p4 = build_equity_report(session, "RZZ", CENSUS, PtlFilters(priority="P4"))
        outpatients = build_equity_report(session, "RZZ", CENSUS, PtlFilters(stage="non_admitted"))
        nothing = build_equity_report(session, "RZZ", CENSUS, PtlFilters(specialty="502"))
    assert (t_and_o.entries_measured, t_and_o.overall.median_days) == (2, 70)
    assert (p4.entries_measured, p4.overall.median_days) == (1, 400)
    assert outpatients.entries_open == 1
    assert nothing.entries_open == 0 and nothing.overall.median_days is None


def test_past_census_leaves_out_clocks_not_yet_started(engine):
    long_ago = datetime.combine(CENSUS - timedelta(days=100), time(0), tzinfo=UTC)
    add_entries(engine, [{**row, "created_at": long_ago} for row in HAND_LIST])
    with session_scope(engine) as session:
        report = build_equity_report(session, "RZZ", CENSUS - timedelta(days=60))
    # 60 days earlier: clocks of waits 7, 14, 21, 50 had not started; left 140 70 400 130 -> 80
    # 10 340 70 days: sorted 10 70 80 340 -> median rank 2 = 70.
    assert report.clock_start_after_census == 4
    assert (report.entries_measured, report.overall.median_days) == (4, 70)


def test_a_past_census_date_reports_the_entries_open_on_that_date(engine):
    day = CENSUS - timedelta(days=30)
    at = datetime.combine(day, time(12), tzinfo=UTC)
    add_entries(
        engine,
        [
            {"wait": 100, "created_at": at - timedelta(days=5)},
            # closed after the census date: it was still open then, and keeps its closed_at
            {
                "wait": 200,
                "created_at": at - timedelta(days=5),
                "is_open": False,
                "closed_at": at + timedelta(days=3),
            },
            # closed before it: gone by then
            {
                "wait": 300,
                "created_at": at - timedelta(days=9),
                "is_open": False,
                "closed_at": at - timedelta(days=2),
            },
            # arrived later: not on the list that day
            {"wait": 400, "created_at": at + timedelta(days=1)},
        ],
    )
    with session_scope(engine) as session:
        then = build_equity_report(session, "RZZ", day)
        now = build_equity_report(session, "RZZ", CENSUS)
    # waits counted to the census date: 100 - 30 and 200 - 30 days
    assert then.entries_open == 2 and then.overall.median_days == 70
    assert then.overall.p92_days == 170
    assert now.entries_open == 2 and now.overall.median_days == 100


def test_unknown_provider_raises(engine):
    add_entries(engine, HAND_LIST)
    with session_scope(engine) as session, pytest.raises(ProviderNotFound):
        build_equity_report(session, "RXX", CENSUS)


def test_csv_has_one_row_per_group_and_the_gap(engine):
    add_entries(engine, HAND_LIST)
    with session_scope(engine) as session:
        report = build_equity_report(session, "RZZ", CENSUS)
    lines = equity_csv(report).splitlines()
    assert lines[0].startswith("provider_code,census_date,breakdown,group,label,count")
    assert "RZZ,2026-11-23,imd_quintile,1,Q1 most deprived (IMD deciles 1-2),3,140,20.0," in (
        "\n".join(lines)
    )
    assert lines[-1].startswith("RZZ,2026-11-23,deprivation_gap,q1_minus_q5,")
    assert lines[-1].endswith(",7,,18.0,,38.57,,,41.67,33.33")


def test_memberships_explode_each_code():
    joined = np.array(["a;b", "", "b", "zz;a", "a;b"])
    entry, group, names = memberships(joined, ["a", "b", "c"])
    assert names == ["a", "b", "c", "zz"]
    pairs = sorted(zip(entry.tolist(), group.tolist(), strict=True))
    assert pairs == [(0, 0), (0, 1), (2, 1), (3, 0), (3, 3), (4, 0), (4, 1)]
