"""A tampered cursor is a 400 on every paginated route, never a server error.

Cursors are signed (HMAC-SHA256 of the service secret): a cursor of the right shape that this
service did not sign, a re-encoded one and an over-long one are refused like a malformed one.
"""

import base64
import json

import pytest

from api.pagination import MAX_CURSOR_LENGTH, CursorCodec
from tests.api.ptl_files import demo_csv
from tests.conftest import TEST_SECRET

SIGNED = CursorCodec(TEST_SECRET)
OTHER_SECRET = CursorCodec("another-secret-" + "y" * 40)


def _unsigned(key: object) -> str:
    """A cursor as the service wrote them before they were signed: base64 JSON alone."""
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def _resigned_payload(cursor: str, key: object) -> str:
    """The payload swapped for another, keeping the original signature."""
    signature = cursor.split(".")[1]
    return f"{_unsigned(key)}.{signature}"


TAMPERED = [
    SIGNED.encode({"id": 1}),
    SIGNED.encode("12"),
    SIGNED.encode(12.5),
    SIGNED.encode(True),
    SIGNED.encode([1, 2, 3]),
    SIGNED.encode(2**70),
    _unsigned(12),
    _unsigned([[1], "110", "admitted", 3]),
    OTHER_SECRET.encode(12),
    _resigned_payload(SIGNED.encode(12), 13),
    SIGNED.encode(12)[:-2] + "AA",
    SIGNED.encode(12) + ".x",
    "x" * (MAX_CURSOR_LENGTH + 1),
    "١٢.٣",
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
    ("/api/v1/ptl/ranked", {"provider": "RZZ"}),
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
            assert response.json()["type"] == "urn:equiwait:problem:invalid-cursor"


def test_a_long_cursor_is_refused_before_it_is_decoded(monkeypatch):
    from api import pagination

    def fail(_text: str) -> bytes:
        raise AssertionError("decoded")

    monkeypatch.setattr(pagination, "_unb64", fail)
    with pytest.raises(pagination.InvalidCursor):
        SIGNED.decode("A" * (MAX_CURSOR_LENGTH + 1) + ".B", int)


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
