"""Keep patient identifiers out of places they do not belong."""

from __future__ import annotations

from app.ingest.nhs_number import mask_nhs_number
from app.security import Principal, Role

#: Roles that book patients and so need the full NHS number.
ROLES_SEEING_NHS_NUMBER = (Role.SCHEDULER, Role.ADMIN)


def nhs_number_for(principal: Principal, value: str) -> str:
    """The NHS number as ``principal`` may see it (``999*****18`` for other roles)."""
    if principal.has_any(*ROLES_SEEING_NHS_NUMBER):
        return value
    return mask_nhs_number(value)
