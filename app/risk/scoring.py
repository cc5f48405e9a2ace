"""Score open pathways with a risk model: each as an offer made today, with its failures so far.

Why one place: the support list and the simulation both ask "how likely is this pathway's
next offer to fail?", and must ask it the same way (the same lead time, the same counting of
earlier failures, only offers whose date has passed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.risk.features import OfferFacts
from app.risk.model import TrainedModel
from app.risk.service import active_model
from models import Offer, RiskModel

#: Pathways looked up per query (bounded IN lists).
IN_CHUNK = 5_000


@dataclass(frozen=True)
class ActiveModel:
    """The model in use and its id (for the record of which model a result used)."""

    model_id: int
    model: TrainedModel


def model_in_use(session: Session) -> ActiveModel | None:
    """The active model, or None when none is active (a retired model is never returned)."""
    model = active_model(session)
    model_id = session.scalar(select(RiskModel.id).where(RiskModel.state == "active"))
    if model is None or model_id is None:
        return None
    return ActiveModel(model_id, model)


def failures_so_far(
    session: Session,
    provider_code: str,
    pathway_ids: list[str],
    nhs_numbers: list[str],
    today: date,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Failed offers so far (their date passed before ``today``) of each pathway (of the
    provider) and of each patient (any pathway), aligned with the given lists."""
    failed = (Offer.failed.is_(True)) & (Offer.appointment_date < today)
    by_pathway: dict[str, int] = {}
    by_patient: dict[str, int] = {}
    for start in range(0, len(pathway_ids), IN_CHUNK):
        ids, nhs = pathway_ids[start : start + IN_CHUNK], nhs_numbers[start : start + IN_CHUNK]
        for key, count in session.execute(
            select(Offer.pathway_id, func.count())
            .where(failed, Offer.provider_code == provider_code, Offer.pathway_id.in_(ids))
            .group_by(Offer.pathway_id)
        ).all():
            by_pathway[key] = int(count)
        for key, count in session.execute(
            select(Offer.nhs_number, func.count())
            .where(failed, Offer.nhs_number.in_(sorted(set(nhs))))
            .group_by(Offer.nhs_number)
        ).all():
            by_patient[key] = int(count)
    return (
        np.array([by_pathway.get(p, 0) for p in pathway_ids], dtype=np.int64),
        np.array([by_patient.get(n, 0) for n in nhs_numbers], dtype=np.int64),
    )


def offers_made_today(
    session: Session,
    *,
    provider_code: str,
    columns: dict[str, Any],
    today: date,
    lead_days: int,
) -> OfferFacts:
    """Open pathways (``columns``: ``pathway_id``, ``nhs_number``, ``rtt_clock_start``,
    ``date_of_birth``, ``sex``, ``imd_decile``, ``treatment_function_code``,
    ``pathway_stage``, ``ethnic_category``, one value per pathway) as offers made today for
    a date ``lead_days`` ahead, with their earlier failures counted from the offer history."""
    pathway_ids = [str(p) for p in columns["pathway_id"]]
    numbers = [str(n) for n in columns["nhs_number"]]
    by_pathway, by_patient = failures_so_far(session, provider_code, pathway_ids, numbers, today)
    size = len(pathway_ids)
    now = np.full(size, np.datetime64(today, "D"))
    birth = np.array(
        [day or date(1970, 1, 1) for day in columns["date_of_birth"]], dtype="datetime64[D]"
    ).reshape(size)
    return OfferFacts(
        pathway_key=np.array(pathway_ids, dtype=str),
        patient_key=np.array(numbers, dtype=str),
        offer_date=now,
        appointment_date=now + np.timedelta64(lead_days, "D"),
        clock_start=np.asarray(columns["rtt_clock_start"], dtype="datetime64[D]").reshape(size),
        age_years=(now - birth).astype(np.int64) / 365.25,
        sex=np.array([value or "X" for value in columns["sex"]], dtype=str).reshape(size),
        imd_decile=np.array(
            [int(value or 0) for value in columns["imd_decile"]], dtype=np.int64
        ).reshape(size),
        specialty=np.array(columns["treatment_function_code"], dtype=str).reshape(size),
        stage=np.array(columns["pathway_stage"], dtype=str).reshape(size),
        ethnic_category=np.array(
            [value or "" for value in columns["ethnic_category"]], dtype=str
        ).reshape(size),
        pathway_failures=by_pathway,
        patient_failures=by_patient,
    )
