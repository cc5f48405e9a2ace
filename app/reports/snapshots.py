"""Weekly equity snapshots: the provider-wide report kept once per ISO week for trends.

Three callers store them: the service's schedule (``app/scheduler.py``), a ranking run for
today (after it switched its lists) and the ``equiwait snapshot-equity`` command; since the
first snapshot of an ISO week wins, only the first of each week is kept. Weeks missed can be
back-filled from stored history (``app/reports/jobs.py``), marked ``backfilled``. Each keeps,
beside the report, the week's measured gap at treatment per specialty and band
(``app/reports/treated_gaps.py``), which the trend sets beside the predicted one.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Insert, exists, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.reports.equity import EquityReport, build_equity_report
from app.reports.served import served_columns
from app.reports.treated_gaps import measured_treated_gaps
from models import EquitySnapshot


def iso_week(census_date: date) -> tuple[int, int]:
    """(ISO year, ISO week) of a date: weeks start on Monday; week 1 holds 4 January."""
    year, week, _ = census_date.isocalendar()
    return year, week


def snapshot_exists(session: Session, provider_code: str, year: int, week: int) -> bool:
    """Whether a snapshot of ``provider_code`` is stored for that ISO week."""
    table = EquitySnapshot
    query = select(
        exists().where(
            table.provider_code == provider_code, table.iso_year == year, table.iso_week == week
        )
    )
    return bool(session.scalar(query))


def record_weekly_snapshot(
    session: Session, provider_code: str, *, actor: str, census_date: date
) -> EquitySnapshot | None:
    """Store the equity report for ``census_date``'s ISO week; None when one already exists.

    The report is the whole open PTL (no filters, parked entries excluded), computed for
    ``census_date``. Idempotent and safe under concurrency: the insert does nothing on a
    (provider, ISO year, ISO week) conflict, so the first snapshot of the week wins. Raises
    ``ProviderNotFound`` when the provider has no open entries. Never commits.
    """
    year, week = iso_week(census_date)
    if snapshot_exists(session, provider_code, year, week):
        return None
    # Today's report comes from the lists' serving runs when there are any (no reload).
    columns = served_columns(session, provider_code) if census_date >= date.today() else None
    report = build_equity_report(session, provider_code, census_date, columns=columns)
    return store_snapshot(session, provider_code, census_date, report, actor=actor)


def store_snapshot(
    session: Session,
    provider_code: str,
    census_date: date,
    report: EquityReport,
    *,
    actor: str,
    backfilled: bool = False,
) -> EquitySnapshot | None:
    """Insert the week's snapshot unless one exists (the first of a week wins), with the
    gap at treatment of the clocks stopped in the 7 days to ``census_date``."""
    year, week = iso_week(census_date)
    values: dict[str, Any] = {
        "provider_code": provider_code,
        "iso_year": year,
        "iso_week": week,
        "census_date": census_date,
        "created_by": actor,
        "report": report.as_json(),
        "backfilled": backfilled,
        "treated_gaps": measured_treated_gaps(session, provider_code, census_date),
    }
    dialect = session.get_bind().dialect.name
    statement: Insert
    if dialect == "postgresql":
        statement = postgresql.insert(EquitySnapshot).values(values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite.insert(EquitySnapshot).values(values).on_conflict_do_nothing()
    else:
        statement = insert(EquitySnapshot).values(values)
    new_id = session.execute(statement.returning(EquitySnapshot.id)).scalar_one_or_none()
    if new_id is None:
        return None
    return session.get(EquitySnapshot, new_id)


def has_snapshots(session: Session, provider_code: str) -> bool:
    """Whether any snapshot of ``provider_code`` is stored."""
    query = select(exists().where(EquitySnapshot.provider_code == provider_code))
    return bool(session.scalar(query))


def list_snapshots(
    session: Session,
    provider_code: str,
    *,
    since: date | None = None,
    until: date | None = None,
    after: tuple[int, int] | None = None,
    limit: int | None = None,
) -> list[EquitySnapshot]:
    """Snapshots oldest first, census dates in ``[since, until]``, after ISO week ``after``."""
    query = (
        select(EquitySnapshot)
        .where(EquitySnapshot.provider_code == provider_code)
        .order_by(EquitySnapshot.iso_year, EquitySnapshot.iso_week)
    )
    if since is not None:
        query = query.where(EquitySnapshot.census_date >= since)
    if until is not None:
        query = query.where(EquitySnapshot.census_date <= until)
    if after is not None:
        year, week = after
        query = query.where(
            (EquitySnapshot.iso_year > year)
            | ((EquitySnapshot.iso_year == year) & (EquitySnapshot.iso_week > week))
        )
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))
