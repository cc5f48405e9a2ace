"""The job wrapper on both databases: coalescing, running, failing, interrupted jobs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from typer.testing import CliRunner

from app.database import session_scope
from app.jobs import JobContext, enqueue, execute, mark_interrupted, run_due, task
from models import Job
from models.base import utcnow

CALLS: list[dict] = []


@task("tests.record")
def record(context: JobContext, args: dict) -> dict:
    CALLS.append({"job": context.job_id, **args, "reasons": context.reasons})
    context.progress("working", 1, 2)
    if args.get("fail"):
        raise ValueError("asked to fail")
    return {"seen": args.get("n")}


def _queue(engine, **kwargs):
    with session_scope(engine) as session:
        return enqueue(session, "tests.record", {"n": 1}, actor="t", **kwargs)


def test_a_burst_coalesces_into_one_queued_job(engine, settings):
    first = _queue(engine, reason="upload", coalesce_key="k")
    again = _queue(engine, reason="override", coalesce_key="k")
    later = _queue(
        engine, reason="override_expiry", coalesce_key="k", run_after=utcnow() + timedelta(hours=1)
    )
    other = _queue(engine, reason="upload", coalesce_key="other")
    assert first == again and later != first and other != first
    with session_scope(engine) as session:
        job = session.get(Job, first)
        assert (job.requests, job.reasons) == (2, ["override", "upload"])
    # an immediate request never joins the job waiting for later, nor the other way round
    assert _queue(engine, reason="rules", coalesce_key="k") == first
    CALLS.clear()
    assert run_due(engine, settings) == 2  # `later` is not due
    assert sorted(c["job"] for c in CALLS) == sorted([first, other])
    with session_scope(engine) as session:
        done = session.get(Job, first)
        assert done.state == "succeeded" and done.result == {"seen": 1}
        assert done.progress == {"step": "done"} and done.attempts == 1
        assert session.get(Job, later).state == "queued"
    # once it has started, a new request queues a new job
    assert _queue(engine, reason="upload", coalesce_key="k") not in (first, later)


def test_a_failing_job_keeps_its_error_and_runs_once(engine, settings):
    with session_scope(engine) as session:
        job_id = enqueue(session, "tests.record", {"fail": True}, actor="t", reason="manual")
    assert execute(engine, settings, job_id) == "failed"
    assert execute(engine, settings, job_id) is None  # not queued any more: not ours to run
    with session_scope(engine) as session:
        job = session.get(Job, job_id)
        assert job.state == "failed" and job.error == "ValueError: asked to fail"


def test_running_jobs_without_a_heartbeat_are_marked_interrupted(engine):
    job_id = _queue(engine, reason="manual")
    with session_scope(engine) as session:
        session.execute(
            update(Job).values(state="running", heartbeat_at=utcnow() - timedelta(hours=1))
        )
    with session_scope(engine) as session:
        assert mark_interrupted(session, older_than=timedelta(minutes=10)) == 1
    with session_scope(engine) as session:
        job = session.get(Job, job_id)
        assert job.state == "failed" and job.error.startswith("interrupted")


def test_tick_runs_the_schedule_once(engine, settings, monkeypatch):
    from app.cli import cli
    from app.settings import get_settings

    monkeypatch.setenv("EQUIWAIT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("EQUIWAIT_ENVIRONMENT", "test")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["tick"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert '"rankings_queued": {}' in result.stdout
