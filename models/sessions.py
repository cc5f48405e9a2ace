"""Signed-in sessions of the web pages: one row per sign-in, ended by sign-out or time-out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class WebSession(Base):
    """A person's session. The browser holds a random token; the row is keyed by its SHA-256,
    so a copy of this table cannot be used to sign in. Ending a session (sign-out, idle or
    absolute time-out) sets ``ended_at``: the token is refused from then on."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_expires_at", "expires_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    """SHA-256 (hex) of the cookie's token."""
    subject: Mapped[str] = mapped_column(String(200))
    """The identity provider's identifier of the person (``dev:<role>`` for development)."""
    name: Mapped[str | None] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(JSON)
    method: Mapped[str] = mapped_column(String(20))
    """``oidc`` or ``development``."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    """The absolute limit: created_at plus the session's maximum length."""
    ended_at: Mapped[datetime | None] = mapped_column()
    end_reason: Mapped[str | None] = mapped_column(String(20))
    """``signed_out``, ``idle`` or ``expired``."""
    id_token: Mapped[str | None] = mapped_column(Text)
    """The provider's ID token, sent back as ``id_token_hint`` when signing out there."""
