"""Typed dependencies shared by every router: settings, database session, caller."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.denials import record_denial
from app.database import session_scope
from app.errors import Forbidden, Unauthorized
from app.oidc import IdentityError, identity_provider
from app.security import (
    INVALID_TOKEN_MESSAGE,
    ISSUER,
    InvalidTokenError,
    Principal,
    Role,
    decode_token,
    token_issuer,
)
from app.settings import Settings

_bearer = HTTPBearer(
    auto_error=False,
    description="JWT from `equiwait token`, or an access token of the trust's identity provider",
)
_log = logging.getLogger(__name__)


# The dependencies that only read the app's state are ``async def``: FastAPI runs a plain
# ``def`` dependency in its thread pool, a hop to a thread and back for nothing.


async def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


async def get_engine(request: Request) -> Engine:
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
        return principal_for_token(credentials.credentials, settings)
    except InvalidTokenError as exc:
        _log.info("bearer token refused: %s", exc)
        record_denial(request, None, 401, "invalid token")
        raise Unauthorized(
            INVALID_TOKEN_MESSAGE,
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from exc


def principal_for_token(token: str, settings: Settings) -> Principal:
    """The service's own HS256 tokens (machine clients), or, when an identity provider is
    configured, its access tokens checked against its published keys."""
    issuer = token_issuer(token)
    if issuer == ISSUER or not settings.oidc_enabled or issuer is None:
        return decode_token(token, settings.secret)
    try:
        return identity_provider(settings).access_token_principal(token)
    except IdentityError as exc:
        raise InvalidTokenError(str(exc)) from exc


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_roles(*roles: Role) -> Callable[[Request, Principal], Principal]:
    """A dependency admitting callers holding any of ``roles`` (403 otherwise)."""
    allowed = ", ".join(role.value for role in roles)

    def dependency(request: Request, principal: CurrentPrincipal) -> Principal:
        if not principal.has_any(*roles):
            record_denial(request, principal.actor, 403, f"requires role: {allowed}")
            raise Forbidden(f"requires role: {allowed}")
        return principal

    return dependency


Uploader = Annotated[Principal, Depends(require_roles(Role.SCHEDULER, Role.ADMIN))]
AnyReader = Annotated[Principal, Depends(require_roles(*Role))]
