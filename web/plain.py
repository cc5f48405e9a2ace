"""A rule set in plain words, for everyone who reads the rules page.

"People living in the 10% most deprived areas: +21 days at routine priority (P4), capped at
31 days" says the same as ``deprivation.decile_uplift_days.1 = 21`` with P4's cap of 31.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prioritisation import RuleSet
from prioritisation.rules import FlagFactorRules, PriorityRule


@dataclass(frozen=True, slots=True)
class PlainSection:
    title: str
    lines: list[str] = field(default_factory=list)
    enabled: bool = True


def _days(value: float) -> str:
    shown = f"{value:g}" if value != int(value) else f"{int(value)}"
    return f"{shown} day" if value == 1 else f"{shown} days"


def _decile(decile: int) -> str:
    if decile == 1:
        return "people living in the 10% most deprived areas"
    return f"people living in areas {10 * (decile - 1)}–{10 * decile}% most deprived"


def reference_priority(rule_set: RuleSet) -> PriorityRule:
    """The priority uplifts are written for (scale 1: routine, P4 in the shipped rules)."""
    ranked = rule_set.clinical_priority.ranked
    return max(reversed(ranked), key=lambda rule: rule.uplift_scale)


def _at_priorities(rule_set: RuleSet, value: float) -> str:
    """Where the uplift also applies, scaled (``at P3 +14.2 days, capped at 21 days``)."""
    reference = reference_priority(rule_set)
    parts = []
    for rule in rule_set.clinical_priority.ranked:
        if rule is reference or rule.uplift_scale == 0:
            continue
        scaled = round(value * rule.uplift_scale, 1)
        parts.append(f"at {rule.code} +{_days(scaled)}, capped at {_days(rule.cap_days)}")
    return "; ".join(parts)


def _uplift(rule_set: RuleSet, who: str, value: float) -> str:
    reference = reference_priority(rule_set)
    head = (
        f"{who}: +{_days(value)} at routine priority ({reference.code}), capped at "
        f"{_days(reference.cap_days)}"
    )
    others = _at_priorities(rule_set, value)
    return f"{head} ({others})" if others else head


def _flags(
    rule_set: RuleSet, rules: FlagFactorRules, names: dict[str, str], what: str
) -> PlainSection:
    title = what.capitalize()
    if not rules.enabled or not rules.uplift_days:
        return PlainSection(title, [f"{title} earn no uplift in this rule set."], enabled=False)
    lines = [
        _uplift(rule_set, names.get(code, code.replace("_", " ")), value)
        for code, value in rules.uplift_days.items()
        if value > 0
    ]
    lines.append(
        "When several are recorded, only the largest counts."
        if rules.combine == "max"
        else "When several are recorded, they add up (within the cap)."
    )
    return PlainSection(title, lines)


def describe(
    rule_set: RuleSet,
    *,
    inclusion_names: dict[str, str] | None = None,
    clinical_area_names: dict[str, str] | None = None,
) -> list[PlainSection]:
    """The rule set section by section, each line one rule a person can check."""
    sections = [_priorities(rule_set), _deprivation(rule_set), _ethnicity(rule_set)]
    core20 = rule_set.core20
    sections.append(
        PlainSection(
            "Core20",
            [
                _uplift(
                    rule_set, "people living in a Core20 area (IMD deciles 1–2)", core20.uplift_days
                )
            ]
            if core20.enabled and core20.uplift_days
            else ["Living in a Core20 area earns no separate uplift in this rule set."],
            enabled=core20.enabled,
        )
    )
    sections.append(
        _flags(rule_set, rule_set.inclusion, inclusion_names or {}, "inclusion health groups")
    )
    sections.append(
        _flags(
            rule_set,
            rule_set.clinical_area,
            clinical_area_names or {},
            "Core20PLUS5 clinical areas",
        )
    )
    guard = rule_set.guardrails
    weeks = ", ".join(str(w) for w in guard.long_wait_weeks)
    sections.append(
        PlainSection(
            "Long waits",
            [
                f"Nobody within {_days(guard.long_wait_margin_days)} of {weeks} weeks' wait is "
                "overtaken by an equity uplift.",
                "Different factors add up, but never beyond the cap of the entry's priority.",
            ],
        )
    )
    return sections


def _priorities(rule_set: RuleSet) -> PlainSection:
    cp = rule_set.clinical_priority
    lines = []
    for rule in cp.ranked:
        target = f"target {_days(rule.target_days)}" if rule.target_days else "no target"
        protect = (
            f"; protected from {_days(rule.target_margin_days)} before it"
            if rule.target_days and rule.target_margin_days
            else ""
        )
        equity = (
            f"; equity uplifts × {rule.uplift_scale:g}, capped at {_days(rule.cap_days)}"
            if rule.uplift_scale
            else "; never reordered for equity"
        )
        lines.append(f"{rule.code}: {target}{protect}{equity}.")
    lines.append(
        f"{', '.join(cp.parked_codes)} and RTT statuses {', '.join(cp.parked_rtt_statuses)} "
        "are not actively scheduled (parked)."
    )
    if cp.unset_priority_as:
        lines.append(f"An entry without a priority is ranked as {cp.unset_priority_as}.")
    lines.append(
        "Clinical priority always comes first: no uplift moves anyone ahead of a more urgent "
        "priority."
    )
    return PlainSection("Clinical priority", lines)


def _deprivation(rule_set: RuleSet) -> PlainSection:
    rules = rule_set.deprivation
    if not rules.enabled:
        return PlainSection("Deprivation", ["Deprivation earns no uplift in this rule set."], False)
    measure = (
        "overall IMD" if rules.imd_measure == "overall" else f"the IMD {rules.imd_measure} domain"
    )
    lines = [
        _uplift(rule_set, _decile(decile), value)
        for decile, value in sorted(rules.decile_uplift_days.items())
        if value > 0
    ]
    lines.append(f"Deciles come from {measure}; an unknown decile earns nothing.")
    return PlainSection("Deprivation", lines)


def _ethnicity(rule_set: RuleSet) -> PlainSection:
    rules = rule_set.ethnicity
    if not rules.enabled:
        return PlainSection(
            "Ethnicity",
            [
                "Ethnicity is not used. Switching it on needs local evidence of disadvantage, "
                "a named approver and a review date."
            ],
            enabled=False,
        )
    lines = [
        _uplift(rule_set, f"people in the {group.replace('_', ' ')} group", value)
        for group, value in rules.group_uplift_days.items()
        if value > 0
    ]
    lines += [
        _uplift(rule_set, f"people of ethnic category {code}", value)
        for code, value in rules.category_uplift_days.items()
        if value > 0
    ]
    lines.append(
        f"Approved by {rules.approved_by} on the evidence of {rules.evidence_reference}; "
        f"review by {rules.review_date}. Not stated or not known earns nothing."
    )
    return PlainSection("Ethnicity", lines)
