"""What every page shows around its content: who is signed in, and where their role may go."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request

from app.security import ROLE_NAMES, Role

READERS = tuple(Role)
RATIONALE_READERS = (Role.AUDITOR, Role.CLINICIAN, Role.ADMIN)
RULE_EDITORS = (Role.CLINICIAN, Role.ADMIN)
OVERRIDE_EDITORS = (Role.CLINICIAN, Role.ADMIN)
EQUITY_READERS = (Role.EQUITY_LEAD, Role.CLINICIAN, Role.AUDITOR, Role.ADMIN)
SIMULATORS = (Role.EQUITY_LEAD, Role.CLINICIAN, Role.AUDITOR, Role.ADMIN)
AUDITORS = (Role.AUDITOR, Role.ADMIN)


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    href: str
    roles: tuple[Role, ...]


SECTIONS = (
    Section("Ranked list", "/ranked", READERS),
    Section("Rules", "/rules", READERS),
    Section("Equity", "/equity", EQUITY_READERS),
    Section("Audit", "/audit", AUDITORS),
)

LANDING = {
    Role.SCHEDULER: "/ranked",
    Role.CLINICIAN: "/rules",
    Role.AUDITOR: "/audit",
    Role.EQUITY_LEAD: "/equity",
    Role.ADMIN: "/ranked",
}
"""Where each role starts after signing in (the first of their roles in this order)."""


def landing_page(roles: frozenset[Role]) -> str:
    for role in (Role.SCHEDULER, Role.CLINICIAN, Role.EQUITY_LEAD, Role.AUDITOR, Role.ADMIN):
        if role in roles:
            return LANDING[role]
    return "/ranked"


def page_context(request: Request) -> dict[str, Any]:
    user = getattr(request.state, "signed_in", None)
    if user is None:
        return {"user": None, "navigation": [], "csrf_token": None, "request": request}
    path = request.url.path
    roles = user.principal.roles
    navigation = [
        {
            "text": s.title,
            "href": s.href,
            "current": path == s.href or path.startswith(s.href + "/"),
        }
        for s in SECTIONS
        if roles.intersection(s.roles)
    ]
    role_names = ", ".join(ROLE_NAMES[role] for role in sorted(roles, key=list(Role).index))
    return {
        "user": user,
        "user_name": user.principal.name or user.principal.subject,
        "user_roles": role_names,
        "navigation": navigation,
        "csrf_token": user.csrf_token,
        "request": request,
        "can": {
            "read_rationale": bool(roles.intersection(RATIONALE_READERS)),
            "edit_rules": bool(roles.intersection(RULE_EDITORS)),
            "edit_overrides": bool(roles.intersection(OVERRIDE_EDITORS)),
            "read_equity": bool(roles.intersection(EQUITY_READERS)),
            "simulate": bool(roles.intersection(SIMULATORS)),
            "audit": bool(roles.intersection(AUDITORS)),
        },
    }
