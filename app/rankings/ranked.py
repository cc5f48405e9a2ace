"""The ranked list read path: pages of stored runs, in list order, never rescored.

Order is (treatment function, stage, list position): ranks 1..n of each list, then (when
asked for) its parked entries. Each list is read from the run serving it
(:mod:`app.rankings.served`); the index ``ix_ranking_results_list`` serves every list, so a
page costs an index range scan of ``limit`` rows whatever the depth.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Integer, Row, Select, bindparam, select
from sqlalchemy.orm import Session

from app.rankings.errors import Invalid
from app.rankings.served import Segment, ServedRuns
from app.reference_store import UnknownPriorityCode, canonical_priority_code
from models import PtlEntry, RankingOverride, RankingResult, TreatmentFunction
from prioritisation import COMPONENTS

#: (treatment function code, pathway stage, list position) of the last row served.
ListKey = tuple[str, str, int]

R = RankingResult
O = RankingOverride  # noqa: E741

_ROW_COLUMNS = (
    R.run_id,
    R.provider_code,
    R.pathway_id,
    R.treatment_function_code,
    R.pathway_stage,
    R.list_position,
    R.priority_code,
    R.site_code,
    R.wait_days,
    R.imd_decile,
    R.rank,
    R.list_size,
    R.conventional_rank,
    R.score,
    *(getattr(R, name) for name in COMPONENTS),
    R.protected,
    R.protection_reason,
    R.capped,
    R.parked,
    R.parked_reason,
    R.override_id,
    R.override_kind,
    R.override_status,
    O.days.label("override_days"),
    O.reason.label("override_reason"),
    O.expires_at.label("override_expires_at"),
    PtlEntry.nhs_number,
)


@dataclass(frozen=True, slots=True)
class RankedFilters:
    """Narrow a run to one list or part of one; ``include_parked`` adds parked entries."""

    specialty: str | None = None
    stage: str | None = None
    priority: str | None = None
    site: str | None = None
    include_parked: bool = False
    pathway_id: str | None = None


@cache
def _statement(
    *, priority: bool, site: bool, pathway: bool, parked: bool, resume: bool
) -> Select[Any]:
    """One list of one run, a pure range of ``ix_ranking_results_list``, every value a bound
    parameter. Built once per combination of filters (32 at most) and reused, so a page spends
    nothing on building the statement or on SQLAlchemy's cache key for it."""
    query = (
        select(*_ROW_COLUMNS)
        .select_from(R)
        .join(PtlEntry, PtlEntry.id == R.entry_id)
        .outerjoin(O, O.id == R.override_id)
        .where(
            R.run_id == bindparam("run_id"),
            R.provider_code == bindparam("provider_code"),
            R.treatment_function_code == bindparam("specialty"),
            R.pathway_stage == bindparam("stage"),
        )
        .order_by(R.list_position)
        .limit(bindparam("limit", type_=Integer))
    )
    if priority:
        query = query.where(R.priority_code == bindparam("priority"))
    if site:
        query = query.where(R.site_code == bindparam("site"))
    if pathway:
        query = query.where(R.pathway_id == bindparam("pathway_id"))
    if not parked:
        query = query.where(R.parked.is_(False))
    if resume:
        query = query.where(R.list_position > bindparam("after_position", type_=Integer))
    return query


def _read_list(
    session: Session,
    served: ServedRuns,
    segment: Segment,
    filters: RankedFilters,
    *,
    after_position: int | None,
    limit: int,
) -> Sequence[Row[Any]]:
    """Up to ``limit`` rows of one list, after ``after_position`` when given (plain rows:
    read on the session's connection, without the ORM's per-row loading)."""
    statement = _statement(
        priority=filters.priority is not None,
        site=filters.site is not None,
        pathway=filters.pathway_id is not None,
        parked=filters.include_parked,
        resume=after_position is not None,
    )
    params = {
        "run_id": segment.run_id,
        "provider_code": served.provider_code,
        "specialty": segment.specialty,
        "stage": segment.stage,
        "limit": limit,
        "priority": filters.priority,
        "site": filters.site,
        "pathway_id": filters.pathway_id,
        "after_position": after_position,
    }
    return session.connection().execute(statement, params).all()  # unused keys are ignored


def ranked_page(
    session: Session,
    served: ServedRuns,
    filters: RankedFilters,
    *,
    after: ListKey | None,
    limit: int,
) -> tuple[list[Row[Any]], ListKey | None]:
    """Up to ``limit`` rows after ``after`` and the key to resume from (None: last page).

    Lists are read in order until the page is full; the one holding ``after`` resumes from
    its position, those before it are skipped.
    """
    rows: list[Row[Any]] = []
    for segment in served.segments(filters.specialty, filters.stage):
        position = None
        if after is not None:
            if segment.key < (after[0], after[1]):
                continue
            if segment.key == (after[0], after[1]):
                position = after[2]
        found = _read_list(
            session, served, segment, filters, after_position=position, limit=limit + 1 - len(rows)
        )
        rows.extend(found)
        if len(rows) > limit:
            break
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (list_key(rows[-1]) if more and rows else None)


def iter_ranked(
    session: Session, served: ServedRuns, filters: RankedFilters, *, chunk: int = 5000
) -> Iterator[Row[Any]]:
    """Every row matching ``filters``, in list order, ``chunk`` rows per page."""
    after: ListKey | None = None
    while True:
        rows, after = ranked_page(session, served, filters, after=after, limit=chunk)
        yield from rows
        if after is None:
            return


def list_key(row: Row[Any]) -> ListKey:
    return (row.treatment_function_code, row.pathway_stage, int(row.list_position))


def specialty_names(session: Session, codes: Iterable[str] | None = None) -> dict[str, str]:
    """Treatment function code → name (from reference data): every one, or those of ``codes``
    (a page names one or two of the reference list's ~160)."""
    query = select(TreatmentFunction.code, TreatmentFunction.name)
    if codes is not None:
        wanted = sorted(set(codes))
        if not wanted:
            return {}
        query = query.where(TreatmentFunction.code.in_(wanted))
    return {code: name for code, name in session.execute(query)}


def priority_code(session: Session, value: str) -> str:
    """``value`` in the priority reference list's spelling (``p3`` → ``P3``); Invalid when it
    is not a priority code."""
    try:
        return canonical_priority_code(session, value)
    except UnknownPriorityCode as exc:
        raise Invalid(str(exc)) from exc
