"""Clinical overrides: pin ahead, hold back, adjust uplift, and what is refused."""

from __future__ import annotations

import numpy as np
import pytest

from prioritisation import Overrides, load_default_rules, rank_ptl
from tests.prioritisation.builders import CENSUS, entry, ptl

RULES = load_default_rules()

ROWS = [
    entry(pathway_id="p2", priority_code="P2", wait_days=5),
    entry(pathway_id="protected", wait_days=80),  # P3, within the target margin
    entry(pathway_id="long", wait_days=60),
    entry(pathway_id="short", wait_days=10),
    entry(pathway_id="p4", priority_code="P4", wait_days=300),
    entry(pathway_id="parked", priority_code="P5", wait_days=50),
]


def run(entries: dict[int, tuple[str, float]]):
    return rank_ptl(ptl(ROWS), RULES, CENSUS, Overrides.from_dict(len(ROWS), entries))


def test_no_override_baseline() -> None:
    result = run({})
    assert result.rank.tolist() == [1, 2, 3, 4, 5, 0]
    assert result.override_status.tolist() == [""] * 6


def test_pin_ahead_goes_to_the_top_of_its_priority_even_ahead_of_protected() -> None:
    result = run({3: ("pin_ahead", 0.0)})
    assert result.rank.tolist() == [1, 3, 4, 2, 5, 0]
    assert result.override_status[3] == "applied"
    assert result.conventional_rank.tolist() == [1, 2, 3, 4, 5, 0], "conventional ignores overrides"
    assert "placed at the top of P3 by clinical override" in result.explain([3])[0]["sentence"]


def test_hold_back_goes_to_the_bottom_of_its_priority_but_stays_ahead_of_the_next() -> None:
    result = run({2: ("hold_back", 0.0)})
    assert result.rank.tolist() == [1, 2, 4, 3, 5, 0]
    assert result.rank[2] < result.rank[4]


def test_hold_back_is_refused_for_a_protected_entry() -> None:
    result = run({1: ("hold_back", 0.0)})
    assert result.rank.tolist() == run({}).rank.tolist()
    assert result.override_status[1] == "ignored_protected"
    assert "not applied (ignored protected)" in result.explain([1])[0]["sentence"]


def test_adjust_uplift_is_its_own_component_outside_the_cap() -> None:
    rows = [
        entry(pathway_id="a", wait_days=10, imd_decile=1, inclusion="autism"),
        entry(pathway_id="b", wait_days=60),
    ]
    overrides = Overrides.from_dict(2, {0: ("adjust_uplift", 40.0)})
    result = rank_ptl(ptl(rows), RULES, CENSUS, overrides)
    assert int(result.component_centidays["override"][0]) == 4000
    assert int(result.component_centidays["cap"][0]) == -746, "the cap only bounds equity"
    assert result.score[0] == pytest.approx(10 + 21 + 40)
    assert result.rank.tolist() == [1, 2]
    assert "plus 40 days by clinical override" in result.explain([0])[0]["sentence"]


def test_adjust_uplift_never_jumps_a_protected_entry_or_another_priority() -> None:
    result = run({3: ("adjust_uplift", 500.0), 4: ("adjust_uplift", 900.0)})
    assert result.rank.tolist() == [1, 2, 4, 3, 5, 0]
    negative = run({2: ("adjust_uplift", -60.0)})
    assert negative.rank.tolist() == [1, 2, 4, 3, 5, 0]
    assert "minus 60 days by clinical override" in negative.explain([2])[0]["sentence"]


def test_overrides_on_parked_entries_are_ignored() -> None:
    result = run({5: ("pin_ahead", 0.0)})
    assert result.rank[5] == 0 and result.override_status[5] == "ignored_parked"


def test_several_pins_keep_score_order_and_pins_never_cross_priorities() -> None:
    result = run({2: ("pin_ahead", 0.0), 3: ("pin_ahead", 0.0), 4: ("pin_ahead", 0.0)})
    assert result.rank.tolist() == [1, 4, 2, 3, 5, 0]


def test_override_length_must_match() -> None:
    with pytest.raises(ValueError, match="overrides: 2 entries"):
        rank_ptl(ptl(ROWS), RULES, CENSUS, Overrides.from_dict(2, {}))


def test_override_kind_is_reported() -> None:
    result = run({0: ("adjust_uplift", 1.5)})
    assert result.override_kind.tolist()[:2] == ["adjust_uplift", ""]
    assert np.isclose(result.override[0], 1.5)


def test_adjust_uplift_moves_a_protected_entry_among_protected_entries_only() -> None:
    rows = [
        entry(pathway_id="longest", wait_days=88),
        entry(pathway_id="adjusted", wait_days=75),
        entry(pathway_id="unprotected", wait_days=60, imd_decile=1, inclusion="autism"),
    ]
    up = Overrides.from_dict(3, {1: ("adjust_uplift", 20.0)})
    assert rank_ptl(ptl(rows), RULES, CENSUS, up).rank.tolist() == [2, 1, 3]
    down = Overrides.from_dict(3, {0: ("adjust_uplift", -40.0)})
    result = rank_ptl(ptl(rows), RULES, CENSUS, down)
    assert result.rank.tolist() == [2, 1, 3], "never behind an unprotected entry"


def test_pinned_protected_entries_come_first_among_pins_by_wait() -> None:
    rows = [
        entry(pathway_id="pinned-unprotected", wait_days=60, imd_decile=1, inclusion="autism"),
        entry(pathway_id="pinned-protected", wait_days=70),
        entry(pathway_id="pinned-longer", wait_days=75, imd_decile=1),
        entry(pathway_id="protected", wait_days=100),
    ]
    pins = Overrides.from_dict(
        4, {0: ("pin_ahead", 0.0), 1: ("pin_ahead", 0.0), 2: ("pin_ahead", 0.0)}
    )
    result = rank_ptl(ptl(rows), RULES, CENSUS, pins)
    assert result.score[0] > result.score[1], "by score the unprotected pin would lead"
    assert result.rank.tolist() == [3, 2, 1, 4]
