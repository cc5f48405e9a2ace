"""kill -9 between an upload's commit and its ranking, on both databases: after a restart the
queued job (or the recovery sweep, or a replay of the upload) brings the lists up to date."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from app.database import session_scope
from app.main import create_app
from app.rankings.lists import stale_lists
from models import Job, PtlEntry, RankingRun
from tests.api.ptl_files import demo_csv
from tests.conftest import TEST_SECRET, WaitingClient, wait_for_jobs

#: Uploads a PTL through the service, then SIGKILLs itself the moment the upload commits
#: (before any job can claim the ranking it queued).
_KILLED_UPLOAD = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import timedelta

    from fastapi.testclient import TestClient
    from sqlalchemy import event

    import api.routes.ptl as routes
    from app.main import create_app
    from app.security import Role, create_token
    from app.settings import Settings

    url, secret, path = sys.argv[1:4]
    # No runner in this process: it dies before any worker could take the job.
    settings = Settings(environment="test", database_url=url, secret_key=secret,
                        scheduler="external", job_runner="external")
    token = create_token("pas.feed", [Role.SCHEDULER], secret, timedelta(hours=1))
    queue = routes.upload_rankings

    def queue_then_die_at_commit(session, *args, **kwargs):
        attempts = queue(session, *args, **kwargs)
        event.listen(session, "after_commit", lambda _s: os.kill(os.getpid(), signal.SIGKILL))
        return attempts

    routes.upload_rankings = queue_then_die_at_commit
    with TestClient(create_app(settings)) as client, open(path, "rb") as handle:
        client.post("/api/v1/ptl/uploads", files={"file": ("ptl.csv", handle, "text/csv")},
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "weekly"})
    print("not killed")
    """
)


def _upload_and_die(database_url: str, csv_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _KILLED_UPLOAD, database_url, TEST_SECRET, str(csv_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "EQUIWAIT_ENVIRONMENT": "test"},
        cwd=Path(__file__).resolve().parents[2],
    )


@pytest.fixture
def killed_upload(database_url, engine, tmp_path):
    path = tmp_path / "ptl.csv"
    path.write_bytes(demo_csv(150, seed=71))
    done = _upload_and_die(database_url, path)
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(PtlEntry)) == 150
        assert session.scalar(select(func.count()).select_from(RankingRun)) == 0
        assert list(session.scalars(select(Job.state))) == ["queued"]
        assert stale_lists(session, "RZZ")
    return path


def _served(client, auth):
    response = client.get("/api/v1/ptl/ranked", params={"limit": 1000}, headers=auth("scheduler"))
    assert response.status_code == 200, response.text
    return response.json()


def test_after_a_restart_the_queued_ranking_runs(killed_upload, client, auth, engine):
    wait_for_jobs(engine)  # the restarted service's runner takes the job the upload queued
    body = _served(client, auth)
    assert body["stale"] is False and len(body["items"]) > 0
    with session_scope(engine) as session:
        [job] = session.scalars(select(Job)).all()
        [run] = session.scalars(select(RankingRun)).all()
        assert job.state == "succeeded" and run.job_id == job.id
        assert run.trigger == "upload" and run.entry_count == 150


def test_the_start_up_sweep_re_ranks_when_the_job_was_lost_too(
    killed_upload, settings, auth, engine
):
    with session_scope(engine) as session:
        # As if the queue had lost the job with the process: only the stale lists remain.
        session.execute(update(Job).values(state="failed", error="lost with the process"))
    restarted = settings.model_copy(update={"scheduler": "internal"})
    with WaitingClient(create_app(restarted)) as client:
        deadline = time.monotonic() + 60
        while not _recovery_queued(engine) and time.monotonic() < deadline:
            time.sleep(0.05)  # the schedule's first tick is queued as the service starts
        wait_for_jobs(engine)
        body = _served(client, auth)
    assert body["stale"] is False and len(body["items"]) > 0
    with session_scope(engine) as session:
        reasons = [job.reasons for job in session.scalars(select(Job).order_by(Job.id))]
    assert ["recovery"] in reasons


def _recovery_queued(engine):
    with session_scope(engine) as session:
        return any("recovery" in (r or []) for r in session.scalars(select(Job.reasons)))


def test_a_replay_re_queues_a_missing_ranking(killed_upload, client, auth, engine):
    with session_scope(engine) as session:
        # The job the upload queued is gone with the process (on a queue that lost it).
        session.execute(update(Job).values(state="failed", error="lost with the process"))
    with killed_upload.open("rb") as handle:
        replay = client.post(
            "/api/v1/ptl/uploads",
            files={"file": ("ptl.csv", handle, "text/csv")},
            headers={**auth("scheduler", subject="pas.feed"), "Idempotency-Key": "weekly"},
        )
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    [ranking] = replay.json()["rankings"]
    with session_scope(engine) as session:
        job = session.get(Job, ranking["job_id"])
        assert job is not None and job.state == "succeeded"
    body = _served(client, auth)
    assert body["stale"] is False and body["items"]
