"""Guardrails: the ranges of wait that decide how far equity uplift may reorder an entry.

Why ranges of wait instead of a bigger score: within a list and priority band the entries are
split into contiguous ranges of wait, longest first, and between ranges the order is exactly
the conventional one; equity reorders only inside the ranges where nobody can be pushed across
a threshold. "Nobody approaching a target or long-wait threshold is placed behind a shorter
wait" is then true by construction of the sort key, whatever the numbers in a rule document.

Ranges, in rank order within a band (docs/scoring.md §4):

- ``long_wait``: wait >= first long-wait threshold - long-wait margin (330 days by default),
  ordered by wait alone;
- ``last_chance`` (only when the list's weekly capacity is known): within next week's reach in
  conventional order and would pass its target within 7 days, ordered by wait alone;
- ``past_target``: past the priority target, below the long-wait range, ordered by score;
- ``target_margin``: target - margin <= wait <= target, ordered by wait alone;
- ``routine``: everyone else, ordered by score.

Week counting follows the RTT guidance: the 0-1 week band is days 0-7, so an entry has waited
W whole weeks from day 7W + 1 (52 weeks = day 365, 104 weeks = day 729).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from prioritisation.scoring import BoolArray, IntArray, RuleIndex
from prioritisation.tables import NO_TARGET, RuleTables

RANGES: Final = ("long_wait", "last_chance", "past_target", "target_margin", "routine")
"""The ranges of a band in rank order; their index is the range's sort key."""
WAIT_ORDERED: Final = frozenset({"long_wait", "last_chance", "target_margin"})
"""Ranges ordered by wait alone: their entries are *protected*."""
LAST_CHANCE_DAYS: Final = 7
"""An entry within reach is last-chance when its wait + 7 days would pass its target."""
LAST_CHANCE = "last_chance"


def rtt_weeks(wait_days: IntArray) -> IntArray:
    """Whole weeks waited as RTT reporting counts them: 0 for days 0-7, W for 7W+1 .. 7W+7."""
    return np.maximum((wait_days - 1) // 7, 0)


def breach_day(weeks: int) -> int:
    """The first wait (in days) that counts as ``weeks`` whole weeks."""
    return 7 * weeks + 1


def reason_names(long_wait_weeks: tuple[int, ...]) -> tuple[str, ...]:
    """Reason codes from least to most serious; a later reason wins when several apply.

    The reason names the range: every ``*_week*`` reason is the long-wait range,
    ``last_chance`` the last-chance range, ``past_priority_target`` the past-target range,
    ``within_priority_target_margin`` the target margin and ``""`` the routine range.
    """
    return (
        "",
        "within_priority_target_margin",
        "past_priority_target",
        LAST_CHANCE,
        *(f"within_{w}_week_margin" for w in long_wait_weeks),
        *(f"past_{w}_weeks" for w in long_wait_weeks),
    )


def range_of(reason: str) -> str:
    """The range an entry with this reason code sits in (parked entries have reason "")."""
    if reason == "":
        return "routine"
    if reason == "within_priority_target_margin":
        return "target_margin"
    if reason == "past_priority_target":
        return "past_target"
    if reason == LAST_CHANCE:
        return LAST_CHANCE
    return "long_wait"


@dataclass(frozen=True, slots=True)
class Protection:
    """Each entry's reason code (index into ``reason_names``), its range and protection."""

    reason: NDArray[np.int16]
    reason_names: tuple[str, ...]
    range_index: IntArray
    """Index into ``RANGES`` per entry (parked entries: ``routine``, never used)."""

    @property
    def protected(self) -> BoolArray:
        """In a range ordered by wait alone (long-wait, last-chance, target margin)."""
        wait_ordered = np.array([name in WAIT_ORDERED for name in RANGES], np.bool_)
        protected: BoolArray = wait_ordered[self.range_index]
        return protected

    def reason_strings(self) -> NDArray[np.str_]:
        return np.array(self.reason_names, dtype=str)[self.reason]

    def with_last_chance(self, last_chance: BoolArray) -> Protection:
        """The same with ``last_chance`` entries (never long-wait ones) moved to that range."""
        reason = self.reason.copy()
        reason[last_chance] = np.int16(self.reason_names.index(LAST_CHANCE))
        return Protection(reason, self.reason_names, _ranges(reason, self.reason_names))


def _ranges(reason: NDArray[np.int16], names: tuple[str, ...]) -> IntArray:
    lookup = np.array([RANGES.index(range_of(name)) for name in names], np.int64)
    ranges: IntArray = lookup[reason]
    return ranges


def protection(
    *,
    index: RuleIndex,
    tables: RuleTables,
    wait_days: IntArray,
    parked: BoolArray,
) -> Protection:
    """Each entry's reason code on the census date, before any last-chance entries are known.

    - long-wait range: passed a long-wait threshold of W weeks (wait >= 7W + 1), or within
      the long-wait margin before one (7W + 1 - margin <= wait < 7W + 1);
    - otherwise past its priority target (wait > target), or within the margin before it
      (target - margin <= wait <= target).

    Parked entries get "" (they are not ranked).
    """
    names = reason_names(tables.long_wait_weeks)
    code = {name: np.int16(i) for i, name in enumerate(names)}
    reason = np.zeros(len(wait_days), np.int16)
    target = index.by_priority(tables.priority.target_days)
    margin = index.by_priority(tables.priority.margin_days)
    long_margin = index.per_set(tables.long_wait_margin_days)

    def mark(mask: BoolArray, name: str) -> None:
        np.copyto(reason, code[name], where=mask)

    mark((wait_days >= target - margin) & (wait_days <= target), "within_priority_target_margin")
    mark(wait_days > target, "past_priority_target")
    weeks = tables.long_wait_weeks
    if weeks and tables.long_wait_applies.all():
        # Every rule set uses every threshold: one search finds the thresholds passed.
        days = np.array([breach_day(w) for w in weeks], np.int64)
        passed = np.searchsorted(days, wait_days, side="right")
        past = np.array([0, *(code[f"past_{w}_weeks"] for w in weeks)], np.int16)[passed]
        np.copyto(reason, past, where=passed > 0)
        next_day = days[np.minimum(passed, len(weeks) - 1)]
        near = (passed == 0) & (wait_days >= next_day - long_margin)
        mark(near, f"within_{weeks[0]}_week_margin")
    else:
        for j, w in enumerate(weeks):
            applies = index.per_set(tables.long_wait_applies[:, j])
            day = breach_day(w)
            mark(
                applies & (wait_days >= day - long_margin) & (wait_days < day),
                f"within_{w}_week_margin",
            )
        for j, w in enumerate(weeks):
            applies = index.per_set(tables.long_wait_applies[:, j])
            mark(applies & (wait_days >= breach_day(w)), f"past_{w}_weeks")
    reason[parked] = 0
    return Protection(reason, names, _ranges(reason, names))


def last_chance_candidates(
    *, index: RuleIndex, tables: RuleTables, wait_days: IntArray, guard: Protection
) -> BoolArray:
    """Entries that would pass their priority target within 7 days if not booked now
    (target - 7 < wait <= target), and are not in the long-wait range."""
    target = index.by_priority(tables.priority.target_days)
    has_target = target != NO_TARGET
    long_wait = guard.range_index == RANGES.index("long_wait")
    candidates: BoolArray = (
        has_target & (wait_days > target - LAST_CHANCE_DAYS) & (wait_days <= target) & ~long_wait
    )
    return candidates
