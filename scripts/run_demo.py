"""`make run`: migrate an embedded SQLite database, load demo data and serve the API.

The server runs background jobs (rankings after every change) and its schedule in-process.

Idempotent: a second run reuses the database and demo file it finds under ``var/``.
"""

from __future__ import annotations

import os
import sys
from datetime import date, timedelta
from pathlib import Path

from app.bootstrap import prepare_database
from app.database import build_engine
from app.demo import write_bad_csv
from app.demo.load import DemoRejected, load_demo
from app.security import Role, create_token
from app.settings import get_settings

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
    if not BAD_FILE.exists():
        BAD_FILE.parent.mkdir(parents=True, exist_ok=True)
        write_bad_csv(BAD_FILE, seed=1, census_date=census, provider_code="RZZ")
    try:
        for line in load_demo(
            engine, DEMO_FILE, rows=DEMO_ROWS, census=census, imd_edition=settings.imd_edition
        ):
            print(line, file=sys.stderr)
    except DemoRejected as exc:
        sys.exit(str(exc))
    engine.dispose()
    ttl = timedelta(hours=12)
    print("\nTokens for trying the API (valid 12 hours):", file=sys.stderr)
    for role in Role:
        token = create_token(f"demo.{role.value}", [role], settings.secret, ttl)
        print(f"  {role.value:<11} {token}", file=sys.stderr)
    host = os.environ.get("EQUIWAIT_HOST", "127.0.0.1")
    port = int(os.environ.get("EQUIWAIT_PORT", "8000"))
    print(f"\nOpenAPI docs: http://{host}:{port}/docs", file=sys.stderr)
    print(f"Sign in and open the pages: http://{host}:{port}/\n", file=sys.stderr)
    import uvicorn

    uvicorn.run("app.main:app", host=host, port=port, server_header=False)


if __name__ == "__main__":
    main()
