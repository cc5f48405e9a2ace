"""Ranking tasks: re-rank a provider's changed lists in the background, and the sweep.

Every change that can reorder a list records itself on the list (:mod:`app.rankings.lists`)
and asks for :func:`queue_ranking` in its own transaction. The job then ranks whatever is
stale when it starts, so one job serves every change that arrived while it waited (one
queued job per provider at a time: a feed pushing every minute never queues a run per push).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.jobs import JobContext, enqueue, task
from app.rankings.errors import NotFound
from app.rankings.lists import (
    next_effective_after,
    providers_with_lists,
    record_specialty_change,
    stale_lists,
)
from app.reports.columns import ProviderNotFound
from app.reports.served import served_report
from app.reports.snapshots import record_weekly_snapshot
from models import RankingList, RankingRun
from models.base import utcnow
from models.rules import DEFAULT_SPECIALTY

RANK_TASK = "rankings.rank_changed_lists"
SERVICE_ACTOR = "equiwait.scheduler"


def coalesce_key(provider_code: str) -> str:
    return f"rank:{provider_code}"


def queue_ranking(
    session: Session,
    provider_code: str,
    *,
    actor: str,
    reason: str,
    upload_batch_id: int | None = None,
    run_after: datetime | None = None,
) -> int:
    """Ask for the provider's changed lists to be re-ranked (coalesced); the job id."""
    args: dict[str, Any] = {"provider_code": provider_code}
    if upload_batch_id is not None:
        args["upload_batch_id"] = upload_batch_id
    return enqueue(
        session,
        RANK_TASK,
        args,
        actor=actor,
        reason=reason,
        coalesce_key=coalesce_key(provider_code),
        run_after=run_after,
    )


def providers_of_specialty(session: Session, specialty: str) -> list[str]:
    """Providers with a list the rule set key ``specialty`` can reorder (all for default)."""
    query = select(RankingList.provider_code).distinct()
    if specialty != DEFAULT_SPECIALTY:
        query = query.where(RankingList.treatment_function_code == specialty)
    return sorted(session.scalars(query))


def queue_for_rules(
    session: Session, specialty: str, effective_from: datetime, *, actor: str
) -> list[int]:
    """Re-rank the lists a publication or rollback reorders, at its ``effective_from``.

    The lists turn stale by themselves at that moment (rule versions are compared when
    asked); the jobs are queued to run then, and the sweep catches any that did not.
    """
    return [
        queue_ranking(session, provider, actor=actor, reason="rules", run_after=effective_from)
        for provider in providers_of_specialty(session, specialty)
    ]


def queue_for_reference_change(session: Session, *, actor: str) -> list[int]:
    """Reference data (code lists, the IMD lookup) changed: every list may reorder."""
    return [
        queue_ranking(session, provider, actor=actor, reason="reference")
        for provider in record_specialty_change(session, None)
    ]


@task(RANK_TASK)
def rank_changed_lists(context: JobContext, args: dict[str, Any]) -> dict[str, Any]:
    """Rank every stale list of one provider in one run (one transaction)."""
    from app.rankings.runs import run_ranking  # the run imports the overrides, which queue

    provider = str(args["provider_code"])
    with context.session() as session:
        lists = stale_lists(session, provider)
        if not lists:
            return {"run_id": None, "lists": 0, "detail": "every list was already current"}
        from_upload = "upload" in context.reasons
        try:
            run = run_ranking(
                session,
                provider,
                actor=context.requested_by,
                trigger="upload" if from_upload else "change",
                census_date=date.today(),
                lists=lists,
                upload_batch_id=args.get("upload_batch_id") if from_upload else None,
                imd_edition=context.settings.imd_edition,
                job_id=context.job_id,
                progress=context.progress,
                weekly_snapshot=False,
            )
            session.commit()  # the lists are served from here on
        except NotFound:
            session.rollback()
            return {"run_id": None, "lists": 0, "detail": "nothing open to rank"}
        except BaseException:
            session.rollback()
            raise
        # Then the week's snapshot (if none yet) and the served equity report, warmed for the
        # lists as they now stand, from the inputs the run stored (no reload of the PTL).
        try:
            record_weekly_snapshot(
                session, provider, actor=context.requested_by, census_date=date.today()
            )
            session.commit()
        except ProviderNotFound:  # every list emptied: nothing to report on
            session.rollback()
        served_report(session, provider, date.today())
        return {"run_id": run.id, "lists": len(lists), "entries": run.entry_count}


def sweep(session: Session, *, actor: str = SERVICE_ACTOR) -> dict[str, int]:
    """Queue a re-rank for every provider with a list changed after its serving run (the
    recovery sweep: also catches override expiry and rules that came into force)."""
    queued: dict[str, int] = {}
    for provider in providers_with_lists(session):
        if stale_lists(session, provider):
            queued[provider] = queue_ranking(session, provider, actor=actor, reason="recovery")
    return queued


def queue_upcoming_rules(session: Session, *, actor: str = SERVICE_ACTOR) -> int:
    """Make sure a job waits at each future ``effective_from`` (after a restart, say)."""
    count = 0
    for specialty, moment in next_effective_after(session, utcnow()):
        count += len(queue_for_rules(session, specialty, moment, actor=actor))
    return count


def latest_upload_runs(session: Session, batch_id: int) -> list[RankingRun]:
    return list(
        session.scalars(
            select(RankingRun)
            .where(RankingRun.upload_batch_id == batch_id, RankingRun.completed_at.is_not(None))
            .order_by(RankingRun.id)
        )
    )
