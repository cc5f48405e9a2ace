"""The Q1-Q5 gap in mean wait at treatment per specialty, priority band and week, kept as sums.

Why sums rather than gaps: a simulation predicts, and the weekly snapshot measures, the same
thing (the gap among patients treated, the measure calibration closes), and a trend compares
them over any run of weeks. Counts, sums and sums of squares of the waits of quintile 1 and
quintile 5 add up across weeks and seeds, so a gap (and its standard error) over any weeks is
exact, never an average of weekly gaps. Pure numpy; definitions in docs/metrics.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from prioritisation.metrics import (
    DAYS_PER_WEEK,
    LEAST_DEPRIVED_QUINTILE,
    MOST_DEPRIVED_QUINTILE,
    imd_quintile,
)

ALL_BANDS = ""
"""The priority key of a specialty's total over every band."""
BLANK_PRIORITY_AS = "P4"
"""A blank priority code ranks as P4, so its treatments count there."""

IntArray = NDArray[np.int64]
CellKey = tuple[str, str, int]
"""(treatment function code, priority code or ALL_BANDS, week)."""


@dataclass(frozen=True, slots=True)
class GapSums:
    """Patients treated in quintile 1 and quintile 5, with the sum and the sum of squares of
    their waits at treatment in days."""

    q1_count: int = 0
    q1_days: int = 0
    q1_days_sq: int = 0
    q5_count: int = 0
    q5_days: int = 0
    q5_days_sq: int = 0

    def __add__(self, other: GapSums) -> GapSums:
        return GapSums(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def gap_weeks(self) -> float | None:
        """Q1's mean wait at treatment minus Q5's, in weeks; None unless both were treated."""
        if not self.q1_count or not self.q5_count:
            return None
        return (self.q1_days / self.q1_count - self.q5_days / self.q5_count) / DAYS_PER_WEEK

    @property
    def standard_error_weeks(self) -> float | None:
        """The standard error of ``gap_weeks`` (two independent means); None unless each
        quintile has at least two patients."""
        if self.q1_count < 2 or self.q5_count < 2:
            return None
        variance = 0.0
        for n, total, squares in (
            (self.q1_count, self.q1_days, self.q1_days_sq),
            (self.q5_count, self.q5_days, self.q5_days_sq),
        ):
            sample = max(squares - total * total / n, 0.0) / (n - 1)
            variance += sample / n
        return math.sqrt(variance) / DAYS_PER_WEEK

    def to_dict(self) -> dict[str, int]:
        return {f.name: int(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GapSums:
        return cls(*(int(data.get(f.name, 0)) for f in fields(cls)))


def total(sums: Iterable[GapSums]) -> GapSums:
    out = GapSums()
    for item in sums:
        out = out + item
    return out


@dataclass(frozen=True, slots=True)
class GapCells:
    """Rows coded once by specialty and priority (a simulation codes its universe once and
    tables every rule set's treatments with it)."""

    specialties: tuple[str, ...]
    priorities: tuple[str, ...]
    specialty_index: IntArray
    priority_index: IntArray
    quintile: IntArray

    @classmethod
    def of(cls, specialty: ArrayLike, priority: ArrayLike, imd_decile: ArrayLike) -> GapCells:
        codes = np.asarray(priority).astype(str)
        codes = np.where(codes == "", BLANK_PRIORITY_AS, codes)
        specialties, s_index = np.unique(np.asarray(specialty).astype(str), return_inverse=True)
        priorities, p_index = np.unique(codes, return_inverse=True)
        return cls(
            tuple(str(s) for s in specialties.tolist()),
            tuple(str(p) for p in priorities.tolist()),
            s_index.reshape(-1).astype(np.int64),
            p_index.reshape(-1).astype(np.int64),
            imd_quintile(imd_decile),
        )

    def table(
        self, wait_days: ArrayLike, period: ArrayLike, periods: int
    ) -> dict[CellKey, GapSums]:
        """Sums per (specialty, priority or ALL_BANDS, period) of the rows with ``period`` in
        ``0 .. periods - 1`` (others, e.g. -1 for not treated, are left out). Cells with
        neither a quintile 1 nor a quintile 5 patient are omitted."""
        waits = np.asarray(wait_days, dtype=np.int64)
        when = np.asarray(period, dtype=np.int64)
        n_s, n_p = len(self.specialties), len(self.priorities) + 1
        size = n_s * n_p * periods
        out: dict[CellKey, GapSums] = {}
        if not size:
            return out
        columns: list[IntArray] = []
        for quintile in (MOST_DEPRIVED_QUINTILE, LEAST_DEPRIVED_QUINTILE):
            keep = (when >= 0) & (when < periods) & (self.quintile == quintile)
            s, p, w = self.specialty_index[keep], self.priority_index[keep], when[keep]
            # Each row counts in its own band and in its specialty's all-band total.
            cell = np.concatenate([(s * n_p + p) * periods + w, (s * n_p + n_p - 1) * periods + w])
            days = np.tile(waits[keep].astype(np.float64), 2)
            columns.append(np.bincount(cell, minlength=size).astype(np.int64))
            columns.append(
                np.rint(np.bincount(cell, weights=days, minlength=size)).astype(np.int64)
            )
            columns.append(
                np.rint(np.bincount(cell, weights=days * days, minlength=size)).astype(np.int64)
            )
        q1_n, q1_s, q1_q, q5_n, q5_s, q5_q = columns
        present = np.flatnonzero((q1_n > 0) | (q5_n > 0))
        labels = (*self.priorities, ALL_BANDS)
        for flat in present.tolist():
            s_i, rest = divmod(flat, n_p * periods)
            p_i, w_i = divmod(rest, periods)
            out[(self.specialties[s_i], labels[p_i], w_i)] = GapSums(
                int(q1_n[flat]), int(q1_s[flat]), int(q1_q[flat]),
                int(q5_n[flat]), int(q5_s[flat]), int(q5_q[flat]),
            )  # fmt: skip
        return out


def cells_to_json(cells: Mapping[CellKey, GapSums]) -> list[dict[str, Any]]:
    """Cells as stored: one object per cell, in (specialty, priority, week) order."""
    return [
        {"specialty": s, "priority_code": p or None, "week": w, **cells[(s, p, w)].to_dict()}
        for s, p, w in sorted(cells)
    ]


def cells_from_json(rows: Iterable[Mapping[str, Any]]) -> dict[CellKey, GapSums]:
    return {
        (str(r["specialty"]), str(r.get("priority_code") or ALL_BANDS), int(r.get("week", 0))): (
            GapSums.from_dict(r)
        )
        for r in rows
    }


def pooled(tables: Iterable[Mapping[CellKey, GapSums]]) -> dict[CellKey, GapSums]:
    """Cells summed over several tables (e.g. seeds): the gap of the pooled patients."""
    out: dict[CellKey, GapSums] = {}
    for table in tables:
        for key, sums in table.items():
            out[key] = out[key] + sums if key in out else sums
    return out
