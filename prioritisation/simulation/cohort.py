"""Per-entry facts every simulated rule set is judged by: groups, priority and its target."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
StrArray = NDArray[np.str_]

NO_TARGET = -1


@dataclass(frozen=True, slots=True)
class Cohort:
    """Per-entry facts shared by every rule set: group labels, priority and its target."""

    imd_decile: NDArray[np.int8]
    ethnic_label: StrArray
    priority_code: StrArray
    target_days: IntArray
    priority_order: tuple[str, ...]
    default_targets: Mapping[str, int | None]
