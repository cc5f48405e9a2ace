import csv
import io
import json

from tests.api.ptl_files import demo_csv

ENTRIES = "/api/v1/ptl/entries"


def _records(rows=5, seed=11):
    reader = csv.DictReader(io.StringIO(demo_csv(rows, seed=seed).decode()))
    return [{k: v for k, v in row.items() if v != ""} for row in reader]


def test_json_entries_are_upserted_by_default(client, auth):
    records = _records(5)
    response = client.post(ENTRIES, json={"entries": records}, headers=auth("admin"))
    assert response.status_code == 201, response.text
    batch = response.json()
    assert (batch["source"], batch["mode"], batch["inserted"]) == ("json", "upsert", 5)
    again = client.post(ENTRIES, json={"entries": records[:2]}, headers=auth("admin")).json()
    assert (again["inserted"], again["updated"], again["closed"]) == (0, 2, 0)


def test_json_errors_name_the_position_and_field(client, auth):
    records = _records(3)
    records[1]["nhs_number"] = "9990000010"
    records[2]["priority_code"] = "P9"
    response = client.post(ENTRIES, json={"entries": records}, headers=auth("scheduler"))
    assert response.status_code == 422
    errors = {(e["row"], e["field"]) for e in response.json()["errors"]}
    assert errors == {(2, "nhs_number"), (3, "priority_code")}
    listed = client.get(ENTRIES, headers=auth("scheduler")).json()
    assert listed["items"] == []


def test_list_entries_pages_with_a_cursor(client, auth):
    client.post(
        "/api/v1/ptl/uploads",
        files={"file": ("p.csv", demo_csv(250), "text/csv")},
        headers=auth("scheduler"),
    )
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = client.get(ENTRIES, params=params, headers=auth("scheduler")).json()
        seen += [item["pathway_id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 250


def test_list_entries_filters(client, auth):
    client.post(
        "/api/v1/ptl/uploads",
        files={"file": ("p.csv", demo_csv(200), "text/csv")},
        headers=auth("scheduler"),
    )
    params = {"specialty": "110", "priority": "P3", "limit": 1000}
    items = client.get(ENTRIES, params=params, headers=auth("scheduler")).json()["items"]
    assert items
    assert {(i["treatment_function_code"], i["priority_code"]) for i in items} == {("110", "P3")}


def test_nhs_numbers_are_masked_for_roles_that_do_not_book(client, auth):
    client.post(ENTRIES, json={"entries": _records(2)}, headers=auth("scheduler"))
    full = client.get(ENTRIES, headers=auth("scheduler")).json()["items"][0]["nhs_number"]
    masked = client.get(ENTRIES, headers=auth("clinician")).json()["items"][0]["nhs_number"]
    assert full.isdigit() and len(full) == 10
    assert masked == full[:3] + "*****" + full[-2:]


def test_bad_cursor_is_400(client, auth):
    response = client.get(ENTRIES, params={"cursor": "%%%"}, headers=auth("scheduler"))
    assert response.status_code == 400


def test_wlmds_named_file_loads_without_mapping(client, auth):
    wlmds = {
        "pathway_id": "PATIENT_PATHWAY_IDENTIFIER",
        "nhs_number": "NHS_NUMBER",
        "provider_code": "ORGANISATION_IDENTIFIER_CODE_OF_PROVIDER",
        "treatment_function_code": "ACTIVITY_TREATMENT_FUNCTION_CODE",
        "pathway_stage": "Waiting_List_Type",
        "priority_code": "Procedure_Priority_Code",
        "rtt_clock_start": "REFERRAL_TO_TREATMENT_PERIOD_START_DATE",
        "lsoa_code": "derLSOA2021",
    }
    rows = list(csv.DictReader(io.StringIO(demo_csv(20).decode())))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(wlmds.values()))
    for row in rows:
        stage = "IRTT" if row["pathway_stage"] == "admitted" else "ORTT"
        writer.writerow([stage if k == "pathway_stage" else row[k] for k in wlmds])
    response = client.post(
        "/api/v1/ptl/uploads",
        files={"file": ("wlmds.csv", out.getvalue().encode(), "text/csv")},
        headers=auth("scheduler"),
    )
    assert response.status_code == 201, response.text
    assert response.json()["inserted"] == 20
    stages = {
        i["pathway_stage"] for i in client.get(ENTRIES, headers=auth("scheduler")).json()["items"]
    }
    assert stages <= {"admitted", "non_admitted"}


FULL = "9990000018"


def _push(client, auth, body, role="scheduler"):
    return client.post(ENTRIES, json=body, headers=auth(role))


def test_roles_that_do_not_upload_may_not_push(client, auth):
    for role in ("clinician", "auditor"):
        response = _push(client, auth, {"entries": _records(1)}, role=role)
        assert response.status_code == 403
    assert client.get(ENTRIES, headers=auth("scheduler")).json()["items"] == []


def test_a_numeric_nhs_number_is_a_row_error_and_never_echoed(client, auth):
    records = _records(2)
    records[1]["nhs_number"] = int(FULL)
    response = _push(client, auth, {"entries": records})
    assert response.status_code == 422
    body = response.json()
    assert body["errors"] == [
        {
            "row": 2,
            "field": "nhs_number",
            "value": "999*****18",
            "message": "NHS number must be sent as a JSON string (a number loses leading zeros)",
        }
    ]
    assert body["error_count"] == 1 and "nothing was written" in body["detail"]
    assert FULL not in response.text
    assert client.get(ENTRIES, headers=auth("scheduler")).json()["items"] == []


def test_malformed_nhs_numbers_are_masked_whatever_their_shape(client, auth):
    records = _records(4)
    records[0]["nhs_number"] = [FULL]
    records[1]["nhs_number"] = {"value": FULL}
    records[2]["nhs_number"] = "999000001X"
    del records[3]["nhs_number"]
    records[3]["NHS_NUMBER"] = int(FULL)
    shape = _push(client, auth, {"entries": records[:2]})
    assert shape.status_code == 422
    assert [(e["row"], e["field"], e["value"]) for e in shape.json()["errors"]] == [
        (1, "nhs_number", ""),
        (2, "nhs_number", ""),
    ]
    checked = _push(client, auth, {"entries": records[2:]})
    assert checked.status_code == 422
    assert [(e["row"], e["field"], e["value"]) for e in checked.json()["errors"]] == [
        (1, "nhs_number", "999*****1X"),
        (2, "nhs_number", "999*****18"),
    ]
    assert FULL not in shape.text + checked.text


def test_request_level_problems_are_row_0(client, auth):
    response = _push(client, auth, {"mode": "delete", "entries": "none"})
    assert response.status_code == 422
    assert {(e["row"], e["field"]) for e in response.json()["errors"]} == {
        (0, "mode"),
        (0, "entries"),
    }
    broken = client.post(
        ENTRIES,
        content=b'{"entries": [',
        headers={**auth("scheduler"), "Content-Type": "application/json"},
    )
    assert broken.status_code == 422
    [error] = broken.json()["errors"]
    assert (error["row"], error["field"]) == (0, None)
    assert "not valid JSON" in error["message"]
    upload = client.post("/api/v1/ptl/uploads", params={"mode": "merge"}, headers=auth("scheduler"))
    assert {(e["row"], e["field"]) for e in upload.json()["errors"]} == {(0, "file"), (0, "mode")}


def test_other_routes_list_their_422_problems_with_nhs_numbers_masked():
    from fastapi.exceptions import RequestValidationError
    from starlette.requests import Request

    from api.errors import handle_error

    error = RequestValidationError(
        [
            {
                "type": "string_type",
                "loc": ("body", "nhs_number"),
                "msg": "bad",
                "input": 9990000018,
            },
            {
                "type": "x",
                "loc": ("body",),
                "msg": "bad",
                "input": {"patient": {"NHS_Number": FULL}},
            },
            {"type": "int_parsing", "loc": ("query", "limit"), "msg": "bad", "input": "ten"},
        ]
    )
    scope = {"type": "http", "headers": [], "path": "/api/v1/x", "query_string": b""}
    response = handle_error(Request(scope), error)
    assert response.status_code == 422
    assert response.media_type == "application/problem+json"
    text = response.body.decode()
    assert FULL not in text
    body = json.loads(text)
    assert body["type"] == "urn:equiwait:problem:validation-failed"
    assert body["instance"] == "/api/v1/x" and body["status"] == 422
    assert [(e["path"], e["value"]) for e in body["errors"]] == [
        ("body.nhs_number", "999*****18"),
        ("body", None),
        ("query.limit", "ten"),
    ]


def test_wlmds_file_with_both_lsoa_columns_reads_the_one_of_the_imd_edition(client, auth):
    rows = list(csv.DictReader(io.StringIO(demo_csv(10).decode())))
    out = io.StringIO()
    writer = csv.writer(out)
    names = [name for name in rows[0] if name != "lsoa_code"]
    writer.writerow([*names, "derLSOA2021", "derLSOA"])
    for row in rows:
        writer.writerow([*(row[name] for name in names), "E01035624", row["lsoa_code"]])
    response = client.post(
        "/api/v1/ptl/uploads",
        files={"file": ("wlmds.csv", out.getvalue().encode(), "text/csv")},
        headers=auth("scheduler"),
    )
    assert response.status_code == 201, response.text
    codes = {w["code"]: w for w in response.json()["warnings"]}
    assert "derLSOA2021 (2021 LSOAs) ignored" in codes["lsoa_column_ignored"]["message"]
    assert "lsoa_vintage_mismatch" not in codes
    items = client.get(ENTRIES, headers=auth("scheduler")).json()["items"]
    by_pathway = {row["pathway_id"]: row["lsoa_code"] or "" for row in rows}
    assert {i["pathway_id"]: i["lsoa_code"] or "" for i in items} == by_pathway
