"""One rule set's weekly booking loop: rank who can be offered a date, book, add referrals.

Why its own module: the loop is the simulation's one stateful part (who is waiting, who is
unavailable after a deferral, how many offers each patient has had); everything it needs is
prepared once per simulation (coded entries, chances, the referral stream, the plan).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

from prioritisation.capacity import WeeklyCapacity
from prioritisation.coded import CodedPtl
from prioritisation.engine import conventional_order, rank_ptl
from prioritisation.metrics import OVER_18_WEEKS_DAYS, OVER_52_WEEKS_DAYS
from prioritisation.rulebook import RuleBook
from prioritisation.simulation.booking import Booking, book_week, group_positions, reach_limits
from prioritisation.simulation.offers import DEFERRED, PatientChances, offer_outcomes
from prioritisation.simulation.outcomes import WeekPoint
from prioritisation.simulation.plan import MILLI, Plan, weekly_counts
from prioritisation.simulation.support import SupportIntervention, choose_supported

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
SHORTLIST = True
"""Draw offer outcomes only for the top of each band (the same result, faster)."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """Everything every rule set's run shares (aligned with the universe: the starting list,
    then every referral in arrival order)."""

    coded: CodedPtl
    n_start: int
    arrivals: IntArray
    """Universe rows ``arrivals[w] .. arrivals[w + 1]`` join after week ``w``'s booking."""
    plan: Plan
    urgent: BoolArray
    parked: BoolArray
    chances: PatientChances
    offer_seed: int
    census: np.datetime64
    weeks: int


@dataclass(frozen=True, slots=True)
class RunArrays:
    """What one rule set did to each universe row."""

    treated_week: IntArray
    """The week (0-based) each row was treated, -1 if not."""
    treated_wait: IntArray
    """Days from clock start to treatment, -1 if not treated."""
    unavailable_days: IntArray
    """Days spent unavailable after deferrals (up to treatment or the end)."""
    offers: IntArray
    deferrals: IntArray
    waiting_at_end: BoolArray
    weekly: list[WeekPoint]
    supported: IntArray
    """Offers made to each row with support."""


def band_capacity(plan: Plan) -> WeeklyCapacity:
    """The last-chance range's capacity: each non-urgent band's slots per week."""
    per_list: dict[tuple[str, str, str], dict[str, float]] = {}
    for i, listed in enumerate(plan.lists):
        key = (listed.provider_code, listed.treatment_function_code, listed.pathway_stage)
        per_list[key] = {
            code: int(plan.capacity_milli[i, b]) / MILLI
            for b, code in enumerate(plan.band_codes)
            if not plan.urgent[b]
        }
    return WeeklyCapacity(per_list)


def _point(week: int, day: int, waits: IntArray, treated: int) -> WeekPoint:
    """The list on ``day`` (days since 1970-01-01) before that week's treatments."""
    return WeekPoint(
        week=week,
        date=date(1970, 1, 1) + timedelta(days=int(day)),
        waiting=len(waits),
        over_18_weeks=int((waits > OVER_18_WEEKS_DAYS).sum()),
        over_52_weeks=int((waits > OVER_52_WEEKS_DAYS).sum()),
        treated=treated,
    )


def _book(
    p: Prepared,
    ordered: IntArray,
    offers: IntArray,
    slots: IntArray,
    reserved: IntArray,
    support: SupportIntervention | None,
) -> tuple[IntArray, IntArray, IntArray, Booking, IntArray]:
    """Book the week from the top of each band only: offers never go further down a band
    than its slots (and those passed down to it) can be filled, so the outcomes of entries
    further down are not drawn. A band whose shortlist ran out is booked again with a
    longer one, so the result equals booking the whole list.

    With ``support``, the week's offers are first booked without it, which says who is about
    to be offered a date; the ``per_week`` of them most at risk of deferring get support, and
    the week is booked again with their deferral chance cut. Support only turns deferrals
    into treatments, so the second booking reaches no further down any band than the first
    (a supported patient further down may then not be offered this week after all). Also
    returns the rows supported."""
    lists, bands = p.plan.list_code[ordered], p.plan.band[ordered]
    position = group_positions(lists, bands, slots.shape[1])
    if not SHORTLIST:
        position = np.zeros_like(position)
    factor = 2
    while True:
        limit = reach_limits(slots, factor)[lists, bands]
        short = np.flatnonzero(position < limit)
        picked = ordered[short]
        outcome, weeks_off = offer_outcomes(p.offer_seed, picked, offers[picked], p.chances)
        booking = book_week(
            list_of=lists[short], band_of=bands[short], outcome=outcome, slots=slots,
            reserved=reserved,
        )  # fmt: skip
        last = position[short] == limit[short] - 1
        if not (booking.offered & last).any() or len(short) == len(ordered):
            break
        factor *= 4
    if support is None or not booking.offered.any():
        return picked, outcome, weeks_off, booking, np.zeros(0, np.int64)
    about = np.flatnonzero(booking.offered)
    chosen = about[choose_supported(p.chances.defer[picked[about]], support.per_week)]
    cut = np.zeros(len(picked))
    cut[chosen] = support.effect
    outcome, weeks_off = offer_outcomes(p.offer_seed, picked, offers[picked], p.chances, cut)
    booking = book_week(
        list_of=lists[short], band_of=bands[short], outcome=outcome, slots=slots,
        reserved=reserved,
    )  # fmt: skip
    return picked, outcome, weeks_off, booking, picked[chosen]


def run_rule_set(
    prepared: Prepared,
    book: RuleBook,
    *,
    conventional: bool,
    capacity: WeeklyCapacity | None,
    support: SupportIntervention | None = None,
) -> RunArrays:
    """Book every week under ``book`` (its conventional order if ``conventional``), with
    ``support`` for the patients most at risk among each week's offers when given."""
    p = prepared
    n = len(p.coded)
    clock = p.coded.clock
    census = p.census.astype(np.int64)
    active = np.zeros(n, np.bool_)
    active[: p.n_start] = True
    available_week = np.zeros(n, np.int64)
    offers = np.zeros(n, np.int64)
    deferrals = np.zeros(n, np.int64)
    unavailable = np.zeros(n, np.int64)
    treated_week = np.full(n, -1, np.int64)
    treated_wait = np.full(n, -1, np.int64)
    supported = np.zeros(n, np.int64)
    n_lists, n_bands = p.plan.capacity_milli.shape
    weekly: list[WeekPoint] = []
    urgent_arrived = np.zeros(0, np.int64)
    for week in range(p.weeks):
        day = census + 7 * week
        slots = weekly_counts(p.plan.capacity_milli.reshape(-1), week).reshape(n_lists, n_bands)
        waiting_rows = np.flatnonzero(active & ~p.parked)
        waits = np.maximum(day - clock[waiting_rows], 0)
        # Urgent bands are booked on the day: anyone already waiting at the census on the
        # census day, a referral on the day it arrives (below). They take their band's slots
        # first: this week's, for those treated at its start or during the week before.
        urgent_now = np.flatnonzero(active & p.urgent)
        treated_week[urgent_now] = week
        treated_wait[urgent_now] = np.maximum(census - clock[urgent_now], 0)
        active[urgent_now] = False
        reserved = np.zeros((n_lists, n_bands), np.int64)
        for urgent_rows in (urgent_now, urgent_arrived):
            np.add.at(reserved, (p.plan.list_code[urgent_rows], p.plan.band[urgent_rows]), 1)
        rows = np.flatnonzero(active & ~p.urgent & ~p.parked & (available_week <= week))
        subset = p.coded.take(rows)
        if conventional:  # no scores needed: priority, then longest wait
            order = conventional_order(subset, p.plan.band[rows])
        else:
            order = rank_ptl(subset, book, np.datetime64(int(day), "D"), None, capacity).order()
        ordered, outcome, weeks_off, booking, helped = _book(
            p, rows[order], offers, slots, reserved, support
        )
        supported[helped] += 1
        done = ordered[booking.treated]
        treated_week[done] = week
        treated_wait[done] = np.maximum(day - clock[done], 0)
        active[done] = False
        failed = booking.offered & ~booking.treated
        offers[ordered[booking.offered]] += 1
        deferred = failed & (outcome == DEFERRED)
        away = ordered[deferred]
        deferrals[away] += 1
        available_week[away] = week + weeks_off[deferred]
        unavailable[away] += 7 * weeks_off[deferred]

        arriving = np.arange(p.arrivals[week], p.arrivals[week + 1])
        urgent_arrived = arriving[p.urgent[arriving]]
        treated_week[urgent_arrived] = week
        treated_wait[urgent_arrived] = 0
        active[arriving[~p.urgent[arriving]]] = True
        treated = len(done) + len(urgent_now) + len(urgent_arrived)
        weekly.append(_point(week, int(day), waits, treated))
    end = census + 7 * p.weeks
    waiting = active & ~p.parked
    # Time still to spend unavailable after the horizon does not count.
    overhang = np.maximum(available_week - p.weeks, 0) * 7
    unavailable = np.where(active, np.maximum(unavailable - overhang, 0), unavailable)
    end_waits = np.maximum(end - clock[np.flatnonzero(waiting)], 0)
    weekly.append(_point(p.weeks, int(end), end_waits, 0))
    return RunArrays(
        treated_week, treated_wait, unavailable, offers, deferrals, waiting, weekly, supported
    )
