"""Weekly snapshots: once per ISO week, first one wins; the CLI command stores them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.cli import cli
from app.database import session_scope
from app.reports import ProviderNotFound, iso_week, list_snapshots, record_weekly_snapshot
from app.settings import get_settings
from models import EquitySnapshot
from tests.app.reports.entries import CENSUS, HAND_LIST, add_entries
from tests.conftest import TEST_SECRET


def _count(engine):
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(EquitySnapshot))


def test_iso_week():
    assert iso_week(CENSUS) == (2026, 48)
    assert iso_week(CENSUS - timedelta(days=1)) == (2026, 47)  # Sunday belongs to the week before


def test_first_snapshot_of_the_week_wins(engine):
    add_entries(engine, HAND_LIST)
    with session_scope(engine) as session:
        first = record_weekly_snapshot(session, "RZZ", actor="ranking.run", census_date=CENSUS)
        assert first is not None
        assert (first.iso_year, first.iso_week, first.created_by) == (2026, 48, "ranking.run")
        assert first.report["deprivation_gap"]["median_weeks"] == 18.0
        assert first.report["entries_measured"] == 8
        assert first.report["method"]["percentile"] == "nearest_rank"
    with session_scope(engine) as session:
        later = CENSUS + timedelta(days=6)  # Sunday, same ISO week
        assert record_weekly_snapshot(session, "RZZ", actor="cli", census_date=later) is None
    assert _count(engine) == 1
    with session_scope(engine) as session:
        stored = session.scalars(select(EquitySnapshot)).one()
        assert stored.census_date == CENSUS and stored.created_by == "ranking.run"


def test_snapshots_in_different_weeks_form_a_trend(engine):
    add_entries(engine, HAND_LIST)
    with session_scope(engine) as session:
        for days in (14, 7, 0):
            census = CENSUS - timedelta(days=days)
            assert record_weekly_snapshot(session, "RZZ", actor="t", census_date=census)
    with session_scope(engine) as session:
        weeks = [(s.iso_year, s.iso_week) for s in list_snapshots(session, "RZZ")]
        assert weeks == [(2026, 46), (2026, 47), (2026, 48)]
        since = list_snapshots(session, "RZZ", since=CENSUS - timedelta(days=7))
        assert [s.iso_week for s in since] == [47, 48]
        after = list_snapshots(session, "RZZ", after=(2026, 46), limit=1)
        assert [s.iso_week for s in after] == [47]
        assert list_snapshots(session, "RYY") == []


def test_provider_without_entries_raises(engine):
    with session_scope(engine) as session, pytest.raises(ProviderNotFound):
        record_weekly_snapshot(session, "RZZ", actor="t", census_date=CENSUS)


@pytest.fixture
def cli_env(monkeypatch, settings):
    monkeypatch.setenv("EQUIWAIT_ENVIRONMENT", "test")
    monkeypatch.setenv("EQUIWAIT_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("EQUIWAIT_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_snapshot_equity_command(engine, cli_env):
    add_entries(engine, HAND_LIST)
    runner = CliRunner()
    args = ["snapshot-equity", "--provider", "rzz", "--census-date", "2026-11-23"]
    stored = runner.invoke(cli, [*args, "--actor", "cron"])
    assert stored.exit_code == 0, stored.stderr
    assert "stored equity snapshot 2026-W48 for RZZ" in stored.stderr
    again = runner.invoke(cli, args)
    assert again.exit_code == 0
    assert "already has a snapshot for 2026-W48" in again.stderr
    assert _count(engine) == 1
    bad_date = runner.invoke(
        cli, ["snapshot-equity", "--provider", "RZZ", "--census-date", "23/11"]
    )
    assert bad_date.exit_code == 2
    unknown = runner.invoke(cli, ["snapshot-equity", "--provider", "RXX"])
    assert unknown.exit_code == 1
    assert "provider RXX has no open PTL entries" in unknown.stderr
