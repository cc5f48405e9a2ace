"""Errors raised by routers, each with a declared status code and a stable body shape."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from fastapi import HTTPException, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.ingest import mask_nhs_number
from app.ingest.reader import NHS_NUMBER_NOT_TEXT
from app.ingest.text import decode, shorten

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
NHS_NUMBER_FIELD = "nhs_number"
_LOCATIONS = frozenset({"body", "query", "header", "path", "cookie"})


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


_ROW_ERROR_ENDPOINTS: set[Callable[..., Any]] = set()


def reports_row_errors(endpoint: Endpoint) -> Endpoint:
    """Mark an endpoint whose request-validation errors take the upload's 422 shape."""
    _ROW_ERROR_ENDPOINTS.add(endpoint)
    return endpoint


def request_validation_handler(request: Request, exc: Exception) -> JSONResponse:
    """422 for a request that does not fit its schema; never echoes an NHS number.

    PTL pushes answer like a rejected upload (``{"errors": [{row, field, value, message}]}``,
    ``row`` = the record's position, 0 for the request itself); other routes keep FastAPI's
    ``{"detail": [...]}`` with NHS-number inputs masked.
    """
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    endpoint = getattr(request.scope.get("route"), "endpoint", None)
    if endpoint in _ROW_ERROR_ENDPOINTS:
        rows = _row_errors(errors)
        body = UploadRejected(
            detail=f"request rejected: {len(rows)} error(s); nothing was written",
            error_count=len(rows),
            errors=rows,
        )
        return JSONResponse(body.model_dump(), status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    masked = [{**error, "input": _masked(error.get("input"), error["loc"])} for error in errors]
    return JSONResponse(
        {"detail": jsonable_encoder(masked)}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT
    )


def _row_errors(errors: Sequence[Mapping[str, Any]]) -> list[RowErrorModel]:
    """One error per (row, field), sorted, as the upload validator reports them."""
    found: dict[tuple[int, str], RowErrorModel] = {}
    for error in errors:
        loc = list(error["loc"])
        parts = loc[1:] if loc and loc[0] in _LOCATIONS else loc
        row = 0
        if len(parts) >= 2 and parts[0] == "entries" and isinstance(parts[1], int):
            row, parts = parts[1] + 1, parts[2:]
        field = str(parts[0]) if parts and isinstance(parts[0], str) else None
        value = error.get("input")
        message = str(error.get("msg", "invalid value"))
        if field == NHS_NUMBER_FIELD:
            message = NHS_NUMBER_NOT_TEXT
        elif error.get("type") == "json_invalid":
            message = f"the request body is not valid JSON ({error.get('ctx', {}).get('error')})"
            value = None
        found.setdefault(
            (row, field or ""),
            RowErrorModel(row=row, field=field, value=_shown(value, field), message=message),
        )
    return [found[key] for key in sorted(found)]


def _shown(value: object, field: str | None) -> str:
    """A scalar input as text (NHS numbers masked); nothing for objects, which may hold any."""
    if value is None or not isinstance(value, str | int | float | bool):
        return ""
    text = decode(str(value))
    return shorten(mask_nhs_number(text) if field == NHS_NUMBER_FIELD else text)


def _masked(value: object, loc: Sequence[object]) -> object:
    """``value`` with every NHS number in it masked (whole value when ``loc`` names one)."""
    if any(isinstance(part, str) and part.casefold() == NHS_NUMBER_FIELD for part in loc):
        return _shown(value, NHS_NUMBER_FIELD) if value is not None else None
    if isinstance(value, Mapping):
        return {k: _masked(v, (k,)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item, ()) for item in value]
    return value
