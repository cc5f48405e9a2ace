"""Server-rendered pages for schedulers, clinicians, auditors and equity leads (NHS.UK design).

The pages call the same ``app/`` services as the API, never the API over HTTP, and work
without JavaScript. ``install_web`` is the one call ``create_app`` makes.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from app.settings import Settings
from web.auth import PageError, SignInRequired
from web.headers import SecurityHeaders
from web.templating import STATIC_DIR, render


def _page_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageError)
    return render(
        request,
        "error.html",
        {"title": exc.title, "message": exc.message},
        status_code=exc.status_code,
    )


def _sign_in_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    from urllib.parse import urlencode

    query = {"next": exc.next_url}
    if exc.reason in ("idle", "expired"):
        query["reason"] = exc.reason
    return RedirectResponse(f"/sign-in?{urlencode(query)}", status_code=303)


def install_web(app: FastAPI, settings: Settings) -> None:
    """Add the pages, their assets, the offline API docs and the pages' security headers."""
    from web.routes import router

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(router)
    app.add_exception_handler(PageError, _page_error)
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_middleware(SecurityHeaders, settings=settings)
