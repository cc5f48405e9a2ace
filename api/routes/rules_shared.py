"""What the rules routes share: path and header parameters, roles, refusals and their codes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Path, status
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from api.deps import require_roles
from api.errors import responses
from api.schemas.rules import RuleDocumentRejected
from app.rules.errors import (
    ConcurrentChange,
    ImpactNotReviewed,
    InvalidRequest,
    NotADraft,
    RuleDocumentInvalid,
    RulesError,
    StaleVersion,
    UnknownSpecialty,
    VersionNotFound,
)
from app.security import Principal, Role

RulesEditor = Annotated[Principal, Depends(require_roles(Role.CLINICIAN, Role.ADMIN))]
Specialty = Annotated[
    str,
    Path(
        pattern=r"^(default|\d{3})$",
        description="`default` or a treatment function code, e.g. `110`.",
        examples=["110"],
    ),
]
DraftId = Annotated[int, Path(description="The draft's `id` (not its version number).")]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='The draft\'s ETag as last read, e.g. `"3"`.',
    ),
]

STATUS: dict[type[RulesError], int] = {
    UnknownSpecialty: status.HTTP_404_NOT_FOUND,
    VersionNotFound: status.HTTP_404_NOT_FOUND,
    NotADraft: status.HTTP_409_CONFLICT,
    StaleVersion: status.HTTP_409_CONFLICT,
    ConcurrentChange: status.HTTP_409_CONFLICT,
    ImpactNotReviewed: status.HTTP_409_CONFLICT,
    InvalidRequest: status.HTTP_422_UNPROCESSABLE_CONTENT,
    RuleDocumentInvalid: status.HTTP_422_UNPROCESSABLE_CONTENT,
}
REJECTED: dict[int | str, dict[str, Any]] = {
    422: {"model": RuleDocumentRejected, "description": "Invalid document: every problem"}
}
READ_RESPONSES = responses(400, 401, 403, 404)
CHANGE_RESPONSES = {**responses(401, 403, 404, 409), **REJECTED}


def refused(session: Session, exc: RulesError) -> JSONResponse:
    """The answer to a refusal (nothing the request did is kept)."""
    session.rollback()
    body: dict[str, Any] = {"detail": str(exc)}
    code = next(c for kind, c in STATUS.items() if isinstance(exc, kind))
    if code == status.HTTP_422_UNPROCESSABLE_CONTENT:
        problems = exc.problems if isinstance(exc, RuleDocumentInvalid) else []
        body["errors"] = [{"path": p.path, "message": p.message} for p in problems]
    return JSONResponse(body, status_code=code)
