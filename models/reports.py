"""Weekly equity report snapshots, kept so waits and gaps can be read as a trend."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, SmallInteger, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.ptl import BigId


class EquitySnapshot(Base):
    """The provider-wide equity report as first computed in one ISO week (first one wins)."""

    __tablename__ = "equity_snapshots"
    __table_args__ = (UniqueConstraint("provider_code", "iso_year", "iso_week"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provider_code: Mapped[str] = mapped_column(String(5))
    iso_year: Mapped[int] = mapped_column(SmallInteger)
    iso_week: Mapped[int] = mapped_column(SmallInteger)
    census_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    backfilled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Computed later from stored history (entries open on ``census_date``), not that week."""
    treated_gaps: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The Q1-Q5 gap sums of the pathways whose clock stopped in the 7 days to
    ``census_date``, per specialty and band (``app/reports/treated_gaps.py``); None on
    snapshots stored before it was kept."""
