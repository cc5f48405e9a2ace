"""What the service runs beside its requests: the job runner and the schedule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine

from app.jobs import start_in_process
from app.scheduler import Scheduler
from app.settings import Settings


class _Stoppable(Protocol):
    def stop(self, timeout: float = ...) -> None: ...


@dataclass
class Background:
    runner: _Stoppable | None
    scheduler: Scheduler | None

    def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.runner is not None:
            self.runner.stop()


def start_background(engine: Engine, settings: Settings) -> Background:
    """Start the in-process job runner and the internal schedule, as the settings say."""
    runner = start_in_process(engine, settings) if settings.job_runner == "in_process" else None
    scheduler = Scheduler(engine, settings) if settings.scheduler == "internal" else None
    if scheduler is not None:
        scheduler.start()
    return Background(runner, scheduler)
