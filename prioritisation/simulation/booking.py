"""One week's booking: offers down each list's bands in rank order until the band's slots fill.

Why offers and not a plain top-``capacity`` cut: an offer can be declined or deferred, and the
slot is then offered to the next entry, so who is treated depends on who can take a slot as
well as on the order. A band's slots it cannot fill pass to the next band of the list.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from prioritisation.simulation.offers import TREATED

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Booking:
    """Aligned with the entries given: whether each was offered a slot and treated, plus each
    list's slots left unused after its last band."""

    offered: BoolArray
    treated: BoolArray
    unused: IntArray


def _within_list_before(values: IntArray, lists: IntArray) -> IntArray:
    """For entries grouped by list, the sum of ``values`` over the earlier entries of the
    same list."""
    total = np.cumsum(values)
    if not len(values):
        return total
    starts = np.flatnonzero(np.r_[True, lists[1:] != lists[:-1]])
    lengths = np.diff(np.r_[starts, len(lists)])
    base = np.repeat(total[starts] - values[starts], lengths)
    before: IntArray = total - values - base
    return before


def book_week(
    *,
    list_of: IntArray,
    band_of: IntArray,
    outcome: IntArray,
    slots: IntArray,
    reserved: IntArray,
) -> Booking:
    """Book one week.

    ``list_of``, ``band_of`` and ``outcome`` (of each entry's next offer) describe the
    entries that can be offered a date, **in booking order** (by list, then rank, so each
    list's bands in clinical order). ``slots[list, band]`` are this week's slots;
    ``reserved[list, band]`` of them are already taken (urgent patients booked on the day),
    and a band that needed more than its slots takes the excess from the next band's.

    Walking each band in order, every entry is offered a slot while the band has one left;
    an offer that ends in treatment fills it, a declined or deferred one does not.
    """
    n = len(list_of)
    offered = np.zeros(n, np.bool_)
    treated = np.zeros(n, np.bool_)
    n_lists, n_bands = slots.shape
    carry = np.zeros(n_lists, np.int64)
    takes = outcome == TREATED
    for band in range(n_bands):
        left = slots[:, band] - reserved[:, band] + carry
        members = np.flatnonzero(band_of == band)
        lists = list_of[members]
        before = _within_list_before(takes[members].astype(np.int64), lists)
        now = before < left[lists]
        offered[members] = now
        treated[members] = now & takes[members]
        used = np.bincount(lists[treated[members]], minlength=n_lists)
        carry = left - used
    return Booking(offered, treated, np.maximum(carry, 0))


def group_positions(list_of: IntArray, band_of: IntArray, n_bands: int) -> IntArray:
    """0-based position of each entry within its (list, band), entries in booking order."""
    group = list_of * (n_bands + 1) + band_of
    n = len(group)
    if not n:
        return np.zeros(0, np.int64)
    step = np.arange(n)
    change = np.ones(n, np.bool_)
    change[1:] = group[1:] != group[:-1]
    start = np.maximum.accumulate(np.where(change, step, 0))
    position: IntArray = step - start
    return position


def reach_limits(slots: IntArray, factor: int) -> IntArray:
    """How far down each (list, band) a week's offers can go, generously: ``factor`` times the
    slots of the band and every band before it (unused slots pass down), plus 16."""
    limits: IntArray = factor * np.cumsum(slots, axis=1) + 16
    return limits
