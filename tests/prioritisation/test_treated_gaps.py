"""The Q1-Q5 gap in mean wait at treatment per specialty, band and week, kept as sums: the
predicted (simulation) and measured (snapshot) sides of the equity trend use the same code."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

from bench.gap_list import CENSUS, gap_list
from prioritisation import load_default_rules
from prioritisation.simulation import CONVENTIONAL, SimulationResult, simulate
from prioritisation.treated_gaps import (
    ALL_BANDS,
    GapCells,
    GapSums,
    cells_from_json,
    cells_to_json,
    pooled,
    total,
)


def test_sums_per_specialty_band_and_week_by_hand() -> None:
    # Deciles 1-2 are quintile 1, 9-10 quintile 5; decile 5 and unknown (0) are in neither.
    cells = GapCells.of(
        ["110", "110", "110", "110", "120", "120", "110"],
        ["P2", "P2", "P3", "", "P2", "P2", "P2"],
        [1, 10, 2, 9, 1, 5, 0],
    )
    table = cells.table([70, 14, 35, 7, 21, 700, 999], [0, 0, 1, 1, 0, 0, -1], 2)
    assert table[("110", "P2", 0)] == GapSums(1, 70, 4900, 1, 14, 196)
    assert table[("110", "P2", 0)].gap_weeks == pytest.approx(8.0)
    assert table[("110", "P3", 1)] == GapSums(1, 35, 1225, 0, 0, 0)
    assert table[("110", "P3", 1)].gap_weeks is None  # no quintile 5 patient treated
    assert table[("110", "P4", 1)] == GapSums(0, 0, 0, 1, 7, 49)  # blank ranks as P4
    assert table[("110", ALL_BANDS, 1)] == GapSums(1, 35, 1225, 1, 7, 49)
    assert table[("110", ALL_BANDS, 1)].gap_weeks == pytest.approx(4.0)
    assert ("120", "P2", 0) in table and table[("120", "P2", 0)].q5_count == 0
    assert not any(key[2] == -1 for key in table)  # not treated: left out
    over_weeks = total(table[("110", ALL_BANDS, w)] for w in (0, 1))
    assert over_weeks.gap_weeks == pytest.approx(((70 + 35) / 2 - (14 + 7) / 2) / 7)
    assert cells_from_json(cells_to_json(table)) == table


def test_standard_error_of_two_independent_means() -> None:
    q1 = np.array([70, 84, 91, 140])
    q5 = np.array([14, 28, 21])
    sums = GapSums(
        len(q1), int(q1.sum()), int((q1**2).sum()), len(q5), int(q5.sum()), int((q5**2).sum())
    )
    expected = math.sqrt(q1.var(ddof=1) / len(q1) + q5.var(ddof=1) / len(q5)) / 7
    assert sums.standard_error_weeks == pytest.approx(expected)
    assert GapSums(1, 7, 49, 3, 21, 147).standard_error_weeks is None


@functools.cache
def _run() -> SimulationResult:
    gaps = gap_list()
    return simulate(
        gaps.arrays,
        {"default": load_default_rules()},
        census_date=CENSUS,
        weeks=8,
        seed=3,
        capacity=gaps.capacity,
        referrals_per_week=gaps.capacity,
    )


@pytest.mark.parametrize("name", [CONVENTIONAL, "default"])
def test_simulated_weekly_sums_add_up_to_the_horizon_gap(name: str) -> None:
    result = _run()
    table = result.treated_gaps[name]
    assert {week for _, _, week in table} <= set(range(8))
    whole = total(sums for (_, band, _), sums in table.items() if band == ALL_BANDS)
    assert whole.gap_weeks == pytest.approx(result.outcome(name).deprivation_gap.mean_weeks)
    bands = {g.priority_code: g for g in result.outcome(name).gap_by_priority}
    for code, band in bands.items():
        mine = total(sums for (_, p, _), sums in table.items() if p == code)
        if band.mean_weeks is None:
            assert mine.gap_weeks is None
        else:
            assert mine.gap_weeks == pytest.approx(band.mean_weeks)
    assert "treated_gaps" not in result.to_dict()


def test_pooled_tables_sum_cell_by_cell() -> None:
    a = {("110", ALL_BANDS, 0): GapSums(1, 7, 49, 1, 0, 0)}
    b = {("110", ALL_BANDS, 0): GapSums(1, 21, 441, 1, 0, 0), ("120", "P2", 1): GapSums(1, 7, 49)}
    both = pooled([a, b])
    assert both[("110", ALL_BANDS, 0)].gap_weeks == pytest.approx(2.0)
    assert both[("120", "P2", 1)] == GapSums(1, 7, 49)
