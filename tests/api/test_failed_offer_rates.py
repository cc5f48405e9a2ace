"""Failed offers by group on the equity dashboard's API: observed from the stored history,
predicted by the active model for the same offers, with clear empty states (both databases)."""

from __future__ import annotations

import numpy as np

from app.demo import generate_ptl
from app.demo.offers import known_deciles
from tests.api.ptl_files import CENSUS
from tests.api.test_support_list import ROWS, _prepare

RATES = "/api/v1/reports/equity/failed-offers"


def _rates(client, auth, **params):
    answer = client.get(RATES, params={"provider": "RZZ", **params}, headers=auth("auditor"))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_no_history_says_so(client, auth):
    body = _rates(client, auth)
    assert body["offers"] == 0 and body["dimensions"] == {}
    assert body["observed_rate"] is None and body["predicted_rate"] is None
    assert "No offer history has been uploaded for RZZ" in body["empty"]


def test_observed_and_predicted_rates_by_group(client, auth, engine):
    ptl, offers = _prepare(client, auth, engine)
    body = _rates(client, auth)
    assert body["model_id"] is not None and body["empty"] is None
    assert body["offers"] == len(offers["failed"])
    assert body["failed"] == int(offers["failed"].sum())
    assert body["observed_rate"] == round(float(offers["failed"].mean()), 4)
    # the model is calibrated on its own history: predicted close to observed overall
    assert abs(body["predicted_rate"] - body["observed_rate"]) < 0.02
    assert set(body["dimensions"]) == {"imd_quintile", "ethnic_group", "sex", "age_band"}
    for groups in body["dimensions"].values():
        assert sum(g["offers"] for g in groups) == body["offers"]
        assert sum(g["failed"] for g in groups) == body["failed"]
        for g in groups:
            assert g["observed_rate"] == round(g["failed"] / g["offers"], 4)
            assert 0 <= g["predicted_rate"] <= 1
    # the synthetic mechanism: failures rise with deprivation, observed and predicted
    quintiles = {g["group"]: g for g in body["dimensions"]["imd_quintile"]}
    q1, q5 = quintiles["Q1 (most deprived)"], quintiles["Q5 (least deprived)"]
    assert q1["observed_rate"] > q5["observed_rate"] + 0.1
    assert q1["predicted_rate"] > q5["predicted_rate"] + 0.1
    # the observed rate of quintile 1 matches the generated history
    deciles = known_deciles(ptl)[offers["pathway_index"]]
    mine = (deciles >= 1) & (deciles <= 2)
    assert q1["offers"] == int(mine.sum())
    assert q1["failed"] == int(offers["failed"][mine].sum())

    # one specialty: only its offers
    specialty = str(
        np.asarray(generate_ptl(ROWS, seed=7, census_date=CENSUS)["treatment_function_code"])[0]
    )
    one = _rates(client, auth, specialty=specialty)
    assert 0 < one["offers"] < body["offers"] and one["specialty"] == specialty

    # no active model: observed only, and the reason in plain words
    active = body["model_id"]
    retired = client.post(
        f"/api/v1/risk-models/{active}/retirement", json={"reason": "review"},
        headers=auth("admin"),
    )  # fmt: skip
    assert retired.status_code == 200
    after = _rates(client, auth)
    assert after["observed_rate"] == body["observed_rate"] and after["predicted_rate"] is None
    assert "No risk model is active" in after["empty"]
    assert all(
        g["predicted_rate"] is None for groups in after["dimensions"].values() for g in groups
    )
