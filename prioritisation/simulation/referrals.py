"""New referrals over the horizon: one pre-built stream that every rule set sees.

Why pre-built: every rule set sees exactly the same patients arrive on the same dates, so any
difference between rule sets comes from the ordering alone.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from prioritisation.inputs import FlagMatrix, PtlArrays
from prioritisation.simulation.plan import Plan, weekly_counts

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

REFERRAL_ID_PREFIX = "S"
"""New referrals' pathway ids are ``S0000001``…; the prefix grows (``SS``…) until no id on the
starting list collides. Letters and digits keep the engine's id packing as compact as real ids."""


def referral_stream(
    plan: Plan, templates: BoolArray, weeks: int, seed: int
) -> tuple[IntArray, IntArray, IntArray]:
    """(template row, arrival week, day of the week 0-6) of every new referral, by week, list
    and band.

    Each referral copies a uniformly drawn (seeded) template entry of its own list and band:
    the current mix of deprivation, ethnicity and flags within that priority; its clock starts
    on a uniformly drawn day of the week. Identical for every rule set.
    """
    n_lists, n_bands = plan.referral_milli.shape
    rng = np.random.default_rng(seed)
    cell = plan.list_code * n_bands + np.maximum(plan.band, 0)
    rows = np.flatnonzero(templates)
    rows = rows[np.argsort(cell[rows], kind="stable")]
    per_cell = np.bincount(cell[rows], minlength=n_lists * n_bands)
    start = np.cumsum(per_cell) - per_cell
    rates = plan.referral_milli.reshape(-1)
    counts = np.stack([weekly_counts(rates, w) for w in range(weeks)]).ravel()
    week_of = np.repeat(np.repeat(np.arange(weeks), len(rates)), counts)
    cell_of = np.repeat(np.tile(np.arange(len(rates)), weeks), counts)
    pick = rng.integers(0, np.maximum(per_cell[cell_of], 1)) if len(cell_of) else cell_of
    day = rng.integers(0, 7, len(cell_of)).astype(np.int64)
    return rows[start[cell_of] + pick].astype(np.int64), week_of.astype(np.int64), day


def _fresh_ids(existing: NDArray[np.str_], count: int) -> NDArray[np.str_]:
    number = (
        np.strings.zfill(np.arange(1, count + 1).astype(str), 7) if count else np.array([], str)
    )
    prefix = REFERRAL_ID_PREFIX
    while True:
        ids: NDArray[np.str_] = np.strings.add(prefix, number).astype(str)
        if not np.isin(ids, existing).any():
            return ids
        prefix += REFERRAL_ID_PREFIX


def _concat(first: PtlArrays, second: PtlArrays) -> PtlArrays:
    values: dict[str, Any] = {}
    for f in fields(first):
        a, b = getattr(first, f.name), getattr(second, f.name)
        if isinstance(a, np.ndarray):
            values[f.name] = np.concatenate([a, b])
        elif isinstance(a, FlagMatrix):
            values[f.name] = FlagMatrix(a.codes, np.concatenate([a.values, b.values]))
        else:
            values[f.name] = {k: np.concatenate([a[k], b[k]]) for k in a}
    return PtlArrays(**values)


def with_referrals(
    arrays: PtlArrays,
    template_rows: IntArray,
    arrival_week: IntArray,
    arrival_day: IntArray,
    census: np.datetime64,
) -> PtlArrays:
    """The starting list followed by every referral of the horizon (rows in arrival order).

    A referral of week ``w`` has its clock start on day ``census + 7w + d`` (d = 0..6): it
    arrives during the week after that week's treatments, and is first ranked a week later.
    """
    copies = arrays.take(template_rows)
    ids = _fresh_ids(arrays.pathway_id, len(template_rows))
    clock = census + (7 * arrival_week + arrival_day).astype("timedelta64[D]")
    copies = replace(copies, pathway_id=ids.astype(str), rtt_clock_start=clock)
    return _concat(arrays, copies)
