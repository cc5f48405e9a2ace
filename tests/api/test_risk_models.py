"""Risk models: trained by a job, used only once activated with a reason, retired for good."""

import io

import numpy as np
from sqlalchemy import select

from app.database import session_scope
from app.demo import generate_ptl
from app.demo.offers import generate_offers, write_offers_csv
from app.risk.service import active_model, history_facts
from models import AuditEvent
from tests.api.ptl_files import CENSUS, demo_csv

MODELS = "/api/v1/risk-models"
ROWS = 3000


def _load_history(client, auth):
    ptl = client.post(
        "/api/v1/ptl/uploads",
        files={"file": ("ptl.csv", demo_csv(ROWS, seed=7), "text/csv")},
        headers=auth("scheduler"),
    )
    assert ptl.status_code == 201, ptl.text
    buffer = io.StringIO()
    write_offers_csv(
        buffer, generate_offers(generate_ptl(ROWS, seed=7, census_date=CENSUS), census_date=CENSUS)
    )
    offers = client.post(
        "/api/v1/offers/uploads",
        files={"file": ("offers.csv", buffer.getvalue().encode(), "text/csv")},
        headers=auth("scheduler"),
    )
    assert offers.status_code == 201, offers.text
    return offers.json()["inserted"]


def _kinds(engine):
    with session_scope(engine) as session:
        return [e.kind for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_train_activate_use_and_retire(client, auth, engine):
    stored = _load_history(client, auth)
    answer = client.post(MODELS, json={}, headers=auth("admin"))
    assert answer.status_code == 202, answer.text
    model_id = answer.json()["id"]
    job = client.get(f"/api/v1/jobs/{answer.json()['job_id']}", headers=auth("auditor")).json()
    assert job["state"] == "succeeded", job
    model = client.get(f"{MODELS}/{model_id}", headers=auth("equity_lead")).json()
    assert model["state"] == "trained" and model["offers"] == stored
    assert model["window_start"] <= model["window_end"]
    assert model["metrics"]["overall"]["auc"] > 0.6
    assert not any(name.startswith("ethnic") for name in model["features"]["names"])
    assert set(model["metrics"]["by_group"]) == {"imd_quintile", "ethnic_group", "sex", "age_band"}
    with session_scope(engine) as session:
        assert active_model(session) is None  # trained is not in use
    # Activation needs a reason, and an admin.
    assert (
        client.post(f"{MODELS}/{model_id}/activation", json={}, headers=auth("admin")).status_code
        == 422
    )
    denied = client.post(
        f"{MODELS}/{model_id}/activation", json={"reason": "validated"}, headers=auth("equity_lead")
    )
    assert denied.status_code == 403
    done = client.post(
        f"{MODELS}/{model_id}/activation",
        json={"reason": "figures reviewed at the equity board"},
        headers=auth("admin"),
    )
    assert done.status_code == 200 and done.json()["state"] == "active"
    with session_scope(engine) as session:
        used = active_model(session)
        assert used is not None
        facts = history_facts(session)
        risks = used.predict(facts)
    assert risks.shape == (stored,) and np.all((risks > 0) & (risks < 1))
    # A second model replaces the first, which is retired with a reason naming it.
    second = client.post(MODELS, json={"threshold": 0.3}, headers=auth("admin")).json()["id"]
    client.post(
        f"{MODELS}/{second}/activation",
        json={"reason": "retrained on newer offers"},
        headers=auth("admin"),
    )
    first = client.get(f"{MODELS}/{model_id}", headers=auth("admin")).json()
    assert (
        first["state"] == "retired"
        and first["retirement_reason"] == f"replaced by risk model {second}"
    )
    retired = client.post(
        f"{MODELS}/{second}/retirement", json={"reason": "paused for review"}, headers=auth("admin")
    )
    assert retired.status_code == 200
    with session_scope(engine) as session:
        assert active_model(session) is None  # a retired model is not used
    again = client.post(
        f"{MODELS}/{second}/activation", json={"reason": "back"}, headers=auth("admin")
    )
    assert again.status_code == 409
    kinds = _kinds(engine)
    assert kinds.count("risk_model.training_requested") == 2
    assert kinds.count("risk_model.trained") == 2
    assert kinds.count("risk_model.activated") == 2
    assert kinds.count("risk_model.retired") == 2


def test_ethnicity_only_with_governance(client, auth, engine):
    _load_history(client, auth)
    lapsed = {
        "evidence_reference": "EQ-14",
        "approved_by": "Dr A Lead",
        "review_date": "2020-01-01",
    }
    refused = client.post(MODELS, json={"ethnicity": lapsed}, headers=auth("admin"))
    assert refused.status_code == 422 and "review_date" in refused.text
    missing = client.post(
        MODELS, json={"ethnicity": {"evidence_reference": "EQ-14"}}, headers=auth("admin")
    )
    assert missing.status_code == 422
    governed = {
        "evidence_reference": "EQ-14",
        "approved_by": "Dr A Lead",
        "review_date": "2099-01-01",
    }
    answer = client.post(MODELS, json={"ethnicity": governed}, headers=auth("admin"))
    assert answer.status_code == 202
    model = client.get(f"{MODELS}/{answer.json()['id']}", headers=auth("admin")).json()
    assert any(name.startswith("ethnic_group=") for name in model["features"]["names"])
    assert model["ethnicity_governance"]["approved_by"] == "Dr A Lead"


def test_training_without_history_fails_cleanly(client, auth):
    answer = client.post(MODELS, json={}, headers=auth("admin"))
    model = client.get(f"{MODELS}/{answer.json()['id']}", headers=auth("admin")).json()
    assert model["state"] == "failed" and "at least 500" in model["error"]
    assert client.post(MODELS, json={}, headers=auth("scheduler")).status_code == 403
