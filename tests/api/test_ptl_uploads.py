from sqlalchemy import func, select

from app.database import session_scope
from models import AuditEvent, PtlEntry, UploadBatch
from tests.api.ptl_files import bad_csv, demo_csv, without_rows

UPLOADS = "/api/v1/ptl/uploads"


def _upload(client, auth, content, *, mode=None, key=None, role="scheduler", name="ptl.csv"):
    headers = auth(role)
    if key:
        headers["Idempotency-Key"] = key
    params = {"mode": mode} if mode else {}
    files = {"file": (name, content, "text/csv")}
    return client.post(UPLOADS, files=files, headers=headers, params=params)


def _counts(engine):
    with session_scope(engine) as session:
        total = session.scalar(select(func.count()).select_from(PtlEntry))
        open_ = session.scalar(select(func.count()).where(PtlEntry.is_open.is_(True)))
    return total, open_


def test_upload_inserts_every_row_and_reports_the_batch(client, auth, engine):
    content = demo_csv(300)
    response = _upload(client, auth, content)
    assert response.status_code == 201, response.text
    batch = response.json()
    assert batch["outcome"] == "succeeded"
    assert batch["mode"] == "replace"
    assert (batch["rows_received"], batch["inserted"], batch["updated"], batch["closed"]) == (
        300,
        300,
        0,
        0,
    )
    assert batch["provider_codes"] == ["RZZ"]
    assert batch["submitted_by"] == "test.user"
    assert len(batch["checksum_sha256"]) == 64
    assert _counts(engine) == (300, 300)
    again = client.get(f"{UPLOADS}/{batch['id']}", headers=auth("auditor"))
    assert again.status_code == 200
    assert again.json() == batch


def test_replace_closes_pathways_missing_from_the_new_file(client, auth, engine):
    content = demo_csv(300)
    assert _upload(client, auth, content).status_code == 201
    response = _upload(client, auth, without_rows(content, 20))
    assert response.status_code == 201
    batch = response.json()
    assert (batch["inserted"], batch["updated"], batch["closed"]) == (0, 280, 20)
    assert _counts(engine) == (300, 280)
    closed = client.get(
        "/api/v1/ptl/entries", params={"state": "closed", "limit": 100}, headers=auth("scheduler")
    ).json()["items"]
    assert len(closed) == 20
    assert all(item["closed_at"] is not None and not item["is_open"] for item in closed)


def test_closed_pathway_reopens_when_it_comes_back(client, auth, engine):
    content = demo_csv(50)
    _upload(client, auth, content)
    _upload(client, auth, without_rows(content, 5))
    batch = _upload(client, auth, content).json()
    assert (batch["inserted"], batch["updated"], batch["closed"]) == (0, 50, 0)
    assert _counts(engine) == (50, 50)


def test_upsert_leaves_missing_pathways_open(client, auth, engine):
    content = demo_csv(100)
    _upload(client, auth, content)
    batch = _upload(client, auth, without_rows(content, 30), mode="upsert").json()
    assert (batch["inserted"], batch["updated"], batch["closed"]) == (0, 70, 0)
    assert _counts(engine) == (100, 100)


def test_replace_only_closes_the_uploading_providers_pathways(client, auth, engine):
    _upload(client, auth, demo_csv(40, provider="RZZ"))
    _upload(client, auth, demo_csv(40, seed=9, provider="RYY"))
    batch = _upload(client, auth, without_rows(demo_csv(40, provider="RZZ"), 10)).json()
    assert batch["closed"] == 10
    assert _counts(engine) == (80, 70)


def test_bad_file_is_rejected_whole_with_every_error(client, auth, engine):
    _upload(client, auth, demo_csv(60))
    before = _counts(engine)
    content, expected = bad_csv()
    response = _upload(client, auth, content, name="bad.csv")
    assert response.status_code == 422
    body = response.json()
    found = sorted({(e["row"], e["field"]) for e in body["errors"]})
    assert found == expected
    assert body["error_count"] == len(body["errors"])
    assert all(e["message"] for e in body["errors"])
    assert "9" * 10 not in response.text
    assert _counts(engine) == before
    with session_scope(engine) as session:
        rejected = session.scalars(
            select(UploadBatch).where(UploadBatch.outcome == "rejected")
        ).all()
        assert len(rejected) == 1
        assert rejected[0].error_count == len(body["errors"])
        assert rejected[0].inserted == 0


def test_same_idempotency_key_and_file_does_nothing_twice(client, auth, engine):
    content = demo_csv(80)
    first = _upload(client, auth, content, key="ptl-2026-11-23")
    second = _upload(client, auth, content, key="ptl-2026-11-23")
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json()["id"] == first.json()["id"]
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(UploadBatch)) == 1
        uploads = session.scalar(select(func.count()).where(AuditEvent.kind == "ptl.upload"))
        assert uploads == 1


def test_reused_idempotency_key_with_other_content_is_409(client, auth):
    _upload(client, auth, demo_csv(20), key="k1")
    response = _upload(client, auth, demo_csv(20, seed=99), key="k1")
    assert response.status_code == 409
    assert "Idempotency-Key" in response.json()["detail"]


def test_upload_is_recorded_in_the_audit_log(client, auth, engine):
    batch = _upload(client, auth, demo_csv(30)).json()
    with session_scope(engine) as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.kind == "ptl.upload")).one()
        assert event.actor == "test.user"
        assert event.subject_id == str(batch["id"])
        assert event.details["inserted"] == 30


def test_oversized_upload_is_413(settings, auth):
    from fastapi.testclient import TestClient

    from app.main import create_app

    small = settings.model_copy(update={"max_upload_bytes": 2048})
    with TestClient(create_app(small)) as client:
        response = _upload(client, auth, demo_csv(100))
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]


def _chunks(body, size=4096):
    for start in range(0, len(body), size):
        yield body[start : start + size]


def test_oversized_chunked_upload_is_413_and_writes_nothing(settings, auth, engine):
    from fastapi.testclient import TestClient

    from app.main import create_app

    small = settings.model_copy(update={"max_upload_bytes": 2048})
    body = (
        b'--edge\r\nContent-Disposition: form-data; name="file"; filename="ptl.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n" + demo_csv(1500) + b"\r\n--edge--\r\n"
    )
    headers = {**auth("scheduler"), "Content-Type": "multipart/form-data; boundary=edge"}
    with TestClient(create_app(small)) as client:
        response = client.post(UPLOADS, content=_chunks(body), headers=headers)
        pushed = client.post(
            "/api/v1/ptl/entries",
            content=_chunks(b'{"entries": [' + b'{"pathway_id": "P1"},' * 8000 + b"{}]}"),
            headers={**auth("scheduler"), "Content-Type": "application/json"},
        )
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert response.status_code == 413, response.text
    assert "limit" in response.json()["detail"]
    assert pushed.status_code == 413, pushed.text
    assert _counts(engine) == (0, 0)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(UploadBatch)) == 0


def test_empty_replace_upload_is_rejected(client, auth, engine):
    header = demo_csv(1).decode().splitlines()[0] + "\n"
    response = _upload(client, auth, header.encode())
    assert response.status_code == 422
    assert _counts(engine) == (0, 0)
