"""Calibration finds a multiplier that closes 90% of the strained gap list's deprivation gap
within the limits, and says plainly when a deferral-driven gap cannot be closed."""

from __future__ import annotations

import functools

import pytest

from bench.gap_list import CENSUS, gap_list
from prioritisation import load_default_rule_set, load_default_rules, validate_against_bounds
from prioritisation.bounds import default_bounds_problems
from prioritisation.calibration import (
    Calibration,
    ScaleProblem,
    calibrate,
    max_multiplier,
    scale_rule_set,
)
from prioritisation.simulation import OfferModel

SEEDS = (1, 2, 3)
FACTORS = ("deprivation", "inclusion")


@functools.cache
def _strained() -> Calibration:
    gaps = gap_list()
    rules, shipped = load_default_rules(), load_default_rule_set()
    assert shipped.bounds is not None
    return calibrate(
        gaps.arrays, rules, rules.default, limits_from=shipped, bounds=shipped.bounds,
        census_date=CENSUS, factors=FACTORS, seeds=SEEDS, weeks=26,
        capacity=gaps.capacity, referrals_per_week=gaps.capacity,
    )  # fmt: skip


def test_reaches_ninety_percent_of_the_gap_within_the_limits() -> None:
    result = _strained()
    assert result.chosen_multiplier is not None, result.unreachable
    assert result.unreachable is None
    chosen = next(p for p in result.frontier if p.multiplier == result.chosen_multiplier)
    assert chosen.share_closed is not None and chosen.share_closed >= 0.9
    assert chosen.within_limits and not chosen.limits_broken
    assert chosen.share_closed_max is not None and chosen.share_closed_max <= 1.1
    assert chosen.largest_quintile_median_rise_weeks is not None
    assert chosen.largest_quintile_median_rise_weeks <= 2.0
    # the smallest qualifying multiplier: every smaller one misses the target
    smaller = [p for p in result.frontier if p.multiplier < chosen.multiplier]
    assert smaller and all(not p.reaches_target for p in smaller)
    # the shipped weights are on the frontier and close less than the target
    shipped = next(p for p in result.frontier if p.multiplier == 1.0)
    assert shipped.share_closed is not None and 0.45 < shipped.share_closed < 0.9


def test_the_frontier_shows_overshoot_as_a_broken_limit() -> None:
    result = _strained()
    assert result.max_multiplier == 2.0
    assert [p.multiplier for p in result.frontier][:2] == [0.25, 0.5]
    top = result.frontier[-1]
    assert top.multiplier == 2.0 and not top.within_limits
    assert any("reverses" in why for why in top.limits_broken)
    shares = [p.share_closed for p in result.frontier if p.share_closed is not None]
    assert len(shares) == len(result.frontier)
    assert shares == sorted(shares)  # more weight, more of the gap closed on this list
    assert all(p.share_closed_sd is not None and p.share_closed_sd >= 0 for p in result.frontier)


def test_the_chosen_rule_set_is_the_scaled_default_within_bounds() -> None:
    result = _strained()
    chosen = result.chosen_rule_set
    assert chosen is not None and result.chosen_multiplier is not None
    shipped = load_default_rule_set()
    assert default_bounds_problems(chosen, shipped) == []
    m = result.chosen_multiplier
    assert chosen.deprivation.decile_uplift_days[1] == pytest.approx(21.0 * m, abs=0.01)
    assert chosen.inclusion.uplift_days["homeless"] == pytest.approx(14.0 * m, abs=0.01)
    caps = [r.cap_days for r in chosen.clinical_priority.ranked]
    assert caps[2:] == pytest.approx([7.0 * m, 21.0 * m, 31.0 * m], abs=0.01)
    assert chosen.core20 == shipped.core20  # not chosen, not scaled
    # the gap's parts are reported even when the target is reached
    assert result.gap.unavailable_share is not None and 0 < result.gap.unavailable_share < 1


def test_a_deferral_driven_gap_is_reported_unreachable() -> None:
    gaps = gap_list(history=0.0)
    rules, shipped = load_default_rules(), load_default_rule_set()
    assert shipped.bounds is not None
    deferrals = OfferModel(
        defer_by_quintile={"1": 0.5, "2": 0.4, "3": 0.25, "4": 0.12, "5": 0.05, "unknown": 0.2},
        deferral_weeks={"admitted": 16.0, "non_admitted": 10.0},
    )
    result = calibrate(
        gaps.arrays, rules, rules.default, limits_from=shipped, bounds=shipped.bounds,
        census_date=CENSUS, factors=FACTORS, seeds=SEEDS, weeks=26, multipliers=4,
        refinements=1, capacity=gaps.capacity, referrals_per_week=gaps.capacity,
        offers=deferrals,
    )  # fmt: skip
    assert result.chosen_multiplier is None and result.chosen_rule_set is None
    why = result.unreachable
    assert why is not None
    assert why.best_share is not None and 0 < why.best_share < 0.9
    assert why.best_multiplier is not None
    assert why.unavailable_share is not None and why.unavailable_share >= 0.6
    assert why.waiting_share == pytest.approx(1 - why.unavailable_share)
    assert f"{why.best_share:.0%}" in why.reason and "unavailable" in why.reason
    assert any("transport" in s for s in why.suggestions)
    assert any("interpreter" in s for s in why.suggestions)


def test_scaling_clips_to_the_bounds_and_rounds_down() -> None:
    shipped = load_default_rule_set()
    assert shipped.bounds is not None
    scaled = scale_rule_set(
        shipped, 3.333, factors=["deprivation"], limits_from=shipped, bounds=shipped.bounds
    )
    assert scaled.deprivation.decile_uplift_days[1] == 42.0  # clipped at 2 x 21
    assert scaled.clinical_priority.ranked[4].cap_days == 62.0
    assert scaled.inclusion == shipped.inclusion
    validate_against_bounds(
        scale_rule_set(
            shipped, 1.337, factors=["inclusion"], limits_from=shipped, bounds=shipped.bounds
        ).model_copy(update={"rule_set_id": "110", "bounds": None, "vocabulary": None}),
        shipped,
    )
    assert max_multiplier(shipped, shipped, shipped.bounds, ["deprivation"]) == 2.0


def test_factors_that_may_not_scale_are_refused() -> None:
    rules, shipped = load_default_rules(), load_default_rule_set()
    assert shipped.bounds is not None
    arrays = gap_list(n=200).arrays
    for factor, words in (("core20", "not enabled"), ("clinical_area", "not a factor")):
        with pytest.raises(ScaleProblem, match=words):
            calibrate(arrays, rules, rules.default, limits_from=shipped, bounds=shipped.bounds,
                      census_date=CENSUS, factors=[factor])  # fmt: skip
    with pytest.raises(ValueError, match="target_share"):
        calibrate(arrays, rules, rules.default, limits_from=shipped, bounds=shipped.bounds,
                  census_date=CENSUS, factors=FACTORS, target_share=0)  # fmt: skip
