"""Rules in plain words and the data-quality pathways behind the counts."""

from __future__ import annotations

from datetime import date

import pytest

from app.database import session_scope
from app.reports import build_quality_report
from app.reports.fixes import FIXABLE, pathways_to_fix
from prioritisation import load_default_rules
from tests.web.conftest import demo_data
from web.plain import describe


def _lines(rule_set) -> dict[str, list[str]]:
    return {section.title: section.lines for section in describe(rule_set)}


def test_the_shipped_rules_read_as_sentences():
    lines = _lines(load_default_rules().default)
    assert lines["Deprivation"][0] == (
        "people living in the 10% most deprived areas: +21 days at routine priority (P4), "
        "capped at 31 days (at P2 +4.7 days, capped at 7 days; at P3 +14.2 days, capped at 21 days)"
    )
    assert lines["Deprivation"][1].startswith(
        "people living in areas 10–20% most deprived: +14 days"
    )
    assert "P1a: target 1 day; never reordered for equity." in lines["Clinical priority"]
    assert lines["Ethnicity"][0].startswith("Ethnicity is not used")
    assert any("52, 65, 78, 104 weeks" in line for line in lines["Long waits"])


def test_switched_on_factors_name_their_governance():
    default = load_default_rules().default
    ethnicity = default.ethnicity.model_copy(
        update={
            "enabled": True,
            "group_uplift_days": {"black": 7.0},
            "approved_by": "Dr X",
            "evidence_reference": "Trust audit 2026",
            "review_date": date(2027, 6, 1),
        }
    )
    lines = _lines(default.model_copy(update={"ethnicity": ethnicity}))["Ethnicity"]
    assert lines[0].startswith("people in the black group: +7 days at routine priority (P4)")
    assert "Approved by Dr X on the evidence of Trust audit 2026; review by 2027-06-01" in lines[-1]


@pytest.mark.db
def test_the_pathways_to_fix_are_those_the_counts_count(engine, tmp_path):
    demo_data(engine, tmp_path, rows=600)
    census = date.today()
    with session_scope(engine) as session:
        report = build_quality_report(session, "RZZ", census)
        for problem in FIXABLE:
            found = pathways_to_fix(session, "RZZ", problem, census, limit=10_000)
            assert len(found) == report.overall.measures[problem].count, problem
        first = pathways_to_fix(session, "RZZ", "ethnicity_not_stated", census, limit=5)
        rest = pathways_to_fix(
            session, "RZZ", "ethnicity_not_stated", census, limit=5, after=first[-1].pathway_id
        )
        assert first and rest and first[-1].pathway_id < rest[0].pathway_id
        with pytest.raises(ValueError, match="unknown problem"):
            pathways_to_fix(session, "RZZ", "everything", census)
