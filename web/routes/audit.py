"""The audit pages (auditors and administrators): the log with filters, one event's details,
and the hash chain's verification with its result in plain words."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.deps import SessionDep
from app.audit import AuditKind, EventFilters, list_events, verify_chain
from app.metrics import record_audit_verification
from models import AuditEvent
from web.auth import PageError, require
from web.navigation import AUDITORS
from web.routes.entry import parse_moment
from web.sessions import SignedIn
from web.templating import render

router = APIRouter()
Auditor = Annotated[SignedIn, Depends(require(*AUDITORS))]
PAGE_SIZE = 50
KINDS = [kind.value for kind in AuditKind]


@router.get("/audit", name="audit")
def audit_log(
    request: Request,
    user: Auditor,
    session: SessionDep,
    since: str = "",
    until: str = "",
    kind: str = "",
    actor: str = "",
    provider: str = "",
    specialty: str = "",
    pathway: str = "",
    before: int | None = None,
) -> Response:
    errors: list[dict[str, str]] = []
    moments: dict[str, datetime | None] = {}
    for name, value in (("since", since), ("until", until)):
        try:
            moments[name] = parse_moment(value)
        except ValueError:
            errors.append({"text": "Enter a date and time", "href": f"#{name}"})
    if kind and kind not in KINDS:
        errors.append({"text": f"Unknown event kind {kind}", "href": "#kind"})
    events: list[AuditEvent] = []
    more = False
    if not errors:
        filters = EventFilters(
            moments.get("since"),
            moments.get("until"),
            kind or None,
            actor.strip() or None,
            provider.strip() or None,
            specialty.strip() or None,
            pathway.strip() or None,
        )
        events = list_events(session, filters, limit=PAGE_SIZE + 1, before_id=before)
        more = len(events) > PAGE_SIZE
        events = events[:PAGE_SIZE]
    query = {
        "since": since,
        "until": until,
        "kind": kind,
        "actor": actor,
        "provider": provider,
        "specialty": specialty,
        "pathway": pathway,
    }
    kept = {k: v for k, v in query.items() if v}
    older = f"/audit?{urlencode({**kept, 'before': events[-1].id})}" if more and events else None
    return render(
        request,
        "audit/log.html",
        {
            "events": events,
            "query": query,
            "kinds": KINDS,
            "errors": errors,
            "older_url": older,
            "newest_url": f"/audit?{urlencode(kept)}" if before else None,
        },
        status_code=400 if errors else 200,
    )


@router.get("/audit/verify", name="audit_verify")
def verify(request: Request, user: Auditor, session: SessionDep) -> Response:
    """Re-walk the whole chain now and say plainly whether it is intact."""
    report = verify_chain(session)
    record_audit_verification(report.valid)
    return render(request, "audit/verify.html", {"report": report})


@router.get("/audit/{event_id}", name="audit_event")
def event(request: Request, event_id: int, user: Auditor, session: SessionDep) -> Response:
    found = session.get(AuditEvent, event_id)
    if found is None:
        raise PageError(404, "No such audit record", f"The audit log has no record {event_id}.")
    return render(request, "audit/event.html", {"e": found})
