"""Jobs resource: the state, progress and error of a background job."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import AnyReader, SessionDep
from api.errors import responses
from api.schemas.common import RowIdPath
from api.schemas.jobs import JobOut
from app.errors import NotFound
from app.jobs import get_job

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.get(
    "/{job_id}",
    response_model=JobOut,
    summary="One background job: state, progress, result and error",
    responses=responses(400, 401, 403, 404, 422),
)
def get_background_job(job_id: RowIdPath, _: AnyReader, session: SessionDep) -> JobOut:
    """Uploads, publications and overrides answer with the ids of the ranking jobs they
    queued; poll this until `state` is `succeeded` (or `failed`, with `error`)."""
    found = get_job(session, job_id)
    if found is None:
        raise NotFound(f"job {job_id} not found")
    return JobOut.model_validate(found)
