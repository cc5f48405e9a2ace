"""Reference data as the validator and scorer need it, read from the database tables."""

from __future__ import annotations

import threading

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.ingest.imd_lookup import ImdLookup
from app.ingest.reference import ReferenceCodes
from models import (
    ClinicalArea,
    EthnicCategory,
    ImdEdition,
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


_IMD_CACHE: dict[tuple[str, str], tuple[tuple[object, ...], ImdLookup]] = {}
_IMD_CACHE_LOCK = threading.Lock()


def load_imd_lookup(session: Session, edition: str) -> ImdLookup:
    """The IMD lookup of ``edition``; empty when that edition is not loaded.

    Kept in memory per database and edition while the edition's stored row (checksum, count,
    load time) is unchanged: reading 32,844 LSOAs costs more than a one-record push itself.
    """
    marker = session.execute(
        select(ImdEdition.source_checksum, ImdEdition.lsoa_count, ImdEdition.loaded_at).where(
            ImdEdition.code == edition
        )
    ).first()
    key = (session.get_bind().engine.url.render_as_string(hide_password=True), edition)
    stamp = tuple(marker) if marker is not None else ()
    with _IMD_CACHE_LOCK:
        cached = _IMD_CACHE.get(key)
    if cached is not None and cached[0] == stamp and stamp:
        return cached[1]
    lookup = _read_imd_lookup(session, edition)
    with _IMD_CACHE_LOCK:
        if len(_IMD_CACHE) >= 8:
            _IMD_CACHE.clear()
        _IMD_CACHE[key] = (stamp, lookup)
    return lookup


def _read_imd_lookup(session: Session, edition: str) -> ImdLookup:
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
