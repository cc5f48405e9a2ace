"""Constrained input types shared by every route, so a bound is declared once.

Integers are bounded to what their column holds (a larger one is a 422, never a database
error), JSON documents may not carry ``NaN`` or ``Infinity`` (not JSON, and unstorable), and
codes that the docs call digits accept ASCII digits only (``\\d`` also matches ``١٠٠``).
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import Path
from pydantic import AfterValidator, Field

#: Largest value of a 64-bit (BIGINT) id column.
MAX_BIGINT = 2**63 - 1
#: Largest value of a 32-bit (INTEGER) column, e.g. a rule set's version number.
MAX_INTEGER = 2**31 - 1

#: A stored row's id: 1 .. 2^63 - 1.
RowId = Annotated[int, Field(ge=1, le=MAX_BIGINT)]
#: A counter kept in a 32-bit column (version numbers): 1 .. 2^31 - 1.
SmallCount = Annotated[int, Field(ge=1, le=MAX_INTEGER)]

#: Path parameters of the same bounds (a path id out of range is a 422).
RowIdPath = Annotated[int, Path(ge=1, le=MAX_BIGINT)]
VersionPath = Annotated[int, Path(ge=1, le=MAX_INTEGER, description="Version number.")]

#: Treatment function code: three ASCII digits.
TREATMENT_FUNCTION = r"^[0-9]{3}$"
#: Provider ODS code: three to five ASCII letters or digits.
PROVIDER_CODE = r"^[A-Za-z0-9]{3,5}$"


def _finite(value: Any, path: str = "") -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{path or 'value'}: NaN and Infinity are not allowed")
    if isinstance(value, dict):
        for key, item in value.items():
            _finite(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _finite(item, f"{path}.{index}" if path else str(index))


def _finite_document(value: dict[str, Any]) -> dict[str, Any]:
    _finite(value)
    return value


#: A JSON object posted as a document (rule sets): finite numbers only, at any depth.
JsonDocument = Annotated[dict[str, Any], AfterValidator(_finite_document)]
#: A float that must be a real number.
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
