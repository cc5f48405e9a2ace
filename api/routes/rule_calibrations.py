"""Rule calibrations: size a specialty's uplifts to its list's gap, as a background job."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Response, status

from api.deps import AnyReader, SessionDep
from api.errors import responses
from api.pagination import CursorQuery, Cursors, LimitQuery, Page
from api.routes.rules_shared import REJECTED, Specialty
from api.routes.rules_shared import RulesEditor as Editor
from api.schemas.calibrations import CalibrationCreate, CalibrationOut
from api.schemas.common import RowIdPath
from app.rules.calibration import (
    CalibrationRequest,
    get_calibration,
    list_calibrations,
    request_calibration,
)
from prioritisation.calibration import CalibrationLimits

router = APIRouter(prefix="/rules", tags=["rules"])


@router.post(
    "/{specialty}/calibrations",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=CalibrationOut,
    summary="Calibrate the specialty's uplifts to a provider's gap (background job)",
    responses={**responses(400, 401, 403, 404), **REJECTED},
)
def create_calibration(
    specialty: Specialty,
    body: CalibrationCreate,
    principal: Editor,
    session: SessionDep,
    response: Response,
) -> CalibrationOut:
    """Searches one multiplier on the specialty's uplifts and caps, within the rule bounds,
    by simulating the provider's list from the rules in force (docs/calibration.md). Answers
    202 with the calibration (`Location`) and its job; when the job is done the calibration
    holds the frontier and either a new draft with the chosen weights or why none qualifies.
    Never publishes."""
    row = request_calibration(
        session,
        specialty,
        CalibrationRequest(
            provider_code=body.provider.upper(),
            census_date=body.census_date or date.today(),
            target_share=body.target_share,
            weeks=body.weeks,
            seeds=body.seeds,
            factors=list(body.factors) if body.factors is not None else None,
            limits=CalibrationLimits(**body.limits.model_dump()),
            capacity=body.capacity,
            referrals_per_week=body.referrals_per_week,
        ),
        actor=principal.actor,
    )
    response.headers["Location"] = f"/api/v1/rules/{specialty}/calibrations/{row.id}"
    return CalibrationOut.model_validate(row)


@router.get(
    "/{specialty}/calibrations",
    response_model=Page[CalibrationOut],
    summary="The specialty's calibrations, newest first",
    responses=responses(400, 401, 403, 404, 422),
)
def read_calibrations(
    specialty: Specialty,
    _: AnyReader,
    session: SessionDep,
    cursors: Cursors,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Page[CalibrationOut]:
    """Every calibration asked for the specialty (any provider, any state), newest first,
    each as `GET …/calibrations/{id}` answers it."""
    before = cursors.decode(cursor, int)
    rows = list_calibrations(session, specialty, limit=limit + 1, before_id=before)
    return cursors.page_of(rows, limit, lambda row: row.id, CalibrationOut.model_validate)


@router.get(
    "/{specialty}/calibrations/{calibration_id}",
    response_model=CalibrationOut,
    summary="One calibration: its state, frontier, choice and draft",
    responses=responses(400, 401, 403, 404, 422),
)
def read_calibration(
    specialty: Specialty, calibration_id: RowIdPath, _: AnyReader, session: SessionDep
) -> CalibrationOut:
    return CalibrationOut.model_validate(get_calibration(session, specialty, calibration_id))
