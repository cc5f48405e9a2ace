"""Per-patient failure probabilities and the support intervention in the simulation core:
each step alone on hand-made lists, then on the strained gap list of the simulation tests,
where support plus reordering must close more of the deferral-driven gap than reordering
alone without breaking the guardrails (docs/simulation.md §8 gives the figures)."""

from __future__ import annotations

import functools
import statistics

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.gap_list import CENSUS as GAP_CENSUS
from bench.gap_list import gap_list
from bench.support_closure import p2_p3_breaches
from prioritisation import load_default_rules
from prioritisation.simulation import (
    CONVENTIONAL,
    OfferModel,
    SimulationResult,
    SupportIntervention,
    simulate,
    supported_name,
)
from prioritisation.simulation.offers import (
    DECLINED,
    DEFERRED,
    TREATED,
    offer_outcomes,
    patient_chances,
)
from prioritisation.simulation.support import choose_supported
from tests.prioritisation.test_simulation import CENSUS, ptl

DEFAULT = {"default": load_default_rules()}


def test_given_probabilities_replace_the_group_deferral_chance() -> None:
    arrays = ptl([10] * 4, deciles=[1, 10, 1, 0], stages=["admitted"] * 3 + ["non_admitted"])
    given_p = np.array([0.5, 0.02, np.nan, 0.97])
    chances = patient_chances(arrays, OfferModel(), given_p)
    # given values as they stand (no stage factor); NaN keeps the group chance (Q1: 0.29)
    assert chances.defer.tolist() == pytest.approx([0.5, 0.02, 0.29, 0.97])
    # the decline chance keeps its group value, capped so that the two add up to at most 1
    assert chances.decline.tolist() == pytest.approx([0.075, 0.03, 0.075, 0.03])
    with pytest.raises(ValueError, match="3 values for 4 entries"):
        patient_chances(arrays, OfferModel(), np.array([0.1, 0.2, 0.3]))
    with pytest.raises(ValueError, match="from 0 to 1"):
        patient_chances(arrays, OfferModel(), np.array([0.1, 1.2, 0.3, 0.1]))


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    defer=st.floats(0, 0.9),
    decline=st.floats(0, 0.1),
    cut=st.floats(0, 1),
)
def test_support_only_turns_deferrals_into_treatments(
    seed: int, defer: float, decline: float, cut: float
) -> None:
    n = 2_000
    arrays = ptl([10] * n, deciles=[1] * n)
    model = OfferModel(
        defer_by_quintile={"1": defer}, decline_by_quintile={"1": decline}, defer_by_inclusion={}
    )
    chances = patient_chances(arrays, model)
    patients, offers = np.arange(n, dtype=np.int64), np.zeros(n, np.int64)
    plain, weeks = offer_outcomes(seed, patients, offers, chances)
    helped, helped_weeks = offer_outcomes(seed, patients, offers, chances, np.full(n, cut))
    assert ((plain == TREATED) <= (helped == TREATED)).all()
    assert np.array_equal(plain == DECLINED, helped == DECLINED)
    assert ((helped == DEFERRED) <= (plain == DEFERRED)).all()
    # the same deferral length where it still defers (common random numbers)
    assert np.array_equal(weeks[helped == DEFERRED], helped_weeks[helped == DEFERRED])
    none, _ = offer_outcomes(seed, patients, offers, chances, np.zeros(n))
    assert np.array_equal(none, plain)


def test_support_cuts_the_deferral_rate_by_its_share() -> None:
    n = 100_000
    arrays = ptl([10] * n, deciles=[1] * n)
    chances = patient_chances(arrays, OfferModel())
    patients, offers = np.arange(n, dtype=np.int64), np.zeros(n, np.int64)
    outcome, _ = offer_outcomes(5, patients, offers, chances, np.full(n, 0.25))
    assert (outcome == DEFERRED).mean() == pytest.approx(0.29 * 0.75, abs=0.01)
    assert (outcome == DECLINED).mean() == pytest.approx(0.075, abs=0.005)


def test_the_highest_risks_are_chosen_ties_to_the_higher_place() -> None:
    risk = np.array([0.1, 0.4, 0.2, 0.4, 0.05, 0.3])
    assert choose_supported(risk, 3).tolist() == [1, 3, 5]
    assert choose_supported(risk, 2).tolist() == [1, 3]
    assert choose_supported(np.array([0.2, 0.2, 0.2]), 1).tolist() == [0]
    assert choose_supported(risk, 10).tolist() == list(range(6))


def test_support_settings_are_validated() -> None:
    for bad in (0, -3, 1.5, True):
        with pytest.raises(ValueError, match="support_per_week"):
            SupportIntervention(per_week=bad)  # type: ignore[arg-type]
    for bad_effect in (0.0, 1.5, float("nan")):
        with pytest.raises(ValueError, match="support_effect"):
            SupportIntervention(effect=bad_effect)
    with pytest.raises(ValueError, match="must not end in"):
        simulate(ptl([10]), {"x+support": load_default_rules()}, census_date=CENSUS)


def _small(**kwargs) -> SimulationResult:
    n = 400
    rng = np.random.default_rng(4)
    waits = rng.integers(0, 300, n).tolist()
    deciles = rng.integers(1, 11, n).tolist()
    return simulate(
        ptl(waits, deciles=deciles),
        DEFAULT,
        census_date=CENSUS,
        weeks=12,
        capacity={"110": 15},
        referrals_per_week={"110": 15},
        seed=11,
        **kwargs,
    )


def test_every_rule_set_is_also_run_with_support_and_compared() -> None:
    plain = _small()
    result = _small(support=SupportIntervention(per_week=5, effect=0.5))
    names = [o.name for o in result.rule_sets]
    assert names == [CONVENTIONAL, "default", "conventional+support", "default+support"]
    # the runs without support are untouched by simulating support beside them
    for name in (CONVENTIONAL, "default"):
        assert result.outcome(name) == plain.outcome(name)
    helped = result.outcome("default+support")
    assert 0 < helped.offers.supported <= 5 * 12
    assert sum((helped.offers.supported_by_imd_quintile or {}).values()) == helped.offers.supported
    assert result.outcome(CONVENTIONAL).offers.supported == 0
    assert helped.offers.deferred < result.outcome("default").offers.deferred
    assert result.support is not None
    assert result.support["support_per_week"] == 5 and result.support["support_effect"] == 0.5
    [row] = result.support["comparison"]
    conventional_gap = result.outcome(CONVENTIONAL).deprivation_gap.mean_weeks
    assert conventional_gap is not None and conventional_gap > 0
    expect = {
        "reordering_alone": "default",
        "support_alone": "conventional+support",
        "both": "default+support",
    }
    for key, name in expect.items():
        share = result.outcome(name).gap_closed
        assert share is not None and row[key] == share.mean
    assert plain.support is None and "support" in plain.to_dict()


def test_the_same_seed_gives_the_same_result_with_support() -> None:
    support = SupportIntervention(per_week=5, effect=0.5)
    first = _small(support=support, failure_probability=np.linspace(0, 0.6, 400)).to_dict()
    second = _small(support=support, failure_probability=np.linspace(0, 0.6, 400)).to_dict()
    assert first == second


def test_per_patient_probabilities_drive_the_deferrals() -> None:
    never = _small(failure_probability=np.zeros(400))
    often = _small(failure_probability=np.full(400, 0.6))
    groups = _small()
    assert never.failure_chances == {"source": "per_patient", "entries": 400}
    assert groups.failure_chances == {"source": "groups", "entries": 0}
    # referrals copy their template's probability, so nobody defers under zeros
    assert never.outcome(CONVENTIONAL).offers.deferred == 0
    deferred = often.outcome(CONVENTIONAL).offers.deferred
    assert deferred > groups.outcome(CONVENTIONAL).offers.deferred
    # NaN keeps the group chances: the same result as none given
    unknown = _small(failure_probability=np.full(400, np.nan))
    assert unknown.outcome(CONVENTIONAL) == groups.outcome(CONVENTIONAL)
    with pytest.raises(ValueError, match="399 values for 400 entries"):
        _small(failure_probability=np.zeros(399))


def test_support_goes_to_the_patients_most_at_risk() -> None:
    risk = np.where(np.arange(400) % 4 == 0, 0.7, 0.05)
    result = _small(failure_probability=risk, support=SupportIntervention(per_week=3))
    run = result.outcome("conventional+support")
    assert run.offers.supported > 0
    # the supported are the high-risk quarter: with far more of them offered each week than 3,
    # nobody at 0.05 is ever chosen, so the deferrals saved are the high-risk ones
    assert run.offers.deferred < result.outcome(CONVENTIONAL).offers.deferred


# The strained gap list of the simulation tests (tests/prioritisation/test_gap_closure.py):
# its gap is carried by deferrals that rise with deprivation, which no ordering can reach.
SEEDS = (1, 2, 3, 4, 5)
WEEKS = 26
GAP_SUPPORT = SupportIntervention(per_week=200, effect=0.5)
"""Support for 200 patients a week (about one offer in six on this list) removing half of
their deferral chance: large enough to tell from seed noise on this list."""


@functools.cache
def _gap_runs(support: SupportIntervention) -> dict[int, SimulationResult]:
    gaps = gap_list()
    return {
        seed: simulate(
            gaps.arrays,
            DEFAULT,
            census_date=GAP_CENSUS,
            weeks=WEEKS,
            seed=seed,
            capacity=gaps.capacity,
            referrals_per_week=gaps.capacity,
            support=support,
        )
        for seed in SEEDS
    }


def _shares(support: SupportIntervention) -> list[dict[str, float]]:
    rows = []
    for run in _gap_runs(support).values():
        assert run.support is not None
        [row] = run.support["comparison"]
        rows.append(row)
    return rows


def test_support_and_reordering_close_more_of_the_gap_than_reordering_alone() -> None:
    rows = _shares(GAP_SUPPORT)
    for row in rows:
        assert row["both"] > row["reordering_alone"], row
    gain = [row["both"] - row["reordering_alone"] for row in rows]
    assert statistics.mean(gain) >= 0.04, gain
    assert statistics.mean(row["support_alone"] for row in rows) > 0.02, rows
    # reordering alone is the figure of test_gap_closure (the same runs without support)
    assert statistics.mean(row["reordering_alone"] for row in rows) >= 0.6


def test_the_default_support_helps_too_however_little() -> None:
    rows = _shares(SupportIntervention())
    gain = [row["both"] - row["reordering_alone"] for row in rows]
    assert statistics.mean(gain) > 0, gain
    assert statistics.mean(row["support_alone"] for row in rows) > 0, rows


def _not_significantly_more(extra: list[int]) -> bool:
    """Seed noise: the mean extra count over the seeds is no more than its own standard error
    (as in test_gap_closure)."""
    return statistics.mean(extra) <= statistics.stdev(extra) / len(extra) ** 0.5


def test_support_never_breaks_the_guardrails() -> None:
    """Support changes nobody's place; it lets patients at the top take the slot they are
    offered. With every slot filled either way, the total time waited is fixed by capacity
    (so is the time past target when nearly everyone is past it), and support moves it away
    from the longest waits: the weeks past 52 fall in every seed. The counts can rise a
    little: a supported patient already past target takes a slot a deferral would have passed
    to someone just short of it (docs/simulation.md §8), so they are bounded, not zero."""
    for name in (CONVENTIONAL, "default"):
        runs = _gap_runs(GAP_SUPPORT).values()
        pairs = [(run.outcome(name), run.outcome(supported_name(name))) for run in runs]
        extra_long = [helped.long_waiters - plain.long_waiters for plain, helped in pairs]
        assert _not_significantly_more(extra_long), (name, extra_long)
        for plain, helped in pairs:
            assert helped.weeks_past_target <= 1.001 * plain.weeks_past_target, name
            assert helped.weeks_over_52 < plain.weeks_over_52, name
            assert helped.treated.count >= plain.treated.count - 5, name
            base = p2_p3_breaches(plain)
            assert p2_p3_breaches(helped) - base <= 0.005 * base, (name, base)
            # urgent bands are booked on the day, with or without support
            urgent = {b.priority_code: b for b in plain.priority_breaches}
            for band in helped.priority_breaches:
                if band.priority_code in ("P1a", "P1b"):
                    assert band == urgent[band.priority_code]
