"""Load benchmark: the service as production runs it, under steady load and under a burst.

Sets up a fresh PostgreSQL database (``EQUIWAIT_TEST_POSTGRES_URL`` names the server), uploads
a synthetic PTL of ``--rows`` entries (1,000,000 by default) and ranks it, then starts
``equiwait serve`` with ``--workers`` uvicorn workers on loopback (production settings, JSON
logs to a file) and drives it over HTTP from this process:

1. **open loop**: ``--rate`` requests/s (Poisson arrivals, fixed seed) for ``--duration``
   seconds whatever the answers take: 70% ranked pages (a random list at a random cursor, or
   its first page), 20% rationales of random entries, 10% equity reports (served from the
   runs), spread over 200 simulated users with a client each. Target: no errors, p99 < 100 ms
   for ranked pages.
2. **closed-loop burst**: ``--burst-connections`` clients each sending ranked-page requests
   back to back for ``--burst-seconds``, while a probe asks ``/healthz`` every 0.5 s. Target:
   no 5xx; every refusal a fast 429/503; health answering throughout.

Every loop is bounded (a fixed number of arrivals; a deadline for the burst; a timeout per
request). The load generator shares the machine with the server: on a small machine its own
CPU use lowers the figures, which the README says next to them.

Usage: ``python -m bench.load_benchmark [--rows N] [--workers W] [--rate R] [--duration S]
[--burst-connections C] [--burst-seconds S]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, text

from bench.databases import fresh_postgres

SECRET = "load-benchmark-" + "k" * 40
REQUEST_TIMEOUT = 30.0


@dataclass
class Tally:
    """Latencies (ms) and statuses of one kind of request."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    refusal_ms: list[float] = field(default_factory=list)

    def add(self, status: str, ms: float) -> None:
        self.statuses[status] += 1
        if status == "200":
            self.latencies.append(ms)
        elif status in ("429", "503"):
            self.refusal_ms.append(ms)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _prepare(url: str, rows: int, workdir: Path) -> dict[str, Any]:
    """Migrate, upload ``rows`` synthetic entries, rank them; what the requests will ask for."""
    from app.bootstrap import prepare_database
    from app.database import build_engine, session_scope
    from app.demo import generate_ptl, write_ptl_csv
    from app.ingestion import IngestRequest, ingest_csv
    from app.rankings import run_ranking
    from models import RankingResult

    csv_path = workdir / "ptl.csv"
    write_ptl_csv(csv_path, generate_ptl(rows, census_date=date.today()))
    engine = build_engine(url)
    prepare_database(engine, load_default_imd=True, show_progress=False)
    began = time.perf_counter()
    with session_scope(engine) as session, csv_path.open("rb") as handle:
        outcome = ingest_csv(
            session, handle, IngestRequest(actor="bench", mode="replace"), today=date.today()
        )
    if outcome.batch.outcome != "succeeded":
        raise SystemExit(f"benchmark file rejected: {outcome.errors[:3]}")
    provider = outcome.batch.provider_codes[0]
    ingest_s = time.perf_counter() - began
    began = time.perf_counter()
    with session_scope(engine) as session:
        run_id = run_ranking(
            session,
            provider,
            actor="bench",
            trigger="manual",
            census_date=date.today(),
            imd_edition="iod2019",
        ).id
    rank_s = time.perf_counter() - began
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    r = RankingResult
    with session_scope(engine) as session:
        lists = [
            (tfc, stage, int(count))
            for tfc, stage, count in session.execute(
                select(r.treatment_function_code, r.pathway_stage, func.count())
                .where(r.run_id == run_id, r.parked.is_(False))
                .group_by(r.treatment_function_code, r.pathway_stage)
            )
        ]
        pathways = list(
            session.scalars(
                select(r.pathway_id).where(r.run_id == run_id).order_by(func.random()).limit(2000)
            )
        )
    engine.dispose()
    return {
        "provider": provider,
        "run_id": run_id,
        "lists": lists,
        "pathways": pathways,
        "ingest_s": ingest_s,
        "rank_s": rank_s,
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_server(url: str, workers: int, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "EQUIWAIT_ENVIRONMENT": "production",
        "EQUIWAIT_DATABASE_URL": url,
        "EQUIWAIT_SECRET_KEY": SECRET,
        "EQUIWAIT_AUDIT_ANCHOR_FILE": str(log_path.parent / "anchors.jsonl"),
    }
    command = [str(Path(sys.executable).parent / "equiwait"), "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers)]
    log = log_path.open("wb")
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


def _wait_ready(base: str, deadline_s: float = 120.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("the server did not become ready")


class Plans:
    """Random requests of each kind (fixed seed), with signed cursors."""

    def __init__(self, prepared: dict[str, Any], seed: int) -> None:
        from api.pagination import CursorCodec
        from app.security import Role, create_token

        self.rng = random.Random(seed)
        self.prepared = prepared
        self.encode = CursorCodec(SECRET).encode
        ttl = timedelta(hours=2)
        self.headers = {
            role: {"Authorization": f"Bearer {create_token('bench', [role], SECRET, ttl)}"}
            for role in (Role.SCHEDULER, Role.AUDITOR, Role.EQUITY_LEAD)
        }
        self.weights = [size for _, _, size in prepared["lists"]]

    def ranked(self) -> tuple[str, dict[str, Any], dict[str, str]]:
        from app.security import Role

        tfc, stage, size = self.rng.choices(self.prepared["lists"], weights=self.weights)[0]
        params: dict[str, Any] = {"specialty": tfc, "stage": stage, "limit": 100}
        if self.rng.random() < 0.8:
            position = self.rng.randrange(0, max(size - 1, 1))
            params["cursor"] = self.encode([[self.prepared["run_id"]], tfc, stage, position])
        return "/api/v1/ptl/ranked", params, self.headers[Role.SCHEDULER]

    def rationale(self) -> tuple[str, dict[str, Any], dict[str, str]]:
        from app.security import Role

        pathway = self.rng.choice(self.prepared["pathways"])
        url = f"/api/v1/ptl/entries/{pathway}/rationale"
        return url, {"provider": self.prepared["provider"]}, self.headers[Role.AUDITOR]

    def report(self) -> tuple[str, dict[str, Any], dict[str, str]]:
        from app.security import Role

        params = {"provider": self.prepared["provider"]}
        return "/api/v1/reports/equity", params, self.headers[Role.EQUITY_LEAD]

    def mixed(self) -> tuple[str, tuple[str, dict[str, Any], dict[str, str]]]:
        draw = self.rng.random()
        if draw < 0.7:
            return "ranked", self.ranked()
        if draw < 0.9:
            return "rationale", self.rationale()
        return "report", self.report()


async def _send(
    client: httpx.AsyncClient, request: tuple[str, dict[str, Any], dict[str, str]]
) -> tuple[str, float]:
    url, params, headers = request
    began = time.perf_counter()
    try:
        response = await client.get(url, params=params, headers=headers)
        status = str(response.status_code)
    except httpx.HTTPError as exc:
        status = type(exc).__name__
    return status, (time.perf_counter() - began) * 1000


#: Simulated users of the open loop, each with its own client (a pool of its own): one client
#: shared by every request spends its time in the pool's bookkeeping, not on the wire.
USERS = 200


def _user_client(base: str, connections: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT, limits=limits)


async def _open_loop(base: str, plans: Plans, rate: float, duration: float) -> dict[str, Tally]:
    """``rate × duration`` requests at Poisson arrival times, each sent on time whether or not
    earlier ones were answered, spread over ``USERS`` users (one request each every
    ``USERS / rate`` seconds on average)."""
    tallies: dict[str, Tally] = defaultdict(Tally)
    arrivals: list[float] = []
    moment = 0.0
    rng = random.Random(11)
    while len(arrivals) < int(rate * duration):
        moment += rng.expovariate(rate)
        arrivals.append(moment)
    users = [_user_client(base, 8) for _ in range(USERS)]
    try:
        start = time.perf_counter()

        async def one(index: int, at: float) -> None:
            kind, request = plans.mixed()
            delay = at - (time.perf_counter() - start)
            if delay > 0:
                await asyncio.sleep(delay)
            status, ms = await _send(users[index % USERS], request)
            tallies[kind].add(status, ms)

        await asyncio.gather(*(one(index, at) for index, at in enumerate(arrivals)))
        tallies["_elapsed"].latencies.append(time.perf_counter() - start)
    finally:
        await asyncio.gather(*(user.aclose() for user in users))
    return tallies


async def _burst(base: str, plans: Plans, connections: int, seconds: float) -> dict[str, Tally]:
    """``connections`` clients sending ranked pages back to back until the deadline, and a
    health probe every 0.5 s."""
    tallies: dict[str, Tally] = defaultdict(Tally)
    users = [_user_client(base, 1) for _ in range(connections)]
    try:
        deadline = time.perf_counter() + seconds

        async def user(client: httpx.AsyncClient) -> None:
            while time.perf_counter() < deadline:
                status, ms = await _send(client, plans.ranked())
                tallies["ranked"].add(status, ms)

        async def probe() -> None:
            async with _user_client(base, 1) as own:
                while time.perf_counter() < deadline:
                    status, ms = await _send(own, ("/healthz", {}, {}))
                    tallies["healthz"].add(status, ms)
                    await asyncio.sleep(0.5)

        start = time.perf_counter()
        await asyncio.gather(probe(), *(user(client) for client in users))
        tallies["_elapsed"].latencies.append(time.perf_counter() - start)
    finally:
        await asyncio.gather(*(client.aclose() for client in users))
    return tallies


def _report(title: str, tallies: dict[str, Tally]) -> None:
    elapsed = tallies.pop("_elapsed").latencies[0]
    total = sum(sum(t.statuses.values()) for t in tallies.values())
    print(f"{title}: {total} requests in {elapsed:.1f} s = {total / elapsed:.1f} req/s", flush=True)
    for kind, tally in sorted(tallies.items()):
        ok = tally.latencies
        errors = {s: n for s, n in tally.statuses.items() if s not in ("200", "429", "503")}
        refusals = tally.statuses["429"] + tally.statuses["503"]
        line = (
            f"  {kind:<10} {sum(tally.statuses.values()):>6} sent, {len(ok):>6} ok: "
            f"p50 {_percentile(ok, 50):.1f} ms, p95 {_percentile(ok, 95):.1f} ms, "
            f"p99 {_percentile(ok, 99):.1f} ms, max {max(ok, default=float('nan')):.1f} ms; "
            f"refused {refusals}"
        )
        if refusals:
            line += f" (p99 {_percentile(tally.refusal_ms, 99):.1f} ms)"
        line += f"; errors {sum(errors.values())} {dict(errors) if errors else ''}"
        print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--duration", type=float, default=120.0)
    parser.add_argument("--burst-connections", type=int, default=200)
    parser.add_argument("--burst-seconds", type=float, default=30.0)
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # figures as they come
    admin_url = os.environ.get("EQUIWAIT_TEST_POSTGRES_URL")
    if not admin_url:
        raise SystemExit("EQUIWAIT_TEST_POSTGRES_URL must name a PostgreSQL server")
    # The setup writes audit records keyed like the server's: the same secret for both.
    os.environ["EQUIWAIT_SECRET_KEY"] = SECRET
    load = os.getloadavg()[0]
    print(
        f"{args.rows:,} entries ranked on PostgreSQL; {args.workers} uvicorn workers on "
        f"loopback; {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average {load:.1f} before the setup"
    )
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        url = fresh_postgres(admin_url, "equiwait_bench_load")
        prepared = _prepare(url, args.rows, workdir)
        print(
            f"setup: upload {prepared['ingest_s']:.1f} s, ranking run {prepared['rank_s']:.1f} s, "
            f"{len(prepared['lists'])} lists"
        )
        port = _free_port()
        server = _start_server(url, args.workers, port, workdir / "server.log")
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(base)
            plans = Plans(prepared, seed=5)
            for _ in range(30):  # warm every worker's caches; not counted
                httpx.get(base + plans.ranked()[0], params=plans.ranked()[1], timeout=30)
            print(f"load average {os.getloadavg()[0]:.1f} at the start of the load", flush=True)
            _report(
                f"open loop at {args.rate:g} req/s for {args.duration:g} s",
                asyncio.run(_open_loop(base, plans, args.rate, args.duration)),
            )
            _report(
                f"closed-loop burst, {args.burst_connections} connections for "
                f"{args.burst_seconds:g} s",
                asyncio.run(_burst(base, plans, args.burst_connections, args.burst_seconds)),
            )
            print(f"load average {os.getloadavg()[0]:.1f} at the end", flush=True)
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
            tail = (workdir / "server.log").read_text(errors="replace").splitlines()
            crashes = [line for line in tail if '"level": "error"' in line]
            print(f"server log: {len(tail)} lines, {len(crashes)} at level error", flush=True)


if __name__ == "__main__":
    main()
