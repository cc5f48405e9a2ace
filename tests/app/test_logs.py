"""Every log line is JSON with the request id it was written for, uvicorn's access log
included, and no NHS number, name or date of birth of a patient ever reaches one."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date, datetime

import httpx
import pytest
import uvicorn

from app.logs import json_formatter
from app.main import create_app
from app.settings import Settings
from tests.api.ptl_files import bad_csv, demo_csv

PATIENT_NAME = "Alicia Synthetic-Fairweather"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(settings: Settings) -> Iterator[tuple[str, io.StringIO]]:
    """The app behind a real uvicorn server, every log line of the process captured."""
    level = logging.getLogger().level
    app = create_app(settings.model_copy(update={"log_level": "DEBUG"}))
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(json_formatter())
    root = logging.getLogger()
    root.addHandler(handler)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, server_header=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", captured
    finally:
        server.should_exit = True
        thread.join(30)
        root.removeHandler(handler)
        root.setLevel(level)


def _identifiers(content: bytes) -> set[str]:
    """Every NHS number and date of birth of a synthetic PTL, as written and as dates."""
    found: set[str] = set()
    for row in csv.DictReader(io.StringIO(content.decode())):
        if row["nhs_number"]:
            found.add(row["nhs_number"])
        birth = row["date_of_birth"]
        if birth and birth != date.today().isoformat():
            found.add(birth)
            with contextlib.suppress(ValueError):
                found.add(datetime.strptime(birth, "%Y-%m-%d").strftime("%d/%m/%Y"))
    return found


def test_logs_are_json_with_request_ids_and_carry_no_patient_identifiers(served, auth):
    base, captured = served
    good = demo_csv(200, seed=11)
    bad, _ = bad_csv()
    secrets_of_patients = _identifiers(good) | _identifiers(bad) | {PATIENT_NAME}
    first = next(csv.DictReader(io.StringIO(good.decode())))
    scheduler, auditor = auth("scheduler"), auth("auditor")
    request_ids: set[str] = set()
    with httpx.Client(base_url=base, timeout=60) as http:

        def call(method: str, url: str, **kwargs: object) -> httpx.Response:
            response = http.request(method, url, **kwargs)  # type: ignore[arg-type]
            request_ids.add(response.headers["x-request-id"])
            return response

        upload = call(
            "POST",
            "/api/v1/ptl/uploads",
            files={"file": ("ptl.csv", good, "text/csv")},
            headers=scheduler,
        )
        assert upload.status_code == 201, upload.text
        rejected = call(
            "POST",
            "/api/v1/ptl/uploads",
            files={"file": ("bad.csv", bad, "text/csv")},
            headers=scheduler,
        )
        assert rejected.status_code == 422
        pushed = call(
            "POST",
            "/api/v1/ptl/entries",
            json={"entries": [{**first, "nhs_number": "99962509", "patient_name": PATIENT_NAME}]},
            headers=scheduler,
        )
        assert pushed.status_code == 422
        entries = call("GET", "/api/v1/ptl/entries", params={"limit": 50}, headers=scheduler)
        assert entries.status_code == 200
        assert first["nhs_number"] in entries.text  # the answer has them, the log must not
        ranked = call(
            "GET",
            "/api/v1/ptl/ranked",
            params={"format": "csv", "search": first["pathway_id"]},
            headers=scheduler,
        )
        assert ranked.status_code in (200, 404)
        why = call(
            "GET",
            f"/api/v1/ptl/entries/{first['pathway_id']}/rationale",
            params={"provider": "RZZ"},
            headers=auditor,
        )
        assert why.status_code in (200, 404)
        assert call("GET", "/api/v1/ptl/entries").status_code == 401
        assert call("GET", "/api/v1/ptl/uploads/999999", headers=scheduler).status_code == 404
        given = "6f0c4a3e-2f57-4c1b-9d7e-0a6b8c1d2e3f"
        echoed = http.get("/healthz", headers={"X-Request-ID": given})
        assert echoed.headers["x-request-id"] == given
        request_ids.add(given)
    time.sleep(0.5)  # the last access lines are written after the answer

    lines = [line for line in captured.getvalue().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert records
    for record in records:
        assert {"timestamp", "level", "logger", "event", "request_id"} <= set(record)
    access = [r for r in records if r["logger"] == "uvicorn.access"]
    assert len(access) >= 9
    assert all(r["request_id"] in request_ids for r in access)
    assert {r["request_id"] for r in access} == request_ids
    assert not any("?" in r["event"] for r in access)  # no query strings
    text = captured.getvalue()
    leaked = sorted(value for value in secrets_of_patients if value in text)
    assert leaked == []
