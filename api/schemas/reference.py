"""Schemas of the reference lists."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class _FromRow(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class TreatmentFunctionOut(_FromRow):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"code": "110", "name": "Trauma and Orthopaedic"}]},
    )

    code: str
    name: str


class EthnicCategoryOut(_FromRow):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "A",
                    "description": "White - British",
                    "broad_group": "white",
                    "is_known": True,
                }
            ]
        },
    )

    code: str
    description: str
    broad_group: str
    is_known: bool


class PriorityCodeOut(_FromRow):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "P3",
                    "description": "Surgery within 3 months",
                    "target_days": 90,
                    "sort_order": 4,
                    "parked": False,
                }
            ]
        },
    )

    code: str
    description: str
    target_days: int | None
    sort_order: int
    parked: bool


class InclusionGroupOut(_FromRow):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "autism",
                    "name": "Autistic people",
                    "category": "learning_disability_autism",
                }
            ]
        },
    )

    code: str
    name: str
    category: str


class ClinicalAreaOut(_FromRow):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "cyp_asthma",
                    "name": "Asthma (children and young people)",
                    "population": "children_young_people",
                }
            ]
        },
    )

    code: str
    name: str
    population: str


class ImdEditionOut(_FromRow):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "iod2019",
                    "description": "English Indices of Deprivation 2019 (2011 LSOAs)",
                    "lsoa_vintage": "2011",
                    "lsoa_count": 32844,
                    "loaded_at": "2026-11-23T05:58:41Z",
                }
            ]
        },
    )

    code: str
    description: str
    lsoa_vintage: str
    lsoa_count: int
    loaded_at: datetime
