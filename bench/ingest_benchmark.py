"""Ingest benchmark: a 1,000,000-row PTL CSV in replace mode on SQLite and PostgreSQL.

Each database runs in its own process so its peak memory (max RSS) is measured alone.
Usage: ``python -m bench.ingest_benchmark [--rows N]``; PostgreSQL is measured when
``EQUIWAIT_TEST_POSTGRES_URL`` points at a server (``bash scripts/postgres.sh`` starts one).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def _measure(url: str, csv_path: Path) -> dict[str, float | int | str]:
    """Migrate a fresh database at ``url`` and ingest ``csv_path`` once, timed."""
    from app.bootstrap import prepare_database
    from app.database import build_engine, session_scope
    from app.ingestion import IngestRequest, ingest_csv

    engine = build_engine(url)
    prepare_database(engine, load_default_imd=True, show_progress=False)
    request = IngestRequest(actor="bench", mode="replace", filename=csv_path.name)
    started = time.perf_counter()
    with session_scope(engine) as session, csv_path.open("rb") as handle:
        outcome = ingest_csv(session, handle, request, today=date.today())
    elapsed = time.perf_counter() - started
    if outcome.batch.outcome != "succeeded":
        raise SystemExit(f"benchmark file rejected: {outcome.errors[:3]}")
    engine.dispose()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "database": engine.dialect.name,
        "rows": outcome.batch.inserted,
        "seconds": round(elapsed, 2),
        "peak_rss_mib": round(peak_mib),
    }


def _fresh_postgres(admin_url: str) -> str:
    name = "equiwait_bench_ingest"
    admin = create_engine(make_url(admin_url).set(drivername="postgresql+psycopg"))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=2, metavar=("URL", "CSV"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_measure(args.child[0], Path(args.child[1]))))
        return
    from app.demo import generate_ptl, write_ptl_csv

    with tempfile.TemporaryDirectory() as workdir:
        csv_path = Path(workdir) / "ptl.csv"
        write_ptl_csv(csv_path, generate_ptl(args.rows, census_date=date.today()))
        size_mib = csv_path.stat().st_size / 2**20
        print(
            f"{args.rows:,} rows, {size_mib:.0f} MiB CSV; {platform.machine()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}"
        )
        targets = [f"sqlite:///{workdir}/bench.db"]
        admin_url = os.environ.get("EQUIWAIT_TEST_POSTGRES_URL")
        if admin_url:
            targets.append(_fresh_postgres(admin_url))
        else:
            print("PostgreSQL skipped: EQUIWAIT_TEST_POSTGRES_URL not set")
        for url in targets:
            out = subprocess.run(
                [sys.executable, "-m", "bench.ingest_benchmark", "--child", url, str(csv_path)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            result = json.loads(out.strip().splitlines()[-1])
            verdict = (
                "meets" if result["seconds"] < 60 and result["peak_rss_mib"] < 2048 else "MISSES"
            )
            print(
                f"{result['database']:<10} {result['rows']:>9,} rows in "
                f"{result['seconds']:>6.1f} s, peak RSS {result['peak_rss_mib']:>5} MiB: "
                f"{verdict} the target (< 60 s, < 2 GiB)"
            )


if __name__ == "__main__":
    main()
