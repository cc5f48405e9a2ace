"""PTL resource: push entries (CSV or JSON), read entries and upload batches."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response, UploadFile, status
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import AnyReader, SessionDep, SettingsDep, Uploader
from api.errors import UploadRejected, reports_row_errors, responses, row_errors
from api.pagination import CursorQuery, Cursors, LimitQuery, Page
from api.schemas.common import PROVIDER_CODE, TREATMENT_FUNCTION, RowIdPath
from api.schemas.ptl import (
    EntriesIn,
    PtlEntryOut,
    UploadBatchOut,
    UploadMode,
    UploadRankingOut,
    UploadResultOut,
)
from app.errors import NotFound, PayloadTooLarge
from app.ingestion import (
    IngestOutcome,
    IngestRequest,
    RowsRejected,
    ingest_csv,
    ingest_records,
    upload_rankings,
)
from app.privacy import (
    age_band,
    date_of_birth_for,
    nhs_number_for,
    record_identifying_export,
)
from app.settings import Settings
from models import PtlEntry, UploadBatch

router = APIRouter(prefix="/ptl", tags=["ptl"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Re-sending the same content in the same mode with the same key returns "
        "the first result (200) and changes nothing; the key with other content or another "
        "mode is 409. A rejected upload does not use up its key.",
    ),
]

_REPLAYED: dict[int | str, dict[str, Any]] = {
    200: {
        "model": UploadResultOut,
        "description": "A replay: the same content and mode with the same `Idempotency-Key` "
        "as an earlier upload; its first result (header `Idempotent-Replayed: true`)",
    }
}
_REJECTED: dict[int | str, dict[str, Any]] = {
    422: {
        "model": UploadRejected,
        "description": "Invalid rows: the errors (capped, the count exact); nothing written",
    }
}


def _answer(
    outcome: IngestOutcome,
    session: Session,
    settings: Settings,
    request: IngestRequest,
    response: Response,
) -> UploadResultOut:
    """Commit the upload with its ranking jobs and answer at once (the jobs rank after)."""
    if outcome.errors:
        session.commit()
        shown = outcome.errors[: settings.max_reported_errors]
        raise RowsRejected(
            "upload",
            [error.as_dict() for error in shown],
            outcome.error_count,
            settings.max_reported_errors,
        )
    if outcome.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    else:
        response.headers["Location"] = f"/api/v1/ptl/uploads/{outcome.batch.id}"
    attempts = upload_rankings(
        session, outcome.batch, actor=request.actor, replayed=outcome.replayed
    )
    session.commit()
    batch = UploadBatchOut.model_validate(outcome.batch)
    rankings = [UploadRankingOut(**vars(attempt)) for attempt in attempts]
    return UploadResultOut(**batch.model_dump(), rankings=rankings)


@router.post(
    "/uploads",
    status_code=status.HTTP_201_CREATED,
    response_model=UploadResultOut,
    summary="Upload a PTL as CSV",
    responses={**responses(400, 401, 403, 409, 413), **_REJECTED, **_REPLAYED},
)
@reports_row_errors
def upload_ptl_csv(
    file: UploadFile,
    principal: Uploader,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
    mode: Annotated[
        UploadMode,
        Query(
            description="`replace` (default): the file is the provider's whole current PTL; "
            "open pathways missing from it are closed. `upsert`: add or update only."
        ),
    ] = "replace",
) -> UploadResultOut:
    """Validate the whole file, then store it all or nothing.

    A file with any invalid row is rejected with 422 listing every error (row 1 is the header)
    and nothing is written. See `docs/ptl-format.md` for the columns and rules. The answer
    comes as soon as the batch is stored: `rankings` gives each provider's background ranking
    job (`GET /api/v1/jobs/{id}`), which re-ranks the lists whose entries changed.
    """
    if file.size is not None and file.size > settings.max_upload_bytes:
        raise _too_large(settings.max_upload_bytes)
    request = IngestRequest(
        actor=principal.actor,
        mode=mode,
        filename=file.filename,
        idempotency_key=idempotency_key,
        imd_edition=settings.imd_edition,
        max_errors=settings.max_reported_errors,
    )
    outcome = ingest_csv(session, file.file, request, today=date.today())
    return _answer(outcome, session, settings, request, response)


async def _raw_body(request: Request) -> bytes:
    """The request body as sent: the push validates it in a worker thread, not the loop."""
    return await request.body()


def _entries(raw: bytes, settings: Settings) -> EntriesIn:
    """The pushed records, or a 422 listing their errors (capped like a CSV upload's)."""
    try:
        body = EntriesIn.model_validate_json(raw)
    except ValidationError as exc:
        found = row_errors(exc.errors(include_input=True, include_url=False))
        limit = settings.max_reported_errors
        rows = [row.model_dump() for row in found[:limit]]
        raise RowsRejected("request", rows, len(found), limit) from None
    if len(body.entries) > settings.max_json_entries:
        raise PayloadTooLarge(
            f"at most {settings.max_json_entries} entries per request; upload a CSV instead"
        )
    return body


@router.post(
    "/entries",
    status_code=status.HTTP_201_CREATED,
    response_model=UploadResultOut,
    summary="Push PTL records as JSON",
    responses={**responses(400, 401, 403, 409, 413), **_REJECTED, **_REPLAYED},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EntriesIn"}}},
        }
    },
)
@reports_row_errors
def push_ptl_entries(
    raw: Annotated[bytes, Depends(_raw_body)],
    principal: Uploader,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> UploadResultOut:
    """The same records and rules as a CSV upload, as JSON (``row`` = position in ``entries``).

    The body is `EntriesIn`. It is validated in a worker thread; a body with invalid records
    is a 422 listing at most `EQUIWAIT_MAX_REPORTED_ERRORS` errors (`error_count` is exact).
    """
    body = _entries(raw, settings)
    del raw
    request = IngestRequest(
        actor=principal.actor,
        mode=body.mode,
        idempotency_key=idempotency_key,
        imd_edition=settings.imd_edition,
        max_errors=settings.max_reported_errors,
    )
    records = [entry.as_record() for entry in body.entries]
    del body
    outcome = ingest_records(session, records, request, today=date.today())
    del records
    return _answer(outcome, session, settings, request, response)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"upload larger than the limit of {limit} bytes")


@router.get(
    "/uploads/{batch_id}",
    response_model=UploadBatchOut,
    summary="One upload batch",
    responses=responses(401, 403, 404),
)
def get_upload_batch(batch_id: RowIdPath, _: AnyReader, session: SessionDep) -> UploadBatchOut:
    batch = session.get(UploadBatch, batch_id)
    if batch is None:
        raise NotFound(f"upload batch {batch_id} not found")
    return UploadBatchOut.model_validate(batch)


@router.get(
    "/uploads",
    response_model=Page[UploadBatchOut],
    summary="Upload batches, newest first",
    responses=responses(400, 401, 403),
)
def list_upload_batches(
    _: AnyReader,
    session: SessionDep,
    cursors: Cursors,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    outcome: Literal["succeeded", "rejected"] | None = None,
) -> Page[UploadBatchOut]:
    query = select(UploadBatch).order_by(UploadBatch.id.desc()).limit(limit + 1)
    after = cursors.decode(cursor, int)
    if after is not None:
        query = query.where(UploadBatch.id < after)
    if outcome is not None:
        query = query.where(UploadBatch.outcome == outcome)
    batches = list(session.scalars(query))
    return cursors.page_of(batches, limit, lambda batch: batch.id, UploadBatchOut.model_validate)


def _entry_out(entry: PtlEntry, principal: AnyReader) -> PtlEntryOut:
    out = PtlEntryOut.model_validate(
        {
            **{c: getattr(entry, c) for c in PtlEntryOut.model_fields if hasattr(entry, c)},
            "inclusion_groups": [g for g in entry.inclusion_groups.split(";") if g],
            "clinical_areas": [a for a in entry.clinical_areas.split(";") if a],
        }
    )
    out.nhs_number = nhs_number_for(principal, entry.nhs_number)
    out.date_of_birth = date_of_birth_for(principal, entry.date_of_birth)
    out.age_band = age_band(entry.date_of_birth, date.today())
    return out


@router.get(
    "/entries",
    response_model=Page[PtlEntryOut],
    summary="Stored PTL entries",
    responses=responses(400, 401, 403),
)
def list_ptl_entries(
    principal: AnyReader,
    session: SessionDep,
    cursors: Cursors,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    provider: Annotated[
        str | None, Query(pattern=PROVIDER_CODE, description="Provider ODS code.")
    ] = None,
    specialty: Annotated[
        str | None, Query(pattern=TREATMENT_FUNCTION, description="Treatment function code.")
    ] = None,
    priority: Annotated[
        str | None, Query(max_length=10, description="Priority code, e.g. P2.")
    ] = None,
    state: Annotated[
        Literal["open", "closed", "all"], Query(description="Open pathways only by default.")
    ] = "open",
) -> Page[PtlEntryOut]:
    query = select(PtlEntry).order_by(PtlEntry.id).limit(limit + 1)
    after = cursors.decode(cursor, int)
    if after is not None:
        query = query.where(PtlEntry.id > after)
    if provider:
        query = query.where(PtlEntry.provider_code == provider.upper())
    if specialty:
        query = query.where(PtlEntry.treatment_function_code == specialty)
    if priority:
        query = query.where(PtlEntry.priority_code == priority)
    if state != "all":
        query = query.where(PtlEntry.is_open.is_(state == "open"))
    entries = list(session.scalars(query))
    record_identifying_export(
        session,
        principal,
        "ptl_entries",
        rows=min(len(entries), limit),
        provider_code=provider.upper() if provider else None,
        details={"specialty": specialty, "priority": priority, "state": state},
    )
    return cursors.page_of(
        entries, limit, lambda entry: entry.id, lambda e: _entry_out(e, principal)
    )
