"""Ranked-list read benchmark: pages of ``GET /api/v1/ptl/ranked`` over 1,000,000 stored results.

Per database (SQLite file; PostgreSQL when ``EQUIWAIT_TEST_POSTGRES_URL`` is set), in its own
process: migrate, upload a synthetic PTL through the ingestion flow (no run), time the ranking
run that stores every entry's result, then time page requests through a TestClient (limit 100):
random lists at random cursors, first pages of random lists, and the whole provider at random
cursors. Target: p95 < 50 ms per page.

Usage: ``python -m bench.ranked_read_benchmark [--rows N] [--requests N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from bench.databases import benchmark_targets

TARGET_P95_MS = 50.0


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _requests(
    lists: list[tuple[str, str, int]], run_id: int, n: int, secret: str
) -> list[dict[str, Any]]:
    """(params) per request: 70% a list at a random cursor, 15% a list's first page, 15% the
    whole provider at a random cursor (cursors signed with the server's secret)."""
    from api.pagination import CursorCodec

    encode_cursor = CursorCodec(secret).encode

    rng = random.Random(7)
    plans: list[dict[str, Any]] = []
    weights = [size for _, _, size in lists]
    for i in range(n):
        tfc, stage, size = rng.choices(lists, weights=weights)[0]
        kind = i % 20
        if kind < 14:
            position = rng.randrange(0, max(size - 1, 1))
            cursor = encode_cursor([[run_id], tfc, stage, position])
            plans.append({"specialty": tfc, "stage": stage, "cursor": cursor})
        elif kind < 17:
            plans.append({"specialty": tfc, "stage": stage})
        else:
            position = rng.randrange(0, max(size - 1, 1))
            plans.append({"cursor": encode_cursor([[run_id], tfc, stage, position])})
        plans[-1]["limit"] = 100
    return plans


def _measure(url: str, csv_path: Path, n_requests: int) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from app.bootstrap import prepare_database
    from app.database import build_engine, session_scope
    from app.ingestion import IngestRequest, ingest_csv
    from app.main import create_app
    from app.rankings import run_ranking
    from app.security import Role, create_token
    from app.settings import Settings
    from models import RankingResult

    engine = build_engine(url)
    prepare_database(engine, load_default_imd=True, show_progress=False)
    request = IngestRequest(actor="bench", mode="replace")
    with session_scope(engine) as session, csv_path.open("rb") as handle:
        outcome = ingest_csv(session, handle, request, today=date.today())
    if outcome.batch.outcome != "succeeded":
        raise SystemExit(f"benchmark file rejected: {outcome.errors[:3]}")
    provider = outcome.batch.provider_codes[0]
    started = time.perf_counter()
    with session_scope(engine) as session:
        run = run_ranking(
            session,
            provider,
            actor="bench",
            trigger="manual",
            census_date=date.today(),
            imd_edition="iod2019",
        )
        run_id = run.id
    run_seconds = time.perf_counter() - started
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    with session_scope(engine) as session:
        r = RankingResult
        lists = [
            (tfc, stage, int(count))
            for tfc, stage, count in session.execute(
                select(r.treatment_function_code, r.pathway_stage, func.count())
                .where(r.run_id == run_id, r.parked.is_(False))
                .group_by(r.treatment_function_code, r.pathway_stage)
            )
        ]
        stored = int(
            session.scalar(select(func.count()).select_from(r).where(r.run_id == run_id)) or 0
        )
    settings = Settings(environment="test", database_url=url, secret_key="b" * 40)
    token = create_token("bench", [Role.SCHEDULER], settings.secret, timedelta(hours=1))
    headers = {"Authorization": f"Bearer {token}"}
    timings: list[float] = []
    rows_served = 0
    with TestClient(create_app(settings)) as client:
        for params in _requests(lists, run_id, 20, settings.secret):  # warm-up, not counted
            client.get("/api/v1/ptl/ranked", params=params, headers=headers)
        for params in _requests(lists, run_id, n_requests, settings.secret):
            began = time.perf_counter()
            response = client.get("/api/v1/ptl/ranked", params=params, headers=headers)
            timings.append((time.perf_counter() - began) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"page failed: {response.status_code} {response.text[:200]}")
            rows_served += len(response.json()["items"])
    engine.dispose()
    return {
        "database": engine.dialect.name,
        "stored": stored,
        "lists": len(lists),
        "run_seconds": round(run_seconds, 1),
        "requests": len(timings),
        "rows_per_page": round(rows_served / len(timings), 1),
        "p50": round(_percentile(timings, 50), 1),
        "p95": round(_percentile(timings, 95), 1),
        "p99": round(_percentile(timings, 99), 1),
        "mean": round(statistics.fmean(timings), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--child", nargs=2, metavar=("URL", "CSV"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_measure(args.child[0], Path(args.child[1]), args.requests)))
        return
    from app.demo import generate_ptl, write_ptl_csv

    with tempfile.TemporaryDirectory() as workdir:
        csv_path = Path(workdir) / "ptl.csv"
        write_ptl_csv(csv_path, generate_ptl(args.rows, census_date=date.today()))
        print(
            f"{args.rows:,} entries, {args.requests} page requests (limit 100) per database; "
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        )
        targets = benchmark_targets(workdir, "equiwait_bench_ranked")
        for url in targets:
            command = [sys.executable, "-m", "bench.ranked_read_benchmark", "--child", url]
            command += [str(csv_path), "--requests", str(args.requests)]
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            verdict = "meets" if r["p95"] < TARGET_P95_MS else "MISSES"
            print(
                f"{r['database']:<10} {r['stored']:>9,} results in {r['lists']} lists; ranking "
                f"run {r['run_seconds']} s; {r['requests']} pages of {r['rows_per_page']} rows: "
                f"p50 {r['p50']} ms, p95 {r['p95']} ms, p99 {r['p99']} ms (mean {r['mean']}): "
                f"{verdict} the target (p95 < {TARGET_P95_MS:g} ms)"
            )


if __name__ == "__main__":
    main()
