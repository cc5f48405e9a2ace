"""What is in force per specialty at a moment, what is scheduled next, and overdue reviews."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.rules.in_force import rules_in_force
from models import TreatmentFunction
from models.base import as_utc
from models.rules import DEFAULT_SPECIALTY, PUBLISHED, RuleSetVersion
from prioritisation import ReviewWarning, review_warnings


@dataclass(frozen=True, slots=True)
class InForceItem:
    """``source``: ``published`` (its own version), ``shipped`` (the default with nothing
    published) or ``default`` (a specialty with only a scheduled version, scored by default)."""

    specialty: str
    specialty_name: str | None
    version_id: int | None
    version: int | None
    source: Literal["published", "shipped", "default"]
    effective_from: datetime | None
    published_at: datetime | None
    published_by: str | None
    next_scheduled: RuleSetVersion | None
    review_warnings: list[ReviewWarning]


def _next_scheduled(session: Session, at: datetime) -> dict[str, RuleSetVersion]:
    rows = session.scalars(
        select(RuleSetVersion)
        .where(RuleSetVersion.status == PUBLISHED, RuleSetVersion.effective_from > at)
        .order_by(
            RuleSetVersion.specialty,
            RuleSetVersion.effective_from,
            RuleSetVersion.published_at.desc(),
            RuleSetVersion.id.desc(),
        )
    )
    found: dict[str, RuleSetVersion] = {}
    for row in rows:
        found.setdefault(row.specialty, row)
    return found


def in_force_summary(session: Session, at: datetime) -> list[InForceItem]:
    """``default`` first, then specialty codes in order."""
    moment = as_utc(at)
    rules = rules_in_force(session, moment)
    scheduled = _next_scheduled(session, moment)
    keys = sorted(set(rules.details) | set(scheduled), key=lambda k: (k != DEFAULT_SPECIALTY, k))
    names = {
        row.code: row.name
        for row in session.execute(
            select(TreatmentFunction.code, TreatmentFunction.name).where(
                TreatmentFunction.code.in_(keys)
            )
        )
    }
    warnings = review_warnings(rules.rulebook, moment.date())
    items: list[InForceItem] = []
    for key in keys:
        detail = rules.details.get(key)
        source: Literal["published", "shipped", "default"]
        if detail is None:
            source = "default"
        else:
            source = "published" if detail.id is not None else "shipped"
        items.append(
            InForceItem(
                specialty=key,
                specialty_name=names.get(key),
                version_id=detail.id if detail else None,
                version=detail.version if detail else None,
                source=source,
                effective_from=detail.effective_from if detail else None,
                published_at=detail.published_at if detail else None,
                published_by=detail.published_by if detail else None,
                next_scheduled=scheduled.get(key),
                review_warnings=[w for w in warnings if detail and w.rule_set_id == key],
            )
        )
    return items
