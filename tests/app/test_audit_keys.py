"""The keyed chain and its anchors: what someone with write access to the database can no
longer do unnoticed (rewrite and recompute, append a forgery, cut off the tail)."""

import hashlib
import json
import logging

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import text

from app.audit import AuditKind, _canonical, verify_chain
from app.audit_anchor import latest_anchor, verify_against_latest_anchor, write_anchor
from app.audit_keys import AuditKeyError, AuditKeys, bind_audit_keys
from app.database import session_scope
from app.settings import Settings
from models import AuditEvent
from tests.app.test_audit import _append, _disable_guard
from tests.conftest import TEST_SECRET

KEYS = AuditKeys.from_secret(TEST_SECRET)


def _last(engine):
    with session_scope(engine) as session:
        return session.scalars(select_last()).one()


def select_last():
    from sqlalchemy import select

    return select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)


def _verify(engine, path):
    with session_scope(engine) as session:
        return verify_against_latest_anchor(session, KEYS, path)


def test_new_records_are_keyed_with_the_signing_key(engine):
    _append(engine, 2)
    event = _last(engine)
    assert event.key_id == "secret"
    assert event.hash == KEYS.sign(_canonical(event))
    assert event.hash != hashlib.sha256(_canonical(event)).hexdigest()


def test_a_rewritten_and_recomputed_record_is_found_without_the_key(engine):
    _append(engine, 3)
    with session_scope(engine) as session:
        event = session.scalars(select_last()).one()
        event.actor = "mallory"
        forged = hashlib.sha256(_canonical(event)).hexdigest()  # what a keyless attacker can do
        target = event.id
        session.rollback()
    with engine.begin() as connection:
        _disable_guard(connection)
        connection.execute(
            text("UPDATE audit_events SET actor = 'mallory', hash = :h WHERE id = :id"),
            {"h": forged, "id": target},
        )
    with session_scope(engine) as session:
        report = verify_chain(session, keys=KEYS)
    assert not report.valid and report.first_broken_id == target
    assert report.reason == "record content does not match its hash"


def _insert_forgery(engine, key_id, sign):
    last = _last(engine)
    forged = AuditEvent(
        id=last.id + 1,
        occurred_at=last.occurred_at,
        actor="mallory",
        kind=AuditKind.OVERRIDE_CREATED.value,
        details={"reason": "forged"},
        prev_hash=last.hash,
        key_id=key_id,
    )
    forged.hash = sign(forged)
    with session_scope(engine) as session:
        session.add(forged)
    return forged.id


@pytest.mark.parametrize(
    ("key_id", "sign", "reason"),
    [
        (None, lambda e: hashlib.sha256(_canonical(e)).hexdigest(), "not keyed"),
        ("secret", lambda e: AuditKeys.from_secret("guess").sign(_canonical(e)), "content"),
        ("other", lambda e: AuditKeys.parse("other:k").sign(_canonical(e)), "unknown key"),
    ],
)
def test_a_forged_appended_record_is_found(engine, tmp_path, key_id, sign, reason):
    _append(engine, 2)
    with session_scope(engine) as session:
        write_anchor(session, KEYS, tmp_path / "anchors.jsonl")
    forged = _insert_forgery(engine, key_id, sign)
    report = _verify(engine, tmp_path / "anchors.jsonl")
    assert not report.valid and report.first_broken_id == forged
    assert reason in report.reason


def test_a_cut_off_tail_is_found_against_the_latest_anchor(engine, tmp_path, caplog):
    path = tmp_path / "anchors.jsonl"
    _append(engine, 4)
    with caplog.at_level(logging.INFO, logger="equiwait.audit"), session_scope(engine) as s:
        anchor = write_anchor(s, KEYS, path)
    assert anchor is not None and f'"event_id":{anchor.event_id}' in caplog.text
    assert _verify(engine, path).valid
    with engine.begin() as connection:
        _disable_guard(connection)
        connection.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": anchor.event_id})
    with session_scope(engine) as session:
        assert verify_chain(session, keys=KEYS).valid  # the chain alone cannot tell
    report = _verify(engine, path)
    assert not report.valid
    assert report.first_broken_id == anchor.event_id
    assert report.anchored_event_id == anchor.event_id
    assert "ends before its anchored head" in report.reason


def test_a_replaced_anchored_record_is_found(engine, tmp_path):
    path = tmp_path / "anchors.jsonl"
    _append(engine, 3)
    with session_scope(engine) as session:
        anchor = write_anchor(session, KEYS, path)
    with engine.begin() as connection:
        _disable_guard(connection)
        connection.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": anchor.event_id})
    # Someone holding the key re-appends a different record in its place.
    _append(engine, 1)
    report = _verify(engine, path)
    assert not report.valid and report.first_broken_id == anchor.event_id
    assert report.reason == "record does not match the anchored head"


def test_an_altered_anchor_is_refused(engine, tmp_path):
    path = tmp_path / "anchors.jsonl"
    _append(engine, 2)
    with session_scope(engine) as session:
        write_anchor(session, KEYS, path)
    line = json.loads(path.read_text().splitlines()[-1])
    path.write_text(json.dumps({**line, "event_id": line["event_id"] - 1}) + "\n")
    report = _verify(engine, path)
    assert not report.valid and "not signed by a known key" in report.reason
    path.write_text("not json\n")
    assert "cannot be read" in _verify(engine, path).reason
    assert latest_anchor(tmp_path / "none.jsonl", KEYS) is None


def _with_secret(keys: AuditKeys) -> AuditKeys:
    """``keys`` plus the secret's key, which signed the template's first records."""
    return AuditKeys(keys.signing_id, {**keys.keys, "secret": KEYS.keys["secret"]})


def test_rotated_keys_still_verify_older_records(engine):
    old = _with_secret(AuditKeys.parse("2026-11:" + "a" * 40))
    bind_audit_keys(engine, old)
    _append(engine, 2)
    rotated = _with_secret(AuditKeys.parse(f"2026-12:{'b' * 40},2026-11:{'a' * 40}"))
    bind_audit_keys(engine, rotated)
    _append(engine, 2)
    with session_scope(engine) as session:
        ids = [e.key_id for e in session.scalars(select_last().limit(10))]
        assert verify_chain(session, keys=rotated).valid
        retired = verify_chain(session, keys=_with_secret(AuditKeys.parse("2026-12:" + "b" * 40)))
    assert ids[0] == "2026-12"
    assert not retired.valid and "unknown key '2026-11'" in retired.reason


def test_records_from_before_the_chain_was_keyed_still_verify(engine):
    """Records written with a plain SHA-256 and no key id (before the keyed chain)."""
    _append(engine, 1)
    with engine.begin() as connection:
        _disable_guard(connection)
        connection.execute(text("DELETE FROM audit_events"))
    from datetime import UTC, datetime

    legacy = AuditEvent(
        id=1,
        occurred_at=datetime(2026, 11, 1, tzinfo=UTC),
        actor="cli",
        kind=AuditKind.IMD_LOADED.value,
        details={},
        prev_hash="0" * 64,
        key_id=None,
    )
    legacy.hash = hashlib.sha256(_canonical(legacy)).hexdigest()
    with session_scope(engine) as session:
        session.add(legacy)
    _append(engine, 2)
    with session_scope(engine) as session:
        assert verify_chain(session, keys=KEYS).valid


def test_audit_keys_settings_are_checked():
    with pytest.raises(AuditKeyError):
        AuditKeys.parse("no-colon")
    with pytest.raises(AuditKeyError):
        AuditKeys.parse("a:1,a:2")
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(environment="production", secret_key="s" * 40, audit_keys="k1:short")
    settings = Settings(environment="test", secret_key=TEST_SECRET, audit_keys="k2:x,k1:y")
    keys = AuditKeys.from_settings(settings)
    assert keys.signing_id == "k2" and {"k1", "k2", "secret"} <= set(keys.keys)


def test_the_serving_process_anchors_the_head_when_it_stops(settings, auth, tmp_path):
    from app.main import create_app

    path = tmp_path / "served.jsonl"
    anchoring = settings.model_copy(
        update={"audit_anchor_interval_seconds": 3600, "audit_anchor_file": path}
    )
    with TestClient(create_app(anchoring)) as client:
        assert client.get("/api/v1/audit", headers=auth("admin")).status_code == 200
        assert client.get("/api/v1/audit").status_code == 401  # recorded: the head moves
    anchor = latest_anchor(path, KEYS)
    assert anchor is not None
    with TestClient(create_app(anchoring)) as client:
        verified = client.get("/api/v1/audit/verify", headers=auth("auditor")).json()
    assert verified["valid"] and verified["anchored_event_id"] == anchor.event_id


def test_the_serving_process_anchors_periodically(settings, auth, tmp_path):
    import time

    from app.main import create_app

    path = tmp_path / "periodic.jsonl"
    anchoring = settings.model_copy(
        update={"audit_anchor_interval_seconds": 1, "audit_anchor_file": path}
    )
    with TestClient(create_app(anchoring)) as client:
        assert client.get("/api/v1/audit").status_code == 401  # a record: the head moves
        for _ in range(100):  # the first anchor is due after one interval
            if path.exists():
                break
            time.sleep(0.1)
        assert path.exists(), "no anchor written while serving"
