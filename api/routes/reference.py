"""Reference lists the PTL is validated against (small; served whole in one page)."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import AnyReader, SessionDep
from api.errors import responses
from api.pagination import Page
from api.schemas.reference import (
    ClinicalAreaOut,
    EthnicCategoryOut,
    ImdEditionOut,
    InclusionGroupOut,
    PriorityCodeOut,
    TreatmentFunctionOut,
)
from models import (
    ClinicalArea,
    EthnicCategory,
    ImdEdition,
    InclusionGroup,
    PriorityCode,
    TreatmentFunction,
)

router = APIRouter(prefix="/reference", tags=["reference"], responses=responses(401, 403))

Out = TypeVar("Out", bound=BaseModel)


def _all(session: Session, table: Any, order: Any, schema: type[Out]) -> Page[Out]:
    rows = session.scalars(select(table).order_by(order))
    return Page(items=[schema.model_validate(row) for row in rows], next_cursor=None)


@router.get("/treatment-functions", response_model=Page[TreatmentFunctionOut])
def list_treatment_functions(_: AnyReader, session: SessionDep) -> Page[TreatmentFunctionOut]:
    return _all(session, TreatmentFunction, TreatmentFunction.code, TreatmentFunctionOut)


@router.get("/ethnic-categories", response_model=Page[EthnicCategoryOut])
def list_ethnic_categories(_: AnyReader, session: SessionDep) -> Page[EthnicCategoryOut]:
    return _all(session, EthnicCategory, EthnicCategory.code, EthnicCategoryOut)


@router.get("/priority-codes", response_model=Page[PriorityCodeOut])
def list_priority_codes(_: AnyReader, session: SessionDep) -> Page[PriorityCodeOut]:
    return _all(session, PriorityCode, PriorityCode.sort_order, PriorityCodeOut)


@router.get("/inclusion-groups", response_model=Page[InclusionGroupOut])
def list_inclusion_groups(_: AnyReader, session: SessionDep) -> Page[InclusionGroupOut]:
    return _all(session, InclusionGroup, InclusionGroup.code, InclusionGroupOut)


@router.get("/clinical-areas", response_model=Page[ClinicalAreaOut])
def list_clinical_areas(_: AnyReader, session: SessionDep) -> Page[ClinicalAreaOut]:
    return _all(session, ClinicalArea, ClinicalArea.code, ClinicalAreaOut)


@router.get("/imd-editions", response_model=Page[ImdEditionOut])
def list_imd_editions(_: AnyReader, session: SessionDep) -> Page[ImdEditionOut]:
    return _all(session, ImdEdition, ImdEdition.code, ImdEditionOut)
