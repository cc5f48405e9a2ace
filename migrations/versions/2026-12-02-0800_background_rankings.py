"""Background ranking: jobs, per-list serving state, the lists each run ranked, and the
procrastinate queue on PostgreSQL.

- ``jobs``: every background job's state, progress and error (both databases).
- ``ranking_lists``: which run serves each list and whether a change waits for a re-rank.
- ``ranking_run_lists``: the lists a run ranked, with the columns the equity report reads.
- ``ranking_runs.trigger`` also takes ``change`` (a re-rank after a change other than an
  upload) and ``ranking_runs.job_id`` names the job that made a run.
- ``equity_snapshots.backfilled`` marks weeks computed later from stored history.
- Lists with open entries are recorded as never ranked, so the first start re-ranks them.
- PostgreSQL: procrastinate's schema (its queue tables and functions), from the pinned
  procrastinate package.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 08:00:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIMESTAMP = sa.DateTime(timezone=True)

#: The SQLite triggers of ranking_runs, dropped with the table when it is rebuilt.
_SQLITE_RUN_TRIGGERS = (
    """CREATE TRIGGER ranking_runs_frozen_update BEFORE UPDATE ON ranking_runs
    WHEN OLD.completed_at IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'ranking_runs: a completed run is immutable'); END""",
    """CREATE TRIGGER ranking_runs_frozen_delete BEFORE DELETE ON ranking_runs
    WHEN OLD.completed_at IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'ranking_runs: a completed run is immutable'); END""",
)
_DROP_PROCRASTINATE = """
DO $$
DECLARE item record;
BEGIN
    FOR item IN SELECT tablename FROM pg_tables
        WHERE schemaname = current_schema() AND tablename LIKE 'procrastinate%' LOOP
        EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', item.tablename);
    END LOOP;
    FOR item IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate%' LOOP
        EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', item.signature);
    END LOOP;
    FOR item IN SELECT t.typname FROM pg_type t
        JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate%'
        AND t.typtype IN ('e', 'c') LOOP
        EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', item.typname);
    END LOOP;
END $$
"""


def _run_raw(sql: str) -> None:
    """A multi-statement script on the migration's own connection, without placeholders."""
    raw = op.get_bind().connection.driver_connection
    assert raw is not None
    raw.execute(sql)


def _set_run_triggers(values: str, *, drop_job_id: bool = False) -> None:
    """Let ``ranking_runs.trigger`` take ``values`` (and drop ``job_id`` on the way down)."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        # Rebuilding the table drops its triggers (re-created below); its rows keep their ids,
        # so the results referring to them stay true. The rows referring to it are not checked
        # while the old table is dropped: outside a transaction foreign keys are off, inside
        # one their checks wait for the commit, when the rebuilt table holds every id again.
        # A later revision's step may have opened a transaction (its version update), where
        # the pragma does nothing: finish those steps first. Alembic treats SQLite's DDL as
        # non-transactional, so each step stands on its own and the recorded version is right.
        raw = op.get_bind().connection.driver_connection
        if raw is not None and raw.in_transaction:
            raw.commit()
        op.execute("PRAGMA foreign_keys = OFF")
        op.execute("PRAGMA defer_foreign_keys = ON")
        with op.batch_alter_table("ranking_runs", recreate="always") as batch_op:
            batch_op.drop_constraint(op.f("ck_ranking_runs_trigger"), type_="check")
            batch_op.create_check_constraint(
                op.f("ck_ranking_runs_trigger"), f"trigger IN ({values})"
            )
            if drop_job_id:
                batch_op.drop_column("job_id")
        op.execute("PRAGMA foreign_keys = ON")
        for statement in _SQLITE_RUN_TRIGGERS:
            op.execute(statement)
        return
    if drop_job_id:
        op.drop_column("ranking_runs", "job_id")
    op.drop_constraint(op.f("ck_ranking_runs_trigger"), "ranking_runs", type_="check")
    op.create_check_constraint(
        op.f("ck_ranking_runs_trigger"), "ranking_runs", f"trigger IN ({values})"
    )


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("task", sa.String(length=60), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("coalesce_key", sa.String(length=200), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Column("run_after", _TIMESTAMP, nullable=False),
        sa.Column("started_at", _TIMESTAMP, nullable=True),
        sa.Column("heartbeat_at", _TIMESTAMP, nullable=True),
        sa.Column("finished_at", _TIMESTAMP, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("progress", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("queue_job_id", _BIG_ID, nullable=True),
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'succeeded', 'failed')", name=op.f("ck_jobs_state")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_due", ["state", "run_after"], unique=False)
        batch_op.create_index("ix_jobs_coalesce", ["coalesce_key", "state"], unique=False)

    _set_run_triggers("'upload', 'manual', 'change'")
    with op.batch_alter_table("ranking_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("job_id", _BIG_ID, nullable=True))

    op.create_table(
        "ranking_lists",
        sa.Column("provider_code", sa.String(length=5), nullable=False),
        sa.Column("treatment_function_code", sa.String(length=3), nullable=False),
        sa.Column("pathway_stage", sa.String(length=12), nullable=False),
        sa.Column("run_id", _BIG_ID, nullable=True),
        sa.Column("change_seq", sa.Integer(), nullable=False),
        sa.Column("ranked_seq", sa.Integer(), nullable=False),
        sa.Column("changed_at", _TIMESTAMP, nullable=False),
        sa.Column("served_at", _TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["ranking_runs.id"], name=op.f("fk_ranking_lists_run_id_ranking_runs")
        ),
        sa.PrimaryKeyConstraint(
            "provider_code",
            "treatment_function_code",
            "pathway_stage",
            name=op.f("pk_ranking_lists"),
        ),
    )
    op.create_table(
        "ranking_run_lists",
        sa.Column("run_id", _BIG_ID, nullable=False),
        sa.Column("treatment_function_code", sa.String(length=3), nullable=False),
        sa.Column("pathway_stage", sa.String(length=12), nullable=False),
        sa.Column("provider_code", sa.String(length=5), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("parked_count", sa.Integer(), nullable=False),
        sa.Column("report_columns", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["ranking_runs.id"],
            name=op.f("fk_ranking_run_lists_run_id_ranking_runs"),
        ),
        sa.PrimaryKeyConstraint(
            "run_id",
            "treatment_function_code",
            "pathway_stage",
            name=op.f("pk_ranking_run_lists"),
        ),
    )
    with op.batch_alter_table("ranking_run_lists", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ranking_run_lists_list",
            ["provider_code", "treatment_function_code", "pathway_stage", "run_id"],
            unique=False,
        )
    # Every list with open entries starts as never ranked under this scheme: the service's
    # start-up sweep re-ranks them all in the background.
    op.execute(
        sa.text(
            "INSERT INTO ranking_lists (provider_code, treatment_function_code, pathway_stage, "
            "change_seq, ranked_seq, changed_at) "
            "SELECT DISTINCT provider_code, treatment_function_code, pathway_stage, 1, 0, :now "
            "FROM ptl_entries WHERE is_open = :open"
        ).bindparams(
            sa.bindparam("now", datetime.now(UTC), type_=_TIMESTAMP),
            sa.bindparam("open", True, type_=sa.Boolean()),
        )
    )
    with op.batch_alter_table("equity_snapshots", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("backfilled", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    if op.get_bind().dialect.name == "postgresql":
        from procrastinate.schema import SchemaManager

        _run_raw(SchemaManager.get_schema())


def downgrade() -> None:
    _set_run_triggers("'upload', 'manual'", drop_job_id=True)
    if op.get_bind().dialect.name == "postgresql":
        _run_raw(_DROP_PROCRASTINATE)
    with op.batch_alter_table("equity_snapshots", schema=None) as batch_op:
        batch_op.drop_column("backfilled")
    with op.batch_alter_table("ranking_run_lists", schema=None) as batch_op:
        batch_op.drop_index("ix_ranking_run_lists_list")
    op.drop_table("ranking_run_lists")
    op.drop_table("ranking_lists")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_coalesce")
        batch_op.drop_index("ix_jobs_due")
    op.drop_table("jobs")
