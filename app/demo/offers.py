"""A synthetic offer history with a known failure mechanism, for the demo, tests and benchmarks.

Each open pathway of a synthetic PTL had up to :data:`MAX_OFFERS` earlier offers, spread over
its wait. Whether an offer failed (did not attend or cancelled by the patient) is drawn from a
logistic model whose coefficients are fixed here, so tests can check what a learned model
recovers:

``logit P(fail) = BASE + DEPRIVATION * (10 - decile) / 9 + PRIOR * min(earlier failures, 3)``

where ``decile`` is the patient's IMD decile (1 most deprived; unknown counts as 5) and
earlier failures are those of the same pathway. Nothing else (age, sex, ethnicity, specialty)
moves the risk, so a model that finds them important has learned noise.
"""

from __future__ import annotations

import csv
import datetime
from collections.abc import Mapping
from typing import IO, Any, Final

import numpy as np
from numpy.typing import NDArray

from app.demo.reference import imd_2019_lsoas
from app.risk.features import OfferFacts

BASE: Final = -2.6
DEPRIVATION: Final = 1.6
PRIOR: Final = 0.7
MAX_OFFERS: Final = 4
#: Days between an offer and its date: drawn uniformly from this range.
LEAD_DAYS: Final = (7, 43)
#: Attendance codes written for taken and failed offers (and the provider's cancellations).
_FAILED_CODES: Final = np.array([3, 2, 7])
_FAILED_P: Final = np.array([0.6, 0.33, 0.07])
PROVIDER_CANCELLED: Final = 0.05


def failure_probability(
    decile: NDArray[Any], earlier_failures: NDArray[Any]
) -> NDArray[np.float64]:
    """The true chance an offer fails, as the mechanism above defines it."""
    known = np.where(decile > 0, decile, 5).astype(np.float64)
    logit = BASE + DEPRIVATION * (10 - known) / 9 + PRIOR * np.minimum(earlier_failures, 3)
    return np.asarray(1.0 / (1.0 + np.exp(-logit)), dtype=np.float64)


def known_deciles(ptl: Mapping[str, NDArray[Any]]) -> NDArray[np.int64]:
    """Each pathway's IMD decile as ingestion will know it: supplied, else from its LSOA."""
    codes, deciles = imd_2019_lsoas()
    supplied = np.asarray(ptl["imd_decile"]).astype(np.int64)
    lsoa = np.asarray(ptl["lsoa_code"]).astype(str)
    order = np.argsort(codes)
    sorted_codes = codes[order]
    at = np.clip(np.searchsorted(sorted_codes, lsoa), 0, len(codes) - 1)
    found = sorted_codes[at] == lsoa
    looked_up = np.where(found, deciles[order][at], 0).astype(np.int64)
    return np.where(supplied > 0, supplied, looked_up)


def generate_offers(
    ptl: Mapping[str, NDArray[Any]], *, census_date: datetime.date, seed: int = 13
) -> dict[str, NDArray[Any]]:
    """Offers for the pathways of ``ptl`` (columns as :func:`app.demo.generate_ptl` gives).

    Returns offers columns plus ``true_probability`` (the chance the mechanism gave the offer)
    and ``pathway_index`` (the PTL row it belongs to), which are not part of the file format.
    """
    rng = np.random.default_rng(seed)
    census = np.datetime64(census_date, "D")
    start = np.asarray(ptl["rtt_clock_start"]).astype("datetime64[D]")
    decile = known_deciles(ptl)
    rows = len(start)
    wait = (census - start).astype(np.int64)
    count = np.minimum(rng.integers(1, MAX_OFFERS + 1, rows), np.maximum(wait // 60, 0))
    failures = np.zeros(rows, dtype=np.int64)
    parts: list[dict[str, NDArray[Any]]] = []
    # Offers of a pathway are made one after another across its wait: the k-th sits in the
    # k-th of ``count`` equal slices of the wait, so earlier failures precede later offers.
    for k in range(MAX_OFFERS):
        has = np.flatnonzero(count > k)
        if has.size == 0:
            break
        slice_days = wait[has] // count[has]
        lead = rng.integers(*LEAD_DAYS, has.size)
        offset = k * slice_days + rng.integers(0, np.maximum(slice_days - lead - 1, 1))
        offered = start[has] + offset.astype("timedelta64[D]")
        appointment = np.minimum(offered + lead.astype("timedelta64[D]"), census - 1)
        probability = failure_probability(decile[has], failures[has])
        failed = rng.random(has.size) < probability
        cancelled = ~failed & (rng.random(has.size) < PROVIDER_CANCELLED)
        attendance = np.where(
            failed,
            rng.choice(_FAILED_CODES, size=has.size, p=_FAILED_P),
            np.where(cancelled, 4, rng.choice([5, 6], size=has.size, p=[0.93, 0.07])),
        )
        failures[has] += failed
        parts.append(
            {
                "pathway_index": has,
                "offer_date": offered,
                "appointment_date": appointment,
                "attendance": attendance,
                "failed": failed,
                "true_probability": probability,
            }
        )
    joined = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
    order = np.argsort(joined["offer_date"], kind="stable")
    joined = {name: values[order] for name, values in joined.items()}
    index = joined["pathway_index"]
    return {
        "pathway_id": np.asarray(ptl["pathway_id"])[index],
        "provider_code": np.asarray(ptl["provider_code"])[index],
        "nhs_number": np.asarray(ptl["nhs_number"])[index],
        **joined,
    }


def write_offers_csv(out: IO[str], offers: Mapping[str, NDArray[Any]]) -> None:
    """The offers in the upload format (``docs/offers-format.md``)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "pathway_id",
            "provider_code",
            "nhs_number",
            "offer_date",
            "appointment_date",
            "attendance",
        ]
    )
    writer.writerows(
        zip(
            offers["pathway_id"].tolist(),
            offers["provider_code"].tolist(),
            [str(number) for number in offers["nhs_number"].tolist()],
            [str(day) for day in offers["offer_date"].tolist()],
            [str(day) for day in offers["appointment_date"].tolist()],
            offers["attendance"].tolist(),
            strict=True,
        )
    )


def offer_facts(ptl: Mapping[str, NDArray[Any]], offers: Mapping[str, NDArray[Any]]) -> OfferFacts:
    """The model's inputs for synthetic ``offers`` of the pathways of ``ptl``."""
    index = offers["pathway_index"]
    birth = np.asarray(ptl["date_of_birth"]).astype("datetime64[D]")[index]
    offered = offers["offer_date"].astype("datetime64[D]")
    return OfferFacts(
        pathway_key=np.asarray(ptl["pathway_id"])[index],
        patient_key=np.asarray(ptl["nhs_number"])[index],
        offer_date=offered,
        appointment_date=offers["appointment_date"].astype("datetime64[D]"),
        clock_start=np.asarray(ptl["rtt_clock_start"]).astype("datetime64[D]")[index],
        age_years=(offered - birth).astype(np.int64) / 365.25,
        sex=np.asarray(ptl["sex"])[index],
        imd_decile=known_deciles(ptl)[index],
        specialty=np.asarray(ptl["treatment_function_code"])[index],
        stage=np.asarray(ptl["pathway_stage"])[index],
        ethnic_category=np.asarray(ptl["ethnic_category"])[index],
        failed=offers["failed"].astype(np.bool_),
    )
