"""Risk models: train (a background job), list, read, activate and retire (administrators)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from sqlalchemy import select

from api.deps import SessionDep, require_roles
from api.errors import responses
from api.schemas.common import RowIdPath
from api.schemas.risk_models import RISK_MODEL_EXAMPLE, ReasonIn, RiskModelOut, TrainingIn
from app.risk.model import EthnicityGovernance
from app.risk.service import activate, get_model, request_training, retire
from app.security import Principal, Role
from models import RiskModel

router = APIRouter(prefix="/risk-models", tags=["risk-models"])

Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
Reader = Annotated[
    Principal, Depends(require_roles(Role.ADMIN, Role.EQUITY_LEAD, Role.AUDITOR, Role.CLINICIAN))
]


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RiskModelOut,
    summary="Train a new risk model (background job)",
    responses=responses(401, 403, 422),
)
def train_risk_model(
    body: TrainingIn, principal: Admin, session: SessionDep, response: Response
) -> RiskModelOut:
    """Queue training on the stored offer history; follow `job_id` at `/api/v1/jobs/{id}`.

    The model is not used until an administrator activates it. Ethnicity is a feature only
    when `ethnicity` carries evidence, an approver and a review date still ahead.
    """
    governance = (
        EthnicityGovernance(**body.ethnicity.model_dump()) if body.ethnicity is not None else None
    )
    model = request_training(
        session,
        actor=principal.actor,
        provider_code=body.provider_code,
        threshold=body.threshold,
        ethnicity=governance,
    )
    session.commit()
    response.headers["Location"] = f"/api/v1/risk-models/{model.id}"
    return RiskModelOut.model_validate(model)


@router.get(
    "",
    response_model=list[RiskModelOut],
    summary="Every risk model, newest first",
    responses={
        200: {
            "description": "The latest 200 models, newest first",
            "content": {"application/json": {"example": [RISK_MODEL_EXAMPLE]}},
        }
    },
)
def list_risk_models(_: Reader, session: SessionDep) -> list[RiskModelOut]:
    models = session.scalars(select(RiskModel).order_by(RiskModel.id.desc()).limit(200))
    return [RiskModelOut.model_validate(model) for model in models]


@router.get(
    "/{model_id}", response_model=RiskModelOut, summary="One risk model", responses=responses(404)
)
def read_risk_model(model_id: RowIdPath, _: Reader, session: SessionDep) -> RiskModelOut:
    return RiskModelOut.model_validate(get_model(session, model_id))


@router.post(
    "/{model_id}/activation",
    response_model=RiskModelOut,
    summary="Put a trained model in use",
    responses=responses(401, 403, 404, 409, 422),
)
def activate_risk_model(
    model_id: RowIdPath, body: ReasonIn, principal: Admin, session: SessionDep
) -> RiskModelOut:
    """The model in use, if any, is retired with a reason naming this one; both audited."""
    model = activate(session, model_id, actor=principal.actor, reason=body.reason)
    session.commit()
    return RiskModelOut.model_validate(model)


@router.post(
    "/{model_id}/retirement",
    response_model=RiskModelOut,
    summary="Take a model out of use for good",
    responses=responses(401, 403, 404, 409, 422),
)
def retire_risk_model(
    model_id: RowIdPath, body: ReasonIn, principal: Admin, session: SessionDep
) -> RiskModelOut:
    model = retire(session, model_id, actor=principal.actor, reason=body.reason)
    session.commit()
    return RiskModelOut.model_validate(model)
