from datetime import UTC, datetime

import pytest

from app.database import session_scope
from app.rules.errors import RuleDocumentInvalid
from app.rules.validation import parse_document, validate_document
from tests.app.rules.factories import add_published, default_document, specialty_document

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def _problems(document, specialty="110"):
    with pytest.raises(RuleDocumentInvalid) as caught:
        parse_document(document, specialty)
    return {(p.path, p.message) for p in caught.value.problems}


def test_cross_field_messages_keep_their_own_semicolons():
    document = specialty_document("110")
    document["deprivation"]["decile_uplift_days"]["2"] = 30.0
    document["deprivation"]["unknown_uplift_days"] = 1.0
    assert _problems(document) == {
        (
            "deprivation.decile_uplift_days.2",
            "30.0 is more than decile 1's 21.0; a more deprived decile must never earn less",
        ),
        ("deprivation.unknown_uplift_days", "must be 0, missing data is neutral"),
    }


def test_field_errors_carry_the_full_path():
    document = specialty_document("110")
    document["clinical_priority"]["ranked"][2]["uplift_scale"] = 0.12345
    document["surprise"] = 1
    problems = dict(_problems(document))
    assert problems["clinical_priority.ranked.2.uplift_scale"].endswith(
        "use at most 4 decimal places"
    )
    assert "surprise" in problems


def test_default_must_declare_bounds_and_vocabulary(engine):
    with session_scope(engine) as session, pytest.raises(RuleDocumentInvalid) as caught:
        validate_document(session, "default", default_document(bounds=None), NOW)
    assert [p.path for p in caught.value.problems] == ["bounds"]


def test_specialty_is_checked_against_every_default_that_will_apply(engine):
    later = datetime(2026, 12, 1, tzinfo=UTC)
    tighter = default_document(version="tight")
    tighter["bounds"] = {**tighter["bounds"], "uplift_max_multiplier": 1.0}
    with session_scope(engine) as session:
        add_published(session, "default", tighter, effective_from=later, published_at=NOW)
        ok_now = specialty_document("110", decile_1=31.5)
        with pytest.raises(RuleDocumentInvalid) as caught:
            validate_document(session, "110", ok_now, NOW)
        [problem] = caught.value.problems
        assert problem.path == "deprivation.decile_uplift_days.1"
        assert problem.message.endswith("(bounds of default version 1)")
        assert (
            validate_document(session, "110", specialty_document("110"), NOW).rule_set_id == "110"
        )


def _default_problems(engine, document):
    with session_scope(engine) as session, pytest.raises(RuleDocumentInvalid) as caught:
        validate_document(session, "default", document, NOW)
    return {p.path: p.message for p in caught.value.problems}


def test_a_default_cannot_widen_the_shipped_bounds(engine):
    document = default_document(version="wide")
    document["deprivation"]["decile_uplift_days"]["1"] = 3650.0
    document["clinical_priority"]["ranked"][4]["cap_days"] = 3650.0
    document["bounds"] = {**document["bounds"], "uplift_max_multiplier": 2.5}
    problems = _default_problems(engine, document)
    assert set(problems) == {
        "deprivation.decile_uplift_days.1",
        "clinical_priority.ranked.4.cap_days",
        "bounds.uplift_max_multiplier",
    }
    assert problems["deprivation.decile_uplift_days.1"] == (
        "3650.0 days exceeds the bound of 42.0 (2.0 × default 21.0) (bounds of the shipped default)"
    )
    assert problems["clinical_priority.ranked.4.cap_days"].startswith(
        "3650.0 exceeds the bound of 62.0"
    )
    only_cap = default_document(version="cap")
    only_cap["clinical_priority"]["ranked"][4]["cap_days"] = 3650.0
    assert set(_default_problems(engine, only_cap)) == {"clinical_priority.ranked.4.cap_days"}


def test_a_tighter_default_is_accepted(engine):
    document = default_document(version="tight")
    document["deprivation"]["decile_uplift_days"]["1"] = 14.0
    with session_scope(engine) as session:
        assert validate_document(session, "default", document, NOW).version == "tight"


def test_a_specialty_is_held_to_the_shipped_bounds_under_a_raised_default(engine):
    raised = default_document(version="raised")
    raised["deprivation"]["decile_uplift_days"]["1"] = 31.5
    with session_scope(engine) as session:
        add_published(session, "default", raised, effective_from=NOW, published_at=NOW)
        assert validate_document(session, "110", specialty_document("110", decile_1=31.5), NOW)
        with pytest.raises(RuleDocumentInvalid) as caught:
            validate_document(session, "110", specialty_document("110", decile_1=47.25), NOW)
    [problem] = caught.value.problems
    assert problem.path == "deprivation.decile_uplift_days.1"
    assert problem.message.endswith("(bounds of the shipped default)")
