"""Reference data tables, loaded from ``app/reference_data`` and the IoD lookup files."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class TreatmentFunction(Base):
    """NHS treatment function codes (specialties)."""

    __tablename__ = "treatment_functions"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))


class EthnicCategory(Base):
    """NHS Data Dictionary ethnic categories with a broad group usable by weights."""

    __tablename__ = "ethnic_categories"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    description: Mapped[str] = mapped_column(String(120))
    broad_group: Mapped[str] = mapped_column(String(20))
    is_known: Mapped[bool] = mapped_column(Boolean)


class PriorityCode(Base):
    """Surgical prioritisation codes with their target in days (null: no target)."""

    __tablename__ = "priority_codes"

    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    description: Mapped[str] = mapped_column(String(120))
    target_days: Mapped[int | None] = mapped_column(Integer)
    sort_order: Mapped[int] = mapped_column(SmallInteger)
    parked: Mapped[bool] = mapped_column(Boolean)


class InclusionGroup(Base):
    """Core20PLUS5 'PLUS' and inclusion-health groups (a configurable list)."""

    __tablename__ = "inclusion_groups"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(40))


class ClinicalArea(Base):
    """Core20PLUS5 clinical areas (a configurable list: systems may add their own)."""

    __tablename__ = "clinical_areas"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    population: Mapped[str] = mapped_column(String(40))


class ImdEdition(Base):
    """One loaded edition of the English Indices of Deprivation."""

    __tablename__ = "imd_editions"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    description: Mapped[str] = mapped_column(String(200))
    lsoa_vintage: Mapped[str] = mapped_column(String(4))
    source_checksum: Mapped[str] = mapped_column(String(64))
    lsoa_count: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ImdLsoa(Base):
    """IMD decile (1 = most deprived) and the seven domain deciles of one LSOA in one edition."""

    __tablename__ = "imd_lsoas"

    edition: Mapped[str] = mapped_column(
        String(20), ForeignKey("imd_editions.code", ondelete="CASCADE"), primary_key=True
    )
    lsoa_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    imd_score: Mapped[float] = mapped_column(Float)
    imd_rank: Mapped[int] = mapped_column(Integer)
    imd_decile: Mapped[int] = mapped_column(SmallInteger)
    income_decile: Mapped[int] = mapped_column(SmallInteger)
    employment_decile: Mapped[int] = mapped_column(SmallInteger)
    education_decile: Mapped[int] = mapped_column(SmallInteger)
    health_decile: Mapped[int] = mapped_column(SmallInteger)
    crime_decile: Mapped[int] = mapped_column(SmallInteger)
    barriers_decile: Mapped[int] = mapped_column(SmallInteger)
    living_environment_decile: Mapped[int] = mapped_column(SmallInteger)
