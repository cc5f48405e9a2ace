"""Rule documents: one pydantic-validated JSON document per specialty plus a ``default``.

Why pydantic: rule sets are written by clinicians and stored, versioned and audited as JSON;
pydantic gives a strict schema (unknown fields are errors, so a typo never silently switches a
factor off) and JSON round-trips. Cross-field checks (deciles complete, targets increasing,
ethnicity governance) are collected and reported together, each with its JSON path.
"""

from __future__ import annotations

import itertools
import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from prioritisation.codes import (
    ETHNIC_CATEGORIES,
    ETHNIC_GROUPS,
    NEUTRAL_ETHNIC_CATEGORIES,
    NEUTRAL_ETHNIC_GROUPS,
    PRIORITY_CODES,
)

MAX_DAYS = 3650.0
"""No single number in a rule document may exceed ten years; larger values are typos."""


def _at_most_decimals(places: int) -> AfterValidator:
    scale = 10**places

    def check(value: float) -> float:
        if abs(round(value * scale) - value * scale) > 1e-6:
            raise ValueError(f"use at most {places} decimal places")
        return value

    return AfterValidator(check)


Days = Annotated[float, Field(ge=0, le=MAX_DAYS), _at_most_decimals(2)]
"""A number of days, non-negative, with at most two decimals (the engine works in 0.01 day)."""

Scale = Annotated[float, Field(ge=0, le=1), _at_most_decimals(4)]
"""A scale factor in [0, 1] with at most four decimals (the engine works in 0.0001)."""

FlagCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


def to_centidays(days: float) -> int:
    """Days → integer hundredths of a day, the engine's exact unit."""
    return round(days * 100)


def to_basis_points(scale: float) -> int:
    """Scale factor → integer ten-thousandths."""
    return round(scale * 10_000)


class StrictDocument(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _raise_if(problems: list[str]) -> None:
    if problems:
        raise ValueError("; ".join(problems))


class PriorityRule(StrictDocument):
    """One ranked priority code: its target, protection margin, uplift scale and cap."""

    code: str
    target_days: int | None = Field(ge=1, le=int(MAX_DAYS))
    target_margin_days: int = Field(default=0, ge=0, le=int(MAX_DAYS))
    uplift_scale: Scale
    cap_days: Days


class ClinicalPriorityRules(StrictDocument):
    """Ranked codes in clinical order; deferred codes and monitoring statuses are parked."""

    ranked: list[PriorityRule] = Field(min_length=1)
    parked_codes: list[str] = Field(default_factory=lambda: ["P5", "P6"])
    parked_rtt_statuses: list[str] = Field(default_factory=lambda: ["31", "32"])
    unset_priority_as: str | None = "P4"

    @model_validator(mode="after")
    def _check(self) -> ClinicalPriorityRules:
        problems: list[str] = []
        codes = [rule.code for rule in self.ranked]
        for i, code in enumerate(codes):
            if code not in PRIORITY_CODES:
                problems.append(f"ranked.{i}.code: unknown priority code {code!r}")
        for i, code in enumerate(self.parked_codes):
            if code not in PRIORITY_CODES:
                problems.append(f"parked_codes.{i}: unknown priority code {code!r}")
        both = [*codes, *self.parked_codes]
        for code in sorted({c for c in both if both.count(c) > 1}):
            problems.append(f"ranked/parked_codes: priority code {code!r} listed more than once")
        for i, status in enumerate(self.parked_rtt_statuses):
            if not re.fullmatch(r"\d{2}", status):
                problems.append(f"parked_rtt_statuses.{i}: {status!r} is not a 2-digit RTT status")
        if self.unset_priority_as is not None and self.unset_priority_as not in codes:
            problems.append(
                f"unset_priority_as: {self.unset_priority_as!r} is not one of the ranked codes"
            )
        previous: PriorityRule | None = None
        for i, rule in enumerate(self.ranked):
            if previous is not None and previous.target_days is None and rule.target_days:
                problems.append(
                    f"ranked.{i}.target_days: {rule.code} has a target but the more urgent "
                    f"{previous.code} has none; targets must increase with priority"
                )
            elif (
                previous is not None
                and previous.target_days is not None
                and rule.target_days is not None
                and rule.target_days <= previous.target_days
            ):
                problems.append(
                    f"ranked.{i}.target_days: {rule.code} target {rule.target_days} is not "
                    f"longer than {previous.code} target {previous.target_days}; targets must "
                    "increase with priority"
                )
            if rule.target_days is not None and rule.target_margin_days > rule.target_days:
                problems.append(
                    f"ranked.{i}.target_margin_days: margin {rule.target_margin_days} exceeds "
                    f"the target of {rule.target_days} days"
                )
            previous = rule
        _raise_if(problems)
        return self

    def rule_for(self, code: str) -> PriorityRule | None:
        """The ranked rule for a code (blank means ``unset_priority_as``), None if not ranked."""
        wanted = self.unset_priority_as if code == "" else code
        return next((rule for rule in self.ranked if rule.code == wanted), None)


class DeprivationRules(StrictDocument):
    """Uplift per IMD decile (1 = most deprived); unknown IMD is neutral by rule."""

    enabled: bool = True
    imd_measure: Literal[
        "overall",
        "income",
        "employment",
        "education",
        "health",
        "crime",
        "barriers",
        "living_environment",
    ] = "overall"
    decile_uplift_days: dict[int, Days]
    unknown_uplift_days: Days = 0.0

    @field_validator("decile_uplift_days", mode="before")
    @classmethod
    def _canonical_keys(cls, value: object) -> object:
        """Keys are written "1".."10" (or ints): "01" or " 1" would silently collapse onto "1"."""
        if not isinstance(value, dict):
            return value
        bad = [
            key
            for key in value
            if isinstance(key, bool)
            or not isinstance(key, int | str)
            or (isinstance(key, str) and not re.fullmatch(r"0|[1-9][0-9]*", key))
        ]
        if bad:
            raise ValueError(
                f'decile keys {bad} are not written as plain whole numbers "1".."10" '
                "(no leading zeros, signs, spaces or decimals), so they could collide"
            )
        return value

    @model_validator(mode="after")
    def _check(self) -> DeprivationRules:
        problems: list[str] = []
        keys = set(self.decile_uplift_days)
        missing = sorted(set(range(1, 11)) - keys)
        unknown = sorted(keys - set(range(1, 11)))
        if missing:
            problems.append(f"decile_uplift_days: deciles missing: {missing}")
        if unknown:
            problems.append(f"decile_uplift_days: unknown deciles {unknown} (use 1..10)")
        if not missing and not unknown:
            for decile in range(2, 11):
                more, less = self.decile_uplift_days[decile - 1], self.decile_uplift_days[decile]
                if less > more:
                    problems.append(
                        f"decile_uplift_days.{decile}: {less} is more than decile {decile - 1}'s "
                        f"{more}; a more deprived decile must never earn less"
                    )
        if self.unknown_uplift_days != 0:
            problems.append("unknown_uplift_days: must be 0, missing data is neutral")
        _raise_if(problems)
        return self


class EthnicityRules(StrictDocument):
    """Uplift per ethnic category or broad group: off by default, governed when switched on."""

    enabled: bool = False
    category_uplift_days: dict[str, Days] = Field(default_factory=dict)
    group_uplift_days: dict[str, Days] = Field(default_factory=dict)
    not_stated_uplift_days: Days = 0.0
    evidence_reference: str | None = None
    approved_by: str | None = None
    review_date: date | None = None

    @model_validator(mode="after")
    def _check(self) -> EthnicityRules:
        problems: list[str] = []
        for code in self.category_uplift_days:
            if code in NEUTRAL_ETHNIC_CATEGORIES:
                problems.append(
                    f"category_uplift_days.{code}: not stated/not known is neutral and "
                    "cannot carry an uplift"
                )
            elif code not in ETHNIC_CATEGORIES:
                problems.append(f"category_uplift_days.{code}: unknown ethnic category code")
        for group in self.group_uplift_days:
            if group in NEUTRAL_ETHNIC_GROUPS:
                problems.append(
                    f"group_uplift_days.{group}: not stated/not known is neutral and "
                    "cannot carry an uplift"
                )
            elif group not in ETHNIC_GROUPS:
                problems.append(f"group_uplift_days.{group}: unknown ethnic group")
        if self.not_stated_uplift_days != 0:
            problems.append("not_stated_uplift_days: must be 0, missing data is neutral")
        if self.enabled:
            for name in ("evidence_reference", "approved_by"):
                value = getattr(self, name)
                if value is None or not value.strip():
                    problems.append(f"{name}: required when the ethnicity uplift is enabled")
            if self.review_date is None:
                problems.append("review_date: required when the ethnicity uplift is enabled")
        _raise_if(problems)
        return self


class Core20Rules(StrictDocument):
    """One uplift for living in a Core20 area (overall IMD decile 1 or 2)."""

    enabled: bool = False
    uplift_days: Days = 0.0


class FlagFactorRules(StrictDocument):
    """Uplift per flag code (inclusion group or clinical area); ``combine`` merges several."""

    enabled: bool = False
    combine: Literal["max", "sum"] = "max"
    uplift_days: dict[FlagCode, Days] = Field(default_factory=dict)


class GuardrailRules(StrictDocument):
    """Long-wait thresholds (weeks) and the protection margin before each (days)."""

    long_wait_weeks: list[int] = Field(default_factory=lambda: [52, 65, 78, 104])
    long_wait_margin_days: int = Field(default=35, ge=0, le=int(MAX_DAYS))

    @model_validator(mode="after")
    def _check(self) -> GuardrailRules:
        weeks = self.long_wait_weeks
        problems = [
            f"long_wait_weeks.{i}: {w} must be a positive number of weeks"
            for i, w in enumerate(weeks)
            if w < 1 or w > 520
        ]
        if any(b <= a for a, b in itertools.pairwise(weeks)):
            problems.append("long_wait_weeks: thresholds must be strictly increasing")
        _raise_if(problems)
        return self


class RuleBounds(StrictDocument):
    """Declared only by the default document: how far a specialty may move each number."""

    uplift_max_multiplier: float = Field(default=2.0, ge=0, le=10)
    unlisted_code_uplift_max_days: Days = 14.0
    cap_max_multiplier: float = Field(default=2.0, ge=0, le=10)


class Vocabulary(StrictDocument):
    """Declared only by the default document: the locally configured flag codes."""

    inclusion_groups: list[FlagCode]
    clinical_areas: list[FlagCode]


class RuleSet(StrictDocument):
    """A complete rule set: ``default`` or one treatment function code (e.g. ``110``)."""

    rule_set_id: str = Field(pattern=r"^(default|\d{3})$")
    version: str = Field(min_length=1, max_length=64)
    title: str = ""
    approved_by: str = Field(min_length=1)
    review_date: date
    clinical_priority: ClinicalPriorityRules
    deprivation: DeprivationRules
    ethnicity: EthnicityRules = Field(default_factory=EthnicityRules)
    core20: Core20Rules = Field(default_factory=Core20Rules)
    inclusion: FlagFactorRules = Field(default_factory=FlagFactorRules)
    clinical_area: FlagFactorRules = Field(default_factory=FlagFactorRules)
    guardrails: GuardrailRules = Field(default_factory=GuardrailRules)
    bounds: RuleBounds | None = None
    vocabulary: Vocabulary | None = None
    rationale: dict[str, str] = Field(default_factory=dict)
    """Reasoning for the numbers, keyed by JSON path: shown to clinicians and auditors."""
