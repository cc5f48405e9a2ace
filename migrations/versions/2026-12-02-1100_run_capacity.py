"""Ranking runs keep the weekly capacity their last-chance range used.

- ``ranking_runs.capacity``: patients booked per week per ``tfc/stage`` and priority code,
  estimated from recent clock stops (null: none known, so no last-chance range).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE on both databases: SQLite keeps the table and its immutability triggers.
    op.add_column("ranking_runs", sa.Column("capacity", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("ranking_runs", "capacity")
