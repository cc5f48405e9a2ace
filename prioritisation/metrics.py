"""Wait metrics shared by the equity reports and the impact simulator (pure numpy).

Definitions (explained for equity leads in docs/metrics.md):

* A wait is ``census date - RTT clock start`` in whole days.
* Week counting follows the RTT guidance: days 0-7 are the 0-1 week band, so a wait of exactly
  126 days is still in the 17-18 week band. Hence "over 18 weeks" means ``wait_days > 126``
  and "over 52 weeks" means ``wait_days > 364`` (in general: over N weeks is ``> 7 * N`` days,
  the same boundary as ``prioritisation.guardrails.breach_day``).
* Percentiles use the **nearest-rank** method: the p-th percentile of n waits is the wait at
  1-based rank ``ceil(p * n / 100)`` in ascending order (the median is p = 50). The answer is
  always a wait some patient actually has, and "p92 <= 126 days" holds exactly when at least
  92% of pathways wait 18 weeks or less, i.e. when the constitutional standard is met.
* Statistics in weeks are the day values divided by 7 (decimal weeks, not rounded to bands), so
  a median of 18.0 weeks is 126 days and is *not* over 18 weeks.
* Shares are percentages (0-100) of the group's pathways; a group with no pathways has count 0
  and null (NaN / None) statistics.

Everything is vectorised: one stable sort by (group, wait) and ``np.bincount`` per measure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

DAYS_PER_WEEK = 7
OVER_18_WEEKS_DAYS = 18 * DAYS_PER_WEEK  # 126: a wait is over 18 weeks when days > 126
OVER_52_WEEKS_DAYS = 52 * DAYS_PER_WEEK  # 364: a wait is over 52 weeks when days > 364
MEDIAN_PERCENT = 50
P92_PERCENT = 92

UNKNOWN_QUINTILE = 0
MOST_DEPRIVED_QUINTILE = 1
LEAST_DEPRIVED_QUINTILE = 5
QUINTILE_GROUPS = 6  # 0 = unknown, 1..5

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


def over_weeks_days(weeks: int) -> int:
    """The last wait (days) that is *not* over ``weeks`` weeks: a wait over it is a breach."""
    return weeks * DAYS_PER_WEEK


def nearest_rank(count: IntArray, percent: int) -> IntArray:
    """1-based nearest rank ``ceil(percent * count / 100)``, at least 1.

    Integer arithmetic on purpose: in floating point 0.92 * 25 is 23.000000000000004, whose
    ceiling would wrongly be 24.
    """
    if not 0 < percent <= 100:
        raise ValueError(f"percent must be in 1..100, got {percent}")
    ranks: IntArray = np.maximum((percent * count + 99) // 100, 1)
    return ranks


def imd_quintile(decile: ArrayLike) -> IntArray:
    """IMD quintile from decile: ``(decile - 1) // 2 + 1``; decile 0 (unknown) gives 0."""
    deciles = np.asarray(decile, dtype=np.int64)
    if deciles.size and (deciles.min() < 0 or deciles.max() > 10):
        raise ValueError("IMD deciles must be 1..10, or 0 for unknown")
    quintiles: IntArray = np.where(deciles > 0, (deciles - 1) // 2 + 1, UNKNOWN_QUINTILE)
    return quintiles


@dataclass(frozen=True, slots=True)
class WaitStats:
    """One group's wait statistics; every statistic is None when the group is empty."""

    count: int
    median_days: int | None
    median_weeks: float | None
    mean_weeks: float | None
    p92_days: int | None
    p92_weeks: float | None
    over_18_weeks: int
    over_52_weeks: int
    pct_over_18_weeks: float | None
    pct_over_52_weeks: float | None


def _optional_int(value: np.float64) -> int | None:
    return None if np.isnan(value) else int(value)


def _optional_float(value: np.float64) -> float | None:
    return None if np.isnan(value) else float(value)


@dataclass(frozen=True, slots=True)
class GroupedWaits:
    """Per-group statistics as arrays indexed by group code (NaN where a group is empty)."""

    count: IntArray
    median_days: FloatArray
    p92_days: FloatArray
    over_18: IntArray
    over_52: IntArray
    mean_days: FloatArray

    @property
    def median_weeks(self) -> FloatArray:
        return self.median_days / DAYS_PER_WEEK

    @property
    def p92_weeks(self) -> FloatArray:
        return self.p92_days / DAYS_PER_WEEK

    def _pct(self, numerator: IntArray) -> FloatArray:
        with np.errstate(invalid="ignore", divide="ignore"):
            pct: FloatArray = np.where(self.count > 0, 100.0 * numerator / self.count, np.nan)
        return pct

    @property
    def pct_over_18(self) -> FloatArray:
        return self._pct(self.over_18)

    @property
    def pct_over_52(self) -> FloatArray:
        return self._pct(self.over_52)

    def stats(self, group: int) -> WaitStats:
        """The statistics of one group as plain Python values."""
        median = self.median_days[group]
        p92 = self.p92_days[group]
        return WaitStats(
            count=int(self.count[group]),
            median_days=_optional_int(median),
            median_weeks=_optional_float(median / DAYS_PER_WEEK),
            mean_weeks=_optional_float(self.mean_days[group] / DAYS_PER_WEEK),
            p92_days=_optional_int(p92),
            p92_weeks=_optional_float(p92 / DAYS_PER_WEEK),
            over_18_weeks=int(self.over_18[group]),
            over_52_weeks=int(self.over_52[group]),
            pct_over_18_weeks=_optional_float(self.pct_over_18[group]),
            pct_over_52_weeks=_optional_float(self.pct_over_52[group]),
        )


def _check_waits(wait_days: ArrayLike) -> IntArray:
    waits = np.asarray(wait_days)
    if waits.size and not np.issubdtype(waits.dtype, np.integer):
        raise TypeError(f"wait_days must be integers, got {waits.dtype}")
    waits = waits.astype(np.int64, copy=False)
    if waits.ndim != 1:
        raise ValueError("wait_days must be one-dimensional")
    if waits.size and waits.min() < 0:
        raise ValueError("wait_days must not be negative (exclude clocks starting after census)")
    return waits


def grouped_waits(wait_days: ArrayLike, groups: ArrayLike, n_groups: int) -> GroupedWaits:
    """Statistics of ``wait_days`` per group code ``0 .. n_groups - 1``.

    ``groups[i]`` is the group of ``wait_days[i]``. For memberships that overlap (an entry in
    several inclusion groups), pass one element per membership.
    """
    waits = _check_waits(wait_days)
    codes = np.asarray(groups, dtype=np.int64)
    if codes.shape != waits.shape:
        raise ValueError("wait_days and groups must have the same length")
    if codes.size and (codes.min() < 0 or codes.max() >= n_groups):
        raise ValueError(f"group codes must be in 0..{n_groups - 1}")
    count = np.bincount(codes, minlength=n_groups).astype(np.int64)
    order = np.lexsort((waits, codes))
    sorted_waits = waits[order].astype(np.float64)
    starts = np.cumsum(count) - count
    filled = count > 0

    def percentile(percent: int) -> FloatArray:
        out = np.full(n_groups, np.nan)
        index = starts[filled] + nearest_rank(count[filled], percent) - 1
        out[filled] = sorted_waits[index]
        return out

    return GroupedWaits(
        count=count,
        median_days=percentile(MEDIAN_PERCENT),
        p92_days=percentile(P92_PERCENT),
        over_18=np.bincount(codes[waits > OVER_18_WEEKS_DAYS], minlength=n_groups).astype(np.int64),
        over_52=np.bincount(codes[waits > OVER_52_WEEKS_DAYS], minlength=n_groups).astype(np.int64),
        mean_days=_means(waits, codes, count),
    )


def _means(waits: IntArray, codes: IntArray, count: IntArray) -> FloatArray:
    """Mean wait per group (NaN where a group is empty)."""
    total = np.bincount(codes, weights=waits.astype(np.float64), minlength=len(count))
    with np.errstate(invalid="ignore", divide="ignore"):
        means: FloatArray = np.where(count > 0, total / count, np.nan)
    return means


def overall_waits(wait_days: ArrayLike) -> WaitStats:
    """Statistics of every wait taken as one group."""
    waits = _check_waits(wait_days)
    return grouped_waits(waits, np.zeros(waits.size, dtype=np.int64), 1).stats(0)


def labelled_waits(
    wait_days: ArrayLike, labels: ArrayLike, order: Sequence[str] = ()
) -> dict[str, WaitStats]:
    """Statistics per string label: ``order`` first (empty ones included), then others sorted."""
    waits = _check_waits(wait_days)
    names = np.asarray(labels, dtype=str)
    if names.shape != waits.shape:
        raise ValueError("wait_days and labels must have the same length")
    distinct, inverse = np.unique(names, return_inverse=True)
    known = list(dict.fromkeys(order))
    listed = set(known)
    known += [str(label) for label in distinct if str(label) not in listed]
    position = {label: i for i, label in enumerate(known)}
    lookup = np.array([position[str(label)] for label in distinct], dtype=np.int64)
    codes = lookup[inverse] if names.size else np.zeros(0, dtype=np.int64)
    result = grouped_waits(waits, codes, len(known))
    return {label: result.stats(i) for i, label in enumerate(known)}


@dataclass(frozen=True, slots=True)
class DeprivationGap:
    """Most deprived (quintile 1) minus least deprived (quintile 5); positive: Q1 waits longer.

    Weeks for the median, mean and p92; percentage points for the shares. None when either quintile
    has no pathways.
    """

    most_deprived_count: int
    least_deprived_count: int
    median_weeks: float | None
    mean_weeks: float | None
    p92_weeks: float | None
    pct_over_18_weeks_points: float | None
    pct_over_52_weeks_points: float | None


def _difference(most: float | None, least: float | None) -> float | None:
    return None if most is None or least is None else most - least


def deprivation_gap(most: WaitStats, least: WaitStats) -> DeprivationGap:
    """The gap between the most and the least deprived groups' statistics."""
    return DeprivationGap(
        most_deprived_count=most.count,
        least_deprived_count=least.count,
        median_weeks=_difference(most.median_weeks, least.median_weeks),
        mean_weeks=_difference(most.mean_weeks, least.mean_weeks),
        p92_weeks=_difference(most.p92_weeks, least.p92_weeks),
        pct_over_18_weeks_points=_difference(most.pct_over_18_weeks, least.pct_over_18_weeks),
        pct_over_52_weeks_points=_difference(most.pct_over_52_weeks, least.pct_over_52_weeks),
    )


def quintile_waits(wait_days: ArrayLike, imd_deciles: ArrayLike) -> GroupedWaits:
    """Statistics per IMD quintile, indexed 0 (unknown) .. 5 (least deprived)."""
    return grouped_waits(wait_days, imd_quintile(imd_deciles), QUINTILE_GROUPS)


def quintile_gap(by_quintile: GroupedWaits) -> DeprivationGap:
    """Quintile 1 minus quintile 5 from :func:`quintile_waits`."""
    return deprivation_gap(
        by_quintile.stats(MOST_DEPRIVED_QUINTILE), by_quintile.stats(LEAST_DEPRIVED_QUINTILE)
    )
