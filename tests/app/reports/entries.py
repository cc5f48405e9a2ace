"""Hand-made PTL entries written straight to the table (no upload validator in the way)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine

from app.database import session_scope
from models import PtlEntry, UploadBatch

CENSUS = date(2026, 11, 23)  # a Monday, ISO week 2026-W48


def add_entries(engine: Engine, rows: list[dict[str, Any]], census: date = CENSUS) -> None:
    """Store ``rows``; each gives ``wait`` (days before ``census``) and any column to override."""
    with session_scope(engine) as session:
        batch = UploadBatch(
            source="csv",
            mode="replace",
            checksum_sha256="0" * 64,
            submitted_by="test",
            outcome="succeeded",
        )
        session.add(batch)
        session.flush()
        for i, row in enumerate(rows):
            values: dict[str, Any] = {
                "provider_code": "RZZ",
                "pathway_id": f"P{i:05d}",
                "nhs_number": "9990000018",
                "treatment_function_code": "100",
                "pathway_stage": "admitted",
                "priority_code": "P3",
                "ethnic_category": "A",
                "imd_decile": None,
                "imd_source": "unknown",
                "inclusion_groups": "",
                "first_batch_id": batch.id,
                "last_batch_id": batch.id,
                # Stored by the census date, so a report for that date counts it.
                "created_at": datetime.combine(census, time(0), tzinfo=UTC),
            }
            wait = row.get("wait", 0)
            values.update({k: v for k, v in row.items() if k != "wait"})
            values["rtt_clock_start"] = census - timedelta(days=wait)
            if values["imd_decile"] is not None and "imd_source" not in row:
                values["imd_source"] = "supplied"
            session.add(PtlEntry(**values))


#: Eight measured entries, two parked, one closed, one of another provider.
#: Quintile 1: waits 140, 70, 400. Quintile 5: 7, 14, 21, 130. Unknown IMD: 50.
HAND_LIST: list[dict[str, Any]] = [
    {
        "wait": 140,
        "imd_decile": 1,
        "inclusion_groups": "homeless;learning_disability",
        "treatment_function_code": "110",
    },
    {
        "wait": 70,
        "imd_decile": 2,
        "ethnic_category": "N",
        "treatment_function_code": "110",
        "priority_code": "P2",
    },
    {
        "wait": 400,
        "imd_decile": 1,
        "ethnic_category": "Z",
        "inclusion_groups": "homeless",
        "treatment_function_code": "130",
        "pathway_stage": "non_admitted",
        "priority_code": "P4",
    },
    {"wait": 7, "imd_decile": 9, "treatment_function_code": "130"},
    {"wait": 14, "imd_decile": 10, "ethnic_category": "H"},
    {"wait": 21, "imd_decile": 10, "ethnic_category": "99"},
    {"wait": 130, "imd_decile": 9, "inclusion_groups": "carer"},
    {"wait": 50},
    {"wait": 1000, "imd_decile": 1, "priority_code": "P5"},
    {"wait": 900, "imd_decile": 9, "rtt_status": "31"},
    {"wait": 2000, "imd_decile": 1, "is_open": False},
    {"wait": 3000, "imd_decile": 1, "provider_code": "RYY"},
]
