"""The columnar input: one numpy array per field, one row per open pathway on the PTL.

Why columnar: the engine scores a whole PTL (up to millions of rows) with array operations;
a list of row objects would force per-row Python. The constructor validates lengths and dtypes
once so the scoring path can trust its inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from prioritisation.codes import IMD_DOMAINS, OVERRIDE_KINDS, PATHWAY_STAGES

StrArray = NDArray[np.str_]
BoolArray = NDArray[np.bool_]
Int8Array = NDArray[np.int8]
DayArray = NDArray[np.datetime64]


def as_str_array(values: ArrayLike, n: int | None = None, name: str = "column") -> StrArray:
    """A numpy unicode array; ``None`` becomes ``""`` and surrounding whitespace is stripped."""
    array = np.asarray(values)
    if array.dtype.kind != "U":
        array = np.array(["" if v is None else str(v) for v in array.tolist()], dtype=str)
    if array.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array, got shape {array.shape}")
    if n is not None and len(array) != n:
        raise ValueError(f"{name}: length {len(array)} != {n}")
    return np.strings.strip(array) if array.size else array.astype("<U1")


def _as_deciles(values: ArrayLike, n: int, name: str) -> Int8Array:
    array = np.asarray(values)
    if array.ndim != 1 or len(array) != n:
        raise ValueError(f"{name}: expected {n} values, got shape {array.shape}")
    if array.dtype.kind not in "iuf" and array.size:
        raise ValueError(f"{name}: expected integers 0..10 (0 = unknown), got {array.dtype}")
    if array.dtype.kind == "f":
        array = np.where(np.isnan(array), 0.0, array)  # NaN (a blank cell) is unknown
        fractional = np.isfinite(array) & (array != np.floor(array))
        if fractional.any():
            examples = sorted(set(array[fractional].tolist()))[:5]
            raise ValueError(
                f"{name}: deciles must be whole numbers 1..10 (0 or NaN = unknown); "
                f"{int(fractional.sum())} value(s) are not, e.g. {examples}"
            )
    if array.size and (array.min() < 0 or array.max() > 10):
        raise ValueError(f"{name}: deciles must be 1..10, or 0 for unknown")
    return array.astype(np.int8)


@dataclass(frozen=True, slots=True)
class FlagMatrix:
    """Boolean flags per entry (rows) and code (columns), e.g. inclusion groups."""

    codes: tuple[str, ...]
    values: BoolArray

    def __post_init__(self) -> None:
        if self.values.dtype != np.bool_ or self.values.ndim != 2:
            raise ValueError("FlagMatrix.values must be a 2-D bool array")
        if self.values.shape[1] != len(self.codes):
            raise ValueError(f"FlagMatrix: {self.values.shape[1]} columns, {len(self.codes)} codes")
        if len(set(self.codes)) != len(self.codes):
            raise ValueError(f"FlagMatrix: duplicate codes in {self.codes}")

    @classmethod
    def empty(cls, n: int) -> FlagMatrix:
        """No flags for ``n`` entries."""
        return cls((), np.zeros((n, 0), dtype=np.bool_))

    @classmethod
    def from_strings(cls, strings: ArrayLike, codes: Sequence[str] | None = None) -> FlagMatrix:
        """Parse ``;``-separated code lists (``"autism;homeless"``), vectorised over uniques.

        ``codes`` fixes the columns (unlisted codes in the data are dropped); by default every
        code seen becomes a column, sorted.
        """
        array = as_str_array(strings, name="flags")
        uniques, inverse = np.unique(array, return_inverse=True)
        parsed = [frozenset(p.strip() for p in u.split(";") if p.strip()) for u in uniques]
        columns = tuple(codes) if codes is not None else tuple(sorted(set().union(*parsed)))
        table = np.array([[c in p for c in columns] for p in parsed], dtype=np.bool_)
        table = table.reshape(len(uniques), len(columns))
        return cls(columns, table[inverse.reshape(-1)])

    @classmethod
    def from_columns(cls, columns: Mapping[str, ArrayLike]) -> FlagMatrix:
        """One boolean array per code."""
        codes = tuple(columns)
        if not codes:
            raise ValueError("FlagMatrix.from_columns needs at least one column; use empty(n)")
        stacked = np.column_stack([np.asarray(columns[c], dtype=np.bool_) for c in codes])
        return cls(codes, stacked)

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def column(self, code: str) -> BoolArray | None:
        """The flags for one code, or None if the matrix has no such column."""
        return self.values[:, self.codes.index(code)] if code in self.codes else None

    def row_codes(self, row: int) -> list[str]:
        """The codes set on one row (for explanations)."""
        return [c for c, v in zip(self.codes, self.values[row].tolist(), strict=True) if v]

    def take(self, indices: NDArray[np.intp]) -> FlagMatrix:
        return FlagMatrix(self.codes, self.values[indices])


def _flags(value: FlagMatrix | ArrayLike | None, n: int, name: str) -> FlagMatrix:
    if value is None:
        return FlagMatrix.empty(n)
    matrix = value if isinstance(value, FlagMatrix) else FlagMatrix.from_strings(value)
    if len(matrix) != n:
        raise ValueError(f"{name}: {len(matrix)} rows != {n}")
    return matrix


@dataclass(frozen=True, slots=True)
class PtlArrays:
    """A PTL as aligned arrays. Build it with :meth:`from_columns`, which validates everything.

    ``imd_decile`` and the domain deciles use 0 for unknown. ``ethnic_group`` is the broad group
    (white, mixed, asian, black, other, not_stated, not_known) that the caller maps from the
    category using reference data. ``rtt_status`` is "" when absent.
    """

    pathway_id: StrArray
    provider_code: StrArray
    treatment_function_code: StrArray
    pathway_stage: StrArray
    priority_code: StrArray
    rtt_clock_start: DayArray
    imd_decile: Int8Array
    ethnic_category: StrArray
    ethnic_group: StrArray
    rtt_status: StrArray
    inclusion_groups: FlagMatrix
    clinical_areas: FlagMatrix
    imd_domain_deciles: Mapping[str, Int8Array] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.pathway_id)
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray) and (value.ndim != 1 or len(value) != n):
                raise ValueError(f"{f.name}: shape {value.shape} does not match {n} entries")
            if isinstance(value, np.ndarray) and f.type == "StrArray" and value.dtype.kind != "U":
                raise ValueError(f"{f.name}: expected a numpy unicode array, got {value.dtype}")
        if self.rtt_clock_start.dtype != np.dtype("datetime64[D]"):
            raise ValueError("rtt_clock_start: expected datetime64[D]")
        if n and np.isnat(self.rtt_clock_start).any():
            raise ValueError("rtt_clock_start: missing dates (NaT) are not allowed")
        if self.imd_decile.dtype != np.int8:
            raise ValueError("imd_decile: expected int8 (0 = unknown)")
        for name, deciles in self.imd_domain_deciles.items():
            if name not in IMD_DOMAINS:
                raise ValueError(f"imd_domain_deciles: unknown domain {name!r}")
            if deciles.dtype != np.int8 or deciles.shape != (n,):
                raise ValueError(f"imd_domain_deciles.{name}: expected {n} int8 values")
        for name in ("inclusion_groups", "clinical_areas"):
            matrix = getattr(self, name)
            if len(matrix) != n:
                raise ValueError(f"{name}: {len(matrix)} rows != {n}")
        bad_stage = ~np.isin(self.pathway_stage, PATHWAY_STAGES)
        if bad_stage.any():
            raise ValueError(
                f"pathway_stage: unknown values {sorted(set(self.pathway_stage[bad_stage]))[:5]}; "
                f"expected {PATHWAY_STAGES}"
            )

    def __len__(self) -> int:
        return len(self.pathway_id)

    @classmethod
    def from_columns(
        cls,
        *,
        pathway_id: ArrayLike,
        provider_code: ArrayLike,
        treatment_function_code: ArrayLike,
        pathway_stage: ArrayLike,
        priority_code: ArrayLike,
        rtt_clock_start: ArrayLike,
        imd_decile: ArrayLike | None = None,
        imd_domain_deciles: Mapping[str, ArrayLike] | None = None,
        ethnic_category: ArrayLike | None = None,
        ethnic_group: ArrayLike | None = None,
        inclusion_groups: FlagMatrix | ArrayLike | None = None,
        clinical_areas: FlagMatrix | ArrayLike | None = None,
        rtt_status: ArrayLike | None = None,
    ) -> PtlArrays:
        """Convert and validate columns (lists or arrays); optional columns default to unknown."""
        ids = as_str_array(pathway_id, name="pathway_id")
        n = len(ids)

        def text(values: ArrayLike | None, name: str) -> StrArray:
            return as_str_array(np.full(n, "") if values is None else values, n, name)

        deciles = np.zeros(n, np.int8) if imd_decile is None else imd_decile
        return cls(
            pathway_id=ids,
            provider_code=text(provider_code, "provider_code"),
            treatment_function_code=text(treatment_function_code, "treatment_function_code"),
            pathway_stage=text(pathway_stage, "pathway_stage"),
            priority_code=text(priority_code, "priority_code"),
            rtt_clock_start=np.asarray(rtt_clock_start).astype("datetime64[D]"),
            imd_decile=_as_deciles(deciles, n, "imd_decile"),
            ethnic_category=text(ethnic_category, "ethnic_category"),
            ethnic_group=text(ethnic_group, "ethnic_group"),
            rtt_status=text(rtt_status, "rtt_status"),
            inclusion_groups=_flags(inclusion_groups, n, "inclusion_groups"),
            clinical_areas=_flags(clinical_areas, n, "clinical_areas"),
            imd_domain_deciles={
                k: _as_deciles(v, n, f"imd_domain_deciles.{k}")
                for k, v in (imd_domain_deciles or {}).items()
            },
        )

    def take(self, indices: NDArray[np.intp] | Sequence[int]) -> PtlArrays:
        """A subset (or permutation) of the entries, e.g. to shuffle or split a PTL."""
        idx = np.asarray(indices, dtype=np.intp)
        values: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray | FlagMatrix):
                values[f.name] = value[idx] if isinstance(value, np.ndarray) else value.take(idx)
        values["imd_domain_deciles"] = {k: v[idx] for k, v in self.imd_domain_deciles.items()}
        return PtlArrays(**values)


OVERRIDE_DAYS_TOLERANCE = 1e-6
"""How far ``100 × days`` may sit from a whole number and still count as 2 decimals: the
double nearest any 2-decimal number up to 3650 is within 1e-9 of it (0.285 × 100 is
28.499999999999996), while a third decimal moves it by at least 0.1."""


def override_centidays(days: NDArray[np.float64]) -> NDArray[np.int64]:
    """Override days (at most 2 decimals, validated) → exact hundredths of a day."""
    return np.rint(days * 100).astype(np.int64)


@dataclass(frozen=True, slots=True)
class Overrides:
    """Per-entry clinical overrides: ``kind`` is one of "", pin_ahead, hold_back, adjust_uplift;
    ``days`` is the uplift adjustment in days (adjust_uplift only, 0 otherwise)."""

    kind: StrArray
    days: NDArray[np.float64]

    def __post_init__(self) -> None:
        if self.kind.shape != self.days.shape or self.kind.ndim != 1:
            raise ValueError("Overrides: kind and days must be 1-D arrays of the same length")
        unknown = sorted(set(np.unique(self.kind).tolist()) - set(OVERRIDE_KINDS))
        if unknown:
            raise ValueError(f"Overrides.kind: unknown kinds {unknown}; expected {OVERRIDE_KINDS}")
        if not np.isfinite(self.days).all():
            raise ValueError("Overrides.days: must be finite")
        if (np.abs(self.days) > 3650).any():
            raise ValueError("Overrides.days: at most 3650 days either way")
        stray = (self.kind != "adjust_uplift") & (self.days != 0)
        if stray.any():
            raise ValueError("Overrides.days: only adjust_uplift entries may carry days")
        hundredths = self.days * 100
        inexact = np.abs(hundredths - np.rint(hundredths)) > OVERRIDE_DAYS_TOLERANCE
        if inexact.any():
            examples = sorted(set(self.days[inexact].tolist()))[:5]
            raise ValueError(
                f"Overrides.days: at most 2 decimal places (hundredths of a day), got {examples}"
            )

    def __len__(self) -> int:
        return len(self.kind)

    @classmethod
    def from_columns(cls, kind: ArrayLike, days: ArrayLike | None = None) -> Overrides:
        kinds = as_str_array(kind, name="override_kind")
        values = np.zeros(len(kinds)) if days is None else np.asarray(days, dtype=np.float64)
        return cls(kinds, np.where(np.isnan(values), 0.0, values))

    @classmethod
    def from_dict(cls, n: int, entries: Mapping[int, tuple[str, float]]) -> Overrides:
        """Sparse form: ``{row: (kind, days)}`` for the few entries a clinician touched."""
        kinds = np.full(n, "", dtype="<U13")
        days = np.zeros(n)
        for row, (kind, value) in entries.items():
            kinds[row], days[row] = kind, value
        return cls(kinds, days)

    def take(self, indices: NDArray[np.intp] | Iterable[int]) -> Overrides:
        idx = np.asarray(list(indices) if not isinstance(indices, np.ndarray) else indices)
        return Overrides(self.kind[idx], self.days[idx])
