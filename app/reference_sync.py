"""Load the reference lists in ``app/reference_data/*.csv`` into their tables (idempotent)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.reference_data import REFERENCE_DIR
from models import ClinicalArea, EthnicCategory, InclusionGroup, PriorityCode, TreatmentFunction
from models.base import Base


def _as_bool(value: str) -> bool:
    return value.strip().lower() in {"true", "1", "yes"}


def _as_optional_int(value: str) -> int | None:
    return int(value) if value.strip() else None


#: table class → (file name, converters for non-text columns)
REFERENCE_TABLES: dict[type[Base], tuple[str, dict[str, Any]]] = {
    TreatmentFunction: ("treatment_functions.csv", {}),
    EthnicCategory: ("ethnic_categories.csv", {"is_known": _as_bool}),
    PriorityCode: (
        "priority_codes.csv",
        {"target_days": _as_optional_int, "sort_order": int, "parked": _as_bool},
    ),
    InclusionGroup: ("inclusion_groups.csv", {}),
    ClinicalArea: ("clinical_areas.csv", {}),
}


def read_reference_file(name: str, directory: Path = REFERENCE_DIR) -> list[dict[str, str]]:
    """Rows of one reference CSV as dicts of trimmed strings."""
    with (directory / name).open(newline="", encoding="utf-8") as handle:
        return [{k.strip(): v.strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def sync_reference_data(session: Session, directory: Path = REFERENCE_DIR) -> dict[str, int]:
    """Make each reference table hold exactly its CSV's rows; returns row counts per table."""
    counts: dict[str, int] = {}
    for table, (file_name, converters) in REFERENCE_TABLES.items():
        rows = read_reference_file(file_name, directory)
        session.execute(delete(table))
        for row in rows:
            values = {k: converters.get(k, str)(v) for k, v in row.items()}
            session.add(table(**values))
        session.flush()
        counts[table.__tablename__] = len(rows)
    return counts
