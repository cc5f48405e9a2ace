"""Offers upload answers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict


class OfferBatchOut(BaseModel):
    """One offers upload and what it changed."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 3,
                    "filename": "offers-2026-11.csv",
                    "checksum_sha256": "9c1e…",
                    "submitted_by": "pas.feed",
                    "submitted_at": "2026-12-02T09:00:00Z",
                    "completed_at": "2026-12-02T09:00:04Z",
                    "outcome": "succeeded",
                    "provider_codes": ["RZZ"],
                    "rows_received": 12840,
                    "inserted": 12790,
                    "updated": 50,
                    "error_count": 0,
                }
            ]
        },
    )

    id: int
    filename: str | None
    checksum_sha256: str
    submitted_by: str
    submitted_at: datetime
    completed_at: datetime | None
    outcome: Literal["succeeded", "rejected"]
    provider_codes: list[str]
    rows_received: int
    inserted: int
    updated: int
    error_count: int
