"""Who is signed in to a page, what their role lets them open, and CSRF checks on forms.

Pages raise :class:`SignInRequired` and :class:`PageError`; the web layer turns them into a
redirect to the sign-in page or an NHS.UK error page (never the API's JSON errors).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request

from app.security import Role
from app.settings import Settings
from web.sessions import COOKIE, SessionEnded, SignedIn, load_session

END_MESSAGES = {
    "idle": "You were signed out because you were inactive for too long. Sign in again.",
    "expired": "Your session reached its time limit. Sign in again.",
    "signed_out": "You have signed out.",
}


class PageError(Exception):
    """An error page: the status, a heading and what the person can do about it."""

    def __init__(self, status_code: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status_code, self.title, self.message = status_code, title, message


class SignInRequired(Exception):
    """The page needs a signed-in person; ``reason`` says why they are asked again."""

    def __init__(self, next_url: str, reason: str | None = None) -> None:
        super().__init__(reason or "sign in required")
        self.next_url, self.reason = next_url, reason


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _next_url(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query and request.method == "GET" else ""
    return f"{request.url.path}{query}" if request.method == "GET" else "/"


def signed_in(request: Request) -> SignedIn:
    """The signed-in person (SignInRequired when there is none or the session ended)."""
    token = request.cookies.get(COOKIE)
    if not token:
        raise SignInRequired(_next_url(request))
    try:
        user = load_session(request.app.state.engine, settings_of(request), token)
    except SessionEnded as exc:
        raise SignInRequired(_next_url(request), exc.reason) from exc
    request.state.signed_in = user
    return user


def optional_user(request: Request) -> SignedIn | None:
    """The signed-in person, or None (pages open to everyone, such as the sign-in page)."""
    try:
        return signed_in(request)
    except SignInRequired:
        return None


CurrentUser = Annotated[SignedIn, Depends(signed_in)]


def require(*roles: Role) -> Callable[[SignedIn], SignedIn]:
    """A dependency admitting people holding any of ``roles`` (a 403 page otherwise)."""
    from app.security import ROLE_NAMES

    allowed = ", ".join(ROLE_NAMES[role].lower() for role in roles)

    def dependency(user: CurrentUser) -> SignedIn:
        if not user.principal.has_any(*roles):
            raise PageError(
                403,
                "You cannot open this page",
                f"This page is for the roles: {allowed}. Your role does not include it.",
            )
        return user

    return dependency


def _same_origin(request: Request) -> bool:
    """A form post carrying an Origin (or Referer) must come from this site."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin is None
    parts = urlsplit(origin)
    return (parts.scheme, parts.netloc) == (request.url.scheme, request.url.netloc)


async def form_user(request: Request, user: CurrentUser) -> SignedIn:
    """The signed-in person of a form post whose CSRF token matches their session."""
    form = await request.form()
    token = form.get("csrf_token")
    if not isinstance(token, str) or not hmac.compare_digest(token, user.csrf_token):
        raise PageError(
            400,
            "The form could not be sent",
            "The form was out of date or did not come from this service. Go back, reload the "
            "page and try again.",
        )
    if not _same_origin(request):
        raise PageError(400, "The form could not be sent", "The form came from another site.")
    return user


FormUser = Annotated[SignedIn, Depends(form_user)]


def form_user_with(*roles: Role) -> Callable[..., Awaitable[SignedIn]]:
    """``form_user`` for people holding any of ``roles``."""
    check = require(*roles)

    async def dependency(request: Request, user: FormUser) -> SignedIn:
        return check(user)

    return dependency


async def posted_form(request: Request) -> dict[str, str]:
    """Every text field of the posted form (the parsed form is cached on the request)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


PostedForm = Annotated[dict[str, str], Depends(posted_form)]
