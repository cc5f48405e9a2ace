"""Initial schema: reference data, IMD lookup, PTL entries, upload batches, audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 19:33:15.801133
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

#: Statements that make the audit log append-only at the database level.
_APPEND_ONLY = {
    "sqlite": [
        """CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
        BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
        """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
        BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
    ],
    "postgresql": [
        """CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$""",
        """CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()""",
        """CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
        FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()""",
    ],
}
_DROP_APPEND_ONLY = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS audit_events_no_update",
        "DROP TRIGGER IF EXISTS audit_events_no_delete",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events",
        "DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events",
        "DROP FUNCTION IF EXISTS audit_events_append_only()",
    ],
}

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "audit_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("provider_code", sa.String(length=5), nullable=True),
        sa.Column("treatment_function_code", sa.String(length=3), nullable=True),
        sa.Column("pathway_id", sa.String(length=20), nullable=True),
        sa.Column("subject_type", sa.String(length=40), nullable=True),
        sa.Column("subject_id", sa.String(length=64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_events_hash")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_actor"), ["actor"], unique=False)
        batch_op.create_index("ix_audit_events_kind_time", ["kind", "occurred_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_events_occurred_at"), ["occurred_at"], unique=False
        )
        batch_op.create_index(
            "ix_audit_events_pathway", ["provider_code", "pathway_id"], unique=False
        )

    op.create_table(
        "clinical_areas",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("population", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_clinical_areas")),
    )
    op.create_table(
        "ethnic_categories",
        sa.Column("code", sa.String(length=2), nullable=False),
        sa.Column("description", sa.String(length=120), nullable=False),
        sa.Column("broad_group", sa.String(length=20), nullable=False),
        sa.Column("is_known", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_ethnic_categories")),
    )
    op.create_table(
        "imd_editions",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("lsoa_vintage", sa.String(length=4), nullable=False),
        sa.Column("source_checksum", sa.String(length=64), nullable=False),
        sa.Column("lsoa_count", sa.Integer(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_imd_editions")),
    )
    op.create_table(
        "inclusion_groups",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_inclusion_groups")),
    )
    op.create_table(
        "priority_codes",
        sa.Column("code", sa.String(length=4), nullable=False),
        sa.Column("description", sa.String(length=120), nullable=False),
        sa.Column("target_days", sa.Integer(), nullable=True),
        sa.Column("sort_order", sa.SmallInteger(), nullable=False),
        sa.Column("parked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_priority_codes")),
    )
    op.create_table(
        "treatment_functions",
        sa.Column("code", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_treatment_functions")),
    )
    op.create_table(
        "upload_batches",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("checksum_sha256", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("provider_codes", sa.JSON(), nullable=False),
        sa.Column("rows_received", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upload_batches")),
        sa.UniqueConstraint(
            "submitted_by",
            "idempotency_key",
            name=op.f("uq_upload_batches_submitted_by_idempotency_key"),
        ),
    )
    op.create_table(
        "imd_lsoas",
        sa.Column("edition", sa.String(length=20), nullable=False),
        sa.Column("lsoa_code", sa.String(length=9), nullable=False),
        sa.Column("imd_score", sa.Float(), nullable=False),
        sa.Column("imd_rank", sa.Integer(), nullable=False),
        sa.Column("imd_decile", sa.SmallInteger(), nullable=False),
        sa.Column("income_decile", sa.SmallInteger(), nullable=False),
        sa.Column("employment_decile", sa.SmallInteger(), nullable=False),
        sa.Column("education_decile", sa.SmallInteger(), nullable=False),
        sa.Column("health_decile", sa.SmallInteger(), nullable=False),
        sa.Column("crime_decile", sa.SmallInteger(), nullable=False),
        sa.Column("barriers_decile", sa.SmallInteger(), nullable=False),
        sa.Column("living_environment_decile", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["edition"],
            ["imd_editions.code"],
            name=op.f("fk_imd_lsoas_edition_imd_editions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("edition", "lsoa_code", name=op.f("pk_imd_lsoas")),
    )
    op.create_table(
        "ptl_entries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("provider_code", sa.String(length=5), nullable=False),
        sa.Column("pathway_id", sa.String(length=20), nullable=False),
        sa.Column("nhs_number", sa.String(length=10), nullable=False),
        sa.Column("treatment_function_code", sa.String(length=3), nullable=False),
        sa.Column("pathway_stage", sa.String(length=12), nullable=False),
        sa.Column("priority_code", sa.String(length=4), nullable=False),
        sa.Column("rtt_clock_start", sa.Date(), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("ethnic_category", sa.String(length=2), nullable=False),
        sa.Column("lsoa_code", sa.String(length=9), nullable=True),
        sa.Column("imd_decile", sa.SmallInteger(), nullable=True),
        sa.Column("imd_source", sa.String(length=10), nullable=False),
        sa.Column("imd_edition", sa.String(length=20), nullable=True),
        sa.Column("inclusion_groups", sa.String(length=400), nullable=False),
        sa.Column("clinical_areas", sa.String(length=400), nullable=False),
        sa.Column("site_code", sa.String(length=9), nullable=True),
        sa.Column("priority_set_date", sa.Date(), nullable=True),
        sa.Column("procedure_code", sa.String(length=8), nullable=True),
        sa.Column("last_validated_date", sa.Date(), nullable=True),
        sa.Column("rtt_status", sa.String(length=2), nullable=True),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "first_batch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "last_batch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["first_batch_id"],
            ["upload_batches.id"],
            name=op.f("fk_ptl_entries_first_batch_id_upload_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["last_batch_id"],
            ["upload_batches.id"],
            name=op.f("fk_ptl_entries_last_batch_id_upload_batches"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ptl_entries")),
        sa.UniqueConstraint(
            "provider_code", "pathway_id", name=op.f("uq_ptl_entries_provider_code_pathway_id")
        ),
    )
    with op.batch_alter_table("ptl_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ptl_entries_list",
            ["provider_code", "is_open", "treatment_function_code"],
            unique=False,
        )
    for statement in _APPEND_ONLY.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade() -> None:
    for statement in _DROP_APPEND_ONLY.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    with op.batch_alter_table("ptl_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_ptl_entries_list")

    op.drop_table("ptl_entries")
    op.drop_table("imd_lsoas")
    op.drop_table("upload_batches")
    op.drop_table("treatment_functions")
    op.drop_table("priority_codes")
    op.drop_table("inclusion_groups")
    op.drop_table("imd_editions")
    op.drop_table("ethnic_categories")
    op.drop_table("clinical_areas")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_pathway")
        batch_op.drop_index(batch_op.f("ix_audit_events_occurred_at"))
        batch_op.drop_index("ix_audit_events_kind_time")
        batch_op.drop_index(batch_op.f("ix_audit_events_actor"))

    op.drop_table("audit_events")
