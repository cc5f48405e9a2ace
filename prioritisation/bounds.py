"""Bounds: how far a specialty rule set may move from the default document.

Why: clinicians own the numbers, but within limits the default document declares (each uplift
between 0 and a multiple of its default, caps no higher than the default, protection no
weaker). Every problem is reported at once with its JSON path, so a rejected document can be
fixed in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass

from prioritisation.rules import FlagFactorRules, RuleBounds, RuleSet


@dataclass(frozen=True, slots=True)
class RuleProblem:
    """One validation problem: where in the JSON document and what is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class RuleBoundsError(ValueError):
    """A rule set breaks the default document's bounds or vocabulary; lists every problem."""

    def __init__(self, problems: list[RuleProblem]) -> None:
        self.problems = problems
        super().__init__(
            f"{len(problems)} rule problem(s):\n" + "\n".join(f"  {p}" for p in problems)
        )


def _uplift_limit(default_value: float | None, bounds: RuleBounds) -> float:
    if default_value is None:
        return bounds.unlisted_code_uplift_max_days
    return round(default_value * bounds.uplift_max_multiplier, 2)


def _check_uplift(
    problems: list[RuleProblem], path: str, value: float, default_value: float | None, b: RuleBounds
) -> None:
    limit = _uplift_limit(default_value, b)
    if value > limit:
        why = (
            f"{b.uplift_max_multiplier} × default {default_value}"
            if default_value is not None
            else "the limit for a code the default does not list"
        )
        problems.append(RuleProblem(path, f"{value} days exceeds the bound of {limit} ({why})"))


def _check_flags(
    problems: list[RuleProblem],
    path: str,
    rules: FlagFactorRules,
    default: FlagFactorRules,
    b: RuleBounds,
) -> None:
    for code, value in rules.uplift_days.items():
        _check_uplift(
            problems, f"{path}.uplift_days.{code}", value, default.uplift_days.get(code), b
        )


def vocabulary_problems(rule_set: RuleSet, default: RuleSet, prefix: str = "") -> list[RuleProblem]:
    """Flag codes in ``rule_set`` that the default document's vocabulary does not declare."""
    vocabulary = default.vocabulary
    if vocabulary is None:
        return [RuleProblem(f"{prefix}vocabulary", "the default document must declare it")]
    problems: list[RuleProblem] = []
    for factor, known in (
        ("inclusion", vocabulary.inclusion_groups),
        ("clinical_area", vocabulary.clinical_areas),
    ):
        rules: FlagFactorRules = getattr(rule_set, factor)
        for code in rules.uplift_days:
            if code not in known:
                problems.append(RuleProblem(f"{prefix}{factor}.uplift_days.{code}", "unknown code"))
    return problems


def bounds_problems(rule_set: RuleSet, default: RuleSet, prefix: str = "") -> list[RuleProblem]:
    """Every way ``rule_set`` breaks the bounds declared by ``default`` (empty if none)."""
    b = default.bounds
    if b is None:
        return [RuleProblem(f"{prefix}bounds", "the default document must declare bounds")]
    problems = vocabulary_problems(rule_set, default, prefix)
    p = prefix
    if rule_set.bounds is not None:
        problems.append(RuleProblem(f"{p}bounds", "only the default document declares bounds"))
    if rule_set.vocabulary is not None:
        problems.append(RuleProblem(f"{p}vocabulary", "only the default document declares it"))
    return problems + limit_problems(rule_set, default, b, prefix)


def default_bounds_problems(
    default: RuleSet, shipped: RuleSet, prefix: str = ""
) -> list[RuleProblem]:
    """Every way a replacement ``default`` breaks the bounds of the ``shipped`` default: its
    numbers are held to the same limits as a specialty's, and the bounds it declares for the
    specialties may be tighter than the shipped ones but never looser. Its vocabulary may add
    codes; their uplifts are limited as codes the shipped default does not list."""
    b = shipped.bounds
    if b is None:
        return [RuleProblem(f"{prefix}bounds", "the shipped default must declare bounds")]
    problems = limit_problems(default, shipped, b, prefix)
    if default.bounds is not None:
        for name in (
            "uplift_max_multiplier",
            "unlisted_code_uplift_max_days",
            "cap_max_multiplier",
        ):
            value, limit = getattr(default.bounds, name), getattr(b, name)
            if value > limit:
                problems.append(
                    RuleProblem(
                        f"{prefix}bounds.{name}", f"{value} is looser than the shipped {limit}"
                    )
                )
    return problems


def limit_problems(
    rule_set: RuleSet, default: RuleSet, b: RuleBounds, prefix: str = ""
) -> list[RuleProblem]:
    """The numeric limits alone: priorities, targets, margins, scales, caps, every uplift and
    the long-wait guardrails of ``rule_set`` against ``default``'s, under bounds ``b``."""
    problems: list[RuleProblem] = []
    p = prefix
    cp, dcp = rule_set.clinical_priority, default.clinical_priority
    codes = [r.code for r in cp.ranked]
    default_codes = [r.code for r in dcp.ranked]
    if codes != default_codes:
        problems.append(
            RuleProblem(f"{p}clinical_priority.ranked", f"codes must be {default_codes} in order")
        )
    else:
        for i, (rule, base) in enumerate(zip(cp.ranked, dcp.ranked, strict=True)):
            path = f"{p}clinical_priority.ranked.{i}"
            if base.target_days is not None and (
                rule.target_days is None or rule.target_days > base.target_days
            ):
                problems.append(
                    RuleProblem(
                        f"{path}.target_days",
                        f"{rule.target_days} is longer than the default {base.target_days}",
                    )
                )
            if rule.target_margin_days < base.target_margin_days:
                problems.append(
                    RuleProblem(
                        f"{path}.target_margin_days",
                        f"{rule.target_margin_days} is narrower than the default "
                        f"{base.target_margin_days}",
                    )
                )
            if rule.uplift_scale > base.uplift_scale:
                problems.append(
                    RuleProblem(
                        f"{path}.uplift_scale",
                        f"{rule.uplift_scale} exceeds the default {base.uplift_scale}",
                    )
                )
            cap_limit = round(base.cap_days * b.cap_max_multiplier, 2)
            if rule.cap_days > cap_limit:
                problems.append(
                    RuleProblem(
                        f"{path}.cap_days",
                        f"{rule.cap_days} exceeds the bound of {cap_limit} "
                        f"({b.cap_max_multiplier} × default {base.cap_days})",
                    )
                )
    for name in ("parked_codes", "parked_rtt_statuses", "unset_priority_as"):
        if getattr(cp, name) != getattr(dcp, name):
            problems.append(
                RuleProblem(
                    f"{p}clinical_priority.{name}", f"must equal the default {getattr(dcp, name)}"
                )
            )

    for decile, value in rule_set.deprivation.decile_uplift_days.items():
        _check_uplift(
            problems,
            f"{p}deprivation.decile_uplift_days.{decile}",
            value,
            default.deprivation.decile_uplift_days.get(decile, 0.0),
            b,
        )
    eth, deth = rule_set.ethnicity, default.ethnicity
    for field_name, values, base_values in (
        ("category_uplift_days", eth.category_uplift_days, deth.category_uplift_days),
        ("group_uplift_days", eth.group_uplift_days, deth.group_uplift_days),
    ):
        for code, value in values.items():
            _check_uplift(
                problems, f"{p}ethnicity.{field_name}.{code}", value, base_values.get(code), b
            )
    _check_uplift(
        problems,
        f"{p}core20.uplift_days",
        rule_set.core20.uplift_days,
        default.core20.uplift_days,
        b,
    )
    _check_flags(problems, f"{p}inclusion", rule_set.inclusion, default.inclusion, b)
    _check_flags(problems, f"{p}clinical_area", rule_set.clinical_area, default.clinical_area, b)

    g, dg = rule_set.guardrails, default.guardrails
    missing = sorted(set(dg.long_wait_weeks) - set(g.long_wait_weeks))
    if missing:
        problems.append(
            RuleProblem(f"{p}guardrails.long_wait_weeks", f"default thresholds missing: {missing}")
        )
    if g.long_wait_margin_days < dg.long_wait_margin_days:
        problems.append(
            RuleProblem(
                f"{p}guardrails.long_wait_margin_days",
                f"{g.long_wait_margin_days} is narrower than the default "
                f"{dg.long_wait_margin_days}",
            )
        )
    return problems


def validate_against_bounds(rule_set: RuleSet, default: RuleSet) -> None:
    """Raise :class:`RuleBoundsError` listing every problem if ``rule_set`` breaks the bounds."""
    problems = bounds_problems(rule_set, default)
    if problems:
        raise RuleBoundsError(problems)
