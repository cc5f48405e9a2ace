"""What the simulation books each week: capacity and new referrals per list and priority band.

Why rates in thousandths: a small list may see 0.3 referrals a week. Week ``w`` books
``floor((w + 1) * rate) - floor(w * rate)`` whole patients, computed in integer thousandths, so
fractional rates accumulate exactly and the same rate always gives the same weekly counts.

Why per band: a single quota booked strictly band-first would empty P2/P3 and then starve P4,
which is not how trusts book. Each band gets its share of a list's capacity (supplied, from
recent clock stops by priority, or in proportion to the band's referrals); capacity a band does
not use passes to the next band.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from prioritisation.factorise import factorise
from prioritisation.inputs import PtlArrays

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]

MILLI: Final = 1000
RECENT_WEEKS: Final = 4
"""Default inflow: ranked entries whose clock started in the last 4 weeks, per week."""
MAX_RATE: Final = 1_000_000.0
SUPPLIED, RECENT_CLOCK_STARTS, INFLOW, SHARE = "supplied", "recent_clock_starts", "inflow", "share"

Rates = Mapping[str, float | Mapping[str, float]]
"""Per list key (``provider/tfc/stage``) or treatment function code: patients per week, or
per priority code ``{"P2": 3, "P3": 9}``."""


@dataclass(frozen=True, slots=True)
class BandPlan:
    """One priority band of a list: its ranked entries and weekly rates."""

    priority_code: str
    ranked_entries: int
    recent_clock_starts: int
    referrals_per_week: float
    capacity_per_week: float
    urgent: bool
    """Booked on the day (target under 7 days), not in the weekly booking."""


@dataclass(frozen=True, slots=True)
class ListPlan:
    """One list (provider, treatment function, stage): its size and weekly rates.

    ``referral_source`` is ``supplied`` or ``recent_clock_starts``; ``capacity_source`` is
    ``supplied`` or ``inflow`` (capacity equal to the referrals, so the list holds steady);
    ``capacity_split`` says how the list's capacity was shared between bands (``supplied``,
    ``share`` from given weights such as clock stops by priority, or ``referrals``).
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
    capacity_split: str
    bands: list[BandPlan]


@dataclass(frozen=True, slots=True)
class Plan:
    """Lists in key order; per entry its list and band (-1: parked); rates in thousandths
    per (list, band)."""

    list_code: IntArray
    band: IntArray
    lists: tuple[ListPlan, ...]
    band_codes: tuple[str, ...]
    urgent: BoolArray
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


def split_milli(total: int, weights: FloatArray) -> IntArray:
    """``total`` split in proportion to ``weights`` (largest remainder, ties to the first);
    equal shares when every weight is zero."""
    weights = np.where(weights > 0, weights, 0.0)
    if weights.sum() <= 0:
        weights = np.ones(len(weights))
    exact = total * weights / weights.sum()
    share: IntArray = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - share), kind="stable")
    share[order[: total - int(share.sum())]] += 1
    return share


def _number(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_RATE:
        raise ValueError(f"{name}: must be a number of patients from 0 to {MAX_RATE:g}")
    return round(value * MILLI)


@dataclass(frozen=True, slots=True)
class _Supplied:
    """Supplied rates resolved to lists: a total per list, or per band."""

    total: dict[int, int]
    per_band: dict[int, IntArray]


def _resolve(
    name: str,
    supplied: Rates | None,
    keys: list[str],
    band_codes: tuple[str, ...],
    weights: IntArray,
    eligible: BoolArray,
) -> _Supplied:
    """Supplied rates per list index. A specialty's rate is split over its eligible lists in
    proportion to ``weights`` (per list); a list key wins over its specialty's share."""
    out = _Supplied({}, {})
    if not supplied:
        return out
    index = {key: i for i, key in enumerate(keys)}
    of_specialty: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        of_specialty.setdefault(key.split("/")[1], []).append(i)
    for key in supplied:
        if key not in index and key not in of_specialty:
            raise ValueError(
                f"{name}.{key}: no list on the PTL for it; give a treatment function code "
                "or a provider/treatment function/stage list key"
            )
    ordered = sorted(k for k in supplied if k not in index) + [k for k in supplied if k in index]
    for key in ordered:
        value = supplied[key]
        rows = [index[key]] if key in index else of_specialty[key]
        usable = [r for r in rows if eligible[r]]
        if isinstance(value, Mapping):
            unknown = sorted(set(value) - set(band_codes))
            if unknown:
                raise ValueError(f"{name}.{key}: unknown priority codes {unknown}")
            milli = np.array(
                [_number(f"{name}.{key}.{c}", value.get(c, 0)) for c in band_codes], np.int64
            )
            if milli.any() and not usable:
                raise ValueError(f"{name}.{key}: no ranked entries on the list to book or copy")
            shares = (
                np.stack(
                    [split_milli(int(m), weights[usable].astype(np.float64)) for m in milli], axis=1
                )
                if usable
                else np.zeros((0, len(band_codes)), np.int64)
            )
            for row, share in zip(usable, shares, strict=True):
                out.per_band[row] = share
                out.total.pop(row, None)
        else:
            milli_total = _number(f"{name}.{key}", value)
            if milli_total and not usable:
                raise ValueError(f"{name}.{key}: no ranked entries on the list to book or copy")
            if not usable:
                continue
            for row, share in zip(
                usable, split_milli(milli_total, weights[usable].astype(np.float64)), strict=True
            ):
                out.total[row] = int(share)
                out.per_band.pop(row, None)
    return out


def _per_band(total: int, weights: IntArray) -> IntArray:
    return split_milli(total, weights.astype(np.float64))


def plan_lists(
    arrays: PtlArrays,
    parked: BoolArray,
    band: IntArray,
    census: np.datetime64,
    *,
    band_codes: tuple[str, ...],
    urgent: BoolArray,
    capacity: Rates | None,
    referrals_per_week: Rates | None,
    band_shares: Mapping[str, Mapping[str, float]] | None = None,
) -> Plan:
    """Rates per list and band: supplied values first, else the documented defaults.

    Referrals default to the band's ranked entries with a clock start in the 4 weeks up to the
    census (a lower bound on inflow: referrals already treated are not on the list), per week.
    Capacity defaults to the list's referrals, so its size holds steady; a list's capacity is
    shared between bands by ``band_shares`` (e.g. clock stops by priority) where given, else
    in proportion to each band's referrals.
    """
    code, keys = list_codes(arrays)
    n_lists, n_bands = len(keys), len(band_codes)
    ranked = ~parked
    cell = code * n_bands + np.maximum(band, 0)
    size = n_lists * n_bands
    ranked_cells = np.bincount(cell[ranked], minlength=size).reshape(n_lists, n_bands)
    parked_count = np.bincount(code[parked], minlength=n_lists)
    wait = census.astype(np.int64) - arrays.rtt_clock_start.astype(np.int64)
    recent_rows = ranked & (wait >= 0) & (wait < 7 * RECENT_WEEKS)
    recent = np.bincount(cell[recent_rows], minlength=size).reshape(n_lists, n_bands)
    ranked_lists = ranked_cells.sum(axis=1)
    eligible = ranked_lists > 0

    referral = (recent * MILLI) // RECENT_WEEKS
    given = _resolve(
        "referrals_per_week", referrals_per_week, keys, band_codes, recent.sum(axis=1), eligible
    )
    for i, total in given.total.items():
        weights = recent[i] if recent[i].any() else ranked_cells[i]
        referral[i] = _per_band(total, weights)
    for i, milli in given.per_band.items():
        referral[i] = milli
    missing = (referral > 0) & (ranked_cells == 0)
    if missing.any():
        i, b = map(int, np.argwhere(missing)[0])
        raise ValueError(
            f"referrals_per_week.{keys[i]}.{band_codes[b]}: the band has no ranked entries to copy"
        )

    booked = _resolve(
        "capacity", capacity, keys, band_codes, np.maximum(referral.sum(axis=1), 1), eligible
    )
    shares = _band_share_weights(band_shares, keys, band_codes)
    capacity_milli = referral.copy()
    split = ["referrals"] * n_lists
    for i, total in booked.total.items():
        weights = shares.get(i)
        split[i] = SHARE if weights is not None else "referrals"
        base = weights if weights is not None else referral[i].astype(np.float64)
        if not np.any(base > 0):
            base = ranked_cells[i].astype(np.float64)
        capacity_milli[i] = split_milli(total, base)
    for i, milli in booked.per_band.items():
        capacity_milli[i] = milli
        split[i] = SUPPLIED
    lists = tuple(
        ListPlan(
            list_key=key,
            provider_code=key.split("/")[0],
            treatment_function_code=key.split("/")[1],
            pathway_stage=key.split("/")[2],
            ranked_entries=int(ranked_lists[i]),
            parked_entries=int(parked_count[i]),
            recent_clock_starts=int(recent[i].sum()),
            referrals_per_week=int(referral[i].sum()) / MILLI,
            referral_source=SUPPLIED
            if i in given.total or i in given.per_band
            else RECENT_CLOCK_STARTS,
            capacity_per_week=int(capacity_milli[i].sum()) / MILLI,
            capacity_source=SUPPLIED if i in booked.total or i in booked.per_band else INFLOW,
            capacity_split=split[i],
            bands=[
                BandPlan(
                    priority_code=band_codes[b],
                    ranked_entries=int(ranked_cells[i, b]),
                    recent_clock_starts=int(recent[i, b]),
                    referrals_per_week=int(referral[i, b]) / MILLI,
                    capacity_per_week=int(capacity_milli[i, b]) / MILLI,
                    urgent=bool(urgent[b]),
                )
                for b in range(n_bands)
                if ranked_cells[i, b] or referral[i, b] or capacity_milli[i, b]
            ],
        )
        for i, key in enumerate(keys)
    )
    return Plan(code, band, lists, band_codes, urgent, referral, capacity_milli)


def _band_share_weights(
    band_shares: Mapping[str, Mapping[str, float]] | None,
    keys: list[str],
    band_codes: tuple[str, ...],
) -> dict[int, FloatArray]:
    """Weights per list (given by list key only) for sharing its capacity between bands."""
    out: dict[int, FloatArray] = {}
    index = {key: i for i, key in enumerate(keys)}
    for key, weights in (band_shares or {}).items():
        if key in index and any(v > 0 for v in weights.values()):
            out[index[key]] = np.array([float(weights.get(c, 0.0)) for c in band_codes])
    return out
