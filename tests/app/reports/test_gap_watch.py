"""Watching the effect after publication: the measured gap beside the predicted one, and the
flag after exactly four consecutive divergent weekly snapshots."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from app.database import session_scope
from app.reports.gap_watch import DIVERGENT_WEEKS_TO_FLAG, divergence, observed_and_predicted
from models import EquitySnapshot, GapPrediction, RuleSetVersion
from models.rules import PUBLISHED
from prioritisation.treated_gaps import ALL_BANDS, GapSums, cells_to_json

EFFECTIVE = date(2026, 9, 7)  # a Monday
TOLERANCE = 1.0


def _sums(q1_days: int, q5_days: int, n: int = 20) -> GapSums:
    """``n`` patients in each quintile, every one waiting exactly that long (no spread)."""
    return GapSums(n, n * q1_days, n * q1_days**2, n, n * q5_days, n * q5_days**2)


def _version(
    session, specialty: str, version: int, effective: date, document: dict | None = None
) -> RuleSetVersion:
    moment = datetime.combine(effective, time(0), tzinfo=UTC)
    row = RuleSetVersion(
        specialty=specialty, version=version, status=PUBLISHED, document=document or {},
        lock_version=1,
        created_by="dr.a", updated_by="dr.a", published_by="dr.a", published_at=moment,
        effective_from=moment, publish_reason="test",
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def _predict(session, version: RuleSetVersion, weekly_gap_days: int, weeks: int = 26) -> None:
    """A published prediction: every week, Q1 waits ``weekly_gap_days`` longer than Q5."""
    cells = {}
    for week in range(weeks):
        cells[("110", ALL_BANDS, week)] = _sums(70 + weekly_gap_days, 70)
        cells[("110", "P3", week)] = _sums(70 + weekly_gap_days, 70)
    session.add(
        GapPrediction(
            rule_set_version_id=version.id, lock_version=1, provider_code="RZZ",
            source="preview", census_date=EFFECTIVE, weeks=weeks, cells=cells_to_json(cells),
            created_by="dr.a", published_at=datetime.now(UTC),
        )
    )  # fmt: skip


def _snapshot(
    session, week: int, gap_days: int, specialty: str = "110", report: dict | None = None
) -> None:
    """The snapshot whose 7-day window is week ``week`` after EFFECTIVE."""
    census = EFFECTIVE + timedelta(weeks=week, days=6)
    year, number, _ = census.isocalendar()
    cells = {(specialty, ALL_BANDS, 0): _sums(70 + gap_days, 70)}
    cells[(specialty, "P3", 0)] = _sums(70 + gap_days, 70)
    session.add(
        EquitySnapshot(
            provider_code="RZZ", iso_year=year, iso_week=number, census_date=census,
            created_by="test", report=report or {},
            treated_gaps={"window_from": None, "window_to": census.isoformat(),
                          "clock_stops": 40, "cells": cells_to_json(cells)},
        )
    )  # fmt: skip


def _setup(engine, observed: dict[int, int], *, predicted: int | None = 7) -> None:
    with session_scope(engine) as session:
        version = _version(session, "110", 1, EFFECTIVE)
        if predicted is not None:
            _predict(session, version, predicted)
        for week, gap in observed.items():
            _snapshot(session, week, gap)


def _flag(engine):
    with session_scope(engine) as session:
        weeks = observed_and_predicted(session, "RZZ", tolerance_weeks=TOLERANCE)
        return weeks, {d.specialty: d for d in divergence(weeks)}


def test_the_trend_carries_measured_and_predicted_from_the_effective_date(engine):
    # Predicted: 1 week. Measured: 1 week, then 2 weeks: pooled 1.5 weeks, within tolerance.
    _setup(engine, {0: 7, 1: 14})
    weeks, flags = _flag(engine)
    assert [w.week for w in weeks] == ["2026-W37", "2026-W38"]
    first, second = (w.specialties[0] for w in weeks)
    assert (first.prediction_week, second.prediction_week) == (0, 1)
    assert first.observed_weeks == pytest.approx(1.0)
    assert first.predicted_weeks == pytest.approx(1.0)
    assert second.week_observed_weeks == pytest.approx(2.0)
    assert second.observed_weeks == pytest.approx(1.5)
    assert second.predicted_weeks == pytest.approx(1.0)
    assert second.divergent is False
    [band] = second.by_priority
    assert (band.priority_code, band.observed_weeks) == ("P3", pytest.approx(1.5))
    assert flags["110"].divergent_weeks == 0 and not flags["110"].flagged


@pytest.mark.parametrize(
    ("observed", "flagged", "run"),
    [
        ({0: 7, 1: 28, 2: 28, 3: 28}, False, 3),  # three divergent weeks: not yet
        ({0: 28, 1: 28, 2: 28, 3: 28}, True, 4),  # exactly four: flagged
        ({0: 28, 1: 28, 3: 28, 4: 28}, False, 2),  # a missing week breaks the run
    ],
    ids=["three", "four", "gap-week"],
)
def test_four_consecutive_divergent_weeks_flag_the_specialty(engine, observed, flagged, run):
    _setup(engine, observed)
    _, flags = _flag(engine)
    assert flags["110"].divergent_weeks == run
    assert flags["110"].flagged is flagged
    assert DIVERGENT_WEEKS_TO_FLAG == 4


def test_sampling_noise_alone_does_not_diverge(engine):
    with session_scope(engine) as session:
        version = _version(session, "110", 1, EFFECTIVE)
        _predict(session, version, 7)
        for week in range(5):
            census = EFFECTIVE + timedelta(weeks=week, days=6)
            year, number, _ = census.isocalendar()
            # Two patients a quintile, waits far apart: the gap is 6 weeks, its error wide.
            noisy = GapSums(2, 21 + 203, 21**2 + 203**2, 2, 28 + 112, 28**2 + 112**2)
            session.add(
                EquitySnapshot(
                    provider_code="RZZ", iso_year=year, iso_week=number, census_date=census,
                    created_by="test", report={},
                    treated_gaps={"clock_stops": 4,
                                  "cells": cells_to_json({("110", ALL_BANDS, 0): noisy})},
                )
            )  # fmt: skip
    weeks, flags = _flag(engine)
    last = weeks[-1].specialties[0]
    assert last.observed_weeks == pytest.approx(6.0) and last.predicted_weeks == 1.0
    assert last.observed_standard_error_weeks > 2.5  # 5 weeks apart is within 1.96 errors
    assert last.divergent is False
    assert flags["110"].divergent_weeks == 0


def test_a_version_without_preview_or_calibration_shows_no_prediction(engine):
    with session_scope(engine) as session:
        first = _version(session, "110", 1, EFFECTIVE)
        _predict(session, first, 21)
        _version(session, "110", 2, EFFECTIVE + timedelta(weeks=2))  # no prediction
        for week in range(4):
            _snapshot(session, week, 7)
    weeks, flags = _flag(engine)
    rows = [w.specialties[0] for w in weeks]
    assert [r.prediction_week for r in rows] == [0, 1, None, None]
    assert rows[0].predicted_weeks == pytest.approx(3.0)
    assert rows[2].predicted_weeks is None and rows[2].week_observed_weeks == pytest.approx(1.0)
    assert rows[2].version_id != rows[0].version_id
    assert "110" not in flags


def test_beyond_the_horizon_the_prediction_stops(engine):
    with session_scope(engine) as session:
        version = _version(session, "110", 1, EFFECTIVE)
        _predict(session, version, 7, weeks=2)
        for week in range(3):
            _snapshot(session, week, 7)
    weeks, _ = _flag(engine)
    assert [w.specialties[0].prediction_week for w in weeks] == [0, 1, None]
