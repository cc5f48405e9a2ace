"""Rule set versions: drafts and published rule documents per specialty.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 20:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

#: Published (and discarded) versions are frozen at the database level too: only drafts change.
_FROZEN = {
    "sqlite": [
        """CREATE TRIGGER rule_set_versions_frozen_update BEFORE UPDATE ON rule_set_versions
        WHEN OLD.status <> 'draft'
        BEGIN SELECT RAISE(ABORT, 'rule_set_versions: a published version is immutable'); END""",
        """CREATE TRIGGER rule_set_versions_frozen_delete BEFORE DELETE ON rule_set_versions
        WHEN OLD.status <> 'draft'
        BEGIN SELECT RAISE(ABORT, 'rule_set_versions: a published version is immutable'); END""",
    ],
    "postgresql": [
        """CREATE FUNCTION rule_set_versions_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF OLD.status <> 'draft' THEN
                RAISE EXCEPTION 'rule_set_versions: a published version is immutable (id %)',
                    OLD.id;
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END $$""",
        """CREATE TRIGGER rule_set_versions_frozen BEFORE UPDATE OR DELETE ON rule_set_versions
        FOR EACH ROW EXECUTE FUNCTION rule_set_versions_frozen()""",
    ],
}
_DROP_FROZEN = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS rule_set_versions_frozen_update",
        "DROP TRIGGER IF EXISTS rule_set_versions_frozen_delete",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS rule_set_versions_frozen ON rule_set_versions",
        "DROP FUNCTION IF EXISTS rule_set_versions_frozen()",
    ],
}

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "rule_set_versions",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("specialty", sa.String(length=7), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.Column("based_on_id", _BIG_ID, nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=200), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("effective_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("publish_reason", sa.Text(), nullable=True),
        sa.Column("republished_from_id", _BIG_ID, nullable=True),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'discarded')",
            name=op.f("ck_rule_set_versions_status"),
        ),
        sa.ForeignKeyConstraint(
            ["based_on_id"],
            ["rule_set_versions.id"],
            name=op.f("fk_rule_set_versions_based_on_id_rule_set_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["republished_from_id"],
            ["rule_set_versions.id"],
            name=op.f("fk_rule_set_versions_republished_from_id_rule_set_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_set_versions")),
        sa.UniqueConstraint(
            "specialty", "version", name=op.f("uq_rule_set_versions_specialty_version")
        ),
    )
    with op.batch_alter_table("rule_set_versions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rule_set_versions_in_force",
            ["status", "specialty", "effective_from"],
            unique=False,
        )
    for statement in _FROZEN.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade() -> None:
    for statement in _DROP_FROZEN.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    with op.batch_alter_table("rule_set_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_rule_set_versions_in_force")
    op.drop_table("rule_set_versions")
