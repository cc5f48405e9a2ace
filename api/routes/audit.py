"""Audit resource: list events and verify the hash chain (auditors and admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from api.deps import SessionDep, SettingsDep, require_roles
from api.errors import responses
from api.pagination import CursorQuery, Cursors, LimitQuery, Page
from api.schemas.audit import AuditEventOut, ChainVerification
from app import audit as audit_log
from app.audit import AuditKind, EventFilters
from app.audit_anchor import verify_against_latest_anchor
from app.errors import Unprocessable
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
def list_audit_events(
    _: Auditor,
    session: SessionDep,
    cursors: Cursors,
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
    after = cursors.decode(cursor, int)
    if kind and kind not in _KINDS:
        raise Unprocessable(
            f"unknown event kind {kind!r}; expected one of {', '.join(sorted(_KINDS))}"
        )
    filters = EventFilters(since, until, kind, actor, provider, specialty, pathway)
    events = audit_log.list_events(session, filters, limit=limit + 1, before_id=after)
    return cursors.page_of(events, limit, lambda event: event.id, AuditEventOut.model_validate)


@router.get(
    "/verify",
    response_model=ChainVerification,
    summary="Re-walk the keyed chain against the latest anchor; report the first broken link",
)
def verify_audit_chain(
    _: Auditor, session: SessionDep, settings: SettingsDep, request: Request
) -> ChainVerification:
    """Recompute every record's HMAC in id order from the first; stop at the first record
    that is missing, does not link to its predecessor or does not match its hash; then check
    that the chain still holds the head of the latest signed anchor (a cut-off tail fails)."""
    report = verify_against_latest_anchor(
        session, request.app.state.audit_keys, settings.audit_anchor_file
    )
    return ChainVerification(
        valid=report.valid,
        events_checked=report.events_checked,
        first_broken_id=report.first_broken_id,
        reason=report.reason,
        anchored_event_id=report.anchored_event_id,
        anchored_at=report.anchored_at,
    )
