"""Append-only audit log with a SHA-256 hash chain.

Each event stores the hash of the previous one, and its own hash covers every stored field,
so altering, removing or inserting a record breaks the chain at that point. Events are written
in the same transaction as the change they record.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.security import actor_name
from models import AuditEvent
from models.base import as_utc, utcnow

GENESIS_HASH = "0" * 64
_CHAIN_LOCK_KEY = 0x45515749  # "EQWI": serialises appends on PostgreSQL


class AuditKind(StrEnum):
    """Every kind of event the service records (one place for the vocabulary)."""

    PTL_UPLOAD = "ptl.upload"
    PTL_UPLOAD_REJECTED = "ptl.upload_rejected"
    IMD_LOADED = "reference.imd_loaded"
    RULES_DRAFT_CREATED = "rules.draft_created"
    RULES_DRAFT_UPDATED = "rules.draft_updated"
    RULES_PREVIEWED = "rules.previewed"
    RULES_PUBLISHED = "rules.published"
    RANKING_RUN = "ranking.run"
    OVERRIDE_CREATED = "override.created"
    OVERRIDE_REVOKED = "override.revoked"
    RATIONALE_ACCESSED = "rationale.accessed"
    SIGNED_IN = "session.signed_in"
    SIGNED_OUT = "session.signed_out"


def _canonical(event: AuditEvent) -> bytes:
    payload = {
        "id": event.id,
        "occurred_at": event.occurred_at.isoformat(timespec="microseconds"),
        "actor": event.actor,
        "kind": event.kind,
        "provider_code": event.provider_code,
        "treatment_function_code": event.treatment_function_code,
        "pathway_id": event.pathway_id,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "details": event.details,
        "prev_hash": event.prev_hash,
    }
    if event.actor_name is not None:
        # Only when set: records written before names were kept keep the hash they have.
        payload["actor_name"] = event.actor_name
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()


def event_hash(event: AuditEvent) -> str:
    """The hash an event must carry given its content and its predecessor's hash."""
    return hashlib.sha256(_canonical(event)).hexdigest()


def record_event(
    session: Session,
    actor: str,
    kind: AuditKind,
    *,
    details: dict[str, Any] | None = None,
    provider_code: str | None = None,
    treatment_function_code: str | None = None,
    pathway_id: str | None = None,
    subject_type: str | None = None,
    subject_id: str | int | None = None,
    occurred_at: datetime | None = None,
) -> AuditEvent:
    """Append one event to the chain inside the caller's transaction (never commits).

    ``actor`` is the identifier recorded as ``actor``; an :class:`app.security.Actor` also
    carries the person's name, recorded as ``actor_name``.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY})
    last = session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    now = utcnow() if occurred_at is None else as_utc(occurred_at)  # hashed as stored: UTC
    event = AuditEvent(
        id=(last.id + 1) if last else 1,
        occurred_at=now,
        actor=str(actor),
        actor_name=actor_name(actor),
        kind=kind.value,
        provider_code=provider_code,
        treatment_function_code=treatment_function_code,
        pathway_id=pathway_id,
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        details=json.loads(json.dumps(details or {}, default=str)),
        prev_hash=last.hash if last else GENESIS_HASH,
    )
    event.hash = event_hash(event)
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True, slots=True)
class EventFilters:
    """What the audit listing narrows to (every filter combines with AND)."""

    since: datetime | None = None
    until: datetime | None = None
    kind: str | None = None
    actor: str | None = None
    provider_code: str | None = None
    specialty: str | None = None
    pathway_id: str | None = None


def list_events(
    session: Session, filters: EventFilters, *, limit: int, before_id: int | None = None
) -> list[AuditEvent]:
    """Up to ``limit`` events, newest first, older than ``before_id`` when given."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    if filters.since is not None:
        query = query.where(AuditEvent.occurred_at >= as_utc(filters.since))
    if filters.until is not None:
        query = query.where(AuditEvent.occurred_at < as_utc(filters.until))
    if filters.kind:
        query = query.where(AuditEvent.kind == filters.kind)
    if filters.actor:
        query = query.where(AuditEvent.actor == filters.actor)
    if filters.provider_code:
        query = query.where(AuditEvent.provider_code == filters.provider_code.upper())
    if filters.specialty:
        query = query.where(AuditEvent.treatment_function_code == filters.specialty)
    if filters.pathway_id:
        query = query.where(AuditEvent.pathway_id == filters.pathway_id)
    return list(session.scalars(query))


@dataclass(frozen=True)
class ChainReport:
    """Outcome of re-walking the chain."""

    valid: bool
    events_checked: int
    first_broken_id: int | None = None
    reason: str | None = None


def verify_chain(session: Session, batch_size: int = 5000) -> ChainReport:
    """Recompute every hash in id order and report the first broken link."""
    expected_prev = GENESIS_HASH
    expected_id = 1
    checked = 0
    after = 0
    while True:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.id > after)
            .order_by(AuditEvent.id)
            .limit(batch_size)
        ).all()
        if not events:
            return ChainReport(valid=True, events_checked=checked)
        for event in events:
            if event.id != expected_id:
                return ChainReport(False, checked, event.id, f"event {expected_id} is missing")
            if event.prev_hash != expected_prev:
                return ChainReport(False, checked, event.id, "previous-hash link does not match")
            if event_hash(event) != event.hash:
                return ChainReport(
                    False, checked, event.id, "record content does not match its hash"
                )
            expected_prev = event.hash
            expected_id += 1
            checked += 1
        after = events[-1].id
        session.expunge_all()
