"""The tables in models/ are exactly what the migrations build, and batches are kept."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.database import session_scope
from models import UploadBatch
from models.base import Base


def _ours(name, type_, parent_names):
    """Everything but the job queue's own tables (procrastinate's schema, PostgreSQL only)."""
    return not (type_ == "table" and name is not None and name.startswith("procrastinate_"))


def test_the_migrated_schema_matches_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": _ours}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_an_upload_batch_is_never_deleted(engine):
    with session_scope(engine) as session:
        session.add(
            UploadBatch(
                source="csv",
                mode="replace",
                checksum_sha256="0" * 64,
                submitted_by="test",
                outcome="succeeded",
            )
        )
    with pytest.raises(DBAPIError, match="never deleted"), engine.begin() as connection:
        connection.execute(text("DELETE FROM upload_batches"))
