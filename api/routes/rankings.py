"""Rankings resource: runs, the stored ranked list (JSON or CSV), overrides and rationales.

The ranked list is read from the stored snapshots only; nothing is rescored on read.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Response, status
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.capacity import HEAVY, HEAVY_RESPONSES
from api.deps import AnyReader, SessionDep, SettingsDep, get_engine, require_roles
from api.errors import responses
from api.pagination import CursorCodec, CursorQuery, Cursors, InvalidCursor, LimitQuery, Page
from api.schemas.common import PROVIDER_CODE, TREATMENT_FUNCTION, RowId, RowIdPath
from api.schemas.rankings import (
    ListFreshnessOut,
    OverrideCreate,
    OverrideOut,
    OverrideRevoke,
    RankedPage,
    RationaleOut,
    RunOut,
    RunRequest,
    Stage,
)
from app import rankings
from app.database import session_factory
from app.privacy import record_identifying_export
from app.rankings.lists import ListFreshness, list_freshness
from app.rankings.overrides import queued_ranking
from app.rankings.ranked import ListKey
from app.rankings.views import (
    STALE_HEADER,
    csv_chunks,
    csv_filename,
    freshness_record,
    ranked_records,
    rationale_record,
)
from app.security import Principal, Role
from models.base import as_utc

router = APIRouter(tags=["rankings"])

Runner = Annotated[Principal, Depends(require_roles(Role.SCHEDULER, Role.CLINICIAN, Role.ADMIN))]
OverrideEditor = Annotated[Principal, Depends(require_roles(Role.CLINICIAN, Role.ADMIN))]
RationaleReader = Annotated[
    Principal, Depends(require_roles(Role.AUDITOR, Role.CLINICIAN, Role.ADMIN))
]
ProviderQuery = Annotated[
    str, Query(pattern=PROVIDER_CODE, description="Provider ODS code.", examples=["RZZ"])
]
PathwayPath = Annotated[str, Path(min_length=1, max_length=20, description="Pathway id.")]


@router.post(
    "/rankings",
    status_code=status.HTTP_201_CREATED,
    response_model=RunOut,
    summary="Rank a provider's open PTL now",
    dependencies=HEAVY,
    responses={**responses(401, 403, 404, 422), **HEAVY_RESPONSES},
)
def create_ranking_run(
    body: RunRequest,
    principal: Runner,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> RunOut:
    """Score the open PTL with the rules and overrides in force and store the snapshot.

    Uploads start a run by themselves; this is for re-ranking on demand (new rules, new
    overrides, a new day). 404 when the provider has nothing open to rank.
    """
    census = body.census_date or date.today()
    if census > date.today():
        raise rankings.Invalid("census_date cannot be in the future")
    run = rankings.run_ranking(
        session,
        body.provider.upper(),
        actor=principal.actor,
        trigger="manual",
        census_date=census,
        specialties=body.specialties,
        imd_edition=settings.imd_edition,
    )
    response.headers["Location"] = f"/api/v1/rankings/{run.id}"
    return RunOut.model_validate(run)


@router.get(
    "/rankings",
    response_model=Page[RunOut],
    summary="Ranking runs, newest first",
    responses=responses(400, 401, 403),
)
def list_ranking_runs(
    _: AnyReader,
    session: SessionDep,
    cursors: Cursors,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    provider: Annotated[
        str | None, Query(pattern=PROVIDER_CODE, description="Provider ODS code.")
    ] = None,
    upload_batch_id: Annotated[
        RowId | None, Query(description="Only the runs an upload batch started.")
    ] = None,
) -> Page[RunOut]:
    after = cursors.decode(cursor, int)
    runs = rankings.list_runs(
        session,
        provider_code=provider.upper() if provider else None,
        limit=limit,
        before_id=after,
        upload_batch_id=upload_batch_id,
    )
    more = len(runs) > limit
    runs = runs[:limit]
    return Page(
        items=[RunOut.model_validate(run) for run in runs],
        next_cursor=cursors.encode(runs[-1].id) if more else None,
    )


@router.get(
    "/rankings/{run_id}",
    response_model=RunOut,
    summary="One ranking run",
    responses=responses(401, 403, 404),
)
def get_ranking_run(run_id: RowIdPath, _: AnyReader, session: SessionDep) -> RunOut:
    return RunOut.model_validate(rankings.get_run(session, run_id))


def _pinned_cursor(cursors: CursorCodec, cursor: str | None) -> tuple[list[int], ListKey] | None:
    """The runs a ranked-list cursor pinned and the list key it resumes after."""
    decoded = cursors.decode(cursor, tuple[list[int], str, str, int])
    if decoded is None:
        return None
    run_ids, specialty, stage, position = decoded
    if not run_ids:
        raise InvalidCursor()
    return run_ids, (specialty, stage, position)


def _csv_stream(
    engine: Engine,
    served: rankings.ServedRuns,
    filters: rankings.RankedFilters,
    principal: Principal,
    freshness: dict[tuple[str, str], ListFreshness],
) -> Iterator[str]:
    """The CSV download, read with its own session while the response streams."""
    with session_factory(engine)() as session:
        yield from csv_chunks(session, served, filters, principal, freshness=freshness)


def _freshness(
    session: Session, served: rankings.ServedRuns, filters: rankings.RankedFilters
) -> dict[tuple[str, str], ListFreshness]:
    """Freshness of the lists a request reads (each list now, whatever run it reads)."""
    keys = [segment.key for segment in served.segments(filters.specialty, filters.stage)]
    found = list_freshness(session, served.provider_code, lists=keys)
    return {(f.specialty, f.stage): f for f in found}


@router.get(
    "/ptl/ranked",
    response_model=RankedPage,
    summary="The ranked PTL: each list from the latest run that ranked it",
    responses={
        **responses(400, 401, 403, 404, 422),
        200: {
            "description": "A page of the ranked list (JSON), or with `format=csv` every "
            "matching row as a CSV attachment.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
    },
)
def list_ranked_entries(
    principal: AnyReader,
    session: SessionDep,
    cursors: Cursors,
    engine: Annotated[Engine, Depends(get_engine)],
    response: Response,
    provider: Annotated[
        str | None,
        Query(
            pattern=PROVIDER_CODE,
            description="Provider ODS code; optional when only one provider is ranked.",
        ),
    ] = None,
    specialty: Annotated[
        str | None, Query(pattern=TREATMENT_FUNCTION, description="Treatment function code.")
    ] = None,
    stage: Annotated[Stage | None, Query(description="Pathway stage.")] = None,
    priority: Annotated[
        str | None,
        Query(max_length=10, description="Priority code, e.g. `P2` (case-insensitive)."),
    ] = None,
    site: Annotated[
        str | None,
        Query(max_length=20, description="Site code of treatment (case-insensitive)."),
    ] = None,
    run_id: Annotated[
        RowId | None, Query(description="Read only this run instead of the latest per list.")
    ] = None,
    include_parked: Annotated[
        bool, Query(description="List parked entries (rank 0) after each list's ranked ones.")
    ] = False,
    format: Annotated[Literal["json", "csv"], Query(description="`csv` downloads all.")] = "json",
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> Any:
    """Entries in list order (specialty, stage, rank) from stored runs, never rescored.

    Each list (provider + specialty + stage) comes from the latest completed run that ranked
    it, so a run limited to some specialties replaces only those lists; every row names its
    `run_id`. A cursor pins the runs its walk started on, so every page comes from the same
    snapshots even if a new run lands meanwhile.
    """
    resume = _pinned_cursor(cursors, cursor)
    pinned, after = resume if resume is not None else (None, None)
    served = rankings.resolve_served(
        session,
        provider_code=provider.upper() if provider else None,
        specialty=specialty,
        run_id=run_id,
        pinned=pinned,
    )
    code = rankings.priority_code(session, priority) if priority else None
    filters = rankings.RankedFilters(
        specialty, stage, code, site.strip().upper() if site else None, include_parked
    )
    exported = {
        "format": format,
        "run_ids": served.run_ids,
        "specialty": specialty,
        "stage": stage,
        "priority": code,
        "include_parked": include_parked,
    }
    freshness = _freshness(session, served, filters)
    stale = any(f.stale for f in freshness.values())
    if format == "csv":
        record_identifying_export(
            session, principal, "ranked_list", rows=None, provider_code=served.provider_code,
            details=exported,
        )  # fmt: skip
        session.commit()  # as for a page: the chain's head is not held while the stream starts
        return StreamingResponse(
            _csv_stream(engine, served, filters, principal, freshness),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{csv_filename(served)}"',
                STALE_HEADER: "true" if stale else "false",
            },
        )
    rows, next_key = rankings.ranked_page(session, served, filters, after=after, limit=limit)
    names = rankings.specialty_names(session, (row.treatment_function_code for row in rows))
    response.headers[STALE_HEADER] = "true" if stale else "false"
    page = RankedPage.model_validate(  # the whole page in one validation, not one per row
        {
            "items": ranked_records(rows, principal, names),
            "next_cursor": cursors.encode([served.run_ids, *next_key]) if next_key else None,
            "stale": stale,
            "freshness": [freshness_record(f) for f in freshness.values()],
        }
    )
    # Last, and committed here: the audit chain's head is locked from this append to its
    # commit only, not while the page is built nor while the request waits for the event loop
    # to run the session's own commit. A failed commit still fails the request.
    record_identifying_export(
        session, principal, "ranked_list", rows=len(rows), provider_code=served.provider_code,
        details=exported,
    )  # fmt: skip
    session.commit()
    return page


@router.post(
    "/ptl/entries/{pathway_id}/overrides",
    status_code=status.HTTP_201_CREATED,
    response_model=OverrideOut,
    summary="Override one entry's place (takes effect at the next run)",
    responses=responses(401, 403, 404, 409, 422),
)
def create_override(
    pathway_id: PathwayPath,
    body: OverrideCreate,
    provider: ProviderQuery,
    principal: OverrideEditor,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    rerank: Annotated[bool, Query(description="Also rank the provider now.")] = False,
) -> OverrideOut:
    """Pin ahead, hold back or adjust the uplift of an open entry, with a reason and expiry.

    The entry's list is re-ranked in the background (`ranking_job_id`), and again when the
    override expires. One active override per pathway (409 otherwise: revoke the old one
    first).
    """
    override = rankings.create_override(
        session,
        provider.upper(),
        pathway_id,
        kind=body.kind,
        days=body.days,
        reason=body.reason,
        expires_at=body.expires_at,
        actor=principal.actor,
    )
    run = None
    if rerank:
        run = rankings.run_ranking(
            session,
            override.provider_code,
            actor=principal.actor,
            trigger="manual",
            census_date=date.today(),
            imd_edition=settings.imd_edition,
        )
    response.headers["Location"] = (
        f"/api/v1/ptl/entries/{quote(override.pathway_id, safe='')}/overrides"
        f"?provider={override.provider_code}"
    )
    out = OverrideOut.model_validate(override)
    out.ranking_run_id = run.id if run else None
    out.ranking_job_id = queued_ranking(session, override)
    return out


@router.get(
    "/ptl/entries/{pathway_id}/overrides",
    response_model=Page[OverrideOut],
    summary="Overrides of one entry, newest first",
    responses=responses(400, 401, 403),
)
def list_overrides(
    pathway_id: PathwayPath,
    provider: ProviderQuery,
    _: AnyReader,
    session: SessionDep,
    cursors: Cursors,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[OverrideOut]:
    after = cursors.decode(cursor, int)
    found = rankings.list_overrides(
        session, provider.upper(), pathway_id, limit=limit, after_id=after
    )
    more = len(found) > limit
    found = found[:limit]
    return Page(
        items=[OverrideOut.model_validate(o) for o in found],
        next_cursor=cursors.encode(found[-1].id) if more else None,
    )


@router.post(
    "/overrides/{override_id}/revoke",
    response_model=OverrideOut,
    summary="Revoke an override (from the next run on)",
    responses=responses(401, 403, 404, 409, 422),
)
def revoke_override(
    override_id: RowIdPath, body: OverrideRevoke, principal: OverrideEditor, session: SessionDep
) -> OverrideOut:
    override = rankings.revoke_override(
        session, override_id, actor=principal.actor, reason=body.reason
    )
    out = OverrideOut.model_validate(override)
    out.ranking_job_id = queued_ranking(session, override)
    return out


@router.get(
    "/ptl/entries/{pathway_id}/rationale",
    response_model=RationaleOut,
    summary="Why an entry stood where it stood at a moment",
    responses=responses(401, 403, 404),
)
def get_rationale(
    pathway_id: PathwayPath,
    provider: ProviderQuery,
    principal: RationaleReader,
    session: SessionDep,
    response: Response,
    at: Annotated[
        datetime | None,
        Query(description="The moment (ISO 8601; no zone = UTC). Default: now."),
    ] = None,
) -> RationaleOut:
    """The run in force at `at` (latest completed by then that ranked the entry's list),
    the entry's inputs then, the rule documents, every component and a sentence. Audited."""
    moment = None if at is None else as_utc(at)
    found = rankings.find_rationale(session, provider.upper(), pathway_id, at=moment)
    out = RationaleOut.model_validate(rationale_record(found))
    row = found.row
    now = list_freshness(
        session, row.provider_code, lists=[(row.treatment_function_code, row.pathway_stage)]
    )
    if now:
        out.freshness = ListFreshnessOut.model_validate(freshness_record(now[0]))
        response.headers[STALE_HEADER] = "true" if now[0].stale else "false"
    # Audited last and committed here, as a ranked page is (the chain's head is held briefly).
    rankings.record_rationale_access(session, principal.actor, found)
    session.commit()
    return out
