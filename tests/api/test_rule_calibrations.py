"""A clinician calibrates a specialty on its strained list: a background job searches the
multiplier, stores the frontier, creates a draft that publishes through the normal workflow,
and the audit records it all."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
from sqlalchemy import select

from app.database import session_scope
from app.demo.identifiers import sample_nhs_numbers
from app.demo.writer import write_ptl_csv
from bench.gap_list import CENSUS, gap_list
from models import GapPrediction, RuleSetCalibration
from tests.api.test_rules import RULES, _events, _publish
from tests.conftest import wait_for_jobs

SPECIALTY = "101"


def _gap_upload(client, auth) -> dict[str, dict[str, float]]:
    """The gap list's specialty 110 as an upload; its capacity keyed as the API takes it."""
    gaps = gap_list()
    a = gaps.arrays
    mine = np.flatnonzero(a.treatment_function_code == SPECIALTY)
    flags = a.inclusion_groups
    groups = [
        ";".join(code for code, on in zip(flags.codes, flags.values[i], strict=True) if on)
        for i in mine.tolist()
    ]
    decile = a.imd_decile[mine].astype(np.int64)
    columns = {
        "pathway_id": a.pathway_id[mine],
        "nhs_number": sample_nhs_numbers(np.random.default_rng(5), len(mine)).astype(str),
        "provider_code": a.provider_code[mine],
        "treatment_function_code": a.treatment_function_code[mine],
        "pathway_stage": a.pathway_stage[mine],
        "priority_code": a.priority_code[mine],
        "rtt_clock_start": a.rtt_clock_start[mine].astype("datetime64[D]").astype(str),
        "imd_decile": np.where(decile > 0, decile.astype(str), ""),
        "inclusion_groups": np.array(groups, dtype=object),
    }
    buffer = io.StringIO()
    write_ptl_csv(buffer, columns, uk_date_share=0.0)
    response = client.post(
        "/api/v1/ptl/uploads",
        files={"file": ("ptl.csv", io.BytesIO(buffer.getvalue().encode()), "text/csv")},
        headers=auth("scheduler"),
    )
    assert response.status_code == 201, response.text
    return {
        key.split("/", 1)[1]: bands
        for key, bands in gaps.capacity.items()
        if key.split("/")[1] == SPECIALTY
    }


def _calibrate(client, auth, capacity, **body):
    return client.post(
        f"{RULES}/{SPECIALTY}/calibrations",
        json={
            "provider": "RZZ",
            "census_date": CENSUS.isoformat(),
            "factors": ["deprivation", "inclusion"],
            "capacity": capacity,
            "referrals_per_week": capacity,
            **body,
        },
        headers=auth("clinician", subject="dr.cal"),
    )


def test_a_calibration_creates_a_draft_that_publishes_normally(client, auth, engine):
    capacity = _gap_upload(client, auth)
    client.wait_for_jobs = False
    # This specialty's gap is small and noisy across seeds; 60% is reachable within limits.
    queued = _calibrate(client, auth, capacity, target_share=0.6)
    assert queued.status_code == 202, queued.text
    body = queued.json()
    assert body["status"] == "queued" and body["job_id"]
    assert queued.headers["Location"] == f"{RULES}/{SPECIALTY}/calibrations/{body['id']}"
    client.wait_for_jobs = True
    wait_for_jobs(engine, timeout=300)
    job = client.get(f"/api/v1/jobs/{body['job_id']}", headers=auth("auditor"))
    assert job.json()["state"] == "succeeded", job.text
    done = client.get(queued.headers["Location"], headers=auth("auditor")).json()
    assert done["status"] == "chosen", done["result"]["unreachable"]
    result = done["result"]
    assert len(result["frontier"]) >= 8
    chosen = next(p for p in result["frontier"] if p["multiplier"] == done["chosen_multiplier"])
    assert chosen["within_limits"] and chosen["share_closed"] >= 0.6
    assert result["gap"]["gap_weeks"] > 0

    draft = client.get(
        f"{RULES}/{SPECIALTY}/versions", headers=auth("auditor"), params={"status": "draft"}
    ).json()
    rows = draft["items"] if isinstance(draft, dict) and "items" in draft else draft
    [mine] = [r for r in rows if r["id"] == done["draft_id"]]
    assert mine["calibration_id"] == done["id"] and mine["status"] == "draft"
    full = client.get(f"{RULES}/{SPECIALTY}/versions/{mine['version']}", headers=auth("auditor"))
    document = full.json()["document"]
    m = done["chosen_multiplier"]
    assert abs(document["deprivation"]["decile_uplift_days"]["1"] - 21.0 * m) <= 0.01
    assert f"calibration {done['id']}" in document["version"]

    [event] = _events(engine, "rules.calibrated")
    assert event.actor == "dr.cal" and event.subject_id == str(done["id"])
    assert event.details["draft_id"] == done["draft_id"]
    assert event.details["chosen_multiplier"] == m
    assert event.details["inputs"]["target_share"] == 0.6
    assert len(event.details["frontier"]) == len(result["frontier"])
    with session_scope(engine) as session:
        [calibrated] = session.scalars(select(GapPrediction)).all()
        assert (calibrated.source, calibrated.calibration_id) == ("calibration", done["id"])
        assert (calibrated.rule_set_version_id, calibrated.lock_version) == (done["draft_id"], 1)
        assert (calibrated.seeds, calibrated.weeks) == (3, 26)
        assert calibrated.cells and {c["specialty"] for c in calibrated.cells} == {SPECIALTY}
        assert calibrated.published_at is None
    assert event.details["prediction_id"] == calibrated.id

    # Never published by the calibration; the normal workflow needs its preview first.
    draft_ref = {"specialty": SPECIALTY, "id": done["draft_id"]}
    assert _publish(client, auth, draft_ref).status_code == 409
    seen = client.post(
        f"{RULES}/{SPECIALTY}/drafts/{done['draft_id']}/preview",
        params={"provider": "RZZ", "weeks": 4, "census_date": CENSUS.isoformat()},
        headers=auth("clinician", subject="dr.b"),
    )
    assert seen.status_code == 200, seen.text
    published = _publish(client, auth, draft_ref)
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "published"
    assert published.json()["calibration_id"] == done["id"]
    # The unedited draft is published with its calibration's prediction (pooled over seeds),
    # not the later single-seed preview's.
    [publication] = _events(engine, "rules.published")
    assert publication.details["predictions"] == [
        {"id": calibrated.id, "provider_code": "RZZ", "source": "calibration"}
    ]
    with session_scope(engine) as session:
        sources = {p.source: p.published_at for p in session.scalars(select(GapPrediction))}
    assert sources["calibration"] is not None and sources["preview"] is None


def test_bad_calibration_requests_are_refused_clearly(client, auth, engine):
    capacity = _gap_upload(client, auth)
    core20 = _calibrate(client, auth, capacity, factors=["core20"])
    assert core20.status_code == 422
    assert "core20" in core20.json()["detail"] and "not enabled" in core20.json()["detail"]
    other = _calibrate(client, auth, capacity, provider="RAA")
    assert other.status_code == 422 and "no open PTL entries" in other.json()["detail"]
    target = _calibrate(client, auth, capacity, target_share=1.5)
    assert target.status_code == 422
    viewer = client.post(
        f"{RULES}/{SPECIALTY}/calibrations", json={"provider": "RZZ"}, headers=auth("auditor")
    )
    assert viewer.status_code == 403
    missing = client.get(f"{RULES}/{SPECIALTY}/calibrations/999", headers=auth("auditor"))
    assert missing.status_code == 404
    with session_scope(engine) as session:
        assert session.query(RuleSetCalibration).count() == 0
    assert date.today() >= CENSUS


def test_calibrations_are_listed_newest_first_in_pages(client, auth, engine):
    with session_scope(engine) as session:
        for specialty, status in [(SPECIALTY, "unreachable"), ("110", "chosen"),
                                  (SPECIALTY, "failed"), (SPECIALTY, "queued")]:  # fmt: skip
            session.add(
                RuleSetCalibration(
                    specialty=specialty, provider_code="RZZ", status=status,
                    inputs={"target_share": 0.9}, requested_by="dr.cal",
                )
            )  # fmt: skip
    url = f"{RULES}/{SPECIALTY}/calibrations"
    first = client.get(url, params={"limit": 2}, headers=auth("equity_lead"))
    assert first.status_code == 200, first.text
    assert [c["status"] for c in first.json()["items"]] == ["queued", "failed"]
    assert first.json()["next_cursor"]
    rest = client.get(
        url, params={"limit": 2, "cursor": first.json()["next_cursor"]}, headers=auth("auditor")
    )
    assert [c["status"] for c in rest.json()["items"]] == ["unreachable"]
    assert rest.json()["next_cursor"] is None
    assert {c["specialty"] for c in rest.json()["items"]} == {SPECIALTY}
    assert client.get(url, params={"cursor": "forged"}, headers=auth("auditor")).status_code == 400
    unknown = client.get(f"{RULES}/999/calibrations", headers=auth("auditor"))
    assert unknown.status_code == 404
