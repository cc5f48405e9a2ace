"""How one rule set compares with the conventional order: the deprivation gap it closes, per
band and overall, who it delays, and the offers that failed.

Why beside the breach counts: a breach count alone can be gamed (letting not-yet-breached
patients overtake breached ones lowers it while the breached wait longer), so the delay imposed
on patients already past target is always reported with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from prioritisation.metrics import (
    DAYS_PER_WEEK,
    DeprivationGap,
    imd_quintile,
    quintile_gap,
    quintile_waits,
)
from prioritisation.simulation.cohort import NO_TARGET, Cohort

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class GapShare:
    """The share of the conventional order's Q1-Q5 gap in wait at treatment that a rule set
    closes: 1 - gap / conventional gap (1 closes it, above 1 reverses it, below 0 widens it).
    None when the conventional gap is not positive or either gap is unknown."""

    mean: float | None
    median: float | None


@dataclass(frozen=True, slots=True)
class BandGap:
    """One priority band's Q1-Q5 gap in wait at treatment (weeks) and its share closed."""

    priority_code: str
    treated: int
    mean_weeks: float | None
    median_weeks: float | None
    closed: GapShare | None


@dataclass(frozen=True, slots=True)
class DelayVersusConventional:
    """Patients the rule set treats later than the conventional order does.

    Among patients treated under both: the largest delay (weeks), and the largest for those
    who were past their priority target when the conventional order treated them, with how
    many of those were treated later. ``not_treated``: treated within the horizon by the
    conventional order but not by this rule set (``not_treated_past_target`` of them past
    their target by the end).
    """

    treated_in_both: int
    max_delay_weeks: float | None
    max_delay_past_target_weeks: float | None
    past_target_treated_later: int
    not_treated: int
    not_treated_past_target: int


@dataclass(frozen=True, slots=True)
class OfferSummary:
    """Offers made and how they failed; mean weeks unavailable (after deferrals) of the
    patients treated, per IMD quintile (the part of a wait no ordering can reach); support
    given (a patient supported in two weeks counts twice), per IMD quintile."""

    offers: int
    declined: int
    deferred: int
    unavailable_weeks_by_imd_quintile: dict[str, float | None]
    supported: int = 0
    supported_by_imd_quintile: dict[str, int] | None = None


def gap_share(gap: DeprivationGap, conventional: DeprivationGap) -> GapShare:
    def share(mine: float | None, base: float | None) -> float | None:
        if mine is None or base is None or base <= 0:
            return None
        return 1.0 - mine / base

    return GapShare(
        share(gap.mean_weeks, conventional.mean_weeks),
        share(gap.median_weeks, conventional.median_weeks),
    )


def band_gaps(
    cohort: Cohort,
    treated_rows: IntArray,
    treated_waits: IntArray,
    conventional: list[BandGap] | None,
) -> list[BandGap]:
    """Per priority code with a target or P4 (every code treated), in clinical order."""
    base = {g.priority_code: g for g in conventional or []}
    codes = cohort.priority_code[treated_rows]
    out = []
    for code in cohort.priority_order:
        mine = codes == code
        if not mine.any() and code not in base:
            continue
        grouped = quintile_waits(treated_waits[mine], cohort.imd_decile[treated_rows][mine])
        gap = quintile_gap(grouped)
        before = base.get(code)
        closed = None
        if before is not None:
            closed = gap_share(
                gap,
                DeprivationGap(0, 0, before.median_weeks, before.mean_weeks, None, None, None),
            )
        out.append(BandGap(code, int(mine.sum()), gap.mean_weeks, gap.median_weeks, closed))
    return out


def delays(
    cohort: Cohort,
    mine_wait: IntArray,
    conventional_wait: IntArray,
    waiting_at_end: BoolArray,
    end_waits: IntArray,
) -> DelayVersusConventional:
    """``*_wait``: days to treatment per row (-1: not treated); ``end_waits``: each row's wait
    on the end date (used for those still waiting)."""
    both = (mine_wait >= 0) & (conventional_wait >= 0)
    delay = (mine_wait - conventional_wait)[both]
    target = cohort.target_days[both]
    late = (target != NO_TARGET) & (conventional_wait[both] > target)
    dropped = (conventional_wait >= 0) & (mine_wait < 0)
    has_target = cohort.target_days != NO_TARGET
    dropped_late = dropped & has_target & waiting_at_end & (end_waits > cohort.target_days)

    def weeks(values: IntArray) -> float | None:
        return float(values.max()) / DAYS_PER_WEEK if values.size else None

    return DelayVersusConventional(
        treated_in_both=int(both.sum()),
        max_delay_weeks=weeks(delay),
        max_delay_past_target_weeks=weeks(delay[late]),
        past_target_treated_later=int((delay[late] > 0).sum()),
        not_treated=int(dropped.sum()),
        not_treated_past_target=int(dropped_late.sum()),
    )


def offer_summary(
    cohort: Cohort,
    *,
    treated_rows: IntArray,
    offers: IntArray,
    deferrals: IntArray,
    treated: int,
    unavailable_days: IntArray,
    supported: IntArray | None = None,
) -> OfferSummary:
    quintile = imd_quintile(cohort.imd_decile[treated_rows])
    days = unavailable_days[treated_rows].astype(np.float64)
    means: dict[str, float | None] = {}
    for q, label in [(1, "1"), (2, "2"), (3, "3"), (4, "4"), (5, "5"), (0, "unknown")]:
        picked = days[quintile == q]
        means[label] = float(picked.mean()) / DAYS_PER_WEEK if picked.size else None
    total, deferred = int(offers.sum()), int(deferrals.sum())
    if supported is None:
        return OfferSummary(total, total - deferred - treated, deferred, means)
    by_quintile = np.bincount(imd_quintile(cohort.imd_decile), weights=supported, minlength=6)
    labels = ["unknown", "1", "2", "3", "4", "5"]
    return OfferSummary(
        total,
        total - deferred - treated,
        deferred,
        means,
        int(supported.sum()),
        {label: int(by_quintile[i]) for i, label in sorted(enumerate(labels), key=_quintile_key)},
    )


def _quintile_key(item: tuple[int, str]) -> int:
    """Quintiles 1-5 first, unknown last."""
    return item[0] if item[0] else 6
