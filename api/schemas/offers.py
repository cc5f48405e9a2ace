"""Offers upload answers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict


class OfferBatchOut(BaseModel):
    """One offers upload and what it changed."""

    model_config = ConfigDict(from_attributes=True)

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
