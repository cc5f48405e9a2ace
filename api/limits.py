"""Limits on what a request may take: its body's size (413), and a place in progress (503)."""

from __future__ import annotations

import json
import logging

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import PROBLEM_JSON, TITLES, TYPE_PREFIX, handle_error
from app.errors import ServiceUnavailable

logger = logging.getLogger(__name__)


class BodySizeLimit:
    """ASGI middleware: 413 when Content-Length, or the bytes actually streamed, pass a limit.

    A chunked body (no Content-Length) is counted as it arrives. Once it passes the limit the
    application is told the client went away, so it stops reading and stores nothing, and
    whatever it would have answered (typically a 400 for an unreadable body) is replaced by
    this middleware's own 413.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self._reject(scope, send)
            return
        received = 0
        exceeded = False
        started = False
        answered = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started, answered
            if exceeded and not started:
                # The app's own answer to a body cut short is dropped for the 413.
                if not answered:
                    answered = True
                    await self._reject(scope, send)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not exceeded or started:
                raise
        if exceeded and not started and not answered:
            await self._reject(scope, send)

    async def _reject(self, scope: Scope, send: Send) -> None:
        body = json.dumps(
            {
                "type": f"{TYPE_PREFIX}payload-too-large",
                "title": TITLES["payload-too-large"],
                "status": 413,
                "detail": f"request body larger than the limit of {self.max_bytes} bytes",
                "instance": scope.get("path", ""),
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


#: Paths never refused for load: probes and scrapes must answer while the service sheds.
UNLIMITED_PATHS = ("/healthz", "/readyz", "/metrics", "/static/")


class InFlightLimit:
    """ASGI middleware: at most ``limit`` requests in progress per process; more get 503.

    Without it, a request beyond what the process can serve queues in the worker's thread
    pool for as long as the backlog takes (tens of seconds under the load benchmark) and is
    then answered late or times out. Refused at once, with ``Retry-After``, a client (or the
    load balancer) can go elsewhere or come back. Health, readiness and metrics are never
    refused. Counted on the event loop only, so a plain counter needs no lock.
    """

    def __init__(self, app: ASGIApp, limit: int, retry_after_seconds: int) -> None:
        self.app = app
        self.limit = limit
        self.retry_after_seconds = retry_after_seconds
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if scope["type"] != "http" or path.startswith(UNLIMITED_PATHS):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            logger.warning("request refused: %d in flight on %s", self.in_flight, path)
            refusal = ServiceUnavailable(
                f"the service is busy ({self.limit} requests in progress in this process); "
                "retry later",
                headers={"Retry-After": str(self.retry_after_seconds)},
            )
            await handle_error(Request(scope), refusal)(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
