import pytest

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


def test_garbage_token_is_401(client):
    response = client.get("/api/v1/ptl/entries", headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 401
    assert "invalid token" in response.json()["detail"]


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
