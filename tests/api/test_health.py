from sqlalchemy import text

from app.migrations import head_revisions


def test_healthz_needs_no_token(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_readyz_reports_database_at_head(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["revision"] == ",".join(sorted(head_revisions()))


def test_readyz_is_503_when_migrations_are_pending(client, engine):
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "migrations pending"


def test_openapi_document_lists_the_ptl_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/ptl/uploads" in paths
    assert "/api/v1/ptl/entries" in paths
    assert client.get("/docs").status_code == 200


def test_a_failed_commit_is_an_error_not_a_success(settings, auth, monkeypatch):
    """The request's session commits before the response goes out, so a failed commit is a
    500 and the work it would have saved is reported as not done."""
    from fastapi.testclient import TestClient
    from sqlalchemy.orm import Session

    from app.main import create_app

    def failing_commit(self):
        raise RuntimeError("commit failed")

    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        monkeypatch.setattr(Session, "commit", failing_commit)
        response = client.post("/api/v1/rules/110/drafts", json={}, headers=auth("clinician"))
        monkeypatch.undo()
        assert response.status_code == 500
        listed = client.get("/api/v1/rules/110/versions", headers=auth("clinician"))
    assert listed.status_code == 200
    assert listed.json()["items"] == []
