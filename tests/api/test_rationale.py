"""Rationale over HTTP: the run in force at a moment, inputs then, rules, sentence, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import select

from app.audit import AuditKind
from app.database import session_scope
from app.ptl_arrays import load_open_ptl
from app.rankings import specialty_names
from models import AuditEvent
from prioritisation import COMPONENTS, load_default_rules, rank_ptl
from tests.api.ptl_files import CENSUS, demo_csv, without_rows
from tests.app.rankings.helpers import csv_records, results, runs, to_csv, upload
from tests.app.rules.factories import add_published, specialty_document


def _url(pathway_id: str) -> str:
    return f"/api/v1/ptl/entries/{pathway_id}/rationale"


def _rationale(client, auth, pathway_id, at=None, role="auditor"):
    params = {"provider": "RZZ", **({"at": at.isoformat()} if at else {})}
    return client.get(_url(pathway_id), params=params, headers=auth(role, subject="audit.lead"))


def test_sentences_match_the_engine_for_every_kind_of_entry(client, auth, engine):
    upload(client, auth, demo_csv(400, seed=41))
    with session_scope(engine) as session:
        loaded = load_open_ptl(session, "RZZ", imd_edition="iod2019")
        names = specialty_names(session)
    expected = rank_ptl(loaded.arrays, load_default_rules(), CENSUS)
    picks = {
        "parked": np.flatnonzero(expected.parked)[:1],
        "capped": np.flatnonzero(expected.capped)[:1],
        "protected": np.flatnonzero(expected.protected & ~expected.parked)[:1],
        "deprived": np.flatnonzero((loaded.arrays.imd_decile == 1) & ~expected.parked)[:1],
    }
    assert all(len(p) for p in picks.values()), {k: len(v) for k, v in picks.items()}
    for index in np.concatenate(list(picks.values())).tolist():
        explained = expected.explain([index], names)[0]
        response = _rationale(client, auth, explained["pathway_id"])
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["sentence"] == explained["sentence"]
        assert body["rank"] == explained["rank"] and body["list_size"] == explained["list_size"]
        assert body["components"] == explained["components"]
        assert body["factors"] == explained["factors"]
        assert body["wait_weeks"] == explained["wait_weeks"]
    capped = _rationale(client, auth, str(loaded.arrays.pathway_id[picks["capped"][0]])).json()
    assert "capped at" in capped["sentence"] and capped["capped"]
    assert sum(capped["components"][c] for c in COMPONENTS) == capped["score"]


def test_rationale_answers_the_run_in_force_at_each_moment(client, auth, engine):
    content = demo_csv(200, seed=42)
    upload(client, auth, content)
    candidate = next(
        r
        for r in results(engine, runs(engine)[0].id)
        if r.imd_decile not in (1, 2) and not r.parked and not r.clinical_areas
    )
    records = csv_records(content)
    target = next(r for r in records if r["pathway_id"] == candidate.pathway_id)
    t1 = datetime.now(UTC)
    target["imd_decile"] = "1"
    target["lsoa_code"] = ""
    target["clinical_areas"] = "hypertension"
    upload(client, auth, to_csv(records))
    t2 = datetime.now(UTC)
    first, second = runs(engine)
    before = _rationale(client, auth, target["pathway_id"], at=t1).json()
    after = _rationale(client, auth, target["pathway_id"], at=t2).json()
    now = _rationale(client, auth, target["pathway_id"]).json()
    assert before["run"]["id"] == first.id and after["run"]["id"] == second.id
    assert now == {**after, "at": now["at"]}
    assert before["inputs"]["imd_decile"] != 1 and after["inputs"]["imd_decile"] == 1
    assert before["inputs"]["clinical_areas"] == [] and after["inputs"]["clinical_areas"] == [
        "hypertension"
    ]
    assert after["inputs"]["imd_source"] == "supplied"
    assert after["components"]["deprivation"] > before["components"]["deprivation"]
    assert before["sentence"] != after["sentence"]
    assert "10% most deprived" in after["sentence"]
    assert after["sentence"].startswith("ranked ")
    [rules] = after["rules"]
    assert (rules["key"], rules["version_id"]) == ("default", None)
    assert rules["document"] == load_default_rules().default.model_dump(mode="json")
    stored = next(r for r in results(engine, second.id) if r.pathway_id == target["pathway_id"])
    assert after["rank"] == stored.rank and after["conventional_rank"] == stored.conventional_rank
    assert after["rank_change"] == stored.conventional_rank - stored.rank


def test_published_specialty_rules_are_named_with_their_document(client, auth, engine):
    content = demo_csv(150, seed=43)
    code = csv_records(content)[0]["treatment_function_code"]
    pathway = next(
        r["pathway_id"]
        for r in csv_records(content)
        if r["treatment_function_code"] == code and r["priority_code"] in ("P2", "P3", "P4")
    )
    with session_scope(engine) as session:
        document = specialty_document(code, decile_1=14.0)
        version_id = add_published(
            session,
            code,
            document,
            effective_from=datetime.now(UTC) - timedelta(minutes=5),
            published_at=datetime.now(UTC) - timedelta(minutes=5),
        ).id
    upload(client, auth, content)
    body = _rationale(client, auth, pathway, role="clinician").json()
    assert [(r["key"], r["version_id"]) for r in body["rules"]] == [
        (code, version_id),
        ("default", None),
    ]
    assert body["rules"][0]["document"]["deprivation"]["decile_uplift_days"]["1"] == 14.0
    assert body["run"]["rule_versions"][code] == version_id


def test_each_access_is_audited(client, auth, engine):
    content = demo_csv(50, seed=44)
    upload(client, auth, content)
    pathway = csv_records(content)[0]["pathway_id"]
    assert _rationale(client, auth, pathway).status_code == 200
    assert _rationale(client, auth, pathway, role="admin").status_code == 200
    with session_scope(engine) as session:
        events = list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.kind == AuditKind.RATIONALE_ACCESSED.value)
            )
        )
    run_id = runs(engine)[0].id
    assert len(events) == 2
    assert {(e.actor, e.provider_code, e.pathway_id) for e in events} == {
        ("audit.lead", "RZZ", pathway)
    }
    assert {e.details["run_id"] for e in events} == {run_id}
    assert all("nhs" not in str(e.details).lower() for e in events)


def test_not_found_cases_and_roles(client, auth, engine):
    content = demo_csv(60, seed=45)
    before_any = datetime.now(UTC)
    upload(client, auth, content)
    t1 = datetime.now(UTC)
    dropped = csv_records(content)[-1]["pathway_id"]
    upload(client, auth, without_rows(content, 1))
    early = _rationale(client, auth, dropped, at=before_any - timedelta(seconds=1))
    assert early.status_code == 404 and "had completed by" in early.json()["detail"]
    gone = _rationale(client, auth, dropped)
    assert gone.status_code == 404 and "was not in ranking run" in gone.json()["detail"]
    assert _rationale(client, auth, dropped, at=t1).status_code == 200
    assert _rationale(client, auth, "RZZ-NOPE").status_code == 404
    naive = client.get(
        _url(dropped),
        params={"provider": "RZZ", "at": t1.replace(tzinfo=None).isoformat()},
        headers=auth("auditor"),
    )
    assert naive.status_code == 200
    assert _rationale(client, auth, dropped, at=t1, role="scheduler").status_code == 403
    assert client.get(_url(dropped), params={"provider": "RZZ"}).status_code == 401
