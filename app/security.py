"""Signed bearer tokens (JWT, HS256) carrying a subject and roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import jwt

ALGORITHM = "HS256"
ISSUER = "equiwait"


class Role(StrEnum):
    """What a token holder may do."""

    SCHEDULER = "scheduler"
    CLINICIAN = "clinician"
    AUDITOR = "auditor"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    subject: str
    roles: frozenset[Role]

    def has_any(self, *roles: Role) -> bool:
        """True when the caller holds at least one of ``roles``."""
        return bool(self.roles.intersection(roles))


class InvalidTokenError(Exception):
    """The token is missing, malformed, expired or not signed by us."""


def create_token(subject: str, roles: list[Role], secret: str, ttl: timedelta) -> str:
    """Sign a token for ``subject`` holding ``roles``."""
    if not subject.strip():
        raise ValueError("subject must not be empty")
    if not roles:
        raise ValueError("at least one role is required")
    now = datetime.now(UTC)
    claims = {
        "sub": subject,
        "roles": sorted(role.value for role in roles),
        "iss": ISSUER,
        "iat": now,
        "exp": now + ttl,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(token: str, secret: str) -> Principal:
    """Verify ``token`` and return its principal, or raise :class:`InvalidTokenError`."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["sub", "exp", "iat", "iss"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidTokenError(str(exc)) from exc
    raw_roles = claims.get("roles")
    if not isinstance(raw_roles, list):
        raise InvalidTokenError("token carries no roles")
    try:
        roles = frozenset(Role(value) for value in raw_roles)
    except ValueError as exc:
        raise InvalidTokenError(f"unknown role in token: {exc}") from exc
    return Principal(subject=str(claims["sub"]), roles=roles)
