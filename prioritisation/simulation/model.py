"""The weekly booking loop: rank, treat the top of each list, add referrals, move on a week.

Why one pre-built stream of referrals: every rule set sees exactly the same patients arrive on
the same dates, so any difference between rule sets comes from the ordering alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from prioritisation.engine import as_census_day, rank_ptl
from prioritisation.inputs import PtlArrays
from prioritisation.metrics import OVER_18_WEEKS_DAYS, OVER_52_WEEKS_DAYS
from prioritisation.result import RankingResult
from prioritisation.rulebook import RuleBook, load_default_rules
from prioritisation.simulation.outcomes import (
    NO_TARGET,
    Cohort,
    RuleSetOutcome,
    WeekPoint,
    ethnic_labels,
    rule_set_outcome,
)
from prioritisation.simulation.plan import (
    ListPlan,
    Plan,
    plan_lists,
    referral_stream,
    weekly_counts,
    with_referrals,
)

IntArray = NDArray[np.int64]
CONVENTIONAL = "conventional"
DEFAULT_SEED = 20261123
SHIPPED_DEFAULT = "shipped_default"
MAX_WEEKS = 520


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """Outcomes per rule set, ``conventional`` first, then the rule books in the given order.

    ``reference_rule_set`` names the rule book whose priority bands, parking and targets the
    conventional order and every breach count use (the first one given).
    """

    census_date: date
    end_date: date
    weeks: int
    seed: int
    reference_rule_set: str
    starting_entries: int
    starting_ranked: int
    new_referrals: int
    lists: list[ListPlan]
    rule_sets: list[RuleSetOutcome]
    treated_week: Mapping[str, IntArray] = field(default_factory=dict, repr=False)
    """Per rule set, the week (0-based) each *starting* entry was treated, -1 if it was not
    (aligned with the input arrays; not part of ``to_dict``)."""

    def outcome(self, name: str) -> RuleSetOutcome:
        """The outcome of the rule set called ``name`` (KeyError if none)."""
        for outcome in self.rule_sets:
            if outcome.name == name:
                return outcome
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values: dates as ISO strings, empty statistics as None."""
        return {
            name: _plain(getattr(self, name))
            for name in self.__dataclass_fields__
            if name != "treated_week"
        }


def _plain(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return {name: _plain(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _day(day: np.datetime64) -> date:
    return date.fromisoformat(str(day.astype("datetime64[D]")))


def _cohort(universe: PtlArrays, reference: RuleBook, start: RankingResult) -> Cohort:
    """Priority as ranked by the reference rule book, and each entry's target in days."""
    priority = start.priority_code
    pairs = np.strings.add(np.strings.add(universe.treatment_function_code, "|"), priority)
    uniques, inverse = np.unique(pairs, return_inverse=True)
    targets = []
    for pair in uniques.tolist():
        tfc, code = pair.split("|")
        rule = reference.rule_set_for(tfc).clinical_priority.rule_for(code)
        targets.append(NO_TARGET if rule is None or rule.target_days is None else rule.target_days)
    ranked = reference.default.clinical_priority.ranked
    return Cohort(
        imd_decile=universe.imd_decile,
        ethnic_label=ethnic_labels(universe.ethnic_group),
        priority_code=priority,
        target_days=np.array(targets, dtype=np.int64)[inverse.reshape(-1)],
        priority_order=tuple(rule.code for rule in ranked),
        default_targets={rule.code: rule.target_days for rule in ranked},
    )


@dataclass(frozen=True, slots=True)
class _Run:
    treated_week: IntArray
    weekly: list[WeekPoint]
    final_rows: IntArray
    final: RankingResult


def _point(week: int, day: np.datetime64, result: RankingResult, treated: int) -> WeekPoint:
    waits = result.wait_days[~result.parked]
    return WeekPoint(
        week=week,
        date=_day(day),
        waiting=len(waits),
        over_18_weeks=int((waits > OVER_18_WEEKS_DAYS).sum()),
        over_52_weeks=int((waits > OVER_52_WEEKS_DAYS).sum()),
        treated=treated,
    )


def _run(
    universe: PtlArrays,
    n_start: int,
    arrival_week: IntArray,
    plan: Plan,
    book: RuleBook,
    *,
    conventional: bool,
    census: np.datetime64,
    weeks: int,
) -> _Run:
    """Book ``weeks`` weeks under ``book`` (by its conventional rank if ``conventional``)."""
    active = np.zeros(len(universe), dtype=np.bool_)
    active[:n_start] = True
    arrivals = n_start + np.searchsorted(arrival_week, np.arange(weeks + 1))
    treated_week = np.full(len(universe), -1, dtype=np.int64)
    weekly: list[WeekPoint] = []
    for week in range(weeks):
        day = census + np.timedelta64(7 * week, "D")
        rows = np.flatnonzero(active)
        result = rank_ptl(universe.take(rows), book, day)
        rank = result.conventional_rank if conventional else result.rank
        quota = weekly_counts(plan.capacity_milli, week)[plan.list_code[rows]]
        done = rows[(rank >= 1) & (rank <= quota)]
        treated_week[done] = week
        active[done] = False
        active[arrivals[week] : arrivals[week + 1]] = True
        weekly.append(_point(week, day, result, len(done)))
    end = census + np.timedelta64(7 * weeks, "D")
    final_rows = np.flatnonzero(active)
    final = rank_ptl(universe.take(final_rows), book, end)
    weekly.append(_point(weeks, end, final, 0))
    return _Run(treated_week, weekly, final_rows, final)


def _check(rule_books: Mapping[str, RuleBook], weeks: int) -> None:
    if not 1 <= weeks <= MAX_WEEKS:
        raise ValueError(f"weeks must be from 1 to {MAX_WEEKS}, got {weeks}")
    for name in rule_books:
        if name == CONVENTIONAL:
            raise ValueError(f"{CONVENTIONAL!r} is always simulated; choose another rule set name")
        if not name.strip():
            raise ValueError("rule set names must not be blank")


def simulate(
    arrays: PtlArrays,
    rule_books: Mapping[str, RuleBook],
    *,
    census_date: np.datetime64 | date | str,
    weeks: int = 52,
    capacity: Mapping[str, float] | None = None,
    referrals_per_week: Mapping[str, float] | None = None,
    seed: int = DEFAULT_SEED,
) -> SimulationResult:
    """Simulate ``weeks`` weeks of booking from ``census_date`` under each rule book and the
    conventional order (see docs/simulation.md).

    ``capacity`` and ``referrals_per_week`` map a treatment function code (split over its
    lists) or a ``provider/tfc/stage`` list key to patients per week. The first rule book is
    the reference (the shipped default rules when none is given). Raises ValueError for bad
    inputs, and for a PTL the engine cannot rank.
    """
    _check(rule_books, weeks)
    census = as_census_day(census_date)
    reference_name = next(iter(rule_books), SHIPPED_DEFAULT)
    reference = rule_books[reference_name] if rule_books else load_default_rules()
    start = rank_ptl(arrays, reference, census)
    plan = plan_lists(
        arrays,
        start.parked,
        census,
        capacity=capacity,
        referrals_per_week=referrals_per_week,
    )
    templates, arrival_week, arrival_day = referral_stream(plan, ~start.parked, weeks, seed)
    universe = with_referrals(arrays, templates, arrival_week, arrival_day, census)
    plan = Plan(
        np.concatenate([plan.list_code, plan.list_code[templates]]),
        plan.lists,
        plan.referral_milli,
        plan.capacity_milli,
    )
    cohort = _cohort(universe, reference, rank_ptl(universe, reference, census))

    books: list[tuple[str, RuleBook, bool]] = [(CONVENTIONAL, reference, True)]
    books += [(name, book, False) for name, book in rule_books.items()]
    outcomes: list[RuleSetOutcome] = []
    treated_week: dict[str, IntArray] = {}
    for name, book, conventional in books:
        run = _run(
            universe,
            len(arrays),
            arrival_week,
            plan,
            book,
            conventional=conventional,
            census=census,
            weeks=weeks,
        )
        treated_week[name] = run.treated_week[: len(arrays)]
        treated = np.flatnonzero(run.treated_week >= 0)
        clock = universe.rtt_clock_start.astype(np.int64)
        booked_on = census.astype(np.int64) + 7 * run.treated_week[treated]
        ranked = ~run.final.parked
        outcomes.append(
            rule_set_outcome(
                name,
                cohort,
                treated_rows=treated,
                treated_waits=np.maximum(booked_on - clock[treated], 0),
                end_date=_day(run.final.census_date),
                waiting_rows=run.final_rows[ranked],
                waiting_waits=run.final.wait_days[ranked],
                parked_at_end=int(run.final.parked.sum()),
                weekly=run.weekly,
                conventional=outcomes[0] if outcomes else None,
            )
        )
    return SimulationResult(
        census_date=_day(census),
        end_date=_day(census + np.timedelta64(7 * weeks, "D")),
        weeks=weeks,
        seed=seed,
        reference_rule_set=reference_name,
        starting_entries=len(arrays),
        starting_ranked=int((~start.parked).sum()),
        new_referrals=len(templates),
        lists=list(plan.lists),
        rule_sets=outcomes,
        treated_week=treated_week,
    )
