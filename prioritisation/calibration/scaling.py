"""Scale one rule set's equity uplifts and priority caps by a single multiplier, within bounds.

Why one multiplier: a clinician reviews one number ("the uplifts at 1.5 times the rules in
force") rather than a dozen independent weights, and the relative sizes the specialty chose
(decile 1 above decile 2, learning disability above homelessness) are kept. Every scaled
number is clipped to the bound the default document declares for it, so a scaled rule set
never fails validation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Final

from prioritisation.rules import RuleBounds, RuleSet

SCALABLE_FACTORS: Final = ("deprivation", "inclusion", "core20", "ethnicity")
MAX_MULTIPLIER: Final = 10.0


class ScaleProblem(ValueError):
    """A factor that cannot be scaled (not enabled, or ethnicity without approved governance)."""

    def __init__(self, factor: str, message: str) -> None:
        self.factor = factor
        self.message = message
        super().__init__(f"{factor}: {message}")


def _floor2(value: float) -> float:
    """Round down to 2 decimals (the precision of a rule document's days)."""
    return math.floor(value * 100 + 1e-9) / 100


def _limit(default_value: float | None, bounds: RuleBounds) -> float:
    if default_value is None:
        return bounds.unlisted_code_uplift_max_days
    return round(default_value * bounds.uplift_max_multiplier, 2)


def _pairs(
    rule_set: RuleSet, limits_from: RuleSet, bounds: RuleBounds, factors: Iterable[str]
) -> list[tuple[float, float]]:
    """(value, bound) for every number the multiplier scales."""
    pairs: list[tuple[float, float]] = []
    chosen = set(factors)
    if "deprivation" in chosen:
        base = limits_from.deprivation.decile_uplift_days
        for decile, value in rule_set.deprivation.decile_uplift_days.items():
            pairs.append((value, _limit(base.get(decile, 0.0), bounds)))
    if "inclusion" in chosen:
        base_flags = limits_from.inclusion.uplift_days
        for code, value in rule_set.inclusion.uplift_days.items():
            pairs.append((value, _limit(base_flags.get(code), bounds)))
    if "core20" in chosen:
        pairs.append((rule_set.core20.uplift_days, _limit(limits_from.core20.uplift_days, bounds)))
    if "ethnicity" in chosen:
        eth, base_eth = rule_set.ethnicity, limits_from.ethnicity
        for values, base_values in (
            (eth.category_uplift_days, base_eth.category_uplift_days),
            (eth.group_uplift_days, base_eth.group_uplift_days),
        ):
            for code, value in values.items():
                pairs.append((value, _limit(base_values.get(code), bounds)))
    for rule, base_rule in zip(
        rule_set.clinical_priority.ranked, limits_from.clinical_priority.ranked, strict=False
    ):
        pairs.append((rule.cap_days, round(base_rule.cap_days * bounds.cap_max_multiplier, 2)))
    return pairs


def check_factors(rule_set: RuleSet, factors: Iterable[str]) -> None:
    """Raise :class:`ScaleProblem` for a factor the calibration may not scale."""
    for factor in factors:
        if factor not in SCALABLE_FACTORS:
            raise ScaleProblem(factor, f"not a factor calibration scales ({SCALABLE_FACTORS})")
        if not getattr(rule_set, factor).enabled:
            raise ScaleProblem(factor, "is not enabled in the rules in force; enable it first")
        if factor == "ethnicity":
            eth = rule_set.ethnicity
            if not (eth.approved_by and eth.evidence_reference):
                raise ScaleProblem(
                    factor, "its governance (evidence reference and approval) is not recorded"
                )


def max_multiplier(
    rule_set: RuleSet, limits_from: RuleSet, bounds: RuleBounds, factors: Iterable[str]
) -> float:
    """The largest multiplier before any scaled number other than zero reaches its bound."""
    ratios = [bound / value for value, bound in _pairs(rule_set, limits_from, bounds, factors)
              if value > 0]  # fmt: skip
    return min([MAX_MULTIPLIER, *ratios])


def _scaled(
    values: Mapping[Any, float],
    m: float,
    limits: Mapping[Any, float],
    bounds: RuleBounds,
    unlisted_default: float | None,
) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in values.items():
        base = limits.get(key, unlisted_default)
        out[str(key)] = min(_floor2(value * m), _limit(base, bounds))
    return out


def scale_rule_set(
    rule_set: RuleSet,
    multiplier: float,
    *,
    factors: Iterable[str],
    limits_from: RuleSet,
    bounds: RuleBounds,
    version: str | None = None,
) -> RuleSet:
    """``rule_set`` with the uplifts of ``factors`` and every priority's cap times
    ``multiplier``, each rounded down to 2 decimals and clipped to its bound
    (``limits_from``'s value times the bounds' multiplier). Other numbers are unchanged."""
    if not (math.isfinite(multiplier) and multiplier >= 0):
        raise ValueError(f"multiplier must be a finite number ≥ 0, got {multiplier!r}")
    chosen = set(factors)
    m = multiplier
    doc = rule_set.model_dump(mode="json")
    if "deprivation" in chosen:
        doc["deprivation"]["decile_uplift_days"] = _scaled(
            rule_set.deprivation.decile_uplift_days, m,
            limits_from.deprivation.decile_uplift_days, bounds, 0.0,
        )  # fmt: skip
    if "inclusion" in chosen:
        doc["inclusion"]["uplift_days"] = _scaled(
            rule_set.inclusion.uplift_days, m, limits_from.inclusion.uplift_days, bounds, None
        )
    if "core20" in chosen:
        doc["core20"]["uplift_days"] = min(
            _floor2(rule_set.core20.uplift_days * m),
            _limit(limits_from.core20.uplift_days, bounds),
        )
    if "ethnicity" in chosen:
        for name in ("category_uplift_days", "group_uplift_days"):
            doc["ethnicity"][name] = _scaled(
                getattr(rule_set.ethnicity, name), m,
                getattr(limits_from.ethnicity, name), bounds, None,
            )  # fmt: skip
    bases = limits_from.clinical_priority.ranked
    for i, rule in enumerate(rule_set.clinical_priority.ranked):
        bound = round(bases[i].cap_days * bounds.cap_max_multiplier, 2) if i < len(bases) else 0
        doc["clinical_priority"]["ranked"][i]["cap_days"] = min(_floor2(rule.cap_days * m), bound)
    if version is not None:
        doc["version"] = version
    return RuleSet.model_validate(doc)
