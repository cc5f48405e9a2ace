"""Failed-offer model: train on N synthetic offers (target 1,000,000 in < 60 s) and score
100,000 open pathways (target < 2 s), as the service does (features built here included).

``python -m bench.risk_model_benchmark [offers] [pathways]``. The history comes from
``app.demo.offers`` on a synthetic PTL sized to give about ``offers`` offers.
"""

from __future__ import annotations

import datetime
import sys
import time

import numpy as np

from app.demo import generate_ptl
from app.demo.offers import generate_offers, known_deciles, offer_facts
from app.risk.features import OfferFacts
from app.risk.model import train

CENSUS = datetime.date(2026, 12, 1)
#: Offers per PTL row the synthetic history gives (measured: about 1.28).
OFFERS_PER_ROW = 1.28


def main(offers: int = 1_000_000, pathways: int = 100_000) -> None:
    ptl = generate_ptl(int(offers / OFFERS_PER_ROW), seed=1, census_date=CENSUS)
    history = generate_offers(ptl, census_date=CENSUS)
    facts = offer_facts(ptl, history)
    print(f"history: {len(facts):,} offers", flush=True)
    start = time.perf_counter()
    model = train(facts)
    trained = time.perf_counter() - start
    print(
        f"train (candidates compared on {model.metrics['compared_on_offers']:,} earlier offers, "
        f"chosen fitted on all {model.metrics['validation']['train_offers']:,}): {trained:.1f} s "
        f"[target < 60 s] chosen={model.metrics['chosen']} "
        f"auc={model.metrics['overall']['auc']:.3f}",
        flush=True,
    )
    open_ptl = generate_ptl(pathways, seed=2, census_date=CENSUS)
    now = np.full(pathways, np.datetime64(CENSUS, "D"))
    rng = np.random.default_rng(3)
    birth = np.asarray(open_ptl["date_of_birth"]).astype("datetime64[D]")
    scoring = OfferFacts(
        pathway_key=np.asarray(open_ptl["pathway_id"]),
        patient_key=np.asarray(open_ptl["nhs_number"]),
        offer_date=now,
        appointment_date=now + np.timedelta64(21, "D"),
        clock_start=np.asarray(open_ptl["rtt_clock_start"]).astype("datetime64[D]"),
        age_years=(now - birth).astype(np.int64) / 365.25,
        sex=np.asarray(open_ptl["sex"]),
        imd_decile=known_deciles(open_ptl),
        specialty=np.asarray(open_ptl["treatment_function_code"]),
        stage=np.asarray(open_ptl["pathway_stage"]),
        ethnic_category=np.asarray(open_ptl["ethnic_category"]),
        pathway_failures=rng.poisson(0.3, pathways),
        patient_failures=rng.poisson(0.4, pathways),
    )
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        risk = model.predict(scoring)
        best = min(best, time.perf_counter() - start)
    print(
        f"score {pathways:,} open pathways (features + predict, best of 3): {best:.2f} s "
        f"[target < 2 s] mean risk={risk.mean():.3f}",
        flush=True,
    )


if __name__ == "__main__":
    arguments = [int(value) for value in sys.argv[1:3]]
    main(*arguments)
