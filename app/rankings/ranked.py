"""The ranked list read path: pages of one stored run, in list order, never rescored.

Order is (treatment function, stage, list position): ranks 1..n of each list, then (when
asked for) its parked entries. The index ``ix_ranking_results_list`` serves it, so a page
costs an index range scan of ``limit`` rows whatever the depth.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, select, tuple_
from sqlalchemy.orm import Session

from models import PtlEntry, RankingOverride, RankingResult, RankingRun, TreatmentFunction
from prioritisation import COMPONENTS

#: (treatment function code, pathway stage, list position) of the last row served.
ListKey = tuple[str, str, int]

R = RankingResult
O = RankingOverride  # noqa: E741

_ROW_COLUMNS = (
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


def _query(run: RankingRun, filters: RankedFilters) -> Select[Any]:
    query = (
        select(*_ROW_COLUMNS)
        .select_from(R)
        .join(PtlEntry, PtlEntry.id == R.entry_id)
        .outerjoin(O, O.id == R.override_id)
        .where(R.run_id == run.id, R.provider_code == run.provider_code)
        .order_by(*_free_columns(filters))
    )
    if filters.specialty is not None:
        query = query.where(R.treatment_function_code == filters.specialty)
    if filters.stage is not None and filters.specialty is None:
        # Not a plain column equality: SQLite would then drop stage from the order and sort
        # instead of walking the (specialty, stage, position) index.
        query = query.where(R.pathway_stage.concat("") == filters.stage)
    elif filters.stage is not None:
        query = query.where(R.pathway_stage == filters.stage)
    if filters.priority is not None:
        query = query.where(R.priority_code == filters.priority)
    if filters.site is not None:
        query = query.where(R.site_code == filters.site)
    if not filters.include_parked:
        query = query.where(R.parked.is_(False))
    return query


def _pinned(filters: RankedFilters) -> int:
    """How many leading order columns an equality filter pins (specialty, then stage)."""
    if filters.specialty is None:
        return 0
    return 2 if filters.stage is not None else 1


def _free_columns(filters: RankedFilters) -> list[Any]:
    """The order columns after the pinned prefix.

    Leaving pinned columns out of the order and the keyset lets SQLite walk the index by
    equality, instead of a row-value range followed by a sort of everything after it. A stage
    filter without a specialty stays a filter: the index order is specialty first.
    """
    columns = [R.treatment_function_code, R.pathway_stage, R.list_position]
    return columns[_pinned(filters) :]


def _after(query: Select[Any], filters: RankedFilters, after: ListKey | None) -> Select[Any]:
    if after is None:
        return query
    columns, free = _free_columns(filters), list(after)[_pinned(filters) :]
    if len(columns) == 1:
        return query.where(columns[0] > free[0])
    return query.where(tuple_(*columns) > tuple_(*free))


def ranked_page(
    session: Session,
    run: RankingRun,
    filters: RankedFilters,
    *,
    after: ListKey | None,
    limit: int,
) -> tuple[list[Row[Any]], ListKey | None]:
    """Up to ``limit`` rows after ``after`` and the key to resume from (None: last page)."""
    rows = list(session.execute(_after(_query(run, filters), filters, after).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (list_key(rows[-1]) if more and rows else None)


def iter_ranked(
    session: Session, run: RankingRun, filters: RankedFilters, *, chunk: int = 5000
) -> Iterator[Row[Any]]:
    """Every row of the run matching ``filters``, in list order, ``chunk`` rows per query."""
    after: ListKey | None = None
    while True:
        rows, after = ranked_page(session, run, filters, after=after, limit=chunk)
        yield from rows
        if after is None:
            return


def list_key(row: Row[Any]) -> ListKey:
    return (row.treatment_function_code, row.pathway_stage, int(row.list_position))


def parse_list_key(value: Any) -> ListKey:
    """A decoded cursor back into a key; ValueError when it is not one."""
    if not (isinstance(value, Sequence) and len(value) == 3):
        raise ValueError("cursor does not hold a list position")
    tfc, stage, position = value
    if not isinstance(tfc, str) or not isinstance(stage, str) or not isinstance(position, int):
        raise ValueError("cursor does not hold a list position")
    return (tfc, stage, position)


def specialty_names(session: Session) -> dict[str, str]:
    """Treatment function code → name (from reference data)."""
    rows = session.execute(select(TreatmentFunction.code, TreatmentFunction.name))
    return {code: name for code, name in rows}
