"""Load the synthetic demo PTL into an empty database and rank it (``make run``, the browser
tests and the screenshots share this)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Engine, func, select

from app.database import session_scope
from app.demo.generator import generate_ptl
from app.demo.writer import write_ptl_csv
from app.ingestion import IngestRequest, ingest_csv
from app.rankings import run_ranking
from models import PtlEntry


class DemoRejected(RuntimeError):
    """The generated file did not ingest (a bug in the generator or the validator)."""


def load_demo(
    engine: Engine,
    csv_path: Path,
    *,
    rows: int,
    census: date,
    imd_edition: str,
    seed: int = 20261123,
) -> list[str]:
    """Write ``rows`` synthetic entries to ``csv_path`` (unless it exists), ingest them when
    the database holds no entry yet, and rank them; what happened, line by line."""
    said: list[str] = []
    if not csv_path.exists():
        csv_path.parent.mkdir(parents=True, exist_ok=True)
        write_ptl_csv(csv_path, generate_ptl(rows, seed=seed, census_date=census))
        said.append(f"wrote {rows:,} synthetic entries to {csv_path}")
    with session_scope(engine) as session:
        stored = session.scalar(select(func.count()).select_from(PtlEntry)) or 0
    if stored:
        return said
    with session_scope(engine) as session, csv_path.open("rb") as handle:
        request = IngestRequest(
            actor="demo-loader", mode="replace", filename=csv_path.name, imd_edition=imd_edition
        )
        outcome = ingest_csv(session, handle, request, today=census)
    if outcome.batch.outcome != "succeeded":
        raise DemoRejected(f"demo data was rejected: {outcome.errors[:5]}")
    said.append(f"loaded demo PTL: batch {outcome.batch.id}")
    for provider in outcome.batch.provider_codes:
        # Ranked now, in its own transaction, so the pages show the list from the start.
        with session_scope(engine) as session:
            run = run_ranking(
                session,
                provider,
                actor="demo-loader",
                trigger="upload",
                census_date=census,
                upload_batch_id=outcome.batch.id,
                imd_edition=imd_edition,
            )
            said.append(f"ranked {provider}: run {run.id}")
    return said
