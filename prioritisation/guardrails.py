"""Protection: entries near or past a target that equity uplift may never push back.

Why a separate tier instead of a bigger score: "within its priority, no unprotected entry is
ever ranked ahead of a protected one" is then true by construction of the sort key, whatever
the uplifts, rather than a property that depends on the numbers in a rule document. Inside the
tier entries are ordered by wait, not score (``ordering.order_score``), so uplift cannot
reorder protected entries among themselves either.

Week counting follows the RTT guidance: the 0-1 week band is days 0-7, so an entry has waited
W whole weeks from day 7W + 1 (52 weeks = day 365, 104 weeks = day 729).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from prioritisation.scoring import BoolArray, IntArray, RuleIndex
from prioritisation.tables import RuleTables


def rtt_weeks(wait_days: IntArray) -> IntArray:
    """Whole weeks waited as RTT reporting counts them: 0 for days 0-7, W for 7W+1 .. 7W+7."""
    return np.maximum((wait_days - 1) // 7, 0)


def breach_day(weeks: int) -> int:
    """The first wait (in days) that counts as ``weeks`` whole weeks."""
    return 7 * weeks + 1


@dataclass(frozen=True, slots=True)
class Protection:
    """Whether each entry is protected and the most serious reason (index into names)."""

    protected: BoolArray
    reason: NDArray[np.int16]
    reason_names: tuple[str, ...]

    def reason_strings(self) -> NDArray[np.str_]:
        return np.array(self.reason_names, dtype=str)[self.reason]


def reason_names(long_wait_weeks: tuple[int, ...]) -> tuple[str, ...]:
    """Reason codes from least to most serious; a later reason wins when several apply."""
    return (
        "",
        "within_priority_target_margin",
        *(f"within_{w}_week_margin" for w in long_wait_weeks),
        "past_priority_target",
        *(f"past_{w}_weeks" for w in long_wait_weeks),
    )


def protection(
    *,
    index: RuleIndex,
    tables: RuleTables,
    wait_days: IntArray,
    parked: BoolArray,
) -> Protection:
    """Protect an entry when, on the census date:

    - it is past its priority target (wait > target days), or within the margin before it
      (target - margin <= wait <= target); or
    - it has passed a long-wait threshold of W weeks (wait >= 7W + 1), or is within the
      long-wait margin before one (7W + 1 - margin <= wait < 7W + 1).

    Parked entries are never protected (they are not ranked).
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
    for j, weeks in enumerate(tables.long_wait_weeks):
        applies = index.per_set(tables.long_wait_applies[:, j])
        day = breach_day(weeks)
        mark(
            applies & (wait_days >= day - long_margin) & (wait_days < day),
            f"within_{weeks}_week_margin",
        )
    mark(wait_days > target, "past_priority_target")
    for j, weeks in enumerate(tables.long_wait_weeks):
        applies = index.per_set(tables.long_wait_applies[:, j])
        mark(applies & (wait_days >= breach_day(weeks)), f"past_{weeks}_weeks")
    reason[parked] = 0
    return Protection(reason > 0, reason, names)
