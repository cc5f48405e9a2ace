"""The failed-offer training job as the service runs it, on 1,000,000 stored offers.

Per database (SQLite, and PostgreSQL when ``EQUIWAIT_TEST_POSTGRES_URL`` names a server):
the PTL and its synthetic offer history are stored through the service's own uploads (not
timed), then ``POST /api/v1/risk-models``' job is timed from start to stored model: the
history read from the database, the training (``bench.risk_model_benchmark`` times that part
alone) and the model stored. Target: under 60 s.

``python -m bench.risk_training_job_benchmark [offers]``
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.databases import benchmark_targets

CENSUS = date(2026, 12, 1)
OFFERS_PER_ROW = 1.28


def _files(workdir: Path, offers: int) -> tuple[Path, Path]:
    from app.demo import generate_ptl
    from app.demo.offers import generate_offers, write_offers_csv
    from app.demo.writer import write_ptl_csv

    ptl = generate_ptl(int(offers / OFFERS_PER_ROW), seed=1, census_date=CENSUS)
    ptl_path, offers_path = workdir / "ptl.csv", workdir / "offers.csv"
    write_ptl_csv(ptl_path, ptl)
    with offers_path.open("w", newline="") as out:
        write_offers_csv(out, generate_offers(ptl, census_date=CENSUS))
    return ptl_path, offers_path


def _measure(url: str, ptl_path: Path, offers_path: Path) -> None:
    from sqlalchemy import func, select

    from app.bootstrap import prepare_database
    from app.database import build_engine, session_scope
    from app.ingestion import IngestRequest, ingest_csv
    from app.jobs import run_due
    from app.offers.ingest import OffersRequest, ingest_offers_csv
    from app.risk.service import history_facts, request_training
    from app.settings import Settings
    from models import Offer, RiskModel

    engine = build_engine(url)
    prepare_database(engine, load_default_imd=True, show_progress=False)
    settings = Settings(environment="test", database_url=url, scheduler="external")
    started = time.perf_counter()
    with session_scope(engine) as session, ptl_path.open("rb") as handle:
        ingest_csv(session, handle, IngestRequest(actor="bench", mode="replace"), today=CENSUS)
    with session_scope(engine) as session, offers_path.open("rb") as handle:
        outcome = ingest_offers_csv(session, handle, OffersRequest(actor="bench"), today=CENSUS)
        assert not outcome.errors, outcome.errors[:3]
    with session_scope(engine) as session:
        stored = session.scalar(select(func.count()).select_from(Offer))
    print(f"  stored {stored:,} offers ({time.perf_counter() - started:.0f} s, not timed)")
    with session_scope(engine) as session:
        started = time.perf_counter()
        facts = history_facts(session)
        print(f"  history read from the database alone: {time.perf_counter() - started:.1f} s")
        del facts
    with session_scope(engine) as session:
        model_id = request_training(session, actor="bench", threshold=0.25).id
    started = time.perf_counter()
    run_due(engine, settings)
    elapsed = time.perf_counter() - started
    with session_scope(engine) as session:
        model = session.get(RiskModel, model_id)
        assert model is not None and model.state == "trained", model and model.error
        print(
            f"  training job (read + train + store): {elapsed:.1f} s [target < 60 s] "
            f"estimator={model.estimator} offers={model.offers:,}"
        )
    engine.dispose()


def main(offers: int = 1_000_000) -> None:
    with tempfile.TemporaryDirectory() as workdir:
        ptl_path, offers_path = _files(Path(workdir), offers)
        for url in benchmark_targets(workdir, "equiwait_bench_risk_job"):
            print(url.split(":", 1)[0], flush=True)
            _measure(url, ptl_path, offers_path)


if __name__ == "__main__":
    main(*[int(value) for value in sys.argv[1:2]])
