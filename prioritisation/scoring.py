"""Vectorised score components, in exact integer hundredths of a day ("centidays").

Why integers: every component is rounded once, to 0.01 day, by an integer formula any
reimplementation can reproduce bit for bit; the score is then the exact integer sum of its
components, so components always sum to the score and ties are real ties.

    scaled(u) = floor((u_centidays × scale_basis_points + 5000) / 10000)

rounds half up. The cap is applied to the sum of the scaled equity components.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np
from numpy.typing import NDArray

from prioritisation.codes import (
    CORE20_DECILES,
    ETHNIC_CATEGORIES,
    ETHNIC_GROUPS,
    NEUTRAL_ETHNIC_CATEGORIES,
    NEUTRAL_ETHNIC_GROUPS,
)
from prioritisation.inputs import Int8Array
from prioritisation.tables import FlagTables, RuleTables, ethnicity_table

if TYPE_CHECKING:
    from prioritisation.coded import CodedColumn, FlagCombinations

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
T = TypeVar("T", bound=np.generic)

EQUITY_COMPONENTS = ("deprivation", "ethnicity", "core20", "inclusion", "clinical_area")
COMPONENTS = ("wait", *EQUITY_COMPONENTS, "cap", "override")
"""Every component of the score, in the order they are reported; they sum to the score."""


@dataclass(frozen=True, slots=True)
class RuleIndex:
    """Which rule set (row of every table) applies to each entry."""

    rows: IntArray
    count: int
    priority_flat: IntArray
    """``rows * n_priority_codes + priority_code``: one index into any (rule set, priority)
    table, so each such lookup is a single 1-D gather."""

    @classmethod
    def build(cls, rows: IntArray, count: int, priority: IntArray, n_priority: int) -> RuleIndex:
        return cls(rows, count, rows * n_priority + priority)

    def by_priority(self, table: NDArray[T]) -> NDArray[T]:
        """``table[rule_set, priority]`` per entry."""
        picked: NDArray[T] = table.ravel()[self.priority_flat]
        return picked

    def pick(self, table: NDArray[T], codes: IntArray) -> NDArray[T]:
        """``table[rule_set, code]`` per entry, cheaply when only one rule set applies."""
        picked: NDArray[T] = table[0][codes] if self.count == 1 else table[self.rows, codes]
        return picked

    def per_set(self, values: NDArray[T]) -> NDArray[T]:
        """``values[rule_set]`` per entry."""
        if self.count == 1:
            return np.full(len(self.rows), values[0], dtype=values.dtype)
        return values[self.rows]


def scale_centidays(raw: IntArray, scale_bp: IntArray) -> IntArray:
    """P4-scale uplift → the entry's priority scale, rounded half up to 0.01 day."""
    return (raw * scale_bp + 5000) // 10000


def _flag_uplift(index: RuleIndex, flags: FlagCombinations, tables: FlagTables) -> IntArray:
    """Max (or sum) of the flagged uplifts, computed once per flag combination and rule set."""
    selected = flags.table.astype(np.int64)  # (combinations, columns)
    per_flag = tables.cents[:, None, :] * selected[None, :, :]  # (sets, combinations, columns)
    best = per_flag.max(axis=2, initial=0)
    total = per_flag.sum(axis=2)
    table = np.where(tables.sums[:, None], total, best)
    return index.pick(table, flags.codes)


def _deprivation_raw(
    index: RuleIndex,
    tables: RuleTables,
    overall: Int8Array,
    domains: Mapping[str, Int8Array],
) -> IntArray:
    raw = np.zeros(len(index.rows), np.int64)
    for measure in sorted(set(tables.measures)):
        uses = np.array([m == measure for m in tables.measures]) & tables.deprivation_enabled
        if not uses.any():
            continue
        if measure == "overall":
            deciles = overall
        elif measure in domains:
            deciles = domains[measure]
        else:
            affected = uses[index.rows]
            if not affected.any():
                continue
            raise ValueError(
                f"rule set(s) {[tables.rule_sets[r].rule_set_id for r in np.flatnonzero(uses)]} "
                f"weight by the IMD {measure!r} domain but the input has no {measure} deciles"
            )
        values = index.pick(tables.decile_cents, deciles.astype(np.intp))
        raw = values if uses.all() else np.where(uses[index.rows], values, raw)
    return raw


def _check_ethnicity_codes(categories: list[str], groups: list[str]) -> None:
    """An unknown category or group is an error, never a silent uplift (or a silent 0)."""
    unknown = {
        "ethnic_category": sorted(
            set(categories) - set(ETHNIC_CATEGORIES) - NEUTRAL_ETHNIC_CATEGORIES
        ),
        "ethnic_group": sorted(set(groups) - set(ETHNIC_GROUPS) - NEUTRAL_ETHNIC_GROUPS),
    }
    found = [f"{name} {codes}" for name, codes in unknown.items() if codes]
    if found:
        raise ValueError(
            f"unknown {' and '.join(found)} on entries whose rule set uses ethnicity; "
            "map them to NHS Data Dictionary codes (or Z/99) before ranking"
        )


def _ethnicity_raw(
    index: RuleIndex, tables: RuleTables, category: CodedColumn, group: CodedColumn
) -> IntArray:
    """Only the entries whose rule set switches ethnicity on are looked at (usually none)."""
    raw = np.zeros(len(index.rows), np.int64)
    enabled = np.array([rs.ethnicity.enabled for rs in tables.rule_sets], np.bool_)
    if not enabled.any():
        return raw
    rows = np.flatnonzero(enabled[index.rows])
    used_category, used_group = category.take(rows), group.take(rows)
    _check_ethnicity_codes(used_category.present(), used_group.present())
    table = ethnicity_table(tables.rule_sets, category.values.tolist(), group.values.tolist())
    raw[rows] = table[index.rows[rows], used_category.codes, used_group.codes]
    return raw


@dataclass(frozen=True, slots=True)
class ScoreParts:
    """The components (centidays) and the cap's effect, aligned with the input."""

    components: dict[str, IntArray]
    uplift_uncapped: IntArray
    capped: BoolArray
    score: IntArray


def score_parts(
    *,
    index: RuleIndex,
    tables: RuleTables,
    wait_days: IntArray,
    imd_decile: Int8Array,
    imd_domain_deciles: Mapping[str, Int8Array],
    ethnic_category: CodedColumn,
    ethnic_group: CodedColumn,
    inclusion: FlagCombinations,
    clinical_areas: FlagCombinations,
    override_cents: IntArray,
    parked: BoolArray,
) -> ScoreParts:
    """Every component for every entry; parked entries get scale 0, so no uplift and no cap."""
    scale = np.where(parked, 0, index.by_priority(tables.priority.scale_bp))
    cap = np.where(parked, 0, index.by_priority(tables.priority.cap_cents))
    core20 = np.isin(imd_decile, CORE20_DECILES)
    raw = {
        "deprivation": _deprivation_raw(index, tables, imd_decile, imd_domain_deciles),
        "ethnicity": _ethnicity_raw(index, tables, ethnic_category, ethnic_group),
        "core20": np.where(core20, index.per_set(tables.core20_cents), 0),
        "inclusion": _flag_uplift(index, inclusion, tables.inclusion),
        "clinical_area": _flag_uplift(index, clinical_areas, tables.clinical_area),
    }
    components: dict[str, IntArray] = {"wait": wait_days.astype(np.int64) * 100}
    uncapped = np.zeros(len(scale), np.int64)
    for name in ("deprivation", "ethnicity", "core20", "inclusion", "clinical_area"):
        components[name] = scale_centidays(raw[name], scale)
        uncapped += components[name]
    excess = np.maximum(uncapped - cap, 0)
    components["cap"] = -excess
    components["override"] = override_cents
    score = components["wait"] + uncapped - excess + override_cents
    return ScoreParts(components, uncapped, excess > 0, score)
