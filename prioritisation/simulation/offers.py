"""What happens when a patient is offered a date: treated, declined at short notice, or deferred.

Why a model of its own: a large part of the deprivation gap comes from patients who are offered
a date and cannot take it (they do not attend, cancel, or are found unfit at pre-op
assessment) and lose weeks each time. Without it a simulation cannot show a gap, nor which
part of it ordering can reach. The probabilities are per IMD quintile, per inclusion group and
per stage; the defaults, their sources and their limits are in docs/simulation.md §2.

Common random numbers: a patient's k-th offer has the same outcome (and the same deferral
length) under every rule set, because its random number is a hash of (seed, patient, k), not a
draw from a shared stream. Differences between rule sets come from the ordering alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

import numpy as np
from numpy.typing import NDArray

from prioritisation.inputs import PtlArrays
from prioritisation.metrics import imd_quintile

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

TREATED, DECLINED, DEFERRED = 0, 1, 2
OUTCOMES: Final = ("treated", "declined", "deferred")
QUINTILE_KEYS: Final = ("1", "2", "3", "4", "5", "unknown")
MAX_DEFERRAL_WEEKS: Final = 104

DEFAULT_DEFER: Final = {"1": 0.29, "2": 0.24, "3": 0.19, "4": 0.14, "5": 0.09, "unknown": 0.19}
"""Chance an offer ends deferred (did not attend, cancelled by the patient, unfit at pre-op),
rising with deprivation: about three times as high in quintile 1 as in quintile 5."""
DEFAULT_DECLINE: Final = {
    "1": 0.075,
    "2": 0.065,
    "3": 0.055,
    "4": 0.045,
    "5": 0.03,
    "unknown": 0.055,
}
"""Chance a short-notice offer is declined (offered again the next week)."""
DEFAULT_INCLUSION_DEFER: Final = {"learning_disability": 0.15, "homeless": 0.20}
"""Added to the deferral chance of an entry flagged with the group (the largest one counts)."""
DEFAULT_STAGE_FACTOR: Final = {"admitted": 1.0, "non_admitted": 0.8}
DEFAULT_DEFERRAL_WEEKS: Final = {"admitted": 10.0, "non_admitted": 5.0}
"""Mean extra weeks unavailable after a deferral (1 + a geometric number of weeks)."""


def _check(
    name: str, values: Mapping[str, float], keys: tuple[str, ...] | None, top: float
) -> None:
    for key, value in values.items():
        if keys is not None and key not in keys:
            raise ValueError(f"{name}.{key}: unknown key; expected one of {list(keys)}")
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not (math.isfinite(value) and 0 <= value <= top)
        ):
            raise ValueError(f"{name}.{key}: must be a number from 0 to {top:g}, got {value!r}")


@dataclass(frozen=True, slots=True)
class OfferModel:
    """Per-offer probabilities; ``source`` says where they came from (default, supplied,
    estimated)."""

    defer_by_quintile: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_DEFER))
    decline_by_quintile: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_DECLINE))
    defer_by_inclusion: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_INCLUSION_DEFER)
    )
    stage_factor: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_STAGE_FACTOR))
    deferral_weeks: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_DEFERRAL_WEEKS)
    )
    source: str = "default"

    def __post_init__(self) -> None:
        _check("defer_by_quintile", self.defer_by_quintile, QUINTILE_KEYS, 1.0)
        _check("decline_by_quintile", self.decline_by_quintile, QUINTILE_KEYS, 1.0)
        _check("defer_by_inclusion", self.defer_by_inclusion, None, 1.0)
        stages = ("admitted", "non_admitted")
        _check("stage_factor", self.stage_factor, stages, 10.0)
        _check("deferral_weeks", self.deferral_weeks, stages, float(MAX_DEFERRAL_WEEKS))
        for key in QUINTILE_KEYS:
            total = self.defer_by_quintile.get(key, 0.0) + self.decline_by_quintile.get(key, 0.0)
            if total > 1 + 1e-9:
                raise ValueError(
                    f"quintile {key}: deferral and decline chances add up to {total:g} (> 1)"
                )

    @classmethod
    def never_fails(cls) -> OfferModel:
        """Every offer is taken: the model without failed offers."""
        zero = dict.fromkeys(QUINTILE_KEYS, 0.0)
        return cls(zero, dict(zero), {}, dict(DEFAULT_STAGE_FACTOR), dict(DEFAULT_DEFERRAL_WEEKS))

    @property
    def fails(self) -> bool:
        return any(self.defer_by_quintile.values()) or any(self.decline_by_quintile.values())

    def to_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "defer_by_quintile": dict(self.defer_by_quintile),
            "decline_by_quintile": dict(self.decline_by_quintile),
            "defer_by_inclusion": dict(self.defer_by_inclusion),
            "stage_factor": dict(self.stage_factor),
            "deferral_weeks": dict(self.deferral_weeks),
        }


@dataclass(frozen=True, slots=True)
class PatientChances:
    """Each entry's chance that an offer ends deferred or declined, and its mean deferral."""

    defer: FloatArray
    decline: FloatArray
    deferral_weeks: FloatArray


def patient_chances(
    arrays: PtlArrays, model: OfferModel, failure_probability: FloatArray | None = None
) -> PatientChances:
    """Per entry: quintile chances, plus the largest inclusion-group addition to deferral,
    both times the stage factor, capped so that the two add up to at most 1.

    ``failure_probability`` (aligned with ``arrays``; NaN: no prediction) replaces an
    entry's deferral chance as it stands: a learned model's probability that the next offer
    fails (did not attend, cancelled by the patient, unfit at pre-op) is the deferral chance
    itself, already specific to the patient's stage and history, so neither the
    inclusion-group addition nor the stage factor applies to it. The short-notice decline
    chance keeps its group value (the offer history does not record short-notice declines).
    """
    quintile = imd_quintile(arrays.imd_decile)  # 0 = unknown
    keys = ["unknown", "1", "2", "3", "4", "5"]
    defer_q = np.array([model.defer_by_quintile.get(k, 0.0) for k in keys])[quintile]
    decline_q = np.array([model.decline_by_quintile.get(k, 0.0) for k in keys])[quintile]
    extra = np.zeros(len(arrays))
    for code, value in model.defer_by_inclusion.items():
        column = arrays.inclusion_groups.column(code)
        if column is not None:
            extra = np.where(column, np.maximum(extra, value), extra)
    admitted = arrays.pathway_stage == "admitted"
    factor = np.where(
        admitted,
        model.stage_factor.get("admitted", 1.0),
        model.stage_factor.get("non_admitted", 1.0),
    )
    defer = np.minimum((defer_q + extra) * factor, 1.0)
    if failure_probability is not None:
        given = np.asarray(failure_probability, dtype=np.float64)
        if given.shape != (len(arrays),):
            raise ValueError(
                f"failure_probability has {given.size} values for {len(arrays)} entries"
            )
        known = ~np.isnan(given)
        if ((given[known] < 0) | (given[known] > 1)).any():
            raise ValueError("failure_probability values must be from 0 to 1 (or NaN)")
        defer = np.where(known, given, defer)
    decline = np.minimum(decline_q * factor, 1.0 - defer)
    weeks = np.where(
        admitted,
        model.deferral_weeks.get("admitted", 0.0),
        model.deferral_weeks.get("non_admitted", 0.0),
    )
    return PatientChances(defer, decline, weeks.astype(np.float64))


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _splitmix(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    z = x + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    out: NDArray[np.uint64] = z ^ (z >> np.uint64(31))
    return out


_PATIENT = np.uint64(0xD1B54A32D192ED03)
_OFFER = np.uint64(0xAEF17502108EF2D9)


def uniforms(seed: int, patient: IntArray, offer: IntArray, stream: int) -> FloatArray:
    """U[0, 1) keyed by (seed, patient, offer number, stream): the same for every rule set.

    The key combines the four with odd multipliers and one splitmix64 finaliser mixes it
    (a counter-based generator: no state, so the order of the draws never matters).
    """
    base = _splitmix(np.array([seed % 2**64], np.uint64) ^ np.uint64(stream))[0]
    key = (patient.astype(np.uint64) * _PATIENT) ^ (offer.astype(np.uint64) * _OFFER) ^ base
    values: FloatArray = (_splitmix(key) >> np.uint64(11)).astype(np.float64) * 2.0**-53
    return values


def offer_outcomes(
    seed: int,
    patient: IntArray,
    offer: IntArray,
    chances: PatientChances,
    cut: FloatArray | None = None,
) -> tuple[IntArray, IntArray]:
    """(outcome code, weeks unavailable) of each given patient's ``offer``-th offer.

    Deferred: unavailable for 1 + G weeks, G geometric on 0, 1, 2, … with the patient's mean
    deferral (capped at 104 weeks); 0 otherwise.

    ``cut`` (aligned with ``patient``) is the share of the deferral chance that support
    removes from this offer. The random number is the same with or without it: an offer
    deferred under support is deferred without it, and the removed part of the deferral
    range becomes treatment (the decline range does not move), so support can only turn a
    deferral into a treatment, never change any other outcome.
    """
    u = uniforms(seed, patient, offer, 0)
    defer, decline = chances.defer[patient], chances.decline[patient]
    kept = defer if cut is None else defer * (1.0 - cut)
    outcome = np.where(
        u < kept,
        DEFERRED,
        np.where((u >= defer) & (u < defer + decline), DECLINED, TREATED),
    )
    mean = chances.deferral_weeks[patient]
    v = uniforms(seed, patient, offer, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        stay = mean / (1.0 + mean)  # chance of one more week
        extra = np.where(stay > 0, np.floor(np.log1p(-v) / np.log(stay)), 0.0)
    weeks = np.where(outcome == DEFERRED, 1 + np.minimum(extra, MAX_DEFERRAL_WEEKS - 1), 0).astype(
        np.int64
    )
    return outcome.astype(np.int64), weeks


MIN_MARKERS: Final = 50
"""Deferral markers the list needs before its own gradient by quintile replaces the defaults."""
MIN_QUINTILE_ENTRIES: Final = 30
DEFERRAL_MARKER_STATUSES: Final = frozenset({"33"})
"""RTT period status 33: did not attend the first activity."""
DEFERRAL_MARKER_CODES: Final = frozenset({"P5", "P6"})
"""Priority codes of patients who chose to defer."""
MAX_ESTIMATED_CHANCE: Final = 0.9


def estimate_from_list(arrays: PtlArrays, base: OfferModel | None = None) -> OfferModel:
    """The base chances (defaults) with their gradient by IMD quintile taken from the list.

    A PTL snapshot shows who deferred (P5/P6) or did not attend (RTT status 33), not how
    many offers were made, so only the *relative* rate per quintile is estimated: each
    quintile's chances are the base chances' list-weighted mean times the quintile's marker
    rate over the list's. With fewer than 50 markers the base is returned unchanged; a
    quintile with fewer than 30 entries keeps its base chances.
    """
    model = base or OfferModel()
    marked = np.isin(arrays.priority_code, sorted(DEFERRAL_MARKER_CODES)) | np.isin(
        arrays.rtt_status, sorted(DEFERRAL_MARKER_STATUSES)
    )
    if int(marked.sum()) < MIN_MARKERS:
        return model
    quintile = imd_quintile(arrays.imd_decile)
    keys = ["unknown", "1", "2", "3", "4", "5"]
    counts = np.bincount(quintile, minlength=6)
    rates = np.bincount(quintile, weights=marked.astype(np.float64), minlength=6)
    overall = marked.mean()
    defer = dict(model.defer_by_quintile)
    decline = dict(model.decline_by_quintile)

    def mean_of(chances: Mapping[str, float]) -> float:
        weights = [counts[i] for i in range(6)]
        return float(np.average([chances.get(k, 0.0) for k in keys], weights=weights))

    level_defer, level_decline = mean_of(defer), mean_of(decline)
    for i, key in enumerate(keys):
        if counts[i] < MIN_QUINTILE_ENTRIES:
            continue
        relative = (rates[i] / counts[i]) / overall
        defer[key] = min(level_defer * relative, MAX_ESTIMATED_CHANCE)
        decline[key] = min(level_decline * relative, 1.0 - defer[key])
    return OfferModel(
        defer_by_quintile={k: round(float(v), 4) for k, v in defer.items()},
        decline_by_quintile={k: round(float(v), 4) for k, v in decline.items()},
        defer_by_inclusion=dict(model.defer_by_inclusion),
        stage_factor=dict(model.stage_factor),
        deferral_weeks=dict(model.deferral_weeks),
        source="estimated",
    )
