"""The equity report's inputs as each ranking run stored them, per list.

Why: the live report loads the whole PTL again (about 2 s at 100,000 entries). A ranking run
already holds every input of the lists it ranks, so it stores them per list in a compact,
compressed form (``ranking_run_lists.report_columns``) and the report reads the lists'
serving runs instead: a few kilobytes per thousand entries, no per-row query.
"""

from __future__ import annotations

import io
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from app.reports.columns import DEFAULT_PARKED_RTT_STATUSES, EquityColumns, PtlFilters
from models import PriorityCode, RankingList, RankingRunList

if TYPE_CHECKING:
    from app.reports.equity import EquityReport

_EPOCH = np.datetime64("1970-01-01", "D")
FORMAT = 1
CACHE_SIZE = 64


def parked_priorities(session: Session) -> frozenset[str]:
    """Priority codes flagged ``parked`` in the reference table (P5, P6)."""
    return frozenset(session.scalars(select(PriorityCode.code).where(PriorityCode.parked)))


def report_parked(
    priority: NDArray[np.str_], rtt_status: NDArray[np.str_], parked_codes: frozenset[str]
) -> NDArray[np.bool_]:
    """Parked as the reports define it: a parked priority or an active-monitoring status."""
    parked: NDArray[np.bool_] = np.isin(priority, sorted(parked_codes)) | np.isin(
        rtt_status, DEFAULT_PARKED_RTT_STATUSES
    )
    return parked


def _coded(values: NDArray[Any]) -> tuple[list[str], NDArray[np.int32]]:
    uniques, codes = np.unique(np.asarray(values, dtype=str), return_inverse=True)
    return [str(u) for u in uniques], codes.astype(np.int32)


def encode(
    *,
    clock_start: NDArray[np.datetime64],
    imd_decile: NDArray[Any],
    ethnic_group: NDArray[Any],
    inclusion_groups: NDArray[Any],
    priority: NDArray[Any],
    parked: NDArray[np.bool_],
) -> bytes:
    """One list's report inputs as a compressed blob (rows in any order)."""
    groups = np.where(np.asarray(ethnic_group, dtype=str) == "", "not_known", ethnic_group)
    labels: dict[str, list[str]] = {}
    arrays: dict[str, NDArray[Any]] = {
        "clock_start": (clock_start.astype("datetime64[D]") - _EPOCH).astype(np.int32),
        "imd_decile": np.asarray(imd_decile).astype(np.int8),
        "parked": np.asarray(parked, dtype=bool),
    }
    for name, values in (
        ("ethnic_group", groups),
        ("inclusion_groups", inclusion_groups),
        ("priority", priority),
    ):
        labels[name], arrays[name] = _coded(values)
    buffer = io.BytesIO()
    meta = np.frombuffer(json.dumps({"format": FORMAT, "labels": labels}).encode(), np.uint8)
    np.savez_compressed(buffer, meta=meta, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def decode(blob: bytes, specialty: str, stage: str) -> EquityColumns:
    """A stored list's report inputs (the list's own specialty and stage filled in)."""
    with np.load(io.BytesIO(blob)) as stored:
        meta = json.loads(bytes(stored["meta"]).decode())
        labels = meta["labels"]
        n = int(stored["clock_start"].size)

        def text(name: str) -> NDArray[np.str_]:
            names = np.array(labels[name] or [""], dtype=str)
            return names[stored[name]] if n else np.zeros(0, dtype=str)

        return EquityColumns(
            specialty=np.full(n, specialty),
            priority=text("priority"),
            stage=np.full(n, stage),
            clock_start=stored["clock_start"].astype("datetime64[D]"),
            ethnic_group=text("ethnic_group"),
            imd_decile=stored["imd_decile"].astype(np.int64),
            inclusion_groups=text("inclusion_groups"),
            parked=stored["parked"].astype(bool),
        )


def concatenate(parts: Sequence[EquityColumns]) -> EquityColumns:
    names = EquityColumns.__dataclass_fields__
    if not parts:
        empty: dict[str, Any] = {name: np.zeros(0, dtype=str) for name in names}
        empty.update(
            clock_start=np.zeros(0, dtype="datetime64[D]"),
            imd_decile=np.zeros(0, dtype=np.int64),
            parked=np.zeros(0, dtype=bool),
        )
        return EquityColumns(**empty)
    return EquityColumns(
        **{name: np.concatenate([getattr(p, name) for p in parts]) for name in names}
    )


def served_columns(
    session: Session, provider_code: str, filters: PtlFilters | None = None
) -> EquityColumns | None:
    """The report inputs of the provider's served lists (None when no list is served)."""
    filters = filters or PtlFilters()
    query = (
        select(
            RankingRunList.treatment_function_code,
            RankingRunList.pathway_stage,
            RankingRunList.report_columns,
        )
        .join(
            RankingList,
            and_(
                RankingList.run_id == RankingRunList.run_id,
                RankingList.provider_code == RankingRunList.provider_code,
                RankingList.treatment_function_code == RankingRunList.treatment_function_code,
                RankingList.pathway_stage == RankingRunList.pathway_stage,
            ),
        )
        .where(RankingList.provider_code == provider_code)
        .order_by(RankingRunList.treatment_function_code, RankingRunList.pathway_stage)
    )
    if filters.specialty:
        query = query.where(RankingList.treatment_function_code == filters.specialty)
    if filters.stage:
        query = query.where(RankingList.pathway_stage == filters.stage)
    rows = session.execute(query).all()
    if not rows:
        return None
    columns = concatenate([decode(blob, tfc, stage) for tfc, stage, blob in rows])
    if filters.priority:
        columns = columns.where(columns.priority == filters.priority)
    return columns


def has_served_lists(session: Session, provider_code: str) -> bool:
    found = session.scalar(
        select(RankingList.run_id)
        .where(RankingList.provider_code == provider_code, RankingList.run_id.is_not(None))
        .limit(1)
    )
    return found is not None


_CACHE: OrderedDict[tuple[Any, ...], EquityReport] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def served_lists_key(session: Session, provider_code: str) -> tuple[tuple[str, str, int], ...]:
    """Which run serves each list of the provider: what a served report depends on."""
    rows = session.execute(
        select(RankingList.treatment_function_code, RankingList.pathway_stage, RankingList.run_id)
        .where(RankingList.provider_code == provider_code, RankingList.run_id.is_not(None))
        .order_by(RankingList.treatment_function_code, RankingList.pathway_stage)
    )
    return tuple((tfc, stage, int(run_id)) for tfc, stage, run_id in rows if run_id is not None)


def served_report(
    session: Session,
    provider_code: str,
    census_date: date,
    filters: PtlFilters | None = None,
    *,
    include_parked: bool = False,
) -> EquityReport | None:
    """The equity report of the served lists (None when none is served).

    A report is a function of the runs serving the lists, the filters and the census date,
    so it is kept in memory under that key: a request after the first costs one small query.
    A ranking job warms it for the unfiltered report as it finishes.
    """
    from app.reports.equity import build_equity_report

    filters = filters or PtlFilters()
    served = served_lists_key(session, provider_code)
    if not served:
        return None
    url = session.get_bind().engine.url.render_as_string(hide_password=True)
    key = (url, provider_code, served, filters, include_parked, census_date)
    with _CACHE_LOCK:
        found = _CACHE.get(key)
        if found is not None:
            _CACHE.move_to_end(key)
            return found
    columns = served_columns(session, provider_code, filters)
    if columns is None:
        return None
    report = build_equity_report(
        session, provider_code, census_date, filters, include_parked=include_parked, columns=columns
    )
    with _CACHE_LOCK:
        _CACHE[key] = report
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return report
