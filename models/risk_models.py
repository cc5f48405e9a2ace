"""Versioned failed-offer risk models: what each was trained on, how good it is, who used it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, Float, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.ptl import BigId

#: Training, trained (not yet in use), active (the one used), retired, failed.
RISK_MODEL_STATES = ("training", "trained", "active", "retired", "failed")


class RiskModel(Base):
    """One trained (or training) model; only an admin activating it, with a reason, uses it."""

    __tablename__ = "risk_models"
    __table_args__ = (
        CheckConstraint(
            "state IN ('training', 'trained', 'active', 'retired', 'failed')", name="state"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    state: Mapped[str] = mapped_column(String(10))
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    job_id: Mapped[int | None] = mapped_column(BigId)
    provider_code: Mapped[str | None] = mapped_column(String(5))
    estimator: Mapped[str | None] = mapped_column(String(30))
    window_start: Mapped[date | None] = mapped_column(Date)
    window_end: Mapped[date | None] = mapped_column(Date)
    offers: Mapped[int] = mapped_column(Integer, default=0)
    threshold: Mapped[float | None] = mapped_column(Float)
    features: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ethnicity_governance: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    blob: Mapped[bytes | None] = mapped_column(LargeBinary)
    error: Mapped[str | None] = mapped_column(Text)
    trained_at: Mapped[datetime | None] = mapped_column()
    activated_by: Mapped[str | None] = mapped_column(String(200))
    activated_at: Mapped[datetime | None] = mapped_column()
    activation_reason: Mapped[str | None] = mapped_column(Text)
    retired_by: Mapped[str | None] = mapped_column(String(200))
    retired_at: Mapped[datetime | None] = mapped_column()
    retirement_reason: Mapped[str | None] = mapped_column(Text)
