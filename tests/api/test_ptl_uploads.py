import csv
import io
import re

from sqlalchemy import func, select

import app.rankings.runs as runs_module
from app.database import session_scope
from app.rankings import RankingFailed
from models import AuditEvent, PtlEntry, RankingRun, UploadBatch
from tests.api.ptl_files import bad_csv, demo_csv, without_rows

UPLOADS = "/api/v1/ptl/uploads"


def _upload(client, auth, content, *, mode=None, key=None, role="scheduler", name="ptl.csv"):
    headers = auth(role)
    if key:
        headers["Idempotency-Key"] = key
    params = {"mode": mode} if mode else {}
    files = {"file": (name, content, "text/csv")}
    return client.post(UPLOADS, files=files, headers=headers, params=params)


def _entries(engine):
    """Every stored entry as a tuple of its columns (to show a request changed nothing)."""
    with session_scope(engine) as session:
        rows = session.execute(select(PtlEntry.__table__).order_by(PtlEntry.id)).all()
    return [tuple(row) for row in rows]


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
    [ranking] = batch.pop("rankings")
    assert ranking["provider_code"] == "RZZ" and ranking["error"] is None
    assert ranking["state"] == "queued" and ranking["run_id"] is None  # answered at once
    job = client.get(f"/api/v1/jobs/{ranking['job_id']}", headers=auth("auditor")).json()
    assert job["state"] == "succeeded"
    run = client.get(f"/api/v1/rankings/{job['result']['run_id']}", headers=auth("auditor"))
    assert run.status_code == 200
    assert run.json()["upload_batch_id"] == batch["id"]
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
    sent = [row["nhs_number"] for row in csv.DictReader(io.StringIO(content.decode()))]
    identifiers = {re.sub(r"\D", "", value) for value in sent} | set(sent)
    identifiers = {value for value in identifiers if sum(c.isdigit() for c in value) >= 8}
    assert len(identifiers) > 20
    assert not [value for value in identifiers if value in response.text]
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
    stored = _entries(engine)
    second = _upload(client, auth, content, key="ptl-2026-11-23")
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json()["id"] == first.json()["id"]
    # the replay reports the job the first upload queued, and the run it made
    [ranking] = second.json()["rankings"]
    assert ranking["job_id"] == first.json()["rankings"][0]["job_id"]
    assert ranking["state"] == "succeeded" and ranking["run_id"] is not None
    assert _entries(engine) == stored
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(UploadBatch)) == 1
        assert session.scalar(select(func.count()).select_from(RankingRun)) == 1
        uploads = session.scalar(select(func.count()).where(AuditEvent.kind == "ptl.upload"))
        assert uploads == 1


def test_reused_idempotency_key_with_other_content_is_409(client, auth, engine):
    _upload(client, auth, demo_csv(20), key="k1")
    stored = _entries(engine)
    response = _upload(client, auth, demo_csv(20, seed=99), key="k1")
    assert response.status_code == 409
    assert "Idempotency-Key" in response.json()["detail"]
    assert "different content" in response.json()["detail"]
    assert _entries(engine) == stored


def test_reused_idempotency_key_in_another_mode_is_409(client, auth, engine):
    content = demo_csv(20)
    first = _upload(client, auth, content, key="k2")
    stored = _entries(engine)
    response = _upload(client, auth, content, key="k2", mode="upsert")
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert f"batch {first.json()['id']}" in detail
    assert "replace mode" in detail and "upsert mode" in detail
    pushed = client.post(
        "/api/v1/ptl/entries",
        json={"entries": [{"pathway_id": "X1"}]},
        headers={**auth("scheduler"), "Idempotency-Key": "k2"},
    )
    assert pushed.status_code == 409
    assert "sent as csv" in pushed.json()["detail"]
    assert _entries(engine) == stored


def test_a_rejected_upload_does_not_use_up_its_key(client, auth, engine):
    content, _ = bad_csv()
    assert _upload(client, auth, content, key="k3").status_code == 422
    accepted = _upload(client, auth, demo_csv(20), key="k3")
    assert accepted.status_code == 201
    assert _counts(engine) == (20, 20)


def test_simultaneous_requests_with_one_key_store_once(client, auth, engine, monkeypatch):
    """The second of two racing requests meets the unique key on insert: it replays the first."""
    content = demo_csv(30)
    first = _upload(client, auth, content, key="race")
    stored = _entries(engine)
    from app import ingestion

    real_replay = ingestion._replay
    calls = []

    def replay_not_yet_committed(*args, **kwargs):
        calls.append(args)
        return None if len(calls) == 1 else real_replay(*args, **kwargs)

    monkeypatch.setattr(ingestion, "_replay", replay_not_yet_committed)
    second = _upload(client, auth, content, key="race")
    assert second.status_code == 200, second.text
    assert second.json()["id"] == first.json()["id"]
    assert len(calls) == 2
    calls.clear()
    clash = _upload(client, auth, content, key="race", mode="upsert")
    assert clash.status_code == 409, clash.text
    assert _entries(engine) == stored
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(UploadBatch)) == 1


def test_ranking_runs_after_the_upload_is_committed(client, auth, engine, monkeypatch):
    real_run = runs_module.run_ranking
    seen = []

    def run_after_commit(session, provider, **kwargs):
        with session_scope(engine) as other:  # another connection sees the stored upload
            seen.append(other.scalar(select(func.count()).select_from(PtlEntry)))
        return real_run(session, provider, **kwargs)

    monkeypatch.setattr(runs_module, "run_ranking", run_after_commit)
    response = _upload(client, auth, demo_csv(25))
    assert response.status_code == 201
    assert seen == [25]
    job = client.get(
        f"/api/v1/jobs/{response.json()['rankings'][0]['job_id']}", headers=auth("auditor")
    ).json()
    assert job["result"]["run_id"] is not None


def test_a_refused_ranking_is_reported_and_the_upload_kept(client, auth, engine, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise RankingFailed("ranking RZZ failed: priority code P9 has no rank")

    monkeypatch.setattr(runs_module, "run_ranking", refuse)
    response = _upload(client, auth, demo_csv(25))
    assert response.status_code == 201, response.text
    [ranking] = response.json()["rankings"]
    assert (ranking["provider_code"], ranking["state"], ranking["run_id"]) == (
        "RZZ",
        "queued",
        None,
    )
    job = client.get(f"/api/v1/jobs/{ranking['job_id']}", headers=auth("auditor")).json()
    assert job["state"] == "failed"
    assert job["error"] == "RankingFailed: ranking RZZ failed: priority code P9 has no rank"
    assert _counts(engine) == (25, 25)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(RankingRun)) == 0
        assert session.scalar(select(func.count()).where(AuditEvent.kind == "ptl.upload")) == 1
    monkeypatch.undo()
    manual = client.post("/api/v1/rankings", json={"provider": "RZZ"}, headers=auth("scheduler"))
    assert manual.status_code == 201, manual.text


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
