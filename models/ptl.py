"""PTL entries and the upload batches that brought them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow

#: Integer primary keys that are BIGINT on PostgreSQL and rowid aliases on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UploadBatch(Base):
    """One ingestion request: who sent what, when, and what it changed."""

    __tablename__ = "upload_batches"
    __table_args__ = (UniqueConstraint("submitted_by", "idempotency_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(10))  # csv | json
    mode: Mapped[str] = mapped_column(String(10))  # replace | upsert
    filename: Mapped[str | None] = mapped_column(String(255))
    checksum_sha256: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    submitted_by: Mapped[str] = mapped_column(String(200))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str] = mapped_column(String(20))  # succeeded | rejected
    provider_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    rows_received: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class PtlEntry(Base):
    """One pathway on a provider's PTL, keyed by (provider_code, pathway_id)."""

    __tablename__ = "ptl_entries"
    __table_args__ = (
        UniqueConstraint("provider_code", "pathway_id"),
        Index("ix_ptl_entries_list", "provider_code", "is_open", "treatment_function_code"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provider_code: Mapped[str] = mapped_column(String(5))
    pathway_id: Mapped[str] = mapped_column(String(20))
    nhs_number: Mapped[str] = mapped_column(String(10))
    treatment_function_code: Mapped[str] = mapped_column(String(3))
    pathway_stage: Mapped[str] = mapped_column(String(12))
    priority_code: Mapped[str] = mapped_column(String(4))
    rtt_clock_start: Mapped[date] = mapped_column(Date)
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(1))
    ethnic_category: Mapped[str] = mapped_column(String(2))
    lsoa_code: Mapped[str | None] = mapped_column(String(9))
    imd_decile: Mapped[int | None] = mapped_column(SmallInteger)
    imd_source: Mapped[str] = mapped_column(String(10))  # supplied | lookup | unknown
    imd_edition: Mapped[str | None] = mapped_column(String(20))
    inclusion_groups: Mapped[str] = mapped_column(String(400), default="")
    clinical_areas: Mapped[str] = mapped_column(String(400), default="")
    site_code: Mapped[str | None] = mapped_column(String(9))
    priority_set_date: Mapped[date | None] = mapped_column(Date)
    procedure_code: Mapped[str | None] = mapped_column(String(8))
    last_validated_date: Mapped[date | None] = mapped_column(Date)
    rtt_status: Mapped[str | None] = mapped_column(String(2))
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    closed_at: Mapped[datetime | None] = mapped_column()
    # Batch ids without foreign keys: a per-row check would double the cost of a bulk
    # upsert, and batches are never deleted (a trigger refuses it). See migration 0005.
    first_batch_id: Mapped[int] = mapped_column(BigId)
    last_batch_id: Mapped[int] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
