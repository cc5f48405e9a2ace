"""Append-only audit log with a keyed hash chain (HMAC-SHA256).

Each event stores the hash of the previous one, and its own hash is an HMAC, with a key held
outside the database (``app.audit_keys``; its id is stored in the record), over every stored
field. Altering, removing or inserting a record breaks the chain at that point, and without the
key nobody can recompute the chain after a change or append a record that verifies. Signed
anchors of the chain head (``app.audit_anchor``) show when records were cut off the end.
Events are written in the same transaction as the change they record.

Records written before the chain was keyed carry no key id and a plain SHA-256; they verify
as such only before the first keyed record.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Table, select, text
from sqlalchemy.orm import Session

from app.audit_keys import AuditKeys, audit_keys_for
from app.security import actor_name
from models import AuditEvent
from models.base import as_utc, utcnow

GENESIS_HASH = "0" * 64
_CHAIN_LOCK_KEY = 0x45515749  # "EQWI": serialises appends on PostgreSQL
_HEAD = select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)


class AuditKind(StrEnum):
    """Every kind of event the service records (one place for the vocabulary)."""

    PTL_UPLOAD = "ptl.upload"
    PTL_UPLOAD_REJECTED = "ptl.upload_rejected"
    OFFERS_UPLOAD = "offers.upload"
    OFFERS_UPLOAD_REJECTED = "offers.upload_rejected"
    RISK_MODEL_TRAINING_REQUESTED = "risk_model.training_requested"
    RISK_MODEL_TRAINED = "risk_model.trained"
    RISK_MODEL_ACTIVATED = "risk_model.activated"
    RISK_MODEL_RETIRED = "risk_model.retired"
    IMD_LOADED = "reference.imd_loaded"
    RULES_DRAFT_CREATED = "rules.draft_created"
    RULES_DRAFT_UPDATED = "rules.draft_updated"
    RULES_PREVIEWED = "rules.previewed"
    RULES_PUBLISHED = "rules.published"
    RULES_CALIBRATED = "rules.calibrated"
    RANKING_RUN = "ranking.run"
    OVERRIDE_CREATED = "override.created"
    OVERRIDE_REVOKED = "override.revoked"
    RATIONALE_ACCESSED = "rationale.accessed"
    PTL_EXPORTED = "ptl.exported"
    ACCESS_DENIED = "access.denied"
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
    if event.key_id is not None:
        payload["key_id"] = event.key_id
    if event.actor_name is not None:
        # Only when set: records written before names were kept keep the hash they have.
        payload["actor_name"] = event.actor_name
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()


def event_hash(event: AuditEvent, keys: AuditKeys) -> str:
    """The hash an event must carry given its content, its predecessor's hash and its key."""
    if event.key_id is None:
        return hashlib.sha256(_canonical(event)).hexdigest()
    return keys.sign(_canonical(event), event.key_id)


def _lock_chain(session: Session) -> None:
    """Hold the chain's head until commit, so two writers never append after the same record.

    PostgreSQL takes a transaction-scoped advisory lock. SQLite's driver runs a SELECT outside
    any transaction until the first write, so a concurrent writer (a request and an in-process
    job) could read the same head; taking SQLite's write lock first (``BEGIN IMMEDIATE``) makes
    the read and the append one step. A connection that has written already holds that lock.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY})
    elif dialect == "sqlite":
        driver = session.connection().connection.driver_connection
        if driver is not None and not driver.in_transaction:
            driver.execute("BEGIN IMMEDIATE")


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
    session.flush()  # the caller's pending changes, written as before, ahead of the lock
    _lock_chain(session)
    last = session.connection().execute(_HEAD).first()
    now = utcnow() if occurred_at is None else as_utc(occurred_at)  # hashed as stored: UTC
    keys = audit_keys_for(session)
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
        key_id=keys.signing_id,
    )
    event.hash = event_hash(event, keys)
    # A plain INSERT rather than the ORM's flush: it runs while the chain's head is locked,
    # and nothing updates an event once written. The event returned is not in the session.
    table = cast(Table, AuditEvent.__table__)
    session.connection().execute(
        table.insert(), {column.key: getattr(event, column.key) for column in table.columns}
    )
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
    """Outcome of re-walking the chain (and comparing it with the latest anchor, if any)."""

    valid: bool
    events_checked: int
    first_broken_id: int | None = None
    reason: str | None = None
    anchored_event_id: int | None = None
    anchored_at: str | None = None


@dataclass(frozen=True)
class AnchorPoint:
    """A head the chain must still hold: record ``event_id`` with ``hash`` (already checked
    to be signed by a known key)."""

    event_id: int
    hash: str
    anchored_at: str


def _link_problem(event: AuditEvent, keys: AuditKeys, keyed_seen: bool) -> str | None:
    if event.key_id is None and keyed_seen:
        return "record is not keyed, after keyed records"
    if event.key_id is not None and not keys.knows(event.key_id):
        return f"record is signed with an unknown key {event.key_id!r}"
    if event_hash(event, keys) != event.hash:
        return "record content does not match its hash"
    return None


def verify_chain(
    session: Session,
    batch_size: int = 5000,
    *,
    keys: AuditKeys | None = None,
    anchor: AnchorPoint | None = None,
) -> ChainReport:
    """Recompute every hash in id order, report the first broken link, then check that the
    chain still reaches ``anchor`` with the anchored hash (a cut-off tail fails here)."""
    keys = keys or audit_keys_for(session)
    expected_prev = GENESIS_HASH
    expected_id = 1
    checked = 0
    after = 0
    keyed_seen = False
    anchored_hash: str | None = None
    marks = (anchor.event_id, anchor.anchored_at) if anchor else (None, None)
    while True:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.id > after)
            .order_by(AuditEvent.id)
            .limit(batch_size)
        ).all()
        if not events:
            break
        for event in events:
            if event.id != expected_id:
                return ChainReport(
                    False, checked, event.id, f"event {expected_id} is missing", *marks
                )
            if event.prev_hash != expected_prev:
                return ChainReport(
                    False, checked, event.id, "previous-hash link does not match", *marks
                )
            problem = _link_problem(event, keys, keyed_seen)
            if problem is not None:
                return ChainReport(False, checked, event.id, problem, *marks)
            keyed_seen = keyed_seen or event.key_id is not None
            if anchor is not None and event.id == anchor.event_id:
                anchored_hash = event.hash
            expected_prev = event.hash
            expected_id += 1
            checked += 1
        after = events[-1].id
        session.expunge_all()
    if anchor is not None and checked < anchor.event_id:
        reason = f"event {expected_id} is missing: the chain ends before its anchored head"
        return ChainReport(False, checked, expected_id, reason, *marks)
    if anchor is not None and anchored_hash != anchor.hash:
        reason = "record does not match the anchored head"
        return ChainReport(False, checked, anchor.event_id, reason, *marks)
    return ChainReport(True, checked, None, None, *marks)
