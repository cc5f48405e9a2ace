from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.audit import GENESIS_HASH, AuditKind, record_event, verify_chain
from app.database import session_scope


def _append(engine, count):
    with session_scope(engine) as session:
        for i in range(count):
            record_event(session, "tester", AuditKind.RANKING_RUN, details={"n": i, "w": 1.5})


def _disable_guard(connection):
    """Simulate someone with raw database access bypassing the append-only triggers."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET session_replication_role = replica"))
    else:
        connection.execute(text("DROP TRIGGER audit_events_no_update"))
        connection.execute(text("DROP TRIGGER audit_events_no_delete"))


def test_chain_links_every_event_to_the_previous(engine):
    _append(engine, 5)
    with session_scope(engine) as session:
        report = verify_chain(session, batch_size=2)
        first = session.execute(text("SELECT prev_hash FROM audit_events WHERE id = 1")).scalar()
    assert report.valid
    assert report.events_checked >= 5
    assert first == GENESIS_HASH


def test_database_refuses_update_and_delete(engine):
    _append(engine, 1)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET actor = 'mallory'"))
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events"))


def test_verify_finds_an_altered_record(engine):
    _append(engine, 4)
    with engine.begin() as connection:
        _disable_guard(connection)
        target = connection.execute(text("SELECT max(id) - 1 FROM audit_events")).scalar()
        connection.execute(
            text("UPDATE audit_events SET actor = 'mallory' WHERE id = :id"), {"id": target}
        )
    with session_scope(engine) as session:
        report = verify_chain(session)
    assert not report.valid
    assert report.first_broken_id == target
    assert "content" in report.reason


def test_verify_finds_a_removed_record(engine):
    _append(engine, 4)
    with engine.begin() as connection:
        _disable_guard(connection)
        target = connection.execute(text("SELECT max(id) - 2 FROM audit_events")).scalar()
        connection.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": target})
    with session_scope(engine) as session:
        report = verify_chain(session)
    assert not report.valid
    assert report.first_broken_id == target + 1
    assert "missing" in report.reason


def test_a_moment_in_another_zone_is_hashed_as_stored_in_utc(engine):
    from datetime import datetime, timedelta, timezone

    moment = datetime(2026, 11, 23, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    with session_scope(engine) as session:
        event = record_event(session, "tester", AuditKind.RANKING_RUN, occurred_at=moment)
        assert event.occurred_at.utcoffset() == timedelta(0)
    with session_scope(engine) as session:
        assert verify_chain(session).valid


def test_a_person_is_recorded_by_identifier_and_name(engine):
    import json

    from app.audit_keys import audit_keys_for
    from app.security import Actor
    from models import AuditEvent

    with session_scope(engine) as session:
        named = record_event(session, Actor("7f3a", "Dr Amara Okafor"), AuditKind.RANKING_RUN)
        machine = record_event(session, "pas.feed", AuditKind.RANKING_RUN)
        assert (named.actor, named.actor_name) == ("7f3a", "Dr Amara Okafor")
        assert machine.actor_name is None
        fields = (
            "id",
            "actor",
            "kind",
            "provider_code",
            "treatment_function_code",
            "pathway_id",
            "subject_type",
            "subject_id",
            "details",
            "prev_hash",
        )
        payload = {name: getattr(machine, name) for name in fields}
        payload["occurred_at"] = machine.occurred_at.isoformat(timespec="microseconds")
        payload["key_id"] = machine.key_id
        unnamed = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        keys = audit_keys_for(session)
        assert machine.hash == keys.sign(unnamed, machine.key_id)  # no actor_name key at all
        named_payload = {name: getattr(named, name) for name in fields}
        named_payload["occurred_at"] = named.occurred_at.isoformat(timespec="microseconds")
        named_payload["key_id"] = named.key_id
        named_payload["actor_name"] = "Dr Amara Okafor"
        with_name = json.dumps(named_payload, sort_keys=True, separators=(",", ":")).encode()
        assert named.hash == keys.sign(with_name, named.key_id)
        assert verify_chain(session).valid
        session.flush()
    with engine.begin() as connection:
        _disable_guard(connection)
        connection.execute(
            text("UPDATE audit_events SET actor_name = 'Someone Else' WHERE id = :id"),
            {"id": named.id},
        )
    with session_scope(engine) as session:
        report = verify_chain(session)
        assert (report.valid, report.first_broken_id) == (False, named.id)
        assert session.get(AuditEvent, named.id) is not None


def test_concurrent_writers_append_one_unbroken_chain(engine):
    """Requests and in-process jobs append at once; none may read the same chain head."""

    def writer(n: int) -> None:
        for i in range(5):
            with session_scope(engine) as session:
                session.execute(text("SELECT count(*) FROM audit_events")).scalar()  # a read first
                record_event(session, f"writer{n}", AuditKind.RANKING_RUN, details={"i": i})

    with ThreadPoolExecutor(max_workers=4) as pool:
        for future in [pool.submit(writer, n) for n in range(4)]:
            future.result()
    with session_scope(engine) as session:
        report = verify_chain(session)
        written = session.execute(
            text("SELECT count(*) FROM audit_events WHERE actor LIKE 'writer%'")
        ).scalar()
    assert report.valid
    assert written == 20


def test_an_append_writes_the_callers_pending_changes_too(engine):
    """As when the event went through the session's flush: what the caller added before
    recording it is written by then, and the event itself is in the database, not the session."""
    from models import AuditEvent, TreatmentFunction

    with session_scope(engine) as session:
        session.add(TreatmentFunction(code="Z99", name="Test specialty"))
        event = record_event(session, "tester", AuditKind.RANKING_RUN)
        assert not session.new and event not in session
        written = text("SELECT name FROM treatment_functions WHERE code = 'Z99'")
        assert session.execute(written).scalar() == "Test specialty"
        assert session.get(AuditEvent, event.id).hash == event.hash
    with session_scope(engine) as session:
        assert verify_chain(session).valid
