"""Bring a database to a usable state: migrate, load reference lists, load the default IMD."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select

from app.database import session_scope
from app.imd_loader import load_imd_file
from app.migrations import upgrade_to_head
from app.rankings.jobs import queue_for_reference_change
from app.reference_data import DEFAULT_IMD_FILE
from app.reference_sync import reference_digest, sync_reference_data
from models import ImdEdition

DEFAULT_IMD_EDITION = "iod2019"


def prepare_database(
    engine: Engine,
    *,
    load_default_imd: bool,
    show_progress: bool,
    reference_data_dir: Path | None = None,
) -> str:
    """Idempotently migrate ``engine``'s database and load reference data; returns a summary.

    ``reference_data_dir`` holds a trust's own lists (``EQUIWAIT_REFERENCE_DATA_DIR``).
    """
    upgrade_to_head(engine)
    with session_scope(engine) as session:
        before = reference_digest(session)
        counts = sync_reference_data(session, reference_data_dir)
        if reference_digest(session) != before:
            # A changed code list can reorder any list: re-rank them all in the background.
            queue_for_reference_change(session, actor="equiwait.migrate")
        lines = [f"reference table {name}: {count} rows" for name, count in counts.items()]
        if load_default_imd:
            loaded = session.scalar(
                select(ImdEdition.lsoa_count).where(ImdEdition.code == DEFAULT_IMD_EDITION)
            )
            if loaded is None:
                loaded = load_imd_file(
                    session, DEFAULT_IMD_FILE, DEFAULT_IMD_EDITION, show_progress=show_progress
                )
            lines.append(f"IMD edition {DEFAULT_IMD_EDITION}: {loaded} LSOAs")
    return "\n".join(["database migrated to head", *lines])
