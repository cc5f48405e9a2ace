"""Per-list serving state: record changes, and tell whether each list's served run is current.

A list (provider + specialty + stage) is stale while a change waits for its re-rank:
- its entries, overrides or reference data changed after the serving run read them
  (``change_seq > ranked_seq``, bumped in the changing transaction);
- the rule versions in force now for it differ from those its serving run used (a
  publication, a rollback, or a future ``effective_from`` that has since arrived);
- an override its serving run applied has expired since.
The last two are worked out when asked, so a list is never shown fresh by mistake even if
no job or schedule ran.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models import PtlEntry, RankingList, RankingOverride, RankingRun
from models.base import as_utc, utcnow
from models.rules import DEFAULT_SPECIALTY, PUBLISHED, RuleSetVersion

ListKey = tuple[str, str, str]
"""(provider code, treatment function code, pathway stage)."""


def record_changes(
    session: Session, lists: Iterable[ListKey], *, now: datetime | None = None
) -> int:
    """Bump the change counter of ``lists`` (creating their rows) in the caller's transaction."""
    keys = sorted(set(lists))
    if not keys:
        return 0
    moment = now or utcnow()
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = cast(Table, RankingList.__table__)
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        statement = insert(table).values(
            [
                {
                    "provider_code": p,
                    "treatment_function_code": t,
                    "pathway_stage": s,
                    "change_seq": 1,
                    "ranked_seq": 0,
                    "changed_at": moment,
                }
                for p, t, s in chunk
            ]
        )
        statement = statement.on_conflict_do_update(
            index_elements=["provider_code", "treatment_function_code", "pathway_stage"],
            set_={"change_seq": table.c.change_seq + 1, "changed_at": moment},
        )
        session.execute(statement)
    return len(keys)


def record_specialty_change(
    session: Session, specialty: str | None, *, now: datetime | None = None
) -> list[str]:
    """Bump every list of ``specialty`` (None: every list); the providers touched."""
    query = select(
        RankingList.provider_code, RankingList.treatment_function_code, RankingList.pathway_stage
    )
    if specialty is not None:
        query = query.where(RankingList.treatment_function_code == specialty)
    keys = [tuple(row) for row in session.execute(query)]
    record_changes(session, keys, now=now)  # type: ignore[arg-type]
    return sorted({key[0] for key in keys})


def pathway_list(session: Session, provider_code: str, pathway_id: str) -> ListKey | None:
    row = session.execute(
        select(PtlEntry.treatment_function_code, PtlEntry.pathway_stage).where(
            PtlEntry.provider_code == provider_code, PtlEntry.pathway_id == pathway_id
        )
    ).first()
    return None if row is None else (provider_code, row[0], row[1])


def read_seqs(session: Session, provider_code: str) -> dict[tuple[str, str], int]:
    """(specialty, stage) → change counter, read before a run loads the entries."""
    rows = session.execute(
        select(
            RankingList.treatment_function_code, RankingList.pathway_stage, RankingList.change_seq
        ).where(RankingList.provider_code == provider_code)
    )
    return {(tfc, stage): int(seq) for tfc, stage, seq in rows}


def switch_lists(
    session: Session,
    provider_code: str,
    run_id: int,
    seqs: dict[tuple[str, str], int],
    lists: Sequence[tuple[str, str]],
    *,
    now: datetime,
) -> int:
    """Serve ``lists`` from ``run_id`` (in the run's transaction: all switch or none).

    A list already served from a run that read a later change keeps that run.
    """
    record_changes(
        session,
        [(provider_code, t, s) for t, s in lists if (t, s) not in seqs],
        now=now,
    )
    switched = 0
    for tfc, stage in lists:
        seq = seqs.get((tfc, stage), 1)
        result = session.execute(
            update(RankingList)
            .where(
                RankingList.provider_code == provider_code,
                RankingList.treatment_function_code == tfc,
                RankingList.pathway_stage == stage,
                RankingList.ranked_seq <= seq,
            )
            .values(run_id=run_id, ranked_seq=seq, served_at=now)
            .execution_options(synchronize_session=False)
        )
        switched += int(getattr(result, "rowcount", 0) or 0)
    return switched


@dataclass(frozen=True, slots=True)
class RuleInForce:
    id: int
    effective_from: datetime


def rule_ids_in_force(session: Session, at: datetime) -> dict[str, RuleInForce]:
    """Specialty key → the published version in force at ``at`` (ids only; cheap)."""
    rows = session.execute(
        select(
            RuleSetVersion.specialty,
            RuleSetVersion.id,
            RuleSetVersion.effective_from,
            RuleSetVersion.published_at,
        )
        .where(RuleSetVersion.status == PUBLISHED, RuleSetVersion.effective_from <= as_utc(at))
        .order_by(
            RuleSetVersion.specialty,
            RuleSetVersion.effective_from.desc(),
            RuleSetVersion.published_at.desc(),
            RuleSetVersion.id.desc(),
        )
    )
    chosen: dict[str, RuleInForce] = {}
    for specialty, version_id, effective_from, _ in rows:
        if effective_from is not None:
            chosen.setdefault(specialty, RuleInForce(int(version_id), as_utc(effective_from)))
    return chosen


def next_effective_after(session: Session, at: datetime) -> list[tuple[str, datetime]]:
    """Publications that take effect after ``at`` (specialty, effective_from), soonest first."""
    rows = session.execute(
        select(RuleSetVersion.specialty, RuleSetVersion.effective_from)
        .where(RuleSetVersion.status == PUBLISHED, RuleSetVersion.effective_from > as_utc(at))
        .order_by(RuleSetVersion.effective_from)
    )
    return [(specialty, as_utc(moment)) for specialty, moment in rows if moment is not None]


@dataclass(frozen=True, slots=True)
class ListFreshness:
    """How current one served list is."""

    provider_code: str
    specialty: str
    stage: str
    run_id: int | None
    ranked_at: datetime | None
    """When the serving run completed (None: never ranked)."""
    rule_versions: dict[str, int | None]
    """The serving run's rule versions for this list (its key, and the default)."""
    latest_change_at: datetime
    """Latest change to the list's entries, overrides, reference data or rules in force."""
    stale_reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def stale(self) -> bool:
        return bool(self.stale_reasons)


def _run_rule_versions(
    versions: dict[str, int | None] | None, specialty: str
) -> dict[str, int | None]:
    """The serving run's versions for ``specialty``'s list (``versions``: all it used)."""
    versions = versions or {}
    keys = [specialty] if specialty in versions else []
    keys.append(DEFAULT_SPECIALTY)
    return {key: versions.get(key) for key in keys}


def _expired_since(
    session: Session, provider_code: str, rows: Sequence[Any], now: datetime
) -> dict[tuple[str, str], datetime]:
    """(specialty, stage) → latest expiry of an override applied by the serving run that has
    passed since that run's census moment."""
    moments = [as_utc(row.rules_at) for row in rows if row.rules_at is not None]
    if not moments:
        return {}
    earliest = min(moments)
    found = session.execute(
        select(
            PtlEntry.treatment_function_code,
            PtlEntry.pathway_stage,
            RankingOverride.expires_at,
            RankingOverride.created_at,
            RankingOverride.revoked_at,
        )
        .join(
            PtlEntry,
            and_(
                PtlEntry.provider_code == RankingOverride.provider_code,
                PtlEntry.pathway_id == RankingOverride.pathway_id,
            ),
        )
        .where(
            RankingOverride.provider_code == provider_code,
            RankingOverride.expires_at <= now,
            RankingOverride.expires_at > earliest,
        )
    ).all()
    served_at = {
        (row.treatment_function_code, row.pathway_stage): as_utc(row.rules_at)
        for row in rows
        if row.rules_at is not None
    }
    latest: dict[tuple[str, str], datetime] = {}
    for tfc, stage, expires_at, created_at, revoked_at in found:
        rules_at = served_at.get((tfc, stage))
        expires, created = as_utc(expires_at), as_utc(created_at)
        if rules_at is None or not (created <= rules_at < expires):
            continue
        if revoked_at is not None and as_utc(revoked_at) <= rules_at:
            continue
        key = (tfc, stage)
        latest[key] = max(latest.get(key, expires), expires)
    return latest


def list_freshness(
    session: Session,
    provider_code: str,
    *,
    lists: Iterable[tuple[str, str]] | None = None,
    specialty: str | None = None,
    now: datetime | None = None,
) -> list[ListFreshness]:
    """Freshness of the provider's lists (or of ``lists`` / one ``specialty``), list order."""
    moment = now or utcnow()
    query = (
        select(
            RankingList.treatment_function_code,
            RankingList.pathway_stage,
            RankingList.run_id,
            RankingList.change_seq,
            RankingList.ranked_seq,
            RankingList.changed_at,
            RankingRun.id.label("serving_run"),
            RankingRun.completed_at,
            RankingRun.rules_at,
            RankingRun.rule_versions,
        )
        .outerjoin(RankingRun, RankingRun.id == RankingList.run_id)
        .where(RankingList.provider_code == provider_code)
        .order_by(RankingList.treatment_function_code, RankingList.pathway_stage)
    )
    if specialty is not None:
        query = query.where(RankingList.treatment_function_code == specialty)
    wanted = None if lists is None else sorted(set(lists))
    if wanted is not None:
        if not wanted:
            return []
        query = query.where(
            tuple_(RankingList.treatment_function_code, RankingList.pathway_stage).in_(wanted)
        )
    rows = session.execute(query).all()
    in_force = rule_ids_in_force(session, moment)
    expired = _expired_since(session, provider_code, rows, moment)
    default = in_force.get(DEFAULT_SPECIALTY)
    out = []
    for row in rows:
        tfc, stage = row.treatment_function_code, row.pathway_stage
        own = in_force.get(tfc)
        default_id = default.id if default is not None else None
        now_versions: dict[str, int | None] = {DEFAULT_SPECIALTY: default_id}
        if own is not None:
            now_versions = {tfc: own.id, DEFAULT_SPECIALTY: default_id}
        ranked = row.serving_run is not None
        used = _run_rule_versions(row.rule_versions, tfc) if ranked else {}
        reasons: list[str] = []
        if not ranked:
            reasons.append("never_ranked")
        else:
            if row.change_seq > row.ranked_seq:
                reasons.append("entries")
            if used != now_versions:
                reasons.append("rules")
            if (tfc, stage) in expired:
                reasons.append("override_expired")
        changes = [as_utc(row.changed_at)]
        changes += [r.effective_from for r in (own, default) if r is not None]
        if (tfc, stage) in expired:
            changes.append(expired[(tfc, stage)])
        out.append(
            ListFreshness(
                provider_code=provider_code,
                specialty=tfc,
                stage=stage,
                run_id=row.run_id,
                ranked_at=None if row.completed_at is None else as_utc(row.completed_at),
                rule_versions=used,
                latest_change_at=max(changes),
                stale_reasons=tuple(reasons),
            )
        )
    return out


def stale_lists(
    session: Session, provider_code: str, *, now: datetime | None = None
) -> list[tuple[str, str]]:
    """(specialty, stage) of every list of the provider waiting for a re-rank."""
    return [
        (f.specialty, f.stage) for f in list_freshness(session, provider_code, now=now) if f.stale
    ]


def providers_with_lists(session: Session) -> list[str]:
    return list(
        session.scalars(
            select(RankingList.provider_code).distinct().order_by(RankingList.provider_code)
        )
    )


def lists_of_specialties(
    session: Session, provider_code: str, specialties: Sequence[str] | None
) -> list[tuple[str, str]]:
    """The provider's known lists (of ``specialties``), from its list rows and open entries."""
    known = select(RankingList.treatment_function_code, RankingList.pathway_stage).where(
        RankingList.provider_code == provider_code
    )
    open_lists = (
        select(PtlEntry.treatment_function_code, PtlEntry.pathway_stage)
        .where(PtlEntry.provider_code == provider_code, PtlEntry.is_open.is_(True))
        .distinct()
    )
    if specialties is not None:
        known = known.where(RankingList.treatment_function_code.in_(list(specialties)))
        open_lists = open_lists.where(PtlEntry.treatment_function_code.in_(list(specialties)))
    found = {tuple(row) for row in session.execute(known)}
    found |= {tuple(row) for row in session.execute(open_lists)}
    return sorted(found)  # type: ignore[arg-type]


def served_runs(session: Session, provider_code: str) -> dict[tuple[str, str], int]:
    """(specialty, stage) → the run serving it, for every served list of the provider."""
    rows = session.execute(
        select(
            RankingList.treatment_function_code, RankingList.pathway_stage, RankingList.run_id
        ).where(RankingList.provider_code == provider_code, RankingList.run_id.is_not(None))
    )
    return {(tfc, stage): int(run_id) for tfc, stage, run_id in rows if run_id is not None}
