"""Simulations over HTTP with a risk model: an active model's per-pathway chances are used,
a retired one's never; support is simulated beside every rule set (both databases)."""

from __future__ import annotations

from tests.api.ptl_files import CENSUS
from tests.api.test_support_list import ROWS, _prepare

SIMULATIONS = "/api/v1/simulations"
BODY = {
    "provider": "RZZ",
    "weeks": 8,
    "seed": 5,
    "census_date": CENSUS.isoformat(),
    "support_per_week": 20,
    "support_effect": 0.5,
}


def _simulate(client, auth, **extra):
    answer = client.post(SIMULATIONS, json={**BODY, **extra}, headers=auth("equity_lead"))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_an_active_model_is_used_and_a_retired_one_is_not(client, auth, engine):
    _prepare(client, auth, engine)
    active = next(
        m
        for m in client.get("/api/v1/risk-models", headers=auth("admin")).json()
        if m["state"] == "active"
    )
    used = _simulate(client, auth)
    assert used["risk_model"]["used"] is True
    assert used["risk_model"]["model_id"] == active["id"]
    assert 0 < used["risk_model"]["mean_probability"] < 1
    starting = used["starting_entries"]
    assert 0 < starting <= ROWS
    assert used["failure_chances"] == {"source": "per_patient", "entries": starting}
    assert any("risk model" in note for note in used["notes"])
    # the same inputs and seed give the same answer
    assert _simulate(client, auth)["rule_sets"] == used["rule_sets"]
    # support beside every rule set, compared with the conventional order without it
    names = [r["name"] for r in used["rule_sets"]]
    assert names == ["conventional", "in_force", "conventional+support", "in_force+support"]
    [shares] = used["support"]["comparison"]
    assert shares["rule_set"] == "in_force"
    helped = used["rule_sets"][3]["offers"]
    assert 0 < helped["supported"] <= 20 * 8
    assert helped["deferred"] <= used["rule_sets"][1]["offers"]["deferred"]
    # the group chances when asked not to use the model
    plain = _simulate(client, auth, risk_model=False)
    assert plain["risk_model"]["used"] is False
    assert plain["failure_chances"]["source"] == "groups"

    retired = client.post(
        f"/api/v1/risk-models/{active['id']}/retirement",
        json={"reason": "figures out of date"},
        headers=auth("admin"),
    )
    assert retired.status_code == 200, retired.text
    after = _simulate(client, auth)
    assert after["risk_model"] == {
        "used": False,
        "model_id": None,
        "reason": "no risk model is active: the group chances of the offer model apply",
        "mean_probability": None,
    }
    assert after["failure_chances"] == {"source": "groups", "entries": 0}
    assert after["rule_sets"] == plain["rule_sets"]


def test_support_settings_are_validated(client, auth, engine):
    for bad in ({"support_per_week": -1}, {"support_effect": 0}, {"support_effect": 1.5}):
        answer = client.post(SIMULATIONS, json={**BODY, **bad}, headers=auth("clinician"))
        assert answer.status_code == 422, answer.text
