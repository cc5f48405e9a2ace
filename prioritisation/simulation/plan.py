"""What the simulation books each week: capacity and new referrals per list, and who arrives.

Why rates in thousandths: a small list may see 0.3 referrals a week. Week ``w`` books
``floor((w + 1) * rate) - floor(w * rate)`` whole patients, computed in integer thousandths, so
fractional rates accumulate exactly and the same rate always gives the same weekly counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from prioritisation.factorise import factorise
from prioritisation.inputs import FlagMatrix, PtlArrays

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

MILLI = 1000
RECENT_WEEKS = 13
"""Default inflow: ranked entries whose clock started in the last 13 weeks, per week."""
MAX_RATE = 1_000_000.0
REFERRAL_ID_PREFIX = "S"
"""New referrals' pathway ids are ``S0000001``…; the prefix grows (``SS``…) until no id on the
starting list collides. Letters and digits keep the engine's id packing as compact as real ids."""

SUPPLIED, RECENT_CLOCK_STARTS, INFLOW = "supplied", "recent_clock_starts", "inflow"


@dataclass(frozen=True, slots=True)
class ListPlan:
    """One list (provider, treatment function, stage): its size and weekly rates.

    ``referral_source`` is ``supplied`` or ``recent_clock_starts``; ``capacity_source`` is
    ``supplied`` or ``inflow`` (capacity equal to the referrals, so the list holds steady).
    """

    list_key: str
    provider_code: str
    treatment_function_code: str
    pathway_stage: str
    ranked_entries: int
    parked_entries: int
    recent_clock_starts: int
    referrals_per_week: float
    referral_source: str
    capacity_per_week: float
    capacity_source: str


@dataclass(frozen=True, slots=True)
class Plan:
    """Lists in key order; ``list_code`` gives each entry's list, rates are in thousandths."""

    list_code: IntArray
    lists: tuple[ListPlan, ...]
    referral_milli: IntArray
    capacity_milli: IntArray


def list_codes(arrays: PtlArrays) -> tuple[IntArray, list[str]]:
    """Each entry's list as a dense code, and the list keys ``provider/tfc/stage`` in order."""
    tfc = np.strings.add(arrays.treatment_function_code, "/")
    keys = np.strings.add(np.strings.add(np.strings.add(arrays.provider_code, "/"), tfc),
                          arrays.pathway_stage)  # fmt: skip
    codes, values = factorise(keys)
    return codes, [str(v) for v in values.tolist()]


def weekly_counts(milli: IntArray, week: int) -> IntArray:
    """Whole patients booked in ``week`` at rates given in thousandths per week."""
    counts: IntArray = ((week + 1) * milli) // MILLI - (week * milli) // MILLI
    return counts


def _split(total: int, weights: NDArray[np.float64]) -> IntArray:
    """``total`` split in proportion to ``weights`` (largest remainder, ties to the first)."""
    weights = np.where(weights > 0, weights, 0.0)
    if weights.sum() <= 0:
        weights = np.ones(len(weights))
    exact = total * weights / weights.sum()
    share: IntArray = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - share), kind="stable")
    share[order[: total - int(share.sum())]] += 1
    return share


def _rates(
    name: str,
    supplied: Mapping[str, float] | None,
    keys: list[str],
    specialty: list[str],
    weights: tuple[IntArray, IntArray],
    eligible: BoolArray,
) -> dict[int, int]:
    """Supplied rates per list index, in thousandths. A specialty's rate is split over its
    eligible lists in proportion to the first weights (the second where those are all zero);
    a list key wins over its specialty's share."""
    if not supplied:
        return {}
    index = {key: i for i, key in enumerate(keys)}
    of_specialty: dict[str, list[int]] = {}
    for i, code in enumerate(specialty):
        of_specialty.setdefault(code, []).append(i)
    for key, value in supplied.items():
        if not isinstance(value, int | float) or not 0 <= value <= MAX_RATE:
            raise ValueError(f"{name}.{key}: must be a number of patients from 0 to {MAX_RATE:g}")
        if key not in index and key not in of_specialty:
            raise ValueError(
                f"{name}.{key}: no list on the PTL for it; give a treatment function code "
                "or a provider/treatment function/stage list key"
            )
    out: dict[int, int] = {}
    for key in sorted(k for k in supplied if k not in index):
        rows = np.array(of_specialty[key], dtype=np.int64)
        milli = round(supplied[key] * MILLI)
        usable = rows[eligible[rows]]
        if milli and not len(usable):
            raise ValueError(f"{name}.{key}: the specialty has no ranked entries to copy")
        share = weights[0][usable].astype(np.float64)
        if share.sum() <= 0:
            share = weights[1][usable].astype(np.float64)
        for row, milli_share in zip(usable.tolist(), _split(milli, share).tolist(), strict=True):
            out[row] = milli_share
    for key in (k for k in supplied if k in index):
        milli = round(supplied[key] * MILLI)
        if milli and not eligible[index[key]]:
            raise ValueError(f"{name}.{key}: the list has no ranked entries to copy")
        out[index[key]] = milli
    return out


def plan_lists(
    arrays: PtlArrays,
    parked: BoolArray,
    census: np.datetime64,
    *,
    capacity: Mapping[str, float] | None,
    referrals_per_week: Mapping[str, float] | None,
) -> Plan:
    """Rates per list: supplied values first, else the documented defaults.

    Referrals default to the list's ranked entries with a clock start in the 13 weeks up to the
    census (a lower bound on inflow: referrals already treated are not on the list), per week.
    Capacity defaults to the list's referrals, so its size holds steady.
    """
    code, keys = list_codes(arrays)
    n_lists = len(keys)
    ranked = np.bincount(code[~parked], minlength=n_lists).astype(np.int64)
    parked_count = np.bincount(code[parked], minlength=n_lists).astype(np.int64)
    wait = census.astype(np.int64) - arrays.rtt_clock_start.astype(np.int64)
    recent_rows = ~parked & (wait >= 0) & (wait < 7 * RECENT_WEEKS)
    recent = np.bincount(code[recent_rows], minlength=n_lists).astype(np.int64)
    specialty = [key.split("/")[1] for key in keys]

    referral = (recent * MILLI) // RECENT_WEEKS
    given = _rates(
        "referrals_per_week", referrals_per_week, keys, specialty, (recent, ranked), ranked > 0
    )
    for i, milli in given.items():
        referral[i] = milli
    capacity_milli = referral.copy()
    every = np.ones(n_lists, dtype=np.bool_)
    booked = _rates("capacity", capacity, keys, specialty, (referral, ranked), every)
    for i, milli in booked.items():
        capacity_milli[i] = milli
    lists = tuple(
        ListPlan(
            list_key=key,
            provider_code=key.split("/")[0],
            treatment_function_code=specialty[i],
            pathway_stage=key.split("/")[2],
            ranked_entries=int(ranked[i]),
            parked_entries=int(parked_count[i]),
            recent_clock_starts=int(recent[i]),
            referrals_per_week=int(referral[i]) / MILLI,
            referral_source=SUPPLIED if i in given else RECENT_CLOCK_STARTS,
            capacity_per_week=int(capacity_milli[i]) / MILLI,
            capacity_source=SUPPLIED if i in booked else INFLOW,
        )
        for i, key in enumerate(keys)
    )
    return Plan(code, lists, referral, capacity_milli)


def referral_stream(
    plan: Plan, templates: BoolArray, weeks: int, seed: int
) -> tuple[IntArray, IntArray, IntArray]:
    """(template row, arrival week, day of the week 0-6) of every new referral, by week then
    list.

    Each referral copies a uniformly drawn (seeded) template entry of its own list: the current
    list's mix of priority, deprivation, ethnicity and flags; its clock starts on a uniformly
    drawn day of the week. Identical for every rule set.
    """
    n_lists = len(plan.lists)
    rng = np.random.default_rng(seed)
    rows = np.flatnonzero(templates)
    rows = rows[np.argsort(plan.list_code[rows], kind="stable")]
    per_list = np.bincount(plan.list_code[rows], minlength=n_lists)
    start = np.cumsum(per_list) - per_list
    counts = np.stack([weekly_counts(plan.referral_milli, w) for w in range(weeks)]).ravel()
    week_of = np.repeat(np.repeat(np.arange(weeks), n_lists), counts)
    list_of = np.repeat(np.tile(np.arange(n_lists), weeks), counts)
    pick = rng.integers(0, np.maximum(per_list[list_of], 1)) if len(list_of) else list_of
    day = rng.integers(0, 7, len(list_of)).astype(np.int64)
    return rows[start[list_of] + pick].astype(np.int64), week_of.astype(np.int64), day


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
