"""Prometheus metrics of the service (served at ``/metrics``; every one listed in
docs/operations.md). None carries patient data: labels are sources, states and outcomes.

Counters of work that a transaction stores (rows ingested, rejected uploads, ranking runs)
move only once that transaction commits (:func:`after_commit`), so a rolled-back upload is
not counted. The jobs gauge is read from the jobs table at each scrape, so it is the same
whichever worker answers; the others are per process.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, event, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

ROWS_INGESTED = Counter(
    "equiwait_ptl_rows_ingested",
    "PTL rows stored by accepted uploads and pushes.",
    ["source"],
    registry=None,
)
UPLOADS_REJECTED = Counter(
    "equiwait_ptl_uploads_rejected",
    "Uploads and pushes rejected as a whole (nothing written).",
    ["source"],
    registry=None,
)
RANKING_DURATION = Histogram(
    "equiwait_ranking_duration_seconds",
    "Wall time of a ranking run, from loading the list to storing and serving it.",
    ["trigger"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
    registry=None,
)
AUDIT_VERIFY_VALID = Gauge(
    "equiwait_audit_verify_valid",
    "Result of the last audit chain verification in this process (1 valid, 0 broken).",
    registry=None,
)
AUDIT_VERIFY_TIME = Gauge(
    "equiwait_audit_verify_timestamp_seconds",
    "When the last audit chain verification in this process finished (Unix time).",
    registry=None,
)
_SHARED = (ROWS_INGESTED, UPLOADS_REJECTED, RANKING_DURATION, AUDIT_VERIFY_VALID, AUDIT_VERIFY_TIME)
_PENDING = "equiwait_metrics_pending"


def after_commit(session: Session, update: Callable[[], None]) -> None:
    """Apply ``update`` once ``session``'s transaction commits (dropped on rollback)."""
    session.info.setdefault(_PENDING, []).append(update)


@event.listens_for(Session, "after_commit")
def _apply(session: Session) -> None:
    for update in session.info.pop(_PENDING, []):
        update()


@event.listens_for(Session, "after_rollback")
def _drop(session: Session) -> None:
    session.info.pop(_PENDING, None)


def record_audit_verification(valid: bool) -> None:
    """Remember the outcome of a verification (``equiwait_audit_verify_*``)."""
    AUDIT_VERIFY_VALID.set(1 if valid else 0)
    AUDIT_VERIFY_TIME.set(time.time())


class JobsCollector(Collector):
    """``equiwait_jobs{state}``: background jobs queued and running, read at each scrape."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from models import Job
        from models.jobs import QUEUED, RUNNING

        family = GaugeMetricFamily(
            "equiwait_jobs", "Background jobs by state (queued: due or later).", labels=["state"]
        )
        counts: dict[str, int] = {QUEUED: 0, RUNNING: 0}
        try:
            with self.engine.connect() as connection:
                rows: Any = connection.execute(
                    select(Job.state, func.count())
                    .where(Job.state.in_((QUEUED, RUNNING)))
                    .group_by(Job.state)
                )
                counts.update({state: int(count) for state, count in rows})
        except SQLAlchemyError:
            return  # the database is unreachable: readiness says so; no stale figure here
        for state, count in sorted(counts.items()):
            family.add_metric([state], count)
        yield family

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(())


def service_registry(engine: Engine) -> CollectorRegistry:
    """A registry for one app: the shared metrics and the jobs table read through ``engine``
    (the app adds its HTTP metrics)."""
    registry = CollectorRegistry(auto_describe=False)
    for metric in _SHARED:
        registry.register(metric)
    registry.register(JobsCollector(engine))
    return registry
