"""Refusals of the rankings service; the API maps each class to one status code."""

from __future__ import annotations


class RankingError(Exception):
    """Base of every refusal by the rankings service."""


class BadRequest(RankingError):
    """A request that cannot be read: a tampered cursor, a provider needed but left out (400)."""


class NotFound(RankingError):
    """No such run, entry, override, or no run covering the moment asked about (404)."""


class Invalid(RankingError):
    """A request the service refuses: missing reason, expiry in the past, closed entry (422)."""


class Conflict(RankingError):
    """The change clashes with the current state: an active override, already revoked (409)."""


class RankingFailed(RankingError):
    """The engine refused the PTL or the rules in force (e.g. an unranked priority code; 422)."""
