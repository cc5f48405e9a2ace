import hashlib
import hmac
import json
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from tests.api.ptl_files import demo_csv
from tests.conftest import TEST_SECRET


def _upload(client, auth, subject="pas.feed"):
    files = {"file": ("p.csv", demo_csv(20), "text/csv")}
    headers = auth("scheduler", subject=subject)
    return client.post("/api/v1/ptl/uploads", files=files, headers=headers)


def test_audit_needs_auditor_or_admin(client, auth):
    assert client.get("/api/v1/audit", headers=auth("scheduler")).status_code == 403
    assert client.get("/api/v1/audit/verify", headers=auth("clinician")).status_code == 403
    assert client.get("/api/v1/audit", headers=auth("auditor")).status_code == 200


def test_audit_lists_events_with_filters_and_pages(client, auth):
    for subject in ("a.feed", "b.feed", "a.feed"):
        _upload(client, auth, subject)
    headers = auth("auditor")
    params = {"actor": "a.feed", "kind": "ptl.upload"}
    by_actor = client.get("/api/v1/audit", params=params, headers=headers).json()
    assert [e["actor"] for e in by_actor["items"]] == ["a.feed", "a.feed"]
    uploads = client.get(
        "/api/v1/audit", params={"kind": "ptl.upload", "limit": 2}, headers=headers
    ).json()
    assert len(uploads["items"]) == 2
    assert uploads["items"][0]["id"] > uploads["items"][1]["id"]
    rest = client.get(
        "/api/v1/audit",
        params={"kind": "ptl.upload", "limit": 2, "cursor": uploads["next_cursor"]},
        headers=headers,
    ).json()
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None
    future = client.get(
        "/api/v1/audit", params={"from": "2999-01-01T00:00:00Z"}, headers=headers
    ).json()
    assert future["items"] == []


def test_verify_reports_a_sound_chain_then_the_tampered_record(client, auth, engine):
    _upload(client, auth)
    _upload(client, auth)
    headers = auth("auditor")
    sound = client.get("/api/v1/audit/verify", headers=headers).json()
    assert sound["valid"] is True
    assert sound["events_checked"] >= 2
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET session_replication_role = replica"))
        else:
            connection.execute(text("DROP TRIGGER audit_events_no_update"))
        target = connection.execute(
            text("SELECT min(id) FROM audit_events WHERE kind = 'ptl.upload'")
        ).scalar()
        connection.execute(
            text("UPDATE audit_events SET details = '{\"inserted\": 0}' WHERE id = :id"),
            {"id": target},
        )
    broken = client.get("/api/v1/audit/verify", headers=headers).json()
    assert broken["valid"] is False
    assert broken["first_broken_id"] == target


def test_audit_filters_by_time_specialty_and_pathway(client, auth):
    _upload(client, auth)
    headers = auth("auditor")
    ranked = client.get("/api/v1/ptl/ranked", params={"limit": 1}, headers=headers).json()
    entry = ranked["items"][0]
    url = f"/api/v1/ptl/entries/{entry['pathway_id']}/overrides"
    expires = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    body = {"kind": "hold_back", "reason": "patient unfit", "expires_at": expires}
    doctor = auth("clinician", subject="dr.who")
    created = client.post(url, params={"provider": "RZZ"}, json=body, headers=doctor)
    assert created.status_code == 201, created.text
    revoke = f"/api/v1/overrides/{created.json()['id']}/revoke"
    assert client.post(revoke, json={"reason": "fit again"}, headers=doctor).status_code == 200

    def kinds(**params):
        response = client.get("/api/v1/audit", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [event["kind"] for event in response.json()["items"]]

    override_kinds = ["override.revoked", "override.created"]
    assert kinds(pathway=entry["pathway_id"]) == override_kinds
    assert kinds(specialty=entry["specialty"])[:2] == override_kinds
    other = "100" if entry["specialty"] != "100" else "101"
    assert "override.created" not in kinds(specialty=other)
    # A moment without a zone is read as UTC, on either bound.
    past = (datetime.now(UTC) - timedelta(days=1)).replace(tzinfo=None).isoformat()
    future = (datetime.now(UTC) + timedelta(days=1)).replace(tzinfo=None).isoformat()
    assert kinds(**{"from": past}, pathway=entry["pathway_id"]) == override_kinds
    assert kinds(to=past) == []
    assert kinds(to=future, pathway=entry["pathway_id"]) == override_kinds
    assert kinds(**{"from": future}) == []


def test_an_unknown_kind_is_refused_with_the_known_ones(client, auth):
    response = client.get("/api/v1/audit", params={"kind": "ptl.uploaded"}, headers=auth("admin"))
    assert response.status_code == 422
    assert "unknown event kind 'ptl.uploaded'" in response.json()["detail"]
    assert "ptl.upload," in response.json()["detail"]


def _documented_key(secret: str) -> bytes:
    """docs/audit.md: without EQUIWAIT_AUDIT_KEYS the key (id `secret`) comes from the secret."""
    return hmac.new(secret.encode(), b"equiwait audit chain v1", hashlib.sha256).digest()


def _documented_hash(event, keys):
    """docs/audit.md: HMAC-SHA256 of the canonical JSON of the record's fields (key_id too)."""
    fields = (
        "id", "occurred_at", "actor", "kind", "provider_code", "treatment_function_code",
        "pathway_id", "subject_type", "subject_id", "details", "prev_hash",
    )  # fmt: skip
    payload = {name: event[name] for name in fields}
    moment = datetime.fromisoformat(event["occurred_at"])
    payload["occurred_at"] = moment.isoformat(timespec="microseconds")
    if event["key_id"] is None:  # written before the chain was keyed
        text_ = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text_.encode()).hexdigest()
    payload["key_id"] = event["key_id"]
    text_ = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hmac.new(keys[event["key_id"]], text_.encode(), hashlib.sha256).hexdigest()


def test_the_chain_re_verifies_from_the_listed_events_alone(client, auth):
    _upload(client, auth, subject="pás.feed")
    entry = client.get("/api/v1/ptl/ranked", params={"limit": 1}, headers=auth("auditor")).json()
    url = f"/api/v1/ptl/entries/{entry['items'][0]['pathway_id']}/overrides"
    body = {
        "kind": "adjust_uplift",
        "days": 12.5,
        "reason": "Schmerz – unbehandelt",
        "expires_at": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
    }
    created = client.post(url, params={"provider": "RZZ"}, json=body, headers=auth("clinician"))
    assert created.status_code == 201, created.text
    events, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/audit", params=params, headers=auth("auditor")).json()
        events += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    events.reverse()
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    previous = "0" * 64
    for event in events:
        assert event["prev_hash"] == previous
        assert _documented_hash(event, {"secret": _documented_key(TEST_SECRET)}) == event["hash"]
        previous = event["hash"]
    assert {"ptl.upload", "ranking.run", "override.created"} <= {e["kind"] for e in events}


def _kinds(client, auth, kind):
    response = client.get("/api/v1/audit", params={"kind": kind}, headers=auth("auditor"))
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_exports_of_full_nhs_numbers_are_audited(client, auth):
    _upload(client, auth)
    client.get("/api/v1/ptl/entries", params={"limit": 5}, headers=auth("scheduler"))
    client.get("/api/v1/ptl/ranked", params={"limit": 7}, headers=auth("admin", subject="adm"))
    csv_answer = client.get("/api/v1/ptl/ranked", params={"format": "csv"}, headers=auth("admin"))
    assert csv_answer.status_code == 200
    client.get("/api/v1/ptl/entries", headers=auth("clinician"))  # masked: not an export
    client.get("/api/v1/ptl/ranked", headers=auth("auditor"))
    exports = _kinds(client, auth, "ptl.exported")
    shown = [(e["actor"], e["details"]["export"], e["details"]["rows"]) for e in exports]
    assert shown == [
        ("test.user", "ranked_list", None),
        ("adm", "ranked_list", 7),
        ("test.user", "ptl_entries", 5),
    ]
    assert exports[0]["details"]["format"] == "csv" and exports[0]["provider_code"] == "RZZ"
    # no NHS number (10 digits from the 999 range) in any record; hashes are hex, so "999"
    # alone may appear in them by chance
    assert not any(re.search(r"(?<!\d)999\d{7}(?!\d)", json.dumps(e)) for e in exports)


def test_access_denials_are_audited(client, auth):
    assert client.get("/api/v1/ptl/entries").status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert client.get("/api/v1/rankings/7", headers=bad).status_code == 401
    assert client.get("/api/v1/audit", headers=auth("scheduler", subject="s1")).status_code == 403
    denials = _kinds(client, auth, "access.denied")
    shown = [
        (e["actor"], e["details"]["status"], e["details"]["route"], e["details"]["reason"])
        for e in reversed(denials)
    ]
    assert shown == [
        ("anonymous", 401, "/api/v1/ptl/entries", "no bearer token"),
        ("anonymous", 401, "/api/v1/rankings/{run_id}", "invalid token"),
        ("s1", 403, "/api/v1/audit", "requires role: auditor, admin"),
    ]
    with_verify = client.get("/api/v1/audit/verify", headers=auth("auditor")).json()
    assert with_verify["valid"]
