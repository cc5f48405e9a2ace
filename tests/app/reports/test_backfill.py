"""Back-filling the weekly trend from stored history, and the chart's gaps for missing weeks."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from sqlalchemy import select

from app.database import session_scope
from app.reports.charts import gap_trend_chart, weekly_series
from app.reports.jobs import backfill_trend
from models import EquitySnapshot
from tests.app.reports.entries import add_entries

TODAY = date.today()


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def test_missing_weeks_are_back_filled_point_in_time(engine):
    start = _monday(TODAY) - timedelta(weeks=3)
    stored = datetime.combine(start, time(0), tzinfo=UTC)
    add_entries(
        engine,
        [
            {"wait": 100, "created_at": stored},
            {
                "wait": 200,
                "created_at": stored,
                "is_open": False,
                "closed_at": stored + timedelta(days=9),
            },  # gone from the third week on
            {"wait": 50, "created_at": stored + timedelta(days=6)},  # arrives in week one
        ],
        census=TODAY,
    )
    weeks = backfill_trend(engine, "RZZ", since=start, until=TODAY, actor="test")
    assert len(weeks) == 4
    with session_scope(engine) as session:
        snapshots = list(
            session.scalars(select(EquitySnapshot).order_by(EquitySnapshot.census_date))
        )
    assert [s.backfilled for s in snapshots] == [True] * 4
    assert [s.census_date for s in snapshots][:3] == [
        start,
        start + timedelta(weeks=1),
        start + timedelta(weeks=2),
    ]
    assert [s.report["entries_open"] for s in snapshots] == [2, 3, 2, 2]
    # nothing is stored twice: every week now has its snapshot
    assert backfill_trend(engine, "RZZ", since=start, until=TODAY, actor="test") == []


def test_the_trend_chart_leaves_missing_weeks_as_gaps():
    def snap(day, gap):
        year, week, _ = day.isocalendar()
        return EquitySnapshot(
            provider_code="RZZ",
            iso_year=year,
            iso_week=week,
            census_date=day,
            report={"deprivation_gap": {"median_weeks": gap}},
        )

    first = _monday(TODAY) - timedelta(weeks=4)
    snapshots = [
        snap(first, 1.0),
        snap(first + timedelta(weeks=1), 2.0),
        snap(first + timedelta(weeks=4), 4.0),
    ]
    weeks, values = weekly_series(snapshots, "median_weeks")
    assert len(weeks) == 5 and weeks[0] == np.datetime64(first, "D")
    assert values[:2].tolist() == [1.0, 2.0] and values[4] == 4.0
    assert np.isnan(values[2]) and np.isnan(values[3])
    assert gap_trend_chart("RZZ", snapshots, "svg").startswith(b"<?xml")
