"""The ranked list read path: pages of stored runs, in list order, never rescored.

Order is (treatment function, stage, list position): ranks 1..n of each list, then (when
asked for) its parked entries. Each list is read from the run serving it
(:mod:`app.rankings.served`); the index ``ix_ranking_results_list`` serves every list, so a
page costs an index range scan of ``limit`` rows whatever the depth.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, select
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


def _query(served: ServedRuns, segment: Segment, filters: RankedFilters) -> Select[Any]:
    """One list of one run: a pure range of ``ix_ranking_results_list``."""
    query = (
        select(*_ROW_COLUMNS)
        .select_from(R)
        .join(PtlEntry, PtlEntry.id == R.entry_id)
        .outerjoin(O, O.id == R.override_id)
        .where(
            R.run_id == segment.run_id,
            R.provider_code == served.provider_code,
            R.treatment_function_code == segment.specialty,
            R.pathway_stage == segment.stage,
        )
        .order_by(R.list_position)
    )
    if filters.priority is not None:
        query = query.where(R.priority_code == filters.priority)
    if filters.site is not None:
        query = query.where(R.site_code == filters.site)
    if filters.pathway_id is not None:
        query = query.where(R.pathway_id == filters.pathway_id)
    if not filters.include_parked:
        query = query.where(R.parked.is_(False))
    return query


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
        query = _query(served, segment, filters)
        if after is not None:
            if segment.key < (after[0], after[1]):
                continue
            if segment.key == (after[0], after[1]):
                query = query.where(R.list_position > after[2])
        rows.extend(session.execute(query.limit(limit + 1 - len(rows))))
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
