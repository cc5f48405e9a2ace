"""Rankings over HTTP: runs, the stored ranked list (pages, filters, CSV), overrides, roles."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest

from tests.api.ptl_files import demo_csv
from tests.app.rankings.helpers import results, runs, upload

RANKED = "/api/v1/ptl/ranked"
RUNS = "/api/v1/rankings"


def _all_pages(client, headers, **params):
    items, cursor, pages = [], None, 0
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get(RANKED, params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return items, pages


@pytest.fixture
def ranked(client, auth, engine):
    upload(client, auth, demo_csv(400, seed=31))
    return client


def test_pages_cover_every_ranked_entry_once_in_list_order(ranked, auth, engine):
    items, pages = _all_pages(ranked, auth("scheduler"), limit=37)
    run = runs(engine)[0]
    stored = {r.pathway_id: r for r in results(engine, run.id)}
    expected = sorted(
        (r for r in stored.values() if not r.parked),
        key=lambda r: (r.treatment_function_code, r.pathway_stage, r.rank),
    )
    assert [i["pathway_id"] for i in items] == [r.pathway_id for r in expected]
    assert pages == -(-len(expected) // 37)
    for item in items:
        row = stored[item["pathway_id"]]
        assert item["run_id"] == run.id
        assert (item["rank"], item["conventional_rank"]) == (row.rank, row.conventional_rank)
        assert item["rank_change"] == row.conventional_rank - row.rank
        assert sum(item["components"].values()) == item["score"]
        assert item["wait_weeks"] == max((item["wait_days"] - 1) // 7, 0)
        assert item["nhs_number"].isdigit() and len(item["nhs_number"]) == 10
    assert any(i["rank_change"] > 0 for i in items)
    names = {i["specialty"]: i["specialty_name"] for i in items}
    assert names.get("110", "Trauma and Orthopaedic") == "Trauma and Orthopaedic"
    assert all(name != code for code, name in names.items())


def test_parked_entries_come_after_their_list_when_asked(ranked, auth):
    items, _ = _all_pages(ranked, auth("scheduler"), limit=100, include_parked="true")
    parked = [i for i in items if i["parked"]]
    assert parked and all(i["rank"] == 0 and i["parked_reason"] for i in parked)
    keys = [(i["specialty"], i["pathway_stage"]) for i in items]
    assert keys == sorted(keys)
    for index, item in enumerate(items[:-1]):
        following = items[index + 1]
        same_list = (item["specialty"], item["pathway_stage"]) == (
            following["specialty"],
            following["pathway_stage"],
        )
        if same_list and item["parked"]:
            assert following["parked"]


def test_filters_narrow_the_list(ranked, auth):
    everything, _ = _all_pages(ranked, auth("scheduler"), limit=1000)
    one = everything[0]
    for name, field in (
        ("specialty", "specialty"),
        ("stage", "pathway_stage"),
        ("priority", "priority_code"),
        ("site", "site_code"),
    ):
        items, pages = _all_pages(ranked, auth("scheduler"), limit=9, **{name: one[field]})
        assert items == [i for i in everything if i[field] == one[field]]
        assert pages == max(1, -(-len(items) // 9))
    a_list, _ = _all_pages(
        ranked, auth("scheduler"), specialty=one["specialty"], stage=one["pathway_stage"]
    )
    assert [i["rank"] for i in a_list] == list(range(1, len(a_list) + 1))
    assert {i["list_size"] for i in a_list} == {len(a_list)}


def test_nhs_numbers_are_redacted_for_roles_that_do_not_book(ranked, auth):
    for role in ("scheduler", "admin"):
        item = ranked.get(RANKED, params={"limit": 1}, headers=auth(role)).json()["items"][0]
        assert "*" not in item["nhs_number"]
    for role in ("clinician", "auditor"):
        item = ranked.get(RANKED, params={"limit": 1}, headers=auth(role)).json()["items"][0]
        assert "*" in item["nhs_number"]


def test_csv_download_holds_every_row(ranked, auth):
    json_items, _ = _all_pages(ranked, auth("clinician"), limit=1000, include_parked="true")
    response = ranked.get(
        RANKED, params={"format": "csv", "include_parked": "true"}, headers=auth("clinician")
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["pathway_id"] for r in rows] == [i["pathway_id"] for i in json_items]
    first = rows[0]
    assert float(first["score"]) == pytest.approx(json_items[0]["score"])
    assert first["component_wait"] and "*" in first["nhs_number"]
    one_list = ranked.get(
        RANKED, params={"format": "csv", "specialty": json_items[0]["specialty"]},
        headers=auth("scheduler"),
    )  # fmt: skip
    assert {r["specialty"] for r in csv.DictReader(io.StringIO(one_list.text))} == {
        json_items[0]["specialty"]
    }


def test_cursor_keeps_to_the_run_it_started_on(ranked, auth, engine):
    first = ranked.get(RANKED, params={"limit": 50}, headers=auth("scheduler")).json()
    created = ranked.post(RUNS, json={"provider": "RZZ"}, headers=auth("scheduler"))
    assert created.status_code == 201
    following = ranked.get(
        RANKED, params={"limit": 50, "cursor": first["next_cursor"]}, headers=auth("scheduler")
    ).json()
    assert {i["run_id"] for i in following["items"]} == {first["items"][0]["run_id"]}
    latest = ranked.get(RANKED, params={"limit": 1}, headers=auth("scheduler")).json()
    assert latest["items"][0]["run_id"] == created.json()["id"]
    for bad in ("not-a-cursor", "WzEsMl0"):
        response = ranked.get(RANKED, params={"cursor": bad}, headers=auth("scheduler"))
        assert response.status_code == 400


def test_provider_defaults_only_when_one_is_ranked(ranked, auth):
    upload(ranked, auth, demo_csv(30, seed=32, provider="RYY"))
    response = ranked.get(RANKED, headers=auth("scheduler"))
    assert response.status_code == 400 and "provider is required" in response.json()["detail"]
    response = ranked.get(RANKED, params={"provider": "ryy"}, headers=auth("scheduler"))
    assert {i["provider_code"] for i in response.json()["items"]} == {"RYY"}
    assert (
        ranked.get(RANKED, params={"provider": "RXX"}, headers=auth("scheduler")).status_code == 404
    )


def test_on_demand_runs_and_run_listing(ranked, auth, engine):
    response = ranked.post(
        RUNS, json={"provider": "RZZ", "specialties": ["110", "130"]}, headers=auth("admin")
    )
    assert response.status_code == 201, response.text
    run = response.json()
    assert run["trigger"] == "manual" and run["specialties"] == ["110", "130"]
    assert run["entry_count"] == len(results(engine, run["id"])) > 0
    assert ranked.get(f"{RUNS}/{run['id']}", headers=auth("auditor")).json() == run
    page = ranked.get(RUNS, params={"limit": 1, "provider": "RZZ"}, headers=auth("auditor")).json()
    assert page["items"] == [run]
    older = ranked.get(RUNS, params={"cursor": page["next_cursor"]}, headers=auth("auditor"))
    assert [r["trigger"] for r in older.json()["items"]] == ["upload"]
    batch_id = older.json()["items"][0]["upload_batch_id"]
    by_batch = ranked.get(RUNS, params={"upload_batch_id": batch_id}, headers=auth("auditor"))
    assert [r["id"] for r in by_batch.json()["items"]] == [older.json()["items"][0]["id"]]
    assert ranked.get(f"{RUNS}/999999", headers=auth("auditor")).status_code == 404
    missing = ranked.post(RUNS, json={"provider": "RXX"}, headers=auth("scheduler"))
    assert missing.status_code == 404 and "no open PTL entries" in missing.json()["detail"]
    future = (date.today() + timedelta(days=2)).isoformat()
    response = ranked.post(
        RUNS, json={"provider": "RZZ", "census_date": future}, headers=auth("scheduler")
    )
    assert response.status_code == 422


def test_roles(ranked, auth):
    assert ranked.post(RUNS, json={"provider": "RZZ"}, headers=auth("auditor")).status_code == 403
    # a clinician may re-rank a specialty now (e.g. after reviewing its rules)
    by_clinician = ranked.post(
        RUNS, json={"provider": "RZZ", "specialties": ["110"]}, headers=auth("clinician")
    )
    assert by_clinician.status_code == 201, by_clinician.text
    assert ranked.get(RANKED).status_code == 401
    pathway = ranked.get(RANKED, params={"limit": 1}, headers=auth("scheduler")).json()["items"][0]
    url = f"/api/v1/ptl/entries/{pathway['pathway_id']}/overrides"
    body = {"kind": "pin_ahead", "reason": "r", "expires_at": _later()}
    for role in ("scheduler", "auditor"):
        response = ranked.post(url, params={"provider": "RZZ"}, json=body, headers=auth(role))
        assert response.status_code == 403
    revoke = ranked.post(
        "/api/v1/overrides/1/revoke", json={"reason": "x"}, headers=auth("scheduler")
    )
    assert revoke.status_code == 403


def _later(days: int = 30) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def test_override_lifecycle_over_http(ranked, auth):
    items, _ = _all_pages(ranked, auth("scheduler"), limit=1000)
    target = next(
        later
        for earlier, later in pairwise(items)
        if (earlier["specialty"], earlier["pathway_stage"], earlier["priority_code"])
        == (later["specialty"], later["pathway_stage"], later["priority_code"])
        and not earlier["protected"]
        and not later["protected"]
        and earlier["protection_reason"] == later["protection_reason"]
    )
    url = f"/api/v1/ptl/entries/{target['pathway_id']}/overrides"
    doctor = auth("clinician", subject="dr.who")
    pin = {"kind": "pin_ahead", "reason": " ", "expires_at": _later()}
    missing_reason = ranked.post(url, params={"provider": "RZZ"}, json=pin, headers=doctor)
    assert missing_reason.status_code == 422
    pin = {**pin, "reason": "x", "expires_at": _later(-1)}
    past = ranked.post(url, params={"provider": "RZZ"}, json=pin, headers=doctor)
    assert past.status_code == 422 and "future" in past.json()["detail"]
    body = {"kind": "adjust_uplift", "days": 400, "reason": "deteriorating", "expires_at": _later()}
    created = ranked.post(
        url, params={"provider": "RZZ", "rerank": "true"}, json=body, headers=doctor
    )
    assert created.status_code == 201, created.text
    override = created.json()
    assert override["created_by"] == "dr.who" and override["ranking_run_id"]
    again = ranked.post(url, params={"provider": "RZZ"}, json=body, headers=doctor)
    assert again.status_code == 409
    listed = ranked.get(url, params={"provider": "RZZ"}, headers=auth("auditor")).json()
    assert [o["id"] for o in listed["items"]] == [override["id"]]
    shown = ranked.get(
        RANKED,
        params={"specialty": target["specialty"], "stage": target["pathway_stage"], "limit": 1000},
        headers=doctor,
    ).json()["items"]
    row = next(i for i in shown if i["pathway_id"] == target["pathway_id"])
    assert row["override"]["kind"] == "adjust_uplift" and row["override"]["status"] == "applied"
    assert row["override"]["reason"] == "deteriorating"
    assert row["components"]["override"] == 400 and row["rank"] < target["rank"]
    assert row["score"] == pytest.approx(target["score"] + 400)
    revoke_url = f"/api/v1/overrides/{override['id']}/revoke"
    assert ranked.post(revoke_url, json={"reason": ""}, headers=doctor).status_code == 422
    revoked = ranked.post(revoke_url, json={"reason": "resolved"}, headers=auth("admin"))
    assert revoked.status_code == 200 and revoked.json()["revoked_by"] == "test.user"
    assert ranked.post(revoke_url, json={"reason": "again"}, headers=doctor).status_code == 409
    assert (
        ranked.post(
            "/api/v1/overrides/999/revoke", json={"reason": "x"}, headers=doctor
        ).status_code
        == 404
    )
    unknown = ranked.post(
        "/api/v1/ptl/entries/NOPE/overrides", params={"provider": "RZZ"}, json=body, headers=doctor
    )
    assert unknown.status_code == 404


def test_a_partial_run_replaces_only_the_lists_it_ranked(ranked, auth, engine):
    scheduler = auth("scheduler")
    before, _ = _all_pages(ranked, scheduler, limit=1000)
    full = runs(engine)[0].id
    partial = ranked.post(RUNS, json={"provider": "RZZ", "specialties": ["100"]}, headers=scheduler)
    assert partial.status_code == 201, partial.text
    partial_id = partial.json()["id"]

    items, pages = _all_pages(ranked, scheduler, limit=23)
    assert pages > 1
    assert {i["specialty"] for i in items} == {i["specialty"] for i in before}
    assert {i["run_id"] for i in items if i["specialty"] == "100"} == {partial_id}
    assert {i["run_id"] for i in items if i["specialty"] != "100"} == {full}
    stored = {
        **{(full, r.pathway_id): r for r in results(engine, full)},
        **{(partial_id, r.pathway_id): r for r in results(engine, partial_id)},
    }
    for item in items:
        assert item["rank"] == stored[(item["run_id"], item["pathway_id"])].rank
    keys = [(i["specialty"], i["pathway_stage"], i["rank"]) for i in items]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    for specialty, stage in {(i["specialty"], i["pathway_stage"]) for i in items}:
        ranks = [
            i["rank"] for i in items if (i["specialty"], i["pathway_stage"]) == (specialty, stage)
        ]
        assert ranks == list(range(1, len(ranks) + 1))

    stage = items[0]["pathway_stage"]
    by_stage, _ = _all_pages(ranked, scheduler, limit=17, stage=stage)
    assert by_stage == [i for i in items if i["pathway_stage"] == stage]
    one, _ = _all_pages(ranked, scheduler, specialty="100")
    assert one == [i for i in items if i["specialty"] == "100"]
    other, _ = _all_pages(ranked, scheduler, specialty="110")
    assert {i["run_id"] for i in other} == {full}

    download = ranked.get(RANKED, params={"format": "csv"}, headers=scheduler)
    assert f"runs{full}-{partial_id}.csv" in download.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [(r["pathway_id"], int(r["run_id"])) for r in rows] == [
        (i["pathway_id"], i["run_id"]) for i in items
    ]
    only_full = ranked.get(RANKED, params={"run_id": full, "limit": 1000}, headers=scheduler)
    assert only_full.json()["items"] == before


def test_the_cursor_pins_every_run_of_its_walk(ranked, auth, engine):
    scheduler = auth("scheduler")
    full = runs(engine)[0].id
    first_partial = ranked.post(
        RUNS, json={"provider": "RZZ", "specialties": ["100", "502"]}, headers=scheduler
    ).json()["id"]
    first = ranked.get(RANKED, params={"limit": 40}, headers=scheduler).json()
    later = ranked.post(RUNS, json={"provider": "RZZ", "specialties": ["110"]}, headers=scheduler)
    assert later.status_code == 201
    walked, cursor = first["items"], first["next_cursor"]
    while cursor:
        page = ranked.get(RANKED, params={"limit": 40, "cursor": cursor}, headers=scheduler).json()
        walked += page["items"]
        cursor = page["next_cursor"]
    expected = {"100": first_partial, "502": first_partial}
    assert {i["run_id"] for i in walked if i["specialty"] == "110"} == {full}
    for item in walked:
        assert item["run_id"] == expected.get(item["specialty"], full)
    now, _ = _all_pages(ranked, scheduler, specialty="110")
    assert {i["run_id"] for i in now} == {later.json()["id"]}
    other = ranked.get(
        RANKED, params={"cursor": first["next_cursor"], "run_id": full}, headers=scheduler
    )
    assert other.status_code == 400 and "another run" in other.json()["detail"]
    upload(ranked, auth, demo_csv(30, seed=32, provider="RYY"))
    foreign = ranked.get(
        RANKED, params={"cursor": first["next_cursor"], "provider": "RYY"}, headers=scheduler
    )
    assert foreign.status_code == 400 and "not RYY" in foreign.json()["detail"]


def test_priority_and_site_filters_ignore_case(ranked, auth):
    scheduler = auth("scheduler")
    upper, _ = _all_pages(ranked, scheduler, limit=1000, priority="P3")
    assert upper and {i["priority_code"] for i in upper} == {"P3"}
    lower, _ = _all_pages(ranked, scheduler, limit=1000, priority="p3")
    assert lower == upper
    site = next(i["site_code"] for i in upper if i["site_code"])
    by_site, _ = _all_pages(ranked, scheduler, limit=1000, site=site)
    assert by_site and _all_pages(ranked, scheduler, limit=1000, site=site.lower())[0] == by_site
    unknown = ranked.get(RANKED, params={"priority": "P9"}, headers=scheduler)
    assert unknown.status_code == 422 and "unknown priority code 'P9'" in unknown.json()["detail"]


def test_hold_back_of_a_protected_entry_is_kept_but_ignored(ranked, auth):
    items, _ = _all_pages(ranked, auth("scheduler"), limit=1000)
    target = next(i for i in items if i["protected"])
    body = {"kind": "hold_back", "reason": "patient unfit this month", "expires_at": _later()}
    created = ranked.post(
        f"/api/v1/ptl/entries/{target['pathway_id']}/overrides",
        params={"provider": "RZZ", "rerank": "true"},
        json=body,
        headers=auth("clinician"),
    )
    assert created.status_code == 201, created.text
    shown = _all_pages(
        ranked, auth("scheduler"), specialty=target["specialty"], stage=target["pathway_stage"]
    )[0]
    row = next(i for i in shown if i["pathway_id"] == target["pathway_id"])
    assert row["run_id"] == created.json()["ranking_run_id"]
    assert row["override"]["status"] == "ignored_protected"
    assert (row["rank"], row["protected"]) == (target["rank"], True)
    schema = ranked.app.openapi()["components"]["schemas"]["OverrideCreate"]
    kind = schema["properties"]["kind"]["description"]
    assert "refused" not in kind and "ignored_protected" in kind
