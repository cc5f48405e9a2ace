"""Calibrate a specialty's uplifts to its list's deprivation gap (plain functions, no commits
outside the job).

Why a job: a search simulates the provider's list for every multiplier over several seeds,
which takes longer than a request should. The request stores what was asked and queues the
job in one transaction; the job searches (``prioritisation.calibration``), then in one
transaction stores the frontier, creates a draft holding the chosen weights and writes the
``rules.calibrated`` audit event. It never publishes: the clinician previews and publishes
the draft through the normal workflow (docs/calibration.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Final

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit import AuditKind, record_event
from app.errors import NotFound, ServiceError
from app.jobs import JobContext, enqueue, task
from app.ptl_arrays import load_open_ptl
from app.rules.errors import InvalidRequest
from app.rules.in_force import rules_in_force
from app.rules.predictions import store_prediction
from app.rules.service import create_draft, ensure_specialty, specialty_from_default
from app.rules.validation import parse_document
from app.simulations.capacity import clock_stops, core_keys, with_clock_stops
from models import PtlEntry
from models.base import utcnow
from models.calibrations import (
    CALIBRATION_CHOSEN,
    CALIBRATION_FAILED,
    CALIBRATION_QUEUED,
    CALIBRATION_UNREACHABLE,
    RuleSetCalibration,
)
from models.rules import DEFAULT_SPECIALTY, RuleSetVersion
from prioritisation import PtlArrays, RuleBook, RuleSet, load_default_rule_set
from prioritisation.calibration import (
    SCALABLE_FACTORS,
    CalibrationLimits,
    ScaleProblem,
    calibrate,
    check_factors,
)
from prioritisation.simulation import DEFAULT_SEED, list_codes
from prioritisation.simulation.offers import estimate_from_list
from prioritisation.simulation.plan import Rates

CALIBRATE_TASK: Final = "rules.calibrate"
SUBJECT_TYPE: Final = "rule_set_calibration"
MAX_SEEDS: Final = 10
MAX_WEEKS: Final = 104


@dataclass(frozen=True, slots=True)
class CalibrationRequest:
    """What a clinician asks for. ``factors`` None: every factor enabled in force (of
    deprivation, inclusion, Core20; ethnicity only when asked for and approved)."""

    provider_code: str
    census_date: date
    target_share: float = 0.9
    weeks: int = 26
    seeds: int = 3
    factors: list[str] | None = None
    limits: CalibrationLimits = field(default_factory=CalibrationLimits)
    capacity: Rates | None = None
    """Keyed ``110`` or ``110/admitted`` (default: recent clock stops)."""
    referrals_per_week: Rates | None = None


class CalibrationNotFound(NotFound):
    """No calibration of that id for that specialty."""


@dataclass(frozen=True, slots=True)
class _Start:
    rules: RuleBook
    rule_set: RuleSet
    version_id: int | None
    limits_from: RuleSet


def _start(session: Session, specialty: str) -> _Start:
    """The rule set in force for ``specialty`` (the default adapted to it when it has none)
    and the document whose numbers and bounds limit it."""
    in_force = rules_in_force(session, utcnow())
    if specialty == DEFAULT_SPECIALTY:
        return _Start(in_force.rulebook, in_force.rulebook.default,
                      in_force.versions[DEFAULT_SPECIALTY], load_default_rule_set())  # fmt: skip
    if specialty in in_force.rulebook.specialties:
        rule_set, version_id = (
            in_force.rulebook.specialties[specialty],
            in_force.versions[specialty],
        )
    else:
        document = specialty_from_default(in_force.documents[DEFAULT_SPECIALTY], specialty)
        rule_set = parse_document(document, specialty)
        version_id = in_force.versions[DEFAULT_SPECIALTY]
    return _Start(in_force.rulebook, rule_set, version_id, in_force.rulebook.default)


def _factors(rule_set: RuleSet, asked: list[str] | None) -> list[str]:
    if asked is None:
        chosen = [f for f in SCALABLE_FACTORS if f != "ethnicity" and getattr(rule_set, f).enabled]
    else:
        chosen = sorted(set(asked))
    try:
        check_factors(rule_set, chosen)
    except ScaleProblem as exc:
        raise InvalidRequest(f"factors.{exc.factor}: {exc.message}") from exc
    if not chosen:
        raise InvalidRequest("factors: no factor is enabled in the rules in force to scale")
    return chosen


def _open_entries(session: Session, provider: str, specialty: str) -> int:
    query = select(func.count()).where(PtlEntry.provider_code == provider, PtlEntry.is_open)
    if specialty != DEFAULT_SPECIALTY:
        query = query.where(PtlEntry.treatment_function_code == specialty)
    return int(session.scalar(query) or 0)


def request_calibration(
    session: Session, specialty: str, request: CalibrationRequest, *, actor: str
) -> RuleSetCalibration:
    """Check the request, store it and queue its job (in the caller's transaction)."""
    ensure_specialty(session, specialty)
    if not 0 < request.target_share <= 1:
        raise InvalidRequest("target_share: must be above 0 and at most 1")
    if not 1 <= request.weeks <= MAX_WEEKS:
        raise InvalidRequest(f"weeks: must be from 1 to {MAX_WEEKS}")
    if not 1 <= request.seeds <= MAX_SEEDS:
        raise InvalidRequest(f"seeds: must be from 1 to {MAX_SEEDS}")
    start = _start(session, specialty)
    factors = _factors(start.rule_set, request.factors)
    if not _open_entries(session, request.provider_code, specialty):
        within = "" if specialty == DEFAULT_SPECIALTY else f" in specialty {specialty}"
        raise InvalidRequest(f"provider {request.provider_code} has no open PTL entries{within}")
    inputs = {
        "target_share": request.target_share,
        "weeks": request.weeks,
        "seeds": [DEFAULT_SEED + i for i in range(request.seeds)],
        "factors": factors,
        "limits": asdict(request.limits),
        "census_date": request.census_date.isoformat(),
        "capacity": _plain_rates(request.capacity),
        "referrals_per_week": _plain_rates(request.referrals_per_week),
    }
    row = RuleSetCalibration(
        specialty=specialty,
        provider_code=request.provider_code,
        status=CALIBRATION_QUEUED,
        inputs=inputs,
        started_from_version_id=start.version_id,
        requested_by=str(actor),
        requested_at=utcnow(),
    )
    session.add(row)
    session.flush()
    row.job_id = enqueue(
        session, CALIBRATE_TASK, {"calibration_id": row.id}, actor=str(actor),
        reason="calibration",
    )  # fmt: skip
    session.flush()
    return row


def _plain_rates(rates: Rates | None) -> dict[str, Any] | None:
    if rates is None:
        return None
    return {k: dict(v) if isinstance(v, Mapping) else float(v) for k, v in rates.items()}


def get_calibration(session: Session, specialty: str, calibration_id: int) -> RuleSetCalibration:
    row = session.get(RuleSetCalibration, calibration_id)
    if row is None or row.specialty != specialty:
        raise CalibrationNotFound(
            f"calibration {calibration_id} of rule set {specialty!r} not found"
        )
    return row


def list_calibrations(
    session: Session, specialty: str, *, limit: int, before_id: int | None = None
) -> list[RuleSetCalibration]:
    """Up to ``limit`` calibrations of ``specialty``, newest first, older than ``before_id``."""
    ensure_specialty(session, specialty)
    query = select(RuleSetCalibration).where(RuleSetCalibration.specialty == specialty)
    if before_id is not None:
        query = query.where(RuleSetCalibration.id < before_id)
    return list(session.scalars(query.order_by(RuleSetCalibration.id.desc()).limit(limit)))


def _list(session: Session, row: RuleSetCalibration, imd_edition: str) -> PtlArrays:
    specialties = None if row.specialty == DEFAULT_SPECIALTY else [row.specialty]
    arrays = load_open_ptl(
        session,
        row.provider_code,
        specialties=specialties,
        imd_edition=imd_edition,
        pathway_order=True,
    ).arrays
    if row.specialty == DEFAULT_SPECIALTY:
        own = list(rules_in_force(session, utcnow()).rulebook.specialties)
        arrays = arrays.take(np.flatnonzero(~np.isin(arrays.treatment_function_code, own)))
    if not len(arrays):
        raise InvalidRequest(f"provider {row.provider_code} has no open entries to calibrate on")
    return arrays


def _draft_document(
    rule_set: RuleSet, row: RuleSetCalibration, multiplier: float
) -> dict[str, Any]:
    document = rule_set.model_dump(mode="json")
    document["version"] = f"{rule_set.version} x{multiplier:g} (calibration {row.id})"[:64]
    return document


@task(CALIBRATE_TASK)
def run_calibration(context: JobContext, args: dict[str, Any]) -> dict[str, Any]:
    """Search, then store the frontier, the draft and the audit event in one transaction."""
    calibration_id = int(args["calibration_id"])
    try:
        with context.session() as session:
            row = session.get(RuleSetCalibration, calibration_id)
            if row is None:
                raise CalibrationNotFound(f"calibration {calibration_id} not found")
            inputs = dict(row.inputs)
            start = _start(session, row.specialty)
            arrays = _list(session, row, context.settings.imd_edition)
            census = date.fromisoformat(inputs["census_date"])
            own = None if row.specialty == DEFAULT_SPECIALTY else [row.specialty]
            stops = clock_stops(session, row.provider_code, census, own)
            on_list = set(list_codes(arrays)[1])
            rates = {k: v for k, v in stops.rates.items() if k in on_list}
            capacity, _ = with_clock_stops(row.provider_code, inputs.get("capacity"), rates)
            referrals = core_keys(row.provider_code, inputs.get("referrals_per_week"))
        # The default document declares the bounds (its own are checked against the shipped).
        bounds = start.limits_from.bounds or load_default_rule_set().bounds
        if bounds is None:
            raise InvalidRequest("the default rule set declares no bounds to calibrate within")
        result = calibrate(
            arrays, start.rules, start.rule_set, limits_from=start.limits_from,
            bounds=bounds, census_date=census, factors=inputs["factors"],
            target_share=float(inputs["target_share"]), weeks=int(inputs["weeks"]),
            seeds=[int(s) for s in inputs["seeds"]], limits=CalibrationLimits(**inputs["limits"]),
            capacity=capacity, referrals_per_week=referrals, band_shares=stops.by_priority,
            offers=estimate_from_list(arrays),
            progress=lambda step, done, total: context.progress(step, done, total),
        )  # fmt: skip
    except (ServiceError, ValueError) as exc:
        _fail(context, calibration_id, str(exc))
        raise
    with context.session() as session, session.begin():
        row = session.get(RuleSetCalibration, calibration_id)
        assert row is not None
        body = result.to_dict()
        draft_id: int | None = None
        prediction_id: int | None = None
        if result.chosen_rule_set is not None and result.chosen_multiplier is not None:
            document = _draft_document(result.chosen_rule_set, row, result.chosen_multiplier)
            draft = create_draft(session, row.specialty, row.requested_by, document=document)
            draft.based_on_id = start.version_id
            draft.calibration_id = row.id
            draft_id = draft.id
            if result.chosen_treated_gaps is not None:
                prediction_id = store_prediction(
                    session, draft, result.chosen_treated_gaps, provider_code=row.provider_code,
                    census_date=census, weeks=result.weeks, actor=row.requested_by,
                    calibration_id=row.id, seeds=len(result.seeds),
                ).id  # fmt: skip
        row.started_from_version_id = start.version_id  # in force when the search ran
        row.status = CALIBRATION_CHOSEN if draft_id is not None else CALIBRATION_UNREACHABLE
        row.result = body
        row.chosen_multiplier = result.chosen_multiplier
        row.draft_id = draft_id
        row.completed_at = utcnow()
        record_event(
            session,
            row.requested_by,
            AuditKind.RULES_CALIBRATED,
            details={
                "calibration_id": row.id,
                "specialty": row.specialty,
                "provider_code": row.provider_code,
                "inputs": inputs,
                "started_from_version_id": row.started_from_version_id,
                "frontier": body["frontier"],
                "chosen_multiplier": result.chosen_multiplier,
                "unreachable": body["unreachable"],
                "draft_id": draft_id,
                "prediction_id": prediction_id,
            },
            provider_code=row.provider_code,
            treatment_function_code=None if row.specialty == DEFAULT_SPECIALTY else row.specialty,
            subject_type=SUBJECT_TYPE,
            subject_id=row.id,
        )
    return {"calibration_id": calibration_id, "status": row.status, "draft_id": draft_id}


def _fail(context: JobContext, calibration_id: int, message: str) -> None:
    with context.session() as session, session.begin():
        row = session.get(RuleSetCalibration, calibration_id)
        if row is not None:
            row.status = CALIBRATION_FAILED
            row.error = message[:4000]
            row.completed_at = utcnow()


def calibration_behind(session: Session, version_ids: Iterable[int]) -> dict[str, Any] | None:
    """The calibration one of ``version_ids`` came from (``{"id", "result"}``), if any: an
    impact assessment of a calibrated draft shows its frontier."""
    for version_id in version_ids:
        version = session.get(RuleSetVersion, version_id)
        if version is None or version.calibration_id is None:
            continue
        row = session.get(RuleSetCalibration, version.calibration_id)
        if row is not None and row.result is not None:
            return {"id": row.id, "result": row.result}
    return None
