"""Properties of the ordering on random PTLs and rule books, and the per-row oracle."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.baseline_scoring import score_rows
from prioritisation import (
    COMPONENTS,
    Overrides,
    RankingResult,
    RuleBook,
    load_default_rules,
    rank_ptl,
)
from prioritisation.coded import CodedPtl
from tests.prioritisation.builders import (
    AREAS,
    CENSUS,
    INCLUSION,
    book,
    capacities,
    ptl,
    rows,
    rule_books,
    zero_uplift_books,
    zero_uplift_default,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EQUITY = ("deprivation", "ethnicity", "core20", "inclusion", "clinical_area")


def run(
    data: list[dict[str, Any]], rules: RuleBook, overrides: Overrides | None = None
) -> RankingResult:
    return rank_ptl(ptl(data), rules, CENSUS, overrides)


def _pairs_in_same_list(result: RankingResult) -> tuple[np.ndarray, np.ndarray]:
    """Every ordered pair (i, j) of ranked entries in the same list with rank i < rank j."""
    ranked = np.flatnonzero(~result.parked)
    i, j = np.meshgrid(ranked, ranked, indexing="ij")
    i, j = i.ravel(), j.ravel()
    keep = (result.list_id[i] == result.list_id[j]) & (result.rank[i] < result.rank[j])
    return i[keep], j[keep]


def _band(result: RankingResult) -> np.ndarray:
    order = ["P1a", "P1b", "P2", "P3", "P4"]
    return np.array([order.index(c) if c in order else 9 for c in result.priority_code.tolist()])


@SETTINGS
@given(rows(), rule_books())
def test_ranks_are_a_permutation_within_each_list(data, rules) -> None:
    result = run(data, rules)
    for list_id in np.unique(result.list_id):
        members = (result.list_id == list_id) & ~result.parked
        for name in ("rank", "conventional_rank"):
            ranks = np.sort(getattr(result, name)[members])
            assert ranks.tolist() == list(range(1, int(members.sum()) + 1))
        assert (result.list_size[members] == members.sum()).all()
    assert (result.rank[result.parked] == 0).all()


@st.composite
def ranked_case(draw: st.DrawFn, overrides: tuple[str, ...] = ()) -> RankingResult:
    """A ranked PTL: random rows and rule book, with or without capacity and overrides."""
    data = draw(st.one_of(rows(), rows(min_size=6, crowded=True)))
    rules = draw(rule_books())
    chosen = None
    if overrides:
        kinds = draw(st.lists(st.sampled_from(["", "", *overrides]), min_size=len(data),
                              max_size=len(data)))  # fmt: skip
        days = [
            draw(st.floats(-50, 50).map(lambda d: round(d, 2))) if k == "adjust_uplift" else 0.0
            for k in kinds
        ]
        chosen = Overrides.from_columns(kinds, days)
    return rank_ptl(ptl(data), rules, CENSUS, chosen, draw(capacities(data)))


WAIT_ORDERED_TIERS = ("long_wait", "last_chance", "target_margin")


@SETTINGS
@given(ranked_case(("pin_ahead", "hold_back", "adjust_uplift")))
def test_clinical_priority_is_never_crossed(result) -> None:
    band = _band(result)
    i, j = _pairs_in_same_list(result)
    assert (band[i] <= band[j]).all(), "a lower priority ranked ahead of a higher one"


@SETTINGS
@given(ranked_case(("pin_ahead", "hold_back")))
def test_no_wait_ordered_entry_is_behind_a_shorter_wait_unless_pinned(result) -> None:
    """Long-wait, target-margin and last-chance entries: only a clinician's pin puts a shorter
    wait ahead of them (their own hold-back is refused)."""
    pinned = (result.override_kind == "pin_ahead") & (result.override_status == "applied")
    i, j = _pairs_in_same_list(result)
    band = _band(result)
    guarded = np.isin(result.tier, WAIT_ORDERED_TIERS)
    shorter = (band[i] == band[j]) & guarded[j] & (result.wait_days[i] < result.wait_days[j])
    assert (pinned[i][shorter] & ~pinned[j][shorter]).all()
    assert (result.protected == guarded).all()
    held = (result.override_kind == "hold_back") & guarded
    assert (result.override_status[held] == "ignored_protected").all()


@SETTINGS
@given(ranked_case(("pin_ahead", "hold_back", "adjust_uplift")))
def test_displacement_is_bounded_by_the_cap(result) -> None:
    """An entry is overtaken by a shorter wait only by at most its band's cap in days, unless
    a clinician pinned the other, held this one back or adjusted either, or the other is a
    last-chance entry."""
    applied = result.override_status == "applied"
    pinned = applied & (result.override_kind == "pin_ahead")
    held = applied & (result.override_kind == "hold_back")
    adjusted = applied & (result.override_kind == "adjust_uplift")
    i, j = _pairs_in_same_list(result)
    band = _band(result)
    overtaken = (band[i] == band[j]) & (result.wait_days[i] < result.wait_days[j])
    excused = pinned[i] | held[j] | adjusted[i] | adjusted[j] | (result.tier[i] == "last_chance")
    days_less = (result.wait_days[j] - result.wait_days[i]) * 100
    within_cap = days_less <= result.cap_centidays[j]
    assert (within_cap | excused)[overtaken].all()
    # the last-chance exception only ever overtakes entries already past their target
    late = overtaken & (result.tier[i] == "last_chance") & ~pinned[i] & ~held[j] & ~within_cap
    assert (result.tier[j][late] == "past_target").all()


@SETTINGS
@given(ranked_case())
def test_ranges_follow_the_conventional_order_and_order_within(result) -> None:
    """Between ranges the order is the conventional one (last-chance entries aside); inside a
    range entries go by wait, or by score in the past-target and routine ranges."""
    band = _band(result)
    i, j = _pairs_in_same_list(result)
    same = band[i] == band[j]
    order = ["long_wait", "last_chance", "past_target", "target_margin", "routine"]
    tier_i = np.array([order.index(t) for t in result.tier[i]], dtype=int)
    tier_j = np.array([order.index(t) for t in result.tier[j]], dtype=int)
    assert (tier_i[same] <= tier_j[same]).all()
    conventional = same & (result.tier[i] != "last_chance") & (result.tier[j] != "last_chance")
    longer = result.wait_days[i] >= result.wait_days[j]
    assert (longer | (tier_i == tier_j))[conventional].all()
    inside = same & (tier_i == tier_j)
    by_score = np.isin(result.tier[i], ["past_target", "routine"])
    assert (result.score_centidays[i] >= result.score_centidays[j])[inside & by_score].all()
    assert longer[inside & ~by_score].all()


@SETTINGS
@given(ranked_case())
def test_protected_entries_keep_their_conventional_place(result) -> None:
    """Without overrides a long-wait or target-margin entry keeps its conventional rank; a
    last-chance entry only moves up."""
    fixed = np.isin(result.tier, ["long_wait", "target_margin"])
    assert (result.rank[fixed] == result.conventional_rank[fixed]).all()
    last = result.tier == "last_chance"
    assert (result.rank[last] <= result.conventional_rank[last]).all()


@SETTINGS
@given(rows(), rule_books())
def test_cap_holds_and_components_sum_to_the_score(data, rules) -> None:
    result = run(data, rules)
    equity = sum(result.component_centidays[name] for name in EQUITY)
    capped_uplift = equity + result.component_centidays["cap"]
    assert (capped_uplift <= result.cap_centidays).all()
    assert (capped_uplift >= 0).all() and (result.component_centidays["cap"] <= 0).all()
    assert (result.capped == (equity > result.cap_centidays)).all()
    assert (equity == result.uplift_uncapped_centidays).all()
    total = sum(result.component_centidays[name] for name in COMPONENTS)
    assert (total == result.score_centidays).all()
    assert (result.component_centidays["wait"] == result.wait_days * 100).all()
    p1 = np.isin(result.priority_code, ["P1a", "P1b"]) | result.parked
    assert (equity[p1] == 0).all(), "no uplift for P1a/P1b or parked entries"


@SETTINGS
@given(rows(), st.one_of(st.just(book(default=zero_uplift_default())), zero_uplift_books()))
def test_zero_uplifts_reproduce_the_conventional_order(data, rules) -> None:
    result = run(data, rules)
    assert (result.rank == result.conventional_rank).all()
    assert (result.score_centidays == result.wait_days * 100).all()


@SETTINGS
@given(
    st.one_of(st.just(book(default=zero_uplift_default())), zero_uplift_books()),
    st.data(),
)
def test_zero_uplifts_with_capacity_move_only_last_chance_entries(rules, draw) -> None:
    """With capacity known the last-chance entries move up to just behind the long-wait range;
    everyone else keeps the conventional order."""
    data = draw.draw(rows())
    result = rank_ptl(ptl(data), rules, CENSUS, None, draw.draw(capacities(data)))
    for list_id in np.unique(result.list_id[~result.parked]):
        members = np.flatnonzero((result.list_id == list_id) & ~result.parked)
        conventional = members[np.argsort(result.conventional_rank[members])]
        band = _band(result)[conventional]
        tier = result.tier[conventional]
        key = [(b, 0 if t == "long_wait" else 1 if t == "last_chance" else 2) for b, t in
               zip(band.tolist(), tier.tolist(), strict=True)]  # fmt: skip
        expected = conventional[sorted(range(len(key)), key=lambda k: key[k])]
        assert result.pathway_id[members[np.argsort(result.rank[members])]].tolist() == (
            result.pathway_id[expected].tolist()
        )


@SETTINGS
@given(rows(), rule_books(), st.randoms(use_true_random=False))
def test_shuffling_the_input_changes_nothing(data, rules, random) -> None:
    result = run(data, rules)
    permutation = np.array(random.sample(range(len(data)), len(data)))
    shuffled = run([data[k] for k in permutation], rules)
    for name in (
        "rank",
        "conventional_rank",
        "list_size",
        "score_centidays",
        "protected",
        "capped",
    ):
        assert np.array_equal(getattr(shuffled, name), getattr(result, name)[permutation]), name
    assert (
        shuffled.pathway_id[shuffled.order()].tolist() == result.pathway_id[result.order()].tolist()
    )


@st.composite
def more_equity(draw: st.DrawFn) -> tuple[list[dict[str, Any]], int, dict[str, Any]]:
    data = draw(rows(min_size=2))
    k = draw(st.integers(0, len(data) - 1))
    row = data[k]
    change: dict[str, Any] = {}
    more_deprived = st.integers(1, 10)
    if draw(st.booleans()):
        current = row["imd_decile"] or 11
        change["imd_decile"] = draw(st.integers(1, current - 1)) if current > 1 else 1
    if draw(st.booleans()):
        current = row["barriers"] or 11
        change["barriers"] = draw(more_deprived.filter(lambda d: d <= current))
    if draw(st.booleans()):
        change["inclusion"] = ";".join(
            {*row["inclusion"].split(";"), draw(st.sampled_from(INCLUSION))} - {""}
        )
    if draw(st.booleans()):
        change["areas"] = ";".join({*row["areas"].split(";"), draw(st.sampled_from(AREAS))} - {""})
    return data, k, change


@SETTINGS
@given(more_equity(), rule_books(), st.data())
def test_more_equity_input_never_moves_an_entry_down(case, rules, draw) -> None:
    data, k, change = case
    capacity = draw.draw(capacities(data))
    before = rank_ptl(ptl(data), rules, CENSUS, None, capacity)
    changed = [*data[:k], {**data[k], **change}, *data[k + 1 :]]
    after = rank_ptl(ptl(changed), rules, CENSUS, None, capacity)
    assert after.score_centidays[k] >= before.score_centidays[k]
    assert after.rank[k] <= before.rank[k], change


@SETTINGS
@given(more_equity(), rule_books(), st.data())
def test_more_equity_input_never_moves_a_protected_entry(case, rules, draw) -> None:
    data, k, change = case
    capacity = draw.draw(capacities(data))
    before = rank_ptl(ptl(data), rules, CENSUS, None, capacity)
    changed = [*data[:k], {**data[k], **change}, *data[k + 1 :]]
    after = rank_ptl(ptl(changed), rules, CENSUS, None, capacity)
    assert np.array_equal(after.protected, before.protected)
    protected = before.protected
    assert np.array_equal(after.rank[protected], before.rank[protected]), change


@SETTINGS
@given(rows(min_size=2), rule_books(), st.data())
def test_no_equity_input_of_anyone_moves_a_protected_entry(data, rules, draw) -> None:
    """Stronger: redraw every entry's equity inputs; protected entries stay where they were."""
    redrawn = draw.draw(rows(min_size=len(data), max_size=len(data)))
    equity = ("imd_decile", "barriers", "ethnic_category", "ethnic_group", "inclusion", "areas")
    changed = [
        {**row, **{key: new[key] for key in equity}} for row, new in zip(data, redrawn, strict=True)
    ]
    before, after = run(data, rules), run(changed, rules)
    protected = before.protected
    assert np.array_equal(after.protected, protected)
    assert np.array_equal(after.rank[protected], before.rank[protected])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows(), rule_books(), st.data())
def test_engine_matches_the_per_row_baseline(data, rules, draw) -> None:
    kinds = draw.draw(
        st.lists(
            st.sampled_from(["", "", "", "pin_ahead", "hold_back", "adjust_uplift"]),
            min_size=len(data),
            max_size=len(data),
        )
    )
    days = [
        draw.draw(st.floats(-50, 50).map(lambda d: round(d, 2))) if k == "adjust_uplift" else 0.0
        for k in kinds
    ]
    overrides = Overrides.from_columns(kinds, days)
    capacity = draw.draw(capacities(data))
    result = rank_ptl(ptl(data), rules, CENSUS, overrides, capacity)
    plain = None if capacity is None else {k: dict(v) for k, v in capacity.per_list_band.items()}
    oracle = score_rows(ptl(data), rules, CENSUS, overrides, plain)
    for name in (
        "rank",
        "conventional_rank",
        "list_size",
        "wait_days",
        "parked",
        "protected",
        "capped",
    ):
        assert np.array_equal(np.array(oracle[name]), getattr(result, name)), name
    assert oracle["score"] == result.score_centidays.tolist()
    assert oracle["uplift_uncapped"] == result.uplift_uncapped_centidays.tolist()
    for name in (
        "protection_reason",
        "parked_reason",
        "rule_set",
        "priority_code",
        "override_status",
    ):
        assert oracle[name] == getattr(result, name).tolist(), name
    for name, values in oracle["components"].items():
        assert values == result.component_centidays[name].tolist(), name


def test_engine_matches_the_baseline_on_a_realistic_synthetic_ptl() -> None:
    from bench.scoring_benchmark import CENSUS as BENCH_CENSUS
    from bench.scoring_benchmark import benchmark_rules, synthetic_ptl

    arrays, rules = synthetic_ptl(4000, seed=3), benchmark_rules()
    result = rank_ptl(arrays, rules, BENCH_CENSUS)
    oracle = score_rows(arrays, rules, BENCH_CENSUS)
    assert oracle["rank"] == result.rank.tolist()
    assert oracle["conventional_rank"] == result.conventional_rank.tolist()
    assert oracle["score"] == result.score_centidays.tolist()
    assert result.capped.any() and result.protected.any() and result.parked.any()
    assert (result.rank != result.conventional_rank).any(), "equity uplift changes some ranks"
    assert load_default_rules().default.version == "2026.1"


@SETTINGS
@given(rows(min_size=2), rule_books(), st.data())
def test_a_coded_subset_ranks_exactly_like_its_strings(data, rules, draw) -> None:
    """Coding once and taking subsets (as the simulation does each week) changes nothing."""
    arrays = ptl(data)
    keep = draw.draw(st.lists(st.integers(0, len(data) - 1), min_size=1, unique=True))
    subset = np.array(keep, dtype=np.intp)
    capacity = draw.draw(capacities(data))
    coded = rank_ptl(CodedPtl.from_arrays(arrays).take(subset), rules, CENSUS, None, capacity)
    plain = rank_ptl(arrays.take(subset), rules, CENSUS, None, capacity)
    for name in ("rank", "conventional_rank", "list_size", "score_centidays", "protected"):
        assert np.array_equal(getattr(coded, name), getattr(plain, name)), name
    assert coded.tier.tolist() == plain.tier.tolist()
    assert coded.list_keys == plain.list_keys
    assert coded.pathway_id.tolist() == plain.pathway_id.tolist()
    assert coded.explain([0])[0] == plain.explain([0])[0]
