"""Ranks within each list from one sort over the whole PTL.

Why one composite integer: np.lexsort over six keys of a million rows costs ~0.4 s; packing
the keys (all small non-negative integers) into one int64 and sorting that takes ~25 ms. When
the keys need more than 63 bits the same order is produced by np.lexsort. Keys are unique
(pathway ids are unique within a list), so the order never depends on input order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from prioritisation.scoring import BoolArray, IntArray, ScoreParts

_KEY_BITS = 63


@dataclass(frozen=True, slots=True)
class SortKeys:
    """Sort keys, most significant first; every array is non-negative except ``score``.

    The order is: list ascending, band (priority position) ascending, tier (block × 5 +
    range, see ``engine``) ascending, score (the :func:`order_score`) descending, clock start
    ascending, pathway id ascending. Clock start ascending is the same as "wait descending,
    then clock start ascending" because wait = max(census - start, 0). The conventional order
    has no tier and no score.
    """

    list_id: IntArray
    band: IntArray
    tier: IntArray | None
    score: IntArray | None
    clock: IntArray
    pathway: IntArray


def order_score(protected: BoolArray, parts: ScoreParts) -> IntArray:
    """The score each entry is ordered by within its tier (centidays, descending).

    Protected entries (ranges ordered by wait) are ordered by wait (plus any clinical
    adjustment) alone, so equity uplift never reorders them; every other entry by its full
    score.
    """
    guarded = parts.components["wait"] + parts.components["override"]
    ordered: IntArray = np.where(protected, guarded, parts.score)
    return ordered


def _fields(keys: SortKeys) -> list[IntArray]:
    fields = [keys.list_id, keys.band]
    if keys.tier is not None:
        fields.append(keys.tier)
    if keys.score is not None and len(keys.score):
        fields.append(keys.score.max() - keys.score)
    clock = keys.clock - keys.clock.min() if len(keys.clock) else keys.clock
    return [*fields, clock, keys.pathway]


def sort_order(keys: SortKeys, *, force_lexsort: bool = False) -> NDArray[np.intp]:
    """Indices of all entries in rank order (by list, then the keys above)."""
    fields = _fields(keys)
    if not len(keys.list_id):
        return np.zeros(0, np.intp)
    widths = [int(f.max()).bit_length() for f in fields]
    if sum(widths) > _KEY_BITS or force_lexsort:
        return np.lexsort(fields[::-1])
    composite = np.zeros(len(keys.list_id), np.int64)
    for field, width in zip(fields, widths, strict=True):
        composite <<= width
        composite |= field
    return np.argsort(composite)


def duplicate_pathways(list_id: IntArray, pathway: IntArray, n_lists: int) -> IntArray:
    """Indices of entries whose pathway id repeats within the same list (empty if none)."""
    n = len(pathway)
    if n == 0 or int(pathway.max()) == n - 1:
        return np.zeros(0, np.int64)  # every pathway id distinct across the whole PTL
    key = pathway * max(n_lists, 1) + list_id
    order = np.argsort(key)
    ordered = key[order]
    repeated = np.flatnonzero(ordered[1:] == ordered[:-1])
    return np.unique(np.concatenate([order[repeated], order[repeated + 1]]))


def ranks(
    order: NDArray[np.intp], list_id: IntArray, parked: BoolArray, n_lists: int
) -> tuple[IntArray, IntArray]:
    """Rank 1..n within each list following ``order`` (parked entries, sorted last, get 0),
    and each entry's list size (non-parked entries in its list)."""
    n = len(order)
    ordered_lists = list_id[order]
    start = np.searchsorted(ordered_lists, np.arange(n_lists))
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(1, n + 1) - start[ordered_lists]
    rank[parked] = 0
    sizes = np.bincount(list_id[~parked], minlength=n_lists)
    return rank, sizes[list_id]
