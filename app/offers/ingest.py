"""Offers upload: checksum, idempotency, validation, all-or-nothing storage and audit.

The same contract as a PTL upload (``app/ingestion.py``): the whole file is checked before
anything is stored; a rejected file writes only its rejected batch record and audit event;
the offers, their batch and the audit event commit together or not at all.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field
from datetime import date
from typing import IO

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit import AuditKind, record_event
from app.ingest.results import RowError
from app.ingestion import READ_CHUNK, IdempotencyConflict
from app.offers.reader import read_offers_csv
from app.offers.store import store_offers
from app.offers.validate import validate_offers
from models import Offer, OfferBatch
from models.base import utcnow


@dataclass(frozen=True)
class OffersRequest:
    """Who is sending which file, under which Idempotency-Key."""

    actor: str
    filename: str | None = None
    idempotency_key: str | None = None
    max_errors: int | None = None


@dataclass
class OffersOutcome:
    """The batch recorded, and the errors when it was rejected."""

    batch: OfferBatch
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    replayed: bool = False


def ingest_offers_csv(
    session: Session, stream: IO[bytes], request: OffersRequest, *, today: date
) -> OffersOutcome:
    """Check the whole file, then store it all or nothing; does not commit."""
    if not stream.seekable():
        with tempfile.TemporaryFile() as copy:
            while chunk := stream.read(READ_CHUNK):
                copy.write(chunk)
            copy.seek(0)
            return ingest_offers_csv(session, copy, request, today=today)
    start = stream.tell()
    digest = hashlib.sha256()
    while chunk := stream.read(READ_CHUNK):
        digest.update(chunk)
    checksum = digest.hexdigest()
    previous = _replay(session, request, checksum)
    if previous is not None:
        return OffersOutcome(batch=previous, replayed=True)
    stream.seek(start)
    table = read_offers_csv(stream)
    rows_received = len(table) + len(table.errors)
    outcome = validate_offers(table, today=today, max_errors=request.max_errors)
    del table
    batch = OfferBatch(
        filename=request.filename,
        checksum_sha256=checksum,
        submitted_by=request.actor,
        submitted_at=utcnow(),
        rows_received=rows_received,
        inserted=0,
        updated=0,
        error_count=0,
    )
    if outcome.validated is None:
        return _rejected(session, batch, outcome.errors, outcome.error_count)
    offers = outcome.validated
    providers = sorted({str(code) for code in offers.provider_code.astype(str).tolist()})
    batch.rows_received = len(offers)
    batch.idempotency_key = request.idempotency_key
    batch.outcome = "succeeded"
    batch.provider_codes = providers
    session.add(batch)
    try:
        session.flush()
    except IntegrityError:
        # A simultaneous request with the same key committed first: a replay of it, or 409.
        session.rollback()
        previous = _replay(session, request, checksum)
        if previous is None:
            raise
        return OffersOutcome(batch=previous, replayed=True)
    before = session.scalar(select(func.count()).select_from(Offer)) or 0
    store_offers(session.connection(), offers, batch.id)
    after = session.scalar(select(func.count()).select_from(Offer)) or 0
    batch.inserted = after - before
    batch.updated = len(offers) - batch.inserted
    batch.completed_at = utcnow()
    session.flush()
    record_event(
        session,
        request.actor,
        AuditKind.OFFERS_UPLOAD,
        subject_type="offer_batch",
        subject_id=batch.id,
        provider_code=providers[0] if len(providers) == 1 else None,
        details={
            "checksum_sha256": checksum,
            "providers": providers,
            "rows_received": len(offers),
            "inserted": batch.inserted,
            "updated": batch.updated,
            "failed_offers": int(offers.failed.sum()),
        },
    )
    return OffersOutcome(batch=batch)


def _replay(session: Session, request: OffersRequest, checksum: str) -> OfferBatch | None:
    """The stored batch this request repeats; IdempotencyConflict if the key meant another."""
    if request.idempotency_key is None:
        return None
    previous = session.scalar(
        select(OfferBatch).where(
            OfferBatch.submitted_by == request.actor,
            OfferBatch.idempotency_key == request.idempotency_key,
        )
    )
    if previous is None:
        return None
    if previous.checksum_sha256 != checksum:
        raise IdempotencyConflict(
            f"Idempotency-Key was already used for offers upload {previous.id} with different "
            "content: use a new key"
        )
    return previous


def _rejected(
    session: Session, batch: OfferBatch, errors: list[RowError], error_count: int
) -> OffersOutcome:
    """Record a rejected batch (it does not take the Idempotency-Key) and its audit event."""
    batch.outcome = "rejected"
    batch.error_count = error_count
    batch.completed_at = utcnow()
    batch.provider_codes = []
    session.add(batch)
    session.flush()
    record_event(
        session,
        batch.submitted_by,
        AuditKind.OFFERS_UPLOAD_REJECTED,
        subject_type="offer_batch",
        subject_id=batch.id,
        details={"rows_received": batch.rows_received, "error_count": error_count},
    )
    return OffersOutcome(batch=batch, errors=errors, error_count=error_count)
