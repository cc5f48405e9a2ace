"""Search one multiplier on a rule set's uplifts and caps against simulated outcomes.

Why a search over simulations: the share of a deprivation gap an uplift closes depends on the
list (how strained it is, how much of the gap is time spent unavailable after deferrals), so
no fixed number suits every specialty. Every multiplier is simulated on the same prepared
list over several seeds (common random numbers within a seed), and judged against the
conventional order by the limits a clinician sets. The search never chooses outside the
limits: when the target cannot be reached it says so, with how much of the gap ordering can
reach at all. The method and every figure: docs/calibration.md.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Final

import numpy as np

from prioritisation.calibration.scaling import check_factors, max_multiplier, scale_rule_set
from prioritisation.inputs import PtlArrays
from prioritisation.rulebook import RuleBook
from prioritisation.rules import RuleBounds, RuleSet
from prioritisation.simulation import CONVENTIONAL, OfferModel, RuleSetOutcome, simulate
from prioritisation.simulation.plan import Rates
from prioritisation.treated_gaps import CellKey, GapSums, pooled

DEFAULT_MULTIPLIERS: Final = 8
DEFAULT_REFINEMENTS: Final = 3
BREACH_CODES: Final = ("P2", "P3")
SUPPORT_SUGGESTIONS: Final = (
    "appointment reminders by text and telephone, in the patient's language",
    "help with transport to appointments and admissions",
    "interpreters booked with the appointment",
    "pre-operative optimisation (anaemia, diabetes, smoking, weight) started while waiting",
    "a named contact who rebooks a deferred patient as soon as they are ready",
)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class CalibrationLimits:
    """What a chosen multiplier must respect, against the conventional order.

    Extra P2/P3 target breaches and extra 52-week waiters may not exceed seed noise (the mean
    paired difference over the seeds may be at most its own standard error; with one seed,
    none). No IMD quintile's median wait at treatment may rise by more than
    ``max_quintile_median_rise_weeks`` in any seed, and the gap may not reverse by more than
    ``overshoot_tolerance`` of itself (share closed at most 1 + tolerance in every seed).
    """

    max_quintile_median_rise_weeks: float = 2.0
    overshoot_tolerance: float = 0.10

    def __post_init__(self) -> None:
        if not 0 <= self.max_quintile_median_rise_weeks <= 52:
            raise ValueError("max_quintile_median_rise_weeks must be from 0 to 52")
        if not 0 <= self.overshoot_tolerance <= 1:
            raise ValueError("overshoot_tolerance must be from 0 to 1")


@dataclass(frozen=True, slots=True)
class FrontierPoint:
    """One multiplier's outcomes over the seeds (mean, with the spread across seeds)."""

    multiplier: float
    share_closed: float | None
    share_closed_min: float | None
    share_closed_max: float | None
    share_closed_sd: float | None
    extra_p2_p3_breaches: float
    extra_p2_p3_breaches_sd: float
    extra_long_waiters: float
    extra_long_waiters_sd: float
    largest_quintile_median_rise_weeks: float | None
    within_limits: bool
    reaches_target: bool
    limits_broken: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class GapParts:
    """The conventional order's Q1-Q5 gap (mean weeks at treatment, mean over seeds) and how
    much of Q1's excess wait is time unavailable after deferrals (which no ordering reaches)
    against time waiting to be offered."""

    gap_weeks: float | None
    unavailable_excess_weeks: float | None
    unavailable_share: float | None
    waiting_share: float | None


@dataclass(frozen=True, slots=True)
class Unreachable:
    """Why no multiplier qualifies, the best within the limits, and support work to offer."""

    reason: str
    best_share: float | None
    best_multiplier: float | None
    unavailable_share: float | None
    waiting_share: float | None
    suggestions: list[str]


@dataclass(frozen=True, slots=True)
class Calibration:
    """The search: every multiplier tried (by multiplier), the choice or why none."""

    specialty: str
    target_share: float
    weeks: int
    seeds: list[int]
    factors: list[str]
    limits: CalibrationLimits
    max_multiplier: float
    gap: GapParts
    frontier: list[FrontierPoint]
    chosen_multiplier: float | None
    chosen_rule_set: RuleSet | None = field(repr=False)
    unreachable: Unreachable | None
    chosen_treated_gaps: Mapping[CellKey, GapSums] | None = field(default=None, repr=False)
    """The chosen multiplier's simulated gap sums per specialty, band and week, pooled over
    the seeds: the prediction its draft carries to publication (not part of ``to_dict``)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: everything but the chosen rule set (the draft holds it)."""
        return {
            "specialty": self.specialty,
            "target_share": self.target_share,
            "weeks": self.weeks,
            "seeds": list(self.seeds),
            "factors": list(self.factors),
            "limits": asdict(self.limits),
            "max_multiplier": self.max_multiplier,
            "gap": asdict(self.gap),
            "frontier": [asdict(p) for p in self.frontier],
            "chosen_multiplier": self.chosen_multiplier,
            "unreachable": asdict(self.unreachable) if self.unreachable else None,
        }


def _breaches(outcome: RuleSetOutcome) -> int:
    return sum(
        (b.treated_over_target or 0) + (b.waiting_over_target or 0)
        for b in outcome.priority_breaches
        if b.priority_code in BREACH_CODES
    )


def _sd(values: Sequence[float]) -> float:
    return statistics.stdev(values) if len(values) > 1 else 0.0


def beyond_seed_noise(extra: Sequence[float]) -> bool:
    """More than seed noise: the mean paired difference exceeds its standard error (with one
    seed, any increase)."""
    mean = statistics.mean(extra)
    if len(extra) < 2:
        return mean > 0
    return bool(mean > statistics.stdev(extra) / len(extra) ** 0.5)


def _quintile_rise(outcome: RuleSetOutcome) -> float | None:
    rises = [
        c.median_change_weeks
        for c in outcome.versus_conventional
        if c.dimension == "imd_quintile" and c.median_change_weeks is not None
    ]
    return max(rises) if rises else None


def _point(
    multiplier: float,
    pairs: Sequence[tuple[RuleSetOutcome, RuleSetOutcome]],
    target: float,
    limits: CalibrationLimits,
) -> FrontierPoint:
    """Judge one multiplier from its (conventional, scaled) outcomes, one pair per seed."""
    shares = [o.gap_closed.mean for _, o in pairs if o.gap_closed and o.gap_closed.mean is not None]
    extra = [float(_breaches(o) - _breaches(c)) for c, o in pairs]
    long = [float(o.long_waiters - c.long_waiters) for c, o in pairs]
    rises = [r for r in (_quintile_rise(o) for _, o in pairs) if r is not None]
    rise = max(rises) if rises else None
    broken = []
    if beyond_seed_noise(extra):
        broken.append("extra P2/P3 target breaches beyond seed noise")
    if beyond_seed_noise(long):
        broken.append("extra 52-week waiters beyond seed noise")
    if rise is not None and rise > limits.max_quintile_median_rise_weeks:
        broken.append(
            f"an IMD quintile's median wait rises {rise:.1f} weeks "
            f"(limit {limits.max_quintile_median_rise_weeks:g})"
        )
    if shares and max(shares) > 1 + limits.overshoot_tolerance:
        broken.append(
            f"the gap reverses by {max(shares) - 1:.1%} in a seed "
            f"(limit {limits.overshoot_tolerance:.0%})"
        )
    mean_share = statistics.mean(shares) if len(shares) == len(pairs) and shares else None
    return FrontierPoint(
        multiplier=multiplier,
        share_closed=mean_share,
        share_closed_min=min(shares) if shares else None,
        share_closed_max=max(shares) if shares else None,
        share_closed_sd=_sd(shares) if shares else None,
        extra_p2_p3_breaches=statistics.mean(extra),
        extra_p2_p3_breaches_sd=_sd(extra),
        extra_long_waiters=statistics.mean(long),
        extra_long_waiters_sd=_sd(long),
        largest_quintile_median_rise_weeks=rise,
        within_limits=not broken and mean_share is not None,
        reaches_target=mean_share is not None and mean_share >= target,
        limits_broken=broken,
    )


def _gap_parts(conventional: Sequence[RuleSetOutcome]) -> GapParts:
    gaps = [c.deprivation_gap.mean_weeks for c in conventional]
    if any(g is None for g in gaps):
        return GapParts(None, None, None, None)
    gap = statistics.mean(float(g) for g in gaps if g is not None)
    excess = []
    for c in conventional:
        q1 = c.offers.unavailable_weeks_by_imd_quintile.get("1")
        q5 = c.offers.unavailable_weeks_by_imd_quintile.get("5")
        if q1 is None or q5 is None:
            return GapParts(gap, None, None, None)
        excess.append(q1 - q5)
    unavailable = statistics.mean(excess)
    if gap <= 0:
        return GapParts(gap, unavailable, None, None)
    share = float(np.clip(unavailable / gap, 0.0, 1.0))
    return GapParts(gap, unavailable, share, 1.0 - share)


def _substituted(rules: RuleBook, rule_set: RuleSet) -> RuleBook:
    if rule_set.rule_set_id == "default":
        return RuleBook(default=rule_set, specialties=rules.specialties)
    return rules.with_specialty(rule_set)


def _unreachable(
    frontier: Sequence[FrontierPoint], target: float, m_max: float, gap: GapParts
) -> Unreachable:
    qualifying = [p for p in frontier if p.within_limits and p.share_closed is not None]
    best = max(qualifying, key=lambda p: p.share_closed or 0.0, default=None)
    if gap.gap_weeks is None or gap.gap_weeks <= 0:
        reason = "the list has no Q1-Q5 gap in wait at treatment under the conventional order"
    elif best is None:
        reason = (
            f"no multiplier tried (up to {m_max:g} times the rules in force, the rule bounds) "
            "stays within the limits"
        )
    else:
        reason = (
            f"no multiplier within the rule bounds (up to {m_max:g} times the rules in force) "
            f"closes {target:.0%} of the {gap.gap_weeks:.1f}-week gap within the limits; the "
            f"best within them closes {best.share_closed:.0%} (at {best.multiplier:g} times)"
        )
    if gap.unavailable_share is not None and gap.waiting_share is not None:
        reason += (
            f". Of the most deprived fifth's excess wait, {gap.unavailable_share:.0%} is time "
            f"unavailable after deferred offers, which no ordering can reach, and "
            f"{gap.waiting_share:.0%} is time waiting to be offered"
        )
    return Unreachable(
        reason=reason + ".",
        best_share=best.share_closed if best else None,
        best_multiplier=best.multiplier if best else None,
        unavailable_share=gap.unavailable_share,
        waiting_share=gap.waiting_share,
        suggestions=list(SUPPORT_SUGGESTIONS),
    )


def calibrate(
    arrays: PtlArrays,
    rules: RuleBook,
    rule_set: RuleSet,
    *,
    limits_from: RuleSet,
    bounds: RuleBounds,
    census_date: np.datetime64 | date | str,
    factors: Iterable[str],
    target_share: float = 0.9,
    weeks: int = 26,
    seeds: Sequence[int] = (1, 2, 3),
    limits: CalibrationLimits | None = None,
    multipliers: int = DEFAULT_MULTIPLIERS,
    refinements: int = DEFAULT_REFINEMENTS,
    capacity: Rates | None = None,
    referrals_per_week: Rates | None = None,
    band_shares: Mapping[str, Mapping[str, float]] | None = None,
    offers: OfferModel | None = None,
    progress: Progress | None = None,
) -> Calibration:
    """Search the multiplier on ``rule_set`` (the one in force for its specialty, or the
    default) that closes ``target_share`` of the conventional order's Q1-Q5 gap on ``arrays``.

    The grid is ``multipliers`` evenly spaced steps up to the largest multiplier the bounds
    allow (``bounds`` applied to ``limits_from``'s numbers); when the target lies between a
    multiplier within the limits and a larger one that breaks them, up to ``refinements``
    bisections look between them. The choice is the smallest multiplier within the limits that
    reaches the target. Raises ValueError (ScaleProblem for a factor) for bad inputs.
    """
    chosen_factors = sorted(set(factors))
    if not chosen_factors:
        raise ValueError("choose at least one factor to scale")
    check_factors(rule_set, chosen_factors)
    if not 0 < target_share <= 1.5:
        raise ValueError(f"target_share must be above 0 and at most 1.5, got {target_share}")
    if not 1 <= multipliers <= 32:
        raise ValueError(f"multipliers must be from 1 to 32, got {multipliers}")
    if not 0 <= refinements <= 8:
        raise ValueError(f"refinements must be from 0 to 8, got {refinements}")
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError("seeds must be one or more distinct numbers")
    scaled_any = [v for f in chosen_factors for v in _factor_values(rule_set, f) if v > 0]
    if not scaled_any:
        raise ValueError(f"every uplift of {', '.join(chosen_factors)} is 0: nothing to scale")
    limits = limits or CalibrationLimits()
    m_max = round(max_multiplier(rule_set, limits_from, bounds, chosen_factors), 3)
    grid = sorted({round(m_max * k / multipliers, 3) for k in range(1, multipliers + 1)})
    conventional: dict[int, RuleSetOutcome] = {}
    points: dict[float, FrontierPoint] = {}
    gap_tables: dict[float, list[Mapping[CellKey, GapSums]]] = {}
    total = len(seeds) * (1 + refinements)
    done = 0

    def scaled(m: float) -> RuleSet:
        return scale_rule_set(rule_set, m, factors=chosen_factors, limits_from=limits_from,
                              bounds=bounds)  # fmt: skip

    def evaluate(ms: Sequence[float]) -> None:
        nonlocal done
        books = {f"x{m:.3f}": _substituted(rules, scaled(m)) for m in ms}
        runs: dict[float, list[tuple[RuleSetOutcome, RuleSetOutcome]]] = {m: [] for m in ms}
        for seed in seeds:
            result = simulate(
                arrays, books, census_date=census_date, weeks=weeks, seed=seed,
                capacity=capacity, referrals_per_week=referrals_per_week,
                band_shares=band_shares, offers=offers,
            )  # fmt: skip
            base = conventional.setdefault(seed, result.outcome(CONVENTIONAL))
            for m in ms:
                runs[m].append((base, result.outcome(f"x{m:.3f}")))
                gap_tables.setdefault(m, []).append(result.treated_gaps[f"x{m:.3f}"])
            done += 1
            if progress:
                progress("simulating", done, total)
        for m in ms:
            points[m] = _point(m, runs[m], target_share, limits)

    evaluate(grid)
    for _ in range(refinements):
        frontier = [points[m] for m in sorted(points)]
        if any(p.within_limits and p.reaches_target for p in frontier):
            break
        below = [p for p in frontier if p.within_limits]
        if not below:
            break
        lo = max(below, key=lambda p: p.share_closed or 0.0)
        above = [p for p in frontier if p.multiplier > lo.multiplier and p.reaches_target]
        if not above:
            break
        mid = round((lo.multiplier + above[0].multiplier) / 2, 3)
        if mid in points:
            break
        evaluate([mid])
    frontier = [points[m] for m in sorted(points)]
    chosen = next((p for p in frontier if p.within_limits and p.reaches_target), None)
    gap = _gap_parts([conventional[s] for s in seeds])
    return Calibration(
        specialty=rule_set.rule_set_id,
        target_share=target_share,
        weeks=weeks,
        seeds=list(seeds),
        factors=chosen_factors,
        limits=limits,
        max_multiplier=m_max,
        gap=gap,
        frontier=frontier,
        chosen_multiplier=chosen.multiplier if chosen else None,
        chosen_rule_set=scaled(chosen.multiplier) if chosen else None,
        unreachable=None if chosen else _unreachable(frontier, target_share, m_max, gap),
        chosen_treated_gaps=pooled(gap_tables[chosen.multiplier]) if chosen else None,
    )


def _factor_values(rule_set: RuleSet, factor: str) -> list[float]:
    if factor == "deprivation":
        return list(rule_set.deprivation.decile_uplift_days.values())
    if factor == "inclusion":
        return list(rule_set.inclusion.uplift_days.values())
    if factor == "core20":
        return [rule_set.core20.uplift_days]
    eth = rule_set.ethnicity
    return [*eth.category_uplift_days.values(), *eth.group_uplift_days.values()]
