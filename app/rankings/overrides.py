"""Clinicians' overrides of one entry: create, revoke, list, and the set a run applies.

Every run applies the overrides active at its census moment (created by then, not yet expired,
not revoked by then). Creating or revoking one marks its list changed and queues the list's
re-rank in the same transaction; its expiry queues another for that moment.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from app.audit import AuditKind, record_event
from app.rankings.errors import Conflict, Invalid, NotFound
from app.rankings.jobs import queue_ranking
from app.rankings.lists import pathway_list, record_changes
from models import PtlEntry, RankingOverride
from models.base import utcnow
from models.rankings import OVERRIDE_KINDS
from prioritisation import Overrides
from prioritisation.inputs import OVERRIDE_DAYS_TOLERANCE

#: The core refuses adjustments beyond this many days either way.
MAX_ADJUST_DAYS = 3650.0


def _validate(
    kind: str, days: float | None, reason: str, expires_at: datetime, now: datetime
) -> None:
    if kind not in OVERRIDE_KINDS:
        raise Invalid(f"kind must be one of {', '.join(OVERRIDE_KINDS)}")
    if not reason.strip():
        raise Invalid("reason is required: say why this entry is moved")
    if expires_at.tzinfo is None:
        raise Invalid("expires_at must include a time zone (e.g. 2026-12-31T17:00:00Z)")
    if expires_at <= now:
        raise Invalid("expires_at must be in the future")
    if kind == "adjust_uplift":
        if days is None or not math.isfinite(days) or days == 0:
            raise Invalid("adjust_uplift needs days: a non-zero number of days (may be negative)")
        if abs(days) > MAX_ADJUST_DAYS:
            raise Invalid(f"days must be within ±{MAX_ADJUST_DAYS:g}")
        if abs(days * 100 - round(days * 100)) > OVERRIDE_DAYS_TOLERANCE:
            raise Invalid(f"days must have at most 2 decimal places (hundredths of a day): {days}")
    elif days not in (None, 0):
        raise Invalid(f"days applies to adjust_uplift only, not {kind}")


def _active_at(at: datetime) -> Any:
    return and_(
        RankingOverride.created_at <= at,
        RankingOverride.expires_at > at,
        or_(RankingOverride.revoked_at.is_(None), RankingOverride.revoked_at > at),
    )


def create_override(
    session: Session,
    provider_code: str,
    pathway_id: str,
    *,
    kind: str,
    reason: str,
    expires_at: datetime,
    actor: str,
    days: float | None = None,
    now: datetime | None = None,
) -> RankingOverride:
    """Record an override of an open entry (audited); one active override per pathway."""
    moment = now or utcnow()
    _validate(kind, days, reason, expires_at, moment)
    # The entry's row is locked until commit, so two concurrent overrides of one pathway
    # cannot both pass the one-active-override check below.
    entry = session.execute(
        select(PtlEntry.id, PtlEntry.is_open, PtlEntry.treatment_function_code)
        .where(PtlEntry.provider_code == provider_code, PtlEntry.pathway_id == pathway_id)
        .with_for_update()
    ).first()
    if entry is None:
        raise NotFound(f"pathway {pathway_id} of provider {provider_code} not found")
    if not entry.is_open:
        raise Invalid(f"pathway {pathway_id} of provider {provider_code} is closed")
    existing = session.scalar(
        select(RankingOverride.id).where(
            RankingOverride.provider_code == provider_code,
            RankingOverride.pathway_id == pathway_id,
            _active_at(moment),
        )
    )
    if existing is not None:
        raise Conflict(
            f"pathway {pathway_id} already has active override {existing}; revoke it first"
        )
    override = RankingOverride(
        provider_code=provider_code,
        pathway_id=pathway_id,
        kind=kind,
        days=float(days) if kind == "adjust_uplift" and days is not None else None,
        reason=reason.strip(),
        expires_at=expires_at,
        created_by=actor,
        created_at=moment,
    )
    session.add(override)
    session.flush()
    record_event(
        session,
        actor,
        AuditKind.OVERRIDE_CREATED,
        provider_code=provider_code,
        treatment_function_code=entry.treatment_function_code,
        pathway_id=pathway_id,
        subject_type="ranking_override",
        subject_id=override.id,
        details={
            "override_id": override.id,
            "kind": kind,
            "days": override.days,
            "reason": override.reason,
            "expires_at": expires_at.isoformat(),
        },
        occurred_at=moment,
    )
    _queue(session, provider_code, entry.treatment_function_code, pathway_id, actor, moment)
    # Its expiry reorders the list too: a job waits for that moment (the sweep backs it up).
    queue_ranking(
        session, provider_code, actor=actor, reason="override_expiry", run_after=expires_at
    )
    return override


def _queue(
    session: Session,
    provider_code: str,
    specialty: str | None,
    pathway_id: str,
    actor: str,
    moment: datetime,
) -> None:
    """Mark the pathway's list changed and queue its re-rank (in this transaction)."""
    key = pathway_list(session, provider_code, pathway_id)
    if key is not None:
        record_changes(session, [key], now=moment)
    session.info.setdefault("ranking_jobs", {})[(provider_code, pathway_id)] = queue_ranking(
        session, provider_code, actor=actor, reason="override"
    )


def queued_ranking(session: Session, override: RankingOverride) -> int | None:
    """The ranking job a change to ``override`` queued in this session."""
    jobs: dict[tuple[str, str], int] = session.info.get("ranking_jobs", {})
    return jobs.get((override.provider_code, override.pathway_id))


def revoke_override(
    session: Session,
    override_id: int,
    *,
    actor: str,
    reason: str,
    now: datetime | None = None,
) -> RankingOverride:
    """Stop an override from applying to later runs (audited); runs already stored keep it."""
    moment = now or utcnow()
    if not reason.strip():
        raise Invalid("reason is required to revoke an override")
    override = session.get(RankingOverride, override_id)
    if override is None:
        raise NotFound(f"override {override_id} not found")
    if override.revoked_at is not None:
        raise Conflict(f"override {override_id} was already revoked")
    override.revoked_at = moment
    override.revoked_by = actor
    override.revoke_reason = reason.strip()
    session.flush()
    specialty = session.scalar(
        select(PtlEntry.treatment_function_code).where(
            PtlEntry.provider_code == override.provider_code,
            PtlEntry.pathway_id == override.pathway_id,
        )
    )
    record_event(
        session,
        actor,
        AuditKind.OVERRIDE_REVOKED,
        provider_code=override.provider_code,
        treatment_function_code=specialty,
        pathway_id=override.pathway_id,
        subject_type="ranking_override",
        subject_id=override.id,
        details={
            "override_id": override.id,
            "kind": override.kind,
            "days": override.days,
            "reason": reason.strip(),
            "expires_at": override.expires_at.isoformat(),
        },
        occurred_at=moment,
    )
    _queue(session, override.provider_code, specialty, override.pathway_id, actor, moment)
    return override


def list_overrides(
    session: Session, provider_code: str, pathway_id: str, *, limit: int, after_id: int | None
) -> list[RankingOverride]:
    """Every override of one pathway, newest first (``limit`` + 1 rows to detect more)."""
    query = (
        select(RankingOverride)
        .where(
            RankingOverride.provider_code == provider_code,
            RankingOverride.pathway_id == pathway_id,
        )
        .order_by(RankingOverride.id.desc())
        .limit(limit + 1)
    )
    if after_id is not None:
        query = query.where(RankingOverride.id < after_id)
    return list(session.scalars(query))


def active_overrides(session: Session, provider_code: str, at: datetime) -> list[RankingOverride]:
    """Overrides of ``provider_code`` in force at ``at`` (the newest wins for a pathway)."""
    return list(
        session.scalars(
            select(RankingOverride)
            .where(RankingOverride.provider_code == provider_code, _active_at(at))
            .order_by(RankingOverride.id)
        )
    )


def overrides_input(
    pathway_ids: NDArray[np.str_], active: Sequence[RankingOverride]
) -> tuple[Overrides | None, NDArray[Any]]:
    """The core's ``Overrides`` aligned with ``pathway_ids`` and each row's override id."""
    n = len(pathway_ids)
    ids = np.full(n, None, dtype=object)
    if not active:
        return None, ids
    by_pathway = {o.pathway_id: o for o in active}
    wanted = np.array(list(by_pathway), dtype=str)
    rows = np.flatnonzero(np.isin(pathway_ids, wanted))
    if not len(rows):
        return None, ids
    entries: dict[int, tuple[str, float]] = {}
    for row in rows.tolist():
        override = by_pathway[str(pathway_ids[row])]
        entries[row] = (override.kind, override.days or 0.0)
        ids[row] = override.id
    return Overrides.from_dict(n, entries), ids
