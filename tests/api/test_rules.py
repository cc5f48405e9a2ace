"""Rules over HTTP: drafts, concurrency, validation, preview, publication, history, rollback."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from app.database import session_scope
from app.demo.identifiers import sample_nhs_numbers
from app.rules import rules_in_force
from models import AuditEvent

RULES = "/api/v1/rules"


def _draft(client, auth, specialty="110", body=None, role="clinician", subject="dr.a"):
    return client.post(
        f"{RULES}/{specialty}/drafts", json=body or {}, headers=auth(role, subject=subject)
    )


def _put(client, auth, draft, document, etag, subject="dr.a", role="clinician"):
    headers = auth(role, subject=subject)
    if etag is not None:
        headers["If-Match"] = etag
    return client.put(
        f"{RULES}/{draft['specialty']}/drafts/{draft['id']}",
        json={"document": document},
        headers=headers,
    )


def _publish(client, auth, draft, reason="audit finding", effective_from=None, role="clinician"):
    body = {"reason": reason}
    if effective_from is not None:
        body["effective_from"] = effective_from.isoformat()
    return client.post(
        f"{RULES}/{draft['specialty']}/drafts/{draft['id']}/publish",
        json=body,
        headers=auth(role, subject="dr.pub"),
    )


def _with_decile_1(document, days):
    deciles = {**document["deprivation"]["decile_uplift_days"], "1": days}
    return {**document, "deprivation": {**document["deprivation"], "decile_uplift_days": deciles}}


def _events(engine, kind):
    with session_scope(engine) as session:
        return list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.id)
            )
        )


def test_draft_edit_with_if_match_and_the_stale_edit_loses(client, auth, engine):
    created = _draft(client, auth)
    assert created.status_code == 201, created.text
    draft = created.json()
    assert created.headers["ETag"] == '"1"'
    assert created.headers["Location"] == f"{RULES}/110/versions/1"
    assert (draft["version"], draft["status"], draft["lock_version"]) == (1, "draft", 1)
    document = draft["document"]
    assert document["rule_set_id"] == "110"
    assert document["bounds"] is None and document["vocabulary"] is None

    first = _put(client, auth, draft, _with_decile_1(document, 25.0), '"1"')
    assert first.status_code == 200, first.text
    assert first.headers["ETag"] == '"2"'
    assert first.json()["document"]["deprivation"]["decile_uplift_days"]["1"] == 25.0

    stale = _put(client, auth, draft, _with_decile_1(document, 28.0), '"1"', subject="dr.b")
    assert stale.status_code == 412
    assert stale.headers["Content-Type"] == "application/problem+json"
    assert stale.json()["type"] == "urn:equiwait:problem:precondition-failed"
    assert "changed since you read it" in stale.json()["detail"]
    missing = _put(client, auth, draft, _with_decile_1(document, 28.0), None)
    assert missing.status_code == 428
    now = client.get(f"{RULES}/110/versions/1", headers=auth("scheduler"))
    assert now.headers["ETag"] == '"2"'
    assert now.json()["document"]["deprivation"]["decile_uplift_days"]["1"] == 25.0

    created_events = _events(engine, "rules.draft_created")
    updated = _events(engine, "rules.draft_updated")
    assert [(e.actor, e.treatment_function_code) for e in created_events] == [("dr.a", "110")]
    assert len(updated) == 1 and updated[0].actor == "dr.a"
    assert updated[0].details["changes"] == [
        {"path": "deprivation.decile_uplift_days.1", "before": 21.0, "after": 25.0}
    ]


def test_invalid_documents_are_refused_with_every_path(client, auth):
    draft = _draft(client, auth).json()
    document = draft["document"]
    broken = {
        **document,
        "clinical_priority": {
            **document["clinical_priority"],
            "ranked": [
                *document["clinical_priority"]["ranked"][:3],
                {**document["clinical_priority"]["ranked"][3], "cap_days": -1},
                document["clinical_priority"]["ranked"][4],
            ],
        },
        "ethnicity": {**document["ethnicity"], "enabled": True, "group_uplift_days": {"black": 7}},
    }
    schema = _put(client, auth, draft, broken, '"1"')
    assert schema.status_code == 422, schema.text
    paths = {e["path"] for e in schema.json()["errors"]}
    assert paths == {
        "clinical_priority.ranked.3.cap_days",
        "ethnicity.evidence_reference",
        "ethnicity.approved_by",
        "ethnicity.review_date",
    }

    beyond = {
        **_with_decile_1(document, 45.0),
        "core20": {"enabled": True, "uplift_days": 30.0},
        "inclusion": {**document["inclusion"], "uplift_days": {"made_up_group": 7.0}},
    }
    bounds = _put(client, auth, draft, beyond, '"1"')
    assert bounds.status_code == 422
    errors = {e["path"]: e["message"] for e in bounds.json()["errors"]}
    assert set(errors) == {
        "deprivation.decile_uplift_days.1",
        "core20.uplift_days",
        "inclusion.uplift_days.made_up_group",
    }
    assert "exceeds the bound of 42.0" in errors["deprivation.decile_uplift_days.1"]
    wrong_id = _put(client, auth, draft, {**document, "rule_set_id": "120"}, '"1"')
    assert [e["path"] for e in wrong_id.json()["errors"]] == ["rule_set_id"]
    unchanged = client.get(f"{RULES}/110/versions/1", headers=auth("clinician"))
    assert unchanged.json()["lock_version"] == 1


def test_publish_needs_a_reason_and_freezes_the_version(client, auth, engine):
    draft = _draft(client, auth).json()
    assert _publish(client, auth, draft, reason="").status_code == 422
    assert _publish(client, auth, draft, reason="   ").status_code == 422
    past = datetime.now(UTC) - timedelta(days=1)
    assert _publish(client, auth, draft, effective_from=past).status_code == 422
    published = _publish(client, auth, draft, reason="T&O equity review")
    assert published.status_code == 200, published.text
    body = published.json()
    assert (body["status"], body["published_by"], body["in_force"]) == ("published", "dr.pub", True)
    assert body["publish_reason"] == "T&O equity review"

    edit = _put(client, auth, draft, draft["document"], '"1"')
    assert edit.status_code == 409
    assert "published" in edit.json()["detail"]
    assert _publish(client, auth, draft).status_code == 409
    delete = client.delete(f"{RULES}/110/drafts/{draft['id']}", headers=auth("clinician"))
    assert delete.status_code == 409
    [event] = _events(engine, "rules.published")
    assert (event.actor, event.treatment_function_code) == ("dr.pub", "110")
    assert event.details["reason"] == "T&O equity review"
    assert event.details["version"] == 1 and event.details["replaces_version"] is None

    summary = client.get(RULES, headers=auth("auditor")).json()["items"]
    assert [(s["specialty"], s["source"], s["version"]) for s in summary] == [
        ("default", "shipped", None),
        ("110", "published", 1),
    ]
    assert summary[1]["specialty_name"] == "Trauma and Orthopaedic"


def test_future_publication_is_in_force_only_from_its_effective_time(client, auth, engine):
    first = _draft(client, auth).json()
    assert _publish(client, auth, first).status_code == 200
    second = _draft(client, auth).json()
    _put(client, auth, second, _with_decile_1(second["document"], 30.0), '"1"')
    start = datetime.now(UTC) + timedelta(days=7)
    scheduled = _publish(client, auth, second, effective_from=start)
    assert scheduled.status_code == 200
    assert (scheduled.json()["in_force"], scheduled.json()["scheduled"]) == (False, True)

    with session_scope(engine) as session:
        before = rules_in_force(session, start - timedelta(seconds=1))
        after = rules_in_force(session, start)
    assert before.versions["110"] == first["id"]
    assert after.versions["110"] == second["id"]
    assert after.rulebook.rule_set_for("110").deprivation.decile_uplift_days[1] == 30.0
    now = client.get(RULES, headers=auth("scheduler")).json()["items"]
    assert now[1]["version"] == 1 and now[1]["next_scheduled"]["version"] == 2
    later = client.get(
        RULES, params={"at": (start + timedelta(hours=1)).isoformat()}, headers=auth("scheduler")
    ).json()["items"]
    assert later[1]["version"] == 2 and later[1]["next_scheduled"] is None


def test_history_is_paginated_newest_first(client, auth):
    for _ in range(5):
        assert _draft(client, auth).status_code == 201
    discard = client.delete(
        f"{RULES}/110/drafts/{_draft(client, auth).json()['id']}", headers=auth("admin")
    )
    assert discard.status_code == 204
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"{RULES}/110/versions", params=params, headers=auth("auditor")).json()
        seen.append([item["version"] for item in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [[6, 5], [4, 3], [2, 1]]
    discarded = client.get(
        f"{RULES}/110/versions", params={"status": "discarded"}, headers=auth("auditor")
    ).json()["items"]
    assert [item["version"] for item in discarded] == [6]
    assert _draft(client, auth).json()["version"] == 7  # numbers are never reused


def test_diff_lists_exactly_the_changed_paths(client, auth):
    first = _draft(client, auth).json()
    second = _draft(client, auth, body={"from_version": 1}).json()
    changed = {
        **_with_decile_1(second["document"], 25.0),
        "core20": {**second["document"]["core20"], "enabled": True},
    }
    assert _put(client, auth, second, changed, '"1"').status_code == 200
    response = client.get(
        f"{RULES}/110/diff", params={"from": 1, "to": 2}, headers=auth("scheduler")
    )
    assert response.status_code == 200
    assert response.json()["changes"] == [
        {"path": "deprivation.decile_uplift_days.1", "before": 21.0, "after": 25.0},
        {"path": "core20.enabled", "before": False, "after": True},
    ]
    assert first["based_on_id"] is None and second["based_on_id"] == first["id"]
    missing = client.get(f"{RULES}/110/diff", params={"from": 1, "to": 9}, headers=auth("admin"))
    assert missing.status_code == 404


def test_rollback_republishes_an_earlier_document_as_a_new_version(client, auth, engine):
    one = _draft(client, auth).json()
    _put(client, auth, one, _with_decile_1(one["document"], 25.0), '"1"')
    assert _publish(client, auth, one).status_code == 200
    two = _draft(client, auth).json()
    _put(client, auth, two, _with_decile_1(two["document"], 30.0), '"1"')
    assert _publish(client, auth, two).status_code == 200

    rollback = client.post(
        f"{RULES}/110/versions/1/republish",
        json={"reason": "version 2 moved too many P4 patients"},
        headers=auth("admin", subject="admin.x"),
    )
    assert rollback.status_code == 201, rollback.text
    three = rollback.json()
    assert (three["version"], three["republished_from_id"], three["in_force"]) == (
        3,
        one["id"],
        True,
    )
    original = client.get(f"{RULES}/110/versions/1", headers=auth("clinician")).json()
    labels = {"version": "110 v3", "approved_by": "admin.x"}
    assert three["document"] == {**original["document"], **labels}
    assert (original["document"]["version"], original["document"]["approved_by"]) == (
        "110 v1",
        "dr.pub",
    )
    assert "ETag" not in client.get(f"{RULES}/110/versions/3", headers=auth("admin")).headers
    with session_scope(engine) as session:
        assert rules_in_force(session, datetime.now(UTC)).versions["110"] == three["id"]
    events = _events(engine, "rules.published")
    assert [(e.actor, e.details["version"]) for e in events] == [
        ("dr.pub", 1),
        ("dr.pub", 2),
        ("admin.x", 3),
    ]
    assert events[-1].details["republished_from_version"] == 1
    assert events[-1].details["changes"] == [
        {"path": "version", "before": "110 v2", "after": "110 v3"},
        {"path": "approved_by", "before": "dr.pub", "after": "admin.x"},
        {"path": "deprivation.decile_uplift_days.1", "before": 30.0, "after": 25.0},
    ]
    not_published = _draft(client, auth).json()
    refused = client.post(
        f"{RULES}/110/versions/{not_published['version']}/republish",
        json={"reason": "x"},
        headers=auth("admin"),
    )
    assert refused.status_code == 409


@pytest.mark.parametrize("role", ["scheduler", "auditor"])
def test_only_clinicians_and_admins_change_rules(client, auth, role):
    draft = _draft(client, auth).json()
    path = f"{RULES}/110/drafts/{draft['id']}"
    headers = {**auth(role), "If-Match": '"1"'}
    attempts = [
        client.post(f"{RULES}/110/drafts", json={}, headers=headers),
        client.put(path, json={"document": draft["document"]}, headers=headers),
        client.delete(path, headers=headers),
        client.post(f"{path}/publish", json={"reason": "x"}, headers=headers),
        client.post(f"{path}/preview", params={"provider": "RZZ"}, headers=headers),
        client.post(f"{RULES}/110/versions/1/republish", json={"reason": "x"}, headers=headers),
    ]
    assert [a.status_code for a in attempts] == [403] * len(attempts)
    assert client.get(f"{RULES}/110/versions/1", headers=headers).status_code == 200
    assert client.get(RULES).status_code == 401


def test_unknown_specialties_are_refused(client, auth):
    assert _draft(client, auth, specialty="999").status_code == 404
    assert _draft(client, auth, specialty="ortho").status_code == 422
    assert client.get(f"{RULES}/998/versions", headers=auth("admin")).status_code == 404


def test_default_draft_must_keep_room_for_published_specialties(client, auth):
    specialty = _draft(client, auth).json()
    _put(client, auth, specialty, _with_decile_1(specialty["document"], 30.0), '"1"')
    assert _publish(client, auth, specialty).status_code == 200
    default = _draft(client, auth, specialty="default").json()
    assert default["document"]["bounds"] is not None
    assert default["specialty"] == "default"
    lowered = _with_decile_1(default["document"], 14.0)  # bound 21 < specialty 110's 30
    response = _put(client, auth, default, lowered, '"1"')
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["path"] == "specialties.110.deprivation.decile_uplift_days.1"
    assert "specialty 110 version 1" in error["message"]


# --- preview on a hand-made list -------------------------------------------------------------

CENSUS = date.today()
_ROWS = [
    # pathway, specialty, priority, wait days, IMD decile, ethnic category
    ("Q", "110", "P2", 10, 7, "A"),  # P2: always ahead of every P4
    ("P", "110", "P4", 340, 9, "A"),  # within 35 days of 52 weeks: protected
    ("B", "110", "P4", 115, 10, "A"),
    ("A", "110", "P4", 90, 1, "N"),  # +21 days now, +30 under the draft: overtakes B
    ("C", "110", "P4", 60, 5, "Z"),
    ("D", "110", "P5", 200, 1, "N"),  # parked: not compared
    ("O", "120", "P4", 100, 1, "N"),  # another specialty: not in a 110 preview
]


def _preview_csv() -> bytes:
    numbers = sample_nhs_numbers(np.random.default_rng(1), len(_ROWS))
    lines = [
        "pathway_id,nhs_number,provider_code,treatment_function_code,pathway_stage,"
        "priority_code,rtt_clock_start,imd_decile,ethnic_category"
    ]
    for (pathway, tfc, priority, wait, decile, ethnic), number in zip(_ROWS, numbers, strict=True):
        start = (CENSUS - timedelta(days=wait)).isoformat()
        lines.append(f"{pathway},{number},RZZ,{tfc},admitted,{priority},{start},{decile},{ethnic}")
    return ("\n".join(lines) + "\n").encode()


def test_preview_shows_who_moves_by_group(client, auth):
    upload = client.post(
        "/api/v1/ptl/uploads",
        files={"file": ("ptl.csv", io.BytesIO(_preview_csv()), "text/csv")},
        headers=auth("scheduler"),
    )
    assert upload.status_code == 201, upload.text
    draft = _draft(client, auth).json()
    _put(client, auth, draft, _with_decile_1(draft["document"], 30.0), '"1"')
    response = client.post(
        f"{RULES}/110/drafts/{draft['id']}/preview",
        params={"provider": "rzz", "census_date": CENSUS.isoformat()},
        headers=auth("clinician"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    # ranks now: Q1 P2 B3 A4 C5; with the draft: Q1 P2 A3 B4 C5
    assert (body["entries_compared"], body["parked_excluded"]) == (5, 1)
    assert body["overall"] == {
        "entries": 5,
        "moved": 2,
        "mean_abs_change": 0.4,
        "median_abs_change": 0.0,
        "max_abs_change": 1,
    }
    assert [(x["treatment_function_code"], x["shift"]["moved"]) for x in body["lists"]] == [
        ("110", 2)
    ]
    quintiles = {g["group"]: g for g in body["by_imd_quintile"]}
    assert list(quintiles) == ["1", "2", "3", "4", "5", "unknown"]
    assert quintiles["1"] == {
        "group": "1",
        "entries": 1,
        "mean_rank_change": -1.0,
        "share_moved_earlier": 1.0,
        "share_moved_later": 0.0,
        "mean_percentile_before": 80.0,
        "mean_percentile_after": 60.0,
        "percentile_change": -20.0,
    }
    assert (quintiles["5"]["entries"], quintiles["5"]["mean_rank_change"]) == (2, 0.5)
    assert quintiles["5"]["share_moved_later"] == 0.5
    assert quintiles["5"]["percentile_change"] == 10.0
    assert quintiles["3"]["mean_rank_change"] == 0.0 and quintiles["4"]["entries"] == 1
    assert quintiles["2"]["entries"] == 0 and quintiles["2"]["mean_rank_change"] is None
    ethnic = {g["group"]: g for g in body["by_ethnic_group"]}
    assert ethnic["black"]["mean_rank_change"] == -1.0
    assert ethnic["white"]["entries"] == 3 and ethnic["white"]["share_moved_later"] == 0.3333
    assert ethnic["not_stated"]["mean_rank_change"] == 0.0
    assert body["guardrails"] == {
        "protected_entries": 1,
        "protected_moved_back": 0,
        "protected_moved_later_among_protected": 0,
        "lost_protection": 0,
        "priority_order_kept": True,
    }
    assert body["compared_with_version_id"] is None and body["draft_version"] == 1


def test_if_match_must_name_one_etag_and_discard_honours_it(client, auth):
    draft = _draft(client, auth).json()
    assert _put(client, auth, draft, draft["document"], "*").status_code == 400
    assert _put(client, auth, draft, draft["document"], 'W/"1"').status_code == 200
    path = f"{RULES}/110/drafts/{draft['id']}"
    assert _put(client, auth, draft, draft["document"], '"9' + "9" * 20 + '"').status_code == 400
    stale = client.delete(path, headers={**auth("clinician"), "If-Match": '"1"'})
    assert stale.status_code == 412
    assert client.delete(path, headers={**auth("clinician"), "If-Match": '"2"'}).status_code == 204
    assert client.get(f"{RULES}/110/versions/1", headers=auth("admin")).json()["status"] == (
        "discarded"
    )


def test_openapi_describes_every_rules_route(client):
    paths = client.get("/openapi.json").json()["paths"]
    put = paths["/api/v1/rules/{specialty}/drafts/{draft_id}"]["put"]
    assert {"409", "412", "422", "428"} <= set(put["responses"])
    rejected = put["responses"]["422"]["content"]["application/problem+json"]["schema"]["$ref"]
    assert rejected.endswith("/ValidationProblem")
    rules_routes = {p.removeprefix(RULES) for p in paths if p.startswith(RULES)}
    assert rules_routes == {
        "",
        "/{specialty}/versions",
        "/{specialty}/versions/{version}",
        "/{specialty}/versions/{version}/republish",
        "/{specialty}/diff",
        "/{specialty}/drafts",
        "/{specialty}/drafts/{draft_id}",
        "/{specialty}/drafts/{draft_id}/preview",
        "/{specialty}/drafts/{draft_id}/publish",
        "/{specialty}/calibrations",
        "/{specialty}/calibrations/{calibration_id}",
    }
