"""Weekly booking capacity per list and priority band, and how far next week's booking reaches.

Why an input of its own: the last-chance range (docs/scoring.md §4) needs to know which entries
next week's bookings will reach in conventional order. Capacity is known to the caller
(supplied by the trust, estimated from recent clock stops, or set by the simulation); the
engine only turns it into a reach, with integer arithmetic any reimplementation can repeat.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from prioritisation.scoring import IntArray

REACH_NUMERATOR: Final = 4
REACH_DENOMINATOR: Final = 3
"""Safety factor 4/3: some offers are declined or not taken up, so a week's booking reaches
further down the list than its capacity (capacity / 0.75)."""
MAX_CAPACITY: Final = 1_000_000.0
NO_REACH: Final = -1

ListKey = tuple[str, str, str]
"""(provider code, treatment function code, pathway stage)."""


def reach(patients_per_week: float) -> int:
    """Entries next week's booking reaches: ``ceil(round(1000 × c) × 4 / 3000)``."""
    milli = round(patients_per_week * 1000)
    return (milli * REACH_NUMERATOR + REACH_DENOMINATOR * 1000 - 1) // (REACH_DENOMINATOR * 1000)


@dataclass(frozen=True, slots=True)
class WeeklyCapacity:
    """Patients booked per week for each list and ranked priority code.

    ``per_list_band[(provider, tfc, stage)][priority_code]``; a list or band left out has no
    known capacity, and so no last-chance range.
    """

    per_list_band: Mapping[ListKey, Mapping[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key, bands in self.per_list_band.items():
            if len(key) != 3:
                raise ValueError(f"capacity: list key {key!r} is not (provider, tfc, stage)")
            for code, value in bands.items():
                if (
                    isinstance(value, bool)
                    or not isinstance(value, int | float)
                    or not math.isfinite(value)
                    or not 0 <= value <= MAX_CAPACITY
                ):
                    raise ValueError(
                        f"capacity {'/'.join(key)} {code}: must be a number of patients per "
                        f"week from 0 to {MAX_CAPACITY:g}, got {value!r}"
                    )

    def reach_table(self, list_keys: tuple[ListKey, ...], band_codes: tuple[str, ...]) -> IntArray:
        """``[list, band]`` → reach (``NO_REACH`` where no capacity is known)."""
        table = np.full((len(list_keys), max(len(band_codes), 1)), NO_REACH, np.int64)
        for i, key in enumerate(list_keys):
            bands = self.per_list_band.get(key)
            if not bands:
                continue
            for b, code in enumerate(band_codes):
                if code in bands:
                    table[i, b] = reach(float(bands[code]))
        return table
