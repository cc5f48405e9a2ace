"""Scheduled work, run inside the service: no external cron is needed.

Every ``EQUIWAIT_SCHEDULE_INTERVAL_SECONDS`` (and once at start-up) the service queues one
``schedule.tick`` job (coalesced: several service processes still queue one). The tick:

- fails jobs whose worker stopped sending heartbeats (killed mid-run);
- the recovery sweep: queues a re-rank of every provider with a list whose entries, overrides
  or rules changed after its serving run (this is also how override expiry and future
  ``effective_from`` times reach the ranked list when their own scheduled job did not run);
- queues a job at each future ``effective_from`` that has none;
- stores this ISO week's equity snapshot of every served provider that has none.

With ``EQUIWAIT_SCHEDULER=external`` the service does none of this by itself; an outside
scheduler runs ``equiwait tick`` instead (same work, in that process).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from app.database import session_scope
from app.jobs import JobContext, enqueue, mark_interrupted, task
from app.rankings.jobs import SERVICE_ACTOR, queue_upcoming_rules, sweep
from app.reports.jobs import weekly_snapshots
from app.settings import Settings

TICK_TASK = "schedule.tick"
logger = logging.getLogger(__name__)


def tick(engine: Engine, settings: Settings) -> dict[str, Any]:
    """Everything the schedule does, now, in this process (``equiwait tick`` runs it)."""
    timeout = timedelta(minutes=settings.job_heartbeat_timeout_minutes)
    with session_scope(engine) as session:
        interrupted = mark_interrupted(session, older_than=timeout)
    with session_scope(engine) as session:
        queued = sweep(session)
        upcoming = queue_upcoming_rules(session)
    snapshots = weekly_snapshots(engine)
    return {
        "interrupted_jobs": interrupted,
        "rankings_queued": queued,
        "future_rule_jobs": upcoming,
        "equity_snapshots": snapshots,
    }


@task(TICK_TASK)
def scheduled_tick(context: JobContext, _args: dict[str, Any]) -> dict[str, Any]:
    return tick(context.engine, context.settings)


def queue_tick(engine: Engine) -> int:
    with session_scope(engine) as session:
        return enqueue(
            session, TICK_TASK, {}, actor=SERVICE_ACTOR, reason="schedule", coalesce_key="tick"
        )


class Scheduler:
    """Queues a tick at start-up and then every ``schedule_interval_seconds``."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.interval = settings.schedule_interval_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="equiwait-schedule", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                queue_tick(self.engine)
            except Exception:
                logger.exception("queueing the scheduled tick failed; trying again next time")
            self._stop.wait(self.interval)
