"""Rule documents and version rows for rules tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import RuleSetVersion
from prioritisation import load_default_rule_set


def default_document(**changes: Any) -> dict[str, Any]:
    """The shipped default document, with top-level fields replaced."""
    return {**load_default_rule_set().model_dump(mode="json"), **changes}


def specialty_document(code: str, *, decile_1: float = 21.0, **changes: Any) -> dict[str, Any]:
    """The default document turned into a specialty's (no bounds or vocabulary)."""
    document = default_document(rule_set_id=code, bounds=None, vocabulary=None, **changes)
    document["deprivation"] = {
        **document["deprivation"],
        "decile_uplift_days": {**document["deprivation"]["decile_uplift_days"], "1": decile_1},
    }
    return document


def add_published(
    session: Session,
    specialty: str,
    document: dict[str, Any],
    *,
    effective_from: datetime,
    published_at: datetime,
    actor: str = "dr.test",
) -> RuleSetVersion:
    """Insert a published row directly (bypassing the service) for in-force tests."""
    latest = session.scalar(
        select(func.max(RuleSetVersion.version)).where(RuleSetVersion.specialty == specialty)
    )
    row = RuleSetVersion(
        specialty=specialty,
        version=(latest or 0) + 1,
        status="published",
        document=document,
        lock_version=1,
        created_by=actor,
        created_at=published_at,
        updated_by=actor,
        updated_at=published_at,
        published_by=actor,
        published_at=published_at,
        effective_from=effective_from,
        publish_reason="test",
    )
    session.add(row)
    session.flush()
    return row
