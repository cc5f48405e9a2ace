"""Clinicians' overrides: validated, audited, applied from the next run until they end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from app.audit import AuditKind
from app.database import session_scope
from app.rankings import Conflict, Invalid, NotFound, create_override, revoke_override, run_ranking
from models import AuditEvent, PtlEntry, RankingResult
from tests.api.ptl_files import CENSUS, demo_csv
from tests.app.rankings.helpers import by_list, results, runs, upload

NOW = datetime.now(UTC)


def _rerun(engine, now=None):
    with session_scope(engine) as session:
        run = run_ranking(
            session,
            "RZZ",
            actor="dr.who",
            trigger="manual",
            census_date=CENSUS if now is None else now.date(),
            imd_edition="iod2019",
            now=now,
        )
        return run.id


def _row(engine, run_id, pathway_id) -> RankingResult:
    return next(r for r in results(engine, run_id) if r.pathway_id == pathway_id)


def _band(rows, row):
    """Rank order of the entries sharing ``row``'s list and priority code."""
    return [r.pathway_id for r in rows if r.priority_code == row.priority_code]


def _pick(engine, *, protected: bool):
    """An unprotected (or protected) ranked entry in the middle of a band of 3 or more."""
    rows = results(engine, runs(engine)[-1].id)
    for ranked in by_list(rows).values():
        for row in ranked:
            band = _band(ranked, row)
            if row.protected == protected and len(band) >= 3 and band[1] == row.pathway_id:
                return row
    raise AssertionError("no suitable entry in the demo list")


def _override(engine, pathway_id, kind, **kwargs):
    values = {"reason": "clinical review", "expires_at": NOW + timedelta(days=30), **kwargs}
    with session_scope(engine) as session:
        return create_override(session, "RZZ", pathway_id, kind=kind, actor="dr.who", **values).id


@pytest.fixture
def ranked(client, auth, engine):
    upload(client, auth, demo_csv(500, seed=21))
    return engine


def test_pin_ahead_moves_to_the_top_of_its_band_at_the_next_run(ranked):
    target = _pick(ranked, protected=False)
    override_id = _override(ranked, target.pathway_id, "pin_ahead")
    before = _row(ranked, runs(ranked)[-1].id, target.pathway_id)
    assert before.override_id is None
    run_id = _rerun(ranked)
    row = _row(ranked, run_id, target.pathway_id)
    ranked_list = by_list(results(ranked, run_id))[(row.treatment_function_code, row.pathway_stage)]
    assert _band(ranked_list, row)[0] == row.pathway_id
    assert (row.override_id, row.override_kind, row.override_status) == (
        override_id,
        "pin_ahead",
        "applied",
    )
    assert row.rank < before.rank


def test_hold_back_moves_to_the_bottom_unless_protected(ranked):
    target = _pick(ranked, protected=False)
    guarded = _pick(ranked, protected=True)
    _override(ranked, target.pathway_id, "hold_back")
    _override(ranked, guarded.pathway_id, "hold_back")
    run_id = _rerun(ranked)
    rows = results(ranked, run_id)
    row = _row(ranked, run_id, target.pathway_id)
    ranked_list = by_list(rows)[(row.treatment_function_code, row.pathway_stage)]
    assert _band(ranked_list, row)[-1] == row.pathway_id
    kept = _row(ranked, run_id, guarded.pathway_id)
    assert kept.override_status == "ignored_protected"
    assert kept.rank == guarded.rank


def test_adjust_uplift_adds_days_outside_the_cap(ranked):
    target = _pick(ranked, protected=False)
    _override(ranked, target.pathway_id, "adjust_uplift", days=30.5)
    row = _row(ranked, _rerun(ranked), target.pathway_id)
    assert row.override == 30.5
    assert row.score == pytest.approx(target.score + 30.5)
    assert row.rank <= target.rank


def test_expired_and_revoked_overrides_stop_applying(ranked):
    first, second = (_pick(ranked, protected=False), _pick(ranked, protected=True))
    expiring = _override(ranked, first.pathway_id, "pin_ahead", expires_at=NOW + timedelta(hours=1))
    revoked = _override(ranked, second.pathway_id, "adjust_uplift", days=-5)
    assert _row(ranked, _rerun(ranked), first.pathway_id).override_id == expiring
    with session_scope(ranked) as session:
        revoke_override(session, revoked, actor="dr.no", reason="reviewed in clinic")
    later = _rerun(ranked, now=NOW + timedelta(hours=2))
    assert _row(ranked, later, first.pathway_id).override_id is None
    assert _row(ranked, later, second.pathway_id).override_id is None
    with session_scope(ranked) as session, pytest.raises(Conflict, match="already revoked"):
        revoke_override(session, revoked, actor="dr.no", reason="again")


def test_overrides_are_validated(ranked):
    pathway = _pick(ranked, protected=False).pathway_id
    cases = [
        ({"kind": "pin_ahead", "reason": "  "}, Invalid, "reason is required"),
        ({"kind": "pin_ahead", "expires_at": NOW - timedelta(minutes=1)}, Invalid, "future"),
        ({"kind": "hold_back", "days": 3}, Invalid, "adjust_uplift only"),
        ({"kind": "adjust_uplift"}, Invalid, "needs days"),
        ({"kind": "adjust_uplift", "days": 5000}, Invalid, "within"),
        ({"kind": "adjust_uplift", "days": 1.005}, Invalid, "at most 2 decimal places"),
        ({"kind": "jump_queue"}, Invalid, "kind must be"),
    ]
    for changes, error, message in cases:
        kind = changes.pop("kind")
        with pytest.raises(error, match=message):
            _override(ranked, pathway, kind, **changes)
    with pytest.raises(NotFound):
        _override(ranked, "RZZ-NO-SUCH", "pin_ahead")
    _override(ranked, pathway, "pin_ahead")
    with pytest.raises(Conflict, match="already has active override"):
        _override(ranked, pathway, "hold_back")
    with session_scope(ranked) as session:
        session.execute(
            update(PtlEntry).where(PtlEntry.pathway_id == pathway).values(is_open=False)
        )
    with pytest.raises(Invalid, match="closed"):
        _override(ranked, pathway, "hold_back")
    with session_scope(ranked) as session, pytest.raises(Invalid, match="reason is required"):
        revoke_override(session, 1, actor="dr.no", reason="")


def test_creation_and_revocation_are_audited(ranked):
    pathway = _pick(ranked, protected=False).pathway_id
    override_id = _override(ranked, pathway, "adjust_uplift", days=7)
    with session_scope(ranked) as session:
        revoke_override(session, override_id, actor="dr.no", reason="no longer needed")
    with session_scope(ranked) as session:
        events = list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.kind.in_(["override.created", "override.revoked"]))
                .order_by(AuditEvent.id)
            )
        )
    assert [e.kind for e in events] == [AuditKind.OVERRIDE_CREATED, AuditKind.OVERRIDE_REVOKED]
    assert {(e.pathway_id, e.provider_code) for e in events} == {(pathway, "RZZ")}
    assert events[0].actor == "dr.who" and events[1].actor == "dr.no"
    assert events[0].details["reason"] == "clinical review" and events[0].details["days"] == 7
    assert events[1].details["reason"] == "no longer needed"
