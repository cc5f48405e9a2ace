"""Every change reaches the served ranked list by itself (no POST /rankings), on both databases:
upload, push, publication, scheduled publication, override revocation and expiry; freshness
and the stale flag; the recovery sweep."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from app.database import session_scope
from app.rankings.lists import record_changes
from app.scheduler import tick
from models import Job
from tests.api.ptl_files import demo_csv
from tests.api.test_rules import RULES, _draft, _publish, _put, _with_decile_1
from tests.app.rankings.helpers import csv_records, runs, to_csv, upload
from tests.conftest import wait_for_jobs

RANKED = "/api/v1/ptl/ranked"


def _ranked(client, auth, **params):
    response = client.get(RANKED, params={"limit": 1000, **params}, headers=auth("scheduler"))
    assert response.status_code == 200, response.text
    return response


def _served(client, auth, **params):
    """(specialty, stage) → serving run id, from the freshness of the ranked list."""
    body = _ranked(client, auth, **params).json()
    return {(f["specialty"], f["pathway_stage"]): f["run_id"] for f in body["freshness"]}


def test_an_upload_answers_with_its_queued_job_which_then_serves_every_list(client, auth, engine):
    client.wait_for_jobs = False
    response = client.post(
        "/api/v1/ptl/uploads",
        files={"file": ("ptl.csv", demo_csv(200, seed=61), "text/csv")},
        headers=auth("scheduler", subject="pas.feed"),
    )
    assert response.status_code == 201, response.text
    [ranking] = response.json()["rankings"]
    assert ranking["job_id"] and ranking["state"] == "queued" and ranking["run_id"] is None
    wait_for_jobs(engine)
    job = client.get(f"/api/v1/jobs/{ranking['job_id']}", headers=auth("auditor")).json()
    assert job["state"] == "succeeded" and job["reasons"] == ["upload"]
    assert job["result"]["run_id"] and job["progress"]["step"] == "done"
    page = _ranked(client, auth)
    assert page.headers["Equiwait-Stale"] == "false"
    body = page.json()
    assert body["stale"] is False and body["items"]
    assert {f["run_id"] for f in body["freshness"]} == {job["result"]["run_id"]}
    fresh = body["freshness"][0]
    assert fresh["ranked_at"] and fresh["rule_versions"] == {"default": None}
    assert fresh["latest_change_at"] <= fresh["ranked_at"]
    assert client.get("/api/v1/jobs/999999", headers=auth("auditor")).status_code == 404


def test_a_one_record_push_re_ranks_only_its_list(client, auth, engine):
    content = demo_csv(300, seed=62)
    upload(client, auth, content)
    before = _served(client, auth)
    record = csv_records(content)[0]
    record["priority_code"] = "P2" if record["priority_code"] != "P2" else "P3"
    upload(client, auth, to_csv([record]), mode="upsert")
    after = _served(client, auth)
    key = (record["treatment_function_code"], record["pathway_stage"])
    assert after[key] != before[key]
    assert {k: v for k, v in after.items() if k != key} == {
        k: v for k, v in before.items() if k != key
    }
    newest = runs(engine)[-1]
    assert newest.id == after[key] and newest.specialties == [key[0]]
    rows = _ranked(client, auth, specialty=key[0], stage=key[1]).json()["items"]
    assert (
        next(r for r in rows if r["pathway_id"] == record["pathway_id"])["priority_code"]
        == (record["priority_code"])
    )


def _publishable(client, auth, specialty, days):
    draft = _draft(client, auth, specialty).json()
    document = _with_decile_1(draft["document"], days)
    put = _put(client, auth, draft, document, f'"{draft["lock_version"]}"')
    assert put.status_code == 200, put.text
    edited = put.json()
    preview = client.post(
        f"{RULES}/{specialty}/drafts/{edited['id']}/preview",
        params={"provider": "RZZ", "weeks": 4},
        headers=auth("clinician"),
    )
    assert preview.status_code == 200, preview.text
    return edited


def test_a_publication_reaches_its_specialty_lists(client, auth, engine):
    content = demo_csv(300, seed=63)
    upload(client, auth, content)
    specialty = csv_records(content)[0]["treatment_function_code"]
    before = _served(client, auth)
    published = _publish(client, auth, _publishable(client, auth, specialty, 30.0))
    assert published.status_code == 200, published.text
    assert published.json()["ranking_job_ids"]
    after = _served(client, auth)
    for key, run_id in after.items():
        assert (run_id != before[key]) == (key[0] == specialty)
    fresh = _ranked(client, auth, specialty=specialty).json()["freshness"]
    assert {f["rule_versions"][specialty] for f in fresh} == {published.json()["id"]}
    run = client.get(f"/api/v1/rankings/{fresh[0]['run_id']}", headers=auth("auditor")).json()
    assert run["trigger"] == "change" and run["job_id"] in published.json()["ranking_job_ids"]


def test_a_scheduled_publication_takes_effect_by_itself(client, auth, engine):
    content = demo_csv(200, seed=64)
    upload(client, auth, content)
    specialty = csv_records(content)[0]["treatment_function_code"]
    before = _served(client, auth, specialty=specialty)
    effective = datetime.now(UTC) + timedelta(seconds=3)
    published = _publish(
        client, auth, _publishable(client, auth, specialty, 28.0), effective_from=effective
    )
    assert published.status_code == 200, published.text
    assert _served(client, auth, specialty=specialty) == before
    assert _ranked(client, auth, specialty=specialty).json()["stale"] is False
    time.sleep(max((effective - datetime.now(UTC)).total_seconds(), 0) + 0.5)
    wait_for_jobs(engine)
    after = _ranked(client, auth, specialty=specialty).json()
    assert all(
        after_run != before[key]
        for key, after_run in _served(client, auth, specialty=specialty).items()
    )
    assert {f["rule_versions"][specialty] for f in after["freshness"]} == {published.json()["id"]}
    assert after["stale"] is False


def _override(client, auth, pathway, **body):
    response = client.post(
        f"/api/v1/ptl/entries/{pathway}/overrides",
        params={"provider": "RZZ"},
        json={"kind": "pin_ahead", "reason": "clinical review", **body},
        headers=auth("clinician", subject="dr.who"),
    )
    assert response.status_code == 201, response.text
    return response.json()


def _row(client, auth, pathway):
    items = _ranked(client, auth, include_parked="true").json()["items"]
    return next(i for i in items if i["pathway_id"] == pathway)


def test_override_creation_revocation_and_expiry_reach_the_list(client, auth, engine):
    content = demo_csv(200, seed=65)
    upload(client, auth, content)
    ranked = [i for i in _ranked(client, auth).json()["items"] if not i["protected"]]
    kept, expiring = ranked[-1]["pathway_id"], ranked[-2]["pathway_id"]
    long = _override(
        client, auth, kept, expires_at=(datetime.now(UTC) + timedelta(days=5)).isoformat()
    )
    assert long["ranking_job_id"]
    assert _row(client, auth, kept)["override"]["status"] == "applied"
    revoked = client.post(
        f"/api/v1/overrides/{long['id']}/revoke",
        json={"reason": "no longer needed"},
        headers=auth("clinician"),
    )
    assert revoked.status_code == 200 and revoked.json()["ranking_job_id"]
    assert _row(client, auth, kept)["override"] is None
    ends = datetime.now(UTC) + timedelta(seconds=3)
    _override(client, auth, expiring, expires_at=ends.isoformat())
    assert _row(client, auth, expiring)["override"]["status"] == "applied"
    time.sleep(max((ends - datetime.now(UTC)).total_seconds(), 0) + 0.5)
    wait_for_jobs(engine)
    assert _row(client, auth, expiring)["override"] is None


def test_a_pending_change_shows_stale_until_the_sweep_re_ranks_it(client, auth, engine, settings):
    content = demo_csv(120, seed=66)
    upload(client, auth, content)
    record = csv_records(content)[0]
    key = ("RZZ", record["treatment_function_code"], record["pathway_stage"])
    with session_scope(engine) as session:
        record_changes(session, [key])  # a change whose job was lost
    page = _ranked(client, auth, specialty=key[1], stage=key[2])
    assert page.headers["Equiwait-Stale"] == "true"
    [fresh] = page.json()["freshness"]
    assert fresh["stale"] and fresh["stale_reasons"] == ["entries"]
    assert fresh["latest_change_at"] > fresh["ranked_at"]
    rationale = client.get(
        f"/api/v1/ptl/entries/{record['pathway_id']}/rationale",
        params={"provider": "RZZ"},
        headers=auth("auditor"),
    )
    assert rationale.headers["Equiwait-Stale"] == "true"
    assert rationale.json()["freshness"]["stale"] is True
    csv_text = _ranked(client, auth, format="csv").text
    assert "ranked_at,rule_versions,latest_change_at,stale" in csv_text.splitlines()[0]
    done = tick(engine, settings)
    assert list(done["rankings_queued"]) == ["RZZ"]
    wait_for_jobs(engine)
    assert _ranked(client, auth, specialty=key[1], stage=key[2]).json()["stale"] is False


def test_a_reference_data_change_re_ranks_every_list(client, auth, engine, tmp_path):
    from app.bootstrap import prepare_database

    upload(client, auth, demo_csv(120, seed=67))
    before = _served(client, auth)
    prepare_database(engine, load_default_imd=False, show_progress=False)  # nothing changed
    wait_for_jobs(engine)
    assert _served(client, auth) == before
    (tmp_path / "clinical_areas.extra.csv").write_text(
        "code,name,population\noral_cancer,Oral cancer (local),adult\n"
    )
    prepare_database(
        engine, load_default_imd=False, show_progress=False, reference_data_dir=tmp_path
    )
    wait_for_jobs(engine)
    after = _served(client, auth)
    assert set(after) == set(before) and all(after[k] != before[k] for k in before)
    assert runs(engine)[-1].trigger == "change"


def test_a_push_while_the_last_ranking_runs_gets_a_job_of_its_own(client, auth, engine):
    content = demo_csv(150, seed=68)
    upload(client, auth, content)
    client.wait_for_jobs = False
    record = csv_records(content)[0]
    record["priority_code"] = "P2" if record["priority_code"] != "P2" else "P3"
    with session_scope(engine) as session:
        # a ranking job of the provider is running (it read the lists before this push)
        from app.rankings.jobs import queue_ranking

        running = queue_ranking(session, "RZZ", actor="t", reason="upload")
        session.execute(update(Job).where(Job.id == running).values(state="running"))
    pushed = upload(client, auth, to_csv([record]), mode="upsert")
    [ranking] = pushed["rankings"]
    assert ranking["job_id"] != running
    with session_scope(engine) as session:  # (the stand-in for the running job ends)
        session.execute(update(Job).where(Job.id == running).values(state="failed"))
    wait_for_jobs(engine)
    key = (record["treatment_function_code"], record["pathway_stage"])
    [fresh] = _ranked(client, auth, specialty=key[0], stage=key[1]).json()["freshness"]
    assert fresh["stale"] is False
