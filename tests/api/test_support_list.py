"""The support list names the patients the synthetic mechanism puts at risk, and moves nobody."""

import csv
import io
from datetime import timedelta

import numpy as np
from sqlalchemy import select, update

from app.database import session_scope
from app.demo import generate_ptl
from app.demo.offers import failure_probability, generate_offers, known_deciles, write_offers_csv
from models import PtlEntry, RankingResult
from models.base import utcnow
from tests.api.ptl_files import CENSUS, demo_csv, without_rows

ROWS = 3000


def _prepare(client, auth, engine):
    content = demo_csv(ROWS, seed=7)
    upload = lambda body: client.post(  # noqa: E731
        "/api/v1/ptl/uploads",
        files={"file": ("ptl.csv", body, "text/csv")},
        headers=auth("scheduler"),
    )
    assert upload(content).status_code == 201
    with session_scope(engine) as session:  # the list has been held for two months
        session.execute(update(PtlEntry).values(created_at=utcnow() - timedelta(days=60)))
        session.commit()
    # Closing some pathways gives the lists clock stops, hence a weekly capacity.
    assert upload(without_rows(content, 400)).status_code == 201
    ptl = generate_ptl(ROWS, seed=7, census_date=CENSUS)
    offers = generate_offers(ptl, census_date=CENSUS)
    buffer = io.StringIO()
    write_offers_csv(buffer, offers)
    answer = client.post(
        "/api/v1/offers/uploads",
        files={"file": ("offers.csv", buffer.getvalue().encode(), "text/csv")},
        headers=auth("scheduler"),
    )
    assert answer.status_code == 201
    model = client.post("/api/v1/risk-models", json={}, headers=auth("admin")).json()["id"]
    activated = client.post(
        f"/api/v1/risk-models/{model}/activation",
        json={"reason": "figures reviewed"},
        headers=auth("admin"),
    )
    assert activated.status_code == 200, activated.text
    return ptl, offers


def _positions(engine):
    with session_scope(engine) as session:
        return session.execute(
            select(RankingResult.run_id, RankingResult.pathway_id, RankingResult.list_position)
        ).all()


def test_support_list_names_those_at_risk_and_moves_nobody(client, auth, engine):
    assert (
        client.get("/api/v1/support-list?provider=RZZ", headers=auth("scheduler")).status_code
        == 409
    )
    ptl, offers = _prepare(client, auth, engine)
    before = _positions(engine)
    answer = client.get("/api/v1/support-list?provider=RZZ&weeks=8", headers=auth("scheduler"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["considered"] > 0 and body["entries"], body
    assert "never moves anyone" in body["note"]
    # The true mechanism's risk for each considered pathway's next offer.
    index = {pid: i for i, pid in enumerate(ptl["pathway_id"].tolist())}
    failures = np.bincount(offers["pathway_index"][offers["failed"]], minlength=ROWS)
    truth = failure_probability(known_deciles(ptl), failures)
    listed = np.array([truth[index[e["pathway_id"]]] for e in body["entries"]])
    assert listed.mean() > truth.mean() + 0.1, (listed.mean(), truth.mean())
    assert np.all([e["risk"] >= body["threshold"] for e in body["entries"]])
    deciles = known_deciles(ptl)
    listed_deciles = [deciles[index[e["pathway_id"]]] for e in body["entries"]]
    assert np.mean([0 < d <= 3 for d in listed_deciles]) > 0.5  # mostly the most deprived
    for entry in body["entries"]:
        assert entry["factors"] and entry["support"]
        i = index[entry["pathway_id"]]
        if failures[i]:
            assert any("not taken" in factor for factor in entry["factors"]) or deciles[i] <= 3
    keys = [
        (e["treatment_function_code"], e["pathway_stage"], e["list_position"])
        for e in body["entries"]
    ]
    assert keys == sorted(keys)  # waiting-list order
    assert _positions(engine) == before  # nobody moved
    # CSV download carries the same rows.
    download = client.get(
        "/api/v1/support-list?provider=RZZ&weeks=8&format=csv", headers=auth("clinician")
    )
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [r["pathway_id"] for r in rows] == [e["pathway_id"] for e in body["entries"]]
    assert (
        client.get("/api/v1/support-list?provider=RZZ", headers=auth("equity_lead")).status_code
        == 200
    )
    assert (
        client.get("/api/v1/support-list?provider=RZZ", headers=auth("auditor")).status_code == 403
    )


def test_a_retired_model_gives_no_support_list(client, auth, engine):
    _prepare(client, auth, engine)
    models = client.get("/api/v1/risk-models", headers=auth("admin")).json()
    active = next(m for m in models if m["state"] == "active")
    client.post(
        f"/api/v1/risk-models/{active['id']}/retirement",
        json={"reason": "paused"},
        headers=auth("admin"),
    )
    answer = client.get("/api/v1/support-list?provider=RZZ", headers=auth("scheduler"))
    assert answer.status_code == 409 and "no risk model is in use" in answer.json()["detail"]
