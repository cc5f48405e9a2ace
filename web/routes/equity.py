"""The equity dashboard: the gap by IMD quintile, ethnic and inclusion group per specialty,
the weekly trend, data quality with the pathways to fix, and the impact simulation with its
downloadable assessment. NHS numbers stay masked for every role that does not book patients.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api.deps import SessionDep, SettingsDep
from app.privacy import nhs_number_for
from app.reports import (
    ProviderNotFound,
    PtlFilters,
    build_equity_report,
    build_quality_report,
    list_snapshots,
    load_ptl_columns,
)
from app.reports.charts import gap_at_treatment_chart, gap_trend_chart
from app.reports.failures import failure_rates
from app.reports.fixes import FIXABLE, pathways_to_fix
from app.reports.gap_watch import DIVERGENT_WEEKS_TO_FLAG, divergence, observed_and_predicted
from app.rules.calibration import calibration_behind
from app.simulations import DRAFT, Candidate, SimulationError, SimulationRequest, run_simulation
from app.simulations.report import render_assessment
from app.support.rules import load_support_rules
from models.rules import DEFAULT_SPECIALTY, RuleSetVersion
from prioritisation.simulation import SupportIntervention
from web.auth import PageError, form_user_with, require
from web.charts import simulation_view
from web.lookups import providers, specialties
from web.navigation import EQUITY_READERS, SIMULATORS
from web.sessions import SignedIn
from web.templating import render, sentence

router = APIRouter()
Reader = Annotated[SignedIn, Depends(require(*EQUITY_READERS))]
Simulator = Annotated[SignedIn, Depends(form_user_with(*SIMULATORS))]
FIXES_SHOWN = 10
FIXES_PAGE = 50


def _provider(session: Session, provider: str) -> str:
    known = providers(session)
    code = provider.strip().upper() or (known[0] if known else "")
    if not code:
        raise PageError(404, "No waiting list yet", "No provider has uploaded a PTL yet.")
    if not re.fullmatch(r"[A-Z0-9]{3,5}", code):
        raise PageError(
            400, "Provider not recognised", "A provider is a 3 to 5 character ODS code."
        )
    return code


def _specialty(value: str) -> str | None:
    value = value.strip()
    if value and not re.fullmatch(r"\d{3}", value):
        raise PageError(
            400, "Specialty not recognised", "A specialty is a 3-digit treatment function code."
        )
    return value or None


def _gap_watch(session: Session, code: str, tolerance: float) -> dict[str, Any]:
    """The latest snapshot's measured and predicted gaps, and the divergence runs."""
    weeks = observed_and_predicted(session, code, tolerance_weeks=tolerance)
    rows = divergence(weeks)
    latest = {r.specialty: r for r in weeks[-1].specialties} if weeks else {}
    return {
        "rows": rows,
        "latest": latest,
        "latest_week": weeks[-1].week if weeks else None,
        "flagged": [r.specialty for r in rows if r.flagged],
        "tolerance_weeks": tolerance,
        "weeks_to_flag": DIVERGENT_WEEKS_TO_FLAG,
    }


@router.get("/equity", name="equity")
def dashboard(
    request: Request,
    user: Reader,
    session: SessionDep,
    settings: SettingsDep,
    provider: str = "",
    specialty: str = "",
) -> Response:
    code = _provider(session, provider)
    chosen = _specialty(specialty)
    census = date.today()
    filters = PtlFilters(specialty=chosen)
    try:
        columns = load_ptl_columns(session, code, filters)  # once, for both reports
        report = build_equity_report(session, code, census, filters, columns=columns.equity())
        quality = build_quality_report(session, code, census, columns=columns)
    except ProviderNotFound as exc:
        raise PageError(404, "No open entries", sentence(str(exc))) from exc
    snapshots = list_snapshots(session, code)
    failures = failure_rates(session, code, specialty=chosen).as_json()
    watch = _gap_watch(session, code, settings.gap_divergence_tolerance_weeks)
    fixes = {
        problem: _masked(
            user,
            pathways_to_fix(session, code, problem, census, specialty=chosen, limit=FIXES_SHOWN),
        )
        for problem in FIXABLE
    }
    return render(
        request,
        "equity/dashboard.html",
        {
            "provider": code,
            "providers": providers(session),
            "specialty": chosen or "",
            "specialties": specialties(session, code),
            "report": report,
            "quality": quality,
            "trend": snapshots,
            "failures": failures,
            "fixes": fixes,
            "fixable": FIXABLE,
            "fixes_shown": FIXES_SHOWN,
            "watch": watch,
        },
    )


def _masked(user: SignedIn, rows: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "pathway_id": row.pathway_id,
            "nhs_number": nhs_number_for(user.principal, row.nhs_number),
            "specialty": row.treatment_function_code,
            "priority_code": row.priority_code,
            "priority_set_date": row.priority_set_date,
            "last_validated_date": row.last_validated_date,
            "ethnic_category": row.ethnic_category,
            "imd_decile": row.imd_decile,
        }
        for row in rows
    ]


@router.get("/equity/fix", name="equity_fix")
def fix_list(
    request: Request,
    user: Reader,
    session: SessionDep,
    problem: str,
    provider: str = "",
    specialty: str = "",
    after: str = "",
) -> Response:
    """Every open pathway with one data-quality problem, 50 a page."""
    if problem not in FIXABLE:
        raise PageError(404, "Unknown problem", f"Choose one of: {', '.join(FIXABLE.values())}.")
    code = _provider(session, provider)
    chosen = _specialty(specialty)
    rows = pathways_to_fix(
        session,
        code,
        problem,
        date.today(),
        specialty=chosen,
        limit=FIXES_PAGE + 1,
        after=after or None,
    )
    more = len(rows) > FIXES_PAGE
    rows = rows[:FIXES_PAGE]
    return render(
        request,
        "equity/fix.html",
        {
            "provider": code,
            "specialty": chosen or "",
            "problem": problem,
            "title": FIXABLE[problem],
            "rows": _masked(user, rows),
            "next_after": rows[-1].pathway_id if more and rows else None,
        },
    )


@router.get("/equity/charts/gap-trend.png", name="equity_trend_chart")
def trend_chart(user: Reader, session: SessionDep, provider: str = "") -> Response:
    code = _provider(session, provider)
    return Response(
        gap_trend_chart(code, list_snapshots(session, code), "png"), media_type="image/png"
    )


def _draft_candidate(session: Session, specialty: str, draft_id: str) -> list[Candidate]:
    """The stored draft to simulate beside the rules in force (none when not given)."""
    if not draft_id.strip():
        return []
    row = session.get(RuleSetVersion, int(draft_id)) if draft_id.strip().isdigit() else None
    if row is None or row.specialty != (specialty.strip() or DEFAULT_SPECIALTY):
        raise PageError(404, "Draft not found", "The draft to assess is not one of this rule set.")
    return [Candidate(DRAFT, version_id=row.id)]


@router.get("/equity/charts/gap-at-treatment.png", name="equity_gap_watch_chart")
def gap_watch_chart(
    user: Reader, session: SessionDep, settings: SettingsDep, provider: str = ""
) -> Response:
    code = _provider(session, provider)
    weeks = observed_and_predicted(
        session, code, tolerance_weeks=settings.gap_divergence_tolerance_weeks
    )
    return Response(gap_at_treatment_chart(code, weeks, "png"), media_type="image/png")


def _simulate(
    session: Session,
    provider: str,
    specialty: str,
    weeks: str,
    settings: Any,
    draft_id: str = "",
) -> Any:
    code = _provider(session, provider)
    chosen = _specialty(specialty) if specialty.strip() != DEFAULT_SPECIALTY else None
    candidates = _draft_candidate(session, specialty, draft_id)
    try:
        horizon = max(1, min(104, int(weeks or "52")))
    except ValueError as exc:
        raise PageError(
            422, "Enter the weeks to simulate", "Weeks is a whole number from 1 to 104."
        ) from exc
    request = SimulationRequest(
        provider_code=code,
        census_date=date.today(),
        specialties=[chosen] if chosen else None,
        weeks=horizon,
        support=SupportIntervention(),
        lead_days=load_support_rules(settings.support_rules_file).lead_days,
        candidates=candidates,
    )
    try:
        return run_simulation(session, request, imd_edition=settings.imd_edition)
    except SimulationError as exc:
        raise PageError(422, "The simulation could not run", sentence(str(exc))) from exc


@router.post("/equity/simulation", name="equity_simulation")
def simulation(
    request: Request,
    user: Simulator,
    session: SessionDep,
    settings: SettingsDep,
    provider: Annotated[str, Form()] = "",
    specialty: Annotated[str, Form()] = "",
    weeks: Annotated[str, Form()] = "52",
) -> Response:
    """The rules in force against the conventional order, week by week (nothing is stored)."""
    run = _simulate(session, provider, specialty, weeks, settings)
    return render(
        request,
        "equity/simulation.html",
        {
            "provider": run.provider_code,
            "specialty": specialty.strip(),
            "weeks": run.result.weeks,
            "simulation": simulation_view(run.to_dict()),
        },
    )


@router.post("/equity/impact-assessment", name="equity_assessment")
def assessment(
    user: Simulator,
    session: SessionDep,
    settings: SettingsDep,
    provider: Annotated[str, Form()] = "",
    specialty: Annotated[str, Form()] = "",
    weeks: Annotated[str, Form()] = "52",
    draft_id: Annotated[str, Form()] = "",
) -> Response:
    """The equity impact assessment: one self-contained HTML document, as an attachment. With
    ``draft_id`` (from a draft's preview) the draft is assessed beside the rules in force, and
    a draft that came from a calibration carries its frontier, as the API's download does."""
    run = _simulate(session, provider, specialty, weeks, settings, draft_id)
    name = f"equity-impact-{run.provider_code}-{run.result.census_date.isoformat()}.html"
    return Response(
        render_assessment(
            run,
            generated_by=user.principal.name or user.principal.subject,
            calibration=calibration_behind(session, run.candidate_versions.values()),
        ),
        media_type="text/html; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
