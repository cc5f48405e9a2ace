"""Risk model requests and answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EthnicityGovernanceIn(BaseModel):
    """Leave to use ethnicity as a feature: the same record an ethnicity uplift needs."""

    evidence_reference: str = Field(min_length=1, max_length=500)
    approved_by: str = Field(min_length=1, max_length=200)
    review_date: date


class TrainingIn(BaseModel):
    """What to train on, and the support threshold the figures are judged at."""

    provider_code: str | None = Field(
        default=None, pattern=r"^[A-Z0-9]{3,5}$", description="One provider's offers (default all)"
    )
    threshold: float = Field(default=0.25, gt=0, lt=1, description="Support threshold")
    ethnicity: EthnicityGovernanceIn | None = Field(
        default=None, description="Give only to use ethnicity as a feature (governed)"
    )


class ReasonIn(BaseModel):
    reason: str = Field(min_length=3, max_length=1000, description="Why, for the audit trail")


class RiskModelOut(BaseModel):
    """One model version: state, data window, features, figures, and who used it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    state: str
    requested_by: str
    requested_at: datetime
    job_id: int | None
    provider_code: str | None
    estimator: str | None
    window_start: date | None
    window_end: date | None
    offers: int
    threshold: float | None
    features: dict[str, Any] | None
    metrics: dict[str, Any] | None
    ethnicity_governance: dict[str, Any] | None
    error: str | None
    trained_at: datetime | None
    activated_by: str | None
    activated_at: datetime | None
    activation_reason: str | None
    retired_by: str | None
    retired_at: datetime | None
    retirement_reason: str | None
