"""Audit resource: list events and verify the hash chain (auditors and admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status

from api.deps import SessionDep, require_roles
from api.errors import responses
from api.pagination import CursorQuery, LimitQuery, Page, decode_cursor_as, page_of
from api.schemas.audit import AuditEventOut, ChainVerification
from app import audit as audit_log
from app.audit import AuditKind, EventFilters, verify_chain
from app.security import Principal, Role

router = APIRouter(prefix="/audit", tags=["audit"], responses=responses(400, 401, 403))

Auditor = Annotated[Principal, Depends(require_roles(Role.AUDITOR, Role.ADMIN))]
_KINDS = frozenset(kind.value for kind in AuditKind)


@router.get(
    "",
    response_model=Page[AuditEventOut],
    summary="Audit events, newest first",
    responses=responses(422),
)
def list_events(
    _: Auditor,
    session: SessionDep,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    since: Annotated[
        datetime | None, Query(alias="from", description="From (inclusive; no zone = UTC).")
    ] = None,
    until: Annotated[
        datetime | None, Query(alias="to", description="Up to (exclusive; no zone = UTC).")
    ] = None,
    kind: Annotated[str | None, Query(description="Event kind, e.g. `rules.published`.")] = None,
    actor: Annotated[str | None, Query(description="Token subject who acted.")] = None,
    provider: Annotated[str | None, Query(description="Provider ODS code.")] = None,
    specialty: Annotated[str | None, Query(description="Treatment function code.")] = None,
    pathway: Annotated[str | None, Query(description="Pathway id.")] = None,
) -> Page[AuditEventOut]:
    """Every filter narrows (AND); `next_cursor` pages on to older events (docs/audit.md)."""
    after = decode_cursor_as(cursor, int)
    if kind and kind not in _KINDS:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"unknown event kind {kind!r}; expected one of {', '.join(sorted(_KINDS))}",
        )
    filters = EventFilters(since, until, kind, actor, provider, specialty, pathway)
    events = audit_log.list_events(session, filters, limit=limit + 1, before_id=after)
    return page_of(events, limit, lambda event: event.id, AuditEventOut.model_validate)


@router.get(
    "/verify",
    response_model=ChainVerification,
    summary="Re-walk the hash chain and report the first broken link",
)
def verify(_: Auditor, session: SessionDep) -> ChainVerification:
    """Recompute every record's hash in id order from the first; stop at the first record
    that is missing, does not link to its predecessor or does not match its hash."""
    report = verify_chain(session)
    return ChainVerification(
        valid=report.valid,
        events_checked=report.events_checked,
        first_broken_id=report.first_broken_id,
        reason=report.reason,
    )
