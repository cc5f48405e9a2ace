"""Security headers on every response, and the API's policy and ``Cache-Control: no-store``
on the API's (the pages' policy is ``web/headers.py``).

Everything under ``/api/v1`` may carry patient data, so none of it is stored by browsers or
proxies. The service never names its server software (uvicorn runs with
``server_header=False``; a ``Server`` header set by anything else is dropped here).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_PREFIX = "/api/"
#: The API serves JSON, CSV, PNG/SVG and self-contained HTML reports: nothing may be framed,
#: and a downloaded report runs no script from anywhere else.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_SERVICE_PATHS = frozenset({"/openapi.json", "/healthz", "/readyz", "/metrics"})
HSTS = "max-age=31536000; includeSubDomains"


def serves_api(path: str) -> bool:
    """The API and the service's own endpoints; every other path is a page or a page asset,
    whose policy (``web/headers.py``) allows its own scripts and styles."""
    return path.startswith(API_PREFIX) or path in _SERVICE_PATHS


class SecurityHeaders:
    """ASGI middleware adding the headers every answer carries (HSTS when the request came
    over TLS, or always when ``behind_tls`` says a TLS proxy sits in front), and the API's
    policy and no-store on the API's answers."""

    def __init__(self, app: ASGIApp, *, behind_tls: bool = False) -> None:
        self.app = app
        self.behind_tls = behind_tls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        tls = self.behind_tls or scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                del headers["server"]
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                if serves_api(path):
                    headers["Referrer-Policy"] = "no-referrer"
                    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
                if tls:
                    headers["Strict-Transport-Security"] = HSTS
                if path.startswith(API_PREFIX):
                    headers["Cache-Control"] = "no-store"
                    headers["Pragma"] = "no-cache"
            await send(message)

        await self.app(scope, receive, send_with_headers)
