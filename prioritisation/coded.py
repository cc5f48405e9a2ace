"""A PTL whose string columns are coded once, so it can be ranked again and again cheaply.

Why: turning a million strings into sortable integers is most of a ranking's cost. A weekly
simulation ranks the same patients 53 times under each rule set, and a service keeps a list
loaded between re-ranks; coding once and taking subsets of the codes gives the engine exactly
the same order (codes sort like their strings) without the string work.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from prioritisation.codes import PATHWAY_STAGES
from prioritisation.factorise import dense_rank, factorise, factorise_ints, factorise_known
from prioritisation.inputs import FlagMatrix, Int8Array, PtlArrays, StrArray

IntArray = NDArray[np.int64]


@dataclass(frozen=True, eq=False, slots=True)
class CodedColumn:
    """A string column as codes into ``values`` (sorted, distinct), so codes sort like it."""

    codes: IntArray
    values: StrArray

    @classmethod
    def of(cls, strings: StrArray) -> CodedColumn:
        codes, values = factorise(strings)
        return cls(codes, values)

    def take(self, index: NDArray[np.intp]) -> CodedColumn:
        return CodedColumn(self.codes[index], self.values)

    def present(self) -> list[str]:
        """The distinct values that occur (in string order)."""
        used = np.zeros(len(self.values), np.bool_)
        used[self.codes] = True
        return [str(v) for v in self.values[used].tolist()]


@dataclass(frozen=True, eq=False, slots=True)
class FlagCombinations:
    """A flag matrix as each row's combination of flags: few distinct combinations occur
    (most entries have none or one), so an uplift per combination is a tiny table."""

    codes: IntArray
    table: NDArray[np.bool_]
    """(combinations, columns): which flags each combination sets."""
    columns: tuple[str, ...]

    @classmethod
    def of(cls, matrix: FlagMatrix) -> FlagCombinations:
        n, m = matrix.values.shape
        if m == 0 or n == 0:
            return cls(np.zeros(n, np.int64), np.zeros((1, m), np.bool_), matrix.codes)
        if m > 63:
            table, inverse = np.unique(matrix.values, axis=0, return_inverse=True)
            return cls(inverse.reshape(-1).astype(np.int64), table, matrix.codes)
        packed = np.packbits(matrix.values, axis=1, bitorder="little")
        words = np.zeros((n, 8), np.uint8)
        words[:, : packed.shape[1]] = packed
        codes, uniques = factorise_ints(words.view(np.int64).reshape(-1))
        bits = np.arange(m, dtype=np.int64)
        table = ((uniques[:, None] >> bits[None, :]) & 1).astype(np.bool_)
        return cls(codes, table, matrix.codes)

    def take(self, index: NDArray[np.intp]) -> FlagCombinations:
        return FlagCombinations(self.codes[index], self.table, self.columns)


def _list_codes(
    provider: CodedColumn, tfc: CodedColumn, stage: CodedColumn
) -> tuple[IntArray, tuple[tuple[str, str, str], ...]]:
    """Dense list ids in (provider, tfc, stage) string order, and the list keys."""
    n_tfc, n_stage = max(len(tfc.values), 1), max(len(stage.values), 1)
    combined = (provider.codes * n_tfc + tfc.codes) * n_stage + stage.codes
    list_id, list_codes = factorise_ints(combined)
    keys = tuple(
        (
            str(provider.values[c // (n_tfc * n_stage)]),
            str(tfc.values[(c // n_stage) % n_tfc]),
            str(stage.values[c % n_stage]),
        )
        for c in list_codes.tolist()
    )
    return list_id, keys


@dataclass(frozen=True, eq=False)
class CodedPtl:
    """The engine's coded view of a PTL (build it with :meth:`from_arrays`).

    ``source`` keeps the strings for explanations; ``rows`` are the source rows this view
    holds, in order (None: all of them). Every other field is aligned with ``rows``.
    """

    source: PtlArrays
    rows: NDArray[np.intp] | None
    provider_code: CodedColumn
    treatment_function_code: CodedColumn
    pathway_stage: CodedColumn
    priority_code: CodedColumn
    rtt_status: CodedColumn
    ethnic_category: CodedColumn
    ethnic_group: CodedColumn
    pathway: IntArray
    """Dense rank of the pathway id in the source (string order)."""
    pathways_distinct: bool
    """No pathway id repeats within a list anywhere in the source (so in no subset either)."""
    clock: IntArray
    """RTT clock start in days since 1970-01-01."""
    imd_decile: Int8Array
    list_id: IntArray
    """Dense list id in (provider, tfc, stage) string order, over ``list_keys``."""
    list_keys: tuple[tuple[str, str, str], ...]
    imd_domain_deciles: dict[str, Int8Array] = field(default_factory=dict)
    inclusion_groups: FlagCombinations = field(
        default_factory=lambda: FlagCombinations.of(FlagMatrix.empty(0))
    )
    clinical_areas: FlagCombinations = field(
        default_factory=lambda: FlagCombinations.of(FlagMatrix.empty(0))
    )

    @classmethod
    def from_arrays(cls, arrays: PtlArrays) -> CodedPtl:
        """Code every string column of ``arrays`` once."""
        stage_codes, stage_values = factorise_known(arrays.pathway_stage, PATHWAY_STAGES)
        provider = CodedColumn.of(arrays.provider_code)
        tfc = CodedColumn.of(arrays.treatment_function_code)
        stage = CodedColumn(stage_codes, stage_values)
        pathway = dense_rank(arrays.pathway_id)
        list_id, list_keys = _list_codes(provider, tfc, stage)
        distinct = _distinct_within_lists(pathway, list_id, len(list_keys))
        return cls(
            source=arrays,
            rows=None,
            provider_code=provider,
            treatment_function_code=tfc,
            pathway_stage=stage,
            priority_code=CodedColumn.of(arrays.priority_code),
            rtt_status=CodedColumn.of(arrays.rtt_status),
            ethnic_category=CodedColumn.of(arrays.ethnic_category),
            ethnic_group=CodedColumn.of(arrays.ethnic_group),
            pathway=pathway,
            pathways_distinct=distinct,
            clock=arrays.rtt_clock_start.astype(np.int64),
            imd_decile=arrays.imd_decile,
            list_id=list_id,
            list_keys=list_keys,
            imd_domain_deciles=dict(arrays.imd_domain_deciles),
            inclusion_groups=FlagCombinations.of(arrays.inclusion_groups),
            clinical_areas=FlagCombinations.of(arrays.clinical_areas),
        )

    def __len__(self) -> int:
        return len(self.clock)

    def take(self, index: NDArray[np.intp] | NDArray[np.int64]) -> CodedPtl:
        """A subset (or permutation) of this view's entries, without touching any string."""
        idx = np.asarray(index, dtype=np.intp)
        values: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, CodedColumn | FlagCombinations):
                values[f.name] = value.take(idx)
            elif isinstance(value, np.ndarray):
                values[f.name] = value[idx]
            elif f.name == "imd_domain_deciles":
                values[f.name] = {k: v[idx] for k, v in value.items()}
            else:
                values[f.name] = value
        values["rows"] = idx if self.rows is None else self.rows[idx]
        present = np.bincount(values["list_id"], minlength=len(self.list_keys)) > 0
        if not present.all():  # keep list ids dense over the lists this subset holds
            remap = np.cumsum(present) - 1
            values["list_id"] = remap[values["list_id"]]
            values["list_keys"] = tuple(
                k for k, p in zip(self.list_keys, present, strict=True) if p
            )
        return CodedPtl(**values)

    @cached_property
    def arrays(self) -> PtlArrays:
        """The entries as strings (the source's rows), for explanations and storage."""
        return self.source if self.rows is None else self.source.take(self.rows)

    @property
    def pathway_id(self) -> StrArray:
        ids: StrArray = (
            self.source.pathway_id if self.rows is None else (self.source.pathway_id[self.rows])
        )
        return ids

    def lists(self) -> tuple[IntArray, tuple[tuple[str, str, str], ...]]:
        """Each entry's dense list id and the list keys (provider, tfc, stage) in order."""
        return self.list_id, self.list_keys


def _distinct_within_lists(pathway: IntArray, list_id: IntArray, n_lists: int) -> bool:
    n = len(pathway)
    if n == 0 or int(pathway.max()) == n - 1:
        return True  # every pathway id distinct across the whole PTL
    key = np.sort(pathway * max(n_lists, 1) + list_id)
    return not bool((key[1:] == key[:-1]).any())
