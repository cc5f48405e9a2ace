"""`make run`: migrate an embedded SQLite database, load demo data and serve the API.

Idempotent: a second run reuses the database and demo file it finds under ``var/``.
"""

from __future__ import annotations

import os
import sys
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

from app.bootstrap import prepare_database
from app.database import build_engine, session_scope
from app.demo import generate_ptl, write_bad_csv, write_ptl_csv
from app.ingestion import IngestRequest, ingest_csv, rank_upload
from app.security import Role, create_token
from app.settings import get_settings
from models import PtlEntry

DEMO_FILE = Path("var/demo_ptl.csv")
BAD_FILE = Path("var/demo_ptl_bad.csv")
DEMO_ROWS = int(os.environ.get("EQUIWAIT_DEMO_ROWS", "100000"))


def main() -> None:
    os.environ.setdefault("EQUIWAIT_ENVIRONMENT", "development")
    os.environ.setdefault("EQUIWAIT_DATABASE_URL", "sqlite:///var/equiwait.db")
    settings = get_settings()
    engine = build_engine(settings.database_url)
    report = prepare_database(
        engine,
        load_default_imd=True,
        show_progress=True,
        reference_data_dir=settings.reference_data_dir,
    )
    print(report, file=sys.stderr)
    census = date.today()
    if not DEMO_FILE.exists():
        DEMO_FILE.parent.mkdir(parents=True, exist_ok=True)
        write_ptl_csv(DEMO_FILE, generate_ptl(DEMO_ROWS, census_date=census))
        write_bad_csv(BAD_FILE, seed=1, census_date=census, provider_code="RZZ")
        print(f"wrote {DEMO_ROWS:,} synthetic entries to {DEMO_FILE}", file=sys.stderr)
    with session_scope(engine) as session:
        stored = session.scalar(select(func.count()).select_from(PtlEntry)) or 0
    if stored == 0:
        with session_scope(engine) as session, DEMO_FILE.open("rb") as handle:
            request = IngestRequest(
                actor="demo-loader",
                mode="replace",
                filename=DEMO_FILE.name,
                imd_edition=settings.imd_edition,
            )
            outcome = ingest_csv(session, handle, request, today=census)
        if outcome.batch.outcome != "succeeded":
            sys.exit(f"demo data was rejected: {outcome.errors[:5]}")
        print(f"loaded demo PTL: batch {outcome.batch.id}", file=sys.stderr)
        with session_scope(engine) as session:
            batch = session.merge(outcome.batch)
            for attempt in rank_upload(
                session, batch, actor="demo-loader", imd_edition=settings.imd_edition, today=census
            ):
                print(f"ranked {attempt.provider_code}: {attempt.error or 'ok'}", file=sys.stderr)
    engine.dispose()
    ttl = timedelta(hours=12)
    print("\nTokens for trying the API (valid 12 hours):", file=sys.stderr)
    for role in Role:
        token = create_token(f"demo.{role.value}", [role], settings.secret, ttl)
        print(f"  {role.value:<9} {token}", file=sys.stderr)
    host = os.environ.get("EQUIWAIT_HOST", "127.0.0.1")
    port = int(os.environ.get("EQUIWAIT_PORT", "8000"))
    print(f"\nOpenAPI docs: http://{host}:{port}/docs\n", file=sys.stderr)
    import uvicorn

    uvicorn.run("app.main:app", host=host, port=port, server_header=False)


if __name__ == "__main__":
    main()
