"""Sessions of people signed in to the web pages: stored server-side, one cookie per browser.

Why server-side: signing out (or a time-out) must end a session for good, even if someone
kept a copy of the cookie. The browser holds a random token; the table holds its SHA-256, so
reading the table gives nobody a way in. A session ends after ``session_idle_minutes``
without a request and, however active, ``session_absolute_minutes`` after sign-in.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from fastapi import Request, Response
from sqlalchemy import Engine, delete, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.audit import AuditKind, record_event
from app.database import session_scope
from app.security import Actor, Principal, Role
from app.settings import Settings
from models import WebSession
from models.base import utcnow

COOKIE = "equiwait_session"
TOUCH_EVERY = timedelta(seconds=60)
"""``last_seen_at`` is written at most once a minute per session (idle time-out precision)."""
KEEP_ENDED = timedelta(days=1)
"""Ended and expired rows are deleted a day later (they are not the audit: sign-ins are)."""
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})

Method = Literal["oidc", "development"]
EndReason = Literal["signed_out", "idle", "expired"]
_log = logging.getLogger(__name__)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The person behind a request's session cookie."""

    session_id: str
    principal: Principal
    method: Method
    created_at: datetime
    expires_at: datetime
    csrf_token: str
    id_token: str | None = None

    @property
    def actor(self) -> Actor:
        return self.principal.actor


class SessionEnded(Exception):
    """The cookie names a session that ended (``reason``: signed_out, idle, expired)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def csrf_token(settings: Settings, session_id: str) -> str:
    """The form token of a session: an HMAC of its id, so nothing more need be stored."""
    key = hashlib.sha256(("csrf:" + settings.secret).encode()).digest()
    return hmac.new(key, session_id.encode(), hashlib.sha256).hexdigest()


def cookie_secure(request: Request, settings: Settings) -> bool:
    """Secure everywhere but on a loopback address in development (plain http there)."""
    host = (request.url.hostname or "").lower()
    return not (settings.environment == "development" and host in LOOPBACK_HOSTS)


def set_cookie(response: Response, request: Request, settings: Settings, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=settings.session_absolute_minutes * 60,
        path="/",
        httponly=True,
        secure=cookie_secure(request, settings),
        samesite="lax",
    )


def clear_cookie(response: Response, request: Request, settings: Settings) -> None:
    response.delete_cookie(
        COOKIE, path="/", httponly=True, secure=cookie_secure(request, settings), samesite="lax"
    )


def start_session(
    session: Session,
    settings: Settings,
    principal: Principal,
    *,
    method: Method,
    id_token: str | None = None,
) -> str:
    """Store a new session for ``principal`` (the sign-in is audited); the cookie's token."""
    now = utcnow()
    session.execute(delete(WebSession).where(WebSession.expires_at < now - KEEP_ENDED))
    token = secrets.token_urlsafe(32)
    row = WebSession(
        id=_digest(token),
        subject=principal.subject,
        name=principal.name,
        roles=sorted(role.value for role in principal.roles),
        method=method,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(minutes=settings.session_absolute_minutes),
        id_token=id_token,
    )
    session.add(row)
    session.flush()
    record_event(
        session,
        principal.actor,
        AuditKind.SIGNED_IN,
        subject_type="web_session",
        details={"method": method, "roles": row.roles},
        occurred_at=now,
    )
    return token


def _principal(row: WebSession) -> Principal:
    roles = frozenset(Role(value) for value in row.roles if value in Role._value2member_map_)
    return Principal(subject=row.subject, roles=roles, name=row.name)


def load_session(engine: Engine, settings: Settings, token: str) -> SignedIn:
    """The live session of ``token``, its idle clock restarted; SessionEnded otherwise
    (a session found idle or past its limit is ended now, with the reason)."""
    now = utcnow()
    with session_scope(engine) as session:
        row = session.get(WebSession, _digest(token))
        if row is None:
            raise SessionEnded("unknown")
        if row.ended_at is not None:
            raise SessionEnded(row.end_reason or "signed_out")
        reason: EndReason | None = None
        if now >= row.expires_at:
            reason = "expired"
        elif now - row.last_seen_at > timedelta(minutes=settings.session_idle_minutes):
            reason = "idle"
        if reason is not None:
            row.ended_at, row.end_reason = now, reason
            raise_after = SessionEnded(reason)
        else:
            raise_after = None
            signed_in = SignedIn(
                session_id=row.id,
                principal=_principal(row),
                method="development" if row.method == "development" else "oidc",
                created_at=row.created_at,
                expires_at=row.expires_at,
                csrf_token=csrf_token(settings, row.id),
                id_token=row.id_token,
            )
            stale = now - row.last_seen_at >= TOUCH_EVERY
    if raise_after is not None:
        raise raise_after
    if stale:
        _touch(engine, signed_in.session_id, now)
    return signed_in


def _touch(engine: Engine, session_id: str, now: datetime) -> None:
    """Restart the idle clock; best effort (a busy SQLite writer must not fail a page)."""
    try:
        with session_scope(engine) as session:
            session.execute(
                update(WebSession).where(WebSession.id == session_id).values(last_seen_at=now)
            )
    except OperationalError as exc:
        _log.warning("session activity not recorded: %s", exc.__class__.__name__)


def end_session(session: Session, signed_in: SignedIn, reason: EndReason = "signed_out") -> None:
    """End the session now (sign-out is audited)."""
    now = utcnow()
    session.execute(
        update(WebSession)
        .where(WebSession.id == signed_in.session_id, WebSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
    )
    record_event(
        session,
        signed_in.actor,
        AuditKind.SIGNED_OUT,
        subject_type="web_session",
        details={"method": signed_in.method, "reason": reason},
        occurred_at=now,
    )
