"""The rule book: the default rule set plus one per treatment function, validated together.

Why one object: the engine scores a whole PTL across specialties at once, and a specialty rule
set only means something next to the default that declares its bounds and vocabulary.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from importlib import resources

from pydantic import Field, model_validator

from prioritisation.bounds import (
    RuleProblem,
    bounds_problems,
    default_bounds_problems,
    limit_problems,
    vocabulary_problems,
)
from prioritisation.rules import RuleSet, StrictDocument

DEFAULT_RULES_RESOURCE = "default_rules.json"


def shipped_bounds_problems(rule_set: RuleSet, prefix: str = "") -> list[RuleProblem]:
    """How ``rule_set`` breaks the bounds of the shipped default document, whichever default
    is in force: a replacement default is held to them like a specialty (and may only tighten
    the declared bounds), and a specialty to them as well as to the default in force, so the
    limits cannot be widened by publishing a new default."""
    shipped = _shipped_default()
    if rule_set.rule_set_id == "default":
        found = default_bounds_problems(rule_set, shipped, prefix)
    else:
        assert shipped.bounds is not None
        found = limit_problems(rule_set, shipped, shipped.bounds, prefix)
    return [RuleProblem(p.path, f"{p.message} (bounds of the shipped default)") for p in found]


class RuleBook(StrictDocument):
    """``default`` applies to every treatment function without its own entry in ``specialties``."""

    default: RuleSet
    specialties: dict[str, RuleSet] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> RuleBook:
        problems: list[RuleProblem] = []
        if self.default.rule_set_id != "default":
            problems.append(RuleProblem("default.rule_set_id", "must be 'default'"))
        if self.default.bounds is None:
            problems.append(RuleProblem("default.bounds", "the default document must declare it"))
        if self.default.vocabulary is None:
            problems.append(
                RuleProblem("default.vocabulary", "the default document must declare it")
            )
        else:
            problems += vocabulary_problems(self.default, self.default, "default.")
        shipped = self.default == _shipped_default()
        if not shipped:
            problems += shipped_bounds_problems(self.default, "default.")
        for key, rule_set in self.specialties.items():
            prefix = f"specialties.{key}."
            if rule_set.rule_set_id != key:
                problems.append(
                    RuleProblem(f"{prefix}rule_set_id", f"{rule_set.rule_set_id!r} != key {key!r}")
                )
            if self.default.bounds is not None and self.default.vocabulary is not None:
                found = bounds_problems(rule_set, self.default, prefix)
                seen = {p.path for p in found}
                if not shipped:
                    found += [
                        p for p in shipped_bounds_problems(rule_set, prefix) if p.path not in seen
                    ]
                problems += found
        if problems:
            raise ValueError(
                f"{len(problems)} rule problem(s): " + "; ".join(str(p) for p in problems)
            )
        return self

    def rule_set_for(self, treatment_function_code: str) -> RuleSet:
        """The rule set that applies to a treatment function code."""
        return self.specialties.get(treatment_function_code, self.default)

    def with_specialty(self, rule_set: RuleSet) -> RuleBook:
        """A new, validated rule book with ``rule_set`` added or replaced."""
        specialties = {**self.specialties, rule_set.rule_set_id: rule_set}
        return RuleBook(default=self.default, specialties=specialties)

    def all_rule_sets(self) -> list[RuleSet]:
        """Default first, then specialties in code order (the engine's rule-set index order)."""
        return [self.default, *(self.specialties[k] for k in sorted(self.specialties))]


def load_default_rule_set() -> RuleSet:
    """The default rule set shipped with the service (``prioritisation/default_rules.json``)."""
    text = resources.files("prioritisation").joinpath(DEFAULT_RULES_RESOURCE).read_text("utf-8")
    return RuleSet.model_validate_json(text)


@functools.cache
def _shipped_default() -> RuleSet:
    return load_default_rule_set()


def load_default_rules() -> RuleBook:
    """A rule book holding only the shipped default rule set."""
    return RuleBook(default=load_default_rule_set())


@dataclass(frozen=True, slots=True)
class ReviewWarning:
    """A rule set (or its ethnicity uplift) whose review date has passed."""

    rule_set_id: str
    path: str
    review_date: date
    days_overdue: int

    @property
    def message(self) -> str:
        return (
            f"rule set {self.rule_set_id}: {self.path} {self.review_date.isoformat()} passed "
            f"{self.days_overdue} day(s) ago"
        )


def review_warnings(rules: RuleBook, today: date) -> list[ReviewWarning]:
    """Rule sets whose review date (or enabled ethnicity uplift's review date) is before today."""
    warnings: list[ReviewWarning] = []
    for rule_set in rules.all_rule_sets():
        dates = [("review_date", rule_set.review_date)]
        if rule_set.ethnicity.enabled and rule_set.ethnicity.review_date is not None:
            dates.append(("ethnicity.review_date", rule_set.ethnicity.review_date))
        for path, due in dates:
            if due < today:
                warnings.append(ReviewWarning(rule_set.rule_set_id, path, due, (today - due).days))
    return warnings
