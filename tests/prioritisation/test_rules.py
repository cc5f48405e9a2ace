"""Rule documents: the shipped default, JSON round-trips, validation and bounds."""

from __future__ import annotations

import copy
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from prioritisation import (
    RuleBook,
    RuleBoundsError,
    RuleSet,
    load_default_rule_set,
    load_default_rules,
    review_warnings,
    validate_against_bounds,
)
from prioritisation.codes import IMD_MEASURES
from prioritisation.rules import DeprivationRules
from tests.prioritisation.builders import (
    ETHNICITY_ON,
    book,
    default_document,
    specialty_document,
)


def test_default_rule_set_holds_the_documented_numbers() -> None:
    rules = load_default_rule_set()
    ranked = {r.code: r for r in rules.clinical_priority.ranked}
    assert [r.code for r in rules.clinical_priority.ranked] == ["P1a", "P1b", "P2", "P3", "P4"]
    assert [ranked[c].target_days for c in ranked] == [1, 3, 28, 90, None]
    assert {c: ranked[c].cap_days for c in ranked} == {
        "P1a": 0, "P1b": 0, "P2": 7, "P3": 21, "P4": 31,
    }  # fmt: skip
    assert ranked["P1a"].uplift_scale == ranked["P1b"].uplift_scale == 0
    assert ranked["P2"].uplift_scale == 0.2258 and ranked["P3"].uplift_scale == 0.6774
    deciles = rules.deprivation.decile_uplift_days
    assert (deciles[1], deciles[2], deciles[3], deciles[4], deciles[5]) == (21, 14, 7, 7, 0)
    assert rules.inclusion.uplift_days["learning_disability"] == 21
    assert rules.inclusion.uplift_days["autism"] == 21
    assert rules.inclusion.uplift_days["homeless"] == 14
    assert rules.inclusion.uplift_days["multimorbidity"] == 7
    assert not rules.ethnicity.enabled
    assert rules.clinical_priority.parked_codes == ["P5", "P6"]
    assert rules.guardrails.long_wait_weeks == [52, 65, 78, 104]
    assert rules.bounds is not None and rules.bounds.uplift_max_multiplier == 2.0
    assert rules.bounds.cap_max_multiplier == 2.0
    assert rules.rationale, "the default document carries its reasoning"


def test_every_imd_measure_is_accepted_by_the_schema() -> None:
    for measure in IMD_MEASURES:
        doc = default_document()["deprivation"]
        doc["imd_measure"] = measure
        assert DeprivationRules.model_validate(doc).imd_measure == measure


def test_rule_book_round_trips_through_json() -> None:
    rules = book(specialty_document("130", ethnicity=ETHNICITY_ON))
    text = json.dumps(rules.model_dump(mode="json"))
    again = RuleBook.model_validate_json(text)
    assert again == rules
    assert again.specialties["130"].ethnicity.review_date == date(2027, 4, 30)


def _errors(doc: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as info:
        RuleSet.model_validate(doc)
    return str(info.value)


def test_unknown_priority_code_is_rejected() -> None:
    doc = default_document()
    doc["clinical_priority"]["ranked"][4]["code"] = "P9"
    assert "ranked.4.code: unknown priority code 'P9'" in _errors(doc)


def test_negative_cap_is_rejected_with_its_path() -> None:
    doc = default_document()
    doc["clinical_priority"]["ranked"][2]["cap_days"] = -1
    message = _errors(doc)
    assert "clinical_priority.ranked.2.cap_days" in message
    assert "greater than or equal to 0" in message


def test_missing_deciles_are_listed() -> None:
    doc = default_document()
    del doc["deprivation"]["decile_uplift_days"]["3"]
    del doc["deprivation"]["decile_uplift_days"]["7"]
    assert "deciles missing: [3, 7]" in _errors(doc)


@pytest.mark.parametrize("key", ["01", " 1", "+1", "1.0", "１"])
def test_decile_keys_must_be_canonical_so_they_cannot_collide(key: str) -> None:
    doc = default_document()
    doc["deprivation"]["decile_uplift_days"][key] = 99.0
    message = _errors(doc)
    assert "deprivation.decile_uplift_days" in message
    assert f"decile keys [{key!r}] are not written as plain whole numbers" in message
    with pytest.raises(ValidationError, match="plain whole numbers"):
        RuleSet.model_validate_json(json.dumps(doc))


def test_integer_decile_keys_are_accepted() -> None:
    doc = default_document()
    doc["deprivation"]["decile_uplift_days"] = {
        int(k): v for k, v in doc["deprivation"]["decile_uplift_days"].items()
    }
    assert RuleSet.model_validate(doc).deprivation.decile_uplift_days[1] == 21.0


def test_targets_must_increase_with_priority() -> None:
    doc = default_document()
    doc["clinical_priority"]["ranked"][3]["target_days"] = 20  # P3 shorter than P2's 28
    assert "targets must increase with priority" in _errors(doc)
    doc = default_document()
    doc["clinical_priority"]["ranked"][2]["target_days"] = None  # P2 none but P3 has one
    assert "targets must increase with priority" in _errors(doc)


def test_a_more_deprived_decile_must_never_earn_less() -> None:
    doc = default_document()
    doc["deprivation"]["decile_uplift_days"]["5"] = 9.0
    assert "decile_uplift_days.5" in _errors(doc)


def test_missing_data_can_never_carry_an_uplift() -> None:
    doc = default_document()
    doc["deprivation"]["unknown_uplift_days"] = 3
    doc["ethnicity"]["not_stated_uplift_days"] = 2
    assert "missing data is neutral" in _errors(doc)
    doc = default_document()
    doc["ethnicity"]["category_uplift_days"] = {"Z": 3.0, "Q": 1.0}
    doc["ethnicity"]["group_uplift_days"] = {"not_known": 3.0}
    message = _errors(doc)
    assert "category_uplift_days.Z" in message
    assert "category_uplift_days.Q: unknown ethnic category code" in message
    assert "group_uplift_days.not_known" in message


def test_ethnicity_uplift_needs_evidence_approver_and_review_date() -> None:
    doc = default_document()
    doc["ethnicity"] = {"enabled": True, "group_uplift_days": {"black": 7.0}}
    message = _errors(doc)
    for field in ("evidence_reference", "approved_by", "review_date"):
        assert f"{field}: required when the ethnicity uplift is enabled" in message
    doc["ethnicity"] = ETHNICITY_ON
    assert RuleSet.model_validate(doc).ethnicity.enabled


def test_unknown_fields_and_too_many_decimals_are_rejected() -> None:
    doc = default_document()
    doc["deprivation"]["decile_uplft_days"] = {}
    assert "Extra inputs are not permitted" in _errors(doc)
    doc = default_document()
    doc["deprivation"]["decile_uplift_days"]["1"] = 21.005
    assert "at most 2 decimal places" in _errors(doc)


def test_unknown_flag_codes_are_rejected_by_the_book() -> None:
    doc = specialty_document("110", inclusion={"uplift_days": {"left_handed": 3.0}})
    with pytest.raises(ValidationError, match=r"specialties\.110\.inclusion\.uplift_days"):
        book(doc)


def test_bounds_errors_list_every_problem_with_its_json_path() -> None:
    base = load_default_rule_set()
    ranked = copy.deepcopy(default_document()["clinical_priority"]["ranked"])
    ranked[3]["cap_days"] = 42.5  # default 21: caps may rise to 2× (42)
    ranked[3]["target_margin_days"] = 5  # default 21: protection may not narrow
    doc = specialty_document(
        "110",
        clinical_priority={"ranked": ranked},
        deprivation={"decile_uplift_days": {**{str(d): 0.0 for d in range(1, 11)}, "1": 42.5}},
        inclusion={"uplift_days": {"autism": 42.01, "carer": 20.0}},
        guardrails={"long_wait_weeks": [52, 78, 104], "long_wait_margin_days": 7},
    )
    with pytest.raises(RuleBoundsError) as info:
        validate_against_bounds(RuleSet.model_validate(doc), base)
    paths = {p.path for p in info.value.problems}
    assert paths == {
        "clinical_priority.ranked.3.cap_days",
        "clinical_priority.ranked.3.target_margin_days",
        "deprivation.decile_uplift_days.1",
        "inclusion.uplift_days.autism",
        "inclusion.uplift_days.carer",
        "guardrails.long_wait_weeks",
        "guardrails.long_wait_margin_days",
    }
    assert "42.5 days exceeds the bound of 42.0 (2.0 × default 21.0)" in str(info.value)
    assert "42.5 exceeds the bound of 42.0 (2.0 × default 21.0)" in str(info.value)
    with pytest.raises(ValidationError, match="7 rule problem"):
        book(doc)


def test_rules_inside_the_bounds_are_accepted() -> None:
    doc = specialty_document(
        "110",
        deprivation={
            "decile_uplift_days": {
                **default_document()["deprivation"]["decile_uplift_days"],
                "1": 42.0,
            }
        },
        inclusion={"uplift_days": {"autism": 42.0, "carer": 14.0}},
        ethnicity=ETHNICITY_ON,
        clinical_priority={
            "ranked": [
                {**rule, "cap_days": rule["cap_days"] * 2}
                for rule in default_document()["clinical_priority"]["ranked"]
            ]
        },
    )
    rules = book(doc)
    assert rules.rule_set_for("110").deprivation.decile_uplift_days[1] == 42.0
    assert rules.rule_set_for("110").clinical_priority.ranked[4].cap_days == 62.0
    assert rules.rule_set_for("999") is rules.default


def _shipped_problems(default: dict[str, Any], *specialties: dict[str, Any]) -> set[str]:
    with pytest.raises(ValidationError) as info:
        book(*specialties, default=default)
    listed = str(info.value).split("problem(s): ", 1)[1].split(" [type=")[0]
    return {
        problem.split(": ", 1)[0]
        for problem in listed.split("; ")
        if problem.endswith("(bounds of the shipped default)")
    }


def test_a_new_default_is_held_to_the_shipped_defaults_bounds() -> None:
    doc = default_document()
    doc["deprivation"]["decile_uplift_days"]["1"] = 3650.0
    doc["clinical_priority"]["ranked"][4]["cap_days"] = 3650.0
    doc["clinical_priority"]["ranked"][3]["target_days"] = 120  # longer than 90
    doc["guardrails"]["long_wait_margin_days"] = 7
    doc["inclusion"]["uplift_days"]["carer"] = 20.0  # unlisted by the shipped default: <= 14
    doc["bounds"] = {**doc["bounds"], "uplift_max_multiplier": 3.0, "cap_max_multiplier": 2.5}
    assert _shipped_problems(doc) == {
        "default.deprivation.decile_uplift_days.1",
        "default.clinical_priority.ranked.4.cap_days",
        "default.clinical_priority.ranked.3.target_days",
        "default.guardrails.long_wait_margin_days",
        "default.inclusion.uplift_days.carer",
        "default.bounds.uplift_max_multiplier",
        "default.bounds.cap_max_multiplier",
    }
    with pytest.raises(ValidationError, match=r"3650\.0 days exceeds the bound of 42\.0"):
        book(default=doc)


def test_a_tighter_default_is_accepted_and_binds_the_specialties() -> None:
    doc = default_document()
    doc["version"] = "tight"
    doc["deprivation"]["decile_uplift_days"]["1"] = 14.0
    doc["clinical_priority"]["ranked"][4]["cap_days"] = 20.0
    doc["bounds"] = {**doc["bounds"], "uplift_max_multiplier": 1.0}
    assert book(default=doc).default.version == "tight"
    over = specialty_document("110", deprivation={**default_document()["deprivation"]})
    with pytest.raises(ValidationError, match=r"specialties\.110\.deprivation"):
        book(over, default=doc)


def test_bounds_do_not_compound_through_a_raised_default() -> None:
    raised = default_document()
    raised["deprivation"]["decile_uplift_days"]["1"] = 42.0  # 2 × 21: allowed
    allowed = specialty_document("110")
    allowed["deprivation"]["decile_uplift_days"]["1"] = 42.0
    assert book(allowed, default=raised).specialties["110"]
    compounded = specialty_document("110")
    compounded["deprivation"]["decile_uplift_days"]["1"] = 84.0  # 2 × 42
    assert _shipped_problems(raised, compounded) == {
        "specialties.110.deprivation.decile_uplift_days.1"
    }


def test_specialty_key_must_match_its_rule_set_id() -> None:
    with pytest.raises(ValidationError, match="rule_set_id"):
        RuleBook.model_validate(
            {"default": default_document(), "specialties": {"120": specialty_document("110")}}
        )


def test_with_specialty_validates() -> None:
    rules = load_default_rules()
    assert rules.with_specialty(RuleSet.model_validate(specialty_document("110"))).specialties
    bad = specialty_document("110", core20={"enabled": True, "uplift_days": 30.0})
    with pytest.raises(ValidationError, match=r"core20\.uplift_days"):
        rules.with_specialty(RuleSet.model_validate(bad))


def test_review_warnings_report_overdue_rule_sets_and_ethnicity_reviews() -> None:
    doc = specialty_document("130", ethnicity=ETHNICITY_ON)
    doc["review_date"] = "2026-06-30"
    rules = book(doc)
    assert review_warnings(rules, date(2026, 1, 1)) == []
    warnings = review_warnings(rules, date(2027, 5, 1))
    assert [(w.rule_set_id, w.path) for w in warnings] == [
        ("130", "review_date"),
        ("130", "ethnicity.review_date"),
    ]
    assert warnings[0].days_overdue == 305
    assert "passed 305 day(s) ago" in warnings[0].message
    late = review_warnings(rules, date(2028, 1, 1))
    assert {w.rule_set_id for w in late} == {"default", "130"}


def test_the_example_in_docs_rules_md_is_valid_and_its_errors_are_real() -> None:
    text = (Path(__file__).parents[2] / "docs" / "rules.md").read_text("utf-8")
    example = json.loads(re.search(r"```json\n(.*?)```", text, re.DOTALL).group(1))  # type: ignore[union-attr]
    rules = book(example)
    assert rules.rule_set_for("110").deprivation.imd_measure == "barriers"
    example["clinical_priority"]["ranked"][3]["cap_days"] = 45.0
    example["inclusion"]["uplift_days"]["autism"] = 45.0
    with pytest.raises(ValidationError) as info:
        book(example)
    for line in re.search(r"```\n(specialties.*?)```", text, re.DOTALL).group(1).splitlines():  # type: ignore[union-attr]
        assert line in str(info.value)
