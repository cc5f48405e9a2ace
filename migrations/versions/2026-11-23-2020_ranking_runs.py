"""Ranking runs, their per-entry results (immutable snapshots) and clinicians' overrides.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 20:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

#: A completed run and its results are snapshots: the database refuses to change them.
_FROZEN = {
    "sqlite": [
        """CREATE TRIGGER ranking_runs_frozen_update BEFORE UPDATE ON ranking_runs
        WHEN OLD.completed_at IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'ranking_runs: a completed run is immutable'); END""",
        """CREATE TRIGGER ranking_runs_frozen_delete BEFORE DELETE ON ranking_runs
        WHEN OLD.completed_at IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'ranking_runs: a completed run is immutable'); END""",
        """CREATE TRIGGER ranking_results_no_update BEFORE UPDATE ON ranking_results
        BEGIN SELECT RAISE(ABORT, 'ranking_results is immutable'); END""",
        """CREATE TRIGGER ranking_results_no_delete BEFORE DELETE ON ranking_results
        BEGIN SELECT RAISE(ABORT, 'ranking_results is immutable'); END""",
    ],
    "postgresql": [
        """CREATE FUNCTION ranking_runs_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF OLD.completed_at IS NOT NULL THEN
                RAISE EXCEPTION 'ranking_runs: a completed run is immutable (id %)', OLD.id;
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END $$""",
        """CREATE TRIGGER ranking_runs_frozen BEFORE UPDATE OR DELETE ON ranking_runs
        FOR EACH ROW EXECUTE FUNCTION ranking_runs_frozen()""",
        """CREATE FUNCTION ranking_results_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'ranking_results is immutable'; END $$""",
        """CREATE TRIGGER ranking_results_no_change BEFORE UPDATE OR DELETE ON ranking_results
        FOR EACH ROW EXECUTE FUNCTION ranking_results_immutable()""",
    ],
}
_DROP_FROZEN = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS ranking_runs_frozen_update",
        "DROP TRIGGER IF EXISTS ranking_runs_frozen_delete",
        "DROP TRIGGER IF EXISTS ranking_results_no_update",
        "DROP TRIGGER IF EXISTS ranking_results_no_delete",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS ranking_results_no_change ON ranking_results",
        "DROP FUNCTION IF EXISTS ranking_results_immutable()",
        "DROP TRIGGER IF EXISTS ranking_runs_frozen ON ranking_runs",
        "DROP FUNCTION IF EXISTS ranking_runs_frozen()",
    ],
}

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ranking_runs",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("provider_code", sa.String(length=5), nullable=False),
        sa.Column("census_date", sa.Date(), nullable=False),
        sa.Column("rules_at", _TIMESTAMP, nullable=False),
        sa.Column("started_at", _TIMESTAMP, nullable=False),
        sa.Column("completed_at", _TIMESTAMP, nullable=True),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("trigger", sa.String(length=10), nullable=False),
        sa.Column("upload_batch_id", _BIG_ID, nullable=True),
        sa.Column("specialties", sa.JSON(), nullable=True),
        sa.Column("rule_versions", sa.JSON(), nullable=False),
        sa.Column("imd_edition", sa.String(length=20), nullable=False),
        sa.Column("inputs_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("parked_count", sa.Integer(), nullable=False),
        sa.Column("list_count", sa.Integer(), nullable=False),
        sa.Column("override_count", sa.Integer(), nullable=False),
        sa.CheckConstraint("trigger IN ('upload', 'manual')", name=op.f("ck_ranking_runs_trigger")),
        sa.ForeignKeyConstraint(
            ["upload_batch_id"],
            ["upload_batches.id"],
            name=op.f("fk_ranking_runs_upload_batch_id_upload_batches"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ranking_runs")),
    )
    with op.batch_alter_table("ranking_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ranking_runs_latest", ["provider_code", "completed_at", "id"], unique=False
        )

    op.create_table(
        "ranking_overrides",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("provider_code", sa.String(length=5), nullable=False),
        sa.Column("pathway_id", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=13), nullable=False),
        sa.Column("days", sa.Float(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("expires_at", _TIMESTAMP, nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Column("revoked_at", _TIMESTAMP, nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('pin_ahead', 'hold_back', 'adjust_uplift')",
            name=op.f("ck_ranking_overrides_kind"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ranking_overrides")),
    )
    with op.batch_alter_table("ranking_overrides", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ranking_overrides_pathway",
            ["provider_code", "pathway_id", "expires_at"],
            unique=False,
        )

    op.create_table(
        "ranking_results",
        sa.Column("run_id", _BIG_ID, nullable=False),
        sa.Column("pathway_id", sa.String(length=20), nullable=False),
        sa.Column("entry_id", _BIG_ID, nullable=False),
        sa.Column("provider_code", sa.String(length=5), nullable=False),
        sa.Column("treatment_function_code", sa.String(length=3), nullable=False),
        sa.Column("pathway_stage", sa.String(length=12), nullable=False),
        sa.Column("priority_code", sa.String(length=4), nullable=False),
        sa.Column("priority_defaulted", sa.Boolean(), nullable=False),
        sa.Column("site_code", sa.String(length=9), nullable=True),
        sa.Column("list_size", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("list_position", sa.Integer(), nullable=False),
        sa.Column("conventional_rank", sa.Integer(), nullable=False),
        sa.Column("wait_days", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("wait", sa.Float(), nullable=False),
        sa.Column("deprivation", sa.Float(), nullable=False),
        sa.Column("ethnicity", sa.Float(), nullable=False),
        sa.Column("core20", sa.Float(), nullable=False),
        sa.Column("inclusion", sa.Float(), nullable=False),
        sa.Column("clinical_area", sa.Float(), nullable=False),
        sa.Column("cap", sa.Float(), nullable=False),
        sa.Column("override", sa.Float(), nullable=False),
        sa.Column("uplift_uncapped", sa.Float(), nullable=False),
        sa.Column("cap_days", sa.Float(), nullable=False),
        sa.Column("protected", sa.Boolean(), nullable=False),
        sa.Column("protection_reason", sa.String(length=40), nullable=False),
        sa.Column("capped", sa.Boolean(), nullable=False),
        sa.Column("parked", sa.Boolean(), nullable=False),
        sa.Column("parked_reason", sa.String(length=20), nullable=False),
        sa.Column("rule_set_key", sa.String(length=7), nullable=False),
        sa.Column("rule_set_version", sa.String(length=64), nullable=False),
        sa.Column("rule_version_id", _BIG_ID, nullable=True),
        sa.Column("override_id", _BIG_ID, nullable=True),
        sa.Column("override_kind", sa.String(length=13), nullable=False),
        sa.Column("override_status", sa.String(length=20), nullable=False),
        sa.Column("rtt_clock_start", sa.Date(), nullable=False),
        sa.Column("imd_decile", sa.SmallInteger(), nullable=True),
        sa.Column("imd_measure_decile", sa.SmallInteger(), nullable=True),
        sa.Column("imd_source", sa.String(length=10), nullable=False),
        sa.Column("imd_edition", sa.String(length=20), nullable=True),
        sa.Column("ethnic_category", sa.String(length=2), nullable=False),
        sa.Column("ethnic_group", sa.String(length=20), nullable=False),
        sa.Column("inclusion_groups", sa.String(length=400), nullable=False),
        sa.Column("clinical_areas", sa.String(length=400), nullable=False),
        sa.Column("rtt_status", sa.String(length=2), nullable=True),
        sa.Column("priority_set_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["ranking_runs.id"], name=op.f("fk_ranking_results_run_id_ranking_runs")
        ),
        sa.ForeignKeyConstraint(
            ["override_id"],
            ["ranking_overrides.id"],
            name=op.f("fk_ranking_results_override_id_ranking_overrides"),
        ),
        sa.PrimaryKeyConstraint("run_id", "pathway_id", name=op.f("pk_ranking_results")),
    )
    with op.batch_alter_table("ranking_results", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ranking_results_list",
            [
                "run_id",
                "provider_code",
                "treatment_function_code",
                "pathway_stage",
                "list_position",
            ],
            unique=False,
        )
    for statement in _FROZEN.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade() -> None:
    for statement in _DROP_FROZEN.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    with op.batch_alter_table("ranking_results", schema=None) as batch_op:
        batch_op.drop_index("ix_ranking_results_list")
    op.drop_table("ranking_results")
    with op.batch_alter_table("ranking_overrides", schema=None) as batch_op:
        batch_op.drop_index("ix_ranking_overrides_pathway")
    op.drop_table("ranking_overrides")
    with op.batch_alter_table("ranking_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_ranking_runs_latest")
    op.drop_table("ranking_runs")
