"""The support list: open pathways likely to be offered a date soon whose offer may fail."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from api.capacity import HEAVY, HEAVY_RESPONSES
from api.deps import SessionDep, SettingsDep, require_roles
from api.errors import responses
from api.schemas.common import PROVIDER_CODE, TREATMENT_FUNCTION
from app.csv_safe import safe_cell
from app.security import Principal, Role
from app.support.rules import load_support_rules
from app.support.service import build_support_list

router = APIRouter(
    prefix="/support-list", tags=["support"], dependencies=HEAVY, responses=HEAVY_RESPONSES
)

SupportReader = Annotated[
    Principal,
    Depends(require_roles(Role.SCHEDULER, Role.EQUITY_LEAD, Role.CLINICIAN, Role.ADMIN)),
]


class SupportEntryOut(BaseModel):
    pathway_id: str
    treatment_function_code: str
    pathway_stage: str
    list_position: int
    expected_within_weeks: int
    risk: float
    factors: list[str]
    support: list[str]


class SupportListOut(BaseModel):
    """Who to support, in waiting-list order; nobody's place changes."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "provider_code": "RZZ",
                    "weeks": 4,
                    "threshold": 0.25,
                    "model_id": 2,
                    "considered": 310,
                    "lists_without_capacity": ["RZZ/502/non_admitted"],
                    "entries": [
                        {
                            "pathway_id": "RZZ001000037",
                            "treatment_function_code": "110",
                            "pathway_stage": "admitted",
                            "list_position": 12,
                            "expected_within_weeks": 2,
                            "risk": 0.41,
                            "factors": ["two earlier offers on this pathway failed"],
                            "support": ["reminder call", "transport"],
                        }
                    ],
                    "note": "Risk is not a priority factor: this list never moves anyone on "
                    "the waiting list.",
                }
            ]
        }
    )

    provider_code: str
    weeks: int
    threshold: float
    model_id: int
    considered: int
    lists_without_capacity: list[str]
    entries: list[SupportEntryOut]
    note: str = "Risk is not a priority factor: this list never moves anyone on the waiting list."


@router.get(
    "",
    response_model=SupportListOut,
    summary="Who needs support to take the date they will be offered",
    responses={
        **responses(401, 403, 409, 422),
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "JSON or CSV",
        },
    },
)
def support_list(
    _: SupportReader,
    session: SessionDep,
    settings: SettingsDep,
    provider: Annotated[str, Query(pattern=PROVIDER_CODE)],
    specialty: Annotated[str | None, Query(pattern=TREATMENT_FUNCTION)] = None,
    weeks: Annotated[int, Query(ge=1, le=26, description="Horizon in weeks")] = 4,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> SupportListOut | Response:
    """Open pathways within `weeks` of the front of their served list (by its weekly
    clock-stop capacity) whose predicted risk of a failed offer is at or above the support
    threshold, each with its main factors in plain words and the support the rules match.

    Needs an active risk model (409 otherwise). Lists with no capacity known are named in
    `lists_without_capacity` and not included. `format=csv` downloads the same rows.
    """
    rules = load_support_rules(settings.support_rules_file)
    found = build_support_list(
        session, provider.upper(), specialty=specialty, weeks=weeks, rules=rules, today=date.today()
    )
    if format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(
            ["pathway_id", "treatment_function_code", "pathway_stage", "list_position",
             "expected_within_weeks", "risk", "factors", "support"]
        )  # fmt: skip
        for entry in found.entries:
            writer.writerow(
                [safe_cell(entry.pathway_id), entry.treatment_function_code, entry.pathway_stage,
                 entry.list_position, entry.expected_within_weeks, entry.risk,
                 safe_cell("; ".join(entry.factors)), safe_cell("; ".join(entry.support))]
            )  # fmt: skip
        filename = f"support-list-{provider}-{date.today().isoformat()}.csv"
        return Response(
            buffer.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    return SupportListOut(
        provider_code=found.provider_code,
        weeks=found.weeks,
        threshold=found.threshold,
        model_id=found.model_id,
        considered=found.considered,
        lists_without_capacity=found.lists_without_capacity,
        entries=[SupportEntryOut(**asdict(entry)) for entry in found.entries],
    )
