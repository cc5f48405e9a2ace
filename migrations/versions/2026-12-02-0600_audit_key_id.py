"""Audit records name the key whose HMAC-SHA256 their hash is.

Records written before keep a null ``key_id`` and their plain SHA-256 (the table is
append-only: nothing is rewritten); new records are keyed.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("key_id", sa.String(length=40), nullable=True))


def downgrade() -> None:
    op.drop_column("audit_events", "key_id")  # SQLite 3.35+ drops it in place (triggers kept)
