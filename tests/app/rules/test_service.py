import pytest
from sqlalchemy import select

from app.database import session_scope
from app.rules import service
from app.rules.errors import InvalidRequest, NotADraft, StaleVersion
from models import AuditEvent, RuleSetVersion


def _create(engine, **kwargs):
    with session_scope(engine) as session:
        row = service.create_draft(session, "110", "dr.a", **kwargs)
        return row.id, row.document


def test_an_edit_based_on_a_stale_read_loses_even_after_passing_the_first_check(engine):
    draft_id, document = _create(engine)
    edited = {**document, "title": "edited by B"}
    with session_scope(engine) as slow:
        assert slow.get(RuleSetVersion, draft_id).lock_version == 1  # B read version 1
        with session_scope(engine) as fast:  # A edits and commits meanwhile
            service.update_draft(
                fast, "110", draft_id, {**document, "title": "A"}, expected_lock=1, actor="dr.a"
            )
        with pytest.raises(StaleVersion, match="now 2"):
            service.update_draft(slow, "110", draft_id, edited, expected_lock=1, actor="dr.b")
    with session_scope(engine) as session:
        row = session.get(RuleSetVersion, draft_id)
        assert (row.lock_version, row.document["title"]) == (2, "A")


def test_published_versions_refuse_every_change(engine):
    draft_id, document = _create(engine)
    with session_scope(engine) as session:
        service.publish_draft(session, "110", draft_id, actor="dr.a", reason="first")
    with session_scope(engine) as session:
        with pytest.raises(NotADraft):
            service.update_draft(session, "110", draft_id, document, expected_lock=1, actor="x")
        with pytest.raises(NotADraft):
            service.discard_draft(session, "110", draft_id, actor="x", expected_lock=None)
        with pytest.raises(NotADraft):
            service.publish_draft(session, "110", draft_id, actor="x", reason="again")


def test_discard_keeps_the_row_frozen_and_audits_it(engine):
    draft_id, _ = _create(engine)
    with session_scope(engine) as session:
        service.discard_draft(session, "110", draft_id, actor="dr.c", expected_lock=1)
    with session_scope(engine) as session:
        assert session.get(RuleSetVersion, draft_id).status == "discarded"
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert [(e.kind, e.actor, e.details.get("action")) for e in events][-2:] == [
            ("rules.draft_created", "dr.a", None),
            ("rules.draft_updated", "dr.c", "discarded"),
        ]
        assert events[-1].subject_type == "rule_set_version"
        assert events[-1].subject_id == str(draft_id)


def test_a_draft_starts_from_one_source_only(engine):
    with session_scope(engine) as session, pytest.raises(InvalidRequest):
        service.create_draft(session, "110", "dr.a", from_version=1, document={})
