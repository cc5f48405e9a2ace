"""A tampered cursor is a 400 on every paginated route, never a server error."""

import pytest

from api.pagination import encode_cursor
from tests.api.ptl_files import demo_csv

TAMPERED = [
    encode_cursor({"id": 1}),
    encode_cursor("12"),
    encode_cursor(12.5),
    encode_cursor(True),
    encode_cursor([1, 2, 3]),
    encode_cursor(2**70),
    "%%%",
    "not-base64-json",
]
ROUTES = [
    ("/api/v1/ptl/entries", {}),
    ("/api/v1/ptl/uploads", {}),
    ("/api/v1/audit", {}),
    ("/api/v1/rankings", {}),
    ("/api/v1/rules/110/versions", {}),
    ("/api/v1/reports/equity/trend", {"provider": "RZZ"}),
    ("/api/v1/ptl/entries/RZZ000000001/overrides", {"provider": "RZZ"}),
]


@pytest.fixture
def uploaded(client, auth):
    response = client.post(
        "/api/v1/ptl/uploads",
        files={"file": ("ptl.csv", demo_csv(40), "text/csv")},
        headers=auth("scheduler"),
    )
    assert response.status_code == 201, response.text
    return client


def test_tampered_cursors_are_400_everywhere(uploaded, auth):
    headers = auth("admin")
    for path, params in ROUTES:
        assert uploaded.get(path, params=params, headers=headers).status_code == 200, path
        for cursor in TAMPERED:
            response = uploaded.get(path, params={**params, "cursor": cursor}, headers=headers)
            assert response.status_code == 400, (path, cursor, response.text)
            assert response.json()["detail"] == "invalid cursor"


def test_a_served_cursor_still_pages(uploaded, auth):
    params = {"limit": 15}
    first = uploaded.get("/api/v1/ptl/entries", params=params, headers=auth("scheduler")).json()
    cursor = first["next_cursor"]
    second = uploaded.get(
        "/api/v1/ptl/entries", params={**params, "cursor": cursor}, headers=auth("scheduler")
    ).json()
    firsts = {item["pathway_id"] for item in first["items"]}
    assert len(second["items"]) == 15
    assert firsts.isdisjoint(item["pathway_id"] for item in second["items"])
