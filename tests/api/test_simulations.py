"""Simulations over HTTP on both databases: the JSON result, the HTML report, roles, errors."""

from __future__ import annotations

import pytest

from tests.api.ptl_files import demo_csv

SIMULATIONS = "/api/v1/simulations"


@pytest.fixture
def uploaded(client, auth):
    response = client.post(
        "/api/v1/ptl/uploads",
        files={"file": ("ptl.csv", demo_csv(300, seed=7), "text/csv")},
        headers=auth("scheduler"),
    )
    assert response.status_code == 201, response.text


def _simulate(client, auth, body, role="clinician", path=SIMULATIONS):
    return client.post(path, json={"provider": "RZZ", "weeks": 8, **body}, headers=auth(role))


def test_simulation_answers_every_rule_set_with_its_metrics(client, auth, uploaded):
    response = _simulate(client, auth, {"seed": 3})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["name"] for r in body["rule_sets"]] == ["conventional", "in_force"]
    assert [s["name"] for s in body["rule_set_sources"]] == ["conventional", "in_force"]
    assert (body["provider_code"], body["weeks"], body["seed"]) == ("RZZ", 8, 3)
    assert body["reference_rule_set"] == "in_force"
    assert body["starting_entries"] == 300
    assert sum(p["ranked_entries"] + p["parked_entries"] for p in body["lists"]) == 300
    assert {p["capacity_source"] for p in body["lists"]} <= {"inflow"}
    in_force = body["rule_sets"][1]
    assert list(in_force["treated_by_imd_quintile"]) == ["1", "2", "3", "4", "5", "unknown"]
    assert "not_known" in in_force["treated_by_ethnic_group"]
    assert set(in_force["deprivation_gap"]) >= {"median_weeks", "p92_weeks"}
    assert [b["priority_code"] for b in in_force["priority_breaches"]][:3] == ["P1a", "P1b", "P2"]
    assert len(in_force["weekly"]) == 9
    assert {c["dimension"] for c in in_force["versus_conventional"]} == {
        "imd_quintile",
        "ethnic_group",
    }
    assert body["rule_sets"][0]["versus_conventional"] == []
    assert _simulate(client, auth, {"seed": 3}).json()["rule_sets"] == body["rule_sets"]


def test_candidates_from_a_draft_and_supplied_rates(client, auth, uploaded):
    draft = client.post("/api/v1/rules/110/drafts", json={}, headers=auth("clinician"))
    assert draft.status_code == 201, draft.text
    body = {
        "specialties": ["110"],
        "capacity": {"110/admitted": 2, "110/non_admitted": 1.5},
        "referrals_per_week": {"110": 3},
        "rule_sets": [{"name": "t_and_o", "draft_id": draft.json()["id"]}],
    }
    response = _simulate(client, auth, body, role="auditor")
    assert response.status_code == 200, response.text
    result = response.json()
    assert [r["name"] for r in result["rule_sets"]] == ["conventional", "in_force", "t_and_o"]
    assert result["specialties"] == ["110"]
    rates = {p["list_key"]: (p["capacity_per_week"], p["capacity_source"]) for p in result["lists"]}
    assert rates == {
        "RZZ/110/admitted": (2.0, "supplied"),
        "RZZ/110/non_admitted": (1.5, "supplied"),
    }
    assert sum(p["referrals_per_week"] for p in result["lists"]) == pytest.approx(3.0)


def test_the_report_downloads_as_one_html_document(client, auth, uploaded):
    response = _simulate(client, auth, {}, role="admin", path=f"{SIMULATIONS}/report")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="equity-impact-RZZ-')
    assert disposition.endswith('.html"')
    html = response.text
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert "<h2>Summary</h2>" in html and html.count("<table>") == 7 and html.count("<svg") == 4


def test_roles_and_refusals(client, auth, uploaded):
    assert client.post(SIMULATIONS, json={"provider": "RZZ"}).status_code == 401
    assert _simulate(client, auth, {}, role="scheduler").status_code == 403
    missing = _simulate(client, auth, {"provider": "RXX"})
    assert missing.status_code == 404 and "RXX has no open PTL entries" in missing.json()["detail"]
    no_draft = _simulate(client, auth, {"rule_sets": [{"name": "x", "draft_id": 99999}]})
    assert no_draft.status_code == 404
    reserved = _simulate(client, auth, {"rule_sets": [{"name": "in_force", "document": {}}]})
    assert reserved.status_code == 422 and "reserved" in reserved.json()["detail"]
    bad = _simulate(
        client, auth, {"rule_sets": [{"name": "x", "document": {"rule_set_id": "110"}}]}
    )
    assert bad.status_code == 422 and bad.json()["errors"]
    assert _simulate(client, auth, {"weeks": 105}).status_code == 422
    assert _simulate(client, auth, {"capacity": {"999": 1}}).status_code == 422
    assert _simulate(client, auth, {"census_date": "2999-01-01"}).status_code == 422
    both = _simulate(client, auth, {"rule_sets": [{"name": "x", "draft_id": 1, "document": {}}]})
    assert both.status_code == 422


def test_openapi_describes_the_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths[SIMULATIONS]["post"]["responses"]) >= {"200", "401", "403", "404", "422"}
    assert "text/html" in paths[f"{SIMULATIONS}/report"]["post"]["responses"]["200"]["content"]


def test_the_rule_preview_shows_the_simulation_by_default(client, auth, uploaded):
    draft = client.post("/api/v1/rules/110/drafts", json={}, headers=auth("clinician")).json()
    path = f"/api/v1/rules/110/drafts/{draft['id']}/preview"
    plain = client.post(
        path, params={"provider": "RZZ", "simulate": "false"}, headers=auth("clinician")
    )
    assert plain.status_code == 200, plain.text
    assert plain.json()["simulation"] is None
    params = {"provider": "RZZ", "weeks": 4}
    response = client.post(path, params=params, headers=auth("clinician"))
    assert response.status_code == 200, response.text
    simulation = response.json()["simulation"]
    assert [r["name"] for r in simulation["rule_sets"]] == ["conventional", "in_force", "draft"]
    assert simulation["weeks"] == 4 and simulation["specialties"] == ["110"]
    assert {p["treatment_function_code"] for p in simulation["lists"]} == {"110"}


def test_failed_offers_and_capacity_per_band_over_the_api(client, auth, uploaded):
    body = {
        "capacity": {"110": {"P2": 2, "P3": 3, "P4": 4}},
        "offer_model": {"defer_by_quintile": {"1": 0.5}},
        "weeks": 4,
    }
    answer = _simulate(client, auth, body)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["offer_model"]["source"] == "supplied"
    assert result["offer_model"]["defer_by_quintile"]["1"] == 0.5
    assert result["offer_model"]["defer_by_quintile"]["5"] == 0.09  # the default kept
    plan = next(p for p in result["lists"] if p["treatment_function_code"] == "110")
    assert plan["capacity_split"] == "supplied"
    assert {b["priority_code"]: b["capacity_per_week"] for b in plan["bands"]}["P4"] > 0
    in_force = next(r for r in result["rule_sets"] if r["name"] == "in_force")
    assert in_force["gap_closed"] is None or "mean" in in_force["gap_closed"]
    assert in_force["delay"]["treated_in_both"] >= 0 and in_force["offers"]["offers"] > 0
    too_likely = {
        "offer_model": {"defer_by_quintile": {"1": 0.95}, "decline_by_quintile": {"1": 0.2}}
    }
    refused = _simulate(client, auth, too_likely)
    assert refused.status_code == 422 and "add up to" in refused.json()["detail"]
    assert (
        _simulate(client, auth, {"offer_model": {"defer_by_quintile": {"9": 0.1}}}).status_code
        == 422
    )
    assert _simulate(client, auth, {"capacity": {"110": {"P9": 1}}}).status_code == 422
