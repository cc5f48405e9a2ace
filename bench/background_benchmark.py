"""Background ranking benchmark at a 100,000-entry provider, on SQLite and PostgreSQL.

Per database, in its own process, through the HTTP API with the service's in-process job
runner (as `make run` serves it):

- a one-record JSON push: until it is answered (target < 300 ms), and until its list is
  served from a new run (target < 2 s);
- a publication for one specialty: from the publish request until every list of that
  specialty is served by a run that used the new version (target < 3 s);
- the equity report for today: served from the runs (target < 100 ms) and with `live=true`.

Usage: ``python -m bench.background_benchmark [--rows N] [--pushes N]``; PostgreSQL is measured
when ``EQUIWAIT_TEST_POSTGRES_URL`` points at a server (``bash scripts/postgres.sh``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.databases import benchmark_targets

SECRET = "bench-secret-" + "x" * 40


def _until(check: Any, timeout: float = 120.0, pause: float = 0.01) -> float:
    started = time.perf_counter()
    while not check():
        if time.perf_counter() - started > timeout:
            raise SystemExit("timed out waiting for the background ranking")
        time.sleep(pause)
    return time.perf_counter() - started


def _measure(url: str, csv_path: Path, pushes: int) -> dict[str, Any]:
    import csv

    from fastapi.testclient import TestClient

    from app.bootstrap import prepare_database
    from app.database import build_engine, session_scope
    from app.ingestion import IngestRequest, ingest_csv, upload_rankings
    from app.jobs import run_due
    from app.main import create_app
    from app.security import Role, create_token
    from app.settings import Settings

    logging.getLogger("httpx").setLevel(logging.WARNING)
    engine = build_engine(url)
    prepare_database(engine, load_default_imd=True, show_progress=False)
    settings = Settings(
        environment="test", database_url=url, secret_key=SECRET, scheduler="external"
    )
    request = IngestRequest(actor="bench", mode="replace")
    with session_scope(engine) as session, csv_path.open("rb") as handle:
        outcome = ingest_csv(session, handle, request, today=date.today())
        upload_rankings(session, outcome.batch, actor="bench", replayed=False)
    run_due(engine, settings)  # the first ranking of the whole provider, not timed
    with csv_path.open() as handle:
        records = [row for _, row in zip(range(pushes * 50), csv.DictReader(handle), strict=False)]
    token = create_token("bench", [Role.ADMIN], SECRET, timedelta(hours=2))
    headers = {"Authorization": f"Bearer {token}"}
    answered, reranked = [], []
    with TestClient(create_app(settings)) as client:

        def served(specialty: str, stage: str | None = None) -> dict[tuple[str, str], Any]:
            params = {"specialty": specialty, "limit": 1, **({"stage": stage} if stage else {})}
            body = client.get("/api/v1/ptl/ranked", params=params, headers=headers).json()
            return {(f["specialty"], f["pathway_stage"]): f for f in body["freshness"]}

        for record in records[::50][:pushes]:
            key = (record["treatment_function_code"], record["pathway_stage"])
            before = served(*key)[key]["run_id"]
            record = {**record, "priority_code": "P2" if record["priority_code"] != "P2" else "P3"}
            started = time.perf_counter()
            response = client.post(
                "/api/v1/ptl/entries", json={"mode": "upsert", "entries": [record]}, headers=headers
            )
            answered.append(time.perf_counter() - started)
            assert response.status_code == 201, response.text

            job_id = response.json()["rankings"][0]["job_id"]
            last: list[Any] = []

            def done(
                key: tuple[str, str] = key,
                before: int = before,
                job: int = job_id,
                last: list[Any] = last,
            ) -> bool:
                fresh = served(*key)[key]
                if fresh["run_id"] != before and not fresh["stale"]:
                    return True
                state = client.get(f"/api/v1/jobs/{job}", headers=headers).json()
                last[:] = [fresh, state]
                if state["state"] == "failed":
                    raise SystemExit(f"ranking job {job} failed: {state['error']}")
                return False

            try:
                reranked.append(time.perf_counter() - started + _until(done))
            except SystemExit as exc:
                raise SystemExit(f"{exc}: {last}") from exc

        specialty = records[0]["treatment_function_code"]
        draft = client.post(f"/api/v1/rules/{specialty}/drafts", json={}, headers=headers).json()
        document = draft["document"]
        deciles = {**document["deprivation"]["decile_uplift_days"], "1": 28.0}
        document = {
            **document,
            "deprivation": {**document["deprivation"], "decile_uplift_days": deciles},
        }
        edited = client.put(
            f"/api/v1/rules/{specialty}/drafts/{draft['id']}",
            json={"document": document},
            headers={**headers, "If-Match": f'"{draft["lock_version"]}"'},
        ).json()
        client.post(
            f"/api/v1/rules/{specialty}/drafts/{edited['id']}/preview",
            params={"provider": "RZZ", "weeks": 4},
            headers=headers,
        )
        started = time.perf_counter()
        published = client.post(
            f"/api/v1/rules/{specialty}/drafts/{edited['id']}/publish",
            json={"reason": "benchmark"},
            headers=headers,
        )
        assert published.status_code == 200, published.text
        version = published.json()["id"]

        def reflected() -> bool:
            lists = served(specialty).values()
            return all(
                f["rule_versions"].get(specialty) == version and not f["stale"] for f in lists
            )

        publication = time.perf_counter() - started + _until(reflected)

        def report(live: bool) -> float:
            started = time.perf_counter()
            response = client.get(
                "/api/v1/reports/equity",
                params={"provider": "RZZ", "live": str(live).lower()},
                headers=headers,
            )
            assert response.status_code == 200, response.text
            return time.perf_counter() - started

        served_report = [report(False) for _ in range(10)]
        live_report = [report(True) for _ in range(3)]
    engine.dispose()
    return {
        "database": engine.dialect.name,
        "push_answered_ms": [round(s * 1000, 1) for s in answered],
        "push_reranked_ms": [round(s * 1000, 1) for s in reranked],
        "publication_reflected_s": round(publication, 2),
        "report_served_ms": round(statistics.median(served_report) * 1000, 1),
        "report_live_ms": round(statistics.median(live_report) * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pushes", type=int, default=5)
    parser.add_argument("--child", nargs=2, metavar=("URL", "CSV"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_measure(args.child[0], Path(args.child[1]), args.pushes)))
        return
    from app.demo import generate_ptl, write_ptl_csv

    with tempfile.TemporaryDirectory() as workdir:
        csv_path = Path(workdir) / "ptl.csv"
        write_ptl_csv(csv_path, generate_ptl(args.rows, census_date=date.today()))
        print(
            f"{args.rows:,} entries, {args.pushes} one-record pushes; {platform.machine()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}; load average "
            f"{os.getloadavg()[0]:.2f}"
        )
        targets = benchmark_targets(workdir, "equiwait_bench_background")
        for url in targets:
            command = [sys.executable, "-m", "bench.background_benchmark", "--child", url]
            command += [str(csv_path), "--pushes", str(args.pushes)]
            done = subprocess.run(command, check=False, capture_output=True, text=True)
            if done.returncode:
                raise SystemExit(f"{url.split(':')[0]} run failed:\n{done.stderr[-3000:]}")
            out = done.stdout
            r = json.loads(out.strip().splitlines()[-1])
            print(
                f"{r['database']:<10} push answered max {max(r['push_answered_ms']):.0f} ms "
                f"(target < 300), list re-ranked max {max(r['push_reranked_ms']):.0f} ms "
                f"(target < 2000); publication reflected {r['publication_reflected_s']:.2f} s "
                f"(target < 3); equity report served {r['report_served_ms']:.0f} ms "
                f"(target < 100), live {r['report_live_ms']:.0f} ms"
            )
            print(f"           {json.dumps(r)}")
        print(f"load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
