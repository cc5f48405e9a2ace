"""The simulation service on both databases: list and rules loading, candidates, capacity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete

from app.database import session_scope
from app.simulations import (
    Candidate,
    InvalidSimulation,
    NoOpenList,
    RuleVersionNotFound,
    SimulationRequest,
    run_simulation,
    simulate_draft_impact,
)
from app.simulations.capacity import clock_stops
from models import PtlEntry, RuleSetVersion
from prioritisation import load_default_rule_set
from prioritisation.simulation import OfferModel
from tests.app.simulations.entries import CENSUS, add_entries

# The six P4 entries of tests/prioritisation/test_simulation.py, now through the database:
# waits 100, 95, 90, 80, 50, 40; deciles 10, 1, 10, 1, 5, 1; categories A, H, A, H, N, 99.
SIX = [
    {"wait": 100, "imd_decile": 10, "ethnic_category": "A"},
    {"wait": 95, "imd_decile": 1, "ethnic_category": "H"},
    {"wait": 90, "imd_decile": 10, "ethnic_category": "A"},
    {"wait": 80, "imd_decile": 1, "ethnic_category": "H"},
    {"wait": 50, "imd_decile": 5, "ethnic_category": "N"},
    {"wait": 40, "imd_decile": 1, "ethnic_category": "99"},
]
ONE_A_WEEK = {"capacity": {"110": 1}, "referrals_per_week": {"110": 0}}


def specialty_document(code: str, decile_1: float, *, deprivation: bool = True) -> dict:
    """The default document as a specialty's, with decile 1's uplift changed."""
    document = load_default_rule_set().model_dump(mode="json")
    document.update(rule_set_id=code, bounds=None, vocabulary=None, version=f"{code}-test")
    document["rationale"] = {}
    deciles = {**document["deprivation"]["decile_uplift_days"], "1": decile_1}
    document["deprivation"] = {
        **document["deprivation"],
        "decile_uplift_days": deciles,
        "enabled": deprivation,
    }
    return document


def request(**changes) -> SimulationRequest:
    """The hand-worked cases take every offer (no failed offers)."""
    values = {
        "provider_code": "RZZ",
        "census_date": CENSUS,
        "weeks": 6,
        "offers": OfferModel.never_fails(),
        **ONE_A_WEEK,
    }
    return SimulationRequest(**{**values, **changes})


def add_draft(engine, document: dict) -> int:
    with session_scope(engine) as session:
        row = RuleSetVersion(
            specialty=document["rule_set_id"],
            version=1,
            status="draft",
            document=document,
            created_by="dr.test",
            updated_by="dr.test",
        )
        session.add(row)
        session.flush()
        return row.id


def test_in_force_conventional_and_candidates_from_a_draft_and_a_document(engine):
    add_entries(engine, SIX)
    draft_id = add_draft(engine, specialty_document("110", 21.0, deprivation=False))
    candidates = [
        Candidate("no_deprivation", version_id=draft_id),
        Candidate("posted", document=specialty_document("110", 31.5)),
    ]
    with session_scope(engine) as session:
        run = run_simulation(session, request(candidates=candidates), imd_edition="iod2019")
    result = run.result
    names = [o.name for o in result.rule_sets]
    assert names == ["conventional", "in_force", "no_deprivation", "posted"]
    assert result.reference_rule_set == "in_force"
    assert "draft version 1 of rule set 110" in run.sources["no_deprivation"]
    assert "posted document for rule set 110" in run.sources["posted"]
    # In force = the shipped default: the same six weeks as the core's hand-made case.
    assert result.treated_week["conventional"].tolist() == [0, 1, 2, 3, 4, 5]
    assert result.treated_week["in_force"].tolist() == [2, 0, 3, 1, 5, 4]
    # With the deprivation factor off nothing else applies here: the conventional order.
    assert result.treated_week["no_deprivation"].tolist() == [0, 1, 2, 3, 4, 5]
    in_force = result.outcome("in_force")
    assert in_force.treated_by_imd_quintile["1"].median_days == 87
    assert in_force.treated_by_ethnic_group["asian"].median_days == 87
    assert in_force.treated_by_ethnic_group["not_known"].median_days == 68
    body = run.to_dict()
    assert [s["name"] for s in body["rule_set_sources"]] == names
    assert body["lists"][0]["capacity_source"] == "supplied"


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"provider_code": "RXX"}, NoOpenList, "RXX has no open PTL entries"),
        ({"specialties": ["120"]}, NoOpenList, "in specialties 120"),
        ({"candidates": [Candidate("x", version_id=999)]}, RuleVersionNotFound, "999"),
        ({"candidates": [Candidate("in_force", document={})]}, InvalidSimulation, "reserved"),
        ({"capacity": {"130": 1}}, InvalidSimulation, "capacity.130: no list on the PTL"),
        ({"weeks": 0}, InvalidSimulation, "weeks must be from 1"),
    ],
)
def test_refusals_name_their_reason(engine, changes, error, message):
    add_entries(engine, SIX)
    with session_scope(engine) as session, pytest.raises(error, match=message):
        run_simulation(session, request(**changes), imd_edition="iod2019")


def test_an_invalid_document_lists_every_problem_by_path(engine):
    add_entries(engine, SIX)
    document = specialty_document("110", 21.0)
    document["deprivation"]["decile_uplift_days"]["2"] = 40.0  # more than decile 1's 21
    bad = request(candidates=[Candidate("bad", document=document)])
    with session_scope(engine) as session, pytest.raises(InvalidSimulation) as caught:
        run_simulation(session, bad, imd_edition="iod2019")
    assert [p.path for p in caught.value.problems] == ["deprivation.decile_uplift_days.2"]


def test_capacity_from_recent_clock_stops_when_uploads_cover_four_weeks(engine):
    now = datetime.now(UTC)
    census = now.date()
    open_rows = [{"wait": 10 * i} for i in range(1, 9)]
    closed = [
        {"pathway_id": f"C{i}", "wait": 200, "closed_at": now - timedelta(days=3 * i)}
        for i in range(1, 14)
    ]
    add_entries(engine, open_rows + closed, census=census, created_at=now - timedelta(days=120))
    with session_scope(engine) as session:
        # 13 closures in the 13 weeks to the census: one a week.
        stops = clock_stops(session, "RZZ", census, None)
        assert stops.rates == {"RZZ/110/admitted": 1.0}
        assert stops.by_priority == {"RZZ/110/admitted": {"P4": 1.0}}
        run = run_simulation(
            session, request(census_date=census, capacity=None), imd_edition="iod2019"
        )
        # A supplied capacity for the specialty wins over the estimate.
        supplied = run_simulation(
            session, request(census_date=census, capacity={"110": 2}), imd_edition="iod2019"
        )
    plan = run.result.lists[0]
    assert (plan.capacity_per_week, plan.capacity_source) == (1.0, "recent_clock_stops")
    assert run.notes == ["capacity of 1 list(s) estimated from recent clock stops"]
    assert run.to_dict()["notes"][0] == run.notes[0]
    assert supplied.result.lists[0].capacity_source == "supplied"


def test_closures_of_a_list_that_has_emptied_are_no_capacity(engine):
    """A list with recent clock stops but no open entry left has nothing to book."""
    now = datetime.now(UTC)
    census = now.date()
    open_rows = [{"wait": 10 * i} for i in range(1, 5)]
    emptied = [
        {
            "pathway_id": f"E{i}",
            "treatment_function_code": "120",
            "wait": 200,
            "closed_at": now - timedelta(days=3 * i),
        }
        for i in range(1, 14)
    ]
    add_entries(engine, open_rows + emptied, census=census, created_at=now - timedelta(days=120))
    with session_scope(engine) as session:
        assert clock_stops(session, "RZZ", census, None).rates == {"RZZ/120/admitted": 1.0}
        run = run_simulation(
            session, request(census_date=census, capacity=None), imd_edition="iod2019"
        )
    assert [plan.list_key for plan in run.result.lists] == ["RZZ/110/admitted"]
    assert run.result.lists[0].capacity_source != "recent_clock_stops"
    assert run.notes == []


def test_no_clock_stop_estimate_from_under_four_weeks_of_uploads(engine):
    now = datetime.now(UTC)
    rows = [{"wait": 10}, {"pathway_id": "C1", "wait": 50, "closed_at": now}]
    add_entries(engine, rows, census=now.date(), created_at=now - timedelta(days=20))
    with session_scope(engine) as session:
        assert clock_stops(session, "RZZ", now.date(), None).rates == {}


def test_draft_impact_for_the_rule_preview(engine):
    add_entries(engine, [*SIX, {"pathway_id": "T1", "wait": 30, "treatment_function_code": "120"}])
    with session_scope(engine) as session:
        body = simulate_draft_impact(
            session,
            provider="RZZ",
            specialty="110",
            draft_document=specialty_document("110", 28.0),
            weeks=4,
            seed=5,
            imd_edition="iod2019",
            census_date=CENSUS,
        )
        everything = simulate_draft_impact(
            session,
            provider="RZZ",
            specialty="default",
            draft_document=load_default_rule_set().model_dump(mode="json"),
            weeks=2,
            imd_edition="iod2019",
            census_date=CENSUS,
        )
    assert [o["name"] for o in body["rule_sets"]] == ["conventional", "in_force", "draft"]
    assert body["specialties"] == ["110"] and body["weeks"] == 4 and body["seed"] == 5
    assert [p["list_key"] for p in body["lists"]] == ["RZZ/110/admitted"]
    # A default draft scores every specialty without rules of its own: 110 and 120 here.
    assert [p["list_key"] for p in everything["lists"]] == ["RZZ/110/admitted", "RZZ/120/admitted"]
    with session_scope(engine) as session, pytest.raises(InvalidSimulation, match="draft"):
        simulate_draft_impact(
            session,
            provider="RZZ",
            specialty="110",
            draft_document={"rule_set_id": "110"},
            imd_edition="iod2019",
        )


def test_failed_offers_come_from_the_list_when_it_shows_them(engine):
    """Enough patient-deferred (P5) entries give the list's own gradient by quintile; without
    them the documented defaults apply."""
    plain = [
        {"pathway_id": f"A{i}", "wait": 20 + i % 90, "imd_decile": 1 + i % 10} for i in range(200)
    ]
    add_entries(engine, plain)
    with session_scope(engine) as session:
        defaults = run_simulation(session, request(offers=None), imd_edition="iod2019")
    assert defaults.result.offer_model["source"] == "default"
    deferred = [
        {"pathway_id": f"D{i}", "wait": 30, "imd_decile": 1 + (i % 4), "priority_code": "P5"}
        for i in range(60)
    ]
    add_entries(engine, deferred)
    with session_scope(engine) as session:
        estimated = run_simulation(session, request(offers=None), imd_edition="iod2019")
    model = estimated.result.offer_model
    assert model["source"] == "estimated"
    # every marker is in quintiles 1-2: their chances rise above the defaults, 3-5 fall
    assert model["defer_by_quintile"]["1"] > 0.29 and model["defer_by_quintile"]["5"] < 0.09


def test_the_answer_does_not_depend_on_the_order_the_database_returns_rows(engine):
    """Each patient's random numbers are keyed by position: the list is loaded in pathway
    order, so the same entries stored in another order simulate the same (on PostgreSQL the
    order rows come back in changes as they are rewritten)."""
    rows = [
        {"pathway_id": f"P{i:04d}", "wait": 20 + (i * 37) % 300, "imd_decile": 1 + i % 10}
        for i in range(300)
    ]
    offers = OfferModel()  # the default chances: offers fail, so random numbers matter
    answers = []
    for stored in (rows, rows[::-1]):
        with session_scope(engine) as session:
            session.execute(delete(PtlEntry))
        add_entries(engine, stored)
        with session_scope(engine) as session:
            run = run_simulation(
                session,
                request(offers=offers, weeks=8, seed=3, capacity={"110": 30}),
                imd_edition="iod2019",
            )
            answers.append(run.result.to_dict())
    assert answers[0]["rule_sets"] == answers[1]["rule_sets"]
    assert answers[0]["rule_sets"][0]["offers"]["deferred"] > 0
