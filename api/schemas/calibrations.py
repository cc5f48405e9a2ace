"""Calibration request and answer (docs/calibration.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import PROVIDER_CODE
from api.schemas.simulations import Rates

Factor = Literal["deprivation", "inclusion", "core20", "ethnicity"]


class CalibrationLimitsIn(BaseModel):
    """What the chosen multiplier must respect against the conventional order. Extra P2/P3
    target breaches and 52-week waiters are never allowed beyond seed noise."""

    model_config = ConfigDict(extra="forbid")

    max_quintile_median_rise_weeks: float = Field(
        default=2.0, ge=0, le=52, description="No IMD quintile's median wait up by more."
    )
    overshoot_tolerance: float = Field(
        default=0.10, ge=0, le=1, description="How far the gap may reverse (share of itself)."
    )


class CalibrationCreate(BaseModel):
    """Ask for the multiplier on the specialty's uplifts and caps that closes a share of the
    provider's Q1-Q5 gap in wait at treatment."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"provider": "RZZ", "target_share": 0.9}]},
    )

    provider: str = Field(pattern=PROVIDER_CODE, description="Provider ODS code.")
    target_share: float = Field(default=0.9, gt=0, le=1, description="Share of the gap to close.")
    weeks: int = Field(default=26, ge=1, le=104, description="Simulated weeks.")
    seeds: int = Field(default=3, ge=1, le=10, description="Simulations per multiplier.")
    factors: list[Factor] | None = Field(
        default=None,
        min_length=1,
        description="Factors whose uplifts scale (default: those enabled of deprivation, "
        "inclusion and Core20; ethnicity only when its governance is approved).",
    )
    limits: CalibrationLimitsIn = Field(default_factory=CalibrationLimitsIn)
    census_date: date | None = Field(default=None, description="Waits counted to (today).")
    capacity: Rates | None = Field(
        default=None,
        description="Patients treated per week, keyed `110` or `110/admitted` (per priority "
        "code, or one number per list), as for `POST /api/v1/simulations`. Default: each "
        "list's recent clock stops.",
    )
    referrals_per_week: Rates | None = Field(
        default=None, description="New referrals per week, keyed like `capacity`."
    )


_POINT_EXAMPLE: dict[str, Any] = {
    "multiplier": 1.5, "share_closed": 0.93, "share_closed_min": 0.9, "share_closed_max": 0.96,
    "share_closed_sd": 0.03, "extra_p2_p3_breaches": -9.7, "extra_p2_p3_breaches_sd": 5.5,
    "extra_long_waiters": -0.3, "extra_long_waiters_sd": 1.5,
    "largest_quintile_median_rise_weeks": 1.6, "within_limits": True, "reaches_target": True,
    "limits_broken": [],
}  # fmt: skip
_CALIBRATION_EXAMPLE: dict[str, Any] = {
    "id": 4, "specialty": "110", "provider_code": "RZZ", "status": "chosen",
    "inputs": {"target_share": 0.9, "weeks": 26, "seeds": [20261123, 20261124, 20261125],
               "factors": ["deprivation", "inclusion"], "census_date": "2026-11-23",
               "limits": {"max_quintile_median_rise_weeks": 2.0, "overshoot_tolerance": 0.1},
               "capacity": None, "referrals_per_week": None},
    "started_from_version_id": 9, "job_id": 31, "requested_by": "dr.a",
    "requested_at": "2026-11-23T09:00:00Z", "completed_at": "2026-11-23T09:00:40Z",
    "chosen_multiplier": 1.5, "draft_id": 12,
    "result": {"target_share": 0.9, "max_multiplier": 2.0, "frontier": [_POINT_EXAMPLE],
               "gap": {"gap_weeks": 2.3, "unavailable_excess_weeks": 1.0,
                       "unavailable_share": 0.44, "waiting_share": 0.56},
               "chosen_multiplier": 1.5, "unreachable": None},
    "error": None,
}  # fmt: skip


class CalibrationOut(BaseModel):
    """A calibration: queued until its job finishes, then its evidence and its outcome."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [_CALIBRATION_EXAMPLE]}
    )

    id: int
    specialty: str
    provider_code: str
    status: Literal["queued", "chosen", "unreachable", "failed"]
    inputs: dict[str, Any]
    started_from_version_id: int | None = Field(description="The version in force it scaled.")
    job_id: int | None = Field(description="Poll `GET /api/v1/jobs/{id}` for progress.")
    requested_by: str
    requested_at: datetime
    completed_at: datetime | None
    chosen_multiplier: float | None
    draft_id: int | None = Field(
        description="The draft holding the chosen weights: preview and publish it as usual."
    )
    result: dict[str, Any] | None = Field(
        description="`frontier` (every multiplier tried), `gap` (its parts), "
        "`chosen_multiplier`, and `unreachable` (why none qualifies, with suggestions)."
    )
    error: str | None
