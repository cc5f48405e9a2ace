"""Build the support list from the served ranking, the list's capacity and the active model.

Who is "likely to be offered a date within N weeks": an open pathway whose place on its served
list is within N weeks of the list's weekly capacity (the clock-stop capacity its ranking run
stored). Each is scored by the active risk model as if offered a date today with the rules'
assumed lead time; those at or above the threshold are listed **in waiting-list order**, with
the factors that raise their risk most in plain words and the support the rules match.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict
from app.risk.features import AGE_BANDS, OfferFacts, age_band, build_matrix
from app.risk.model import TrainedModel
from app.risk.scoring import offers_made_today
from app.risk.service import active_model
from app.support.rules import SupportRules
from models import PtlEntry, RankingList, RankingResult, RankingRun

#: The smallest rise in risk a factor must explain to be named.
FACTOR_MIN_EFFECT = 0.01
FACTORS_SHOWN = 3


class NoActiveModel(Conflict):
    """No risk model is in use: an administrator must activate one first (409)."""

    problem = "no-active-risk-model"


@dataclass
class SupportEntry:
    pathway_id: str
    treatment_function_code: str
    pathway_stage: str
    list_position: int
    expected_within_weeks: int
    risk: float
    factors: list[str]
    support: list[str]


@dataclass
class SupportList:
    provider_code: str
    weeks: int
    threshold: float
    model_id: int
    considered: int
    entries: list[SupportEntry] = field(default_factory=list)
    lists_without_capacity: list[str] = field(default_factory=list)


def build_support_list(
    session: Session,
    provider_code: str,
    *,
    specialty: str | None,
    weeks: int,
    rules: SupportRules,
    today: date,
) -> SupportList:
    """The support list of one provider (optionally one specialty); never reorders anyone."""
    model, model_id = _model(session)
    query = select(RankingList, RankingRun).join(RankingRun, RankingRun.id == RankingList.run_id)
    query = query.where(RankingList.provider_code == provider_code)
    if specialty is not None:
        query = query.where(RankingList.treatment_function_code == specialty)
    chosen: list[tuple[RankingResult, PtlEntry, float]] = []
    missing: list[str] = []
    for ranked_list, run in session.execute(query).all():
        key = f"{ranked_list.treatment_function_code}/{ranked_list.pathway_stage}"
        weekly = sum((run.capacity or {}).get(key, {}).values())
        if weekly <= 0:
            missing.append(key)
            continue
        reach = math.floor(weeks * weekly)
        rows = session.execute(
            select(RankingResult, PtlEntry)
            .join(PtlEntry, PtlEntry.id == RankingResult.entry_id)
            .where(
                RankingResult.run_id == run.id,
                RankingResult.treatment_function_code == ranked_list.treatment_function_code,
                RankingResult.pathway_stage == ranked_list.pathway_stage,
                RankingResult.list_position <= reach,
                PtlEntry.is_open.is_(True),
            )
            .order_by(RankingResult.list_position)
        ).all()
        chosen += [(result, entry, weekly) for result, entry in rows]
    outcome = SupportList(provider_code, weeks, rules.threshold, model_id, len(chosen))
    outcome.lists_without_capacity = sorted(missing)
    if not chosen:
        return outcome
    entries = [entry for _, entry, _ in chosen]
    facts = _open_facts(session, entries, today, rules.lead_days)
    risk = model.predict(facts)
    keep = np.flatnonzero(risk >= rules.threshold)
    factors = _factors(model, facts, risk, keep)
    for position, index in enumerate(keep.tolist()):
        result, entry, weekly = chosen[index]
        groups = set(filter(None, (entry.inclusion_groups or "").split(";")))
        decile = int(entry.imd_decile or 0)
        value = float(risk[index])
        outcome.entries.append(
            SupportEntry(
                pathway_id=entry.pathway_id,
                treatment_function_code=entry.treatment_function_code,
                pathway_stage=entry.pathway_stage,
                list_position=result.list_position,
                expected_within_weeks=max(1, math.ceil(result.list_position / weekly)),
                risk=round(value, 4),
                factors=factors[position],
                support=rules.supports(
                    groups=groups, decile=decile, stage=entry.pathway_stage, risk=value
                ),
            )
        )
    outcome.entries.sort(
        key=lambda e: (e.treatment_function_code, e.pathway_stage, e.list_position)
    )
    return outcome


def _model(session: Session) -> tuple[TrainedModel, int]:
    from models import RiskModel

    model = active_model(session)
    model_id = session.scalar(select(RiskModel.id).where(RiskModel.state == "active"))
    if model is None or model_id is None:
        raise NoActiveModel(
            "no risk model is in use: train one (POST /api/v1/risk-models) and activate it"
        )
    return model, model_id


def _open_facts(
    session: Session, entries: list[PtlEntry], today: date, lead_days: int
) -> OfferFacts:
    """Each open pathway as an offer made today, with its failures known so far."""
    names = (
        "pathway_id", "nhs_number", "rtt_clock_start", "date_of_birth", "sex", "imd_decile",
        "treatment_function_code", "pathway_stage", "ethnic_category",
    )  # fmt: skip
    columns = {name: [getattr(entry, name) for entry in entries] for name in names}
    return offers_made_today(
        session,
        provider_code=entries[0].provider_code,
        columns=columns,
        today=today,
        lead_days=lead_days,
    )


def _factors(
    model: TrainedModel, facts: OfferFacts, risk: npt.NDArray[np.float64], rows: npt.NDArray[Any]
) -> list[list[str]]:
    """The factors that raise each listed patient's risk most, in plain words.

    Model-agnostic: each factor is set to a neutral value (average deprivation, no earlier
    failures, an 18-week wait, age 40-64) and the fall in predicted risk is its effect.
    """
    if rows.size == 0:
        return []
    names = model.spec.names
    matrix = build_matrix(facts, model.spec)[rows]
    base = risk[rows]
    pathway = facts.pathway_failures[rows] if facts.pathway_failures is not None else None
    patient = facts.patient_failures[rows] if facts.patient_failures is not None else None
    decile = facts.imd_decile[rows]
    waited = ((facts.offer_date - facts.clock_start)[rows].astype(np.int64) // 7).astype(np.int64)
    bands = age_band(facts.age_years[rows])
    neutral: dict[str, dict[str, float]] = {
        "deprivation": {"deprivation": 0.5, "imd_unknown": 0.0},
        "pathway": {"pathway_earlier_failures": 0.0},
        "patient": {"patient_earlier_failures": 0.0},
        "wait": {"wait_weeks": 18.0},
        "age": {f"age_band={label}": float(label == "40-64") for _, label in AGE_BANDS},
    }
    effects: dict[str, npt.NDArray[np.float64]] = {}
    for factor, values in neutral.items():
        changed = matrix.copy()
        for name, value in values.items():
            changed[:, names.index(name)] = value
        effects[factor] = base - model.estimator.predict_proba(changed)[:, 1]
    words: list[list[str]] = []
    for i in range(rows.size):
        ranked = sorted(effects, key=lambda factor: -effects[factor][i])
        said: list[str] = []
        for factor in ranked[:FACTORS_SHOWN]:
            if effects[factor][i] < FACTOR_MIN_EFFECT:
                break
            said.append(
                _words(
                    factor,
                    i,
                    pathway=pathway,
                    patient=patient,
                    decile=decile,
                    waited=waited,
                    bands=bands,
                )
            )
        words.append(said)
    return words


def _words(factor: str, i: int, **values: Any) -> str:
    if factor == "deprivation":
        decile = int(values["decile"][i])
        if decile == 0:
            return "no deprivation score is known for the address"
        return f"lives in a more deprived area (IMD decile {decile} of 10)"
    if factor == "pathway":
        count = int(values["pathway"][i])
        return f"{count} earlier offer{'s' if count != 1 else ''} on this pathway not taken"
    if factor == "patient":
        count = int(values["patient"][i])
        return f"{count} offer{'s' if count != 1 else ''} not taken across all their care here"
    if factor == "wait":
        return f"has waited {int(values['waited'][i])} weeks"
    return f"age group {values['bands'][i]}"
