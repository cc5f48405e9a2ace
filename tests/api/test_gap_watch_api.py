"""After publication: a previewed version keeps its predicted gap, the equity trend shows it
beside the measured one, and the divergence report flags four divergent weeks running."""

from __future__ import annotations

import io
from datetime import date, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from app.database import session_scope
from app.demo.identifiers import sample_nhs_numbers
from app.reports import build_equity_report
from models import EquitySnapshot, GapPrediction
from prioritisation.treated_gaps import ALL_BANDS, GapSums, cells_from_json, cells_to_json, total
from tests.api.test_rules import RULES, _draft, _events, _publish

TODAY = date.today()
ENTRIES = 400


def _upload(client, auth) -> None:
    """A strained 110 list: P3 entries waiting 1 to 12 weeks, half in decile 1, half in 10."""
    rng = np.random.default_rng(7)
    numbers = sample_nhs_numbers(rng, ENTRIES)
    lines = [
        "pathway_id,nhs_number,provider_code,treatment_function_code,pathway_stage,"
        "priority_code,rtt_clock_start,imd_decile,ethnic_category"
    ]
    for i, number in enumerate(numbers):
        start = (TODAY - timedelta(days=int(rng.integers(7, 84)))).isoformat()
        decile = 1 if i % 2 else 10
        lines.append(f"W{i:05d},{number},RZZ,110,admitted,P3,{start},{decile},A")
    response = client.post(
        "/api/v1/ptl/uploads",
        files={"file": ("ptl.csv", io.BytesIO(("\n".join(lines) + "\n").encode()), "text/csv")},
        headers=auth("scheduler"),
    )
    assert response.status_code == 201, response.text


def _preview(client, auth, draft, weeks=8):
    response = client.post(
        f"{RULES}/110/drafts/{draft['id']}/preview",
        params={"provider": "RZZ", "weeks": weeks},
        headers=auth("clinician", subject="dr.b"),
    )
    assert response.status_code == 200, response.text
    return response.json()


def _snapshot(engine, week: int, gap_days: int) -> None:
    """A snapshot whose 7-day window starts ``week`` weeks from today (after publication)."""
    census = TODAY + timedelta(weeks=week, days=6)
    year, number, _ = census.isocalendar()
    cells = {("110", ALL_BANDS, 0): GapSums(30, 30 * (70 + gap_days), 30 * (70 + gap_days) ** 2,
                                            30, 30 * 70, 30 * 70**2)}  # fmt: skip
    with session_scope(engine) as session:
        report = build_equity_report(session, "RZZ", TODAY).as_json()
        session.add(
            EquitySnapshot(
                provider_code="RZZ", iso_year=year, iso_week=number, census_date=census,
                created_by="test", report=report,
                treated_gaps={"window_from": (census - timedelta(days=6)).isoformat(),
                              "window_to": census.isoformat(), "clock_stops": 60,
                              "cells": cells_to_json(cells)},
            )
        )  # fmt: skip


def test_a_published_preview_prediction_is_shown_beside_the_measured_gap(client, auth, engine):
    _upload(client, auth)
    draft = _draft(client, auth).json()
    preview = _preview(client, auth, draft)
    [event] = _events(engine, "rules.previewed")
    assert event.details["draft_id"] == draft["id"]
    assert event.details["prediction_id"] is not None
    with session_scope(engine) as session:
        [row] = session.scalars(select(GapPrediction)).all()
        assert (row.rule_set_version_id, row.lock_version, row.source) == (
            draft["id"],
            1,
            "preview",
        )
        assert row.published_at is None and row.weeks == 8 and row.provider_code == "RZZ"
        cells = cells_from_json(row.cells)
        prediction_id = row.id
    assert {s for s, _, _ in cells} == {"110"} and {w for _, _, w in cells} <= set(range(8))
    simulated = {o["name"]: o for o in preview["simulation"]["rule_sets"]}["draft"]
    pooled = total(v for (_, band, _), v in cells.items() if band == ALL_BANDS)
    assert pooled.gap_weeks == pytest.approx(simulated["deprivation_gap"]["mean_weeks"])

    published = _publish(client, auth, draft)
    assert published.status_code == 200, published.text
    [publication] = _events(engine, "rules.published")
    assert publication.details["predictions"] == [
        {"id": prediction_id, "provider_code": "RZZ", "source": "preview"}
    ]
    with session_scope(engine) as session:
        assert session.get(GapPrediction, prediction_id).published_at is not None

    # Measured 20 weeks apart from any prediction, with no spread: four weeks in the trend.
    predicted_weeks = [w for w in range(1, 5) if cells[("110", ALL_BANDS, w)].gap_weeks is not None]
    assert predicted_weeks == [1, 2, 3, 4], "the simulation treats both quintiles every week"
    for week in (1, 2, 3):
        _snapshot(engine, week, 140)
    trend = client.get(
        "/api/v1/reports/equity/trend", params={"provider": "RZZ"}, headers=auth("equity_lead")
    )
    assert trend.status_code == 200, trend.text
    points = trend.json()["items"]
    # The ranking run after the upload stored this week's snapshot: no clock stopped yet.
    assert points[0]["census_date"] == TODAY.isoformat()
    assert points[0]["gap_at_treatment"]["clock_stops"] == 0
    rows = [p["gap_at_treatment"]["specialties"][0] for p in points[1:]]
    assert [r["prediction_week"] for r in rows] == [1, 2, 3]
    assert all(r["prediction_id"] == prediction_id for r in rows)
    assert all(r["version_id"] == draft["id"] for r in rows)
    assert rows[0]["observed_weeks"] == pytest.approx(20.0)
    assert rows[0]["predicted_weeks"] == pytest.approx(cells[("110", ALL_BANDS, 1)].gap_weeks)
    assert [r["divergent"] for r in rows] == [True] * 3, rows

    def report():
        response = client.get(
            "/api/v1/reports/equity/divergence",
            params={"provider": "RZZ"},
            headers=auth("auditor"),
        )
        assert response.status_code == 200, response.text
        return response.json()

    three = report()
    assert three["flagged"] == [] and three["specialties"][0]["divergent_weeks"] == 3
    assert (three["tolerance_weeks"], three["weeks_to_flag"]) == (1.0, 4)
    _snapshot(engine, 4, 140)
    four = report()
    assert four["flagged"] == ["110"]
    [row] = four["specialties"]
    assert (row["divergent_weeks"], row["flagged"], row["prediction_id"]) == (
        4,
        True,
        prediction_id,
    )
    assert row["difference_weeks"] == pytest.approx(row["observed_weeks"] - row["predicted_weeks"])
    chart = client.get(
        "/api/v1/reports/equity/charts/gap-at-treatment.svg",
        params={"provider": "RZZ"},
        headers=auth("equity_lead"),
    )
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/svg+xml"
    assert b"110: weeks" in chart.content and b"predicted" in chart.content


def test_a_version_published_without_preview_has_no_prediction(client, auth, engine):
    _upload(client, auth)  # specialty 110 only: a 130 draft needs no preview
    draft = _draft(client, auth, specialty="130").json()
    assert _publish(client, auth, draft).status_code == 200
    [publication] = _events(engine, "rules.published")
    assert publication.details["predictions"] == []
    with session_scope(engine) as session:
        assert session.scalars(select(GapPrediction)).all() == []
    divergence = client.get(
        "/api/v1/reports/equity/divergence", params={"provider": "RZZ"}, headers=auth("clinician")
    )
    assert divergence.status_code == 200
    assert divergence.json()["specialties"] == [] and divergence.json()["flagged"] == []


def test_the_divergence_report_needs_a_known_provider(client, auth):
    response = client.get(
        "/api/v1/reports/equity/divergence", params={"provider": "RQQ"}, headers=auth("auditor")
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
