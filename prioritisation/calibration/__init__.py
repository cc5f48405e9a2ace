"""Calibration: find the multiplier on a specialty's uplifts and caps that closes a chosen
share of its list's deprivation gap within the guardrail limits (docs/calibration.md).

Pure: numpy and the simulation only. The service that loads the list, stores the result and
creates the draft is ``app/rules/calibration.py``.
"""

from prioritisation.calibration.scaling import (
    SCALABLE_FACTORS,
    ScaleProblem,
    check_factors,
    max_multiplier,
    scale_rule_set,
)
from prioritisation.calibration.search import (
    DEFAULT_MULTIPLIERS,
    SUPPORT_SUGGESTIONS,
    Calibration,
    CalibrationLimits,
    FrontierPoint,
    Unreachable,
    calibrate,
)

__all__ = [
    "DEFAULT_MULTIPLIERS",
    "SCALABLE_FACTORS",
    "SUPPORT_SUGGESTIONS",
    "Calibration",
    "CalibrationLimits",
    "FrontierPoint",
    "ScaleProblem",
    "Unreachable",
    "calibrate",
    "check_factors",
    "max_multiplier",
    "scale_rule_set",
]
