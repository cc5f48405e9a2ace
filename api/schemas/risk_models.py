"""Risk model requests and answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

RISK_MODEL_EXAMPLE: dict[str, Any] = {
    "id": 2,
    "state": "active",
    "requested_by": "admin.user",
    "requested_at": "2026-12-01T10:00:00Z",
    "job_id": 57,
    "provider_code": "RZZ",
    "estimator": "logistic",
    "window_start": "2025-12-01",
    "window_end": "2026-11-30",
    "offers": 127992,
    "threshold": 0.25,
    "features": {"names": ["age_band=18-39", "imd_decile", "pathway_failures"]},
    "metrics": {"chosen": "logistic", "overall": {"auc": 0.67, "brier": 0.157}},
    "ethnicity_governance": None,
    "error": None,
    "trained_at": "2026-12-01T10:01:10Z",
    "activated_by": "admin.user",
    "activated_at": "2026-12-01T11:00:00Z",
    "activation_reason": "validated on the latest quarter; calibration reviewed",
    "retired_by": None,
    "retired_at": None,
    "retirement_reason": None,
}


class EthnicityGovernanceIn(BaseModel):
    """Leave to use ethnicity as a feature: the same record an ethnicity uplift needs."""

    evidence_reference: str = Field(min_length=1, max_length=500)
    approved_by: str = Field(min_length=1, max_length=200)
    review_date: date


class TrainingIn(BaseModel):
    """What to train on, and the support threshold the figures are judged at."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"provider_code": "RZZ", "threshold": 0.25}]}
    )

    provider_code: str | None = Field(
        default=None, pattern=r"^[A-Z0-9]{3,5}$", description="One provider's offers (default all)"
    )
    threshold: float = Field(default=0.25, gt=0, lt=1, description="Support threshold")
    ethnicity: EthnicityGovernanceIn | None = Field(
        default=None, description="Give only to use ethnicity as a feature (governed)"
    )


class ReasonIn(BaseModel):
    """Why a model is activated or retired."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"reason": "validated on the latest quarter; calibration reviewed"}]
        }
    )

    reason: str = Field(min_length=3, max_length=1000, description="Why, for the audit trail")


class RiskModelOut(BaseModel):
    """One model version: state, data window, features, figures, and who used it."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [RISK_MODEL_EXAMPLE]}
    )

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
