"""Liveness and readiness probes (no token needed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from api.deps import get_engine
from app.migrations import current_revisions, head_revisions

router = APIRouter(tags=["health"])


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
def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Health,
    summary="The database is reachable and migrated to head",
    responses={503: {"model": Health, "description": "Not ready"}},
)
def readyz(engine: Annotated[Engine, Depends(get_engine)]) -> Health | JSONResponse:
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
