"""Ingestion flow: checksum, idempotency, validation, all-or-nothing storage, batch and audit.

An upload is one transaction: the entries, the batch record, its audit event, the changes it
made to each list and the background ranking jobs that re-rank those lists commit together or
not at all. The ranking itself runs after that commit, as a job (``app/rankings/jobs.py``), so
the upload answers as soon as the batch is stored, a slow or failed ranking never holds back
or undoes it, and a crash between the commit and the ranking leaves a queued job (and stale
lists the recovery sweep finds) rather than a silently outdated list.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit import AuditKind, record_event
from app.errors import Conflict, Unprocessable
from app.imd_loader import lsoa_vintage_of
from app.ingest import RawTable, RowError, validate_table
from app.ingest.store import store_entries
from app.metrics import ROWS_INGESTED, UPLOADS_REJECTED, after_commit
from app.rankings.jobs import latest_upload_runs, queue_ranking
from app.rankings.lists import record_changes, stale_lists
from app.reference_store import load_imd_lookup, load_reference_codes
from models import ImdEdition, Job, UploadBatch
from models.base import utcnow

READ_CHUNK = 1 << 20
Source = Literal["csv", "json"]
logger = logging.getLogger(__name__)


class IdempotencyConflict(Conflict):
    """The Idempotency-Key was used before for a different request (content or mode) (409)."""

    problem = "idempotency-conflict"


class RowsRejected(Unprocessable):
    """A 422 for an upload with invalid rows: the first ``limit`` errors, the count exact.

    ``errors`` are ``{row, field, value, message}`` items in row order; nothing was written.
    """

    problem = "upload-rejected"

    def __init__(self, what: str, errors: Sequence[dict[str, Any]], count: int, limit: int):
        shown = list(errors[:limit])
        super().__init__(
            f"{what} rejected: {count} error(s); nothing was written",
            extensions={
                "error_count": count,
                "errors": shown,
                "truncated": len(shown) < count,
            },
        )


@dataclass(frozen=True)
class IngestRequest:
    """Who is sending what, and how it should apply."""

    actor: str
    mode: Literal["replace", "upsert"]
    filename: str | None = None
    idempotency_key: str | None = None
    imd_edition: str = "iod2019"
    max_errors: int | None = None


@dataclass
class IngestOutcome:
    """The batch recorded, and every error when it was rejected."""

    batch: UploadBatch
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    replayed: bool = False

    @property
    def stored(self) -> bool:
        """True when this request stored the batch now (not rejected, not a replay)."""
        return not self.replayed and self.batch.outcome == "succeeded"


@dataclass(frozen=True)
class RankingAttempt:
    """The background job ranking one provider's lists after an upload, and where it is."""

    provider_code: str
    job_id: int | None = None
    state: str | None = None
    run_id: int | None = None
    error: str | None = None


def ingest_csv(
    session: Session, stream: IO[bytes], request: IngestRequest, *, today: date
) -> IngestOutcome:
    """Ingest one CSV file (checked entirely before anything is stored); does not commit.

    A seekable stream (an open file, an upload spooled to disk) is read twice, for the
    checksum and then for the rows, rather than copied into memory; a one-pass stream is
    first copied to a temporary file.
    """
    if stream.seekable():
        return _ingest_seekable(session, stream, request, today)
    with tempfile.TemporaryFile() as copy:
        while chunk := stream.read(READ_CHUNK):
            copy.write(chunk)
        copy.seek(0)
        return _ingest_seekable(session, copy, request, today)


def _ingest_seekable(
    session: Session, source: IO[bytes], request: IngestRequest, today: date
) -> IngestOutcome:
    start = source.tell()
    digest = hashlib.sha256()
    while chunk := source.read(READ_CHUNK):
        digest.update(chunk)
    checksum = digest.hexdigest()
    previous = _replay(session, request, checksum, "csv")
    if previous is not None:
        return IngestOutcome(batch=previous, replayed=True)

    def read(lsoa_vintage: str) -> RawTable:
        source.seek(start)
        return RawTable.from_csv(source, lsoa_vintage=lsoa_vintage)

    return _ingest(session, read, request, checksum, "csv", today)


def ingest_records(
    session: Session, records: Sequence[dict[str, Any]], request: IngestRequest, *, today: date
) -> IngestOutcome:
    """Ingest PTL records sent as JSON (row numbers are 1-based positions); does not commit."""
    canonical = json.dumps(list(records), sort_keys=True, separators=(",", ":")).encode()
    checksum = hashlib.sha256(canonical).hexdigest()
    previous = _replay(session, request, checksum, "json")
    if previous is not None:
        return IngestOutcome(batch=previous, replayed=True)

    def read(lsoa_vintage: str) -> RawTable:
        return RawTable.from_records(list(records), lsoa_vintage=lsoa_vintage)

    return _ingest(session, read, request, checksum, "json", today)


def upload_rankings(
    session: Session, batch: UploadBatch, *, actor: str, replayed: bool
) -> list[RankingAttempt]:
    """Each provider's ranking job for a stored batch (and its run once done).

    A replay re-queues the ranking of any provider whose lists are still waiting for one (the
    first attempt was lost, e.g. the process was killed between the upload's commit and its
    ranking; a job still queued absorbs the request). Only queues in the caller's
    transaction.
    """
    attempts: list[RankingAttempt] = []
    runs = {run.provider_code: run for run in latest_upload_runs(session, batch.id)}
    for provider in list(batch.provider_codes):
        job_id: int | None = None
        # A new upload always asks (a queued job absorbs it; a running one may have read the
        # lists before this change). A replay asks again only if its lists still wait.
        if not replayed or stale_lists(session, provider):
            if replayed:
                logger.warning("re-queueing the ranking of %s for upload %s", provider, batch.id)
            job_id = queue_ranking(
                session, provider, actor=actor, reason="upload", upload_batch_id=batch.id
            )
        if job_id is None and provider in runs:
            job_id = runs[provider].job_id
        job = session.get(Job, job_id) if job_id is not None else None
        run = runs.get(provider)
        attempts.append(
            RankingAttempt(
                provider,
                job_id=job_id,
                state=job.state if job is not None else None,
                run_id=run.id if run is not None else None,
                error=job.error if job is not None else None,
            )
        )
    return attempts


def _replay(
    session: Session, request: IngestRequest, checksum: str, source: Source
) -> UploadBatch | None:
    """The stored batch this request repeats; IdempotencyConflict if the key meant another."""
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
    used_for = f"Idempotency-Key was already used for upload batch {previous.id}"
    if previous.source != source:
        raise IdempotencyConflict(
            f"{used_for}, sent as {previous.source}; this request is {source}: use a new key"
        )
    if previous.checksum_sha256 != checksum:
        raise IdempotencyConflict(f"{used_for} with different content: use a new key")
    if previous.mode != request.mode:
        raise IdempotencyConflict(
            f"{used_for} in {previous.mode} mode; this request asks for {request.mode} mode: "
            "use a new key"
        )
    return previous


def _ingest(
    session: Session,
    read: Callable[[str], RawTable],
    request: IngestRequest,
    checksum: str,
    source: Source,
    today: date,
) -> IngestOutcome:
    reference = load_reference_codes(session)
    imd = load_imd_lookup(session, request.imd_edition)
    table = read(_lsoa_vintage(session, request.imd_edition))
    rows_received = len(table)
    outcome = validate_table(table, reference, imd, today, max_errors=request.max_errors)
    del table  # the raw cells are not needed once validated: free them before storing
    batch = UploadBatch(
        source=source,
        mode=request.mode,
        filename=request.filename,
        checksum_sha256=checksum,
        submitted_by=request.actor,
        submitted_at=utcnow(),
        rows_received=rows_received,
    )
    if not outcome.ok or (request.mode == "replace" and rows_received == 0):
        errors = list(outcome.errors) or [
            RowError(1, None, "", "no rows: replace mode needs the provider's whole PTL")
        ]
        return _rejected(session, batch, errors, max(outcome.error_count, len(errors)))
    validated = outcome.validated
    assert validated is not None
    providers = sorted({str(code) for code in validated.provider_code.tolist()})
    batch.idempotency_key = request.idempotency_key
    batch.outcome = "succeeded"
    batch.provider_codes = providers
    batch.warnings = [w.as_dict() for w in validated.warnings]
    session.add(batch)
    try:
        session.flush()
    except IntegrityError:
        # A simultaneous request with the same key committed first (nothing else was
        # written in this transaction yet): answer as a replay of it, or 409.
        session.rollback()
        previous = _replay(session, request, checksum, source)
        if previous is None:
            raise
        return IngestOutcome(batch=previous, replayed=True)
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
    record_changes(session, counts.lists, now=batch.submitted_at)
    stored = len(validated)
    after_commit(session, lambda: ROWS_INGESTED.labels(source).inc(stored))
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
    return IngestOutcome(batch=batch)


def _lsoa_vintage(session: Session, edition: str) -> str:
    """The LSOA census (2011 or 2021) ``edition`` is published on."""
    stored = session.scalar(select(ImdEdition.lsoa_vintage).where(ImdEdition.code == edition))
    return stored or lsoa_vintage_of(edition)


def _rejected(
    session: Session, batch: UploadBatch, errors: list[RowError], error_count: int
) -> IngestOutcome:
    """Record a rejected batch (it does not take the Idempotency-Key) and its audit event."""
    batch.outcome = "rejected"
    batch.error_count = error_count
    batch.completed_at = utcnow()
    batch.provider_codes = []
    batch.warnings = []
    session.add(batch)
    session.flush()
    record_event(
        session,
        batch.submitted_by,
        AuditKind.PTL_UPLOAD_REJECTED,
        subject_type="upload_batch",
        subject_id=batch.id,
        details={
            "rows_received": batch.rows_received,
            "error_count": error_count,
            "source": batch.source,
        },
    )
    rejected_source = batch.source
    after_commit(session, lambda: UPLOADS_REJECTED.labels(rejected_source).inc())
    return IngestOutcome(batch=batch, errors=errors, error_count=error_count)
