"""The runs that ranked one entry, newest first, with its place in each (the entry page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import RankingResult, RankingRun


@dataclass(frozen=True, slots=True)
class RankedIn:
    """One run's view of the entry."""

    run_id: int
    completed_at: datetime | None
    census_date: date
    trigger: str
    rank: int
    conventional_rank: int
    list_size: int
    score: float
    parked: bool
    protected: bool


RUNS_SEARCHED = 100
"""How many of the provider's latest runs are looked through."""


def entry_runs(
    session: Session, provider_code: str, pathway_id: str, *, limit: int = 20
) -> list[RankedIn]:
    """The entry in the latest ``limit`` of the provider's last 100 completed runs that
    ranked it. Results are found by primary key (run id, pathway id), run by run: results
    have no index on the pathway alone."""
    runs = list(
        session.scalars(
            select(RankingRun.id)
            .where(RankingRun.provider_code == provider_code, RankingRun.completed_at.is_not(None))
            .order_by(RankingRun.id.desc())
            .limit(RUNS_SEARCHED)
        )
    )
    if not runs:
        return []
    rows = session.execute(
        select(RankingRun, RankingResult)
        .join(RankingResult, RankingResult.run_id == RankingRun.id)
        .where(RankingResult.run_id.in_(runs), RankingResult.pathway_id == pathway_id)
        .order_by(RankingRun.id.desc())
        .limit(limit)
    ).all()
    return [
        RankedIn(
            run_id=run.id,
            completed_at=run.completed_at,
            census_date=run.census_date,
            trigger=run.trigger,
            rank=row.rank,
            conventional_rank=row.conventional_rank,
            list_size=row.list_size,
            score=row.score,
            parked=row.parked,
            protected=row.protected,
        )
        for run, row in rows
    ]
