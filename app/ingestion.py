"""Ingestion flow: checksum, idempotency, validation, all-or-nothing storage, batch and audit."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, BinaryIO, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import AuditKind, record_event
from app.ingest import RawTable, RowError, validate_table
from app.ingest.store import store_entries
from app.rankings import run_ranking
from app.reference_store import load_imd_lookup, load_reference_codes
from models import UploadBatch
from models.base import utcnow

READ_CHUNK = 1 << 20


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before for different content."""


@dataclass(frozen=True)
class IngestRequest:
    """Who is sending what, and how it should apply."""

    actor: str
    mode: Literal["replace", "upsert"]
    filename: str | None = None
    idempotency_key: str | None = None
    imd_edition: str = "iod2019"
    max_errors: int | None = None
    rank_after_upload: bool = True
    """Rank each provider in a successful batch, in the same transaction (False: skip)."""


@dataclass
class IngestOutcome:
    """The batch recorded, and every error when it was rejected."""

    batch: UploadBatch
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    replayed: bool = False
    ranking_run_ids: list[int] = field(default_factory=list)


def _replay(session: Session, request: IngestRequest, checksum: str) -> UploadBatch | None:
    if request.idempotency_key is None:
        return None
    previous = session.scalar(
        select(UploadBatch).where(
            UploadBatch.submitted_by == request.actor,
            UploadBatch.idempotency_key == request.idempotency_key,
        )
    )
    if previous is None:
        return None
    if previous.checksum_sha256 != checksum:
        raise IdempotencyConflict(
            "Idempotency-Key was already used for different content; use a new key"
        )
    return previous


def ingest_csv(
    session: Session, stream: BinaryIO, request: IngestRequest, *, today: date
) -> IngestOutcome:
    """Ingest one CSV file (read whole: it must be checked entirely before anything is stored)."""
    digest = hashlib.sha256()
    buffer = io.BytesIO()
    while chunk := stream.read(READ_CHUNK):
        digest.update(chunk)
        buffer.write(chunk)
    checksum = digest.hexdigest()
    previous = _replay(session, request, checksum)
    if previous is not None:
        return IngestOutcome(batch=previous, replayed=True)
    buffer.seek(0)
    table = RawTable.from_csv(buffer.getvalue())
    return _ingest(session, table, request, checksum, "csv", today)


def ingest_records(
    session: Session, records: Sequence[dict[str, Any]], request: IngestRequest, *, today: date
) -> IngestOutcome:
    """Ingest PTL records sent as JSON (row numbers are 1-based positions)."""
    canonical = json.dumps(list(records), sort_keys=True, separators=(",", ":")).encode()
    checksum = hashlib.sha256(canonical).hexdigest()
    previous = _replay(session, request, checksum)
    if previous is not None:
        return IngestOutcome(batch=previous, replayed=True)
    table = RawTable.from_records(list(records))
    return _ingest(session, table, request, checksum, "json", today)


def _ingest(
    session: Session,
    table: RawTable,
    request: IngestRequest,
    checksum: str,
    source: Literal["csv", "json"],
    today: date,
) -> IngestOutcome:
    reference = load_reference_codes(session)
    imd = load_imd_lookup(session, request.imd_edition)
    outcome = validate_table(table, reference, imd, today, max_errors=request.max_errors)
    batch = UploadBatch(
        source=source,
        mode=request.mode,
        filename=request.filename,
        checksum_sha256=checksum,
        submitted_by=request.actor,
        submitted_at=utcnow(),
        rows_received=len(table),
    )
    if not outcome.ok or (request.mode == "replace" and len(table) == 0):
        errors = list(outcome.errors) or [
            RowError(1, None, "", "no rows: replace mode needs the provider's whole PTL")
        ]
        error_count = max(outcome.error_count, len(errors))
        batch.outcome = "rejected"
        batch.error_count = error_count
        batch.completed_at = utcnow()
        batch.provider_codes = []
        batch.warnings = []
        session.add(batch)
        session.flush()
        record_event(
            session,
            request.actor,
            AuditKind.PTL_UPLOAD_REJECTED,
            subject_type="upload_batch",
            subject_id=batch.id,
            details={"rows_received": len(table), "error_count": error_count, "source": source},
        )
        return IngestOutcome(batch=batch, errors=errors, error_count=error_count)
    validated = outcome.validated
    assert validated is not None
    providers = sorted({str(code) for code in validated.provider_code.tolist()})
    batch.idempotency_key = request.idempotency_key
    batch.outcome = "succeeded"
    batch.provider_codes = providers
    batch.warnings = [w.as_dict() for w in validated.warnings]
    session.add(batch)
    session.flush()
    counts = store_entries(
        session,
        validated.columns,
        len(validated),
        batch_id=batch.id,
        replace_providers=providers if request.mode == "replace" else [],
        now=batch.submitted_at,
    )
    batch.inserted, batch.updated, batch.closed = counts.inserted, counts.updated, counts.closed
    batch.completed_at = utcnow()
    session.flush()
    record_event(
        session,
        request.actor,
        AuditKind.PTL_UPLOAD,
        subject_type="upload_batch",
        subject_id=batch.id,
        provider_code=providers[0] if len(providers) == 1 else None,
        details={
            "mode": request.mode,
            "source": source,
            "checksum_sha256": checksum,
            "providers": providers,
            "rows_received": len(validated),
            "inserted": counts.inserted,
            "updated": counts.updated,
            "closed": counts.closed,
            "warnings": {w.code: w.count for w in validated.warnings},
        },
    )
    runs = [
        run_ranking(
            session,
            provider,
            actor=request.actor,
            trigger="upload",
            census_date=today,
            upload_batch_id=batch.id,
            imd_edition=request.imd_edition,
        )
        for provider in (providers if request.rank_after_upload else [])
    ]
    return IngestOutcome(batch=batch, ranking_run_ids=[run.id for run in runs])
