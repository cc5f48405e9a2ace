"""Append-only audit log, chained by HMAC-SHA256 with keys held outside the database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.ptl import BigId


class AuditEvent(Base):
    """One recorded action. Rows are never updated or deleted (database triggers refuse it)."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_kind_time", "kind", "occurred_at"),
        Index("ix_audit_events_pathway", "provider_code", "pathway_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200), index=True)
    """Who acted: the identity provider's identifier of a person, or a token subject."""
    actor_name: Mapped[str | None] = mapped_column(String(200))
    """The person's name as the identity provider gave it (null for machine clients)."""
    kind: Mapped[str] = mapped_column(String(60))
    provider_code: Mapped[str | None] = mapped_column(String(5))
    treatment_function_code: Mapped[str | None] = mapped_column(String(3))
    pathway_id: Mapped[str | None] = mapped_column(String(20))
    subject_type: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_id: Mapped[str | None] = mapped_column(String(40))
    """Id of the key whose HMAC ``hash`` is (null: a record from before the chain was keyed)."""
