"""Background jobs: one wrapper around the job library, shared by every domain's tasks.

Why a wrapper: the same task functions run on both databases. On PostgreSQL the queue is
procrastinate's, kept in the database itself, so workers on any machine sharing the database
take jobs (``equiwait worker``, or the service's own in-process worker). On embedded SQLite
the service runs them in-process from the ``jobs`` table. Either way the ``jobs`` row is the
record the API shows: state, progress, result and error.

A domain declares its tasks with :func:`task` (for example ``app/rankings/jobs.py``) and asks
for work with :func:`enqueue` inside its own transaction, so a job exists exactly when the
change that needs it was committed. ``coalesce_key`` makes bursts cheap: while a job with the
same key is still queued, asking again returns that job.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.database import session_factory
from app.settings import Settings
from models import Job
from models.base import utcnow
from models.jobs import FAILED, QUEUED, RUNNING, SUCCEEDED

logger = logging.getLogger(__name__)

#: Modules whose import registers tasks (a worker imports them all before taking jobs).
TASK_MODULES: tuple[str, ...] = (
    "app.rankings.jobs",
    "app.reports.jobs",
    "app.risk.service",
    "app.rules.calibration",
    "app.scheduler",
)
QUEUE = "equiwait"
PROCRASTINATE_TASK = "equiwait.run_job"
ERROR_LIMIT = 4000

TaskFunction = Callable[["JobContext", dict[str, Any]], dict[str, Any] | None]


@dataclass(frozen=True, slots=True)
class TaskSpec:
    name: str
    function: TaskFunction


_TASKS: dict[str, TaskSpec] = {}


def task(name: str) -> Callable[[TaskFunction], TaskFunction]:
    """Register ``function`` as the task ``name`` (unique across domains)."""

    def register(function: TaskFunction) -> TaskFunction:
        if name in _TASKS and _TASKS[name].function is not function:
            raise ValueError(f"task {name!r} is registered twice")
        _TASKS[name] = TaskSpec(name, function)
        return function

    return register


def load_tasks() -> dict[str, TaskSpec]:
    """Every registered task (importing the domains' task modules first)."""
    for module in TASK_MODULES:
        importlib.import_module(module)
    return dict(_TASKS)


@dataclass
class JobContext:
    """What a running task gets: its job id, the database and settings, a progress reporter."""

    job_id: int
    engine: Engine
    settings: Settings
    reasons: list[str] = field(default_factory=list)
    requested_by: str = "equiwait.jobs"

    def session(self) -> Session:
        return session_factory(self.engine)()

    def progress(self, step: str, done: int | None = None, total: int | None = None) -> None:
        """Record progress (and a heartbeat) in its own short transaction.

        Call it between the task's own writes, never while its transaction holds SQLite's
        write lock (this update would wait for that lock).
        """
        value: dict[str, Any] = {"step": step}
        if done is not None:
            value["done"] = done
        if total is not None:
            value["total"] = total
        with self.session() as session, session.begin():
            session.execute(
                update(Job)
                .where(Job.id == self.job_id)
                .values(progress=value, heartbeat_at=utcnow())
            )


def is_postgresql(session_or_engine: Session | Engine) -> bool:
    bind = (
        session_or_engine.get_bind()
        if isinstance(session_or_engine, Session)
        else session_or_engine
    )
    return bind.dialect.name == "postgresql"


def enqueue(
    session: Session,
    task_name: str,
    args: dict[str, Any],
    *,
    actor: str,
    reason: str,
    coalesce_key: str | None = None,
    run_after: datetime | None = None,
) -> int:
    """Queue ``task_name(args)`` in the caller's transaction; the job's id.

    With ``coalesce_key``, a job of that key still queued absorbs this request (its reasons
    and request count grow) instead of a new job: for a request due now, any such job already
    due; for one due later, only a job due at that same moment (an earlier job would run
    before the change it waits for has happened).
    """
    if task_name not in load_tasks():
        raise ValueError(f"unknown task {task_name!r}")
    now = utcnow()
    due = max(run_after or now, now)
    if coalesce_key is not None:
        absorbed = _absorb(session, coalesce_key, due, reason, exact=due > now)
        if absorbed is not None:
            return absorbed
    job = Job(
        task=task_name,
        args=args,
        coalesce_key=coalesce_key,
        state=QUEUED,
        requested_by=actor,
        reasons=[reason],
        requests=1,
        created_at=now,
        run_after=due,
        attempts=0,
        progress={},
    )
    session.add(job)
    session.flush()
    if is_postgresql(session):
        job.queue_job_id = _defer(session, job.id, due if due > now else None)
        session.flush()
    else:
        _wake_after_commit(session)
    return job.id


def _absorb(session: Session, key: str, due: datetime, reason: str, *, exact: bool) -> int | None:
    timing = Job.run_after == due if exact else Job.run_after <= due
    candidates = session.execute(
        select(Job.id, Job.reasons)
        .where(Job.coalesce_key == key, Job.state == QUEUED, timing)
        .order_by(Job.run_after, Job.id)
        .limit(3)
    ).all()
    for job_id, reasons in candidates:
        merged = sorted({*(reasons or []), reason})
        changed = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == QUEUED)
            .values(requests=Job.requests + 1, reasons=merged)
            .execution_options(synchronize_session=False)
        )
        if getattr(changed, "rowcount", 0) == 1:
            return int(job_id)
    return None


# --- PostgreSQL: procrastinate -------------------------------------------------------------


def _conninfo(database_url: str) -> str:
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _blueprint() -> Any:
    import procrastinate

    blueprint = procrastinate.Blueprint()

    @blueprint.task(name=PROCRASTINATE_TASK, queue=QUEUE)
    def run_job(job_id: int) -> None:
        runtime = _WORKER_RUNTIME.get("current")
        if runtime is None:
            raise RuntimeError("no worker runtime: start the worker with equiwait worker")
        execute(runtime[0], runtime[1], job_id)

    return blueprint


_APPS: dict[str, Any] = {}
_WORKER_RUNTIME: dict[str, tuple[Engine, Settings]] = {}


def procrastinate_app(database_url: str) -> Any:
    """The procrastinate app for a PostgreSQL database (connector opened only by workers)."""
    if database_url not in _APPS:
        import procrastinate

        app = procrastinate.App(
            connector=procrastinate.PsycopgConnector(
                conninfo=_conninfo(database_url), min_size=1, max_size=4
            )
        )
        app.add_tasks_from(_blueprint(), namespace="equiwait")
        _APPS[database_url] = app
    return _APPS[database_url]


def _defer(session: Session, job_id: int, at: datetime | None) -> int:
    """Defer the queue's job for ``job_id`` on the session's own connection (same commit).

    No procrastinate ``lock``: a job waiting for a future time would hold back every later
    job of its lock. Two runs of one provider at once stay correct (a list keeps the run that
    read its latest change) and are rare, since a provider has one queued job at a time.
    """
    connection = session.connection()
    raw = connection.connection.driver_connection
    app = procrastinate_app(connection.engine.url.render_as_string(hide_password=False))
    deferrer = app.configure_task(f"equiwait:{PROCRASTINATE_TASK}", schedule_at=at, connection=raw)
    return int(deferrer.defer(job_id=job_id))


# --- Running a job -------------------------------------------------------------------------


def claim(engine: Engine, job_id: int) -> Job | None:
    """Mark a queued job running (None when another worker has it or it is done)."""
    now = utcnow()
    with session_factory(engine)() as session, session.begin():
        claimed = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == QUEUED)
            .values(
                state=RUNNING,
                started_at=now,
                heartbeat_at=now,
                attempts=Job.attempts + 1,
                progress={"step": "started"},
            )
            .execution_options(synchronize_session=False)
        )
        if getattr(claimed, "rowcount", 0) != 1:
            return None
        return session.get(Job, job_id)


def execute(engine: Engine, settings: Settings, job_id: int) -> str | None:
    """Claim and run one job; its final state (None when it was not ours to run)."""
    job = claim(engine, job_id)
    if job is None:
        return None
    spec = load_tasks().get(job.task)
    context = JobContext(job_id, engine, settings, list(job.reasons or []), job.requested_by)
    try:
        if spec is None:
            raise LookupError(f"unknown task {job.task!r}")
        result = spec.function(context, dict(job.args))
    except Exception as exc:
        logger.exception("job %s (%s) failed", job_id, job.task)
        _finish(engine, job_id, FAILED, error=f"{type(exc).__name__}: {exc}"[:ERROR_LIMIT])
        return FAILED
    _finish(engine, job_id, SUCCEEDED, result=result or {})
    return SUCCEEDED


def _finish(
    engine: Engine,
    job_id: int,
    state: str,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    with session_factory(engine)() as session, session.begin():
        session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(
                state=state,
                finished_at=utcnow(),
                result=result,
                error=error,
                progress={"step": "done" if state == SUCCEEDED else "failed"},
            )
        )


def mark_interrupted(session: Session, *, older_than: timedelta) -> int:
    """Fail running jobs whose worker stopped sending heartbeats (killed, or lost)."""
    cutoff = utcnow() - older_than
    changed = session.execute(
        update(Job)
        .where(Job.state == RUNNING, Job.heartbeat_at < cutoff)
        .values(
            state=FAILED,
            finished_at=utcnow(),
            error="interrupted: the worker stopped before the job finished; the recovery "
            "sweep re-queues what it left undone",
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(changed, "rowcount", 0) or 0)


def due_jobs(engine: Engine, limit: int = 10) -> list[int]:
    """Queued jobs whose time has come, oldest first."""
    with session_factory(engine)() as session:
        return list(
            session.scalars(
                select(Job.id)
                .where(Job.state == QUEUED, Job.run_after <= utcnow())
                .order_by(Job.run_after, Job.id)
                .limit(limit)
            )
        )


def next_due_at(engine: Engine) -> datetime | None:
    with session_factory(engine)() as session:
        return session.scalar(
            select(Job.run_after).where(Job.state == QUEUED).order_by(Job.run_after).limit(1)
        )


def run_due(engine: Engine, settings: Settings) -> int:
    """Run every job due now in this thread (the in-process runner's step; tests use it)."""
    ran = 0
    while True:
        ids = due_jobs(engine)
        if not ids:
            return ran
        for job_id in ids:
            if execute(engine, settings, job_id) is not None:
                ran += 1


# --- In-process runners --------------------------------------------------------------------

_RUNNERS: dict[int, InProcessRunner] = {}


def _wake_after_commit(session: Session) -> None:
    """Wake the in-process runner of this database once the enqueuing transaction commits."""
    bind = session.get_bind()
    runner = _RUNNERS.get(id(bind))
    if runner is None or session.info.get("wake_registered"):
        return
    session.info["wake_registered"] = True

    def wake(_session: Session) -> None:
        _session.info.pop("wake_registered", None)
        runner.wake()

    event.listen(session, "after_commit", wake, once=True)


class InProcessRunner:
    """Runs queued jobs in a background thread of the service (SQLite's runner).

    Jobs run one at a time, so two rankings of one provider never overlap; a job that is
    due later is picked up when its time comes (the thread sleeps until then or until woken).
    """

    def __init__(self, engine: Engine, settings: Settings, *, poll_seconds: float) -> None:
        self.engine = engine
        self.settings = settings
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        load_tasks()
        _RUNNERS[id(self.engine)] = self
        self._thread = threading.Thread(target=self._loop, name="equiwait-jobs", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        _RUNNERS.pop(id(self.engine), None)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                while not self._stop.is_set():
                    ids = due_jobs(self.engine, limit=1)
                    if not ids:
                        break
                    execute(self.engine, self.settings, ids[0])
                wait = self.poll_seconds
                upcoming = next_due_at(self.engine)
                if upcoming is not None:
                    wait = min(wait, max((upcoming - utcnow()).total_seconds(), 0.05))
            except Exception:
                logger.exception("in-process job runner step failed; retrying")
                wait = self.poll_seconds
            self._wake.wait(wait)
            self._wake.clear()


class ProcrastinateWorker:
    """procrastinate's worker in a background thread of the service (PostgreSQL in-process)."""

    def __init__(self, engine: Engine, settings: Settings, *, concurrency: int = 1) -> None:
        self.engine = engine
        self.settings = settings
        self.concurrency = concurrency
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    def start(self) -> None:
        load_tasks()
        _WORKER_RUNTIME["current"] = (self.engine, self.settings)
        self._thread = threading.Thread(target=self._run, name="equiwait-worker", daemon=True)
        self._thread.start()
        self._ready.wait(30)

    def _run(self) -> None:
        app = procrastinate_app(self.settings.database_url)
        loop = asyncio.new_event_loop()
        self._loop = loop

        async def main() -> None:
            async with app.open_async():
                self._task = asyncio.current_task()
                self._ready.set()
                await app.run_worker_async(
                    queues=[QUEUE],
                    concurrency=self.concurrency,
                    install_signal_handlers=False,
                    name="equiwait-in-process",
                    fetch_job_polling_interval=self.settings.job_poll_seconds,
                    delete_jobs="successful",  # the jobs table keeps the record
                )

        try:
            loop.run_until_complete(main())
        except asyncio.CancelledError:
            pass
        except Exception:
            logger.exception("in-process procrastinate worker stopped")
        finally:
            self._ready.set()
            loop.close()

    def stop(self, timeout: float = 30.0) -> None:
        if self._loop is not None and self._task is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._task.cancel)
        if self._thread is not None:
            self._thread.join(timeout)
        _WORKER_RUNTIME.pop("current", None)


def run_worker(engine: Engine, settings: Settings, *, concurrency: int = 1) -> None:
    """``equiwait worker``: take jobs until stopped (SIGINT/SIGTERM)."""
    load_tasks()
    if engine.dialect.name != "postgresql":
        runner = InProcessRunner(engine, settings, poll_seconds=settings.job_poll_seconds)
        runner.start()
        try:
            threading.Event().wait()
        finally:
            runner.stop()
        return
    _WORKER_RUNTIME["current"] = (engine, settings)
    app = procrastinate_app(settings.database_url)
    app.run_worker(
        queues=[QUEUE],
        concurrency=concurrency,
        name="equiwait-worker",
        fetch_job_polling_interval=settings.job_poll_seconds,
        delete_jobs="successful",  # the jobs table keeps the record
    )


def start_in_process(engine: Engine, settings: Settings) -> InProcessRunner | ProcrastinateWorker:
    """The service's own job runner for its database."""
    if engine.dialect.name == "postgresql":
        worker = ProcrastinateWorker(engine, settings)
        worker.start()
        return worker
    runner = InProcessRunner(engine, settings, poll_seconds=settings.job_poll_seconds)
    runner.start()
    return runner


def get_job(session: Session, job_id: int) -> Job | None:
    return session.get(Job, job_id)


def jobs_by_id(session: Session, ids: Iterable[int]) -> dict[int, Job]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {job.id: job for job in session.scalars(select(Job).where(Job.id.in_(wanted)))}
