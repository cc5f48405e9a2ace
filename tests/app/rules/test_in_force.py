from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.database import session_scope
from app.rules import rule_version_documents, rules_in_force
from app.rules.in_force import shipped_default_document
from prioritisation import load_default_rules
from tests.app.rules.factories import add_published, default_document, specialty_document

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def test_shipped_default_applies_when_nothing_is_published(engine):
    with session_scope(engine) as session:
        rules = rules_in_force(session, T0)
    assert rules.versions == {"default": None}
    assert rules.rulebook == load_default_rules()
    assert rules.documents == {"default": shipped_default_document()}
    assert rules.version_id_for("110") is None


def test_latest_effective_version_per_specialty_is_in_force(engine):
    with session_scope(engine) as session:
        d1 = add_published(
            session, "default", default_document(version="d1"), effective_from=T0, published_at=T0
        )
        s1 = add_published(
            session,
            "110",
            specialty_document("110", decile_1=25.0, version="s1"),
            effective_from=T0 + timedelta(days=1),
            published_at=T0,
        )
        s2 = add_published(
            session,
            "110",
            specialty_document("110", decile_1=30.0, version="s2"),
            effective_from=T0 + timedelta(days=10),  # scheduled in the future
            published_at=T0 + timedelta(hours=1),
        )
        ids = (d1.id, s1.id, s2.id)
    with session_scope(engine) as session:
        before = rules_in_force(session, T0 - timedelta(seconds=1))
        at_start = rules_in_force(session, T0)
        day_two = rules_in_force(session, T0 + timedelta(days=2))
        later = rules_in_force(session, (T0 + timedelta(days=10)).replace(tzinfo=None))
        documents = rule_version_documents(session, [ids[1], ids[2], 999_999])
    assert before.versions == {"default": None}
    assert at_start.versions == {"default": ids[0]}
    assert at_start.rulebook.default.version == "d1"
    assert day_two.versions == {"default": ids[0], "110": ids[1]}
    assert day_two.rulebook.rule_set_for("110").deprivation.decile_uplift_days[1] == 25.0
    assert day_two.version_id_for("110") == ids[1]
    assert day_two.version_id_for("120") == ids[0]
    assert day_two.details["110"].version == 1
    assert later.versions["110"] == ids[2]  # naive datetimes are read as UTC
    assert later.documents["110"]["version"] == "s2"
    assert set(documents) == {ids[1], ids[2]}
    assert documents[ids[2]]["deprivation"]["decile_uplift_days"]["1"] == 30.0


def test_ties_on_effective_time_go_to_the_latest_publication(engine):
    with session_scope(engine) as session:
        add_published(
            session,
            "default",
            default_document(version="late"),
            effective_from=T0,
            published_at=T0 + timedelta(hours=2),
        )
        add_published(
            session,
            "default",
            default_document(version="early"),
            effective_from=T0,
            published_at=T0 + timedelta(hours=1),
        )
    with session_scope(engine) as session:
        assert rules_in_force(session, T0).rulebook.default.version == "late"


def test_database_refuses_to_change_a_published_version(engine):
    with session_scope(engine) as session:
        row = add_published(
            session, "default", default_document(), effective_from=T0, published_at=T0
        )
        row_id = row.id
    with pytest.raises(DBAPIError, match="immutable"), engine.begin() as connection:
        connection.execute(
            text("UPDATE rule_set_versions SET publish_reason = 'edited' WHERE id = :id"),
            {"id": row_id},
        )
    with pytest.raises(DBAPIError, match="immutable"), engine.begin() as connection:
        connection.execute(text("DELETE FROM rule_set_versions WHERE id = :id"), {"id": row_id})
