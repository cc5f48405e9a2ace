"""Impact simulation pinned on hand-made lists; the arithmetic is written beside each case."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest

from prioritisation import PtlArrays, RuleBook, load_default_rules
from prioritisation.simulation import CONVENTIONAL, RECENT_WEEKS, OfferModel
from prioritisation.simulation import simulate as simulate_with_failures

CENSUS = date(2026, 1, 5)
DEFAULT = {"default": load_default_rules()}


def ptl(
    waits,
    deciles=None,
    priorities=None,
    groups=None,
    stages=None,
    specialties=None,
) -> PtlArrays:
    """A PTL of one provider; waits are days at CENSUS. Defaults: P4, 110, admitted."""
    n = len(waits)
    return PtlArrays.from_columns(
        pathway_id=[f"RZZ{i:04d}" for i in range(n)],
        provider_code=["RZZ"] * n,
        treatment_function_code=specialties or ["110"] * n,
        pathway_stage=stages or ["admitted"] * n,
        priority_code=priorities or ["P4"] * n,
        rtt_clock_start=np.datetime64(CENSUS) - np.array(waits).astype("timedelta64[D]"),
        imd_decile=deciles or [0] * n,
        ethnic_group=groups,
    )


def simulate(*args, **kwargs):
    """The model with every offer taken and one quota per list booked band-first: with every
    failure probability zero and that split, the model is the earlier one, whose hand-worked
    cases follow."""
    kwargs.setdefault("offers", OfferModel.never_fails())
    kwargs.setdefault("capacity_split", "priority_first")
    kwargs.setdefault("last_chance", False)
    return simulate_with_failures(*args, **kwargs)


def no_equity() -> RuleBook:
    """The default rules with every equity factor switched off."""
    document = load_default_rules().default.model_dump(mode="json")
    document["deprivation"]["enabled"] = False
    document["inclusion"]["enabled"] = False
    return RuleBook.model_validate({"default": document})


# Six P4 entries on one list, one treatment a week, no referrals, six weeks.
#   entry  wait  decile (quintile)  group
#   A      100   10 (Q5)            white
#   B       95    1 (Q1)            asian
#   C       90   10 (Q5)            white
#   D       80    1 (Q1)            asian
#   E       50    5 (Q3)            black
#   F       40    1 (Q1)            "" (unknown)
SIX = dict(
    waits=[100, 95, 90, 80, 50, 40],
    deciles=[10, 1, 10, 1, 5, 1],
    groups=["white", "asian", "white", "asian", "black", ""],
)
ONE_A_WEEK = dict(capacity={"110": 1}, referrals_per_week={"110": 0})


def test_six_entries_one_a_week_conventional_and_default():
    result = simulate(ptl(**SIX), DEFAULT, census_date=CENSUS, weeks=6, seed=1, **ONE_A_WEEK)
    assert [o.name for o in result.rule_sets] == ["conventional", "default"]
    # Conventional: longest wait first, A B C D E F; a wait grows 7 days a week:
    #   A 100, B 95+7=102, C 90+14=104, D 80+21=101, E 50+28=78, F 40+35=75.
    assert result.treated_week[CONVENTIONAL].tolist() == [0, 1, 2, 3, 4, 5]
    # Default: decile 1 earns 21 days at P4 (scale 1). Scores on week 0: A 100, B 95+21=116,
    # C 90, D 80+21=101, E 50, F 40+21=61 -> B (wait 95). Week 1: A 107, C 97, D 87+21=108
    # -> D (87). Week 2: A 114, C 104, E 64, F 54+21=75 -> A (114). Week 3: C 111, E 71,
    # F 82 -> C (111). Week 4: E 78, F 68+21=89 -> F (68). Week 5: E (85).
    assert result.treated_week["default"].tolist() == [2, 0, 3, 1, 5, 4]

    conventional, default = result.outcome(CONVENTIONAL), result.outcome("default")
    q = conventional.treated_by_imd_quintile
    # Q1 waits B 102, D 101, F 75 -> sorted 75 101 102: median rank ceil(1.5)=2 -> 101 days;
    # p92 rank ceil(2.76)=3 -> 102. Q5: A 100, C 104 -> median rank 1 -> 100, p92 rank 2 -> 104.
    assert (q["1"].count, q["1"].median_days, q["1"].p92_days) == (3, 101, 102)
    assert (q["5"].count, q["5"].median_days, q["5"].p92_days) == (2, 100, 104)
    assert (q["3"].median_days, q["2"].count, q["unknown"].count) == (78, 0, 0)
    assert q["2"].median_days is None
    assert conventional.deprivation_gap.median_weeks == pytest.approx(1 / 7)
    assert conventional.deprivation_gap.p92_weeks == pytest.approx(-2 / 7)

    q = default.treated_by_imd_quintile
    # Q1: B 95, D 87, F 68 -> median 87, p92 95. Q5: A 114, C 111 -> median 111, p92 114.
    assert (q["1"].median_days, q["1"].p92_days, q["5"].median_days, q["5"].p92_days) == (
        87,
        95,
        111,
        114,
    )
    assert default.deprivation_gap.median_weeks == pytest.approx((87 - 111) / 7)
    assert default.deprivation_gap.p92_weeks == pytest.approx((95 - 114) / 7)
    # Everyone treated within 126 days: 100% within 18 weeks; the list is empty at the end.
    assert default.treated_within_18_weeks_pct == 100.0
    assert (default.end.waiting, default.end.within_18_weeks_pct) == (0, None)
    assert default.end.date == date(2026, 2, 16)  # census + 6 weeks

    e = default.treated_by_ethnic_group
    assert [(g, e[g].count, e[g].median_days) for g in ("white", "asian", "black", "unknown")] == [
        ("white", 2, 111),
        ("asian", 2, 87),
        ("black", 1, 85),
        ("unknown", 1, 68),
    ]
    assert e["mixed"].count == 0 and e["not_stated"].count == 0

    changes = {(c.dimension, c.group): c.median_change_weeks for c in default.versus_conventional}
    # Q1 87-101 = -14 days; Q3 85-78 = +7; Q5 111-100 = +11; white as Q5; asian 87-101; black
    # 85-78; unknown 68-75. Empty groups have no change.
    assert changes[("imd_quintile", "1")] == pytest.approx(-2.0)
    assert changes[("imd_quintile", "3")] == pytest.approx(1.0)
    assert changes[("imd_quintile", "5")] == pytest.approx(11 / 7)
    assert changes[("imd_quintile", "2")] is None
    assert changes[("ethnic_group", "white")] == pytest.approx(11 / 7)
    assert changes[("ethnic_group", "unknown")] == pytest.approx(-1.0)
    # Q5 and white tie at +11/7 weeks: the first in output order (IMD quintiles first) wins.
    largest = default.largest_increase
    assert largest is not None
    assert (largest.dimension, largest.group) == ("imd_quintile", "5")
    assert largest.median_change_weeks == pytest.approx(11 / 7)
    assert conventional.versus_conventional == [] and conventional.largest_increase is None

    weekly = default.weekly
    assert [p.treated for p in weekly] == [1, 1, 1, 1, 1, 1, 0]
    assert [p.waiting for p in weekly] == [6, 5, 4, 3, 2, 1, 0]
    assert weekly[0].date == CENSUS and weekly[-1].week == 6


def test_breaches_of_each_priority_target_treated_and_still_waiting():
    # One P2 (target 28) waiting 30 days and four P3 (target 90): 88, 86, 84, 10 days.
    # One a week for two weeks: week 0 the P2 (30 > 28: a breach); week 1 the P3 at 88+7=95
    # (a breach). At the end (day 14): 86+14=100 and 84+14=98 breach, 10+14=24 does not.
    arrays = ptl([30, 88, 86, 84, 10], deciles=[5, 1, 10, 3, 1], priorities=["P2"] + ["P3"] * 4)
    result = simulate(arrays, DEFAULT, census_date=CENSUS, weeks=2, seed=1, **ONE_A_WEEK)
    for outcome in result.rule_sets:
        rows = {b.priority_code: b for b in outcome.priority_breaches}
        assert list(rows) == ["P1a", "P1b", "P2", "P3", "P4"]
        assert (rows["P2"].target_days, rows["P2"].treated, rows["P2"].treated_over_target) == (
            28,
            1,
            1,
        )
        assert (rows["P3"].treated, rows["P3"].treated_over_target) == (1, 1)
        assert (rows["P3"].waiting, rows["P3"].waiting_over_target) == (3, 2)
        assert (rows["P4"].target_days, rows["P4"].treated_over_target) == (None, None)
        assert (outcome.treated_over_target, outcome.waiting_over_target) == (2, 2)
        assert outcome.end.within_18_weeks_pct == 100.0


def test_parked_entries_are_never_treated_and_stay_on_the_list():
    # The P5 entry has waited longest but is parked (patient deferred).
    arrays = ptl([300, 20, 10], priorities=["P5", "P4", "P4"])
    rates = {"capacity": {"110": 5}, "referrals_per_week": {"110": 0}}
    result = simulate(arrays, DEFAULT, census_date=CENSUS, weeks=3, seed=1, **rates)
    for name in ("conventional", "default"):
        assert result.treated_week[name].tolist() == [-1, 0, 0]
        outcome = result.outcome(name)
        assert (outcome.end.waiting, outcome.end.parked) == (0, 1)
    assert (result.starting_entries, result.starting_ranked) == (3, 2)
    assert result.lists[0].parked_entries == 1


def test_fractional_referrals_accumulate_and_copy_the_list():
    # 0.5 a week: floor((w+1)/2) - floor(w/2) = 0, 1, 0, 1 in weeks 0..3 -> two referrals,
    # arriving in weeks 1 and 3 with a clock start within that week (census + 7w + 0..6).
    arrays = ptl([50, 40, 30], deciles=[1, 1, 1], priorities=["P3", "P3", "P3"])
    result = simulate(
        arrays, {}, census_date=CENSUS, weeks=4, seed=9, referrals_per_week={"110": 0.5}
    )
    plan = result.lists[0]
    assert (plan.referrals_per_week, plan.referral_source) == (0.5, "supplied")
    assert (plan.capacity_per_week, plan.capacity_source) == (0.5, "inflow")
    assert result.new_referrals == 2
    outcome = result.outcome(CONVENTIONAL)
    # Capacity 0.5 a week treats in weeks 1 and 3: the two longest waits (50+7, 40+21).
    assert result.treated_week[CONVENTIONAL].tolist() == [1, 3, -1]
    assert outcome.treated.count == 2 and outcome.treated.median_days == 57
    # At the end (day 28): the 30-day entry (58 days) and two P3 referrals (decile 1 copies).
    assert outcome.end.waiting == 3
    assert outcome.end.by_imd_quintile["1"].count == 3
    assert [p.waiting for p in outcome.weekly] == [3, 3, 3, 3, 3]
    assert result.reference_rule_set == "shipped_default"


def test_default_rates_from_recent_clock_starts_split_and_overridden():
    # 110 admitted: 8 entries started within 4 weeks (wait < 28 days) -> 8/4 = 2 a week;
    # 110 non-admitted: 4 recent -> 1 a week; plus older entries that do not count.
    waits = [10] * 8 + [200] * 22 + [27] * 4 + [28] * 14
    stages = ["admitted"] * 30 + ["non_admitted"] * 18
    arrays = ptl(waits, stages=stages)
    result = simulate(arrays, {}, census_date=CENSUS, weeks=1, seed=1)
    rates = {p.list_key: (p.recent_clock_starts, p.referrals_per_week, p.capacity_per_week)
             for p in result.lists}  # fmt: skip
    assert RECENT_WEEKS == 4
    assert rates == {"RZZ/110/admitted": (8, 2.0, 2.0), "RZZ/110/non_admitted": (4, 1.0, 1.0)}

    # A specialty's capacity is split in proportion to its lists' inflow (2:1); a list key
    # wins over its specialty's share.
    split = simulate(arrays, {}, census_date=CENSUS, weeks=1, seed=1, capacity={"110": 9})
    assert [p.capacity_per_week for p in split.lists] == [6.0, 3.0]
    assert {p.capacity_source for p in split.lists} == {"supplied"}
    keyed = simulate(
        arrays,
        {},
        census_date=CENSUS,
        weeks=1,
        seed=1,
        capacity={"110": 9, "RZZ/110/non_admitted": 0.25},
    )
    assert [p.capacity_per_week for p in keyed.lists] == [6.0, 0.25]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"capacity": {"999": 1}}, "capacity.999: no list on the PTL"),
        ({"capacity": {"110": -1}}, "capacity.110: must be a number"),
        ({"referrals_per_week": {"RZZ/110/x": 1}}, "no list on the PTL"),
        ({"weeks": 0}, "weeks must be from 1"),
    ],
)
def test_bad_inputs_are_refused_with_a_reason(options, message):
    with pytest.raises(ValueError, match=message):
        simulate(ptl([10, 20]), {}, census_date=CENSUS, **{"seed": 1, **options})


def test_conventional_is_always_included_and_its_name_reserved():
    result = simulate(ptl([10, 20]), {}, census_date=CENSUS, weeks=1)
    assert [o.name for o in result.rule_sets] == [CONVENTIONAL]
    with pytest.raises(ValueError, match="always simulated"):
        simulate(ptl([10, 20]), {CONVENTIONAL: load_default_rules()}, census_date=CENSUS)


def synthetic(n: int, seed: int) -> PtlArrays:
    rng = np.random.default_rng(seed)
    return ptl(
        rng.integers(0, 400, n).tolist(),
        deciles=rng.integers(0, 11, n).tolist(),
        priorities=rng.choice(["P2", "P3", "P4", "P5"], n, p=[0.1, 0.3, 0.55, 0.05]).tolist(),
        groups=rng.choice(["white", "asian", "black", "not_known"], n).tolist(),
        stages=rng.choice(["admitted", "non_admitted"], n).tolist(),
        specialties=rng.choice(["110", "120", "130"], n).tolist(),
    )


def test_same_seed_same_result_and_another_seed_differs():
    arrays = synthetic(600, seed=4)
    run = lambda seed: simulate(arrays, DEFAULT, census_date=CENSUS, weeks=8, seed=seed)  # noqa: E731
    first, again, other = run(11), run(11), run(12)
    assert json.dumps(first.to_dict()) == json.dumps(again.to_dict())
    assert first.new_referrals == other.new_referrals  # the rates do not depend on the seed
    assert first.to_dict()["rule_sets"] != other.to_dict()["rule_sets"]


def test_without_equity_factors_the_rules_reproduce_the_conventional_order():
    arrays = synthetic(500, seed=5)
    result = simulate(arrays, {"flat": no_equity()}, census_date=CENSUS, weeks=6, seed=2)
    assert np.array_equal(result.treated_week["flat"], result.treated_week[CONVENTIONAL])
    conventional, rules = result.to_dict()["rule_sets"]
    own = ("name", "versus_conventional", "largest_increase", "gap_closed", "delay")
    own += ("gap_by_priority",)
    assert [(b["priority_code"], b["mean_weeks"]) for b in rules["gap_by_priority"]] == [
        (b["priority_code"], b["mean_weeks"]) for b in conventional["gap_by_priority"]
    ]
    assert {k: v for k, v in rules.items() if k not in own} == {
        k: v for k, v in conventional.items() if k not in own
    }
    assert all(c["median_change_weeks"] in (0.0, None) for c in rules["versus_conventional"])
    assert rules["delay"]["max_delay_weeks"] == 0.0 and rules["delay"]["not_treated"] == 0


def test_default_capacity_holds_every_list_steady():
    """Each band's capacity equals its referrals, so every band (and the list) holds steady."""
    result = simulate(
        synthetic(900, seed=6), DEFAULT, census_date=CENSUS, weeks=10, seed=3,
        capacity_split="bands",
    )  # fmt: skip
    for outcome in result.rule_sets:
        assert len({p.waiting for p in outcome.weekly}) == 1
    assert result.new_referrals > 0
    assert sum(p.treated for p in result.outcome("default").weekly) == result.new_referrals


def gap_list(n: int, seed: int) -> PtlArrays:
    """One list, the same priority mix in every quintile, the most deprived referred later.

    5% P3 recently referred, 1% P3 already past target, 94% P4. P4 waits: quintile 1 (deciles
    1-2) 0-149 days, everyone else 0-249. Capacity (n/50 a week) is below the rate at which
    the list was referred (about n/36 a week), so a later referral waits longer at treatment
    when booked in clock-start order: the conventional order leaves quintile 1 waiting longer.
    """
    rng = np.random.default_rng(seed)
    decile = rng.integers(1, 11, n)
    kind = rng.choice(3, n, p=[0.05, 0.01, 0.94])
    p4_wait = np.where(decile <= 2, rng.integers(0, 150, n), rng.integers(0, 250, n))
    wait = np.select(
        [kind == 0, kind == 1], [rng.integers(0, 40, n), rng.integers(100, 150, n)], p4_wait
    )
    return ptl(
        wait.tolist(),
        deciles=decile.tolist(),
        priorities=np.where(kind < 2, "P3", "P4").tolist(),
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_default_rules_narrow_the_deprivation_gap_without_more_breaches(seed):
    arrays = gap_list(1000, seed)
    rates = {"110": 20}
    result = simulate(
        arrays,
        DEFAULT,
        census_date=CENSUS,
        weeks=52,
        seed=seed,
        capacity=rates,
        referrals_per_week=rates,
    )
    conventional, default = result.outcome(CONVENTIONAL), result.outcome("default")
    before = conventional.deprivation_gap.median_weeks
    after = default.deprivation_gap.median_weeks
    assert before is not None and after is not None
    assert before >= 2.0  # the conventional order leaves Q1 at least two weeks behind
    assert abs(after) < before  # narrower, not just reversed
    assert default.treated_by_imd_quintile["1"].median_days < (
        conventional.treated_by_imd_quintile["1"].median_days
    )
    breaches = lambda o: o.treated_over_target + o.waiting_over_target  # noqa: E731
    assert conventional.treated_over_target > 0  # the P3 entries already past target
    assert breaches(default) <= breaches(conventional)
    # And no priority has more breaches, treated or still waiting, than conventionally.
    by_code = {b.priority_code: b for b in conventional.priority_breaches}
    for mine in default.priority_breaches:
        theirs = by_code[mine.priority_code]
        assert (mine.treated_over_target or 0) <= (theirs.treated_over_target or 0)
        assert (mine.waiting_over_target or 0) <= (theirs.waiting_over_target or 0)
