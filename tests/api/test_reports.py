"""Report endpoints on a small hand-made upload (SQLite and PostgreSQL), values by hand."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, update

from app.database import session_scope
from app.demo.identifiers import synthetic_nhs_numbers
from app.reports import record_weekly_snapshot
from models import EquitySnapshot, PtlEntry
from models.base import utcnow

TODAY = date.today()
REPORTS = "/api/v1/reports"
COLUMNS = (
    "pathway_id,nhs_number,provider_code,treatment_function_code,pathway_stage,priority_code,"
    "rtt_clock_start,ethnic_category,lsoa_code,imd_decile,inclusion_groups,priority_set_date,"
    "last_validated_date,rtt_status"
)


def _ago(days: int | None) -> str:
    return "" if days is None else (TODAY - timedelta(days=days)).isoformat()


# (wait days, provider, specialty, stage, priority, ethnicity, lsoa, decile, inclusion,
#  priority set days ago, validated days ago, rtt status)
ROWS = [
    (140, "RZZ", "110", "admitted", "P3", "A", "", "1", "homeless;learning_disability", 10, 10, ""),
    (70, "RZZ", "110", "admitted", "P2", "N", "", "2", "", 91, 85, ""),
    (400, "RZZ", "130", "non_admitted", "P4", "Z", "", "1", "homeless", 10, 10, ""),
    (7, "RZZ", "130", "admitted", "P3", "A", "E01000001", "", "", 5, 5, ""),  # decile 9 looked up
    (14, "RZZ", "100", "admitted", "P3", "H", "", "10", "", 90, 84, ""),
    (21, "RZZ", "100", "admitted", "P3", "", "", "10", "", None, None, ""),  # blank -> 99
    (130, "RZZ", "100", "admitted", "P3", "A", "", "9", "carer", 10, 10, ""),
    (50, "RZZ", "100", "admitted", "P3", "A", "E01999999", "", "", 10, None, ""),  # not found
    (1000, "RZZ", "100", "admitted", "P5", "A", "", "1", "", 10, 10, ""),  # parked
    (900, "RZZ", "100", "admitted", "P3", "A", "", "9", "", 10, 10, "31"),  # active monitoring
    (3000, "RYY", "100", "admitted", "P3", "A", "", "1", "", 10, 10, ""),  # another provider
]


def hand_csv() -> bytes:
    numbers = synthetic_nhs_numbers()
    lines = [COLUMNS]
    for i, row in enumerate(ROWS):
        wait, provider, tfc, stage, prio, eth, lsoa, decile, groups, p_ago, v_ago, status = row
        cells = [f"P{i:04d}", str(numbers[i]), provider, tfc, stage, prio, _ago(wait), eth, lsoa]
        cells += [decile, groups, _ago(p_ago), _ago(v_ago), status]
        lines.append(",".join(cells))
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def uploaded(client, auth):
    files = {"file": ("ptl.csv", hand_csv(), "text/csv")}
    response = client.post("/api/v1/ptl/uploads", files=files, headers=auth("scheduler"))
    assert response.status_code == 201, response.text
    return client


def _groups(rows):
    return {row["group"]: row for row in rows}


def test_equity_report_by_hand(uploaded, auth):
    response = uploaded.get(
        f"{REPORTS}/equity", params={"provider": "rzz"}, headers=auth("clinician")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["provider_code"] == "RZZ"
    assert body["census_date"] == TODAY.isoformat()
    assert (body["entries_open"], body["parked_count"], body["entries_measured"]) == (10, 2, 8)
    assert body["include_parked"] is False
    # all: 7 14 21 50 70 130 140 400 -> median rank 4 = 50 d; p92 rank 8 = 400 d;
    # over 18: 3/8 = 37.5%; over 52: 1/8 = 12.5%.
    overall = body["overall"]
    assert (overall["median_days"], overall["median_weeks"], overall["p92_days"]) == (50, 7.14, 400)
    assert (overall["pct_over_18_weeks"], overall["pct_over_52_weeks"]) == (37.5, 12.5)
    quintiles = _groups(body["by_imd_quintile"])
    # Q1 70 140 400: median 140 d = 20 w, p92 400 d = 57.14 w. Q5 7 14 21 130 (7 via LSOA
    # E01000001, decile 9): median 14 d = 2 w, p92 130 d = 18.57 w. Unknown: 50 (LSOA not found).
    assert (quintiles["1"]["median_weeks"], quintiles["1"]["p92_weeks"]) == (20.0, 57.14)
    assert (quintiles["5"]["count"], quintiles["5"]["median_weeks"]) == (4, 2.0)
    assert quintiles["unknown"]["count"] == 1
    assert body["deprivation_gap"] == {
        "most_deprived_count": 3,
        "least_deprived_count": 4,
        "median_weeks": 18.0,
        "p92_weeks": 38.57,
        "pct_over_18_weeks_points": 41.67,
        "pct_over_52_weeks_points": 33.33,
    }
    ethnic = _groups(body["by_ethnic_group"])
    # the blank ethnicity was stored as 99 and reads as "not known", never as White.
    assert (ethnic["not_known"]["count"], ethnic["not_known"]["median_days"]) == (1, 21)
    assert (ethnic["white"]["count"], ethnic["white"]["median_days"]) == (4, 50)
    inclusion = _groups(body["by_inclusion_group"])
    assert (inclusion["homeless"]["count"], inclusion["homeless"]["p92_days"]) == (2, 400)
    assert (inclusion["none"]["count"], inclusion["none"]["median_days"]) == (5, 21)
    assert body["method"]["over_18_weeks_days"] == 126


def test_equity_filters_and_parked(uploaded, auth):
    headers = auth("auditor")
    params = {"provider": "RZZ", "priority": "p2"}
    body = uploaded.get(f"{REPORTS}/equity", params=params, headers=headers).json()
    assert body["filters"] == {"specialty": None, "priority": "P2", "stage": None}
    assert (body["entries_measured"], body["overall"]["median_days"]) == (1, 70)
    params = {"provider": "RZZ", "specialty": "130", "stage": "non_admitted"}
    body = uploaded.get(f"{REPORTS}/equity", params=params, headers=headers).json()
    assert (body["entries_measured"], body["overall"]["median_days"]) == (1, 400)
    params = {"provider": "RZZ", "include_parked": "true"}
    body = uploaded.get(f"{REPORTS}/equity", params=params, headers=headers).json()
    # with 1000 (Q1) and 900 (Q5): 10 measured; Q1 70 140 400 1000 -> p92 rank 4 = 1000.
    assert body["entries_measured"] == 10
    assert _groups(body["by_imd_quintile"])["1"]["p92_days"] == 1000


def test_equity_csv(uploaded, auth):
    params = {"provider": "RZZ", "format": "csv"}
    response = uploaded.get(f"{REPORTS}/equity", params=params, headers=auth("scheduler"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    q1 = next(r for r in rows if r["breakdown"] == "imd_quintile" and r["group"] == "1")
    assert (q1["count"], q1["median_days"], q1["p92_weeks"], q1["pct_over_18_weeks"]) == (
        "3",
        "140",
        "57.14",
        "66.67",
    )
    gap = rows[-1]
    assert (gap["breakdown"], gap["median_weeks"], gap["pct_over_52_weeks"]) == (
        "deprivation_gap",
        "18.0",
        "33.33",
    )


def test_bad_parameters_and_unknown_provider(uploaded, auth):
    headers = auth("clinician")
    get = uploaded.get
    assert get(f"{REPORTS}/equity", params={"provider": "R!"}, headers=headers).status_code == 422
    bad_priority = get(
        f"{REPORTS}/equity", params={"provider": "RZZ", "priority": "P9"}, headers=headers
    )
    assert bad_priority.status_code == 422
    assert "unknown priority code" in bad_priority.json()["detail"]
    future = (TODAY + timedelta(days=1)).isoformat()
    params = {"provider": "RZZ", "census_date": future}
    assert get(f"{REPORTS}/equity", params=params, headers=headers).status_code == 422
    params = {"provider": "RZZ", "format": "xml"}
    assert get(f"{REPORTS}/equity", params=params, headers=headers).status_code == 422
    missing = get(f"{REPORTS}/equity", params={"provider": "RXX"}, headers=headers)
    assert missing.status_code == 404
    assert missing.json()["detail"] == "provider RXX has no open PTL entries"
    assert (
        get(f"{REPORTS}/data-quality", params={"provider": "RXX"}, headers=headers).status_code
        == 404
    )
    assert get(f"{REPORTS}/equity", params={"provider": "RZZ"}).status_code == 401


def test_data_quality_by_hand(uploaded, auth):
    response = uploaded.get(
        f"{REPORTS}/data-quality", params={"provider": "RZZ"}, headers=auth("auditor")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["thresholds"] == {"priority_stale_days": 90, "validated_stale_days": 84}
    rows = {row["specialty"]: row for row in body["by_specialty"]}
    # 100 holds 6 RZZ entries (14, 21, 130, 50, 1000, 900): ethnicity blank -> 99 (1/6);
    # LSOA not found (50) 1/6 and no IMD 1/6; LSOA missing 5/6 = 83.33%;
    # priority date missing (21) 1/6; stale: none (14 is exactly 90 days, not over);
    # validated missing (21, 50) 2/6 = 33.33%; stale none (14 is exactly 84).
    s100 = rows["100"]
    assert s100["entries"] == 6
    assert s100["ethnicity_not_known"] == {"count": 1, "pct": 16.67}
    assert s100["ethnicity_not_stated"] == {"count": 0, "pct": 0.0}
    assert s100["imd_unknown"] == {"count": 1, "pct": 16.67}
    assert s100["lsoa_missing"] == {"count": 5, "pct": 83.33}
    assert s100["lsoa_not_in_lookup"] == {"count": 1, "pct": 16.67}
    assert s100["priority_date_missing"] == {"count": 1, "pct": 16.67}
    assert s100["priority_date_stale"] == {"count": 0, "pct": 0.0}
    assert s100["last_validated_missing"] == {"count": 2, "pct": 33.33}
    # 110 (140, 70): priority set 91 days ago and validated 85 days ago -> 1/2 stale each.
    assert rows["110"]["priority_date_stale"] == {"count": 1, "pct": 50.0}
    assert rows["110"]["last_validated_stale"] == {"count": 1, "pct": 50.0}
    # 130 (400 Z, 7 A): ethnicity Z 1/2.
    assert rows["130"]["ethnicity_not_stated"] == {"count": 1, "pct": 50.0}
    assert rows["130"]["ethnicity_incomplete"] == {"count": 1, "pct": 50.0}
    assert body["overall"]["entries"] == 10
    assert body["overall"]["ethnicity_incomplete"] == {"count": 2, "pct": 20.0}
    params = {"provider": "RZZ", "priority_stale_days": 5, "format": "csv"}
    response = uploaded.get(f"{REPORTS}/data-quality", params=params, headers=auth("auditor"))
    rows_csv = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["specialty"] for r in rows_csv] == ["all", "100", "110", "130"]
    # older than 5 days: every present priority date except the 5-day one (entry 7) -> 8 of 10.
    assert (rows_csv[0]["priority_date_stale_count"], rows_csv[0]["priority_date_stale_pct"]) == (
        "8",
        "80.0",
    )


def _snapshot(engine, census):
    with session_scope(engine) as session:
        return record_weekly_snapshot(session, "RZZ", actor="test.cron", census_date=census)


def _stored_weeks_ago(engine, weeks):
    """Date the upload back, as if the entries had been on the PTL for ``weeks`` weeks."""
    with engine.begin() as connection:
        connection.execute(update(PtlEntry).values(created_at=utcnow() - timedelta(weeks=weeks)))


def test_trend_after_two_weekly_snapshots(uploaded, auth, engine):
    # A ranking run after the upload may already have stored this week's snapshot; either way
    # the first one of the week wins and a second attempt stores nothing.
    _stored_weeks_ago(engine, 4)
    _snapshot(engine, TODAY)
    assert _snapshot(engine, TODAY) is None
    assert _snapshot(engine, TODAY - timedelta(days=7)) is not None
    headers = auth("clinician")
    response = uploaded.get(f"{REPORTS}/equity/trend", params={"provider": "RZZ"}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next_cursor"] is None
    weeks = [item["week"] for item in body["items"]]
    year, week, _ = TODAY.isocalendar()
    assert weeks[-1] == f"{year}-W{week:02d}"
    assert len(weeks) == 2
    latest, earlier = body["items"][1], body["items"][0]
    # today: the hand-computed gap; a week earlier every wait is 7 days shorter and the clocks
    # of the 7-day wait had just started (0 days): Q5 0 7 14 123 -> median 7 d = 1 w, so the
    # median gap is (133 / 7 = 19) - 1 = 18 weeks and nobody in Q5 is over 18 weeks.
    assert latest["deprivation_gap"]["median_weeks"] == 18.0
    assert earlier["created_by"] == "test.cron"
    assert earlier["deprivation_gap"]["median_weeks"] == 18.0
    assert earlier["deprivation_gap"]["pct_over_18_weeks_points"] == 66.67
    assert earlier["overall"]["count"] == 8
    page = uploaded.get(
        f"{REPORTS}/equity/trend", params={"provider": "RZZ", "limit": 1}, headers=headers
    ).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = uploaded.get(
        f"{REPORTS}/equity/trend",
        params={"provider": "RZZ", "limit": 1, "cursor": page["next_cursor"]},
        headers=headers,
    ).json()
    assert [item["week"] for item in rest["items"]] == [weeks[1]]
    assert rest["next_cursor"] is None
    params = {"provider": "RZZ", "from": TODAY.isoformat()}
    only = uploaded.get(f"{REPORTS}/equity/trend", params=params, headers=headers).json()
    assert [item["week"] for item in only["items"]] == [weeks[1]]
    params = {"provider": "RZZ", "from": TODAY.isoformat(), "to": "2000-01-01"}
    assert (
        uploaded.get(f"{REPORTS}/equity/trend", params=params, headers=headers).status_code == 422
    )
    chart = uploaded.get(
        f"{REPORTS}/equity/charts/gap-trend.png", params={"provider": "RZZ"}, headers=headers
    )
    assert chart.status_code == 200
    assert chart.content.startswith(b"\x89PNG\r\n\x1a\n")


def test_trend_is_empty_before_any_snapshot(uploaded, auth, engine):
    with engine.begin() as connection:  # drop any snapshot a ranking run stored at upload
        connection.execute(delete(EquitySnapshot))
    headers = auth("admin")
    body = uploaded.get(f"{REPORTS}/equity/trend", params={"provider": "RZZ"}, headers=headers)
    assert body.json() == {"items": [], "next_cursor": None}
    chart = uploaded.get(
        f"{REPORTS}/equity/charts/gap-trend.png", params={"provider": "RZZ"}, headers=headers
    )
    assert chart.status_code == 200 and chart.content.startswith(b"\x89PNG")
    unknown = uploaded.get(f"{REPORTS}/equity/trend", params={"provider": "RXX"}, headers=headers)
    assert unknown.status_code == 404


def test_charts_are_real_images(uploaded, auth):
    headers = auth("clinician")
    params = {"provider": "RZZ"}
    png = uploaded.get(
        f"{REPORTS}/equity/charts/wait-by-quintile.png", params=params, headers=headers
    )
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    svg = uploaded.get(
        f"{REPORTS}/equity/charts/wait-by-quintile.svg", params=params, headers=headers
    )
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content[:1000]
    again = uploaded.get(
        f"{REPORTS}/equity/charts/wait-by-quintile.svg", params=params, headers=headers
    )
    assert again.content == svg.content  # deterministic
    with_parked = uploaded.get(
        f"{REPORTS}/equity/charts/wait-by-quintile.svg",
        params={**params, "include_parked": "true"},
        headers=headers,
    )
    assert with_parked.status_code == 200 and with_parked.content != svg.content
    trend = uploaded.get(f"{REPORTS}/equity/charts/gap-trend.svg", params=params, headers=headers)
    assert trend.status_code == 200 and b"<svg" in trend.content[:1000]
    gif = uploaded.get(
        f"{REPORTS}/equity/charts/wait-by-quintile.gif", params=params, headers=headers
    )
    assert gif.status_code == 422
    missing = uploaded.get(
        f"{REPORTS}/equity/charts/wait-by-quintile.png", params={"provider": "RXX"}, headers=headers
    )
    assert missing.status_code == 404


def test_openapi_documents_the_metrics(client):
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/reports/equity",
        "/api/v1/reports/equity/trend",
        "/api/v1/reports/data-quality",
        "/api/v1/reports/equity/charts/wait-by-quintile.{fmt}",
        "/api/v1/reports/equity/charts/gap-trend.{fmt}",
    ):
        assert path in paths
    group = schema["components"]["schemas"]["WaitGroupOut"]["properties"]
    assert "nearest rank" in group["p92_days"]["description"]
    assert all(prop.get("description") for prop in group.values())


def test_today_is_served_from_the_runs_and_matches_the_live_report(uploaded, auth):
    headers = auth("clinician")
    for params in (
        {},
        {"specialty": "100"},
        {"stage": "admitted", "priority": "p3"},
        {"include_parked": "true"},
    ):
        served = uploaded.get(
            f"{REPORTS}/equity", params={"provider": "RZZ", **params}, headers=headers
        ).json()
        live = uploaded.get(
            f"{REPORTS}/equity",
            params={"provider": "RZZ", "live": "true", **params},
            headers=headers,
        ).json()
        assert (served.pop("source"), live.pop("source")) == ("served", "live")
        assert served == live, params
    past = uploaded.get(
        f"{REPORTS}/equity",
        params={"provider": "RZZ", "census_date": (TODAY - timedelta(days=1)).isoformat()},
        headers=headers,
    ).json()
    assert past["source"] == "live"
