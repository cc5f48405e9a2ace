"""Who is calling: roles, the authenticated principal, and the service's own HS256 tokens.

The service signs HS256 bearer tokens for machine clients (the PAS feed, scripts); people
sign in through the trust's identity provider (``app/oidc.py``), whose access tokens the API
accepts too. Either way a request ends up with one :class:`Principal`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import jwt

ALGORITHM = "HS256"
ISSUER = "equiwait"


class Role(StrEnum):
    """What a caller may do."""

    SCHEDULER = "scheduler"
    CLINICIAN = "clinician"
    AUDITOR = "auditor"
    EQUITY_LEAD = "equity_lead"
    ADMIN = "admin"


ROLE_NAMES: dict[Role, str] = {
    Role.SCHEDULER: "Scheduler",
    Role.CLINICIAN: "Clinician",
    Role.AUDITOR: "Auditor",
    Role.EQUITY_LEAD: "Equity lead",
    Role.ADMIN: "Administrator",
}
"""How each role is named to people (pages, sign-in)."""


class Actor(str):
    """Who acted, as the audit records it: the identifier (a ``str``, what ``actor`` columns
    store and filter on) and, for a person, their name, which the audit keeps beside it.

    A ``str`` so that every service keeps taking ``actor: str`` and stores the identifier
    wherever it did; :func:`app.audit.record_event` reads :attr:`name`.
    """

    name: str | None

    def __new__(cls, identifier: str, name: str | None = None) -> Actor:
        actor = super().__new__(cls, identifier)
        actor.name = name.strip() or None if name else None
        return actor

    @property
    def label(self) -> str:
        """``Dr Amara Okafor (7f3a…)``, or the identifier alone when no name is known."""
        return f"{self.name} ({self})" if self.name else str(self)


def actor_name(actor: str) -> str | None:
    """The person's name carried by ``actor`` (None for a plain identifier)."""
    return actor.name if isinstance(actor, Actor) else None


def actor_label(actor: str) -> str:
    """The name and identifier of ``actor`` in one string (the identifier alone if unnamed)."""
    return actor.label if isinstance(actor, Actor) else str(actor)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: ``subject`` is the stable identifier (the identity provider's
    subject for a person, the token subject for a machine client); ``name`` a person's name."""

    subject: str
    roles: frozenset[Role]
    name: str | None = None

    def has_any(self, *roles: Role) -> bool:
        """True when the caller holds at least one of ``roles``."""
        return bool(self.roles.intersection(roles))

    @property
    def actor(self) -> Actor:
        """The caller as services and the audit record it."""
        return Actor(self.subject, self.name)


class InvalidTokenError(Exception):
    """The token is missing, malformed, expired or not signed by a trusted issuer.

    The message says why, for the service's logs; callers are only told "invalid or expired
    token" (the reason would help someone forging tokens more than it helps a client).
    """


INVALID_TOKEN_MESSAGE = "invalid or expired token"


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


def token_issuer(token: str) -> str | None:
    """The ``iss`` claim of a JWT, read without verifying it (to choose the verifier)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    issuer = claims.get("iss")
    return issuer if isinstance(issuer, str) else None


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
