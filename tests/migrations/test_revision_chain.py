"""The migrations form one linear chain that upgrades and downgrades cleanly on each backend."""

from __future__ import annotations

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from app.migrations import alembic_config, current_revisions, head_revisions, upgrade_to_head


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def test_there_is_exactly_one_head():
    assert len(head_revisions()) == 1


def test_every_revision_has_at_most_one_parent_and_one_child():
    script = _script()
    revisions = list(script.walk_revisions())
    assert [r for r in revisions if r.is_merge_point] == []
    assert [r for r in revisions if r.is_branch_point] == []
    assert sum(1 for r in revisions if r.down_revision is None) == 1


def _downgrade(engine: Engine, target: str) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, target)


def test_downgrade_to_base_and_upgrade_again(engine):
    tables_at_head = set(inspect(engine).get_table_names())
    assert current_revisions(engine) == head_revisions()

    _downgrade(engine, "base")
    engine.dispose()
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    assert current_revisions(engine) == frozenset()

    upgrade_to_head(engine)
    engine.dispose()
    assert current_revisions(engine) == head_revisions()
    assert set(inspect(engine).get_table_names()) == tables_at_head


def test_ranked_data_survive_the_background_ranking_revision_down_and_up(engine, settings):
    """0008 rebuilds ranking_runs on SQLite: stored runs, results and their immutability stay,
    and every list with open entries is recorded, so the first start re-ranks it."""
    import io
    from datetime import date

    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from app.database import session_scope
    from app.ingestion import IngestRequest, ingest_csv, upload_rankings
    from app.jobs import run_due
    from tests.api.ptl_files import demo_csv

    with session_scope(engine) as session:
        outcome = ingest_csv(
            session,
            io.BytesIO(demo_csv(80, seed=81)),
            IngestRequest(actor="m", mode="replace"),
            today=date.today(),
        )
        upload_rankings(session, outcome.batch, actor="m", replayed=False)
    assert run_due(engine, settings) == 1
    _downgrade(engine, "0007")
    upgrade_to_head(engine)
    engine.dispose()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM ranking_results")).scalar() == 80
        lists = connection.execute(text("SELECT count(*), count(run_id) FROM ranking_lists")).one()
    assert lists[0] > 0 and lists[1] == 0
    with pytest.raises(DBAPIError, match="immutable"), engine.begin() as connection:
        connection.execute(text("UPDATE ranking_runs SET entry_count = 1"))
