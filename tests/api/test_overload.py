"""Under overload the service refuses quickly with 429 or 503 and `Retry-After`, never a 500
after a long wait, and its health checks keep answering."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.errors import NotFound
from app.main import create_app
from app.settings import Settings

PROBLEM_JSON = "application/problem+json"


def _serve(settings: Settings, **update: object) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update=update))) as client:
        yield client


@pytest.fixture
def one_heavy_slot(settings: Settings) -> Iterator[TestClient]:
    yield from _serve(settings, heavy_concurrency=1, retry_after_seconds=7)


@pytest.fixture
def one_connection(settings: Settings) -> Iterator[TestClient]:
    # The in-process job runner would compete for the single connection: run none here.
    yield from _serve(
        settings,
        db_pool_size=1,
        db_max_overflow=0,
        db_pool_timeout_seconds=0.3,
        job_runner="external",
    )


@contextmanager
def simulation_in_progress(client: TestClient, auth: Any, monkeypatch: Any) -> Iterator[dict]:
    """A simulation request held in progress until the block ends; yields where its status
    lands once it has finished (404: the held simulation then finds nothing to simulate)."""
    started, release = threading.Event(), threading.Event()

    def slow_simulation(*_: object, **__: object) -> None:
        started.set()
        assert release.wait(30)
        raise NotFound("nothing open to simulate")

    monkeypatch.setattr("api.routes.simulations._run", slow_simulation)
    first: dict[str, int] = {}

    def simulate() -> None:
        response = client.post(
            "/api/v1/simulations", json={"provider": "RZZ"}, headers=auth("clinician")
        )
        first["status"] = response.status_code

    worker = threading.Thread(target=simulate)
    worker.start()
    try:
        assert started.wait(30)
        yield first
    finally:
        release.set()
        worker.join(30)


def test_a_heavy_request_beyond_the_limit_is_refused_at_once(one_heavy_slot, auth, monkeypatch):
    with simulation_in_progress(one_heavy_slot, auth, monkeypatch) as first:
        began = time.monotonic()
        refused = one_heavy_slot.get(
            "/api/v1/reports/equity", params={"provider": "RZZ"}, headers=auth("equity_lead")
        )
        assert time.monotonic() - began < 5
        assert refused.status_code == 429
        assert refused.headers["content-type"] == PROBLEM_JSON
        assert refused.headers["retry-after"] == "7"
        body = refused.json()
        assert body["type"] == "urn:equiwait:problem:too-busy"
        assert body["status"] == 429
        # Light routes and the probes are not limited.
        assert one_heavy_slot.get("/healthz").status_code == 200
        assert one_heavy_slot.get("/readyz").status_code == 200
        listed = one_heavy_slot.get("/api/v1/ptl/entries", headers=auth("scheduler"))
        assert listed.status_code == 200
    assert first["status"] == 404
    # The slot was given back when the first request finished.
    again = one_heavy_slot.get(
        "/api/v1/reports/equity", params={"provider": "RZZ"}, headers=auth("equity_lead")
    )
    assert again.status_code != 429
    assert one_heavy_slot.app.state.heavy_slots.in_use == 0


def test_a_refused_heavy_request_gives_no_slot_back(one_heavy_slot, auth):
    """A refusal never frees a slot it did not take: the count stays exact."""
    slots = one_heavy_slot.app.state.heavy_slots
    slots.in_use = 1  # one heavy request is being served
    for _ in range(3):
        response = one_heavy_slot.post(
            "/api/v1/rankings", json={"provider": "RZZ"}, headers=auth("scheduler")
        )
        assert response.status_code == 429
    assert slots.in_use == 1


HEAVY_ROUTES = [
    ("POST", "/api/v1/simulations", "/api/v1/simulations"),
    ("POST", "/api/v1/simulations/report", "/api/v1/simulations/report"),
    ("POST", "/api/v1/rankings", "/api/v1/rankings"),
    (
        "POST",
        "/api/v1/rules/{specialty}/drafts/{draft_id}/preview",
        "/api/v1/rules/110/drafts/1/preview?provider=RZZ",
    ),
    ("GET", "/api/v1/reports/equity", "/api/v1/reports/equity?provider=RZZ"),
    ("GET", "/api/v1/reports/equity/trend", "/api/v1/reports/equity/trend?provider=RZZ"),
    ("GET", "/api/v1/reports/data-quality", "/api/v1/reports/data-quality?provider=RZZ"),
    ("GET", "/api/v1/support-list", "/api/v1/support-list?provider=RZZ"),
]


def test_every_heavy_route_takes_a_slot_and_declares_its_429(one_heavy_slot, auth):
    one_heavy_slot.app.state.heavy_slots.in_use = 1  # the one slot is busy
    paths = one_heavy_slot.get("/openapi.json").json()["paths"]
    for method, template, url in HEAVY_ROUTES:
        response = one_heavy_slot.request(
            method,
            url,
            json={"provider": "RZZ"} if method == "POST" else None,
            headers=auth("admin"),
        )
        assert response.status_code == 429, (url, response.text)
        declared = paths[template][method.lower()]["responses"]["429"]
        assert "Retry-After" in declared["headers"], template
    # Reading the ranked list is not heavy: it is served from the stored run.
    light = one_heavy_slot.get("/api/v1/ptl/ranked", headers=auth("admin"))
    assert light.status_code != 429
    assert "429" not in paths["/api/v1/ptl/ranked"]["get"]["responses"]


def test_a_full_pool_is_a_quick_503_and_the_probes_still_answer(one_connection, auth):
    engine = one_connection.app.state.engine
    with engine.connect():  # the only connection of the pool is busy
        began = time.monotonic()
        response = one_connection.get("/api/v1/ptl/entries", headers=auth("scheduler"))
        waited = time.monotonic() - began
        assert response.status_code == 503, response.text
        assert waited < 3
        assert response.headers["content-type"] == PROBLEM_JSON
        assert int(response.headers["retry-after"]) >= 1
        assert response.json()["type"] == "urn:equiwait:problem:unavailable"
        assert one_connection.get("/healthz").status_code == 200
        ready = one_connection.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["database"] == "ok"
    # Once the connection is back, the same request is served.
    assert one_connection.get("/api/v1/ptl/entries", headers=auth("scheduler")).status_code == 200


def test_pool_settings_size_the_service_engine(settings):
    from app.database import service_engine

    sized = settings.model_copy(
        update={"db_pool_size": 3, "db_max_overflow": 2, "db_pool_timeout_seconds": 1.5}
    )
    engine = service_engine(sized)
    try:
        pool = engine.pool
        assert (pool.size(), pool._max_overflow, pool._timeout) == (3, 2, 1.5)  # type: ignore[attr-defined]
    finally:
        engine.dispose()


@pytest.fixture
def one_in_flight(settings: Settings) -> Iterator[TestClient]:
    yield from _serve(settings, max_in_flight=1, retry_after_seconds=3, job_runner="external")


def test_a_request_beyond_the_in_flight_limit_is_refused_at_once(one_in_flight, auth, monkeypatch):
    """Beyond ``EQUIWAIT_MAX_IN_FLIGHT`` a request is a quick 503, not a place in a queue; the
    probes still answer, and the place is given back."""
    with simulation_in_progress(one_in_flight, auth, monkeypatch) as first:
        began = time.monotonic()
        refused = one_in_flight.get("/api/v1/ptl/ranked", headers=auth("scheduler"))
        assert time.monotonic() - began < 5
        assert refused.status_code == 503
        assert refused.headers["content-type"] == PROBLEM_JSON
        assert refused.headers["retry-after"] == "3"
        assert refused.headers["x-request-id"]  # inside the request id and security headers
        assert refused.headers["x-content-type-options"] == "nosniff"
        body = refused.json()
        assert body["status"] == 503 and "requests in progress" in body["detail"]
        assert one_in_flight.get("/healthz").status_code == 200
        assert one_in_flight.get("/readyz").status_code == 200
    assert first["status"] == 404
    assert one_in_flight.get("/api/v1/ptl/ranked", headers=auth("scheduler")).status_code != 503
