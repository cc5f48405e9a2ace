"""Each named step of the simulation alone, on tiny hand-made lists: offer outcomes and their
common random numbers, one week's booking, capacity by band, urgent bands, the notes."""

from __future__ import annotations

import numpy as np
import pytest

from prioritisation import FlagMatrix, PtlArrays, load_default_rules
from prioritisation.simulation import CONVENTIONAL, OfferModel, simulate
from prioritisation.simulation.booking import book_week
from prioritisation.simulation.offers import (
    DECLINED,
    DEFERRED,
    TREATED,
    estimate_from_list,
    offer_outcomes,
    patient_chances,
    uniforms,
)
from tests.prioritisation.test_simulation import CENSUS, ptl

DEFAULT = {"default": load_default_rules()}


def test_uniforms_are_keyed_by_patient_and_offer_not_by_order() -> None:
    patients = np.array([5, 1, 9, 1], dtype=np.int64)
    offers = np.array([0, 0, 2, 1], dtype=np.int64)
    u = uniforms(7, patients, offers, 0)
    again = uniforms(7, patients[::-1].copy(), offers[::-1].copy(), 0)[::-1]
    assert np.array_equal(u, again)
    assert u[1] != u[3]  # the same patient's next offer has its own number
    assert ((u >= 0) & (u < 1)).all()
    assert not np.array_equal(u, uniforms(8, patients, offers, 0))
    many = uniforms(1, np.arange(200_000, dtype=np.int64), np.zeros(200_000, np.int64), 0)
    assert abs(many.mean() - 0.5) < 0.005 and abs((many < 0.1).mean() - 0.1) < 0.005


def _arrays(deciles, stages=None, inclusion=None) -> PtlArrays:
    arrays = ptl([10] * len(deciles), deciles=deciles, stages=stages)
    if inclusion is not None:
        codes = ("learning_disability", "homeless")
        flags = FlagMatrix(codes, np.array(inclusion, dtype=np.bool_))
        arrays = PtlArrays(**{**{f: getattr(arrays, f) for f in arrays.__dataclass_fields__},
                              "inclusion_groups": flags})  # fmt: skip
    return arrays


def test_chances_by_quintile_inclusion_and_stage() -> None:
    arrays = _arrays(
        [1, 10, 0, 1, 1],
        stages=["admitted", "admitted", "admitted", "non_admitted", "admitted"],
        inclusion=[[False, False], [False, False], [False, False], [False, False], [True, True]],
    )
    chances = patient_chances(arrays, OfferModel())
    # Q1 0.29, Q5 0.09, unknown 0.19; non-admitted x 0.8; LD +0.15 and homeless +0.20: max +0.20
    assert chances.defer.tolist() == pytest.approx([0.29, 0.09, 0.19, 0.232, 0.49])
    assert chances.decline.tolist() == pytest.approx([0.075, 0.03, 0.055, 0.06, 0.075])
    assert chances.deferral_weeks.tolist() == [10, 10, 10, 5, 10]
    none = patient_chances(arrays, OfferModel.never_fails())
    assert not none.defer.any() and not none.decline.any()


def test_outcomes_follow_the_chances_and_deferrals_last_a_geometric_time() -> None:
    n = 100_000
    arrays = ptl([10] * n, deciles=[1] * n)
    chances = patient_chances(arrays, OfferModel())
    outcome, weeks = offer_outcomes(3, np.arange(n, dtype=np.int64), np.zeros(n, np.int64), chances)
    assert (outcome == DEFERRED).mean() == pytest.approx(0.29, abs=0.01)
    assert (outcome == DECLINED).mean() == pytest.approx(0.075, abs=0.005)
    deferred = weeks[outcome == DEFERRED]
    assert deferred.min() >= 1 and deferred.mean() == pytest.approx(11, abs=0.3)  # 1 + mean 10
    assert (weeks[outcome != DEFERRED] == 0).all()


def test_offer_model_is_validated() -> None:
    with pytest.raises(ValueError, match=r"defer_by_quintile\.6: unknown key"):
        OfferModel(defer_by_quintile={"6": 0.1})
    with pytest.raises(ValueError, match="must be a number from 0 to 1"):
        OfferModel(decline_by_quintile={"1": 1.5})
    with pytest.raises(ValueError, match="add up to"):
        OfferModel(defer_by_quintile={"1": 0.7}, decline_by_quintile={"1": 0.4})


def test_a_list_without_deferral_markers_keeps_the_defaults() -> None:
    assert estimate_from_list(ptl([10] * 100, deciles=[1] * 100)).source == "default"


def test_one_weeks_booking_offers_down_each_band_and_passes_unused_slots_on() -> None:
    # One list, bands P2 (0) and P3 (1), in booking order. P2 has 2 slots: entry 0 treated,
    # entry 1 declines, entry 2 treated -> full; entry 3 is not offered. P3 has 1 slot plus
    # none passed on: entry 4 deferred, entry 5 treated, entry 6 not offered.
    booking = book_week(
        list_of=np.zeros(7, np.int64),
        band_of=np.array([0, 0, 0, 0, 1, 1, 1]),
        outcome=np.array([TREATED, DECLINED, TREATED, TREATED, DEFERRED, TREATED, TREATED]),
        slots=np.array([[2, 1]]),
        reserved=np.zeros((1, 2), np.int64),
    )
    assert booking.offered.tolist() == [True, True, True, False, True, True, False]
    assert booking.treated.tolist() == [True, False, True, False, False, True, False]
    # P2 with 3 slots but only 2 takers: the spare slot goes to P3, which then treats 2.
    spill = book_week(
        list_of=np.zeros(4, np.int64),
        band_of=np.array([0, 0, 1, 1]),
        outcome=np.array([TREATED, TREATED, TREATED, TREATED]),
        slots=np.array([[3, 1]]),
        reserved=np.zeros((1, 2), np.int64),
    )
    assert spill.treated.tolist() == [True, True, True, True] and spill.unused.tolist() == [0]
    # Urgent patients booked on the day took 2 of P2's 1 slot: P3's slot pays the excess.
    short = book_week(
        list_of=np.zeros(2, np.int64),
        band_of=np.array([0, 1]),
        outcome=np.array([TREATED, TREATED]),
        slots=np.array([[1, 1]]),
        reserved=np.array([[2, 0]]),
    )
    assert short.treated.tolist() == [False, False]


def test_capacity_is_split_by_band_and_a_single_quota_starves_the_lower_band() -> None:
    # 10 P2 and 10 P4 waiting; 2 a week, no referrals, no failed offers, 4 weeks.
    arrays = ptl([40] * 10 + [200] * 10, priorities=["P2"] * 10 + ["P4"] * 10)
    options = dict(
        census_date=CENSUS, weeks=4, seed=1, offers=OfferModel.never_fails(),
        referrals_per_week={"110": 0},
    )  # fmt: skip
    by_band = simulate(arrays, {}, capacity={"110": {"P2": 1, "P4": 1}}, **options)
    first = simulate(arrays, {}, capacity={"110": 2}, capacity_split="priority_first", **options)
    treated = lambda r: r.treated_week[CONVENTIONAL] >= 0  # noqa: E731
    assert treated(by_band)[:10].sum() == 4 and treated(by_band)[10:].sum() == 4
    assert treated(first)[:10].sum() == 8 and treated(first)[10:].sum() == 0
    band = {b.priority_code: b for b in by_band.lists[0].bands}
    assert (band["P2"].capacity_per_week, band["P4"].capacity_per_week) == (1.0, 1.0)
    assert by_band.lists[0].capacity_split == "supplied"


def test_urgent_bands_are_booked_on_the_day() -> None:
    """A P1b waiting 2 days at the census is treated at the census; a P1a referral on the day
    it arrives (wait 0): no urgent breach comes from the weekly step."""
    arrays = ptl([2, 100, 60], priorities=["P1b", "P4", "P1a"])
    result = simulate(
        arrays, DEFAULT, census_date=CENSUS, weeks=3, seed=1, offers=OfferModel.never_fails(),
        capacity={"110": 1}, referrals_per_week={"110": {"P1a": 1}},
    )  # fmt: skip
    conventional = result.outcome(CONVENTIONAL)
    breaches = {b.priority_code: b for b in conventional.priority_breaches}
    assert breaches["P1b"].treated_over_target == 0
    assert breaches["P1a"].treated == 1 + 3  # the one waiting (60 days, late) and 3 referrals
    assert breaches["P1a"].treated_over_target == 1  # only the one already late in the data
    assert breaches["P1a"].waiting == 0
    assert result.treated_week[CONVENTIONAL].tolist()[:3] == [0, -1, 0]
    assert [b.urgent for b in result.lists[0].bands if b.priority_code == "P1a"] == [True]


def test_a_deferred_patient_is_unavailable_and_its_weeks_are_counted() -> None:
    arrays = ptl([100, 90], deciles=[1, 10])
    model = OfferModel(
        defer_by_quintile={"1": 1.0, "5": 0.0},
        decline_by_quintile={"1": 0.0, "5": 0.0},
        deferral_weeks={"admitted": 0.0, "non_admitted": 0.0},
    )
    result = simulate(
        arrays, {}, census_date=CENSUS, weeks=3, seed=1, offers=model,
        capacity={"110": 1}, referrals_per_week={"110": 0},
    )  # fmt: skip
    # Week 0: A (100 days) deferred for 1 week, B treated. Weeks 1, 2: A deferred again.
    assert result.treated_week[CONVENTIONAL].tolist() == [-1, 0]
    conventional = result.outcome(CONVENTIONAL)
    assert conventional.offers.deferred == 3 and conventional.offers.offers == 4
    assert conventional.end.waiting == 1
    assert any("ended deferred" in note for note in result.notes)


def test_the_same_patients_fail_under_every_rule_set() -> None:
    rng = np.random.default_rng(3)
    arrays = ptl(
        rng.integers(0, 300, 400).tolist(), deciles=rng.integers(1, 11, 400).tolist(),
        priorities=rng.choice(["P2", "P3", "P4"], 400).tolist(),
    )  # fmt: skip
    flat = load_default_rules().default.model_dump(mode="json")
    flat["deprivation"]["enabled"] = False
    flat["inclusion"]["enabled"] = False
    from prioritisation import RuleBook

    result = simulate(
        arrays, {"flat": RuleBook.model_validate({"default": flat})}, census_date=CENSUS,
        weeks=8, seed=4, last_chance=False,
    )  # fmt: skip
    # No equity factor and no last-chance range: the order is conventional, so the same
    # offers fail and the same patients are treated in the same weeks.
    assert np.array_equal(result.treated_week["flat"], result.treated_week[CONVENTIONAL])
    assert result.outcome("flat").offers == result.outcome(CONVENTIONAL).offers


def test_booking_from_shortlists_equals_booking_the_whole_list(monkeypatch) -> None:
    """Offers are drawn only for the top of each band; with most offers failing the
    shortlist runs out and is lengthened: the result is the same as booking everyone."""
    from prioritisation.simulation import run

    rng = np.random.default_rng(8)
    arrays = ptl(
        rng.integers(0, 300, 600).tolist(), deciles=rng.integers(1, 11, 600).tolist(),
        priorities=rng.choice(["P2", "P3", "P4"], 600).tolist(),
    )  # fmt: skip
    model = OfferModel(defer_by_quintile=dict.fromkeys(("1", "2", "3", "4", "5"), 0.85))
    options = dict(census_date=CENSUS, weeks=6, seed=2, offers=model, capacity={"110": 30})
    short = simulate(arrays, DEFAULT, **options)
    monkeypatch.setattr(run, "SHORTLIST", False)
    whole = simulate(arrays, DEFAULT, **options)
    for name in (CONVENTIONAL, "default"):
        assert np.array_equal(short.treated_week[name], whole.treated_week[name])
        assert short.outcome(name).offers == whole.outcome(name).offers
