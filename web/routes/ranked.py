"""The ranked list page: filter, search by pathway id, page through, download as CSV.

Read from the stored runs exactly as ``GET /api/v1/ptl/ranked`` reads them (the same
services), with NHS numbers masked for every role but schedulers and administrators.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.deps import SessionDep, get_engine
from api.pagination import CursorCodec, InvalidCursor
from app import rankings
from app.database import session_factory
from app.rankings.ranked import ListKey
from app.rankings.views import csv_chunks, csv_filename, ranked_records
from app.security import Principal
from prioritisation import COMPONENTS
from web.auth import CurrentUser, PageError
from web.lookups import STAGES, freshness, priorities, providers, specialties
from web.templating import render, sentence

router = APIRouter()
PAGE_SIZE = 50
COMPONENT_NAMES = {
    "deprivation": "Deprivation",
    "ethnicity": "Ethnicity",
    "core20": "Core20",
    "inclusion": "Inclusion group",
    "clinical_area": "Clinical area",
    "cap": "Equity cap",
    "override": "Clinician's adjustment",
}


@dataclass
class RankedQuery:
    """The filters as typed, and the problems found in them (for the error summary)."""

    provider: str = ""
    specialty: str = ""
    stage: str = ""
    priority: str = ""
    site: str = ""
    pathway: str = ""
    errors: list[dict[str, str]] = field(default_factory=list)

    def params(self, **extra: str) -> str:
        values = {
            "provider": self.provider,
            "specialty": self.specialty,
            "stage": self.stage,
            "priority": self.priority,
            "site": self.site,
            "pathway": self.pathway,
            **extra,
        }
        return urlencode({k: v for k, v in values.items() if v})


def _query(
    provider: str = "",
    specialty: str = "",
    stage: str = "",
    priority: str = "",
    site: str = "",
    pathway: str = "",
) -> RankedQuery:
    found = RankedQuery(
        provider.strip().upper(),
        specialty.strip(),
        stage.strip(),
        priority.strip(),
        site.strip().upper(),
        pathway.strip(),
    )
    if found.specialty and not re.fullmatch(r"\d{3}", found.specialty):
        found.errors.append(
            {"text": "Specialty must be a 3-digit treatment function code", "href": "#specialty"}
        )
    if found.stage and found.stage not in STAGES:
        found.errors.append({"text": "Choose admitted or non-admitted", "href": "#stage"})
    if found.pathway and not re.fullmatch(r"[A-Za-z0-9\-_/]{1,20}", found.pathway):
        found.errors.append(
            {"text": "A pathway id is up to 20 letters and digits", "href": "#pathway"}
        )
    return found


QueryDep = Annotated[RankedQuery, Depends(_query)]


def tags(record: dict[str, Any]) -> list[dict[str, str]]:
    """The entry's factors as plain tags (what moved it and by how much)."""
    shown: list[dict[str, str]] = []
    for name in COMPONENTS:
        value = record["components"].get(name, 0.0)
        if name == "wait" or not value:
            continue
        sign = "+" if value > 0 else "−"
        shown.append(
            {
                "text": f"{COMPONENT_NAMES.get(name, name)} {sign}{abs(value):g} d",
                "classes": "nhsuk-tag--grey" if name == "cap" else "nhsuk-tag--blue",
            }
        )
    if record["protected"]:
        shown.append(
            {"text": f"Protected: {record['protection_reason']}", "classes": "nhsuk-tag--orange"}
        )
    if record["override"]:
        kind = record["override"]["kind"].replace("_", " ")
        shown.append({"text": f"Override: {kind}", "classes": "nhsuk-tag--purple"})
    if record["parked"]:
        shown.append({"text": f"Parked: {record['parked_reason']}", "classes": "nhsuk-tag--grey"})
    return shown


FIRST = "first"
BACK_SEPARATOR = "~"
MAX_BACK = 40
"""Page links carry the cursors of the pages before them (``back``), so "Previous" works
without JavaScript or server state; past 40 pages back, Previous starts again at the first."""


def _trail(back: str) -> list[str]:
    return [part for part in back.split(BACK_SEPARATOR) if part][-MAX_BACK:]


def _previous(query: RankedQuery, back: str) -> str:
    trail = _trail(back)
    if not trail or trail[-1] == FIRST:
        return f"/ranked?{query.params()}"
    earlier = BACK_SEPARATOR.join(trail[:-1])
    return f"/ranked?{query.params(cursor=trail[-1], back=earlier)}"


def _cursor(codec: CursorCodec, cursor: str) -> tuple[list[int], ListKey] | None:
    """The runs a page link pinned and the list key it resumes after (PageError if altered).

    Page links carry the API's signed cursors: one altered by hand is refused."""
    try:
        decoded = codec.decode(cursor or None, tuple[list[int], str, str, int])
    except InvalidCursor as exc:
        raise PageError(400, "That page link does not work", "Go back to the first page.") from exc
    if decoded is None:
        return None
    pinned, specialty, stage, position = decoded
    return pinned, (specialty, stage, position)


def _served(
    session: Session, query: RankedQuery, pinned: list[int] | None = None
) -> rankings.ServedRuns | None:
    try:
        return rankings.resolve_served(
            session,
            provider_code=query.provider or None,
            specialty=query.specialty or None,
            pinned=pinned,
        )
    except rankings.RankingError as exc:
        query.errors.append({"text": sentence(str(exc)), "href": "#provider"})
        return None


def _filters(session: Session, query: RankedQuery) -> rankings.RankedFilters | None:
    code = None
    if query.priority:
        try:
            code = rankings.priority_code(session, query.priority)
        except rankings.RankingError as exc:
            query.errors.append({"text": sentence(str(exc)), "href": "#priority"})
            return None
    return rankings.RankedFilters(
        specialty=query.specialty or None,
        stage=query.stage or None,
        priority=code,
        site=query.site or None,
        pathway_id=query.pathway or None,
    )


@router.get("/ranked", name="ranked_list")
def ranked_page(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    query: QueryDep,
    cursor: str = "",
    back: str = "",
) -> Response:
    codec: CursorCodec = request.app.state.cursors
    resume = _cursor(codec, cursor)
    pinned, key = resume if resume is not None else (None, None)
    served = _served(session, query, pinned) if not query.errors else None
    filters = _filters(session, query) if served is not None else None
    rows: list[dict[str, Any]] = []
    next_url = None
    if served is not None and filters is not None and not query.errors:
        page, next_key = rankings.ranked_page(session, served, filters, after=key, limit=PAGE_SIZE)
        names = rankings.specialty_names(session, (r.treatment_function_code for r in page))
        rows = [{**r, "tags": tags(r)} for r in ranked_records(page, user.principal, names)]
        if next_key:
            token = codec.encode([served.run_ids, *next_key])
            trail = BACK_SEPARATOR.join([*_trail(back), cursor or FIRST][-MAX_BACK:])
            next_url = f"/ranked?{query.params(cursor=token, back=trail)}"
    chosen = query.provider or (served.provider_code if served else "")
    return render(
        request,
        "ranked.html",
        {
            "query": query,
            "provider_code": chosen,
            "providers": providers(session),
            "specialties": specialties(session, chosen or None),
            "priorities": priorities(session),
            "stages": STAGES,
            "rows": rows,
            "freshness": freshness(session, served) if served else [],
            "next_url": next_url,
            "previous_url": _previous(query, back) if cursor else None,
            "download_url": f"/ranked/download?{query.params(provider=chosen)}" if served else None,
            "searched": bool(query.pathway),
        },
        status_code=400 if query.errors and served is None and filters is None else 200,
    )


def _csv(
    engine: Engine, served: rankings.ServedRuns, filters: rankings.RankedFilters, who: Principal
) -> Iterator[str]:
    with session_factory(engine)() as session:
        yield from csv_chunks(session, served, filters, who)


@router.get("/ranked/download", name="ranked_download")
def ranked_download(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    engine: Annotated[Engine, Depends(get_engine)],
    query: QueryDep,
) -> Response:
    """Every matching row as the API's CSV (the PAS import format)."""
    served = _served(session, query) if not query.errors else None
    filters = _filters(session, query) if served is not None else None
    if served is None or filters is None:
        return ranked_page(request, user, session, query)
    return StreamingResponse(
        _csv(engine, served, filters, user.principal),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{csv_filename(served)}"'},
    )
