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
