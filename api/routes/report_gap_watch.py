"""Watching the effect after publication: where a specialty's measured gap at treatment
parts from the gap its rules' preview or calibration predicted (docs/calibration.md).

Any authenticated role may read it, as the equity reports. The trend itself carries the same
figures per week (``GET /reports/equity/trend``, api/routes/reports.py).
"""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Response

from api.capacity import HEAVY, HEAVY_RESPONSES
from api.deps import AnyReader, SessionDep, SettingsDep
from api.errors import responses
from api.routes.reports import IMAGE_RESPONSES, ProviderQuery, image_response, require_provider
from api.schemas.reports import DivergenceReportOut
from app.reports.charts import ChartFormat, gap_at_treatment_chart
from app.reports.gap_watch import DIVERGENT_WEEKS_TO_FLAG, divergence, observed_and_predicted

router = APIRouter(
    prefix="/reports",
    tags=["reports"],
    dependencies=HEAVY,
    responses={**responses(401, 403, 404), **HEAVY_RESPONSES},
)


@router.get(
    "/equity/divergence",
    response_model=DivergenceReportOut,
    summary="Specialties whose measured gap at treatment parts from the predicted one",
)
def get_gap_divergence(
    _: AnyReader, session: SessionDep, settings: SettingsDep, provider: ProviderQuery
) -> DivergenceReportOut:
    """For every specialty scored by a published rule version that came with a preview or a
    calibration: how many weekly snapshots running, up to the latest, its measured Q1-Q5 gap
    in mean wait at treatment (pooled since the version took effect) differed from the
    predicted one by more than the tolerance and beyond sampling noise. Four weeks running
    flag the specialty for review; a week without a snapshot ends a run
    (docs/calibration.md, "Watching the effect after publication")."""
    code = provider.upper()
    require_provider(session, code)
    tolerance = settings.gap_divergence_tolerance_weeks
    weeks = observed_and_predicted(session, code, tolerance_weeks=tolerance)
    rows = divergence(weeks)
    return DivergenceReportOut.model_validate(
        {
            "provider_code": code,
            "latest_week": weeks[-1].week if weeks else None,
            "tolerance_weeks": tolerance,
            "weeks_to_flag": DIVERGENT_WEEKS_TO_FLAG,
            "flagged": [r.specialty for r in rows if r.flagged],
            "specialties": [asdict(r) for r in rows],
        }
    )


@router.get(
    "/equity/charts/gap-at-treatment.{fmt}",
    summary="Chart: measured beside predicted gap at treatment per specialty (PNG or SVG)",
    response_class=Response,
    responses={**responses(422), **IMAGE_RESPONSES},
)
def get_gap_at_treatment_chart(
    fmt: ChartFormat,
    _: AnyReader,
    session: SessionDep,
    settings: SettingsDep,
    provider: ProviderQuery,
) -> Response:
    """Per specialty whose rules in force came with a preview or calibration (up to six):
    the measured Q1-Q5 gap in mean wait at treatment since the version took effect, the
    predicted one, each week's own measured gap, and the divergent weeks."""
    code = provider.upper()
    require_provider(session, code)
    weeks = observed_and_predicted(
        session, code, tolerance_weeks=settings.gap_divergence_tolerance_weeks
    )
    return image_response(gap_at_treatment_chart(code, weeks, fmt), fmt)
