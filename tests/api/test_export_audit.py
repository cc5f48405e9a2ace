"""Answers audited on the chain append their record last and commit it at once, and are not
served when the record cannot be written."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from app.database import session_scope
from models import AuditEvent
from tests.api.ptl_files import demo_csv
from tests.app.rankings.helpers import upload
from tests.conftest import WaitingClient


def _count(engine, kind):
    with session_scope(engine) as session:
        query = select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == kind)
        return session.scalar(query)


def _pathway(client, auth):
    page = client.get("/api/v1/ptl/ranked", params={"limit": 1}, headers=auth("clinician"))
    return page.json()["items"][0]["pathway_id"]


REQUESTS = {
    "ptl.exported": lambda client, auth, pathway: client.get(
        "/api/v1/ptl/ranked", params={"limit": 5}, headers=auth("scheduler")
    ),
    "rationale.accessed": lambda client, auth, pathway: client.get(
        f"/api/v1/ptl/entries/{pathway}/rationale",
        params={"provider": "RZZ"},
        headers=auth("auditor"),
    ),
}


@pytest.mark.parametrize("kind", sorted(REQUESTS))
def test_the_record_is_the_last_statement_and_committed_at_once(client, auth, kind):
    """Between the append and its commit nothing else runs on that connection: the chain's
    head is locked for as short a time as the append allows."""
    upload(client, auth, demo_csv(60, seed=61))
    pathway = _pathway(client, auth)
    engine = client.app.state.engine  # type: ignore[attr-defined]
    trace: list[tuple[int, str]] = []

    def statement(conn, cursor, sql, params, context, executemany):
        trace.append((id(conn.connection.dbapi_connection), " ".join(sql.split())[:40]))

    def commit(conn):
        trace.append((id(conn.connection.dbapi_connection), "COMMIT"))

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        answer = REQUESTS[kind](client, auth, pathway)
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)
    assert answer.status_code == 200, answer.text
    appended = [i for i, (_, sql) in enumerate(trace) if sql.startswith("INSERT INTO audit_events")]
    assert len(appended) == 1
    connection = trace[appended[0]][0]
    after = [sql for conn, sql in trace[appended[0] + 1 :] if conn == connection]
    assert after[:1] == ["COMMIT"]


@pytest.mark.parametrize("kind", sorted(REQUESTS))
def test_an_answer_whose_record_cannot_be_written_is_not_served(settings, auth, monkeypatch, kind):
    from app.main import create_app

    with WaitingClient(create_app(settings), raise_server_exceptions=False) as client:
        upload(client, auth, demo_csv(60, seed=62))
        pathway = _pathway(client, auth)
        engine = client.app.state.engine  # type: ignore[attr-defined]
        before = _count(engine, kind)

        refused = []

        def refuse(*args, **kwargs):
            refused.append(True)
            raise RuntimeError("audit store unavailable")

        monkeypatch.setattr("app.audit.event_hash", refuse)
        answer = REQUESTS[kind](client, auth, pathway)
        monkeypatch.undo()
        assert refused and answer.status_code == 500
        assert "items" not in answer.text and "sentence" not in answer.text
        assert _count(engine, kind) == before
