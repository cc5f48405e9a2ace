"""Every refused access (401, 403) is written to the audit log, in its own transaction.

The request changed nothing, so its denial is recorded and committed on its own; a failure
to record it is logged and the caller still gets the refusal.
"""

from __future__ import annotations

import logging

from fastapi import Request
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.audit import AuditKind, record_event
from app.database import session_scope

logger = logging.getLogger(__name__)
ANONYMOUS = "anonymous"


def _route_path(request: Request) -> str:
    """The path with each path parameter's value replaced by its name
    (``/api/v1/rankings/{run_id}``), so a denial records the route, not the values sent."""
    names = {str(value): name for name, value in request.path_params.items()}
    segments = [
        f"{{{names[part]}}}" if part in names else part for part in request.url.path.split("/")
    ]
    return "/".join(segments)[:200]


def record_denial(request: Request, subject: str | None, status: int, reason: str) -> None:
    """Append an ``access.denied`` record naming who (if known), what route and why."""
    engine: Engine = request.app.state.engine
    try:
        with session_scope(engine) as session:
            record_event(
                session,
                subject or ANONYMOUS,
                AuditKind.ACCESS_DENIED,
                details={
                    "status": status,
                    "method": request.method,
                    "route": _route_path(request),
                    "reason": reason,
                },
            )
    except SQLAlchemyError:
        logger.warning("could not record an access denial (%s %s)", status, _route_path(request))
