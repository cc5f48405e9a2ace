"""Security headers of the pages, their assets and the API docs (not of ``/api`` answers).

The Content Security Policy allows nothing from outside the service and no inline script:
every script and style is a file under ``/static``. The API documentation pages alone allow
inline styles and ``data:`` images, which Swagger UI and ReDoc draw with (still no inline
script, still nothing fetched from elsewhere).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.settings import Settings

DOCS_PATHS = ("/docs", "/redoc")


def _origin(url: str | None) -> str:
    if not url:
        return ""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def page_policy(settings: Settings) -> str:
    """``form-action`` also names the identity provider: signing out posts a form whose
    answer redirects there, and browsers hold form redirects to this directive."""
    idp = _origin(settings.oidc_issuer)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            f"form-action 'self'{' ' + idp if idp else ''}",
        ]
    )


DOCS_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


class SecurityHeaders:
    """Pure ASGI middleware: headers already set by a route (or by another layer) win."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.page_policy = page_policy(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path.startswith("/api/") or path in ("/openapi.json",):
            await self.app(scope, receive, send)
            return
        docs = path in DOCS_PATHS
        static = path.startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                policy = DOCS_POLICY if docs else self.page_policy
                headers.setdefault("Content-Security-Policy", policy)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
                if not static:
                    # Pages show patient data: never kept in a shared or back-button cache.
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)
