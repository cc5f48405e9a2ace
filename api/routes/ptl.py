"""PTL resource: push entries (CSV or JSON), read entries and upload batches."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, HTTPException, Query, Response, UploadFile, status
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import AnyReader, SessionDep, SettingsDep, Uploader
from api.errors import (
    RowErrorModel,
    UploadRejected,
    conflict,
    not_found,
    reports_row_errors,
    responses,
)
from api.pagination import CursorQuery, LimitQuery, Page, decode_cursor_as, page_of
from api.schemas.ptl import (
    EntriesIn,
    PtlEntryOut,
    UploadBatchOut,
    UploadMode,
    UploadRankingOut,
    UploadResultOut,
)
from app.ingestion import (
    IdempotencyConflict,
    IngestOutcome,
    IngestRequest,
    ingest_csv,
    ingest_records,
    rank_upload,
    upload_runs,
)
from app.privacy import nhs_number_for
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

_REJECTED: dict[int | str, dict[str, Any]] = {
    422: {"model": UploadRejected, "description": "Invalid rows: every error, nothing written"}
}


def _answer(
    outcome: IngestOutcome,
    session: Session,
    settings: Settings,
    request: IngestRequest,
    response: Response,
) -> UploadResultOut:
    """Commit the upload, then rank what it stored (each run its own transaction)."""
    session.commit()
    if outcome.errors:
        shown = outcome.errors[: settings.max_reported_errors]
        body = UploadRejected(
            detail=f"upload rejected: {outcome.error_count} error(s); nothing was written",
            error_count=outcome.error_count,
            errors=[RowErrorModel(**error.as_dict()) for error in shown],
            truncated=len(shown) < outcome.error_count,
        )
        raise Rejected(body)
    if outcome.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
        attempts = upload_runs(session, outcome.batch)
    else:
        attempts = rank_upload(
            session,
            outcome.batch,
            actor=request.actor,
            imd_edition=request.imd_edition,
            today=date.today(),
        )
    batch = UploadBatchOut.model_validate(outcome.batch)
    rankings = [UploadRankingOut(**vars(attempt)) for attempt in attempts]
    return UploadResultOut(**batch.model_dump(), rankings=rankings)


class Rejected(Exception):
    def __init__(self, body: UploadRejected) -> None:
        self.body = body


def rejected_handler(_request: object, exc: Exception) -> JSONResponse:
    """Turn a rejected upload into its 422 answer (after the batch record was committed)."""
    assert isinstance(exc, Rejected)
    return JSONResponse(exc.body.model_dump(), status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


@router.post(
    "/uploads",
    status_code=status.HTTP_201_CREATED,
    response_model=UploadResultOut,
    summary="Upload a PTL as CSV",
    responses={**responses(401, 403, 409, 413), **_REJECTED},
)
@reports_row_errors
def upload_csv(
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
    and nothing is written. See `docs/ptl-format.md` for the columns and rules. Once stored,
    each provider's list is ranked; `rankings` gives each run's id, or why it failed (the
    upload stays stored either way).
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
    try:
        outcome = ingest_csv(session, file.file, request, today=date.today())
    except IdempotencyConflict as exc:
        raise conflict(str(exc)) from exc
    return _answer(outcome, session, settings, request, response)


@router.post(
    "/entries",
    status_code=status.HTTP_201_CREATED,
    response_model=UploadResultOut,
    summary="Push PTL records as JSON",
    responses={**responses(401, 403, 409, 413), **_REJECTED},
)
@reports_row_errors
def push_entries(
    body: EntriesIn,
    principal: Uploader,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> UploadResultOut:
    """The same records and rules as a CSV upload, as JSON (``row`` = position in ``entries``)."""
    if len(body.entries) > settings.max_json_entries:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            detail=f"at most {settings.max_json_entries} entries per request; upload a CSV instead",
        )
    request = IngestRequest(
        actor=principal.actor,
        mode=body.mode,
        idempotency_key=idempotency_key,
        imd_edition=settings.imd_edition,
        max_errors=settings.max_reported_errors,
    )
    records = [entry.as_record() for entry in body.entries]
    try:
        outcome = ingest_records(session, records, request, today=date.today())
    except IdempotencyConflict as exc:
        raise conflict(str(exc)) from exc
    del records
    return _answer(outcome, session, settings, request, response)


def _too_large(limit: int) -> HTTPException:
    return HTTPException(
        status.HTTP_413_CONTENT_TOO_LARGE, detail=f"upload larger than the limit of {limit} bytes"
    )


@router.get(
    "/uploads/{batch_id}",
    response_model=UploadBatchOut,
    summary="One upload batch",
    responses=responses(401, 403, 404),
)
def get_upload(batch_id: int, _: AnyReader, session: SessionDep) -> UploadBatchOut:
    batch = session.get(UploadBatch, batch_id)
    if batch is None:
        raise not_found(f"upload batch {batch_id}")
    return UploadBatchOut.model_validate(batch)


@router.get(
    "/uploads",
    response_model=Page[UploadBatchOut],
    summary="Upload batches, newest first",
    responses=responses(400, 401, 403),
)
def list_uploads(
    _: AnyReader,
    session: SessionDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    outcome: Literal["succeeded", "rejected"] | None = None,
) -> Page[UploadBatchOut]:
    query = select(UploadBatch).order_by(UploadBatch.id.desc()).limit(limit + 1)
    after = decode_cursor_as(cursor, int)
    if after is not None:
        query = query.where(UploadBatch.id < after)
    if outcome is not None:
        query = query.where(UploadBatch.outcome == outcome)
    batches = list(session.scalars(query))
    return page_of(batches, limit, lambda batch: batch.id, UploadBatchOut.model_validate)


def _entry_out(entry: PtlEntry, principal: AnyReader) -> PtlEntryOut:
    out = PtlEntryOut.model_validate(
        {
            **{c: getattr(entry, c) for c in PtlEntryOut.model_fields if hasattr(entry, c)},
            "inclusion_groups": [g for g in entry.inclusion_groups.split(";") if g],
            "clinical_areas": [a for a in entry.clinical_areas.split(";") if a],
        }
    )
    out.nhs_number = nhs_number_for(principal, entry.nhs_number)
    return out


@router.get(
    "/entries",
    response_model=Page[PtlEntryOut],
    summary="Stored PTL entries",
    responses=responses(400, 401, 403),
)
def list_entries(
    principal: AnyReader,
    session: SessionDep,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    provider: Annotated[str | None, Query(description="Provider ODS code.")] = None,
    specialty: Annotated[str | None, Query(description="Treatment function code.")] = None,
    priority: Annotated[str | None, Query(description="Priority code, e.g. P2.")] = None,
    state: Annotated[
        Literal["open", "closed", "all"], Query(description="Open pathways only by default.")
    ] = "open",
) -> Page[PtlEntryOut]:
    query = select(PtlEntry).order_by(PtlEntry.id).limit(limit + 1)
    after = decode_cursor_as(cursor, int)
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
    return page_of(entries, limit, lambda entry: entry.id, lambda e: _entry_out(e, principal))
