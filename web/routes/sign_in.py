"""Sign-in and sign-out: OpenID Connect (authorization code with PKCE) against the trust's
identity provider, and in development only, a choose-a-role sign-in for the demo data.

The authorization request's state, nonce and PKCE verifier travel in a short-lived signed
cookie (``equiwait_oidc``), so a callback is accepted only in the browser that started it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import warnings
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

import jwt
from authlib.integrations.base_client import OAuthError
from authlib.oauth2 import OAuth2Error
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from httpx import HTTPError

from api.deps import SessionDep
from app.oidc import IdentityError, NoKnownRole, identity_provider
from app.security import ROLE_NAMES, InvalidTokenError, Principal, Role
from app.settings import Settings
from web.auth import END_MESSAGES, FormUser, PageError, optional_user, settings_of
from web.navigation import landing_page
from web.sessions import (
    SignedIn,
    clear_cookie,
    cookie_secure,
    end_session,
    set_cookie,
    start_session,
)
from web.templating import render, sentence

with warnings.catch_warnings():
    # authlib announces on import that its httpx client will move to httpx2; the client and
    # its PKCE support used here are unchanged.
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.integrations.httpx_client import OAuth2Client

router = APIRouter()
OIDC_COOKIE = "equiwait_oidc"
SIGN_IN_COOKIE = "equiwait_sign_in"
PENDING_MINUTES = 10
_log = logging.getLogger(__name__)

SettingsDep = Annotated[Settings, Depends(settings_of)]
MaybeUser = Annotated[SignedIn | None, Depends(optional_user)]

DEVELOPMENT_REFUSED = (
    "Choosing a role without signing in is only for trying the service with its demo data: "
    "it works when EQUIWAIT_ENVIRONMENT is development, and this server runs as {env}. "
    "Sign in with {provider} instead."
)


def _key(settings: Settings, purpose: str) -> bytes:
    return hashlib.sha256(f"{purpose}:{settings.secret}".encode()).digest()


def _safe_next(value: str | None) -> str | None:
    """A local path to return to after sign-in (never another site)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return None


def _sign_in_token(settings: Settings, nonce: str) -> str:
    return hmac.new(_key(settings, "sign-in"), nonce.encode(), hashlib.sha256).hexdigest()


def _client(settings: Settings, redirect_uri: str) -> OAuth2Client:
    secret = settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else None
    return OAuth2Client(
        client_id=settings.oidc_client_id,
        client_secret=secret,
        scope=settings.oidc_scopes,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic" if secret else "none",
        timeout=10.0,
    )


@router.get("/sign-in", name="sign_in")
def sign_in_page(
    request: Request,
    settings: SettingsDep,
    user: MaybeUser,
    next: str | None = None,
    reason: str | None = None,
) -> Response:
    """The first page: the trust's sign-in, and in development the demo roles."""
    if user is not None and reason is None:
        return RedirectResponse(_safe_next(next) or landing_page(user.principal.roles), 303)
    nonce = secrets.token_urlsafe(24)
    response = render(
        request,
        "sign_in.html",
        {
            "next": _safe_next(next),
            "message": END_MESSAGES.get(reason or ""),
            "oidc": settings.oidc_enabled,
            "provider_name": settings.oidc_provider_name,
            "development": settings.development_sign_in,
            "environment": settings.environment,
            "roles": [{"value": role.value, "text": ROLE_NAMES[role]} for role in Role],
            "sign_in_token": _sign_in_token(settings, nonce),
        },
    )
    response.set_cookie(
        SIGN_IN_COOKIE,
        nonce,
        max_age=PENDING_MINUTES * 60,
        httponly=True,
        secure=cookie_secure(request, settings),
        samesite="lax",
    )
    return response


@router.get("/sign-in/start", name="oidc_start")
def oidc_start(request: Request, settings: SettingsDep, next: str | None = None) -> Response:
    """Send the browser to the identity provider (authorization code flow with PKCE)."""
    if not settings.oidc_enabled:
        raise PageError(
            404,
            "Sign-in is not set up",
            "No identity provider is configured for this service (EQUIWAIT_OIDC_ISSUER).",
        )
    try:
        endpoint = identity_provider(settings).metadata()["authorization_endpoint"]
    except IdentityError as exc:
        _log.error("identity provider unavailable: %s", exc)
        raise PageError(503, "Sign-in is not available", str(exc)) from exc
    state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
    redirect_uri = str(request.url_for("oidc_callback"))
    url, _ = _client(settings, redirect_uri).create_authorization_url(
        endpoint, state=state, code_verifier=verifier, nonce=nonce
    )
    pending = {
        "state": state,
        "nonce": nonce,
        "verifier": verifier,
        "next": _safe_next(next),
        "redirect_uri": redirect_uri,
        "exp": datetime.now(UTC) + timedelta(minutes=PENDING_MINUTES),
    }
    response = RedirectResponse(url, 303)
    response.set_cookie(
        OIDC_COOKIE,
        jwt.encode(pending, _key(settings, "oidc-pending"), algorithm="HS256"),
        max_age=PENDING_MINUTES * 60,
        httponly=True,
        secure=cookie_secure(request, settings),
        samesite="lax",
    )
    return response


def _refused(request: Request, title: str, message: str, status_code: int = 403) -> Response:
    response = render(
        request,
        "sign_in_refused.html",
        {"title": title, "message": message},
        status_code=status_code,
    )
    response.delete_cookie(OIDC_COOKIE)
    return response


def _pending(request: Request, settings: Settings, state: str | None) -> dict[str, Any]:
    raw = request.cookies.get(OIDC_COOKIE)
    try:
        pending: dict[str, Any] = jwt.decode(
            raw or "", _key(settings, "oidc-pending"), algorithms=["HS256"]
        )
    except jwt.PyJWTError as exc:
        raise PageError(
            400,
            "Sign-in did not finish",
            "The sign-in took too long or was started in another browser. Sign in again.",
        ) from exc
    if not state or not hmac.compare_digest(str(pending.get("state")), state):
        raise PageError(
            400, "Sign-in did not finish", "The sign-in answer did not match. Sign in again."
        )
    return pending


@router.get("/sign-in/callback", name="oidc_callback")
def oidc_callback(
    request: Request,
    settings: SettingsDep,
    session: SessionDep,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
    error_description: str | None = None,
) -> Response:
    """The identity provider's answer: check it, map the roles, start the session."""
    if not settings.oidc_enabled:
        raise PageError(404, "Sign-in is not set up", "No identity provider is configured.")
    if error:
        return _refused(
            request,
            "You were not signed in",
            f"The identity provider did not sign you in ({error_description or error}).",
        )
    pending = _pending(request, settings, state)
    provider = identity_provider(settings)
    try:
        token_endpoint = provider.metadata()["token_endpoint"]
        token = _client(settings, pending["redirect_uri"]).fetch_token(
            token_endpoint, code=code, code_verifier=pending["verifier"]
        )
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise InvalidTokenError("the token response has no id_token")
        claims = provider.verify(id_token, audience=provider.client_id, nonce=pending["nonce"])
        identity = provider.identity(claims)
    except NoKnownRole as exc:
        _log.info("sign-in refused: no Equiwait role for subject")
        return _refused(request, "You cannot use Equiwait yet", sentence(str(exc)) + ".")
    except (IdentityError, InvalidTokenError, OAuth2Error, OAuthError, HTTPError) as exc:
        _log.warning("sign-in failed: %s", exc)
        return _refused(
            request,
            "You were not signed in",
            "The identity provider's answer could not be checked. Try again; if it keeps "
            "happening, tell your system administrator.",
            status_code=502,
        )
    session_token = start_session(
        session, settings, identity.principal(), method="oidc", id_token=id_token
    )
    response = RedirectResponse(pending.get("next") or landing_page(identity.roles), 303)
    set_cookie(response, request, settings, session_token)
    response.delete_cookie(OIDC_COOKIE)
    return response


@router.post("/sign-in/development", name="development_sign_in")
def development_sign_in(
    request: Request,
    settings: SettingsDep,
    session: SessionDep,
    role: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    sign_in_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Sign in as a chosen role (development only; production refuses and says why)."""
    if not settings.development_sign_in:
        provider = settings.oidc_provider_name if settings.oidc_enabled else "the identity provider"
        raise PageError(
            403,
            "Development sign-in is switched off",
            DEVELOPMENT_REFUSED.format(env=settings.environment, provider=provider),
        )
    nonce = request.cookies.get(SIGN_IN_COOKIE, "")
    if not nonce or not hmac.compare_digest(sign_in_token, _sign_in_token(settings, nonce)):
        raise PageError(400, "The form could not be sent", "Reload the sign-in page and try again.")
    if role not in Role._value2member_map_:
        raise PageError(400, "Choose a role", "Go back and choose the role to sign in as.")
    chosen = Role(role)
    person = name.strip()[:100] or f"Demo {ROLE_NAMES[chosen].lower()}"
    principal = Principal(subject=f"demo.{chosen.value}", roles=frozenset({chosen}), name=person)
    token = start_session(session, settings, principal, method="development")
    response = RedirectResponse(_safe_next(next) or landing_page(principal.roles), 303)
    set_cookie(response, request, settings, token)
    response.delete_cookie(SIGN_IN_COOKIE)
    return response


@router.post("/sign-out", name="sign_out")
def sign_out(
    request: Request, user: FormUser, settings: SettingsDep, session: SessionDep
) -> Response:
    """End the session here, then at the identity provider when it offers that."""
    end_session(session, user)
    target = "/signed-out"
    if user.method == "oidc" and settings.oidc_enabled:
        try:
            endpoint = identity_provider(settings).endpoint("end_session_endpoint")
        except IdentityError:
            endpoint = None
        if endpoint:
            query = {
                "client_id": settings.oidc_client_id or "",
                "post_logout_redirect_uri": str(request.url_for("signed_out")),
            }
            if user.id_token:
                query["id_token_hint"] = user.id_token
            target = f"{endpoint}?{urlencode(query)}"
    response = RedirectResponse(target, 303)
    clear_cookie(response, request, settings)
    return response


@router.get("/signed-out", name="signed_out")
def signed_out(request: Request) -> Response:
    return render(request, "signed_out.html")
