"""Watching the effect after publication: measured and predicted deprivation gaps.

- ``equity_snapshots.treated_gaps``: the week's Q1-Q5 gap sums of pathways whose clock
  stopped, per specialty and band.
- ``gap_predictions``: what a preview or calibration simulated for a rule version, adopted
  when the version is published.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("equity_snapshots") as batch:
        batch.add_column(sa.Column("treated_gaps", sa.JSON(), nullable=True))
    op.create_table(
        "gap_predictions",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("rule_set_version_id", _BIG_ID, nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.Column("provider_code", sa.String(length=5), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("calibration_id", _BIG_ID, nullable=True),
        sa.Column("census_date", sa.Date(), nullable=False),
        sa.Column("weeks", sa.Integer(), nullable=False),
        sa.Column("seeds", sa.Integer(), nullable=False),
        sa.Column("cells", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Column("published_at", _TIMESTAMP, nullable=True),
        sa.CheckConstraint(
            "source IN ('preview', 'calibration')", name=op.f("ck_gap_predictions_source")
        ),
        sa.ForeignKeyConstraint(
            ["rule_set_version_id"],
            ["rule_set_versions.id"],
            name=op.f("fk_gap_predictions_rule_set_version_id_rule_set_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["calibration_id"],
            ["rule_set_calibrations.id"],
            name=op.f("fk_gap_predictions_calibration_id_rule_set_calibrations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gap_predictions")),
    )
    op.create_index(
        "ix_gap_predictions_version",
        "gap_predictions",
        ["rule_set_version_id", "provider_code"],
    )


def downgrade() -> None:
    op.drop_index("ix_gap_predictions_version", table_name="gap_predictions")
    op.drop_table("gap_predictions")
    with op.batch_alter_table("equity_snapshots") as batch:
        batch.drop_column("treated_gaps")
