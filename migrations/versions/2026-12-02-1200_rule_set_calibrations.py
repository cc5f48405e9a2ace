"""Calibrations of a specialty's uplifts to its list's deprivation gap.

- ``rule_set_calibrations``: each request, its inputs, the frontier it found, the chosen
  multiplier (or why none) and the draft it created.
- ``rule_set_versions.calibration_id``: on a draft a calibration created, that calibration.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "rule_set_calibrations",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("specialty", sa.String(length=7), nullable=False),
        sa.Column("provider_code", sa.String(length=5), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("started_from_version_id", _BIG_ID, nullable=True),
        sa.Column("job_id", _BIG_ID, nullable=True),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_at", _TIMESTAMP, nullable=False),
        sa.Column("completed_at", _TIMESTAMP, nullable=True),
        sa.Column("chosen_multiplier", sa.Float(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("draft_id", _BIG_ID, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'chosen', 'unreachable', 'failed')",
            name=op.f("ck_rule_set_calibrations_status"),
        ),
        sa.ForeignKeyConstraint(
            ["started_from_version_id"],
            ["rule_set_versions.id"],
            name=op.f("fk_rule_set_calibrations_started_from_version_id_rule_set_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_rule_set_calibrations_job_id_jobs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_set_calibrations")),
    )
    op.create_index(
        "ix_rule_set_calibrations_specialty", "rule_set_calibrations", ["specialty", "id"]
    )
    # Plain ALTER TABLE on both databases: SQLite keeps the table and its immutability triggers.
    op.add_column("rule_set_versions", sa.Column("calibration_id", _BIG_ID, nullable=True))


def downgrade() -> None:
    op.drop_column("rule_set_versions", "calibration_id")
    op.drop_index("ix_rule_set_calibrations_specialty", table_name="rule_set_calibrations")
    op.drop_table("rule_set_calibrations")
