from datetime import timedelta

import pytest

from app.security import Role, create_token
from tests.conftest import TEST_SECRET

PROTECTED = [
    ("get", "/api/v1/ptl/entries"),
    ("get", "/api/v1/ptl/uploads"),
    ("get", "/api/v1/ptl/uploads/1"),
    ("post", "/api/v1/ptl/uploads"),
    ("post", "/api/v1/ptl/entries"),
    ("get", "/api/v1/reference/treatment-functions"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_routes_need_a_bearer_token(client, method, path):
    response = client.request(method, path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        # Signed with another secret, and expired: the decoder's reasons stay in the log.
        create_token("x", [Role.SCHEDULER], "another-secret-" + "y" * 40, timedelta(hours=1)),
        create_token("x", [Role.SCHEDULER], TEST_SECRET, timedelta(seconds=-120)),
    ],
    ids=["garbage", "foreign-signature", "expired"],
)
def test_a_bad_token_is_401_with_a_plain_message(client, token):
    response = client.get("/api/v1/ptl/entries", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["detail"] == "invalid or expired token"
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_equity_leads_read_reports_but_change_nothing(client, auth):
    headers = auth("equity_lead")
    assert client.get("/api/v1/rules", headers=headers).status_code == 200
    assert client.get("/api/v1/audit", headers=headers).status_code == 403
    assert client.post("/api/v1/rules/110/drafts", json={}, headers=headers).status_code == 403
    files = {"file": ("ptl.csv", b"pathway_id\n", "text/csv")}
    assert client.post("/api/v1/ptl/uploads", files=files, headers=headers).status_code == 403


@pytest.mark.parametrize("role", ["clinician", "auditor"])
def test_uploads_need_scheduler_or_admin(client, auth, role):
    files = {"file": ("ptl.csv", b"pathway_id\n", "text/csv")}
    response = client.post("/api/v1/ptl/uploads", files=files, headers=auth(role))
    assert response.status_code == 403
    assert "scheduler" in response.json()["detail"]


def test_readers_may_list_reference_data(client, auth):
    response = client.get("/api/v1/reference/priority-codes", headers=auth("auditor"))
    assert response.status_code == 200
    codes = [item["code"] for item in response.json()["items"]]
    assert codes == ["P1a", "P1b", "P2", "P3", "P4", "P5", "P6"]
