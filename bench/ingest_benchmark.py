"""Ingest benchmark: a 1,000,000-row PTL CSV in replace mode on SQLite and PostgreSQL.

It times what an upload does, in the API's order: the ingest itself up to and including its
commit, with the ranking job it queues (the answer: < 60 s, < 2 GiB), then that background
job until every list is served (the whole upload until served: < 60 s). Peak memory (max
RSS) is read after the ingest and again after the job, so the second figure covers the whole
upload. Each database runs in its own process so its peak is measured alone.
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

from sqlalchemy import func, select

from bench.databases import benchmark_targets
from models import RankingList, UploadBatch
from models.base import utcnow


def _peak_mib() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _measure(url: str, csv_path: Path) -> dict[str, float | int | str]:
    """Migrate a fresh database at ``url``, ingest ``csv_path`` once and rank it, timed."""
    from app.bootstrap import prepare_database
    from app.database import build_engine, session_scope
    from app.ingestion import IngestRequest, ingest_csv, upload_rankings
    from app.jobs import execute, load_tasks
    from app.settings import Settings

    engine = build_engine(url)
    prepare_database(engine, load_default_imd=True, show_progress=False)
    request = IngestRequest(actor="bench", mode="replace", filename=csv_path.name)
    today = date.today()
    started = time.perf_counter()
    with session_scope(engine) as session, csv_path.open("rb") as handle:
        outcome = ingest_csv(session, handle, request, today=today)
        attempts = upload_rankings(session, outcome.batch, actor="bench", replayed=False)
    ingest_seconds = time.perf_counter() - started  # session_scope has committed
    if outcome.batch.outcome != "succeeded":
        raise SystemExit(f"benchmark file rejected: {outcome.errors[:3]}")
    ingest_peak = _peak_mib()
    batch_id = outcome.batch.id
    del outcome
    settings = Settings(environment="test", database_url=url, secret_key="b" * 40)
    load_tasks()  # the service imports its tasks when its job runner starts, not per job
    started = time.perf_counter()
    job_started = utcnow()
    states = [execute(engine, settings, a.job_id) for a in attempts if a.job_id is not None]
    ranking_seconds = time.perf_counter() - started
    with session_scope(engine) as session:
        # The lists switch when the run commits; the job then takes the week's snapshot.
        last_served = session.scalar(select(func.max(RankingList.served_at)))
    served_seconds = (last_served - job_started).total_seconds() if last_served else None
    if states != ["succeeded"] * len(attempts):
        raise SystemExit(f"ranking after the upload failed: {states}")
    with session_scope(engine) as session:
        rows = session.get_one(UploadBatch, batch_id).inserted
    engine.dispose()
    return {
        "database": engine.dialect.name,
        "rows": rows,
        "ingest_seconds": round(ingest_seconds, 2),
        "ingest_peak_rss_mib": ingest_peak,
        "ranking_seconds": round(ranking_seconds, 2),
        "served_after_seconds": None if served_seconds is None else round(served_seconds, 2),
        "upload_peak_rss_mib": _peak_mib(),
    }


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
            f"{os.cpu_count()} cores, Python {platform.python_version()}; load average "
            f"{os.getloadavg()[0]:.2f}"
        )
        targets = benchmark_targets(workdir, "equiwait_bench_ingest")
        for url in targets:
            out = subprocess.run(
                [sys.executable, "-m", "bench.ingest_benchmark", "--child", url, str(csv_path)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            result = json.loads(out.strip().splitlines()[-1])
            meets = result["ingest_seconds"] < 60 and result["ingest_peak_rss_mib"] < 2048
            print(
                f"{result['database']:<10} {result['rows']:>9,} rows: ingest (with commit) "
                f"{result['ingest_seconds']:>6.1f} s, peak RSS {result['ingest_peak_rss_mib']:>5} "
                f"MiB: {'meets' if meets else 'MISSES'} the target (< 60 s, < 2 GiB); "
                f"then the ranking job {result['ranking_seconds']:>6.1f} s (every list served "
                f"after {result['served_after_seconds']:>6.1f} s of it); until every list is "
                f"served {result['ingest_seconds'] + result['served_after_seconds']:>6.1f} s "
                f"(target < 60 s), peak RSS {result['upload_peak_rss_mib']:>5} MiB"
            )
        print(f"load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
