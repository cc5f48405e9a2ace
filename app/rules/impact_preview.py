"""A draft's impact preview: simulate it, keep the gap it predicts, record that it was seen.

Why one function: the API and the rules page both preview drafts, and each preview must do
the same three things in the caller's transaction so a publication finds its prediction
(``app/rules/predictions.py``) and its review (``app/rules/impact_review.py``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.rules.impact_review import record_impact_review
from app.rules.predictions import store_prediction
from app.simulations import DRAFT, simulate_draft_run
from models.rules import RuleSetVersion


def preview_impact(
    session: Session,
    draft: RuleSetVersion,
    *,
    actor: str,
    provider_code: str,
    census_date: date,
    weeks: int,
    imd_edition: str,
) -> dict[str, Any]:
    """Simulate ``draft`` as it stands on ``provider_code``'s list; store the predicted gap
    and the ``rules.previewed`` event naming the draft, its edit and the prediction. Returns
    the JSON-ready simulation. Raises SimulationError subclasses."""
    run = simulate_draft_run(
        session,
        provider=provider_code,
        specialty=draft.specialty,
        draft_document=draft.document,
        weeks=weeks,
        imd_edition=imd_edition,
        census_date=census_date,
        draft_id=draft.id,
    )
    prediction = store_prediction(
        session,
        draft,
        run.result.treated_gaps[DRAFT],
        provider_code=provider_code,
        census_date=run.result.census_date,
        weeks=run.result.weeks,
        actor=actor,
    )
    impact = run.to_dict()
    record_impact_review(
        session,
        draft,
        actor=actor,
        provider_code=provider_code,
        census_date=census_date,
        weeks=weeks,
        impact=impact,
        prediction_id=prediction.id,
    )
    return impact
