"""Report tasks: the weekly equity snapshot and back-filling the trend from stored history."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, select

from app.database import session_scope
from app.jobs import JobContext, task
from app.reports.columns import ProviderNotFound
from app.reports.equity import build_equity_report
from app.reports.snapshots import iso_week, record_weekly_snapshot, store_snapshot
from models import EquitySnapshot, PtlEntry, RankingList

BACKFILL_TASK = "reports.backfill_trend"
SNAPSHOT_ACTOR = "equiwait.scheduler"


def weekly_snapshots(engine: Engine, *, today: date | None = None) -> list[str]:
    """This ISO week's snapshot of every provider with a served list that has none yet."""
    day = today or date.today()
    stored = []
    with session_scope(engine) as session:
        providers = sorted(
            session.scalars(
                select(RankingList.provider_code).where(RankingList.run_id.is_not(None)).distinct()
            )
        )
    for provider in providers:
        with session_scope(engine) as session:
            try:
                snapshot = record_weekly_snapshot(
                    session, provider, actor=SNAPSHOT_ACTOR, census_date=day
                )
            except ProviderNotFound:
                continue
            if snapshot is not None:
                stored.append(provider)
    return stored


def week_monday(year: int, week: int) -> date:
    return date.fromisocalendar(year, week, 1)


def backfill_trend(
    engine: Engine, provider_code: str, *, since: date, until: date, actor: str
) -> list[str]:
    """Store a snapshot for every ISO week in [since, until] that has none, computed from the
    entries open on that week's Monday (point in time); weeks with no entry open are skipped.
    The snapshots are marked ``backfilled``."""
    with session_scope(engine) as session:
        have = {
            (y, w)
            for y, w in session.execute(
                select(EquitySnapshot.iso_year, EquitySnapshot.iso_week).where(
                    EquitySnapshot.provider_code == provider_code
                )
            )
        }
        first = session.scalar(
            select(PtlEntry.created_at)
            .where(PtlEntry.provider_code == provider_code)
            .order_by(PtlEntry.created_at)
            .limit(1)
        )
    if first is None:
        raise ProviderNotFound(provider_code)
    start = max(since, first.date())
    day = week_monday(*iso_week(start))
    stored = []
    while day <= until:
        year, week = iso_week(day)
        census = max(day, start)
        if (year, week) not in have and census <= until:
            with session_scope(engine) as session:
                report = build_equity_report(session, provider_code, census)
                if report.entries_open and store_snapshot(
                    session, provider_code, census, report, actor=actor, backfilled=True
                ):
                    stored.append(f"{year}-W{week:02d}")
        day += timedelta(days=7)
    return stored


@task(BACKFILL_TASK)
def backfill_trend_task(context: JobContext, args: dict[str, Any]) -> dict[str, Any]:
    weeks = backfill_trend(
        context.engine,
        str(args["provider_code"]),
        since=date.fromisoformat(str(args["since"])),
        until=date.fromisoformat(str(args["until"])),
        actor=context.requested_by,
    )
    return {"weeks_stored": weeks}
