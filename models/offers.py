"""Past appointment and admission offers, and the uploads that brought them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.ptl import BigId


class OfferBatch(Base):
    """One offers upload: who sent what, when, and what it added or replaced."""

    __tablename__ = "offer_batches"
    __table_args__ = (UniqueConstraint("submitted_by", "idempotency_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
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
    error_count: Mapped[int] = mapped_column(Integer, default=0)


class Offer(Base):
    """One offer of a date to a patient on a pathway, and whether it was taken.

    An offer is keyed by (provider, pathway, offer date, appointment date): a later upload
    with the same offer replaces its attendance and reason (PAS corrections).
    """

    __tablename__ = "offers"
    __table_args__ = (
        UniqueConstraint("provider_code", "pathway_id", "offer_date", "appointment_date"),
        Index("ix_offers_appointment", "provider_code", "appointment_date"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("offer_batches.id"))
    provider_code: Mapped[str] = mapped_column(String(5))
    pathway_id: Mapped[str] = mapped_column(String(20))
    nhs_number: Mapped[str] = mapped_column(String(10))
    offer_date: Mapped[date] = mapped_column(Date)
    appointment_date: Mapped[date] = mapped_column(Date)
    attendance: Mapped[int] = mapped_column(SmallInteger)
    outcome_reason: Mapped[str | None] = mapped_column(String(40))
    failed: Mapped[bool] = mapped_column(Boolean)
