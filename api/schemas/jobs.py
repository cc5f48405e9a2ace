"""Schemas of background jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class JobOut(BaseModel):
    """A background job: what it does, where it is, and how it ended."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 41,
                    "task": "rankings.rank_changed_lists",
                    "args": {"provider_code": "RZZ", "upload_batch_id": 17},
                    "state": "running",
                    "reasons": ["upload"],
                    "requests": 3,
                    "requested_by": "pas.feed",
                    "created_at": "2026-11-23T09:15:02Z",
                    "run_after": "2026-11-23T09:15:02Z",
                    "started_at": "2026-11-23T09:15:03Z",
                    "finished_at": None,
                    "attempts": 1,
                    "progress": {"step": "scoring", "done": 0, "total": 3},
                    "result": None,
                    "error": None,
                }
            ]
        },
    )

    id: int
    task: str
    args: dict[str, Any]
    state: str = Field(description="`queued`, `running`, `succeeded` or `failed`.")
    reasons: list[str] = Field(
        description="Why it was asked for: `upload`, `rules`, `override`, `override_expiry`, "
        "`reference`, `recovery`, `schedule`, `manual` (merged over coalesced requests)."
    )
    requests: int = Field(description="Requests this job absorbed (bursts are coalesced).")
    requested_by: str
    created_at: datetime
    run_after: datetime = Field(description="Not started before this moment.")
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int
    progress: dict[str, Any] = Field(description="`step`, and `done` / `total` where known.")
    result: dict[str, Any] | None = Field(description="What it did (e.g. the run id).")
    error: str | None = Field(description="Why it failed.")
