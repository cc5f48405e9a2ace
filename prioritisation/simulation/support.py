"""A support intervention: each week the patients most at risk of a failed offer among those
about to be offered a date get support (a call, reminders, transport, an interpreter, pre-op
optimisation) that cuts their chance of deferring by a given share.

Why a separate step: support never changes the order of the list, only whether a patient can
take the slot they are offered; simulating it beside reordering shows which of the two closes
which part of a gap. The defaults and their sources are in docs/simulation.md §8.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

DEFAULT_SUPPORT_PER_WEEK: Final = 50
"""Patients supported per week (k): about 10 a working day, what one booking coordinator or
patient navigator can call, arrange and remind (an assumption: set the trust's own)."""
DEFAULT_SUPPORT_EFFECT: Final = 0.25
"""Share of a supported patient's deferral chance removed: a quarter, the relative fall in
did-not-attend rates from a better-worded SMS reminder in an NHS trial (11.1% to 8.4%)."""
MAX_SUPPORT_PER_WEEK: Final = 100_000
SUPPORTED_SUFFIX: Final = "+support"
"""Appended to a rule set's name for its run with support (``conventional+support``)."""


@dataclass(frozen=True, slots=True)
class SupportIntervention:
    """``per_week`` patients a week get support that removes ``effect`` of their deferral
    chance."""

    per_week: int = DEFAULT_SUPPORT_PER_WEEK
    effect: float = DEFAULT_SUPPORT_EFFECT

    def __post_init__(self) -> None:
        if (
            isinstance(self.per_week, bool)
            or not isinstance(self.per_week, int)
            or not 1 <= self.per_week <= MAX_SUPPORT_PER_WEEK
        ):
            raise ValueError(
                f"support_per_week must be a whole number from 1 to {MAX_SUPPORT_PER_WEEK}, "
                f"got {self.per_week!r}"
            )
        if (
            isinstance(self.effect, bool)
            or not isinstance(self.effect, int | float)
            or not (math.isfinite(self.effect) and 0 < self.effect <= 1)
        ):
            raise ValueError(
                f"support_effect must be a share above 0 and at most 1, got {self.effect!r}"
            )

    def to_dict(self) -> dict[str, float | int]:
        return {"support_per_week": self.per_week, "support_effect": self.effect}


def supported_name(rule_set: str) -> str:
    return f"{rule_set}{SUPPORTED_SUFFIX}"


def choose_supported(risk: FloatArray, per_week: int) -> IntArray:
    """Positions of the ``per_week`` highest risks (on a tie, the earlier position: the one
    higher on the list), in position order."""
    if per_week >= len(risk):
        return np.arange(len(risk), dtype=np.int64)
    top = np.argsort(-risk, kind="stable")[:per_week]
    chosen: IntArray = np.sort(top).astype(np.int64)
    return chosen
