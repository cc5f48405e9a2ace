"""Every error answer is RFC 9457 problem details (``application/problem+json``), from one handler.

A problem has ``type`` (a ``urn:equiwait:problem:…`` URI naming what went wrong, or
``about:blank`` for a plain HTTP status), ``title`` (the same for every occurrence of that
type), ``status``, ``detail`` (this occurrence, in words) and ``instance`` (the path that was
asked for). Extension members carry what a client acts on: ``errors`` (one item per field,
document path or upload row), ``error_count`` and ``truncated`` for rejected uploads. The
types are listed in docs/errors.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import ServiceError, ServiceUnavailable
from app.ingest import mask_nhs_number
from app.ingest.reader import NHS_NUMBER_NOT_TEXT
from app.ingest.text import decode, shorten
from app.metrics import UPLOADS_REJECTED

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:equiwait:problem:"
NHS_NUMBER_FIELD = "nhs_number"
_LOCATIONS = frozenset({"body", "query", "header", "path", "cookie"})
logger = logging.getLogger(__name__)

#: Every problem type the service answers with, by slug, and its title.
TITLES: dict[str, str] = {
    "bad-request": "Bad request",
    "invalid-cursor": "Invalid cursor",
    "unauthorized": "Authentication required",
    "forbidden": "Not allowed for the token's roles",
    "not-found": "Not found",
    "method-not-allowed": "Method not allowed",
    "not-acceptable": "Not acceptable",
    "conflict": "Conflict with the current state",
    "idempotency-conflict": "Idempotency-Key already used for another request",
    "not-a-draft": "Only drafts change",
    "impact-not-reviewed": "Impact simulation not reviewed",
    "precondition-failed": "Precondition failed",
    "payload-too-large": "Payload too large",
    "unsupported-media-type": "Unsupported media type",
    "unprocessable": "Request refused",
    "validation-failed": "Request does not match its schema",
    "upload-rejected": "Upload rejected",
    "rule-document-invalid": "Rule document rejected",
    "simulation-invalid": "Simulation refused",
    "ranking-failed": "Ranking failed",
    "precondition-required": "Precondition required",
    "too-busy": "Too many heavy requests at once",
    "unavailable": "Service busy",
    "internal-error": "Internal error",
}
_BY_STATUS: dict[int, str] = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    412: "precondition-failed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "unprocessable",
    428: "precondition-required",
    429: "too-busy",
    500: "internal-error",
    503: "unavailable",
}


class Problem(BaseModel):
    """RFC 9457 problem details; extension members may follow."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:equiwait:problem:not-found",
                    "title": "Not found",
                    "status": 404,
                    "detail": "upload batch 17 not found",
                    "instance": "/api/v1/ptl/uploads/17",
                }
            ]
        }
    )

    type: str = Field(description="URI of the problem type (docs/errors.md) or `about:blank`.")
    title: str = Field(description="Short summary of the problem type (never varies).")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong this time, in words.")
    instance: str = Field(description="The path that was asked for.")


class FieldProblem(BaseModel):
    """One problem with one input: ``path`` is dotted (``query.limit``, ``body.days``, or a
    path inside a rule document such as ``core20.uplift_days``)."""

    path: str
    message: str
    value: str | None = Field(default=None, description="The input as text (NHS numbers masked).")


class ValidationProblem(Problem):
    """A 422: the request, or a document inside it, was refused; ``errors`` lists each problem."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:equiwait:problem:validation-failed",
                    "title": "Request does not match its schema",
                    "status": 422,
                    "detail": "1 problem(s) in the request",
                    "instance": "/api/v1/ptl/entries",
                    "errors": [
                        {
                            "path": "query.limit",
                            "message": "Input should be less than or equal to 1000",
                            "value": "5000",
                        }
                    ],
                }
            ]
        }
    )

    errors: list[FieldProblem] = Field(default_factory=list)


class RowErrorModel(BaseModel):
    """One problem in one row of an upload (row 1 is the CSV header; 0 the request itself)."""

    row: int
    field: str | None
    value: str | None
    message: str


class UploadRejected(Problem):
    """A 422 answer to an upload: the errors found (at most the configured number, the count
    always exact); nothing was written."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:equiwait:problem:upload-rejected",
                    "title": "Upload rejected",
                    "status": 422,
                    "detail": "upload rejected: 1 error(s); nothing was written",
                    "instance": "/api/v1/ptl/uploads",
                    "error_count": 1,
                    "errors": [
                        {
                            "row": 7,
                            "field": "rtt_clock_start",
                            "value": "2026-13-01",
                            "message": "not a date (expected YYYY-MM-DD or DD/MM/YYYY)",
                        }
                    ],
                    "truncated": False,
                }
            ]
        }
    )

    error_count: int
    errors: list[RowErrorModel]
    truncated: bool = False


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the given error status codes (problem details)."""
    descriptions = {
        400: "Bad request (e.g. an altered cursor)",
        401: "Missing or invalid bearer token",
        403: "The token's roles do not allow this",
        404: "Not found",
        409: "Conflict with the current state",
        412: "Precondition failed (the If-Match is stale)",
        413: "Payload too large",
        422: "Invalid input",
        428: "Precondition required",
        429: "Too many heavy requests at once in this process; retry after `Retry-After`",
        503: "No database connection came free in time; retry after `Retry-After`",
    }
    return {
        code: {
            "model": ValidationProblem if code == 422 else Problem,
            "description": descriptions[code],
        }
        for code in codes
    }


_ROW_ERROR_ENDPOINTS: set[Callable[..., Any]] = set()


def reports_row_errors(endpoint: Endpoint) -> Endpoint:
    """Mark an endpoint whose request-validation errors take the upload's 422 shape."""
    _ROW_ERROR_ENDPOINTS.add(endpoint)
    return endpoint


def problem_response(
    request: Request,
    status_code: int,
    detail: str,
    *,
    slug: str | None = None,
    extensions: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """The problem details answer (``slug`` defaults to the status's own type)."""
    slug = slug or _BY_STATUS.get(status_code)
    body: dict[str, Any] = {
        "type": f"{TYPE_PREFIX}{slug}" if slug else "about:blank",
        "title": TITLES.get(slug or "", _phrase(status_code)),
        "status": status_code,
        "detail": detail,
        "instance": request.url.path,
        **(extensions or {}),
    }
    return JSONResponse(
        body, status_code=status_code, media_type=PROBLEM_JSON, headers=dict(headers or {})
    )


def _phrase(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Error"


def handle_error(request: Request, exc: Exception) -> JSONResponse:
    """The one handler: every refusal, validation error, HTTP error and crash, as a problem."""
    if isinstance(exc, ServiceError):
        return problem_response(
            request,
            exc.status,
            str(exc),
            slug=exc.problem,
            extensions=exc.extensions,
            headers=exc.headers,
        )
    if isinstance(exc, PoolTimeout):
        return handle_error(request, pool_exhausted(request))
    if isinstance(exc, RequestValidationError):
        return _validation_problem(request, exc)
    if isinstance(exc, StarletteHTTPException):
        return problem_response(
            request, exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None)
        )
    logger.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
    return problem_response(request, 500, "internal error: the request was not completed")


def install_error_handlers(app: FastAPI) -> None:
    """Register :func:`handle_error` for everything an answer can fail with."""
    # PoolTimeout is registered by itself so that it is answered like a refusal (503), not
    # logged as a crash with its traceback.
    kinds = (ServiceError, PoolTimeout, RequestValidationError, StarletteHTTPException, Exception)
    for kind in kinds:
        app.add_exception_handler(kind, handle_error)


def pool_exhausted(request: Request) -> ServiceUnavailable:
    """The 503 for a request that waited ``EQUIWAIT_DB_POOL_TIMEOUT_SECONDS`` for a connection."""
    settings = getattr(getattr(request.scope.get("app"), "state", None), "settings", None)
    retry_after = int(getattr(settings, "retry_after_seconds", 5))
    logger.warning("database pool exhausted on %s %s", request.method, request.url.path)
    return ServiceUnavailable(
        "the service is busy: no database connection came free in time; retry later",
        headers={"Retry-After": str(retry_after)},
    )


def _validation_problem(request: Request, exc: RequestValidationError) -> JSONResponse:
    """PTL pushes answer like a rejected upload (``errors: [{row, field, value, message}]``,
    ``row`` = the record's position, 0 for the request itself); other routes list
    ``errors: [{path, message, value}]``. Inputs are echoed as text only, NHS numbers masked."""
    errors = list(exc.errors())
    endpoint = getattr(request.scope.get("route"), "endpoint", None)
    if endpoint in _ROW_ERROR_ENDPOINTS:
        rows = row_errors(errors)
        limit = _error_limit(request)
        UPLOADS_REJECTED.labels("json").inc()
        return problem_response(
            request,
            422,
            f"request rejected: {len(rows)} error(s); nothing was written",
            slug="upload-rejected",
            extensions={
                "error_count": len(rows),
                "errors": [row.model_dump() for row in rows[:limit]],
                "truncated": len(rows) > limit,
            },
        )
    items = [_field_problem(error) for error in errors[: _error_limit(request)]]
    return problem_response(
        request,
        422,
        f"{len(errors)} problem(s) in the request",
        slug="validation-failed",
        extensions={"errors": [item.model_dump() for item in items]},
    )


def _error_limit(request: Request) -> int:
    """``EQUIWAIT_MAX_REPORTED_ERRORS`` of the app serving ``request``."""
    app = request.scope.get("app")
    settings = getattr(getattr(app, "state", None), "settings", None)
    return int(getattr(settings, "max_reported_errors", 10_000))


def _field_problem(error: Mapping[str, Any]) -> FieldProblem:
    loc = [str(part) for part in error.get("loc", ())]
    value = error.get("input")
    if error.get("type") == "json_invalid":
        message = f"the request body is not valid JSON ({error.get('ctx', {}).get('error')})"
        return FieldProblem(path=".".join(loc), message=message)
    masked = any(part.casefold() == NHS_NUMBER_FIELD for part in loc)
    shown = _shown(value, NHS_NUMBER_FIELD if masked else None)
    return FieldProblem(
        path=".".join(loc), message=str(error.get("msg", "invalid value")), value=shown or None
    )


def row_errors(errors: Sequence[Mapping[str, Any]]) -> list[RowErrorModel]:
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
    if isinstance(value, int) and value.bit_length() > 64:
        return "(an integer of more than 64 bits)"
    text = decode(str(value))
    return shorten(mask_nhs_number(text) if field == NHS_NUMBER_FIELD else text)
