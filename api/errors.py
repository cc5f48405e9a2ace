"""Errors raised by routers, each with a declared status code and a stable body shape."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, status
from pydantic import BaseModel


class ErrorBody(BaseModel):
    """The body of every non-validation error: ``{"detail": "..."}``."""

    detail: str


class RowErrorModel(BaseModel):
    """One problem in one row of an upload (row 1 is the CSV header)."""

    row: int
    field: str | None
    value: str | None
    message: str


class UploadRejected(BaseModel):
    """A 422 answer to an upload: every error found; nothing was written."""

    detail: str
    error_count: int
    errors: list[RowErrorModel]
    truncated: bool = False


def not_found(what: str) -> HTTPException:
    """404 naming what was looked for."""
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=f"{what} not found")


def conflict(message: str) -> HTTPException:
    """409 for a concurrent or conflicting change."""
    return HTTPException(status.HTTP_409_CONFLICT, detail=message)


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the given error status codes."""
    descriptions = {
        400: "Bad request",
        401: "Missing or invalid bearer token",
        403: "The token's roles do not allow this",
        404: "Not found",
        409: "Conflict with the current state",
        412: "Precondition failed (stale version)",
        413: "Payload too large",
        422: "Invalid input",
        428: "Precondition required",
    }
    return {code: {"model": ErrorBody, "description": descriptions[code]} for code in codes}
