"""Reference data as the validator and scorer need it, read from the database tables."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.ingest.imd_lookup import ImdLookup
from app.ingest.reference import ReferenceCodes
from models import (
    ClinicalArea,
    EthnicCategory,
    ImdLsoa,
    InclusionGroup,
    PriorityCode,
    TreatmentFunction,
)


class UnknownPriorityCode(ValueError):
    """A priority code that is not in the priority reference list."""


def canonical_priority_code(session: Session, value: str) -> str:
    """``value`` in the priority reference list's spelling, matched case-insensitively
    (``p3`` → ``P3``, ``P1A`` → ``P1a``); UnknownPriorityCode when it is not one."""
    codes = {code.lower(): code for code in session.scalars(select(PriorityCode.code))}
    found = codes.get(value.strip().lower())
    if found is None:
        known = ", ".join(sorted(codes.values()))
        raise UnknownPriorityCode(f"unknown priority code {value!r}; expected one of {known}")
    return found


def load_reference_codes(session: Session) -> ReferenceCodes:
    """The code lists every coded PTL column is checked against."""
    return ReferenceCodes(
        treatment_function_codes=frozenset(session.scalars(select(TreatmentFunction.code))),
        priority_codes=frozenset(session.scalars(select(PriorityCode.code))),
        ethnic_categories=frozenset(session.scalars(select(EthnicCategory.code))),
        inclusion_groups=frozenset(session.scalars(select(InclusionGroup.code))),
        clinical_areas=frozenset(session.scalars(select(ClinicalArea.code))),
    )


def load_imd_lookup(session: Session, edition: str) -> ImdLookup:
    """The IMD lookup of ``edition``; empty when that edition is not loaded."""
    rows = session.execute(
        select(
            ImdLsoa.lsoa_code,
            ImdLsoa.imd_decile,
            ImdLsoa.income_decile,
            ImdLsoa.employment_decile,
            ImdLsoa.education_decile,
            ImdLsoa.health_decile,
            ImdLsoa.crime_decile,
            ImdLsoa.barriers_decile,
            ImdLsoa.living_environment_decile,
        ).where(ImdLsoa.edition == edition)
    ).all()
    columns = list(zip(*rows, strict=True)) if rows else [()] * 9
    domains = ("income", "employment", "education", "health", "crime", "barriers")
    return ImdLookup.from_columns(
        edition,
        list(columns[0]),
        list(columns[1]),
        {
            **{key: list(columns[i + 2]) for i, key in enumerate(domains)},
            "living_environment": list(columns[8]),
        },
    )
