"""Worked examples with exact numbers: components, cap, guardrails, parking, ties, lists."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from bench.baseline_scoring import score_rows
from prioritisation import COMPONENTS, load_default_rules, rank_ptl, rtt_weeks
from prioritisation.capacity import WeeklyCapacity, reach
from prioritisation.ordering import SortKeys, sort_order
from tests.prioritisation.builders import CENSUS, ETHNICITY_ON, book, entry, ptl, specialty_document

DEFAULT = load_default_rules()


def rank_rows(rows, rules=DEFAULT, census=CENSUS, overrides=None):
    return rank_ptl(ptl(rows, census), rules, census, overrides)


def cents(result, name, i=0):
    return int(result.component_centidays[name][i])


def test_decile_one_at_p3_is_scaled_from_the_p4_value() -> None:
    result = rank_rows([entry(treatment_function_code="100", imd_decile=1, wait_days=40)])
    # 21 days on the P4 scale × 0.6774 = 14.2254, rounded half up to 14.23
    assert cents(result, "deprivation") == 1423
    assert cents(result, "wait") == 4000
    assert result.score[0] == pytest.approx(54.23)
    assert not result.capped[0]


@pytest.mark.parametrize(
    ("priority", "decile", "expected"),
    [("P1a", 1, 0), ("P1b", 1, 0), ("P2", 1, 474), ("P2", 2, 316), ("P3", 3, 474), ("P4", 4, 700)],
)
def test_uplift_per_priority(priority: str, decile: int, expected: int) -> None:
    result = rank_rows(
        [
            entry(
                treatment_function_code="100",
                priority_code=priority,
                imd_decile=decile,
                wait_days=0,
            )
        ]
    )
    assert cents(result, "deprivation") == expected


def test_cap_limits_the_total_equity_uplift() -> None:
    rows = [
        entry(
            pathway_id="a",
            treatment_function_code="100",
            imd_decile=1,
            inclusion="learning_disability",
            wait_days=30,
        ),
        entry(
            pathway_id="b",
            treatment_function_code="100",
            priority_code="P4",
            imd_decile=1,
            inclusion="autism;multimorbidity",
            wait_days=30,
        ),
    ]
    result = rank_rows(rows)
    # P3: 14.23 + 14.23 = 28.46, capped at 21
    assert result.uplift_uncapped[0] == pytest.approx(28.46)
    assert cents(result, "cap", 0) == -746
    assert result.capped[0] and result.score[0] == pytest.approx(51.0)
    # P4: 21 + max(21, 7) = 42, capped at 31 (inclusion flags combine by max)
    assert cents(result, "inclusion", 1) == 2100
    assert cents(result, "cap", 1) == -1100
    assert result.score[1] == pytest.approx(61.0)


def test_missing_data_is_neutral() -> None:
    rules = book(specialty_document("130", ethnicity=ETHNICITY_ON))
    rows = [
        entry(pathway_id=str(i), treatment_function_code="130", ethnic_category=c, ethnic_group=g)
        for i, (c, g) in enumerate(
            [("Z", "not_stated"), ("99", "not_known"), ("", ""), ("", "black")]
        )
    ]
    result = rank_rows(rows, rules)
    for name in ("deprivation", "ethnicity", "core20", "inclusion", "clinical_area"):
        assert not result.component_centidays[name].any(), name
    assert (result.score_centidays == 10_000).all()


def test_unknown_ethnic_codes_are_refused_where_ethnicity_counts() -> None:
    rules = book(specialty_document("130", ethnicity=ETHNICITY_ON))
    for category, group in [("X", "black"), ("K", "purple"), ("X", "not_stated")]:
        rows = [
            entry(pathway_id="a", treatment_function_code="130", ethnic_category="M",
                  ethnic_group="black"),
            entry(pathway_id="b", treatment_function_code="130", ethnic_category=category,
                  ethnic_group=group),
        ]  # fmt: skip
        with pytest.raises(ValueError, match="unknown ethnic_"):
            rank_rows(rows, rules)
        with pytest.raises(ValueError, match="unknown ethnic"):
            score_rows(ptl(rows), rules, CENSUS)
    elsewhere = entry(pathway_id="c", ethnic_category="X", ethnic_group="purple")
    result = rank_rows([elsewhere], rules)  # ethnicity is off for 110: the codes are not read
    assert result.component_centidays["ethnicity"].tolist() == [0]


def test_ethnicity_uplift_category_wins_over_group() -> None:
    rules = book(specialty_document("130", ethnicity=ETHNICITY_ON))
    rows = [
        entry(
            pathway_id=c,
            treatment_function_code="130",
            priority_code="P4",
            ethnic_category=c,
            ethnic_group=g,
        )
        for c, g in [("K", "asian"), ("H", "asian"), ("M", "black"), ("A", "white")]
    ]
    result = rank_rows(rows, rules)
    assert result.component_centidays["ethnicity"].tolist() == [1000, 500, 700, 0]
    assert (rank_rows(rows).component_centidays["ethnicity"] == 0).all(), "off by default"


def test_deprivation_can_weight_by_a_domain() -> None:
    rules = book(specialty_document("110", deprivation={"imd_measure": "barriers"}))
    rows = [
        entry(pathway_id="a", priority_code="P4", imd_decile=1, barriers=9),
        entry(pathway_id="b", priority_code="P4", imd_decile=9, barriers=1),
    ]
    result = rank_rows(rows, rules)
    assert result.component_centidays["deprivation"].tolist() == [0, 2100]
    arrays = ptl(rows)
    missing = type(arrays)(
        **{**{f: getattr(arrays, f) for f in arrays.__dataclass_fields__}, "imd_domain_deciles": {}}
    )
    with pytest.raises(ValueError, match="'barriers' domain"):
        rank_ptl(missing, rules, CENSUS)


@pytest.mark.parametrize(
    ("priority", "wait", "reason"),
    [
        ("P3", 68, ""),
        ("P3", 69, "within_priority_target_margin"),
        ("P3", 90, "within_priority_target_margin"),
        ("P3", 91, "past_priority_target"),
        ("P2", 20, ""),
        ("P2", 21, "within_priority_target_margin"),
        ("P2", 29, "past_priority_target"),
        ("P4", 329, ""),
        ("P4", 330, "within_52_week_margin"),
        ("P4", 364, "within_52_week_margin"),
        ("P4", 365, "past_52_weeks"),
        ("P4", 420, "past_52_weeks"),  # breaches win over margins
        ("P3", 420, "past_52_weeks"),  # long waits win over targets
        ("P3", 200, "past_priority_target"),
        ("P4", 728, "past_78_weeks"),
        ("P4", 729, "past_104_weeks"),
    ],
)
def test_protection_boundaries(priority: str, wait: int, reason: str) -> None:
    result = rank_rows([entry(priority_code=priority, wait_days=wait)])
    assert result.protection_reason[0] == reason
    # past its target (below the long-wait range) an entry is ordered by score, unprotected
    assert result.protected[0] == (reason not in ("", "past_priority_target"))


@pytest.mark.parametrize(
    ("priority", "wait", "tier"),
    [
        ("P3", 68, "routine"),
        ("P3", 69, "target_margin"),
        ("P3", 90, "target_margin"),
        ("P3", 91, "past_target"),
        ("P3", 329, "past_target"),
        ("P3", 330, "long_wait"),
        ("P2", 20, "routine"),
        ("P2", 21, "target_margin"),
        ("P2", 29, "past_target"),
        ("P4", 329, "routine"),
        ("P4", 330, "long_wait"),
        ("P4", 800, "long_wait"),
    ],
)
def test_ranges_of_wait(priority: str, wait: int, tier: str) -> None:
    assert rank_rows([entry(priority_code=priority, wait_days=wait)]).tier[0] == tier


def test_rtt_week_counting_follows_the_guidance() -> None:
    days = np.array([0, 1, 7, 8, 126, 127, 364, 365, 728, 729])
    assert rtt_weeks(days).tolist() == [0, 0, 0, 1, 17, 18, 51, 52, 103, 104]


def test_protected_entry_is_never_behind_an_unprotected_one_of_its_priority() -> None:
    rows = [
        entry(pathway_id="near", wait_days=70),  # within 21 days of the 90-day target
        entry(pathway_id="deprived", wait_days=60, imd_decile=1, inclusion="autism"),  # 60 + 21
        entry(pathway_id="p2", priority_code="P2", wait_days=1),
    ]
    result = rank_rows(rows)
    assert result.score[1] > result.score[0]
    assert result.rank.tolist() == [2, 3, 1]
    assert result.conventional_rank.tolist() == [2, 3, 1]


def test_protected_entries_are_ordered_by_wait_never_by_uplift() -> None:
    uplift = {"imd_decile": 1, "inclusion": "autism"}
    rows = [
        entry(pathway_id="p3-near", wait_days=85),  # within the margin of the 90-day target
        entry(pathway_id="p3-nearer", wait_days=80, **uplift),  # 80 + 21 (capped) = 101
        entry(pathway_id="p4-104", priority_code="P4", wait_days=740),  # past 104 weeks
        entry(pathway_id="p4-78", priority_code="P4", wait_days=720, **uplift),  # 720 + 31
    ]
    result = rank_rows(rows)
    assert result.score[1] > result.score[0] and result.score[3] > result.score[2]
    assert result.protection_reason.tolist() == [
        "within_priority_target_margin", "within_priority_target_margin", "past_104_weeks",
        "past_78_weeks",
    ]  # fmt: skip
    assert result.rank.tolist() == [1, 2, 3, 4]
    assert result.conventional_rank.tolist() == [1, 2, 3, 4]


def test_past_target_entries_are_ordered_by_score_within_the_cap() -> None:
    """P3 past its 90-day target: a deprived entry overtakes a longer wait by up to the cap
    (21 days), never more, and never anyone in the long-wait range."""
    uplift = {"imd_decile": 1, "inclusion": "autism"}  # 14.23 + 14.23, capped at 21
    rows = [
        entry(pathway_id="long", wait_days=330),  # long-wait range: ordered by wait, first
        entry(pathway_id="past-200", wait_days=200),
        entry(pathway_id="past-180", wait_days=180, **uplift),  # 201: ahead of 200
        entry(pathway_id="past-178", wait_days=178, **uplift),  # 199: behind 200
        entry(pathway_id="margin-90", wait_days=90, **uplift),  # target margin, by wait
        entry(pathway_id="margin-85", wait_days=85),
    ]
    result = rank_rows(rows)
    assert result.tier.tolist() == [
        "long_wait", "past_target", "past_target", "past_target", "target_margin",
        "target_margin",
    ]  # fmt: skip
    assert result.rank.tolist() == [1, 3, 2, 4, 5, 6]
    assert result.conventional_rank.tolist() == [1, 2, 3, 4, 5, 6]
    assert not result.protected[1:4].any() and result.protected[[0, 4, 5]].all()
    sentence = result.explain([2])[0]["sentence"]
    assert sentence.endswith(
        "capped at 21 days; past its target: ordered among patients past target by score (only "
        "someone who has waited at most 21 days less can overtake it)"
    )


def test_last_chance_entries_come_after_the_long_wait_range() -> None:
    """With 3 bookings a week, next week reaches 4 entries of the band (ceil(3 × 4 / 3)).
    margin-86 is within reach and would pass its 90-day target within 7 days: it goes ahead
    of the entries already past target; margin-83 would not pass it within the week."""
    rows = [
        entry(pathway_id="long", wait_days=400),
        entry(pathway_id="past-120", wait_days=120),
        entry(pathway_id="past-100", wait_days=100, imd_decile=1),
        entry(pathway_id="margin-86", wait_days=86),
        entry(pathway_id="margin-83", wait_days=83),
        entry(pathway_id="p4", priority_code="P4", wait_days=100),
    ]
    capacity = WeeklyCapacity({("RKB", "110", "admitted"): {"P3": 3, "P4": 1}})
    result = rank_ptl(ptl(rows), DEFAULT, CENSUS, capacity=capacity)
    assert result.tier.tolist() == [
        "long_wait", "past_target", "past_target", "last_chance", "target_margin", "routine",
    ]  # fmt: skip
    assert result.rank.tolist() == [1, 3, 4, 2, 5, 6]
    assert result.protection_reason[3] == "last_chance" and result.protected[3]
    assert (
        "protected: within next week's bookings and would pass the target"
        in (result.explain([3])[0]["sentence"])
    )
    without = rank_ptl(ptl(rows), DEFAULT, CENSUS)
    assert without.tier[3] == "target_margin" and without.rank.tolist() == [1, 2, 3, 4, 5, 6]
    # reach 2 (capacity 1.5 → ceil(2.0)): margin-86 is fourth in conventional order, out of reach
    short = WeeklyCapacity({("RKB", "110", "admitted"): {"P3": 1.5}})
    assert rank_ptl(ptl(rows), DEFAULT, CENSUS, capacity=short).tier[3] == "target_margin"


def test_reach_is_capacity_times_four_thirds_rounded_up() -> None:
    assert [reach(c) for c in (0, 0.001, 0.75, 1, 3, 3.001, 7.5, 100)] == [
        0, 1, 1, 2, 4, 5, 10, 134,
    ]  # fmt: skip


def test_capacity_is_validated() -> None:
    with pytest.raises(ValueError, match="RKB/110/admitted P3: must be a number"):
        WeeklyCapacity({("RKB", "110", "admitted"): {"P3": -1}})
    with pytest.raises(ValueError, match="must be a number"):
        WeeklyCapacity({("RKB", "110", "admitted"): {"P3": float("nan")}})


def test_uplift_reorders_unprotected_entries_within_a_priority() -> None:
    rows = [entry(pathway_id="a", wait_days=40), entry(pathway_id="b", wait_days=30, imd_decile=1)]
    result = rank_rows(rows)
    assert result.rank.tolist() == [2, 1]
    assert result.conventional_rank.tolist() == [1, 2]


def test_ties_break_on_clock_start_then_pathway_id() -> None:
    rows = [
        entry(pathway_id="b", wait_days=-5),  # clock starts after the census: wait 0
        entry(pathway_id="c", wait_days=-2),
        entry(pathway_id="a", wait_days=-2),
        entry(pathway_id="d", wait_days=0),
    ]
    result = rank_rows(rows)
    assert result.wait_days.tolist() == [0, 0, 0, 0]
    assert result.rank.tolist() == [4, 3, 2, 1]


def test_parked_entries_are_reported_not_ranked() -> None:
    rows = [
        entry(pathway_id="a", priority_code="P5", wait_days=400, imd_decile=1),
        entry(pathway_id="b", priority_code="P6"),
        entry(pathway_id="c", rtt_status="31", wait_days=500),
        entry(pathway_id="d"),
        entry(pathway_id="e", rtt_status="32", priority_code=""),
    ]
    result = rank_rows(rows)
    assert result.rank.tolist() == [0, 0, 0, 1, 0]
    assert result.conventional_rank.tolist() == [0, 0, 0, 1, 0]
    assert result.list_size.tolist() == [0, 0, 0, 1, 0]
    assert result.parked_reason.tolist() == [
        "patient_deferred", "patient_deferred", "active_monitoring", "", "active_monitoring",
    ]  # fmt: skip
    assert not result.protected[[0, 2]].any()
    assert cents(result, "deprivation", 0) == 0 and cents(result, "wait", 0) == 40_000
    assert result.order().tolist() == [3]
    assert result.order(include_parked=True).tolist() == [3, 0, 1, 2, 4]


def test_blank_priority_is_ranked_as_p4_and_flagged() -> None:
    result = rank_rows(
        [
            entry(pathway_id="a", priority_code=""),
            entry(pathway_id="b", priority_code="P4", wait_days=50),
        ]
    )
    assert result.priority_code.tolist() == ["P4", "P4"]
    assert result.priority_defaulted.tolist() == [True, False]
    assert result.rank.tolist() == [1, 2]


def test_each_provider_specialty_and_stage_is_its_own_list() -> None:
    rows = [
        entry(pathway_id="1", wait_days=10),
        entry(pathway_id="2", wait_days=20, pathway_stage="non_admitted"),
        entry(pathway_id="3", wait_days=30, provider_code="RRK"),
        entry(pathway_id="4", wait_days=40, treatment_function_code="130"),
        entry(pathway_id="5", wait_days=5),
    ]
    result = rank_rows(rows)
    assert result.rank.tolist() == [1, 1, 1, 1, 2]
    assert result.list_size.tolist() == [2, 1, 1, 1, 2]
    assert result.list_key[1] == "RKB/110/non_admitted"
    assert len(result.list_keys) == 4
    assert result.rule_set.tolist() == ["default"] * 5


def test_specialty_rule_sets_apply_by_treatment_function() -> None:
    rules = book(specialty_document("130", ethnicity=ETHNICITY_ON))
    rows = [entry(pathway_id="1", treatment_function_code="130"), entry(pathway_id="2")]
    result = rank_rows(rows, rules)
    assert result.rule_set.tolist() == ["130", "default"]
    assert result.rule_set_version.tolist() == ["130-test", "2026.1"]


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(
        ValueError, match=r"priority codes not ranked or parked by the rule set: \['P9'\]"
    ):
        rank_rows([entry(priority_code="P9")])
    with pytest.raises(ValueError, match="repeated within a list"):
        rank_rows([entry(pathway_id="x"), entry(pathway_id="x", wait_days=3)])
    shared = rank_rows([entry(pathway_id="x"), entry(pathway_id="x", provider_code="RRK")])
    assert shared.rank.tolist() == [1, 1]


def test_census_date_forms_agree() -> None:
    arrays = ptl([entry(wait_days=10)])
    for census in (
        CENSUS,
        CENSUS.isoformat(),
        np.datetime64(CENSUS),
        np.datetime64("2026-11-23T15:00"),
    ):
        assert rank_ptl(arrays, DEFAULT, census).wait_days.tolist() == [10]
    later = rank_ptl(arrays, DEFAULT, CENSUS + timedelta(days=7))
    assert later.wait_days.tolist() == [17]


def test_components_sum_to_the_score_and_are_listed_in_order() -> None:
    rows = [
        entry(
            pathway_id=str(i),
            imd_decile=i % 11,
            inclusion="autism" if i % 2 else "",
            wait_days=i * 9,
        )
        for i in range(30)
    ]
    result = rank_rows(rows)
    total = sum(result.component_centidays[name] for name in COMPONENTS)
    assert (total == result.score_centidays).all()
    assert list(result.components()) == list(COMPONENTS)
    assert np.array_equal(sum(result.components().values()), result.score)
    assert np.allclose(result.score, result.score_centidays / 100, rtol=0, atol=1e-9)
    for record in result.explain(range(len(rows))):
        assert sum(record["components"].values()) == record["score"]
        assert list(record["components"]) == list(COMPONENTS)
    assert np.array_equal(result.deprivation, result.component("deprivation"))


def test_empty_ptl() -> None:
    result = rank_ptl(ptl([entry()]).take([]), DEFAULT, CENSUS)
    assert len(result) == 0 and result.order().tolist() == []


def test_composite_sort_key_and_lexsort_agree() -> None:
    rng = np.random.default_rng(5)
    for widths in ((3, 3, 2, 200, 50, 500), (3, 3, 2, 2**40, 2**20, 2**10)):
        n = 2000
        keys = SortKeys(
            list_id=rng.integers(0, widths[0], n),
            band=rng.integers(0, widths[1], n),
            tier=rng.integers(0, widths[2], n),
            score=rng.integers(-widths[3], widths[3], n),
            clock=rng.integers(0, widths[4], n),
            pathway=rng.permutation(n).astype(np.int64) % widths[5],
        )
        expected = np.lexsort(
            (keys.pathway, keys.clock, -keys.score, keys.tier, keys.band, keys.list_id)
        )
        ordered = sort_order(keys)
        fields = np.stack(
            [keys.list_id, keys.band, keys.tier, -keys.score, keys.clock, keys.pathway]
        )
        assert np.array_equal(fields[:, ordered], fields[:, expected])
        assert np.array_equal(sort_order(keys, force_lexsort=True), expected)


def test_explanation_record_and_sentence() -> None:
    rows = [
        entry(pathway_id="a", wait_days=300, imd_decile=1, inclusion="learning_disability"),
        entry(pathway_id="b", wait_days=290),
        entry(pathway_id="c", priority_code="P5", wait_days=30),
    ]
    result = rank_rows(rows)
    record, plain, parked = result.explain([0, 1, 2], {"110": "Trauma & Orthopaedics"})
    assert record["rank"] == 1 and record["list_size"] == 2
    assert record["wait_weeks"] == 42 and record["rule_set"] == "default"
    assert record["components"]["deprivation"] == 14.23 and record["capped"]
    assert record["score_centidays"] == 32_100 and record["score"] == pytest.approx(321.0)
    # 300 + 14.23 + 14.23 - 7.46 in floats is 321.00000000000006: the components' own sum
    assert record["score"] == sum(record["components"].values())
    assert [f["component"] for f in record["factors"]] == ["deprivation", "inclusion"]
    assert record["sentence"] == (
        "ranked 1st of 2 in Trauma & Orthopaedics P3: waited 42 weeks, plus 14.23 days for "
        "living in one of the 10% most deprived areas, plus 14.23 days for having a learning "
        "disability; capped at 21 days; past its target: ordered among patients past target "
        "by score (only someone who has waited at most 21 days less can overtake it)"
    )
    assert plain["sentence"] == (
        "ranked 2nd of 2 in Trauma & Orthopaedics P3: waited 41 weeks; past its target: "
        "ordered among patients past target by score (only someone who has waited at most 21 "
        "days less can overtake it)"
    )
    assert parked["sentence"] == (
        "not ranked in Trauma & Orthopaedics: the patient has chosen to defer treatment; "
        "waited 4 weeks"
    )
    with pytest.raises(IndexError):
        result.explain([3])


def test_explanation_names_the_domain_and_uses_the_code_without_a_name() -> None:
    rules = book(specialty_document("110", deprivation={"imd_measure": "barriers"}))
    result = rank_rows([entry(priority_code="P4", barriers=2, pathway_stage="non_admitted")], rules)
    sentence = result.explain([0])[0]["sentence"]
    assert sentence == (
        "ranked 1st of 1 in treatment function 110 (non-admitted) P4: waited 14 weeks, plus 14 "
        "days for living in one of the 20% most deprived areas for barriers to housing and services"
    )


def test_week_and_date_fields_in_explanations() -> None:
    result = rank_rows([entry(wait_days=8)])
    record = result.explain([0])[0]
    assert record["wait_weeks"] == 1 and record["census_date"] == "2026-11-23"
    assert record["rtt_clock_start"] == str(date(2026, 11, 15))


def test_a_disabled_domain_factor_needs_no_domain_deciles() -> None:
    rules = book(specialty_document("110", deprivation={"imd_measure": "health", "enabled": False}))
    result = rank_rows([entry(imd_decile=1)], rules)
    assert result.component_centidays["deprivation"].tolist() == [0]
    assert result.explain([0])[0]["factors"] == []
