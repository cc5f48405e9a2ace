"""Rules resource: versioned rule sets per specialty (clinicians and admins change them).

Concurrency: a draft's ``ETag`` is its ``lock_version``; an edit must send it back in
``If-Match`` (428 without it) and loses with 412 when someone else edited first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.orm import Session

from api.deps import AnyReader, SessionDep
from api.errors import responses
from api.pagination import CursorQuery, Cursors, LimitQuery, Page
from api.routes.rules_shared import (
    CHANGE_RESPONSES,
    READ_RESPONSES,
    DraftId,
    IfMatch,
    RulesEditor,
    Specialty,
)
from api.schemas.common import MAX_INTEGER, VersionPath
from api.schemas.rules import (
    ChangeOut,
    DiffOut,
    DraftCreate,
    DraftUpdate,
    InForceOut,
    PublishIn,
    RuleVersionOut,
    RuleVersionSummary,
)
from app.errors import BadRequest, PreconditionRequired
from app.rules import service
from app.rules.in_force import in_force_rows
from app.rules.summary import in_force_summary
from models.base import utcnow
from models.rules import DRAFT, RuleSetVersion

router = APIRouter(prefix="/rules", tags=["rules"])


def _lock(if_match: str | None, *, required: bool) -> int | None:
    """The lock version named by ``If-Match`` (428 when required and missing)."""
    if if_match is None or not if_match.strip():
        if required:
            raise PreconditionRequired(
                "If-Match required: send the draft's ETag from your last read"
            )
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not (value.isascii() and value.isdigit() and len(value) <= 10) or int(value) > MAX_INTEGER:
        raise BadRequest(f"If-Match must be one draft ETag such as '\"3\"', not {if_match!r}")
    return int(value)


def _etag(row: RuleSetVersion) -> str:
    return f'"{row.lock_version}"'


def _out(session: Session, row: RuleSetVersion, response: Response | None = None) -> RuleVersionOut:
    now = utcnow()
    current = in_force_rows(session, now).get(row.specialty)
    if response is not None and row.status == DRAFT:
        response.headers["ETag"] = _etag(row)
    out = RuleVersionOut.with_document(row, current.id if current else None, now)
    out.ranking_job_ids = service.queued_rankings(session, row)
    return out


@router.get(
    "",
    response_model=Page[InForceOut],
    summary="The rule set in force per specialty",
    responses=READ_RESPONSES,
)
def list_rules_in_force(
    _: AnyReader,
    session: SessionDep,
    at: Annotated[datetime | None, Query(description="Moment (default now).")] = None,
) -> Page[InForceOut]:
    """`default` first, then every specialty with its own version in force or scheduled, with
    review warnings (review dates passed). Small: served whole in one page."""
    now = utcnow()
    items = [InForceOut.of(item, now) for item in in_force_summary(session, at or now)]
    return Page(items=items, next_cursor=None)


@router.get(
    "/{specialty}/versions",
    response_model=Page[RuleVersionSummary],
    summary="Version history, newest first",
    responses=READ_RESPONSES,
)
def list_rule_versions(
    specialty: Specialty,
    _: AnyReader,
    session: SessionDep,
    cursors: Cursors,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    state: Annotated[
        Literal["draft", "published", "discarded"] | None,
        Query(alias="status", description="Only versions in this status."),
    ] = None,
) -> Page[RuleVersionSummary]:
    service.ensure_specialty(session, specialty)
    after = cursors.decode(cursor, int)
    rows = service.history(
        session,
        specialty,
        limit=limit + 1,
        before_version=None if after is None else int(after),
        status=state,
    )
    now = utcnow()
    current = in_force_rows(session, now).get(specialty)
    current_id = current.id if current else None
    return cursors.page_of(
        rows,
        limit,
        lambda row: row.version,
        lambda row: RuleVersionSummary.of(row, current_id, now),
    )


@router.get(
    "/{specialty}/versions/{version}",
    response_model=RuleVersionOut,
    summary="One version with its document (ETag for drafts)",
    responses=READ_RESPONSES,
)
def get_rule_version(
    specialty: Specialty,
    version: VersionPath,
    _: AnyReader,
    session: SessionDep,
    response: Response,
) -> RuleVersionOut:
    return _out(session, service.get_version(session, specialty, version), response)


@router.get(
    "/{specialty}/diff",
    response_model=DiffOut,
    summary="Changed leaves between two versions",
    responses=READ_RESPONSES,
)
def diff_rule_versions(
    specialty: Specialty,
    _: AnyReader,
    session: SessionDep,
    from_version: Annotated[
        int, Query(alias="from", ge=1, le=MAX_INTEGER, description="Version before.")
    ],
    to_version: Annotated[
        int, Query(alias="to", ge=1, le=MAX_INTEGER, description="Version after.")
    ],
) -> DiffOut:
    changes = service.diff_versions(session, specialty, from_version, to_version)
    return DiffOut(
        specialty=specialty,
        from_version=from_version,
        to_version=to_version,
        changes=[ChangeOut(**change.as_dict()) for change in changes],
    )


@router.post(
    "/{specialty}/drafts",
    status_code=status.HTTP_201_CREATED,
    response_model=RuleVersionOut,
    summary="Create a draft",
    responses=CHANGE_RESPONSES,
)
def create_rule_draft(
    specialty: Specialty,
    body: DraftCreate,
    principal: RulesEditor,
    session: SessionDep,
    response: Response,
) -> RuleVersionOut:
    """From the version in force (empty body; for a specialty without its own, the default),
    from `from_version`, or from a posted `document`. The answer's `ETag` is needed to edit."""
    row = service.create_draft(
        session,
        specialty,
        principal.actor,
        from_version=body.from_version,
        document=body.document,
    )
    response.headers["Location"] = f"/api/v1/rules/{specialty}/versions/{row.version}"
    return _out(session, row, response)


@router.put(
    "/{specialty}/drafts/{draft_id}",
    response_model=RuleVersionOut,
    summary="Replace a draft's document (If-Match required)",
    responses={**CHANGE_RESPONSES, **responses(400, 428)},
)
def update_rule_draft(
    specialty: Specialty,
    draft_id: DraftId,
    body: DraftUpdate,
    principal: RulesEditor,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> RuleVersionOut:
    """412 if the draft changed since your ETag, 409 if it is no longer a draft (published versions
    are never edited); 422 lists every problem in the document with its path."""
    expected = _lock(if_match, required=True)
    assert expected is not None
    row = service.update_draft(
        session,
        specialty,
        draft_id,
        body.document,
        expected_lock=expected,
        actor=principal.actor,
    )
    return _out(session, row, response)


@router.delete(
    "/{specialty}/drafts/{draft_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Discard a draft",
    responses={
        204: {"description": "Discarded: kept in the history as `discarded`; no body."},
        **responses(400, 401, 403, 404, 409),
    },
)
def discard_rule_draft(
    specialty: Specialty,
    draft_id: DraftId,
    principal: RulesEditor,
    session: SessionDep,
    if_match: IfMatch = None,
) -> Response:
    """The draft is kept as `discarded` (its number is never reused) and can no longer change."""
    service.discard_draft(
        session,
        specialty,
        draft_id,
        actor=principal.actor,
        expected_lock=_lock(if_match, required=False),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{specialty}/drafts/{draft_id}/publish",
    response_model=RuleVersionOut,
    summary="Publish a draft (reason required)",
    responses={**CHANGE_RESPONSES, **responses(400)},
)
def publish_rule_draft(
    specialty: Specialty,
    draft_id: DraftId,
    body: PublishIn,
    principal: RulesEditor,
    session: SessionDep,
    if_match: IfMatch = None,
) -> RuleVersionOut:
    """Takes effect at `effective_from` (now by default; may be later, never earlier). The
    published version is immutable. With `If-Match`, publishes only the draft you read."""
    row = service.publish_draft(
        session,
        specialty,
        draft_id,
        actor=principal.actor,
        reason=body.reason,
        effective_from=body.effective_from,
        expected_lock=_lock(if_match, required=False),
    )
    return _out(session, row)


@router.post(
    "/{specialty}/versions/{version}/republish",
    status_code=status.HTTP_201_CREATED,
    response_model=RuleVersionOut,
    summary="Roll back: publish an earlier version again as a new version",
    responses=CHANGE_RESPONSES,
)
def republish_rule_version(
    specialty: Specialty,
    version: VersionPath,
    body: PublishIn,
    principal: RulesEditor,
    session: SessionDep,
    response: Response,
) -> RuleVersionOut:
    row = service.republish(
        session,
        specialty,
        version,
        actor=principal.actor,
        reason=body.reason,
        effective_from=body.effective_from,
    )
    response.headers["Location"] = f"/api/v1/rules/{specialty}/versions/{row.version}"
    return _out(session, row)
