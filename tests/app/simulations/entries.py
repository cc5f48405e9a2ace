"""Hand-made PTL entries written straight to the table, for simulation service tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from app.database import session_scope
from models import PtlEntry, UploadBatch

CENSUS = date(2026, 11, 23)


def add_entries(
    engine: Engine,
    rows: list[dict[str, Any]],
    *,
    census: date = CENSUS,
    created_at: datetime | None = None,
) -> None:
    """Store ``rows``: each gives ``wait`` (days before ``census``) and any column to override.

    ``closed_at`` in a row closes the pathway then; ``created_at`` dates every row's creation.
    """
    created = created_at or datetime.now(UTC)
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
                "treatment_function_code": "110",
                "pathway_stage": "admitted",
                "priority_code": "P4",
                "ethnic_category": "A",
                "imd_decile": None,
                "imd_source": "unknown",
                "inclusion_groups": "",
                "first_batch_id": batch.id,
                "last_batch_id": batch.id,
                "created_at": created,
            }
            values.update({k: v for k, v in row.items() if k != "wait"})
            values["rtt_clock_start"] = census - timedelta(days=row.get("wait", 0))
            if values["imd_decile"] is not None:
                values["imd_source"] = "supplied"
            if values.get("closed_at") is not None:
                values["is_open"] = False
            session.add(PtlEntry(**values))
