"""Risk models in the service: train as a job, activate and retire with a reason, audited.

A model is trained from the stored offer history joined to the PTL entries of its pathways
(:func:`history_facts`), by a background job. It is used only after an administrator
activates it, with a reason; activating one retires the model in use. Every step writes an
audit event in the same transaction as the change.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from app.audit import AuditKind, record_event
from app.errors import Conflict, NotFound, Unprocessable
from app.jobs import JobContext, enqueue, task
from app.risk.features import OfferFacts
from app.risk.model import Estimator, EthnicityGovernance, TrainedModel, TrainingError, load, train
from models import Offer, PtlEntry, RiskModel
from models.base import utcnow

TRAIN_TASK = "risk.train_model"


class ModelStateConflict(Conflict):
    """The model is not in a state that allows this step (409)."""

    problem = "risk-model-state"


class TrainingRefused(Unprocessable):
    """The history or the request cannot give a model (422)."""

    problem = "risk-model-training-refused"


def _day(column: Any) -> Any:
    """A date column read as ISO text: numpy parses it in C, skipping a Python date per cell."""
    return cast(column, String)


def history_facts(session: Session, provider_code: str | None = None) -> OfferFacts:
    """Every stored offer whose pathway is on a PTL, with that pathway's patient facts.

    Read through the Core (plain tuples, dates as text) rather than ORM rows: at a million
    offers the ORM's per-row objects and per-cell date parsing took longer than the training.
    """
    query = select(
        Offer.provider_code,
        Offer.pathway_id,
        Offer.nhs_number,
        _day(Offer.offer_date),
        _day(Offer.appointment_date),
        Offer.failed,
        _day(PtlEntry.rtt_clock_start),
        _day(PtlEntry.date_of_birth),
        PtlEntry.sex,
        PtlEntry.imd_decile,
        PtlEntry.treatment_function_code,
        PtlEntry.pathway_stage,
        PtlEntry.ethnic_category,
    ).join(
        PtlEntry,
        (PtlEntry.provider_code == Offer.provider_code) & (PtlEntry.pathway_id == Offer.pathway_id),
    )
    if provider_code is not None:
        query = query.where(Offer.provider_code == provider_code)
    rows = session.connection().execute(query).all()
    columns = list(zip(*rows, strict=True)) if rows else [()] * 13
    del rows
    offered = np.array(columns[3], dtype="datetime64[D]")
    birth = np.array(columns[7], dtype="datetime64[D]")
    birth[np.isnat(birth)] = np.datetime64("1970-01-01")
    return OfferFacts(
        pathway_key=np.char.add(np.array(columns[0], dtype=str), np.array(columns[1], dtype=str)),
        patient_key=np.array(columns[2], dtype=str),
        offer_date=offered,
        appointment_date=np.array(columns[4], dtype="datetime64[D]"),
        clock_start=np.array(columns[6], dtype="datetime64[D]"),
        age_years=(offered - birth).astype(np.int64) / 365.25,
        sex=np.array([value or "X" for value in columns[8]], dtype=str),
        imd_decile=np.array([value or 0 for value in columns[9]], dtype=np.int64),
        specialty=np.array(columns[10], dtype=str),
        stage=np.array(columns[11], dtype=str),
        ethnic_category=np.array(columns[12], dtype=str),
        failed=np.array(columns[5], dtype=np.bool_),
    )


def request_training(
    session: Session,
    *,
    actor: str,
    provider_code: str | None = None,
    threshold: float,
    ethnicity: EthnicityGovernance | None = None,
) -> RiskModel:
    """Record a model to train and queue its job (in the caller's transaction)."""
    if ethnicity is not None:
        try:
            ethnicity.check(date.today())
        except TrainingError as exc:
            raise TrainingRefused(str(exc)) from None
    model = RiskModel(
        state="training",
        requested_by=actor,
        requested_at=utcnow(),
        provider_code=provider_code,
        threshold=threshold,
        offers=0,
        ethnicity_governance=ethnicity.as_dict() if ethnicity is not None else None,
    )
    session.add(model)
    session.flush()
    model.job_id = enqueue(
        session, TRAIN_TASK, {"model_id": model.id}, actor=actor, reason="training"
    )
    record_event(
        session,
        actor,
        AuditKind.RISK_MODEL_TRAINING_REQUESTED,
        subject_type="risk_model",
        subject_id=model.id,
        provider_code=provider_code,
        details={
            "threshold": threshold,
            "ethnicity_feature": ethnicity is not None,
            "ethnicity_governance": model.ethnicity_governance,
            "job_id": model.job_id,
        },
    )
    return model


@task(TRAIN_TASK)
def train_model(context: JobContext, args: dict[str, Any]) -> dict[str, Any]:
    """Train the requested model from the history as it stands now, and store it."""
    model_id = int(args["model_id"])
    with context.session() as session:
        model = session.get(RiskModel, model_id)
        if model is None or model.state != "training":
            return {"model_id": model_id, "detail": "nothing to train"}
        facts = history_facts(session, model.provider_code)
        governance = model.ethnicity_governance
        threshold = float(model.threshold or 0.25)
    context.progress("training", 0, len(facts))
    ethnicity = (
        EthnicityGovernance(
            governance["evidence_reference"],
            governance["approved_by"],
            date.fromisoformat(governance["review_date"]),
        )
        if governance
        else None
    )
    try:
        trained: TrainedModel | None = train(facts, ethnicity=ethnicity, threshold=threshold)
        error = None
    except TrainingError as exc:
        trained, error = None, str(exc)
    with context.session() as session, session.begin():
        model = session.get(RiskModel, model_id)
        assert model is not None
        model.trained_at = utcnow()
        model.offers = len(facts)
        if trained is None:
            model.state, model.error = "failed", error
        else:
            model.state = "trained"
            model.estimator = trained.estimator_name
            model.features = trained.spec.as_dict()
            model.metrics = trained.metrics
            model.blob = trained.dumps()
            start, end = trained.metrics["window"]
            model.window_start, model.window_end = (
                date.fromisoformat(start),
                date.fromisoformat(end),
            )
        record_event(
            session,
            context.requested_by,
            AuditKind.RISK_MODEL_TRAINED,
            subject_type="risk_model",
            subject_id=model_id,
            provider_code=model.provider_code,
            details={
                "state": model.state,
                "offers": model.offers,
                "estimator": model.estimator,
                "error": error,
                "auc": trained.metrics["overall"]["auc"] if trained else None,
                "brier": trained.metrics["overall"]["brier"] if trained else None,
                "flagged_groups": trained.metrics["flagged_groups"] if trained else [],
            },
        )
    return {"model_id": model_id, "state": "trained" if trained else "failed", "error": error}


def get_model(session: Session, model_id: int) -> RiskModel:
    model = session.get(RiskModel, model_id)
    if model is None:
        raise NotFound(f"risk model {model_id} not found")
    return model


def activate(session: Session, model_id: int, *, actor: str, reason: str) -> RiskModel:
    """Put a trained model in use (the one in use, if any, is retired); audited."""
    model = get_model(session, model_id)
    if model.state != "trained":
        raise ModelStateConflict(
            f"risk model {model_id} is {model.state}: only a trained model can be activated"
        )
    for current in session.scalars(select(RiskModel).where(RiskModel.state == "active")):
        retire(session, current.id, actor=actor, reason=f"replaced by risk model {model_id}")
    model.state = "active"
    model.activated_by, model.activated_at, model.activation_reason = actor, utcnow(), reason
    session.flush()
    record_event(
        session,
        actor,
        AuditKind.RISK_MODEL_ACTIVATED,
        subject_type="risk_model",
        subject_id=model_id,
        provider_code=model.provider_code,
        details={"reason": reason},
    )
    return model


def retire(session: Session, model_id: int, *, actor: str, reason: str) -> RiskModel:
    """Take a model out of use for good (active or trained); audited."""
    model = get_model(session, model_id)
    if model.state not in {"active", "trained"}:
        raise ModelStateConflict(
            f"risk model {model_id} is {model.state}: only a trained or active model can be retired"
        )
    was = model.state
    model.state = "retired"
    model.retired_by, model.retired_at, model.retirement_reason = actor, utcnow(), reason
    session.flush()
    record_event(
        session,
        actor,
        AuditKind.RISK_MODEL_RETIRED,
        subject_type="risk_model",
        subject_id=model_id,
        provider_code=model.provider_code,
        details={"reason": reason, "was": was},
    )
    return model


def active_model(session: Session) -> TrainedModel | None:
    """The model in use (activated and not retired), or None: then nothing is predicted."""
    model = session.scalar(select(RiskModel).where(RiskModel.state == "active"))
    if model is None or model.blob is None or model.features is None or model.metrics is None:
        return None
    estimator: Estimator = "logistic" if model.estimator == "logistic" else "gradient_boosting"
    return load(estimator, model.blob, model.features, model.metrics)
