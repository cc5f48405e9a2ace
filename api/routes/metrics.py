"""``/metrics``: Prometheus text format, for the trust's monitoring (docs/operations.md).

No patient data is in it, but it describes the service's load and health, so in production it
answers only a scraper that sends ``EQUIWAIT_METRICS_TOKEN`` as its bearer token; with no token
configured it is off (404). Development and test serve it openly when no token is set.
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from app.errors import NotFound, Unauthorized
from app.settings import Settings

router = APIRouter(include_in_schema=False)


def _allowed(request: Request, settings: Settings) -> None:
    if settings.metrics_token is None:
        if settings.environment == "production":
            raise NotFound("metrics are off: set EQUIWAIT_METRICS_TOKEN to serve them")
        return
    expected = f"Bearer {settings.metrics_token.get_secret_value()}".encode()
    given = request.headers.get("authorization", "").encode()
    if not hmac.compare_digest(given, expected):
        raise Unauthorized("the metrics token is required", headers={"WWW-Authenticate": "Bearer"})


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """Every metric of this worker, and the jobs table's counts."""
    _allowed(request, request.app.state.settings)
    registry: CollectorRegistry = request.app.state.metrics
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
