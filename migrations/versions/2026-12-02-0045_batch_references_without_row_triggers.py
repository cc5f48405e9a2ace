"""PTL entries name their upload batches without per-row foreign-key triggers; batches stay.

A PostgreSQL foreign key is checked by a trigger per inserted row: on a 1,000,000-row upload
the two batch references of ``ptl_entries`` cost about 11 s of a 27 s insert. Both ids are
written by the ingest from the batch row it inserted in the same transaction, so they cannot
name a missing batch when written; what keeps them true afterwards is that a batch is never
deleted, which this revision makes the database enforce (``upload_batches`` refuses DELETE).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 00:45:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FOREIGN_KEYS = (
    ("fk_ptl_entries_first_batch_id_upload_batches", "first_batch_id"),
    ("fk_ptl_entries_last_batch_id_upload_batches", "last_batch_id"),
)
_KEEP_BATCHES = {
    "sqlite": [
        """CREATE TRIGGER upload_batches_no_delete BEFORE DELETE ON upload_batches
        BEGIN SELECT RAISE(ABORT, 'upload_batches: a batch is a record and is never deleted');
        END""",
    ],
    "postgresql": [
        """CREATE FUNCTION upload_batches_kept() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'upload_batches: a batch is a record and is never deleted'; END $$""",
        """CREATE TRIGGER upload_batches_no_delete BEFORE DELETE ON upload_batches
        FOR EACH ROW EXECUTE FUNCTION upload_batches_kept()""",
        """CREATE TRIGGER upload_batches_no_truncate BEFORE TRUNCATE ON upload_batches
        FOR EACH STATEMENT EXECUTE FUNCTION upload_batches_kept()""",
    ],
}
_DROP_KEEP_BATCHES = {
    "sqlite": ["DROP TRIGGER IF EXISTS upload_batches_no_delete"],
    "postgresql": [
        "DROP TRIGGER IF EXISTS upload_batches_no_truncate ON upload_batches",
        "DROP TRIGGER IF EXISTS upload_batches_no_delete ON upload_batches",
        "DROP FUNCTION IF EXISTS upload_batches_kept()",
    ],
}


def upgrade() -> None:
    with op.batch_alter_table("ptl_entries", schema=None) as batch_op:
        for name, _column in _FOREIGN_KEYS:
            batch_op.drop_constraint(name, type_="foreignkey")
    for statement in _KEEP_BATCHES.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade() -> None:
    for statement in _DROP_KEEP_BATCHES.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    with op.batch_alter_table("ptl_entries", schema=None) as batch_op:
        for name, column in _FOREIGN_KEYS:
            batch_op.create_foreign_key(name, "upload_batches", [column], ["id"])
