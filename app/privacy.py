"""Keep patient identifiers out of places they do not belong."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.audit import AuditKind, record_event
from app.ingest.nhs_number import mask_nhs_number
from app.security import Principal, Role

#: Roles that book patients and so need the full NHS number and the date of birth.
ROLES_SEEING_NHS_NUMBER = (Role.SCHEDULER, Role.ADMIN)


def nhs_number_for(principal: Principal, value: str) -> str:
    """The NHS number as ``principal`` may see it (``999*****18`` for other roles)."""
    if principal.has_any(*ROLES_SEEING_NHS_NUMBER):
        return value
    return mask_nhs_number(value)


#: Age bands shown instead of a date of birth to roles that do not book patients:
#: (label, first age, last age or None for "and over").
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0-17", 0, 17),
    ("18-39", 18, 39),
    ("40-64", 40, 64),
    ("65-74", 65, 74),
    ("75-84", 75, 84),
    ("85+", 85, None),
)


def date_of_birth_for(principal: Principal, value: date | None) -> date | None:
    """The date of birth for roles that book patients; nothing for the others."""
    return value if principal.has_any(*ROLES_SEEING_NHS_NUMBER) else None


def age_band(date_of_birth: date | None, on: date) -> str | None:
    """The band of :data:`AGE_BANDS` holding the age in whole years on ``on`` (None: unknown)."""
    if date_of_birth is None:
        return None
    before_birthday = (on.month, on.day) < (date_of_birth.month, date_of_birth.day)
    age = max(0, on.year - date_of_birth.year - before_birthday)
    for label, first, last in AGE_BANDS:
        if age >= first and (last is None or age <= last):
            return label
    return None


def record_identifying_export(
    session: Session,
    principal: Principal,
    what: str,
    *,
    rows: int | None,
    provider_code: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Audit an answer carrying full NHS numbers (``ptl.exported``), in the request's
    transaction; nothing is recorded for roles that only ever see them masked."""
    if not principal.has_any(*ROLES_SEEING_NHS_NUMBER):
        return
    record_event(
        session,
        principal.subject,
        AuditKind.PTL_EXPORTED,
        provider_code=provider_code,
        details={"export": what, "rows": rows, **(details or {})},
    )
