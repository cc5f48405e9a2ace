"""Rule set lifecycle: draft, edit, publish, roll back, discard (plain functions, no commits).

Why conditional UPDATEs: two clinicians editing the same draft must not overwrite each other
silently, so every change names the ``lock_version`` it was based on and the database applies
it only if that is still current. Each change writes its audit event in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit import AuditKind, record_event
from app.rankings.jobs import queue_for_rules
from app.rules.diff import Change, diff_documents
from app.rules.errors import (
    ConcurrentChange,
    InvalidRequest,
    NotADraft,
    StaleVersion,
    UnknownSpecialty,
    VersionNotFound,
)
from app.rules.impact_review import SUBJECT_TYPE, require_impact_review
from app.rules.in_force import in_force_rows, rules_in_force, shipped_default_document
from app.rules.predictions import adopt_predictions
from app.rules.validation import validate_document
from app.security import actor_label
from models import TreatmentFunction
from models.base import as_utc, utcnow
from models.rules import DEFAULT_SPECIALTY, DISCARDED, DRAFT, PUBLISHED, RuleSetVersion

BACKDATING_TOLERANCE = timedelta(minutes=5)
"""Effective times may not lie further in the past: what was in force yesterday is history."""


def ensure_specialty(session: Session, specialty: str) -> None:
    """Refuse anything but ``default`` or a treatment function code in the reference table."""
    if specialty != DEFAULT_SPECIALTY and session.get(TreatmentFunction, specialty) is None:
        raise UnknownSpecialty(specialty)


def specialty_from_default(default_document: Mapping[str, Any], code: str) -> dict[str, Any]:
    """The default document as a specialty's starting point (bounds and vocabulary stay with
    the default, so they and their rationale are removed)."""
    document = {**default_document, "rule_set_id": code, "bounds": None, "vocabulary": None}
    rationale = cast(dict[str, str], default_document.get("rationale") or {})
    document["rationale"] = {
        path: text
        for path, text in rationale.items()
        if not path.startswith(("bounds", "vocabulary"))
    }
    return document


def get_version(session: Session, specialty: str, version: int) -> RuleSetVersion:
    row = session.scalar(
        select(RuleSetVersion).where(
            RuleSetVersion.specialty == specialty, RuleSetVersion.version == version
        )
    )
    if row is None:
        raise VersionNotFound(f"version {version} of rule set {specialty!r} not found")
    return row


def get_draft(session: Session, specialty: str, draft_id: int) -> RuleSetVersion:
    """The draft with that id; NotADraft once it was published or discarded."""
    row = session.get(RuleSetVersion, draft_id)
    if row is None or row.specialty != specialty:
        raise VersionNotFound(f"draft {draft_id} of rule set {specialty!r} not found")
    if row.status != DRAFT:
        raise NotADraft(
            f"version {row.version} of rule set {specialty!r} is {row.status} and can no longer "
            "change; create a new draft from it instead"
        )
    return row


def _next_version(session: Session, specialty: str) -> int:
    latest = session.scalar(
        select(func.max(RuleSetVersion.version)).where(RuleSetVersion.specialty == specialty)
    )
    return (latest or 0) + 1


def _add(session: Session, row: RuleSetVersion) -> None:
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        raise ConcurrentChange(
            f"another version of rule set {row.specialty!r} was created at the same moment; "
            "try again"
        ) from exc


def _audit(
    session: Session,
    actor: str,
    kind: AuditKind,
    row: RuleSetVersion,
    details: dict[str, Any],
) -> None:
    record_event(
        session,
        actor,
        kind,
        details={"specialty": row.specialty, "version": row.version, **details},
        treatment_function_code=None if row.specialty == DEFAULT_SPECIALTY else row.specialty,
        subject_type=SUBJECT_TYPE,
        subject_id=row.id,
    )


def _changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [change.as_dict() for change in diff_documents(dict(before), dict(after))]


def create_draft(
    session: Session,
    specialty: str,
    actor: str,
    *,
    from_version: int | None = None,
    document: Mapping[str, Any] | None = None,
) -> RuleSetVersion:
    """A new draft: a copy of ``from_version``, the posted ``document``, or (neither given)
    the version in force now (for a specialty without its own, the default adapted to it)."""
    ensure_specialty(session, specialty)
    if from_version is not None and document is not None:
        raise InvalidRequest("give either from_version or document, not both")
    now = utcnow()
    based_on: int | None
    if document is not None:
        source, based_on = "document", None
        start = {"rule_set_id": specialty, **document}
    elif from_version is not None:
        base = get_version(session, specialty, from_version)
        if base.status == DISCARDED:
            raise VersionNotFound(f"version {from_version} of rule set {specialty!r} was discarded")
        source, based_on, start = f"version {from_version}", base.id, base.document
    else:
        in_force = rules_in_force(session, now)
        if specialty in in_force.documents:
            start, based_on = in_force.documents[specialty], in_force.versions[specialty]
        else:
            start = specialty_from_default(in_force.documents[DEFAULT_SPECIALTY], specialty)
            based_on = in_force.versions[DEFAULT_SPECIALTY]
        source = "in force"
    rule_set = validate_document(session, specialty, start, now)
    row = RuleSetVersion(
        specialty=specialty,
        version=_next_version(session, specialty),
        status=DRAFT,
        document=rule_set.model_dump(mode="json"),
        lock_version=1,
        based_on_id=based_on,
        created_by=actor,
        created_at=now,
        updated_by=actor,
        updated_at=now,
    )
    _add(session, row)
    _audit(
        session,
        actor,
        AuditKind.RULES_DRAFT_CREATED,
        row,
        {"version_id": row.id, "source": source, "based_on_id": based_on},
    )
    return row


def _conditional_update(
    session: Session, row: RuleSetVersion, expected_lock: int | None, values: dict[str, Any]
) -> None:
    """Apply ``values`` to the draft only if it is still a draft at ``expected_lock``."""
    query = update(RuleSetVersion).where(
        RuleSetVersion.id == row.id, RuleSetVersion.status == DRAFT
    )
    if expected_lock is not None:
        query = query.where(RuleSetVersion.lock_version == expected_lock)
    result = cast(
        CursorResult[Any],
        session.execute(query.values(**values).execution_options(synchronize_session=False)),
    )
    session.refresh(row)
    if result.rowcount == 1:
        return
    if row.status != DRAFT:
        raise NotADraft(
            f"version {row.version} of rule set {row.specialty!r} was {row.status} meanwhile"
        )
    raise StaleVersion(expected_lock or 0, row.lock_version)


def _check_lock(row: RuleSetVersion, expected_lock: int | None) -> None:
    if expected_lock is not None and row.lock_version != expected_lock:
        raise StaleVersion(expected_lock, row.lock_version)


def update_draft(
    session: Session,
    specialty: str,
    draft_id: int,
    document: Mapping[str, Any],
    *,
    expected_lock: int,
    actor: str,
) -> RuleSetVersion:
    """Replace the draft's document if ``expected_lock`` is still current (else StaleVersion)."""
    row = get_draft(session, specialty, draft_id)
    _check_lock(row, expected_lock)
    now = utcnow()
    rule_set = validate_document(session, specialty, {"rule_set_id": specialty, **document}, now)
    before = row.document
    after = rule_set.model_dump(mode="json")
    _conditional_update(
        session,
        row,
        expected_lock,
        {
            "document": after,
            "lock_version": RuleSetVersion.lock_version + 1,
            "updated_by": actor,
            "updated_at": now,
        },
    )
    _audit(
        session,
        actor,
        AuditKind.RULES_DRAFT_UPDATED,
        row,
        {"action": "edited", "lock_version": row.lock_version, "changes": _changes(before, after)},
    )
    return row


def discard_draft(
    session: Session, specialty: str, draft_id: int, *, actor: str, expected_lock: int | None
) -> RuleSetVersion:
    """Mark a draft discarded: kept (its number is never reused) but frozen and out of use."""
    row = get_draft(session, specialty, draft_id)
    _check_lock(row, expected_lock)
    now = utcnow()
    _conditional_update(
        session, row, expected_lock, {"status": DISCARDED, "updated_by": actor, "updated_at": now}
    )
    _audit(session, actor, AuditKind.RULES_DRAFT_UPDATED, row, {"action": "discarded"})
    return row


def _effective_time(effective_from: datetime | None, now: datetime) -> datetime:
    if effective_from is None:
        return now
    moment = as_utc(effective_from)
    if moment < now - BACKDATING_TOLERANCE:
        raise InvalidRequest(
            f"effective_from {moment.isoformat()} is in the past; a publication takes effect "
            "now or later, never retrospectively"
        )
    return moment


def _reason(reason: str) -> str:
    cleaned = reason.strip()
    if not cleaned:
        raise InvalidRequest("a reason is required to publish rules")
    return cleaned


def replaced_document(session: Session, specialty: str, at: datetime) -> tuple[int | None, Any]:
    """(version number, document) a publication for ``specialty`` effective ``at`` replaces."""
    row = in_force_rows(session, at).get(specialty)
    if row is not None:
        return row.version, row.document
    if specialty == DEFAULT_SPECIALTY:
        return None, shipped_default_document()
    default = rules_in_force(session, at).documents[DEFAULT_SPECIALTY]
    return None, specialty_from_default(default, specialty)


def _publication_details(
    session: Session, specialty: str, document: Mapping[str, Any], effective: datetime
) -> dict[str, Any]:
    replaced_version, replaced = replaced_document(session, specialty, effective)
    return {
        "effective_from": effective.isoformat(),
        "replaces_version": replaced_version,
        "changes": _changes(replaced, document),
    }


def version_label(specialty: str, version: int) -> str:
    """The ``version`` a published document carries: its rule set and number (``110 v3``), so
    a rationale names exactly the version that scored an entry."""
    return f"{specialty} v{version}"


def published_document(
    document: Mapping[str, Any], specialty: str, version: int, actor: str
) -> dict[str, Any]:
    """``document`` as published: labelled with its own version and approved by the person
    publishing it (name and identifier), whatever the draft or earlier version said."""
    return {
        **document,
        "version": version_label(specialty, version),
        "approved_by": actor_label(actor),
    }


def publish_draft(
    session: Session,
    specialty: str,
    draft_id: int,
    *,
    actor: str,
    reason: str,
    effective_from: datetime | None = None,
    expected_lock: int | None = None,
) -> RuleSetVersion:
    """Publish a draft whose impact was previewed (validated again: other rule sets may have
    changed since), adopting per provider the gap predicted for this edit: its calibration's
    while unedited, else its latest preview's (``app/rules/predictions.py``)."""
    reason = _reason(reason)
    ensure_specialty(session, specialty)
    row = get_draft(session, specialty, draft_id)
    _check_lock(row, expected_lock)
    require_impact_review(session, row)
    now = utcnow()
    effective = _effective_time(effective_from, now)
    document = published_document(row.document, specialty, row.version, actor)
    validate_document(session, specialty, document, effective)
    details = _publication_details(session, specialty, document, effective)
    _conditional_update(
        session,
        row,
        expected_lock,
        {
            "document": document,
            "status": PUBLISHED,
            "published_by": actor,
            "published_at": now,
            "effective_from": effective,
            "publish_reason": reason,
            "updated_by": actor,
            "updated_at": now,
        },
    )
    predictions = [
        {"id": p.id, "provider_code": p.provider_code, "source": p.source}
        for p in adopt_predictions(session, row, now)
    ]
    _audit(
        session,
        actor,
        AuditKind.RULES_PUBLISHED,
        row,
        {"reason": reason, **details, "predictions": predictions},
    )
    _queue_rankings(session, row, effective, actor)
    return row


def republish(
    session: Session,
    specialty: str,
    version: int,
    *,
    actor: str,
    reason: str,
    effective_from: datetime | None = None,
) -> RuleSetVersion:
    """Roll back: publish an earlier published version's document again as a new version."""
    reason = _reason(reason)
    ensure_specialty(session, specialty)
    source = get_version(session, specialty, version)
    if source.status != PUBLISHED:
        raise NotADraft(
            f"version {version} of rule set {specialty!r} is a {source.status}, not a published "
            "version; only published versions can be published again"
        )
    now = utcnow()
    effective = _effective_time(effective_from, now)
    number = _next_version(session, specialty)
    document = published_document(source.document, specialty, number, actor)
    validate_document(session, specialty, document, effective)
    details = _publication_details(session, specialty, document, effective)
    row = RuleSetVersion(
        specialty=specialty,
        version=number,
        status=PUBLISHED,
        document=document,
        lock_version=1,
        based_on_id=source.id,
        created_by=actor,
        created_at=now,
        updated_by=actor,
        updated_at=now,
        published_by=actor,
        published_at=now,
        effective_from=effective,
        publish_reason=reason,
        republished_from_id=source.id,
    )
    _add(session, row)
    _audit(
        session,
        actor,
        AuditKind.RULES_PUBLISHED,
        row,
        {"reason": reason, "republished_from_version": version, **details},
    )
    _queue_rankings(session, row, effective, actor)
    return row


def _queue_rankings(session: Session, row: RuleSetVersion, effective: datetime, actor: str) -> None:
    """Queue the re-rank of the lists this publication reorders, at its effective time."""
    jobs = queue_for_rules(session, row.specialty, effective, actor=actor)
    session.info.setdefault("ranking_jobs", {})[row.id] = jobs


def queued_rankings(session: Session, row: RuleSetVersion) -> list[int] | None:
    """The ranking jobs a publication or rollback of ``row`` queued in this session."""
    jobs: dict[int, list[int]] = session.info.get("ranking_jobs", {})
    return jobs.get(row.id)


def history(
    session: Session,
    specialty: str,
    *,
    limit: int,
    before_version: int | None = None,
    status: str | None = None,
) -> list[RuleSetVersion]:
    """Up to ``limit`` versions, newest first, older than ``before_version`` when given."""
    query = select(RuleSetVersion).where(RuleSetVersion.specialty == specialty)
    if before_version is not None:
        query = query.where(RuleSetVersion.version < before_version)
    if status is not None:
        query = query.where(RuleSetVersion.status == status)
    return list(session.scalars(query.order_by(RuleSetVersion.version.desc()).limit(limit)))


def diff_versions(
    session: Session, specialty: str, from_version: int, to_version: int
) -> list[Change]:
    """Changed leaves between two versions of one specialty's rule set."""
    before = get_version(session, specialty, from_version)
    after = get_version(session, specialty, to_version)
    return diff_documents(before.document, after.document)
