"""Offer history: past appointment and admission offers and the uploads that brought them.

- ``offer_batches``: one offers upload (idempotency key, checksum, counts, outcome).
- ``offers``: one offer per (provider, pathway, offer date, appointment date), its
  attendance code and reason, and whether it failed.
- ``risk_models``: versioned failed-offer models (state, data window, features, metrics,
  the fitted estimator, activation and retirement with who, when and why).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "offer_batches",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("checksum_sha256", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("submitted_at", _TIMESTAMP, nullable=False),
        sa.Column("completed_at", _TIMESTAMP, nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("provider_codes", sa.JSON(), nullable=False),
        sa.Column("rows_received", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer_batches")),
        sa.UniqueConstraint(
            "submitted_by",
            "idempotency_key",
            name=op.f("uq_offer_batches_submitted_by_idempotency_key"),
        ),
    )
    op.create_table(
        "offers",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("batch_id", _BIG_ID, nullable=False),
        sa.Column("provider_code", sa.String(length=5), nullable=False),
        sa.Column("pathway_id", sa.String(length=20), nullable=False),
        sa.Column("nhs_number", sa.String(length=10), nullable=False),
        sa.Column("offer_date", sa.Date(), nullable=False),
        sa.Column("appointment_date", sa.Date(), nullable=False),
        sa.Column("attendance", sa.SmallInteger(), nullable=False),
        sa.Column("outcome_reason", sa.String(length=40), nullable=True),
        sa.Column("failed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["offer_batches.id"], name=op.f("fk_offers_batch_id_offer_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offers")),
        sa.UniqueConstraint(
            "provider_code",
            "pathway_id",
            "offer_date",
            "appointment_date",
            name=op.f("uq_offers_provider_code_pathway_id_offer_date_appointment_date"),
        ),
    )
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_offers_appointment", ["provider_code", "appointment_date"], unique=False
        )
    op.create_table(
        "risk_models",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_at", _TIMESTAMP, nullable=False),
        sa.Column("job_id", _BIG_ID, nullable=True),
        sa.Column("provider_code", sa.String(length=5), nullable=True),
        sa.Column("estimator", sa.String(length=30), nullable=True),
        sa.Column("window_start", sa.Date(), nullable=True),
        sa.Column("window_end", sa.Date(), nullable=True),
        sa.Column("offers", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("features", sa.JSON(), nullable=True),
        sa.Column("metrics", sa.JSON(), nullable=True),
        sa.Column("ethnicity_governance", sa.JSON(), nullable=True),
        sa.Column("blob", sa.LargeBinary(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("trained_at", _TIMESTAMP, nullable=True),
        sa.Column("activated_by", sa.String(length=200), nullable=True),
        sa.Column("activated_at", _TIMESTAMP, nullable=True),
        sa.Column("activation_reason", sa.Text(), nullable=True),
        sa.Column("retired_by", sa.String(length=200), nullable=True),
        sa.Column("retired_at", _TIMESTAMP, nullable=True),
        sa.Column("retirement_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "state IN ('training', 'trained', 'active', 'retired', 'failed')",
            name=op.f("ck_risk_models_state"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_models")),
    )


def downgrade() -> None:
    op.drop_table("risk_models")
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_index("ix_offers_appointment")
    op.drop_table("offers")
    op.drop_table("offer_batches")
