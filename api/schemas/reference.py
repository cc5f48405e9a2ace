"""Schemas of the reference lists."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class _FromRow(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class TreatmentFunctionOut(_FromRow):
    code: str
    name: str


class EthnicCategoryOut(_FromRow):
    code: str
    description: str
    broad_group: str
    is_known: bool


class PriorityCodeOut(_FromRow):
    code: str
    description: str
    target_days: int | None
    sort_order: int
    parked: bool


class InclusionGroupOut(_FromRow):
    code: str
    name: str
    category: str


class ClinicalAreaOut(_FromRow):
    code: str
    name: str
    population: str


class ImdEditionOut(_FromRow):
    code: str
    description: str
    lsoa_vintage: str
    lsoa_count: int
    loaded_at: datetime
