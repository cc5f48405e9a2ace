"""Liveness and readiness probes (no token needed)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.migrations import current_revisions, head_revisions

router = APIRouter(tags=["health"])
#: Readiness checks run in these threads, not in the request thread pool that load fills.
_PROBE_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="readiness")


class Health(BaseModel):
    """Probe answer."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"status": "ok", "database": "ok", "revision": "0004", "head": "0004"},
                {"status": "ok", "database": None, "revision": None, "head": None},
            ]
        }
    )

    status: str
    database: str | None = None
    revision: str | None = None
    head: str | None = None


@router.get("/healthz", response_model=Health, summary="The process is up")
async def healthz() -> Health:
    """On the event loop itself: answers while every worker thread and connection is busy."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Health,
    summary="The database is reachable and migrated to head",
    responses={503: {"model": Health, "description": "Not ready"}},
)
async def readyz(request: Request) -> Health | JSONResponse:
    """Checked on a connection of its own (outside the pool) in a thread of its own, so a
    saturated pool or thread pool delays it by no more than the check itself."""
    engine: Engine = request.app.state.probe_engine
    return await asyncio.get_running_loop().run_in_executor(_PROBE_THREADS, _readiness, engine)


def _readiness(engine: Engine) -> Health | JSONResponse:
    head = ",".join(sorted(head_revisions()))
    try:
        revision = ",".join(sorted(current_revisions(engine))) or None
    except SQLAlchemyError:
        body = Health(status="unavailable", database="unreachable", head=head)
        return JSONResponse(body.model_dump(), status_code=status.HTTP_503_SERVICE_UNAVAILABLE)
    if revision != head:
        body = Health(
            status="unavailable", database="migrations pending", revision=revision, head=head
        )
        return JSONResponse(body.model_dump(), status_code=status.HTTP_503_SERVICE_UNAVAILABLE)
    return Health(status="ok", database="ok", revision=revision, head=head)
