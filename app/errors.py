"""The one base of every refusal the service raises, carrying its HTTP status and problem type.

Services raise subclasses (``app.rankings.errors``, ``app.rules.errors``, …); the API turns any
of them into an RFC 9457 problem details answer in one handler (``api/errors.py``), so a
refusal means the same thing wherever it is raised. ``problem`` names the problem type (see
docs/errors.md); ``extensions`` adds members such as the rows of a rejected upload.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ServiceError(Exception):
    """A refusal: ``status`` is the HTTP status, ``problem`` the problem type's slug."""

    status: ClassVar[int] = 400
    problem: ClassVar[str] = "bad-request"

    def __init__(
        self,
        message: str,
        *,
        extensions: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.extensions: dict[str, Any] = dict(extensions or {})
        self.headers: dict[str, str] = dict(headers or {})


class BadRequest(ServiceError):
    """The request cannot be read: a tampered cursor, a malformed header (400)."""


class NotFound(ServiceError):
    """What the request names does not exist (404)."""

    status = 404
    problem = "not-found"


class Conflict(ServiceError):
    """The change clashes with the current state (409)."""

    status = 409
    problem = "conflict"


class PreconditionFailed(ServiceError):
    """An ``If-Match`` that no longer matches: someone changed the resource meanwhile (412)."""

    status = 412
    problem = "precondition-failed"


class PayloadTooLarge(ServiceError):
    """The request body passes a configured limit (413)."""

    status = 413
    problem = "payload-too-large"


class Unprocessable(ServiceError):
    """A well-formed request the service refuses (422)."""

    status = 422
    problem = "unprocessable"


class PreconditionRequired(ServiceError):
    """A change that needs ``If-Match`` came without one (428)."""

    status = 428
    problem = "precondition-required"


class Unauthorized(ServiceError):
    """No bearer token, or one that is invalid or expired (401)."""

    status = 401
    problem = "unauthorized"


class Forbidden(ServiceError):
    """The token's roles do not allow the route (403)."""

    status = 403
    problem = "forbidden"


class TooManyRequests(ServiceError):
    """Every slot of a heavy route is busy in this process; retry after ``Retry-After`` (429)."""

    status = 429
    problem = "too-busy"


class ServiceUnavailable(ServiceError):
    """No database connection came free in time: shed now rather than queue (503)."""

    status = 503
    problem = "unavailable"
