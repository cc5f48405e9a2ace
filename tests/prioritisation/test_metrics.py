"""Wait metrics pinned on small hand-made lists; the arithmetic is written beside each case."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from prioritisation.metrics import (
    OVER_18_WEEKS_DAYS,
    OVER_52_WEEKS_DAYS,
    deprivation_gap,
    grouped_waits,
    imd_quintile,
    labelled_waits,
    nearest_rank,
    over_weeks_days,
    overall_waits,
    quintile_gap,
    quintile_waits,
)


def test_thresholds_follow_the_rtt_week_bands():
    # Days 0-7 are the 0-1 week band, so 126 days is in the 17-18 band: over 18 is > 126.
    assert OVER_18_WEEKS_DAYS == over_weeks_days(18) == 126
    assert OVER_52_WEEKS_DAYS == over_weeks_days(52) == 364


def test_five_waits_one_group():
    stats = overall_waits([50, 10, 40, 20, 30])
    # sorted 10 20 30 40 50; median rank ceil(5*50/100)=ceil(2.5)=3 -> 30 days = 30/7 weeks
    # p92 rank ceil(5*92/100)=ceil(4.6)=5 -> 50 days; nobody over 126 days.
    assert stats.count == 5
    assert stats.median_days == 30
    assert stats.median_weeks == pytest.approx(30 / 7)
    assert stats.p92_days == 50
    assert stats.p92_weeks == pytest.approx(50 / 7)
    assert (stats.over_18_weeks, stats.over_52_weeks) == (0, 0)
    assert stats.pct_over_18_weeks == 0.0
    assert stats.pct_over_52_weeks == 0.0


def test_threshold_boundaries():
    stats = overall_waits([126, 127, 364, 365])
    # over 18 (> 126): 127, 364, 365 -> 3 of 4 = 75%; over 52 (> 364): 365 -> 1 of 4 = 25%.
    # median rank ceil(4*0.5)=2 -> 127; p92 rank ceil(3.68)=4 -> 365.
    assert (stats.over_18_weeks, stats.over_52_weeks) == (3, 1)
    assert stats.pct_over_18_weeks == pytest.approx(75.0)
    assert stats.pct_over_52_weeks == pytest.approx(25.0)
    assert stats.median_days == 127
    assert stats.p92_days == 365


def test_exactly_18_weeks_is_not_over_18_weeks():
    stats = overall_waits([126])
    # 126 days = 18.0 weeks: median 18.0 weeks, still within the standard.
    assert stats.median_weeks == pytest.approx(18.0)
    assert stats.over_18_weeks == 0


def test_nearest_rank_uses_integer_arithmetic():
    # 0.92 * 25 is 23.000000000000004 in floating point; the true rank is ceil(23) = 23.
    assert nearest_rank(np.array([25]), 92).tolist() == [23]
    stats = overall_waits(np.arange(1, 26))  # waits 1..25 days
    # p92 -> 23rd smallest = 23 days; median rank ceil(12.5)=13 -> 13 days.
    assert stats.p92_days == 23
    assert stats.median_days == 13


def test_even_count_median_is_the_lower_middle_wait():
    # Nearest rank: median of [7, 14] is rank ceil(1.0)=1 -> 7 (not 10.5 as "linear" would give).
    stats = overall_waits([14, 7])
    assert stats.median_days == 7
    assert stats.median_weeks == pytest.approx(1.0)
    # p92 rank ceil(1.84)=2 -> 14.
    assert stats.p92_days == 14


def test_groups_with_empty_ones():
    waits = [100, 200, 300, 10, 400, 500]
    groups = [0, 0, 0, 2, 2, 2]
    result = grouped_waits(waits, groups, 4)
    assert result.count.tolist() == [3, 0, 3, 0]
    g0 = result.stats(0)
    # group 0 sorted 100 200 300: median rank 2 -> 200, p92 rank ceil(2.76)=3 -> 300;
    # over 126 days: 200, 300 -> 2 of 3 = 66.67%; none over 364.
    assert (g0.median_days, g0.p92_days, g0.over_18_weeks, g0.over_52_weeks) == (200, 300, 2, 0)
    assert g0.pct_over_18_weeks == pytest.approx(200 / 3)
    g2 = result.stats(2)
    # group 2 sorted 10 400 500: median 400, p92 500; over 126: 400, 500; over 364: 400, 500.
    assert (g2.median_days, g2.p92_days, g2.over_18_weeks, g2.over_52_weeks) == (400, 500, 2, 2)
    assert g2.pct_over_52_weeks == pytest.approx(200 / 3)
    for empty in (result.stats(1), result.stats(3)):
        assert empty.count == 0
        assert empty.median_days is None and empty.median_weeks is None
        assert empty.p92_days is None and empty.p92_weeks is None
        assert empty.pct_over_18_weeks is None and empty.pct_over_52_weeks is None
        assert (empty.over_18_weeks, empty.over_52_weeks) == (0, 0)


def test_no_waits_at_all():
    stats = overall_waits(np.array([], dtype=np.int64))
    assert stats.count == 0
    assert stats.median_days is None and stats.pct_over_18_weeks is None


def test_imd_quintile_from_decile():
    deciles = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    # floor((d - 1) / 2) + 1, 0 stays unknown.
    assert imd_quintile(deciles).tolist() == [0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    with pytest.raises(ValueError):
        imd_quintile([11])


def test_deprivation_gap_by_hand():
    # Q1 (deciles 1, 2): waits 140, 70, 400. Q5 (deciles 9, 10): waits 7, 14, 21, 130.
    waits = [140, 70, 400, 7, 14, 21, 130, 50]
    deciles = [1, 2, 1, 9, 10, 10, 9, 0]
    by_quintile = quintile_waits(waits, deciles)
    assert by_quintile.count.tolist() == [1, 3, 0, 0, 0, 4]
    gap = quintile_gap(by_quintile)
    # Q1 sorted 70 140 400: median rank 2 -> 140 d = 20 weeks; p92 rank 3 -> 400 d;
    #   over 18: 140, 400 -> 66.667%; over 52: 400 -> 33.333%.
    # Q5 sorted 7 14 21 130: median rank 2 -> 14 d = 2 weeks; p92 rank ceil(3.68)=4 -> 130 d;
    #   over 18: 130 -> 25%; over 52: none -> 0%.
    assert (gap.most_deprived_count, gap.least_deprived_count) == (3, 4)
    assert gap.median_weeks == pytest.approx(20 - 2)
    assert gap.p92_weeks == pytest.approx((400 - 130) / 7)  # 38.571 weeks
    assert gap.pct_over_18_weeks_points == pytest.approx(200 / 3 - 25)  # 41.667 points
    assert gap.pct_over_52_weeks_points == pytest.approx(100 / 3)


def test_gap_is_null_when_a_quintile_is_empty():
    by_quintile = quintile_waits([10, 20], [1, 2])
    gap = deprivation_gap(by_quintile.stats(1), by_quintile.stats(5))
    assert gap.least_deprived_count == 0
    assert gap.median_weeks is None and gap.pct_over_18_weeks_points is None


def test_labelled_waits_keeps_order_and_empty_labels():
    result = labelled_waits([7, 140, 21, 365], ["b", "a", "b", "z"], order=["a", "b", "c"])
    assert list(result) == ["a", "b", "c", "z"]  # listed first (empty "c" kept), then others
    # b: 7, 21 -> median rank 1 -> 7; p92 rank 2 -> 21.
    assert (result["b"].count, result["b"].median_days, result["b"].p92_days) == (2, 7, 21)
    assert result["a"].over_18_weeks == 1
    assert result["c"].count == 0 and result["c"].median_days is None
    assert result["z"].over_52_weeks == 1


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError):
        overall_waits([-1, 3])
    with pytest.raises(TypeError):
        overall_waits([1.5])
    with pytest.raises(ValueError):
        grouped_waits([1, 2], [0, 3], 3)
    with pytest.raises(ValueError):
        grouped_waits([1, 2], [0], 3)


def _reference(values: list[int], percent: int) -> int:
    ordered = sorted(values)
    rank = max(1, math.ceil(Fraction(percent * len(values), 100)))
    return ordered[rank - 1]


@given(st.lists(st.tuples(st.integers(0, 800), st.integers(0, 3)), min_size=0, max_size=60))
def test_grouped_waits_match_a_plain_python_reference(pairs):
    waits = np.array([w for w, _ in pairs], dtype=np.int64)
    groups = np.array([g for _, g in pairs], dtype=np.int64)
    result = grouped_waits(waits, groups, 4)
    for group in range(4):
        members = [w for w, g in pairs if g == group]
        stats = result.stats(group)
        assert stats.count == len(members)
        if not members:
            assert stats.median_days is None
            continue
        assert stats.median_days == _reference(members, 50)
        assert stats.p92_days == _reference(members, 92)
        assert stats.over_18_weeks == sum(w > 126 for w in members)
        assert stats.over_52_weeks == sum(w > 364 for w in members)
        # the standard: p92 within 18 weeks exactly when at least 92% wait <= 126 days
        within = sum(w <= 126 for w in members)
        assert (stats.p92_days <= 126) == (100 * within >= 92 * len(members))
