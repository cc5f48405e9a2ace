"""What the rules routes share: path and header parameters, roles, and their error answers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Path

from api.deps import require_roles
from api.errors import ValidationProblem, responses
from api.schemas.common import MAX_BIGINT
from app.security import Principal, Role

RulesEditor = Annotated[Principal, Depends(require_roles(Role.CLINICIAN, Role.ADMIN))]
Specialty = Annotated[
    str,
    Path(
        pattern=r"^(default|[0-9]{3})$",
        description="`default` or a treatment function code, e.g. `110`.",
        examples=["110"],
    ),
]
DraftId = Annotated[
    int, Path(ge=1, le=MAX_BIGINT, description="The draft's `id` (not its version number).")
]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=40,
        description='The draft\'s ETag as last read, e.g. `"3"` (412 when it is stale).',
    ),
]

REJECTED: dict[int | str, dict[str, Any]] = {
    422: {
        "model": ValidationProblem,
        "description": "Invalid request or document: every problem, each with its path",
    }
}
READ_RESPONSES = responses(400, 401, 403, 404)
CHANGE_RESPONSES = {**responses(400, 401, 403, 404, 409, 412), **REJECTED}
