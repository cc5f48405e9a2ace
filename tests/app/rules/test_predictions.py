"""Which predicted gap a publication adopts: per provider, the unedited draft's calibration,
else the latest preview of the edit published; nothing from an earlier edit."""

from __future__ import annotations

from datetime import date

from app.database import session_scope
from app.rules import service
from app.rules.predictions import published_predictions, store_prediction
from models import GapPrediction, RuleSetCalibration
from prioritisation.treated_gaps import ALL_BANDS, GapSums

CELLS = {("110", ALL_BANDS, 0): GapSums(1, 70, 4900, 1, 7, 49)}


def _store(session, draft, provider="RZZ", calibration_id=None):
    return store_prediction(
        session, draft, CELLS, provider_code=provider, census_date=date(2026, 11, 23),
        weeks=26, actor="dr.a", calibration_id=calibration_id,
    ).id  # fmt: skip


def _calibration(session) -> int:
    row = RuleSetCalibration(
        specialty="110", provider_code="RZZ", status="chosen", inputs={}, requested_by="dr.a"
    )
    session.add(row)
    session.flush()
    return row.id


def _publish(session, draft_id):
    return service.publish_draft(session, "110", draft_id, actor="dr.a", reason="review")


def test_the_calibration_of_the_unedited_draft_then_the_latest_preview_per_provider(engine):
    with session_scope(engine) as session:
        draft = service.create_draft(session, "110", "dr.a")
        calibrated = _store(session, draft, calibration_id=_calibration(session))
        _store(session, draft)  # a later preview of the same edit
        first_ryy = _store(session, draft, provider="RYY")
        latest_ryy = _store(session, draft, provider="RYY")
        _publish(session, draft.id)
    with session_scope(engine) as session:
        adopted = {p.id for p in session.query(GapPrediction) if p.published_at is not None}
        assert adopted == {calibrated, latest_ryy} and first_ryy not in adopted
        [(prediction, version)] = published_predictions(session, "RZZ")
        assert (prediction.id, version.id, version.status) == (calibrated, draft.id, "published")


def test_an_edit_after_the_prediction_leaves_the_publication_without_it(engine):
    with session_scope(engine) as session:
        draft = service.create_draft(session, "110", "dr.a")
        _store(session, draft, calibration_id=_calibration(session))
        document = {**draft.document, "title": "edited after calibration"}
        service.update_draft(session, "110", draft.id, document, expected_lock=1, actor="dr.a")
        edited = _store(session, draft)  # the preview of edit 2
        _publish(session, draft.id)
    with session_scope(engine) as session:
        [(prediction, _)] = published_predictions(session, "RZZ")
        assert (prediction.id, prediction.source, prediction.lock_version) == (edited, "preview", 2)
