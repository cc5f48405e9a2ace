"""No rule set is published unseen: publication needs the draft's impact simulation."""

from __future__ import annotations

import io

from tests.api.test_rules import RULES, _draft, _events, _preview_csv, _publish, _put
from tests.api.test_rules import _with_decile_1 as with_decile_1


def _upload(client, auth):
    response = client.post(
        "/api/v1/ptl/uploads",
        files={"file": ("ptl.csv", io.BytesIO(_preview_csv()), "text/csv")},
        headers=auth("scheduler"),
    )
    assert response.status_code == 201, response.text


def _preview(client, auth, draft, **params):
    return client.post(
        f"{RULES}/{draft['specialty']}/drafts/{draft['id']}/preview",
        params={"provider": "RZZ", "weeks": 4, **params},
        headers=auth("clinician", subject="dr.b"),
    )


def test_a_draft_is_published_only_after_its_impact_was_seen(client, auth, engine):
    _upload(client, auth)
    draft = _draft(client, auth).json()
    unseen = _publish(client, auth, draft)
    assert unseen.status_code == 409
    assert "has not been previewed with its impact simulation" in unseen.json()["detail"]

    ranks_only = _preview(client, auth, draft, simulate="false")
    assert ranks_only.status_code == 200 and ranks_only.json()["simulation"] is None
    assert _publish(client, auth, draft).status_code == 409

    seen = _preview(client, auth, draft)
    assert seen.status_code == 200, seen.text
    names = [s["name"] for s in seen.json()["simulation"]["rule_set_sources"]]
    assert names == ["conventional", "in_force", "draft"]
    [event] = _events(engine, "rules.previewed")
    assert (event.actor, event.provider_code, event.treatment_function_code) == (
        "dr.b",
        "RZZ",
        "110",
    )
    assert event.subject_id == str(draft["id"]) and event.details["lock_version"] == 1
    assert set(event.details["simulated"]) == {"conventional", "in_force", "draft"}
    assert event.details["weeks"] == 4

    # An edit after the preview needs a preview of its own.
    edited = _put(client, auth, draft, with_decile_1(draft["document"], 25.0), '"1"')
    assert edited.status_code == 200, edited.text
    assert _publish(client, auth, draft).status_code == 409
    assert _preview(client, auth, draft).status_code == 200
    published = _publish(client, auth, draft)
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "published"


def test_a_rule_set_that_scores_no_open_entry_needs_no_preview(client, auth):
    _upload(client, auth)  # specialties 110 and 120 only
    draft = _draft(client, auth, specialty="130").json()
    assert _publish(client, auth, draft).status_code == 200
