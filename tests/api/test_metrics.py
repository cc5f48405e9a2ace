"""``/metrics``: what it counts moves with the work done, it carries no patient data, and only
the configured scraper reads it in production."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from app.main import create_app
from app.settings import Settings
from tests.api.ptl_files import bad_csv, demo_csv

SCRAPER_TOKEN = "scrape-" + "s" * 40


def _samples(
    client: TestClient, **headers: str
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_follow_uploads_rejections_rankings_jobs_and_verification(client, auth):
    scheduler = auth("scheduler")
    before = _samples(client)
    good = demo_csv(300, seed=5)
    upload = client.post(
        "/api/v1/ptl/uploads", files={"file": ("ptl.csv", good, "text/csv")}, headers=scheduler
    )
    assert upload.status_code == 201, upload.text
    bad, _ = bad_csv()
    rejected = client.post(
        "/api/v1/ptl/uploads", files={"file": ("bad.csv", bad, "text/csv")}, headers=scheduler
    )
    assert rejected.status_code == 422
    pushed = client.post("/api/v1/ptl/entries", json={"entries": [{}]}, headers=scheduler)
    assert pushed.status_code == 422
    run = client.post("/api/v1/rankings", json={"provider": "RZZ"}, headers=scheduler)
    assert run.status_code == 201, run.text
    ranked = client.get("/api/v1/ptl/ranked", params={"limit": 1}, headers=scheduler).json()
    pathway = ranked["items"][0]["pathway_id"]
    why = client.get(
        f"/api/v1/ptl/entries/{pathway}/rationale",
        params={"provider": "RZZ"},
        headers=auth("auditor"),
    )
    assert why.status_code == 200
    verified = client.get("/api/v1/audit/verify", headers=auth("auditor"))
    assert verified.json()["valid"] is True

    after = _samples(client)

    def grew(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert grew("equiwait_ptl_rows_ingested_total", source="csv") == 300
    assert grew("equiwait_ptl_uploads_rejected_total", source="csv") == 1
    assert grew("equiwait_ptl_uploads_rejected_total", source="json") == 1
    # The manual run, and the background run the upload queued (when it has finished).
    assert grew("equiwait_ranking_duration_seconds_count", trigger="manual") == 1
    assert _value(after, "equiwait_ranking_duration_seconds_sum", trigger="manual") > 0
    assert ("equiwait_jobs", (("state", "queued"),)) in after
    assert ("equiwait_jobs", (("state", "running"),)) in after
    assert _value(after, "equiwait_audit_verify_valid") == 1
    assert _value(after, "equiwait_audit_verify_timestamp_seconds") > 0
    rationale = "/api/v1/ptl/entries/{pathway_id}/rationale"
    assert grew("equiwait_http_requests_total", handler=rationale, method="GET", status="2xx") == 1
    assert (
        grew(
            "equiwait_http_requests_total",
            handler="/api/v1/ptl/uploads",
            method="POST",
            status="4xx",
        )
        == 1
    )
    assert (
        _value(
            after,
            "equiwait_http_request_duration_seconds_count",
            handler="/api/v1/ptl/ranked",
            method="GET",
        )
        >= 1
    )

    text = client.get("/metrics").text
    assert pathway not in text  # routes by template, never by path
    nhs_numbers = [line.split(",")[1] for line in good.decode().splitlines()[1:]]
    assert not any(number in text for number in nhs_numbers)


def test_the_jobs_gauge_counts_queued_jobs(client, auth, engine):
    from datetime import timedelta

    from app.database import session_scope
    from app.jobs import enqueue
    from app.scheduler import TICK_TASK
    from models.base import utcnow

    queued_before = _value(_samples(client), "equiwait_jobs", state="queued")
    with session_scope(engine) as session:
        later = utcnow() + timedelta(hours=1)  # not due: no runner takes it meanwhile
        enqueue(session, TICK_TASK, {}, actor="test", reason="test", run_after=later)
    assert _value(_samples(client), "equiwait_jobs", state="queued") == queued_before + 1


@pytest.fixture
def production(settings: Settings) -> Iterator[Settings]:
    yield settings.model_copy(update={"environment": "production"})


def test_in_production_metrics_need_the_scraper_token(production):
    from pydantic import SecretStr

    guarded = production.model_copy(update={"metrics_token": SecretStr(SCRAPER_TOKEN)})
    with TestClient(create_app(guarded)) as client:
        refused = client.get("/metrics")
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        _samples(client, Authorization=f"Bearer {SCRAPER_TOKEN}")
    with TestClient(create_app(production)) as client:
        off = client.get("/metrics")
        assert off.status_code == 404
        assert "EQUIWAIT_METRICS_TOKEN" in off.json()["detail"]


def test_a_short_metrics_token_is_refused_in_production(settings):
    with pytest.raises(ValueError, match="EQUIWAIT_METRICS_TOKEN"):
        Settings(**{**settings.model_dump(), "environment": "production", "metrics_token": "short"})
