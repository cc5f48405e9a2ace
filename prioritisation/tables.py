"""Compile a rule book into small lookup tables indexed by (rule set, input code).

Why: every rule is then applied to a million entries by one fancy-indexing gather
(``table[rule_set_index, code_index]``) instead of per-row dictionary lookups. Tables are
built against the distinct codes actually present in the input, so they stay tiny.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from prioritisation.codes import NEUTRAL_ETHNIC_CATEGORIES, NEUTRAL_ETHNIC_GROUPS
from prioritisation.rules import FlagFactorRules, RuleSet, to_basis_points, to_centidays

IntTable = NDArray[np.int64]
NO_TARGET = 1 << 40
"""Target days used for priorities without a target: beyond any possible wait."""
PARKED = -1
UNKNOWN = -2


@dataclass(frozen=True, slots=True)
class PriorityTables:
    """Per (rule set, distinct priority code in the input)."""

    position: IntTable
    effective_code: NDArray[np.str_]
    target_days: IntTable
    margin_days: IntTable
    scale_bp: IntTable
    cap_cents: IntTable


@dataclass(frozen=True, slots=True)
class FlagTables:
    """Per (rule set, flag column of the input matrix), plus whether the factor sums."""

    cents: IntTable
    sums: NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class RuleTables:
    """Everything the vectorised scorer and guardrails need, as arrays."""

    rule_sets: tuple[RuleSet, ...]
    priority: PriorityTables
    parked_status: NDArray[np.bool_]
    decile_cents: IntTable
    measures: tuple[str, ...]
    deprivation_enabled: NDArray[np.bool_]
    core20_cents: IntTable
    inclusion: FlagTables
    clinical_area: FlagTables
    long_wait_weeks: tuple[int, ...]
    long_wait_applies: NDArray[np.bool_]
    long_wait_margin_days: IntTable


def _priority_tables(rule_sets: Sequence[RuleSet], codes: Sequence[str]) -> PriorityTables:
    shape = (len(rule_sets), len(codes))
    position = np.full(shape, UNKNOWN, np.int64)
    effective = np.full(shape, "", dtype="<U3")
    target = np.full(shape, NO_TARGET, np.int64)
    margin, scale, cap = (np.zeros(shape, np.int64) for _ in range(3))
    for r, rule_set in enumerate(rule_sets):
        cp = rule_set.clinical_priority
        ranked = [rule.code for rule in cp.ranked]
        for c, code in enumerate(codes):
            if code in cp.parked_codes:
                position[r, c], effective[r, c] = PARKED, code
                continue
            rule = cp.rule_for(code)
            if rule is None:
                continue
            position[r, c] = ranked.index(rule.code)
            effective[r, c] = rule.code
            if rule.target_days is not None:
                target[r, c] = rule.target_days
            margin[r, c] = rule.target_margin_days
            scale[r, c] = to_basis_points(rule.uplift_scale)
            cap[r, c] = to_centidays(rule.cap_days)
    return PriorityTables(position, effective, target, margin, scale, cap)


def _flag_tables(rule_sets: Sequence[RuleSet], factor: str, columns: Sequence[str]) -> FlagTables:
    cents = np.zeros((len(rule_sets), len(columns)), np.int64)
    sums = np.zeros(len(rule_sets), np.bool_)
    for r, rule_set in enumerate(rule_sets):
        rules: FlagFactorRules = getattr(rule_set, factor)
        sums[r] = rules.combine == "sum"
        if rules.enabled:
            for k, code in enumerate(columns):
                cents[r, k] = to_centidays(rules.uplift_days.get(code, 0.0))
    return FlagTables(cents, sums)


def ethnicity_table(
    rule_sets: Sequence[RuleSet], categories: Sequence[str], groups: Sequence[str]
) -> IntTable:
    """Uplift (centidays, P4 scale) per (rule set, category, group); a category's own uplift
    wins over its group's; not stated / not known / blank is always 0."""
    table = np.zeros((len(rule_sets), len(categories), len(groups)), np.int64)
    for r, rule_set in enumerate(rule_sets):
        eth = rule_set.ethnicity
        if not eth.enabled:
            continue
        for c, category in enumerate(categories):
            for g, group in enumerate(groups):
                if category in NEUTRAL_ETHNIC_CATEGORIES or group in NEUTRAL_ETHNIC_GROUPS:
                    continue
                days = eth.category_uplift_days.get(category, eth.group_uplift_days.get(group, 0))
                table[r, c, g] = to_centidays(days)
    return table


def build_tables(
    rule_sets: Sequence[RuleSet],
    *,
    priority_codes: Sequence[str],
    rtt_statuses: Sequence[str],
    inclusion_columns: Sequence[str],
    clinical_area_columns: Sequence[str],
) -> RuleTables:
    """Tables for ``rule_sets`` (row r = rule set r) against the input's distinct codes."""
    count = len(rule_sets)
    deciles = np.zeros((count, 11), np.int64)
    for r, rule_set in enumerate(rule_sets):
        if rule_set.deprivation.enabled:
            for decile, days in rule_set.deprivation.decile_uplift_days.items():
                deciles[r, decile] = to_centidays(days)
    weeks = tuple(sorted({w for rs in rule_sets for w in rs.guardrails.long_wait_weeks}))
    return RuleTables(
        rule_sets=tuple(rule_sets),
        priority=_priority_tables(rule_sets, priority_codes),
        parked_status=np.array(
            [
                [s in rs.clinical_priority.parked_rtt_statuses for s in rtt_statuses]
                for rs in rule_sets
            ],
            dtype=np.bool_,
        ).reshape(count, len(rtt_statuses)),
        decile_cents=deciles,
        measures=tuple(rs.deprivation.imd_measure for rs in rule_sets),
        deprivation_enabled=np.array([rs.deprivation.enabled for rs in rule_sets], np.bool_),
        core20_cents=np.array(
            [to_centidays(rs.core20.uplift_days) if rs.core20.enabled else 0 for rs in rule_sets],
            np.int64,
        ),
        inclusion=_flag_tables(rule_sets, "inclusion", inclusion_columns),
        clinical_area=_flag_tables(rule_sets, "clinical_area", clinical_area_columns),
        long_wait_weeks=weeks,
        long_wait_applies=np.array(
            [[w in rs.guardrails.long_wait_weeks for w in weeks] for rs in rule_sets], np.bool_
        ).reshape(count, len(weeks)),
        long_wait_margin_days=np.array(
            [rs.guardrails.long_wait_margin_days for rs in rule_sets], np.int64
        ),
    )
