"""Run an equity impact simulation on a provider's open PTL (plain functions, no commits).

Why here and not in the core: choosing the list, the rules in force, candidate rule sets from
drafts or posted documents, and capacity from recent clock stops all need the database; the
simulation itself (``prioritisation.simulation``) stays pure. Nothing is stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from app.ptl_arrays import load_open_ptl
from app.rules.errors import RuleDocumentInvalid
from app.rules.in_force import rules_in_force
from app.rules.validation import parse_document
from app.simulations.breakdowns import GroupBreakdowns, group_breakdowns
from app.simulations.capacity import clock_stops, core_keys, with_clock_stops
from app.simulations.errors import InvalidSimulation, NoOpenList, RuleVersionNotFound
from app.simulations.risk import model_scores
from models.base import utcnow
from models.rules import DEFAULT_SPECIALTY, RuleSetVersion
from prioritisation import PtlArrays, RuleBook, RuleSet
from prioritisation.simulation import (
    CONVENTIONAL,
    DEFAULT_SEED,
    OfferModel,
    SimulationResult,
    SupportIntervention,
    list_codes,
    simulate,
    supported_name,
)
from prioritisation.simulation.offers import estimate_from_list
from prioritisation.simulation.plan import Rates

IN_FORCE = "in_force"
RESERVED_NAMES = (CONVENTIONAL, IN_FORCE)
CLOCK_STOPS = "recent_clock_stops"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A rule set to compare: a stored version (usually a draft) or a posted document."""

    name: str
    version_id: int | None = None
    document: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class SimulationRequest:
    """What to simulate. ``capacity`` and ``referrals_per_week`` are keyed by treatment
    function code (``110``) or one of its lists (``110/admitted``)."""

    provider_code: str
    census_date: date
    specialties: Sequence[str] | None = None
    weeks: int = 52
    seed: int = DEFAULT_SEED
    capacity: Rates | None = None
    referrals_per_week: Rates | None = None
    candidates: Sequence[Candidate] = ()
    offers: OfferModel | None = None
    """The chances of a failed offer; None: estimated from the list (or the defaults)."""
    last_chance: bool = True
    support: SupportIntervention | None = None
    """Simulate every rule set again with this support intervention (None: no support)."""
    use_risk_model: bool = True
    """Use the active risk model's per-pathway probabilities when one is active."""
    lead_days: int = 21
    """Lead time of the offers the risk model scores (the support rules' assumption)."""


@dataclass(frozen=True, slots=True)
class SimulationRun:
    """The result with what it compared: each rule set's source, in result order."""

    provider_code: str
    specialties: list[str] | None
    generated_at: datetime
    sources: dict[str, str]
    result: SimulationResult
    notes: list[str] = field(default_factory=list)
    rule_versions: dict[str, int | None] = field(default_factory=dict)
    """Rule set key (``default``, ``110``) → the version id in force (None: shipped default)."""
    extract_checksum: str | None = None
    """SHA-256 of the simulated entries (see :func:`extract_checksum`)."""
    candidate_versions: dict[str, int] = field(default_factory=dict)
    """Candidate name → the stored version (usually a draft) it came from."""
    breakdowns: GroupBreakdowns | None = field(default=None, repr=False)
    """Age band, sex and inclusion group of the starting entries (the assessment's tables)."""
    risk_model: dict[str, Any] = field(default_factory=dict)
    """Whether the active risk model's probabilities were used (``used``, ``model_id``,
    ``reason``)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider_code": self.provider_code,
            "specialties": self.specialties,
            "generated_at": self.generated_at.isoformat(),
            "rule_set_sources": [
                {"name": o.name, "source": self.sources[o.name]} for o in self.result.rule_sets
            ],
            **self.result.to_dict(),
            "risk_model": self.risk_model,
            "notes": [*self.notes, *self.result.notes],
        }


def extract_checksum(arrays: PtlArrays) -> str:
    """SHA-256 over the entries a simulation read (pathway, list, priority, clock start, IMD
    decile, in that order): the same extract gives the same checksum, so a signed assessment
    can be matched to the list it describes without holding patient data."""
    digest = hashlib.sha256()
    for column in (
        arrays.pathway_id, arrays.provider_code, arrays.treatment_function_code,
        arrays.pathway_stage, arrays.priority_code,
    ):  # fmt: skip
        digest.update("\x1f".join(np.asarray(column).astype(str).tolist()).encode())
        digest.update(b"\x1e")
    digest.update(
        np.asarray(arrays.rtt_clock_start).astype("datetime64[D]").astype(np.int64).tobytes()
    )
    digest.update(np.asarray(arrays.imd_decile).astype(np.int64).tobytes())
    return digest.hexdigest()


def _rule_set(document: Mapping[str, Any], specialty: str, where: str) -> RuleSet:
    try:
        return parse_document(document, specialty)
    except RuleDocumentInvalid as exc:
        shown = "; ".join(f"{p.path}: {p.message}" for p in exc.problems[:3])
        message = f"{where}: the rule document is invalid ({len(exc.problems)} problem(s)): {shown}"
        raise InvalidSimulation(message, exc.problems) from exc


def substituted(in_force: RuleBook, rule_set: RuleSet, where: str) -> RuleBook:
    """The rules in force with ``rule_set`` in place of its specialty's (or the default)."""
    try:
        if rule_set.rule_set_id == DEFAULT_SPECIALTY:
            return RuleBook(default=rule_set, specialties=in_force.specialties)
        return in_force.with_specialty(rule_set)
    except ValueError as exc:
        raise InvalidSimulation(f"{where}: does not fit the rules in force: {exc}") from exc


def _candidate_book(
    session: Session, in_force: RuleBook, candidate: Candidate
) -> tuple[RuleBook, str]:
    where = f"rule_sets.{candidate.name}"
    if (candidate.version_id is None) == (candidate.document is None):
        raise InvalidSimulation(f"{where}: give exactly one of draft_id or document")
    if candidate.version_id is not None:
        row = session.get(RuleSetVersion, candidate.version_id)
        if row is None:
            raise RuleVersionNotFound(f"rule set version {candidate.version_id} not found")
        rule_set = _rule_set(row.document, row.specialty, where)
        source = f"{row.status} version {row.version} of rule set {row.specialty} (id {row.id})"
    else:
        assert candidate.document is not None
        specialty = str(candidate.document.get("rule_set_id", ""))
        rule_set = _rule_set(candidate.document, specialty, where)
        source = f"posted document for rule set {specialty} (version {rule_set.version})"
    return substituted(in_force, rule_set, where), f"{source}, with the other rules in force"


def _names(candidates: Sequence[Candidate]) -> None:
    seen: set[str] = set()
    for candidate in candidates:
        if candidate.name in RESERVED_NAMES or candidate.name in seen:
            raise InvalidSimulation(
                f"rule set name {candidate.name!r} is reserved or repeated; "
                f"{', '.join(RESERVED_NAMES)} are always included"
            )
        seen.add(candidate.name)


def run(
    session: Session,
    arrays: PtlArrays,
    request: SimulationRequest,
    books: dict[str, RuleBook],
    sources: dict[str, str],
) -> SimulationRun:
    """Simulate ``books`` (the first is the reference) on ``arrays`` as ``request`` asks."""
    stops = clock_stops(session, request.provider_code, request.census_date, request.specialties)
    # Lists that emptied (or that the caller's rules do not score) have closures but nothing
    # left to book: only the lists on the simulated PTL take a capacity.
    on_list = set(list_codes(arrays)[1])
    rates = {key: rate for key, rate in stops.rates.items() if key in on_list}
    capacity, from_stops = with_clock_stops(request.provider_code, request.capacity, rates)
    offers = request.offers or estimate_from_list(arrays)
    if request.use_risk_model:
        scores = model_scores(
            session, arrays, request.provider_code, request.census_date, request.lead_days
        )
        probabilities, risk_record = scores.probabilities, scores.record
    else:
        probabilities = None
        risk_record = {"used": False, "model_id": None, "reason": "not asked for"}
    try:
        result = simulate(
            arrays,
            books,
            census_date=request.census_date,
            weeks=request.weeks,
            capacity=capacity,
            referrals_per_week=core_keys(request.provider_code, request.referrals_per_week),
            band_shares=stops.by_priority,
            offers=offers,
            seed=request.seed,
            last_chance=request.last_chance,
            failure_probability=probabilities,
            support=request.support,
        )
    except ValueError as exc:
        raise InvalidSimulation(f"cannot simulate this list: {exc}") from exc
    lists = [
        replace(plan, capacity_source=CLOCK_STOPS) if plan.list_key in from_stops else plan
        for plan in result.lists
    ]
    notes = []
    if from_stops:
        notes.append(f"capacity of {len(from_stops)} list(s) estimated from recent clock stops")
    if risk_record["used"]:
        notes.append(
            f"deferral chances are risk model {risk_record['model_id']}'s predictions for each "
            "pathway (referrals copy those of the pathway they are drawn from)"
        )
    all_sources = {CONVENTIONAL: "priority, then longest wait (no equity factors)", **sources}
    if request.support is not None:
        helped = (
            f"with support for the {request.support.per_week} patients a week most at risk "
            f"of a failed offer (deferral chance cut by {request.support.effect:.0%})"
        )
        all_sources |= {supported_name(n): f"{s}, {helped}" for n, s in list(all_sources.items())}
    return SimulationRun(
        provider_code=request.provider_code,
        specialties=list(request.specialties) if request.specialties is not None else None,
        generated_at=utcnow(),
        sources=all_sources,
        result=replace(result, lists=lists),
        notes=notes,
        rule_versions=dict(rules_in_force(session, utcnow()).versions),
        extract_checksum=extract_checksum(arrays),
        candidate_versions={
            c.name: c.version_id for c in request.candidates if c.version_id is not None
        },
        breakdowns=group_breakdowns(session, arrays, request.provider_code, request.census_date),
        risk_model=risk_record,
    )


def _open_list(
    session: Session, provider_code: str, specialties: Sequence[str] | None, imd_edition: str
) -> PtlArrays:
    arrays = load_open_ptl(
        session, provider_code, specialties=specialties, imd_edition=imd_edition, pathway_order=True
    ).arrays
    if not len(arrays):
        within = f" in specialties {', '.join(specialties)}" if specialties else ""
        raise NoOpenList(f"provider {provider_code} has no open PTL entries{within}")
    return arrays


def run_simulation(
    session: Session, request: SimulationRequest, *, imd_edition: str
) -> SimulationRun:
    """Simulate the rules in force, the conventional order and every candidate."""
    _names(request.candidates)
    in_force = rules_in_force(session, utcnow()).rulebook
    books = {IN_FORCE: in_force}
    sources = {IN_FORCE: "the rules in force now"}
    for candidate in request.candidates:
        books[candidate.name], sources[candidate.name] = _candidate_book(
            session, in_force, candidate
        )
    arrays = _open_list(session, request.provider_code, request.specialties, imd_edition)
    return run(session, arrays, request, books, sources)


DRAFT = "draft"


def simulate_draft_impact(
    session: Session,
    *,
    provider: str,
    specialty: str,
    draft_document: Mapping[str, Any],
    weeks: int = 52,
    seed: int = DEFAULT_SEED,
    imd_edition: str,
    census_date: date | None = None,
) -> dict[str, Any]:
    """The impact of publishing ``draft_document`` for ``specialty``, for the rule preview.

    Simulates the lists the draft would score (that specialty; for ``default``, every
    specialty without rules of its own) under the rules in force (``in_force``), with the
    draft substituted (``draft``) and in the conventional order. Returns the JSON-ready result
    (the shape of ``POST /api/v1/simulations``). Raises SimulationError subclasses.
    """
    return simulate_draft_run(
        session,
        provider=provider,
        specialty=specialty,
        draft_document=draft_document,
        weeks=weeks,
        seed=seed,
        imd_edition=imd_edition,
        census_date=census_date,
    ).to_dict()


def simulate_draft_run(
    session: Session,
    *,
    provider: str,
    specialty: str,
    draft_document: Mapping[str, Any],
    weeks: int = 52,
    seed: int = DEFAULT_SEED,
    imd_edition: str,
    census_date: date | None = None,
    draft_id: int | None = None,
) -> SimulationRun:
    """As :func:`simulate_draft_impact`, the run itself: its ``result.treated_gaps["draft"]``
    is the gap the preview predicts; ``draft_id`` names the stored draft simulated."""
    in_force = rules_in_force(session, utcnow()).rulebook
    rule_set = _rule_set(draft_document, specialty, "draft")
    books = {IN_FORCE: in_force, DRAFT: substituted(in_force, rule_set, "draft")}
    specialties = None if specialty == DEFAULT_SPECIALTY else [specialty]
    arrays = _open_list(session, provider, specialties, imd_edition)
    if specialty == DEFAULT_SPECIALTY:
        own = list(in_force.specialties)
        arrays = arrays.take(np.flatnonzero(~np.isin(arrays.treatment_function_code, own)))
        if not len(arrays):
            raise NoOpenList(f"provider {provider} has no open entries scored by the default")
    request = SimulationRequest(
        provider_code=provider,
        census_date=census_date or date.today(),
        specialties=specialties,
        weeks=weeks,
        seed=seed,
        candidates=[Candidate(DRAFT, version_id=draft_id)] if draft_id is not None else (),
    )
    sources = {IN_FORCE: "the rules in force now", DRAFT: f"the draft for {specialty}"}
    return run(session, arrays, request, books, sources)
