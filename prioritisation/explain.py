"""Per-entry explanation records and the plain-English sentence shown to patients and staff.

Why: every position on the list must be explainable to a patient, a clinician and an auditor
(inputs, the rule version in force, each component). This runs per entry in Python, so it is
only ever called for the handful of entries a page or an audit record needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from prioritisation.codes import IMD_MEASURE_LABELS, flag_label
from prioritisation.rules import FlagFactorRules, RuleSet
from prioritisation.scoring import COMPONENTS, EQUITY_COMPONENTS

if TYPE_CHECKING:
    from prioritisation.result import RankingResult

PROTECTION_PHRASES = {
    "within_priority_target_margin": "close to the target for its priority",
    "last_chance": "within next week's bookings and would pass the target for its priority "
    "within 7 days",
}
PARKED_PHRASES = {
    "patient_deferred": "the patient has chosen to defer treatment",
    "active_monitoring": "the pathway is on active monitoring",
}


def sum_days(components: Mapping[str, float]) -> float:
    """The components' float sum, left to right in their order, so that
    ``sum(components.values()) == score`` holds exactly (see docs/scoring.md §7)."""
    total = 0.0
    for value in components.values():
        total += value
    return total


def format_days(centidays: int) -> str:
    """1423 → "14.23 days", 2100 → "21 days", 100 → "1 day"."""
    text = f"{abs(centidays) / 100:.2f}".rstrip("0").rstrip(".")
    return f"{text} day" if abs(centidays) == 100 else f"{text} days"


def ordinal(number: int) -> str:
    """1 → "1st", 112 → "112th", 4318 → "4,318th"."""
    teens = 10 <= number % 100 <= 20
    suffix = "th" if teens else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number:,}{suffix}"


def protection_phrase(reason: str) -> str:
    """Reason code → phrase: past_52_weeks → "past 52 weeks", within_65_week_margin →
    "close to 65 weeks"."""
    if reason in PROTECTION_PHRASES:
        return PROTECTION_PHRASES[reason]
    if reason.startswith("past_"):
        return reason.replace("_", " ")
    weeks = reason.removeprefix("within_").removesuffix("_week_margin")
    return f"close to {weeks} weeks"


def _flag_reasons(rules: FlagFactorRules, codes: list[str], suffix: str = "") -> str:
    uplifts = {c: rules.uplift_days.get(c, 0.0) for c in codes if rules.uplift_days.get(c, 0.0)}
    if not uplifts:
        return ""
    if rules.combine == "max":
        best = max(uplifts.values())
        uplifts = {c: v for c, v in uplifts.items() if v == best}
    return " and ".join(flag_label(c) + suffix for c in sorted(uplifts))


def _factor_reasons(result: RankingResult, i: int, rule_set: RuleSet) -> dict[str, str]:
    """Why each non-zero equity component applies to entry ``i``."""
    inputs = result.inputs
    dep = rule_set.deprivation
    domain_deciles = inputs.imd_domain_deciles.get(dep.imd_measure)
    decile = int(
        inputs.imd_decile[i]
        if dep.imd_measure == "overall"
        else (domain_deciles[i] if domain_deciles is not None else 0)
    )
    domain = IMD_MEASURE_LABELS[dep.imd_measure]
    area = f"areas for {domain}" if domain else "areas"
    eth = rule_set.ethnicity
    category, group = str(inputs.ethnic_category[i]), str(inputs.ethnic_group[i])
    which = f"category {category}" if category in eth.category_uplift_days else f"group {group}"
    return {
        "deprivation": f"living in one of the {decile * 10}% most deprived {area}",
        "ethnicity": f"ethnicity ({which}; local evidence {eth.evidence_reference})",
        "core20": "living in a Core20 area (the 20% most deprived nationally)",
        "inclusion": _flag_reasons(rule_set.inclusion, inputs.inclusion_groups.row_codes(i)),
        "clinical_area": _flag_reasons(
            rule_set.clinical_area,
            inputs.clinical_areas.row_codes(i),
            " (a Core20PLUS5 clinical area)",
        ),
    }


def explain_entry(
    result: RankingResult, i: int, specialty_names: Mapping[str, str]
) -> dict[str, Any]:
    """Everything needed to explain entry ``i``: inputs, rule version, components, sentence."""
    provider, tfc, stage = result.list_keys[int(result.list_id[i])]
    rule_set = result.rules.rule_set_for(tfc)
    cents = {name: int(result.component_centidays[name][i]) for name in COMPONENTS}
    components = {name: value / 100 for name, value in cents.items()}
    reasons = _factor_reasons(result, i, rule_set)
    factors = [
        {"component": name, "days": cents[name] / 100, "because": reasons[name]}
        for name in reasons
        if cents[name]
    ]
    record: dict[str, Any] = {
        "index": i,
        "pathway_id": str(result.pathway_id[i]),
        "provider_code": provider,
        "treatment_function_code": tfc,
        "specialty": specialty_names.get(tfc, f"treatment function {tfc}"),
        "pathway_stage": stage,
        "priority_code": str(result.priority_code[i]),
        "priority_defaulted": bool(result.priority_defaulted[i]),
        "rank": int(result.rank[i]),
        "conventional_rank": int(result.conventional_rank[i]),
        "list_size": int(result.list_size[i]),
        "parked": bool(result.parked[i]),
        "parked_reason": str(result.parked_reason[i]),
        "census_date": str(result.census_date),
        "rtt_clock_start": str(result.inputs.rtt_clock_start[i]),
        "wait_days": int(result.wait_days[i]),
        "wait_weeks": int(result.wait_weeks[i]),
        "score": sum_days(components),
        "score_centidays": int(result.score_centidays[i]),
        "components": components,
        "uplift_uncapped": int(result.uplift_uncapped_centidays[i]) / 100,
        "cap_days": int(result.cap_centidays[i]) / 100,
        "capped": bool(result.capped[i]),
        "protected": bool(result.protected[i]),
        "protection_reason": str(result.protection_reason[i]),
        "tier": str(result.tier[i]),
        "rule_set": str(result.rule_set[i]),
        "rule_set_version": str(result.rule_set_version[i]),
        "override_kind": str(result.override_kind[i]),
        "override_status": str(result.override_status[i]),
        "factors": factors,
    }
    record["sentence"] = sentence(record, cents)
    return record


def sentence(record: Mapping[str, Any], cents: Mapping[str, int]) -> str:
    """e.g. "ranked 112th of 4,318 in Trauma & Orthopaedics P3: waited 41 weeks, plus 14.23
    days for living in one of the 10% most deprived areas; capped at 21 days"."""
    stage = " (non-admitted)" if record["pathway_stage"] != "admitted" else ""
    where = record["specialty"] + stage
    waited = f"waited {record['wait_weeks']} week{'s' if record['wait_weeks'] != 1 else ''}"
    if record["parked"]:
        why = PARKED_PHRASES.get(record["parked_reason"], record["parked_reason"])
        return f"not ranked in {where}: {why}; {waited}"
    parts = [f"ranked {ordinal(record['rank'])} of {record['list_size']:,} in {where} "]
    parts[0] += f"{record['priority_code']}: {waited}"
    for factor in record["factors"]:
        parts.append(f", plus {format_days(cents[factor['component']])} for {factor['because']}")
    text = "".join(parts)
    if record["capped"]:
        text += f"; capped at {format_days(round(record['cap_days'] * 100))}"
    if cents["override"]:
        sign = "plus" if cents["override"] > 0 else "minus"
        text += f"; {sign} {format_days(cents['override'])} by clinical override"
    kind, status = record["override_kind"], record["override_status"]
    if kind in ("pin_ahead", "hold_back") and status == "applied":
        place = "top" if kind == "pin_ahead" else "bottom"
        text += f"; placed at the {place} of {record['priority_code']} by clinical override"
    elif status.startswith("ignored"):
        text += f"; clinical override {kind} not applied ({status.replace('_', ' ')})"
    if record["protected"]:
        text += f"; protected: {protection_phrase(record['protection_reason'])}"
        if any(cents[name] for name in EQUITY_COMPONENTS):
            text += " (equity uplift does not change its place)"
    elif record["tier"] == "past_target":
        text += "; past its target: ordered among patients past target by score"
        cap = round(record["cap_days"] * 100)
        if cap:
            text += f" (only someone who has waited at most {format_days(cap)} less can "
            text += "overtake it)"
        else:
            text += " (no equity uplift at this priority: by wait alone)"
    if record["priority_defaulted"]:
        text += f"; no priority recorded, ranked as {record['priority_code']}"
    return text


def explain_entries(
    result: RankingResult, indices: list[int], specialty_names: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Explanation records for ``indices``, in the order given."""
    n = len(result)
    for i in indices:
        if not 0 <= i < n:
            raise IndexError(f"entry {i} is outside the PTL of {n} entries")
    return [explain_entry(result, i, specialty_names) for i in indices]
