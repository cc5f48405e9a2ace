"""ASGI application factory; ``app.main:app`` is what uvicorn serves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI
from prometheus_fastapi_instrumentator import Instrumentator

from api.capacity import HeavySlots
from api.errors import install_error_handlers
from api.headers import SecurityHeaders
from api.limits import BodySizeLimit, InFlightLimit
from api.openapi import install_openapi, operation_id
from api.pagination import CursorCodec
from api.router import api_router
from api.routes import health, metrics
from app.audit_anchor import anchor_periodically
from app.audit_keys import AuditKeys, bind_audit_keys
from app.background import start_background
from app.database import service_engine
from app.logs import configure_logging
from app.metrics import service_registry
from app.settings import Settings, get_settings
from web import install_web

DESCRIPTION = """
Equiwait scores and orders NHS elective waiting lists (PTLs) by clinical priority and wait,
with specialty-specific equity weightings for deprivation, Core20PLUS5 membership and (where
approved) ethnicity, while every patient keeps the constitutional standards.

Every route under `/api/v1` needs a bearer token: `equiwait token --role ROLE --subject NAME`
for machine clients, or an access token of the trust's identity provider. People use the
pages at `/`, signing in through the identity provider.
Lists answer `{"items": [...], "next_cursor": ...}`: pass `next_cursor` back as `cursor`.
Every error is RFC 9457 problem details (`application/problem+json`; docs/errors.md).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings`` (read from the environment by default)."""
    settings = settings or get_settings()
    engine = service_engine(settings)
    probe_engine = service_engine(settings, probe=True)
    audit_keys = AuditKeys.from_settings(settings)
    bind_audit_keys(engine, audit_keys)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        background = start_background(engine, settings)
        try:
            async with anchor_periodically(engine, audit_keys, settings):
                yield
        finally:
            background.stop()
        engine.dispose()
        probe_engine.dispose()

    configure_logging(settings.log_level)
    app = FastAPI(
        title="Equiwait",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        # Served by web/ from the service's own assets (no CDN): /docs and /redoc.
        docs_url=None,
        redoc_url=None,
        openapi_tags=[
            {"name": "health", "description": "Liveness and readiness probes."},
            {"name": "ptl", "description": "Push and read patient tracking list entries."},
            {"name": "reference", "description": "Reference data the PTL is checked against."},
            {"name": "audit", "description": "Append-only, hash-chained audit log."},
            {
                "name": "rankings",
                "description": "Ranking runs, the stored ranked PTL (JSON or CSV), clinicians' "
                "overrides and per-entry rationales.",
            },
            {
                "name": "rules",
                "description": "Versioned rule sets per specialty: draft, preview, publish, "
                "roll back (clinicians and admins change them).",
            },
            {"name": "jobs", "description": "Background jobs: state, progress and errors."},
            {
                "name": "simulations",
                "description": "Equity impact simulation of rule sets on a provider's list, "
                "and the downloadable equity impact assessment.",
            },
        ],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.probe_engine = probe_engine
    app.state.heavy_slots = HeavySlots(settings.heavy_concurrency)
    app.state.cursors = CursorCodec(settings.secret)
    app.state.audit_keys = audit_keys
    app.state.metrics = service_registry(probe_engine)
    # Request counts and latencies by route template (never by path: no pathway ids).
    Instrumentator(
        registry=app.state.metrics,
        should_ignore_untemplated=True,
        excluded_handlers=["/metrics", "/static/.*"],
    ).instrument(app, metric_namespace="equiwait")
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(api_router)
    install_error_handlers(app)
    install_openapi(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes + 64 * 1024)
    app.add_middleware(
        InFlightLimit,
        limit=settings.max_in_flight,
        retry_after_seconds=settings.retry_after_seconds,
    )
    app.add_middleware(SecurityHeaders, behind_tls=settings.behind_tls)
    install_web(app, settings)
    # Outermost: the request id is set before anything else logs, and echoed in every answer.
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Request-ID")
    return app


def __getattr__(name: str) -> FastAPI:
    """Create ``app`` lazily so importing this module never needs settings."""
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)
