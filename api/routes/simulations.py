"""Simulations resource: the equity impact of rule sets on a provider's list, as JSON or as a
downloadable equity impact assessment. Computed on request; nothing is stored.

Clinicians, auditors, equity leads and admins may simulate.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from sqlalchemy.orm import Session

from api.capacity import HEAVY, HEAVY_RESPONSES
from api.deps import SessionDep, SettingsDep, require_roles
from api.errors import responses
from api.schemas.simulations import OfferModelIn, SimulationIn, SimulationOut
from app.rules.calibration import calibration_behind
from app.security import Principal, Role
from app.settings import Settings
from app.simulations import (
    Candidate,
    InvalidSimulation,
    SimulationRequest,
    SimulationRun,
    run_simulation,
)
from app.simulations.report import render_assessment
from app.support.rules import load_support_rules
from prioritisation.simulation import OfferModel, SupportIntervention

router = APIRouter(
    prefix="/simulations", tags=["simulations"], dependencies=HEAVY, responses=HEAVY_RESPONSES
)

Simulator = Annotated[
    Principal, Depends(require_roles(Role.CLINICIAN, Role.AUDITOR, Role.EQUITY_LEAD, Role.ADMIN))
]
_ERRORS = responses(400, 401, 403, 404, 422)
_HTML: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/html": {"schema": {"type": "string"}}},
        "description": "The equity impact assessment: one self-contained HTML document",
    }
}


def _offer_model(given: OfferModelIn | None) -> OfferModel | None:
    """The posted chances over the documented defaults; None: estimate from the list."""
    if given is None:
        return None
    base = OfferModel()
    chosen = {k: v for k, v in given.model_dump().items() if v is not None}
    merged = {name: {**getattr(base, name), **chosen.get(name, {})} for name in chosen}
    try:
        return replace(base, **merged, source="supplied")
    except ValueError as exc:
        raise InvalidSimulation(f"offer_model: {exc}") from exc


def _run(session: Session, body: SimulationIn, settings: Settings) -> SimulationRun:
    census = body.census_date or date.today()
    if census > date.today():
        raise InvalidSimulation(f"census_date {census} is in the future")
    request = SimulationRequest(
        provider_code=body.provider.upper(),
        census_date=census,
        specialties=body.specialties,
        weeks=body.weeks,
        seed=body.seed,
        capacity=body.capacity,
        referrals_per_week=body.referrals_per_week,
        candidates=[Candidate(c.name, c.draft_id, c.document) for c in body.rule_sets],
        offers=_offer_model(body.offer_model),
        last_chance=body.last_chance,
        support=SupportIntervention(body.support_per_week, body.support_effect)
        if body.support_per_week
        else None,
        use_risk_model=body.risk_model,
        lead_days=load_support_rules(settings.support_rules_file).lead_days,
    )
    return run_simulation(session, request, imd_edition=settings.imd_edition)


@router.post(
    "",
    response_model=SimulationOut,
    summary="Simulate the equity impact of rule sets on a provider's list",
    responses=_ERRORS,
)
def simulate_equity_impact(
    body: SimulationIn, _: Simulator, session: SessionDep, settings: SettingsDep
) -> SimulationOut:
    """Books the provider's open list week by week under the conventional order, the rules in
    force and each candidate: each week the top of every list is treated up to its capacity,
    new referrals (copied from the list's current mix, the same for every rule set) join,
    and the list is ranked again. Reports waits at treatment by IMD quintile and ethnic group,
    the most-versus-least deprived gap, 18-week performance, long waits, priority-target
    breaches, and each group's change against the conventional order. Changes nothing.
    """
    outcome = _run(session, body, settings)
    return SimulationOut.model_validate(outcome.to_dict())


@router.post(
    "/report",
    response_class=Response,
    summary="Download the equity impact assessment (HTML)",
    responses={**_ERRORS, **_HTML},
)
def download_impact_assessment(
    body: SimulationIn, principal: Simulator, session: SessionDep, settings: SettingsDep
) -> Response:
    """The same simulation as `POST /simulations`, as one self-contained HTML document with
    tables and charts (no external assets), sent as an attachment."""
    outcome = _run(session, body, settings)
    name = f"equity-impact-{outcome.provider_code}-{outcome.result.census_date.isoformat()}.html"
    return Response(
        render_assessment(
            outcome,
            generated_by=principal.name or principal.subject,
            calibration=calibration_behind(session, outcome.candidate_versions.values()),
        ),
        media_type="text/html; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
