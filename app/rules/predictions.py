"""Predicted gaps of rule versions: stored by a preview or a calibration, adopted when the
version is published (plain functions, no commits).

Why keyed to the draft's edit: publication requires a preview of the draft as it stands
(``app/rules/impact_review.py``), so a publication adopts, per provider simulated, a
prediction for the very edit it publishes. A calibration's prediction describes its draft's
first edit and is preferred while the draft is unedited: it is the evidence the weights were
chosen on, pooled over its seeds with the capacity the clinician gave. Otherwise the latest
preview's. Docs: docs/calibration.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.predictions import FROM_CALIBRATION, FROM_PREVIEW, GapPrediction
from models.rules import PUBLISHED, RuleSetVersion
from prioritisation.treated_gaps import CellKey, GapSums, cells_to_json


def store_prediction(
    session: Session,
    draft: RuleSetVersion,
    cells: Mapping[CellKey, GapSums],
    *,
    provider_code: str,
    census_date: date,
    weeks: int,
    actor: str,
    calibration_id: int | None = None,
    seeds: int = 1,
) -> GapPrediction:
    """Keep what the simulation of ``draft`` (as it stands now) predicted for the gap."""
    row = GapPrediction(
        rule_set_version_id=draft.id,
        lock_version=draft.lock_version,
        provider_code=provider_code,
        source=FROM_PREVIEW if calibration_id is None else FROM_CALIBRATION,
        calibration_id=calibration_id,
        census_date=census_date,
        weeks=weeks,
        seeds=seeds,
        cells=cells_to_json(cells),
        created_by=actor,
    )
    session.add(row)
    session.flush()
    return row


def adopt_predictions(
    session: Session, version: RuleSetVersion, moment: datetime
) -> list[GapPrediction]:
    """Mark, per provider, the prediction ``version``'s current edit is published with: its
    calibration's, else the latest preview's; none when it was neither at that edit."""
    rows = session.scalars(
        select(GapPrediction)
        .where(
            GapPrediction.rule_set_version_id == version.id,
            GapPrediction.lock_version == version.lock_version,
        )
        .order_by(GapPrediction.id.desc())
    )
    adopted: dict[str, GapPrediction] = {}
    for row in sorted(rows, key=lambda r: r.source != FROM_CALIBRATION):
        adopted.setdefault(row.provider_code, row)
    for row in adopted.values():
        row.published_at = moment
    session.flush()
    return sorted(adopted.values(), key=lambda r: r.provider_code)


def published_predictions(
    session: Session, provider_code: str
) -> list[tuple[GapPrediction, RuleSetVersion]]:
    """The predictions published versions carry for ``provider_code``, oldest effect first."""
    query = (
        select(GapPrediction, RuleSetVersion)
        .join(RuleSetVersion, RuleSetVersion.id == GapPrediction.rule_set_version_id)
        .where(
            GapPrediction.provider_code == provider_code,
            GapPrediction.published_at.is_not(None),
            RuleSetVersion.status == PUBLISHED,
        )
        .order_by(RuleSetVersion.effective_from, RuleSetVersion.id)
    )
    return [(prediction, version) for prediction, version in session.execute(query).all()]
