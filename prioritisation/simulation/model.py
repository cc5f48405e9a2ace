"""Simulate booking a PTL week by week under several rule sets and the conventional order.

Why one prepared universe: every rule set sees exactly the same patients arrive on the same
dates, the same chance of each offer failing (common random numbers), and the same capacity,
so any difference between rule sets comes from the ordering alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from prioritisation.coded import CodedPtl
from prioritisation.engine import as_census_day, rank_ptl
from prioritisation.inputs import PtlArrays
from prioritisation.rulebook import RuleBook, load_default_rules
from prioritisation.simulation.cohort import NO_TARGET, Cohort
from prioritisation.simulation.notes import horizon_notes
from prioritisation.simulation.offers import OfferModel, patient_chances
from prioritisation.simulation.outcomes import (
    RuleSetOutcome,
    RunFacts,
    ethnic_labels,
    rule_set_outcome,
)
from prioritisation.simulation.plan import ListPlan, Plan, Rates, plan_lists
from prioritisation.simulation.referrals import referral_stream, with_referrals
from prioritisation.simulation.run import Prepared, band_capacity, run_rule_set
from prioritisation.simulation.support import (
    SUPPORTED_SUFFIX,
    SupportIntervention,
    supported_name,
)
from prioritisation.treated_gaps import CellKey, GapCells, GapSums

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
CONVENTIONAL = "conventional"
DEFAULT_SEED = 20261123
SHIPPED_DEFAULT = "shipped_default"
MAX_WEEKS = 520
URGENT_TARGET_DAYS = 7
"""Priorities whose target is under a week (P1a, P1b) are booked on the day."""
CapacitySplit = Literal["bands", "priority_first"]


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
    offer_model: dict[str, Any]
    last_chance: bool
    capacity_split: str
    notes: list[str]
    failure_chances: dict[str, Any] = field(default_factory=dict)
    """Where each entry's deferral chance came from: ``source`` ``groups`` (the offer
    model's chances by group) or ``per_patient`` (given probabilities), and ``entries`` with
    a given probability (the starting list; referrals copy their template's)."""
    support: dict[str, Any] | None = None
    """The support intervention simulated (None: none) and, per rule set, the share of the
    conventional gap closed by reordering alone, support alone and both."""
    treated_week: Mapping[str, IntArray] = field(default_factory=dict, repr=False)
    """Per rule set, the week (0-based) each *starting* entry was treated, -1 if it was not
    (aligned with the input arrays; not part of ``to_dict``)."""
    treated_gaps: Mapping[str, Mapping[CellKey, GapSums]] = field(default_factory=dict, repr=False)
    """Per rule set, the Q1-Q5 gap sums of the patients treated each week (0-based), per
    specialty and band (``prioritisation.treated_gaps``; not part of ``to_dict``)."""

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
            if name not in ("treated_week", "treated_gaps")
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


def _check(rule_books: Mapping[str, RuleBook], weeks: int) -> None:
    if not 1 <= weeks <= MAX_WEEKS:
        raise ValueError(f"weeks must be from 1 to {MAX_WEEKS}, got {weeks}")
    for name in rule_books:
        if name == CONVENTIONAL:
            raise ValueError(f"{CONVENTIONAL!r} is always simulated; choose another rule set name")
        if not name.strip():
            raise ValueError("rule set names must not be blank")
        if name.endswith(SUPPORTED_SUFFIX):
            raise ValueError(
                f"rule set names must not end in {SUPPORTED_SUFFIX!r}: it names the runs with "
                "support"
            )


def _bands(reference: RuleBook) -> tuple[tuple[str, ...], NDArray[np.bool_]]:
    ranked = reference.default.clinical_priority.ranked
    codes = tuple(rule.code for rule in ranked)
    urgent = np.array(
        [r.target_days is not None and r.target_days < URGENT_TARGET_DAYS for r in ranked]
    )
    return codes, urgent


def _cohort(universe: PtlArrays, reference: RuleBook, priority: NDArray[np.str_]) -> Cohort:
    """Priority as ranked by the reference rule book, and each entry's target in days."""
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


def _first_band_only(plan: Plan) -> Plan:
    """One quota per list, booked strictly band-first (the earlier model)."""
    capacity = np.zeros_like(plan.capacity_milli)
    capacity[:, 0] = plan.capacity_milli.sum(axis=1)
    return Plan(
        plan.list_code, plan.band, plan.lists, plan.band_codes, plan.urgent,
        plan.referral_milli, capacity,
    )  # fmt: skip


def simulate(
    arrays: PtlArrays,
    rule_books: Mapping[str, RuleBook],
    *,
    census_date: np.datetime64 | date | str,
    weeks: int = 52,
    capacity: Rates | None = None,
    referrals_per_week: Rates | None = None,
    band_shares: Mapping[str, Mapping[str, float]] | None = None,
    offers: OfferModel | None = None,
    seed: int = DEFAULT_SEED,
    last_chance: bool = True,
    capacity_split: CapacitySplit = "bands",
    failure_probability: FloatArray | None = None,
    support: SupportIntervention | None = None,
) -> SimulationResult:
    """Simulate ``weeks`` weeks of booking from ``census_date`` under each rule book and the
    conventional order (see docs/simulation.md).

    ``capacity`` and ``referrals_per_week`` map a treatment function code (split over its
    lists) or a ``provider/tfc/stage`` list key to patients per week, or to patients per week
    per priority code. ``band_shares`` (per list key) shares a list's capacity between bands,
    e.g. by recent clock stops per priority. ``offers`` sets the chance an offer fails (the
    documented defaults when None; :meth:`OfferModel.never_fails` for none). The first rule
    book is the reference (the shipped default rules when none is given).

    ``failure_probability`` (aligned with ``arrays``, NaN for none) gives each entry's own
    chance that an offer ends deferred, in place of the offer model's group chance; a
    referral copies its template entry's. With ``support``, every rule set (the conventional
    order included) is simulated a second time with the support intervention, named
    ``<rule set>+support``; each is compared with the conventional order without support.
    Raises ValueError for bad inputs, and for a PTL the engine cannot rank.
    """
    _check(rule_books, weeks)
    if capacity_split not in ("bands", "priority_first"):
        raise ValueError("capacity_split must be 'bands' or 'priority_first'")
    census = as_census_day(census_date)
    model = offers or OfferModel()
    if failure_probability is not None:
        failure_probability = np.asarray(failure_probability, dtype=np.float64)
        if failure_probability.shape != (len(arrays),):
            raise ValueError(
                f"failure_probability has {failure_probability.size} values for "
                f"{len(arrays)} entries"
            )
    reference_name = next(iter(rule_books), SHIPPED_DEFAULT)
    reference = rule_books[reference_name] if rule_books else load_default_rules()
    start = rank_ptl(arrays, reference, census)
    band_codes, urgent_band = _bands(reference)
    lookup = {code: i for i, code in enumerate(band_codes)}
    codes, inverse = np.unique(start.priority_code, return_inverse=True)
    position = np.array([lookup.get(str(c), -1) for c in codes.tolist()], dtype=np.int64)
    band = np.where(start.parked, -1, position[inverse.reshape(-1)]).astype(np.int64)
    plan = plan_lists(
        arrays,
        start.parked,
        band,
        census,
        band_codes=band_codes,
        urgent=urgent_band,
        capacity=capacity,
        referrals_per_week=referrals_per_week,
        band_shares=band_shares,
    )
    templates, arrival_week, arrival_day = referral_stream(plan, ~start.parked, weeks, seed)
    universe = with_referrals(arrays, templates, arrival_week, arrival_day, census)
    plan = Plan(
        np.concatenate([plan.list_code, plan.list_code[templates]]),
        np.concatenate([plan.band, plan.band[templates]]),
        plan.lists, plan.band_codes, plan.urgent, plan.referral_milli, plan.capacity_milli,
    )  # fmt: skip
    if capacity_split == "priority_first":
        plan = _first_band_only(plan)
    priority = np.concatenate([start.priority_code, start.priority_code[templates]])
    parked = np.concatenate([start.parked, start.parked[templates]])
    cohort = _cohort(universe, reference, priority)
    gap_cells = GapCells.of(universe.treatment_function_code, priority, universe.imd_decile)
    urgent_row = (plan.band >= 0) & urgent_band[np.maximum(plan.band, 0)]
    prepared = Prepared(
        coded=CodedPtl.from_arrays(universe),
        n_start=len(arrays),
        arrivals=len(arrays) + np.searchsorted(arrival_week, np.arange(weeks + 1)),
        plan=plan,
        urgent=urgent_row,
        parked=parked,
        chances=patient_chances(
            universe,
            model,
            None
            if failure_probability is None
            else np.concatenate([failure_probability, failure_probability[templates]]),
        ),
        offer_seed=seed * 2 + 1,
        census=census,
        weeks=weeks,
    )
    weekly_capacity = band_capacity(plan) if last_chance else None
    end = census + np.timedelta64(7 * weeks, "D")
    end_wait = np.maximum(end.astype(np.int64) - prepared.coded.clock, 0)
    books: list[tuple[str, RuleBook, bool, SupportIntervention | None]] = [
        (CONVENTIONAL, reference, True, None)
    ]
    books += [(name, book, False, None) for name, book in rule_books.items()]
    if support is not None:
        books += [(supported_name(name), book, c, support) for name, book, c, _ in books]
    outcomes: list[RuleSetOutcome] = []
    treated_week: dict[str, IntArray] = {}
    treated_gaps: dict[str, Mapping[CellKey, GapSums]] = {}
    base: tuple[RuleSetOutcome, RunFacts] | None = None
    for name, book, conventional, helped in books:
        run = run_rule_set(
            prepared,
            book,
            conventional=conventional,
            capacity=None if conventional else weekly_capacity,
            support=helped,
        )
        treated_week[name] = run.treated_week[: len(arrays)]
        treated_gaps[name] = gap_cells.table(run.treated_wait, run.treated_week, weeks)
        facts = RunFacts(
            treated_wait=run.treated_wait,
            waiting_at_end=run.waiting_at_end,
            end_wait=end_wait,
            parked=parked,
            offers=run.offers,
            deferrals=run.deferrals,
            unavailable_days=run.unavailable_days,
            offered_treatments=int(((run.treated_week >= 0) & ~urgent_row).sum()),
            supported=run.supported if helped is not None else None,
        )
        outcome = rule_set_outcome(
            name, cohort, facts=facts, end_date=_day(end), weekly=run.weekly, conventional=base
        )
        outcomes.append(outcome)
        if base is None:
            base = (outcome, facts)
    result = SimulationResult(
        census_date=_day(census),
        end_date=_day(end),
        weeks=weeks,
        seed=seed,
        reference_rule_set=reference_name,
        starting_entries=len(arrays),
        starting_ranked=int((~start.parked).sum()),
        new_referrals=len(templates),
        lists=list(plan.lists),
        rule_sets=outcomes,
        offer_model=model.to_dict(),
        last_chance=last_chance,
        capacity_split=capacity_split,
        notes=[],
        failure_chances={
            "source": "groups" if failure_probability is None else "per_patient",
            "entries": 0
            if failure_probability is None
            else int((~np.isnan(failure_probability)).sum()),
        },
        support=_support_summary(support, outcomes, list(rule_books)),
        treated_week=treated_week,
        treated_gaps=treated_gaps,
    )
    return _with_notes(result, start_waits=start.wait_days[~start.parked])


def _support_summary(
    support: SupportIntervention | None, outcomes: list[RuleSetOutcome], names: list[str]
) -> dict[str, Any] | None:
    """Per rule set, the share of the conventional gap (mean wait at treatment, Q1 - Q5)
    closed by reordering alone, by support alone (the conventional order with support) and by
    both; None for a share the conventional gap does not allow (not positive)."""
    if support is None:
        return None
    by_name = {outcome.name: outcome for outcome in outcomes}

    def closed(name: str) -> float | None:
        share = by_name[name].gap_closed
        return share.mean if share is not None else None

    return {
        **support.to_dict(),
        "comparison": [
            {
                "rule_set": name,
                "reordering_alone": closed(name),
                "support_alone": closed(supported_name(CONVENTIONAL)),
                "both": closed(supported_name(name)),
            }
            for name in names
        ],
    }


def _with_notes(result: SimulationResult, start_waits: IntArray) -> SimulationResult:
    return replace(result, notes=horizon_notes(result.rule_sets, result.lists, start_waits))
