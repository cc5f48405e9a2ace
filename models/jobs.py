"""Background jobs: what was asked, its state, progress and error (the record the API shows).

On PostgreSQL the queue itself is procrastinate's (workers on any machine sharing the
database pick jobs up); on SQLite the in-process runner reads this table. Either way this row
is where a job's state, progress and error are kept.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy import JSON, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.ptl import BigId

QUEUED: Final = "queued"
RUNNING: Final = "running"
SUCCEEDED: Final = "succeeded"
FAILED: Final = "failed"
JOB_STATES: Final = (QUEUED, RUNNING, SUCCEEDED, FAILED)


class Job(Base):
    """One unit of background work (a ranking of a provider's changed lists, a sweep, …).

    ``coalesce_key`` groups jobs that do the same work: while one is still queued, asking
    again returns it instead of queueing another, so a burst of changes costs one run.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("state IN ('queued', 'running', 'succeeded', 'failed')", name="state"),
        Index("ix_jobs_due", "state", "run_after"),
        Index("ix_jobs_coalesce", "coalesce_key", "state"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    task: Mapped[str] = mapped_column(String(60))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    coalesce_key: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(10), default=QUEUED)
    requested_by: Mapped[str] = mapped_column(String(200))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Why it was asked for (``upload``, ``rules``, ``override``, ``reference``, …), merged
    from every request it absorbed."""
    requests: Mapped[int] = mapped_column(Integer, default=1)
    """How many requests this job absorbed (1 + coalesced ones)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    heartbeat_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    progress: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """``{"step": …, "done": n, "total": m}`` while it runs."""
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    queue_job_id: Mapped[int | None] = mapped_column(BigId)
    """procrastinate's job id on PostgreSQL (None in-process)."""
