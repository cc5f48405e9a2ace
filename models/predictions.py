"""Predicted deprivation gaps: what a preview or calibration simulated for a rule version.

Why a table: after publication the equity trend shows the predicted gap beside the measured
one and flags where they part (docs/calibration.md, "Watching the effect"). A preview stores
one row per provider it simulated, for the draft's edit it saw; the publication adopts the
latest row per provider for the edit it publishes (``published_at``), keyed to that version.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.ptl import BigId

FROM_PREVIEW: Final = "preview"
FROM_CALIBRATION: Final = "calibration"


class GapPrediction(Base):
    """The simulated Q1-Q5 gap sums per specialty, band and week of a rule version's draft.

    ``cells`` holds ``prioritisation.treated_gaps`` cells (week 0 is the first week after the
    simulation's census date; the trend lays them from the version's ``effective_from``).
    """

    __tablename__ = "gap_predictions"
    __table_args__ = (
        CheckConstraint("source IN ('preview', 'calibration')", name="source"),
        Index("ix_gap_predictions_version", "rule_set_version_id", "provider_code"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    rule_set_version_id: Mapped[int] = mapped_column(BigId, ForeignKey("rule_set_versions.id"))
    lock_version: Mapped[int] = mapped_column(Integer)
    """The draft's edit the simulation saw."""
    provider_code: Mapped[str] = mapped_column(String(5))
    source: Mapped[str] = mapped_column(String(12))
    calibration_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("rule_set_calibrations.id")
    )
    census_date: Mapped[date] = mapped_column(Date)
    weeks: Mapped[int] = mapped_column(Integer)
    seeds: Mapped[int] = mapped_column(Integer, default=1)
    """Simulations pooled into ``cells`` (a calibration pools its seeds)."""
    cells: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column()
    """Set when the version was published with this prediction."""
