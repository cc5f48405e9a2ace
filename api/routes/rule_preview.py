"""Rule preview: a draft's effect on a provider's current list, and its impact simulation.

The simulation is what a clinician must have seen before a draft is published, so a preview
that shows it records that in the audit (app/rules/impact_review.py).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from api.capacity import HEAVY, HEAVY_RESPONSES
from api.deps import SessionDep, SettingsDep
from api.errors import responses
from api.routes.rules_shared import REJECTED, DraftId, RulesEditor, Specialty
from api.schemas.common import PROVIDER_CODE
from api.schemas.rules import PreviewOut
from api.schemas.simulations import SimulationOut
from app.rules import service
from app.rules.impact_preview import preview_impact
from app.rules.preview import preview_draft

router = APIRouter(prefix="/rules", tags=["rules"])


@router.post(
    "/{specialty}/drafts/{draft_id}/preview",
    response_model=PreviewOut,
    summary="Preview a draft's effect on a provider's current list",
    dependencies=HEAVY,
    responses={**responses(400, 401, 403, 404, 409), **REJECTED, **HEAVY_RESPONSES},
)
def preview_rule_draft(
    specialty: Specialty,
    draft_id: DraftId,
    principal: RulesEditor,
    session: SessionDep,
    settings: SettingsDep,
    provider: Annotated[
        str, Query(pattern=PROVIDER_CODE, description="Provider ODS code.", examples=["RZZ"])
    ],
    census_date: Annotated[date | None, Query(description="Waits counted to (today).")] = None,
    simulate: Annotated[
        bool,
        Query(
            description="Also simulate the draft's impact week by week (required once per edit "
            "before the draft can be published)."
        ),
    ] = True,
    weeks: Annotated[int, Query(ge=1, le=104, description="Simulated weeks.")] = 52,
) -> PreviewOut:
    """Ranks the open list (that specialty; for `default`, every specialty without its own
    rules) under the rules in force and with the draft, and reports who moves: per list, by
    IMD quintile and ethnic group, and the guardrail facts; with `simulate=true` (the
    default), also the equity impact simulation (docs/simulation.md), and the audit records
    that it was seen: publishing needs that record for the draft as it stands. The gap the
    simulation predicts is kept and published with the draft, for the equity trend. Changes no
    rule."""
    result = preview_draft(
        session,
        specialty,
        draft_id,
        provider_code=provider.upper(),
        census_date=census_date or date.today(),
        imd_edition=settings.imd_edition,
    )
    if not simulate:
        return PreviewOut.of(result)
    draft = service.get_draft(session, specialty, draft_id)
    impact = preview_impact(
        session,
        draft,
        actor=principal.actor,
        provider_code=result.provider_code,
        census_date=result.census_date,
        weeks=weeks,
        imd_edition=settings.imd_edition,
    )
    simulation = SimulationOut.model_validate(impact)
    return PreviewOut.of(result).model_copy(update={"simulation": simulation})
