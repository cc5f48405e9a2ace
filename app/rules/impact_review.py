"""No rule set is published unseen: a draft's impact simulation is recorded, and required.

The rule preview with its simulation writes a ``rules.previewed`` audit event naming the
draft and the edit (``lock_version``) it saw; publication then asks for such an event for the
draft as it stands. Where no open entry would be scored by the rule set there is nothing to
see, so nothing is required.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.audit import AuditKind, record_event
from app.rules.errors import ImpactNotReviewed
from models import AuditEvent, PtlEntry
from models.rules import DEFAULT_SPECIALTY, RuleSetVersion

SUBJECT_TYPE = "rule_set_version"


def _summary(impact: Mapping[str, Any]) -> dict[str, Any]:
    """What the clinician saw, per rule set: the deprivation gap and target breaches."""
    return {
        outcome["name"]: {
            "deprivation_gap": outcome.get("deprivation_gap"),
            "treated_over_target": outcome.get("treated_over_target"),
            "waiting_over_target": outcome.get("waiting_over_target"),
        }
        for outcome in impact.get("rule_sets", [])
    }


def record_impact_review(
    session: Session,
    draft: RuleSetVersion,
    *,
    actor: str,
    provider_code: str,
    census_date: date,
    weeks: int,
    impact: Mapping[str, Any],
    prediction_id: int | None = None,
) -> None:
    """Audit that ``actor`` saw the impact simulation of ``draft`` as it stands now (and the
    gap prediction it stored)."""
    record_event(
        session,
        actor,
        AuditKind.RULES_PREVIEWED,
        details={
            "specialty": draft.specialty,
            "version": draft.version,
            "draft_id": draft.id,
            "lock_version": draft.lock_version,
            "prediction_id": prediction_id,
            "census_date": census_date.isoformat(),
            "weeks": weeks,
            "simulated": _summary(impact),
        },
        provider_code=provider_code,
        treatment_function_code=None if draft.specialty == DEFAULT_SPECIALTY else draft.specialty,
        subject_type=SUBJECT_TYPE,
        subject_id=draft.id,
    )


def _scores_open_entries(session: Session, specialty: str) -> bool:
    query = select(PtlEntry.id).where(PtlEntry.is_open.is_(True))
    if specialty != DEFAULT_SPECIALTY:
        query = query.where(PtlEntry.treatment_function_code == specialty)
    return bool(session.scalar(select(exists(query))))


def require_impact_review(session: Session, draft: RuleSetVersion) -> None:
    """Refuse to publish ``draft`` unless its current edit's impact was previewed."""
    if not _scores_open_entries(session, draft.specialty):
        return
    seen = session.scalars(
        select(AuditEvent.details).where(
            AuditEvent.kind == AuditKind.RULES_PREVIEWED.value,
            AuditEvent.subject_type == SUBJECT_TYPE,
            AuditEvent.subject_id == str(draft.id),
        )
    )
    if any(details.get("lock_version") == draft.lock_version for details in seen):
        return
    raise ImpactNotReviewed(
        f"draft {draft.id} of rule set {draft.specialty!r} (edit {draft.lock_version}) has not "
        "been previewed with its impact simulation; preview it "
        f"(POST /api/v1/rules/{draft.specialty}/drafts/{draft.id}/preview) before publishing"
    )
