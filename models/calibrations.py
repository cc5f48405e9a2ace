"""Calibrations: a clinician's request to size a specialty's uplifts to its list's gap, and
what the search found (docs/calibration.md).

Why a table of its own: the search runs as a background job and its evidence (the frontier
of every multiplier tried) must outlive the job, so the draft it creates can say where its
numbers came from and a board can see the evidence later.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.ptl import BigId

CALIBRATION_QUEUED: Final = "queued"
CALIBRATION_CHOSEN: Final = "chosen"
CALIBRATION_UNREACHABLE: Final = "unreachable"
CALIBRATION_FAILED: Final = "failed"


class RuleSetCalibration(Base):
    """One calibration of a specialty on a provider's list.

    ``status``: ``queued`` until its job finishes; then ``chosen`` (a multiplier qualified and
    ``draft_id`` holds its weights), ``unreachable`` (none did; ``result`` says why) or
    ``failed`` (``error``).
    """

    __tablename__ = "rule_set_calibrations"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'chosen', 'unreachable', 'failed')", name="status"),
        Index("ix_rule_set_calibrations_specialty", "specialty", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    specialty: Mapped[str] = mapped_column(String(7))
    provider_code: Mapped[str] = mapped_column(String(5))
    status: Mapped[str] = mapped_column(String(12), default=CALIBRATION_QUEUED)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The request as validated: target share, weeks, seeds, factors, limits, census date."""
    started_from_version_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("rule_set_versions.id")
    )
    """The version in force for the specialty (or the default) the search scaled."""
    job_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("jobs.id"))
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()
    chosen_multiplier: Mapped[float | None] = mapped_column(Float)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The frontier, the gap's parts, and the choice or why none qualified."""
    draft_id: Mapped[int | None] = mapped_column(BigId)
    """The draft created with the chosen weights (``rule_set_versions.id``; its
    ``calibration_id`` points back here)."""
    error: Mapped[str | None] = mapped_column(Text)
