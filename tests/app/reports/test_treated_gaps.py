"""The weekly snapshot keeps the measured gap at treatment per specialty and band: the Q1-Q5
gap in mean wait of the pathways whose clock stopped in the 7 days to its census date."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from app.database import session_scope
from app.reports import record_weekly_snapshot
from app.reports.jobs import backfill_trend
from models import EquitySnapshot
from prioritisation.treated_gaps import ALL_BANDS, cells_from_json
from tests.app.reports.entries import CENSUS, add_entries


def _closed(wait: int, decile: int | None, days_before_census: int, **extra):
    """A pathway whose clock stopped ``days_before_census`` days before CENSUS after ``wait``
    days (its clock start is then ``wait + days_before_census`` days before CENSUS)."""
    closed = datetime.combine(CENSUS - timedelta(days=days_before_census), time(12), tzinfo=UTC)
    return {
        "wait": wait + days_before_census,
        "imd_decile": decile,
        "is_open": False,
        "closed_at": closed,
        **extra,
    }


WEEK = [
    _closed(70, 1, 0, treatment_function_code="110", priority_code="P2"),
    _closed(140, 2, 3, treatment_function_code="110", priority_code="P3"),
    _closed(14, 10, 6, treatment_function_code="110", priority_code="P2"),
    _closed(35, 9, 1, treatment_function_code="110", priority_code=""),  # blank: as P4
    _closed(700, 1, 7, treatment_function_code="110"),  # 7 days before: the week before
    _closed(21, 5, 2, treatment_function_code="110"),  # quintile 3: in neither
    _closed(28, 1, 2, treatment_function_code="120", priority_code="P2"),
    {"wait": 10, "imd_decile": 1, "treatment_function_code": "110"},  # still open
    _closed(7, 1, 0, provider_code="RYY"),
]


def test_the_snapshot_keeps_the_week_gap_per_specialty_and_band(engine):
    add_entries(engine, WEEK)
    with session_scope(engine) as session:
        snapshot = record_weekly_snapshot(session, "RZZ", actor="test", census_date=CENSUS)
        assert snapshot is not None
        gaps = snapshot.treated_gaps
    assert gaps is not None
    assert (gaps["window_from"], gaps["window_to"]) == ("2026-11-17", "2026-11-23")
    assert gaps["clock_stops"] == 6
    cells = cells_from_json(gaps["cells"])
    assert {key[2] for key in cells} == {0}
    whole = cells[("110", ALL_BANDS, 0)]
    assert (whole.q1_count, whole.q5_count) == (2, 2)
    assert whole.gap_weeks == pytest.approx(((70 + 140) / 2 - (14 + 35) / 2) / 7)
    assert cells[("110", "P2", 0)].gap_weeks == pytest.approx((70 - 14) / 7)
    assert cells[("110", "P3", 0)].gap_weeks is None  # no quintile 5 treated in P3
    assert cells[("110", "P4", 0)].q5_count == 1
    assert cells[("120", ALL_BANDS, 0)].q1_count == 1


def test_back_filled_weeks_measure_their_own_clock_stops(engine):
    stored_at = datetime.combine(CENSUS - timedelta(weeks=3), time(0), tzinfo=UTC)
    rows = [
        {"wait": 400, "imd_decile": 1},  # keeps the provider open every week
        _closed(70, 1, 8),  # the week to CENSUS - 7
        _closed(14, 10, 9),
        _closed(140, 1, 1),  # the week to CENSUS
        _closed(7, 9, 2),
    ]
    add_entries(engine, [{**row, "created_at": stored_at} for row in rows])
    start = CENSUS - timedelta(weeks=1)
    stored = backfill_trend(engine, "RZZ", since=start, until=CENSUS, actor="test")
    assert len(stored) == 2
    with session_scope(engine) as session:
        snapshots = list(
            session.scalars(select(EquitySnapshot).order_by(EquitySnapshot.census_date))
        )
        gaps = [cells_from_json(s.treated_gaps["cells"]) for s in snapshots]
    assert gaps[0][("100", ALL_BANDS, 0)].gap_weeks == pytest.approx((70 - 14) / 7)
    assert gaps[1][("100", ALL_BANDS, 0)].gap_weeks == pytest.approx((140 - 7) / 7)
