"""What one simulated rule set did: waits at treatment by group, the list left at the end,
priority-target breaches, and the change for every group against the conventional order.

Every statistic comes from ``prioritisation.metrics`` (nearest-rank percentiles, RTT week
bands), so a simulated figure and the live equity report mean exactly the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from prioritisation.codes import ETHNIC_GROUPS
from prioritisation.metrics import (
    OVER_18_WEEKS_DAYS,
    DeprivationGap,
    WaitStats,
    labelled_waits,
    over_weeks_days,
    overall_waits,
    quintile_gap,
    quintile_waits,
)
from prioritisation.simulation.cohort import NO_TARGET, Cohort
from prioritisation.simulation.comparison import (
    BandGap,
    DelayVersusConventional,
    GapShare,
    OfferSummary,
    band_gaps,
    delays,
    gap_share,
    offer_summary,
)

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
StrArray = NDArray[np.str_]

IMD_QUINTILE_LABELS = ("1", "2", "3", "4", "5", "unknown")
"""Output order; quintile 1 is the most deprived. ``unknown``: no IMD decile."""
ETHNIC_GROUP_LABELS = (*ETHNIC_GROUPS, "not_stated", "not_known", "unknown")
"""Broad groups in output order; ``unknown``: the category maps to no group."""


@dataclass(frozen=True, slots=True)
class WeekPoint:
    """The ranked list on one week's date, before that week's treatments.

    The last point (week = horizon) is the list at the end: no treatments are booked then.
    """

    week: int
    date: date
    waiting: int
    over_18_weeks: int
    over_52_weeks: int
    treated: int


@dataclass(frozen=True, slots=True)
class PriorityBreaches:
    """Entries of one priority treated (waiting at the end) after waiting beyond its target.

    ``target_days`` is the default rule set's target; each entry is judged against the target
    of its own specialty's rule set. None: the priority has no target (P4).
    """

    priority_code: str
    target_days: int | None
    treated: int
    treated_over_target: int | None
    waiting: int
    waiting_over_target: int | None


@dataclass(frozen=True, slots=True)
class EndOfHorizon:
    """The ranked (not parked) list left on the end date and its 18-week performance."""

    date: date
    waiting: int
    parked: int
    within_18_weeks_pct: float | None
    over_52_weeks: int
    over_65_weeks: int
    over_78_weeks: int
    by_imd_quintile: dict[str, WaitStats]
    by_ethnic_group: dict[str, WaitStats]
    deprivation_gap: DeprivationGap


@dataclass(frozen=True, slots=True)
class GroupChange:
    """A group's wait at treatment under a rule set minus under the conventional order, in
    weeks (positive: the group waits longer). None when the group was not treated in both."""

    dimension: str
    group: str
    count: int
    median_change_weeks: float | None
    p92_change_weeks: float | None


@dataclass(frozen=True, slots=True)
class RuleSetOutcome:
    """Everything reported for one rule set over the horizon."""

    name: str
    treated: WaitStats
    treated_within_18_weeks_pct: float | None
    treated_by_imd_quintile: dict[str, WaitStats]
    treated_by_ethnic_group: dict[str, WaitStats]
    deprivation_gap: DeprivationGap
    end: EndOfHorizon
    priority_breaches: list[PriorityBreaches]
    treated_over_target: int
    waiting_over_target: int
    versus_conventional: list[GroupChange]
    largest_increase: GroupChange | None
    weekly: list[WeekPoint]
    gap_closed: GapShare | None
    """Share of the conventional Q1-Q5 gap in wait at treatment closed (None: conventional)."""
    gap_by_priority: list[BandGap]
    long_waiters: int
    """Patients treated after more than 52 weeks, or still waiting past 52 weeks at the end."""
    delay: DelayVersusConventional | None
    offers: OfferSummary
    weeks_past_target: float = 0.0
    """Weeks beyond their priority's target, summed over every pathway with a target treated
    or still waiting at the end: how far past target, not just how many."""
    weeks_over_52: float = 0.0
    """Weeks beyond 52, summed over every pathway treated or still waiting at the end."""


def ethnic_labels(ethnic_group: StrArray) -> StrArray:
    """The broad group, with "" (no group) as ``unknown``."""
    return np.where(ethnic_group == "", "unknown", ethnic_group).astype(str)


def _by_quintile(
    waits: IntArray, deciles: NDArray[np.int8]
) -> tuple[dict[str, WaitStats], DeprivationGap]:
    grouped = quintile_waits(waits, deciles)
    stats = {label: grouped.stats(i + 1) for i, label in enumerate(IMD_QUINTILE_LABELS[:5])}
    stats["unknown"] = grouped.stats(0)
    return stats, quintile_gap(grouped)


def _pct(mask: BoolArray) -> float | None:
    return float(100.0 * mask.mean()) if mask.size else None


def _breaches(
    cohort: Cohort,
    treated_rows: IntArray,
    treated_waits: IntArray,
    waiting_rows: IntArray,
    waiting_waits: IntArray,
) -> list[PriorityBreaches]:
    def late(rows: IntArray, waits: IntArray, code: str) -> tuple[int, int | None]:
        mine = cohort.priority_code[rows] == code
        target = cohort.target_days[rows][mine]
        has_target = target != NO_TARGET
        if not has_target.any():
            return int(mine.sum()), None
        return int(mine.sum()), int((has_target & (waits[mine] > target)).sum())

    present = set(np.unique(cohort.priority_code[np.concatenate([treated_rows, waiting_rows])]))
    codes = [c for c in cohort.priority_order if c in present or c in cohort.default_targets]
    codes += sorted(str(c) for c in present if c not in codes)
    out = []
    for code in codes:
        treated, treated_late = late(treated_rows, treated_waits, code)
        waiting, waiting_late = late(waiting_rows, waiting_waits, code)
        out.append(
            PriorityBreaches(
                code, cohort.default_targets.get(code), treated, treated_late, waiting, waiting_late
            )
        )
    return out


def _changes(
    dimension: str, mine: Mapping[str, WaitStats], conventional: Mapping[str, WaitStats]
) -> list[GroupChange]:
    def diff(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else a - b

    return [
        GroupChange(
            dimension,
            group,
            stats.count,
            diff(stats.median_weeks, conventional[group].median_weeks),
            diff(stats.p92_weeks, conventional[group].p92_weeks),
        )
        for group, stats in mine.items()
    ]


def largest_increase(changes: Sequence[GroupChange]) -> GroupChange | None:
    """The group whose median wait at treatment rises most (first in output order on ties);
    None when no group was treated under both. Its change may be zero or negative: then no
    group waits longer than under the conventional order."""
    known = [c for c in changes if c.median_change_weeks is not None]
    return max(known, key=lambda c: c.median_change_weeks or 0.0) if known else None


@dataclass(frozen=True, slots=True)
class RunFacts:
    """What a run did per cohort row: days to treatment (-1: not treated), whether still
    waiting at the end, the end-date wait, offers, deferrals and days unavailable."""

    treated_wait: IntArray
    waiting_at_end: BoolArray
    end_wait: IntArray
    parked: BoolArray
    offers: IntArray
    deferrals: IntArray
    unavailable_days: IntArray
    offered_treatments: int
    supported: IntArray | None = None
    """Support given per row (None: the run had no support)."""


def rule_set_outcome(
    name: str,
    cohort: Cohort,
    *,
    facts: RunFacts,
    end_date: date,
    weekly: list[WeekPoint],
    conventional: tuple[RuleSetOutcome, RunFacts] | None,
) -> RuleSetOutcome:
    """Summarise one rule set's run; waits are in days."""
    treated_rows = np.flatnonzero(facts.treated_wait >= 0)
    treated_waits = facts.treated_wait[treated_rows]
    waiting_rows = np.flatnonzero(facts.waiting_at_end)
    waiting_waits = facts.end_wait[waiting_rows]
    treated_quintiles, gap = _by_quintile(treated_waits, cohort.imd_decile[treated_rows])
    treated_ethnic = labelled_waits(
        treated_waits, cohort.ethnic_label[treated_rows], ETHNIC_GROUP_LABELS
    )
    end_quintiles, end_gap = _by_quintile(waiting_waits, cohort.imd_decile[waiting_rows])
    end = EndOfHorizon(
        date=end_date,
        waiting=len(waiting_rows),
        parked=int((facts.parked & (facts.treated_wait < 0)).sum()),
        within_18_weeks_pct=_pct(waiting_waits <= OVER_18_WEEKS_DAYS),
        over_52_weeks=int((waiting_waits > over_weeks_days(52)).sum()),
        over_65_weeks=int((waiting_waits > over_weeks_days(65)).sum()),
        over_78_weeks=int((waiting_waits > over_weeks_days(78)).sum()),
        by_imd_quintile=end_quintiles,
        by_ethnic_group=labelled_waits(
            waiting_waits, cohort.ethnic_label[waiting_rows], ETHNIC_GROUP_LABELS
        ),
        deprivation_gap=end_gap,
    )
    breaches = _breaches(cohort, treated_rows, treated_waits, waiting_rows, waiting_waits)
    changes: list[GroupChange] = []
    base = conventional[0] if conventional is not None else None
    if base is not None:
        changes = [
            *_changes("imd_quintile", treated_quintiles, base.treated_by_imd_quintile),
            *_changes("ethnic_group", treated_ethnic, base.treated_by_ethnic_group),
        ]
    long_wait = over_weeks_days(52)
    rows = np.concatenate([treated_rows, waiting_rows])
    waits = np.concatenate([treated_waits, waiting_waits])
    target = cohort.target_days[rows]
    past = np.where(target != NO_TARGET, np.maximum(waits - target, 0), 0)
    beyond_52 = np.maximum(waits - 52 * 7, 0)
    return RuleSetOutcome(
        name=name,
        treated=overall_waits(treated_waits),
        treated_within_18_weeks_pct=_pct(treated_waits <= OVER_18_WEEKS_DAYS),
        treated_by_imd_quintile=treated_quintiles,
        treated_by_ethnic_group=treated_ethnic,
        deprivation_gap=gap,
        end=end,
        priority_breaches=breaches,
        treated_over_target=sum(b.treated_over_target or 0 for b in breaches),
        waiting_over_target=sum(b.waiting_over_target or 0 for b in breaches),
        versus_conventional=changes,
        largest_increase=largest_increase(changes),
        weekly=weekly,
        gap_closed=gap_share(gap, base.deprivation_gap) if base is not None else None,
        gap_by_priority=band_gaps(
            cohort, treated_rows, treated_waits, base.gap_by_priority if base else None
        ),
        long_waiters=int((treated_waits > long_wait).sum() + (waiting_waits > long_wait).sum()),
        delay=(
            delays(
                cohort,
                facts.treated_wait,
                conventional[1].treated_wait,
                facts.waiting_at_end,
                facts.end_wait,
            )
            if conventional is not None
            else None
        ),
        offers=offer_summary(
            cohort,
            treated_rows=treated_rows,
            offers=facts.offers,
            deferrals=facts.deferrals,
            treated=facts.offered_treatments,
            unavailable_days=facts.unavailable_days,
            supported=facts.supported,
        ),
        weeks_past_target=float(past.sum()) / 7,
        weeks_over_52=float(beyond_52.sum()) / 7,
    )
