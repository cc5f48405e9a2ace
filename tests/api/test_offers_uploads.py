"""Offers upload: all or nothing with row-level errors, idempotency, corrections and audit."""

import io

from sqlalchemy import func, select

from app.database import session_scope
from app.demo import generate_ptl
from app.demo.offers import generate_offers, write_offers_csv
from models import AuditEvent, Offer, OfferBatch
from tests.api.ptl_files import CENSUS

UPLOADS = "/api/v1/offers/uploads"
HEADER = (
    "pathway_id,provider_code,nhs_number,offer_date,appointment_date,attendance,outcome_reason\n"
)


def _history(rows: int = 200) -> tuple[bytes, dict]:
    offers = generate_offers(generate_ptl(rows, seed=5, census_date=CENSUS), census_date=CENSUS)
    buffer = io.StringIO()
    write_offers_csv(buffer, offers)
    return buffer.getvalue().encode(), offers


def _upload(client, auth, content, *, key=None, role="scheduler"):
    headers = auth(role)
    if key:
        headers["Idempotency-Key"] = key
    return client.post(
        UPLOADS, files={"file": ("offers.csv", content, "text/csv")}, headers=headers
    )


def _stored(engine):
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(Offer))


def _audit(engine, kind):
    with session_scope(engine) as session:
        return session.scalars(select(AuditEvent).where(AuditEvent.kind == kind)).all()


def test_upload_stores_every_offer_and_marks_failures(client, auth, engine):
    content, offers = _history()
    response = _upload(client, auth, content)
    assert response.status_code == 201, response.text
    batch = response.json()
    assert batch["outcome"] == "succeeded"
    assert batch["rows_received"] == batch["inserted"] == len(offers["failed"])
    assert batch["updated"] == 0 and batch["provider_codes"] == ["RZZ"]
    assert response.headers["Location"] == f"{UPLOADS}/{batch['id']}"
    with session_scope(engine) as session:
        failed = session.scalar(select(func.count()).where(Offer.failed.is_(True)))
        codes = set(session.scalars(select(Offer.attendance).where(Offer.failed.is_(True))))
    assert failed == int(offers["failed"].sum())
    assert codes <= {2, 3, 7}
    [event] = _audit(engine, "offers.upload")
    assert event.subject_id == str(batch["id"]) or event.subject_id == batch["id"]
    assert event.details["failed_offers"] == failed
    again = client.get(f"{UPLOADS}/{batch['id']}", headers=auth("auditor"))
    assert again.status_code == 200 and again.json()["inserted"] == batch["inserted"]


def test_bad_file_lists_each_row_and_field_and_writes_nothing(client, auth, engine):
    content = (
        HEADER
        + "P1,RZZ,9990000026,2026-01-05,2026-02-01,3,\n"
        + "P2,RZZ,9990000027,2026-02-05,2026-01-01,9,bogus\n"
        + "P3,RZZ,9990000026,05/13/2026,2026-02-01,5,\n"
        + "P1,RZZ,9990000026,2026-01-05,2026-02-01,5,\n"
        + "P4,RZZ,9990000026,2026-01-05\n"
    ).encode()
    response = _upload(client, auth, content)
    assert response.status_code == 422, response.text
    problem = response.json()
    found = {(error["row"], error["field"]) for error in problem["errors"]}
    assert found == {
        (3, "appointment_date"),
        (3, "attendance"),
        (3, "nhs_number"),
        (3, "outcome_reason"),
        (4, "offer_date"),
        (5, "pathway_id"),
        (6, None),
    }
    masked = next(e for e in problem["errors"] if e["field"] == "nhs_number")
    assert "9990000027" not in response.text and masked["value"].count("*") >= 5
    assert problem["error_count"] == 7
    assert _stored(engine) == 0
    with session_scope(engine) as session:
        [batch] = session.scalars(select(OfferBatch)).all()
    assert batch.outcome == "rejected" and batch.error_count == 7
    assert len(_audit(engine, "offers.upload_rejected")) == 1


def test_missing_column_and_future_dates_are_rejected(client, auth, engine):
    missing = (
        b"pathway_id,provider_code,nhs_number,offer_date,appointment_date\n"
        b"P1,RZZ,9990000026,2026-01-05,2026-02-01\n"
    )
    response = _upload(client, auth, missing)
    assert response.status_code == 422
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [(1, "attendance")]
    future = (HEADER + "P1,RZZ,9990000026,2026-01-05,2999-02-01,5,\n").encode()
    response = _upload(client, auth, future)
    assert response.status_code == 422
    assert "after today" in response.json()["errors"][0]["message"]
    assert _stored(engine) == 0


def test_replay_and_conflict_and_correction(client, auth, engine):
    content, offers = _history(60)
    first = _upload(client, auth, content, key="k1")
    assert first.status_code == 201
    replay = _upload(client, auth, content, key="k1")
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"]
    conflict = _upload(client, auth, content + b"\n", key="k1")
    assert conflict.status_code == 409
    assert _stored(engine) == len(offers["failed"])
    # The same offers again with a corrected attendance: updated, not duplicated.
    lines = content.decode().splitlines()
    header, row = lines[0], lines[1].rsplit(",", 1)[0]
    corrected = f"{header}\n{row},4\n".encode()
    response = _upload(client, auth, corrected)
    assert response.status_code == 201, response.text
    assert (response.json()["inserted"], response.json()["updated"]) == (0, 1)
    assert _stored(engine) == len(offers["failed"])
    with session_scope(engine) as session:
        [changed] = session.scalars(
            select(Offer).where(Offer.batch_id == response.json()["id"])
        ).all()
    assert changed.attendance == 4 and changed.failed is False


def test_unfit_at_preop_counts_as_a_failed_offer(client, auth, engine):
    content = (HEADER + "P1,RZZ,9990000026,2026-01-05,2026-02-01,5,Unfit_At_PreOp\n").encode()
    response = _upload(client, auth, content)
    assert response.status_code == 201, response.text
    with session_scope(engine) as session:
        offer = session.scalars(select(Offer)).one()
    assert offer.failed is True and offer.outcome_reason == "unfit_at_preop"


def test_only_schedulers_and_admins_upload(client, auth, engine):
    content, _ = _history(20)
    for role in ("clinician", "auditor", "equity_lead"):
        assert _upload(client, auth, content, role=role).status_code == 403
    assert _upload(client, auth, content, role="admin").status_code == 201
