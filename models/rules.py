"""Versioned rule sets: one row per version of the ``default`` or a specialty's rule document."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.ptl import BigId

DRAFT: Final = "draft"
PUBLISHED: Final = "published"
DISCARDED: Final = "discarded"
RULE_VERSION_STATUSES: Final = (DRAFT, PUBLISHED, DISCARDED)
DEFAULT_SPECIALTY: Final = "default"


class RuleSetVersion(Base):
    """A rule document version. Only drafts change; published (and discarded) rows are frozen,
    which the service enforces and database triggers back up.

    ``version`` counts 1, 2, … per specialty and is never reused (a discarded draft keeps its
    number) so every audit record naming a version names exactly one document.
    """

    __tablename__ = "rule_set_versions"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published', 'discarded')", name="status"),
        UniqueConstraint("specialty", "version"),
        Index("ix_rule_set_versions_in_force", "status", "specialty", "effective_from"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    specialty: Mapped[str] = mapped_column(String(7))
    """``default`` or a treatment function code."""
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default=DRAFT)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The rule set exactly as ``prioritisation.RuleSet.model_dump(mode="json")`` writes it."""
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    """Bumped on every draft edit; served as the ETag and required back in If-Match."""
    based_on_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("rule_set_versions.id"))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[str | None] = mapped_column(String(200))
    published_at: Mapped[datetime | None] = mapped_column()
    effective_from: Mapped[datetime | None] = mapped_column()
    publish_reason: Mapped[str | None] = mapped_column(Text)
    republished_from_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("rule_set_versions.id")
    )
    """Set on a rollback: the earlier version whose document was published again."""
    calibration_id: Mapped[int | None] = mapped_column(BigId)
    """Set on a draft a calibration created: its ``rule_set_calibrations.id``."""
