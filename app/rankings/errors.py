"""Refusals of the rankings service, each with its HTTP status (``app.errors``)."""

from __future__ import annotations

from app.errors import ServiceError


class RankingError(ServiceError):
    """Base of every refusal by the rankings service."""


class BadRequest(RankingError):
    """A request that cannot be read: a tampered cursor, a provider needed but left out (400)."""


class NotFound(RankingError):
    """No such run, entry, override, or no run covering the moment asked about (404)."""

    status = 404
    problem = "not-found"


class Invalid(RankingError):
    """A request the service refuses: missing reason, expiry in the past, closed entry (422)."""

    status = 422
    problem = "unprocessable"


class Conflict(RankingError):
    """The change clashes with the current state: an active override, already revoked (409)."""

    status = 409
    problem = "conflict"


class RankingFailed(RankingError):
    """The engine refused the PTL or the rules in force (e.g. an unranked priority code; 422)."""

    status = 422
    problem = "ranking-failed"
