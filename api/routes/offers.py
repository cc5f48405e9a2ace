"""Offer history resource: upload past offers (CSV), read an upload batch."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response, UploadFile, status

from api.deps import AnyReader, SessionDep, SettingsDep, Uploader
from api.errors import UploadRejected, reports_row_errors, responses
from api.schemas.common import RowIdPath
from api.schemas.offers import OfferBatchOut
from app.errors import NotFound, PayloadTooLarge
from app.ingestion import RowsRejected
from app.offers.ingest import OffersRequest, ingest_offers_csv
from models import OfferBatch

router = APIRouter(prefix="/offers", tags=["offers"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Re-sending the same file with the same key returns the first result "
        "(200) and changes nothing; the key with another file is 409. A rejected upload "
        "does not use up its key.",
    ),
]

_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"model": OfferBatchOut, "description": "A replay of an earlier upload (same key)"},
    422: {"model": UploadRejected, "description": "Invalid rows; nothing was written"},
}


@router.post(
    "/uploads",
    status_code=status.HTTP_201_CREATED,
    response_model=OfferBatchOut,
    summary="Upload past offers as CSV",
    responses={**responses(400, 401, 403, 409, 413), **_ANSWERS},
)
@reports_row_errors
def upload_offers_csv(
    file: UploadFile,
    principal: Uploader,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> OfferBatchOut:
    """Validate the whole file, then store it all or nothing (`docs/offers-format.md`).

    A file with any invalid row is a 422 listing the errors (row 1 is the header) and
    nothing is written. An offer already held (same provider, pathway, offer date and
    appointment date) takes the new attendance and reason: `updated` counts those.
    """
    if file.size is not None and file.size > settings.max_upload_bytes:
        raise PayloadTooLarge(f"upload larger than the limit of {settings.max_upload_bytes} bytes")
    request = OffersRequest(
        actor=principal.actor,
        filename=file.filename,
        idempotency_key=idempotency_key,
        max_errors=settings.max_reported_errors,
    )
    outcome = ingest_offers_csv(session, file.file, request, today=date.today())
    session.commit()
    if outcome.errors:
        limit = settings.max_reported_errors
        shown = [error.as_dict() for error in outcome.errors[:limit]]
        raise RowsRejected("offers upload", shown, outcome.error_count, limit)
    if outcome.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    else:
        response.headers["Location"] = f"/api/v1/offers/uploads/{outcome.batch.id}"
    return OfferBatchOut.model_validate(outcome.batch)


@router.get(
    "/uploads/{batch_id}",
    response_model=OfferBatchOut,
    summary="One offers upload",
    responses=responses(401, 403, 404),
)
def get_offer_batch(batch_id: RowIdPath, _: AnyReader, session: SessionDep) -> OfferBatchOut:
    batch = session.get(OfferBatch, batch_id)
    if batch is None:
        raise NotFound(f"offers upload {batch_id} not found")
    return OfferBatchOut.model_validate(batch)
