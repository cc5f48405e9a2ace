"""The pathways behind the data-quality counts: which entries to fix, not only how many.

Each problem is the same rule as its count in the data-quality report
(``app/reports/quality.py``), written as a query so a page lists a few rows of a large PTL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.reports.quality import QualityThresholds
from models import EthnicCategory, PtlEntry

FIXABLE = {
    "ethnicity_not_stated": "Ethnicity not stated (Z)",
    "ethnicity_not_known": "Ethnicity not known (99 or blank)",
    "imd_unknown": "IMD unknown",
    "priority_date_missing": "Priority date missing",
    "priority_date_stale": "Priority not reviewed recently",
    "last_validated_stale": "Not validated recently",
}
"""The problems a page lists pathways for, in the words shown to equity leads."""


@dataclass(frozen=True, slots=True)
class PathwayToFix:
    pathway_id: str
    nhs_number: str
    treatment_function_code: str
    priority_code: str
    priority_set_date: date | None
    last_validated_date: date | None
    ethnic_category: str
    imd_decile: int | None


def _condition(problem: str, census_date: date, thresholds: QualityThresholds) -> Any:
    group = func.coalesce(EthnicCategory.broad_group, "not_known")
    if problem == "ethnicity_not_stated":
        return group == "not_stated"
    if problem == "ethnicity_not_known":
        return group == "not_known"
    if problem == "imd_unknown":
        return PtlEntry.imd_decile.is_(None)
    if problem == "priority_date_missing":
        return PtlEntry.priority_set_date.is_(None)
    if problem == "priority_date_stale":
        return PtlEntry.priority_set_date < census_date - timedelta(
            days=thresholds.priority_stale_days
        )
    if problem == "last_validated_stale":
        return PtlEntry.last_validated_date < census_date - timedelta(
            days=thresholds.validated_stale_days
        )
    raise ValueError(f"unknown problem {problem!r}; expected one of {', '.join(FIXABLE)}")


def pathways_to_fix(
    session: Session,
    provider_code: str,
    problem: str,
    census_date: date,
    *,
    thresholds: QualityThresholds | None = None,
    specialty: str | None = None,
    limit: int = 50,
    after: str | None = None,
) -> list[PathwayToFix]:
    """Up to ``limit`` open pathways with ``problem``, by pathway id (after ``after``)."""
    condition = _condition(problem, census_date, thresholds or QualityThresholds())
    query = (
        select(
            PtlEntry.pathway_id,
            PtlEntry.nhs_number,
            PtlEntry.treatment_function_code,
            PtlEntry.priority_code,
            PtlEntry.priority_set_date,
            PtlEntry.last_validated_date,
            PtlEntry.ethnic_category,
            PtlEntry.imd_decile,
        )
        .outerjoin(EthnicCategory, EthnicCategory.code == PtlEntry.ethnic_category)
        .where(PtlEntry.provider_code == provider_code, PtlEntry.is_open.is_(True), condition)
        .order_by(PtlEntry.pathway_id)
        .limit(limit)
    )
    if specialty:
        query = query.where(PtlEntry.treatment_function_code == specialty)
    if after:
        query = query.where(PtlEntry.pathway_id > after)
    return [PathwayToFix(*row) for row in session.execute(query)]
