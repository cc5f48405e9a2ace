"""Ranking runs: score a provider's open PTL under the rules in force and store the snapshot.

Why a snapshot: the ranked list, the CSV for the PAS and every later rationale must show
exactly what was decided at the time, so nothing is rescored on read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, time
from time import perf_counter
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import AuditKind, record_event
from app.metrics import RANKING_DURATION, after_commit
from app.ptl_arrays import inputs_hash, load_open_ptl
from app.rankings.errors import NotFound, RankingFailed
from app.rankings.lists import lists_of_specialties, read_seqs, switch_lists
from app.rankings.overrides import active_overrides, overrides_input
from app.rankings.run_lists import store_run_lists
from app.rankings.store import insert_results, result_columns
from app.reports import record_weekly_snapshot
from app.rules.in_force import RulesInconsistent, rules_in_force
from app.simulations.capacity import band_capacity, clock_stops
from models import RankingRun
from models.base import utcnow
from prioritisation import rank_ptl
from prioritisation.capacity import WeeklyCapacity

Trigger = Literal["upload", "manual", "change"]
Progress = Callable[[str, int | None, int | None], None]
RUN_PAGE = 50


def _no_progress(_step: str, _done: int | None = None, _total: int | None = None) -> None:
    """Progress goes nowhere when the run is not a background job."""


def census_moment(census_date: date, now: datetime) -> datetime:
    """When rules and overrides are read for a run: now for today's census, else the end of
    the census day (a back-dated run sees what was in force on that day)."""
    if census_date >= now.astimezone(UTC).date():
        return now
    return datetime.combine(census_date, time.max, tzinfo=UTC)


def run_ranking(
    session: Session,
    provider_code: str,
    *,
    actor: str,
    trigger: Trigger,
    census_date: date,
    specialties: Sequence[str] | None = None,
    lists: Sequence[tuple[str, str]] | None = None,
    upload_batch_id: int | None = None,
    imd_edition: str,
    now: datetime | None = None,
    job_id: int | None = None,
    progress: Progress | None = None,
    weekly_snapshot: bool = True,
) -> RankingRun:
    """Rank ``provider_code``'s open PTL (``specialties`` of it, or just ``lists``), store it,
    serve it, audit it.

    A run for today's census switches each list it ranked to its results, in this
    transaction (a back-dated run is stored and readable by id, but serves nothing), and then
    takes the week's equity snapshot if there is none (``weekly_snapshot=False``: the caller
    takes it after committing, so the lists are served sooner). Raises
    NotFound when there is nothing open to rank and RankingFailed when the engine refuses the
    inputs or rules. Never commits: the caller's transaction holds everything.
    """
    report: Progress = progress or _no_progress
    clock = perf_counter()
    started = now or utcnow()
    rules_at = census_moment(census_date, started)
    serves = rules_at == started
    chosen = sorted(set(specialties)) if specialties else None
    seqs = read_seqs(session, provider_code)  # before the entries: a later change stays stale
    targets = sorted(set(lists)) if lists is not None else None
    if targets is None:
        targets = lists_of_specialties(session, provider_code, chosen)
    report("loading", 0, len(targets))
    loaded = load_open_ptl(
        session, provider_code, lists=targets, imd_edition=imd_edition, key_order=True
    )
    if not len(loaded) and (lists is None or not targets):
        scope = f" in specialties {', '.join(chosen)}" if chosen else ""
        raise NotFound(f"provider {provider_code} has no open PTL entries{scope} to rank")
    try:
        in_force = rules_in_force(session, rules_at)
    except RulesInconsistent as exc:
        raise RankingFailed(str(exc)) from exc
    overrides, override_ids = overrides_input(
        loaded.arrays.pathway_id, active_overrides(session, provider_code, rules_at)
    )
    capacity = band_capacity(
        provider_code, clock_stops(session, provider_code, census_date, None), targets
    )
    report("scoring", 0, len(targets))
    result = None
    if len(loaded):
        try:
            result = rank_ptl(
                loaded.arrays,
                in_force.rulebook,
                census_date,
                overrides,
                capacity=weekly_capacity(provider_code, capacity),
            )
        except ValueError as exc:
            raise RankingFailed(f"ranking {provider_code} failed: {exc}") from exc
    used = sorted(set(result.rule_set_ids if result is not None else ()) | {"default"})
    versions = {key: in_force.versions.get(key) for key in used}
    run = RankingRun(
        provider_code=provider_code,
        census_date=census_date,
        rules_at=rules_at,
        started_at=started,
        requested_by=actor,
        trigger=trigger,
        upload_batch_id=upload_batch_id,
        specialties=chosen if lists is None else sorted({tfc for tfc, _ in targets}),
        rule_versions=versions,
        imd_edition=imd_edition,
        inputs_hash=inputs_hash(loaded),
        entry_count=len(loaded),
        parked_count=0 if result is None else int(result.parked.sum()),
        list_count=0 if result is None else len(result.list_keys),
        override_count=0 if overrides is None else int((overrides.kind != "").sum()),
        capacity=capacity or None,
        job_id=job_id,
    )
    report("storing", 0, len(targets))  # the last report: from here the run writes
    session.add(run)
    session.flush()
    if result is not None:
        columns = result_columns(
            run.id, result, loaded, rule_versions=versions, override_ids=override_ids
        )
        insert_results(session, columns, len(loaded))
        del columns
    store_run_lists(session, run, targets, loaded, result)
    del result, loaded, overrides  # stored: free them before the weekly snapshot
    run.completed_at = utcnow()
    session.flush()
    if serves:
        switch_lists(session, provider_code, run.id, seqs, targets, now=run.completed_at)
    record_event(
        session,
        actor,
        AuditKind.RANKING_RUN,
        provider_code=provider_code,
        subject_type="ranking_run",
        subject_id=run.id,
        details=run_summary(run),
    )
    if serves and weekly_snapshot:
        record_weekly_snapshot(session, provider_code, actor=actor, census_date=census_date)
    took = perf_counter() - clock
    after_commit(session, lambda: RANKING_DURATION.labels(trigger).observe(took))
    return run


def weekly_capacity(
    provider_code: str, capacity: dict[str, dict[str, float]]
) -> WeeklyCapacity | None:
    """The engine's capacity (its last-chance range) from a run's ``tfc/stage`` → band rates."""
    if not capacity:
        return None
    per_list: dict[tuple[str, str, str], dict[str, float]] = {}
    for key, bands in capacity.items():
        tfc, stage = key.split("/", 1)
        per_list[(provider_code, tfc, stage)] = bands
    return WeeklyCapacity(per_list)


def run_summary(run: RankingRun) -> dict[str, Any]:
    """What the audit record of a run says (no patient data)."""
    return {
        "run_id": run.id,
        "census_date": run.census_date.isoformat(),
        "trigger": run.trigger,
        "upload_batch_id": run.upload_batch_id,
        "specialties": run.specialties,
        "rule_versions": run.rule_versions,
        "imd_edition": run.imd_edition,
        "inputs_hash": run.inputs_hash,
        "job_id": run.job_id,
        "entry_count": run.entry_count,
        "parked_count": run.parked_count,
        "list_count": run.list_count,
        "override_count": run.override_count,
        "capacity": run.capacity,
    }


def get_run(session: Session, run_id: int) -> RankingRun:
    run = session.get(RankingRun, run_id)
    if run is None or run.completed_at is None:
        raise NotFound(f"ranking run {run_id} not found")
    return run


def list_runs(
    session: Session,
    *,
    provider_code: str | None,
    limit: int,
    before_id: int | None,
    upload_batch_id: int | None = None,
) -> list[RankingRun]:
    """Completed runs, newest first (``limit`` + 1 rows so the caller can tell if more exist)."""
    query = (
        select(RankingRun)
        .where(RankingRun.completed_at.is_not(None))
        .order_by(RankingRun.id.desc())
        .limit(limit + 1)
    )
    if provider_code is not None:
        query = query.where(RankingRun.provider_code == provider_code)
    if before_id is not None:
        query = query.where(RankingRun.id < before_id)
    if upload_batch_id is not None:
        query = query.where(RankingRun.upload_batch_id == upload_batch_id)
    return list(session.scalars(query))


def runs_newest_first(
    session: Session, provider_code: str, *, at: datetime | None = None
) -> Iterator[RankingRun]:
    """The provider's completed runs (completed at or before ``at``), newest first, lazily."""
    after: tuple[datetime, int] | None = None
    while True:
        query = (
            select(RankingRun)
            .where(RankingRun.provider_code == provider_code, RankingRun.completed_at.is_not(None))
            .order_by(RankingRun.completed_at.desc(), RankingRun.id.desc())
            .limit(RUN_PAGE)
        )
        if at is not None:
            query = query.where(RankingRun.completed_at <= at)
        if after is not None:
            query = query.where(
                (RankingRun.completed_at < after[0])
                | ((RankingRun.completed_at == after[0]) & (RankingRun.id < after[1]))
            )
        runs = list(session.scalars(query))
        yield from runs
        if len(runs) < RUN_PAGE:
            return
        last = runs[-1]
        assert last.completed_at is not None
        after = (last.completed_at, last.id)


def covers(run: RankingRun, treatment_function_code: str) -> bool:
    """Whether ``run`` ranked ``treatment_function_code`` (a run without a list ranks all)."""
    return run.specialties is None or treatment_function_code in run.specialties


def latest_run(
    session: Session, provider_code: str, *, specialty: str | None = None
) -> RankingRun | None:
    """The newest completed run of the provider (covering ``specialty`` when given)."""
    for run in runs_newest_first(session, provider_code):
        if specialty is None or covers(run, specialty):
            return run
    return None


def ranked_providers(session: Session, limit: int = 2) -> list[str]:
    """Up to ``limit`` providers with a completed run (to default the provider when alone)."""
    query = (
        select(RankingRun.provider_code)
        .where(RankingRun.completed_at.is_not(None))
        .distinct()
        .limit(limit)
    )
    return list(session.scalars(query))
