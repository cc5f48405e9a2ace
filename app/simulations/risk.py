"""Each open pathway's chance of a failed offer from the active risk model, for the simulation.

Why in the service: the model, its features and the offer history live in the database; the
simulation core only takes an array of probabilities. With no active model (none trained,
none activated, or the last one retired) nothing is scored and the simulation uses its group
chances; the result says which (``risk_model``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.risk.scoring import IN_CHUNK, model_in_use, offers_made_today
from models import PtlEntry
from prioritisation import PtlArrays

PATIENT_COLUMNS = ("pathway_id", "nhs_number", "date_of_birth", "sex", "ethnic_category")


@dataclass(frozen=True, slots=True)
class ModelScores:
    """The probabilities (None: group chances) and what the result says about them."""

    probabilities: NDArray[np.float64] | None
    record: dict[str, Any]


def model_scores(
    session: Session, arrays: PtlArrays, provider_code: str, today: date, lead_days: int
) -> ModelScores:
    """The active model's probability that each entry's next offer fails, as if offered on
    ``today`` for a date ``lead_days`` ahead (the support rules' lead time)."""
    in_use = model_in_use(session)
    if in_use is None:
        return ModelScores(
            None,
            {
                "used": False,
                "model_id": None,
                "reason": "no risk model is active: the group chances of the offer model apply",
            },
        )
    pathway_ids = [str(p) for p in np.asarray(arrays.pathway_id).tolist()]
    found: dict[str, tuple[Any, ...]] = {}
    columns = [getattr(PtlEntry, name) for name in PATIENT_COLUMNS]
    for start in range(0, len(pathway_ids), IN_CHUNK):
        chunk = pathway_ids[start : start + IN_CHUNK]
        for row in session.execute(
            select(*columns).where(
                PtlEntry.provider_code == provider_code, PtlEntry.pathway_id.in_(chunk)
            )
        ).all():
            found[row[0]] = tuple(row)
    rows = [found.get(p, (p, "", None, None, "")) for p in pathway_ids]
    facts = offers_made_today(
        session,
        provider_code=provider_code,
        columns={
            **{name: [row[i] for row in rows] for i, name in enumerate(PATIENT_COLUMNS)},
            "rtt_clock_start": np.asarray(arrays.rtt_clock_start, dtype="datetime64[D]"),
            "imd_decile": np.asarray(arrays.imd_decile, dtype=np.int64).tolist(),
            "treatment_function_code": np.asarray(arrays.treatment_function_code),
            "pathway_stage": np.asarray(arrays.pathway_stage),
        },
        today=today,
        lead_days=lead_days,
    )
    probabilities = np.clip(in_use.model.predict(facts), 0.0, 1.0)
    return ModelScores(
        probabilities,
        {
            "used": True,
            "model_id": in_use.model_id,
            "reason": f"risk model {in_use.model_id} is active: each pathway's predicted "
            "chance that its next offer fails replaces the group deferral chance",
            "mean_probability": round(float(probabilities.mean()), 4) if len(facts) else None,
        },
    )
