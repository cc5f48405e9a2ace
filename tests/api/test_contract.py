"""The API contract under hostile input: problem details for every error, bounded integers,
no NaN, capped error lists, security headers, and a loop that keeps answering."""

from __future__ import annotations

import csv
import io
import threading

import pytest
from fastapi.testclient import TestClient

from api.routes import ptl as ptl_routes
from app.main import create_app
from app.settings import Settings
from tests.api.ptl_files import demo_csv
from tests.conftest import TEST_SECRET

PROBLEM = "application/problem+json"
BIG = 2**63
HUGE = 2**70


def _is_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:equiwait:problem:") or body["type"] == "about:blank"
    assert body["title"] and body["detail"] and body["instance"].startswith("/")
    return body


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/ptl/uploads/{BIG}",
        f"/api/v1/rankings/{HUGE}",
        f"/api/v1/rankings?upload_batch_id={BIG}",
        f"/api/v1/ptl/ranked?run_id={BIG}",
        f"/api/v1/rules/100/versions/{2**31}",
        f"/api/v1/rules/110/diff?from=1&to={2**31}",
        "/api/v1/rules/١١٠/versions",
        "/api/v1/ptl/ranked?specialty=١١٠",
        "/api/v1/reports/equity?provider=RZZ&specialty=١١٠",
    ],
)
def test_out_of_range_integers_and_non_ascii_digits_are_422(client, auth, path):
    body = _is_problem(client.get(path, headers=auth("admin")), 422)
    assert body["type"] == "urn:equiwait:problem:validation-failed"
    assert body["errors"] and all(e["path"] and e["message"] for e in body["errors"])


def test_out_of_range_integers_in_bodies_and_paths_of_changes_are_422(client, auth):
    admin = auth("admin")
    cases = [
        client.post(f"/api/v1/overrides/{BIG}/revoke", json={"reason": "x"}, headers=admin),
        client.post("/api/v1/rules/110/drafts", json={"from_version": 2**31}, headers=admin),
        client.put(
            f"/api/v1/rules/110/drafts/{BIG}",
            json={"document": {}},
            headers={**admin, "If-Match": '"1"'},
        ),
        client.post(
            "/api/v1/simulations",
            json={"provider": "RZZ", "rule_sets": [{"name": "a", "draft_id": BIG}]},
            headers=admin,
        ),
    ]
    for response in cases:
        _is_problem(response, 422)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_in_json_bodies_are_422(client, auth, literal):
    admin = {**auth("admin"), "Content-Type": "application/json"}
    bodies = {
        "/api/v1/rankings": f'{{"provider": "RZZ", "specialties": ["110"], "x": {literal}}}',
        "/api/v1/simulations": f'{{"provider": "RZZ", "capacity": {{"110": {literal}}}}}',
        "/api/v1/ptl/entries/RZZ000000001/overrides?provider=RZZ": (
            f'{{"kind": "adjust_uplift", "days": {literal}, "reason": "r", '
            '"expires_at": "2099-01-01T00:00:00Z"}'
        ),
        "/api/v1/rules/110/drafts": f'{{"from_version": {literal}}}',
        "/api/v1/simulations/report": (
            f'{{"provider": "RZZ", "rule_sets": [{{"name": "a", "document": {{"x": {literal}}}}}]}}'
        ),
    }
    for path, body in bodies.items():
        response = client.post(path, content=body, headers=admin)
        if path == "/api/v1/rankings":
            # Unknown fields are ignored there; the point is that nothing fails.
            assert response.status_code in (201, 404), response.text
            continue
        _is_problem(response, 422)
    drafted = client.post("/api/v1/rules/110/drafts", json={}, headers=auth("admin"))
    assert drafted.status_code == 201
    draft = drafted.json()
    edit = client.put(
        f"/api/v1/rules/110/drafts/{draft['id']}",
        content=f'{{"document": {{"core20": {{"uplift_days": {literal}}}}}}}',
        headers={**admin, "If-Match": drafted.headers["ETag"]},
    )
    body = _is_problem(edit, 422)
    assert "NaN and Infinity" in body["errors"][0]["message"]


def test_every_kind_of_error_is_a_problem(client, auth):
    _is_problem(client.get("/api/v1/ptl/entries"), 401)
    _is_problem(client.post("/api/v1/ptl/entries", json={}, headers=auth("auditor")), 403)
    _is_problem(client.get("/api/v1/ptl/uploads/99", headers=auth("admin")), 404)
    _is_problem(client.get("/api/v1/no-such-route", headers=auth("admin")), 404)
    _is_problem(client.delete("/api/v1/ptl/entries", headers=auth("admin")), 405)
    _is_problem(client.get("/api/v1/ptl/entries?cursor=x", headers=auth("admin")), 400)
    _is_problem(client.get("/api/v1/ptl/entries?limit=0", headers=auth("admin")), 422)
    broken = client.post(
        "/api/v1/rankings",
        content=b'{"provider": ',
        headers={**auth("admin"), "Content-Type": "application/json"},
    )
    assert "not valid JSON" in _is_problem(broken, 422)["errors"][0]["message"]


def test_every_201_names_what_it_created(client, auth):
    upload = client.post(
        "/api/v1/ptl/uploads",
        files={"file": ("ptl.csv", demo_csv(30), "text/csv")},
        headers=auth("scheduler"),
    )
    assert upload.status_code == 201
    location = upload.headers["Location"]
    assert client.get(location, headers=auth("admin")).json()["id"] == upload.json()["id"]
    run = client.post("/api/v1/rankings", json={"provider": "RZZ"}, headers=auth("admin"))
    assert run.status_code == 201
    assert (
        client.get(run.headers["Location"], headers=auth("admin")).json()["id"]
        == (run.json()["id"])
    )


def test_security_headers_and_no_store_on_every_answer(client, auth):
    for response in (
        client.get("/healthz"),
        client.get("/api/v1/ptl/entries", headers=auth("admin")),
        client.get("/api/v1/ptl/entries"),
    ):
        headers = response.headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "server" not in headers
        assert "Strict-Transport-Security" not in headers
    assert client.get("/api/v1/ptl/entries", headers=auth("admin")).headers["Cache-Control"] == (
        "no-store"
    )
    assert client.get("/api/v1/ptl/entries").headers["Cache-Control"] == "no-store"
    over_tls = TestClient(client.app, base_url="https://testserver")
    assert "max-age=" in over_tls.get("/healthz").headers["Strict-Transport-Security"]


def test_hsts_on_every_answer_behind_a_tls_proxy(database_url):
    settings = Settings(
        environment="test", database_url=database_url, secret_key=TEST_SECRET, behind_tls=True
    )
    with TestClient(create_app(settings)) as behind:
        assert "max-age=" in behind.get("/healthz").headers["Strict-Transport-Security"]


def test_the_server_command_does_not_advertise_its_software():
    import inspect

    from app import cli

    assert "server_header=False" in inspect.getsource(cli)


def _bad_records(count: int) -> list[dict[str, object]]:
    return [{"pathway_id": {"x": 1}, "nhs_number": 12, "rtt_clock_start": [1]}] * count


def test_json_push_errors_are_capped_with_an_exact_count(database_url, auth):
    settings = Settings(
        environment="test", database_url=database_url, secret_key=TEST_SECRET,
        max_reported_errors=5,
    )  # fmt: skip
    with TestClient(create_app(settings)) as capped:
        response = capped.post(
            "/api/v1/ptl/entries", json={"entries": _bad_records(400)}, headers=auth("admin")
        )
        body = _is_problem(response, 422)
        assert body["type"] == "urn:equiwait:problem:upload-rejected"
        assert len(body["errors"]) == 5 and body["truncated"] is True
        assert body["error_count"] == 1200  # three fields of 400 records
        assert "12" not in [e["value"] for e in body["errors"] if e["field"] == "nhs_number"]
        rows = list(csv.DictReader(io.StringIO(demo_csv(3).decode())))
        ok = capped.post("/api/v1/ptl/entries", json={"entries": rows}, headers=auth("admin"))
        assert ok.status_code == 201, ok.text


def test_healthz_answers_while_a_large_bad_push_is_validated(client, auth, monkeypatch):
    started, health_answered = threading.Event(), threading.Event()
    waited: list[bool] = []
    real = ptl_routes._entries

    def slow_entries(raw, settings):
        started.set()
        waited.append(health_answered.wait(timeout=30))
        return real(raw, settings)

    monkeypatch.setattr(ptl_routes, "_entries", slow_entries)
    answers: list[int] = []

    def push() -> None:
        response = client.post(
            "/api/v1/ptl/entries", json={"entries": _bad_records(2000)}, headers=auth("admin")
        )
        answers.append(response.status_code)

    pusher = threading.Thread(target=push)
    pusher.start()
    assert started.wait(timeout=30)
    assert client.get("/healthz").status_code == 200
    health_answered.set()
    pusher.join(timeout=60)
    assert waited == [True], "the push held the event loop: /healthz could not answer"
    assert answers == [422]


def test_dates_of_birth_only_for_roles_that_book_patients(client, auth):
    upload = client.post(
        "/api/v1/ptl/uploads",
        files={"file": ("ptl.csv", demo_csv(20), "text/csv")},
        headers=auth("scheduler"),
    )
    assert upload.status_code == 201
    for role in ("scheduler", "admin"):
        items = client.get("/api/v1/ptl/entries", headers=auth(role)).json()["items"]
        assert any(item["date_of_birth"] for item in items)
        assert all(item["age_band"] for item in items if item["date_of_birth"])
    for role in ("clinician", "auditor"):
        response = client.get("/api/v1/ptl/entries", headers=auth(role))
        items = response.json()["items"]
        assert all(item["date_of_birth"] is None for item in items)
        assert any(item["age_band"] for item in items)
        assert 'date_of_birth": "' not in response.text


def test_every_declared_error_is_problem_details_and_401_is_what_is_answered(client):
    import jsonschema_rs

    spec = client.get("/openapi.json").json()
    fill = {"specialty": "110", "fmt": "png", "pathway_id": "RZZ000000001"}
    checked = 0
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            for code, answer in operation["responses"].items():
                if int(code) >= 400:
                    assert list(answer["content"]) == [PROBLEM], (method, path, code)
            if not path.startswith("/api/"):
                continue
            assert "401" in operation["responses"], (method, path)
            url = path
            for name in [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]:
                url = url.replace(f"{{{name}}}", fill.get(name, "1"))
            response = client.request(method.upper(), url)
            _is_problem(response, 401)
            declared = operation["responses"]["401"]["content"][PROBLEM]["schema"]
            ref = declared["$ref"].removeprefix("#/components/schemas/")
            validator = jsonschema_rs.validator_for(
                {**spec["components"]["schemas"][ref], "components": spec["components"]}
            )
            assert validator.is_valid(response.json()), (method, path, response.text)
            checked += 1
    assert checked >= 38


def test_the_openapi_pages_load_only_their_own_assets_and_are_never_framed(client):
    docs = client.get("/docs")
    assert docs.status_code == 200
    policy = docs.headers["Content-Security-Policy"]
    assert "https:" not in policy and "frame-ancestors 'none'" in policy
    assert "script-src 'self'" in policy
    api_policy = client.get("/healthz").headers["Content-Security-Policy"]
    assert api_policy.startswith("default-src 'none'") and "cdn" not in api_policy
