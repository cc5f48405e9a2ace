"""Typed dependencies shared by every router: settings, database session, caller."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.denials import record_denial
from app.database import session_scope
from app.errors import Forbidden, Unauthorized
from app.security import InvalidTokenError, Principal, Role, decode_token
from app.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="JWT from `equiwait token`")


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    """The app's database engine."""
    engine: Engine = request.app.state.engine
    return engine


def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    """One session per request, committed once when the handler succeeds."""
    with session_scope(engine) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
# scope="function": the commit runs when the handler returns, before the response is sent, so a
# failed commit is a 500 and never a success for work that was not saved.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_principal(
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller named by the bearer token; 401 when absent or invalid (audited)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        record_denial(request, None, 401, "no bearer token")
        raise Unauthorized("bearer token required", headers={"WWW-Authenticate": "Bearer"})
    try:
        return decode_token(credentials.credentials, settings.secret)
    except InvalidTokenError as exc:
        record_denial(request, None, 401, "invalid token")
        raise Unauthorized(
            f"invalid token: {exc}",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from exc


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_roles(*roles: Role) -> Callable[[Request, Principal], Principal]:
    """A dependency admitting callers holding any of ``roles`` (403 otherwise)."""
    allowed = ", ".join(role.value for role in roles)

    def dependency(request: Request, principal: CurrentPrincipal) -> Principal:
        if not principal.has_any(*roles):
            record_denial(request, principal.subject, 403, f"requires role: {allowed}")
            raise Forbidden(f"requires role: {allowed}")
        return principal

    return dependency


Uploader = Annotated[Principal, Depends(require_roles(Role.SCHEDULER, Role.ADMIN))]
AnyReader = Annotated[
    Principal,
    Depends(require_roles(Role.SCHEDULER, Role.CLINICIAN, Role.AUDITOR, Role.ADMIN)),
]
