"""The lists a run ranked: one row each, with its size and the equity report's inputs.

Why per list: the ranked list, the rationale and the equity report each read a list from the
run serving it, and a run ranks only the lists that changed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import insert
from sqlalchemy.orm import Session

from app.ptl_arrays import LoadedPtl
from app.reports.served import encode, parked_priorities, report_parked
from models import RankingRun, RankingRunList
from prioritisation import RankingResult


def store_run_lists(
    session: Session,
    run: RankingRun,
    targets: Sequence[tuple[str, str]],
    loaded: LoadedPtl,
    result: RankingResult | None,
) -> None:
    """One ``ranking_run_lists`` row per target list (empty lists included)."""
    arrays = loaded.arrays
    parked = report_parked(arrays.priority_code, arrays.rtt_status, parked_priorities(session))
    members: dict[tuple[str, str], NDArray[np.intp]] = {}
    if result is not None and len(result):
        # The engine already grouped the entries by list: one stable sort of its list ids.
        order = np.argsort(result.list_id, kind="stable")
        bounds = np.searchsorted(result.list_id[order], np.arange(len(result.list_keys) + 1))
        for index, (_, tfc, stage) in enumerate(result.list_keys):
            members[(tfc, stage)] = order[bounds[index] : bounds[index + 1]]
    empty = np.zeros(0, dtype=np.intp)
    rows = []
    for tfc, stage in sorted(set(targets)):
        rows_of = members.get((tfc, stage), empty)
        rows.append(
            {
                "run_id": run.id,
                "treatment_function_code": tfc,
                "pathway_stage": stage,
                "provider_code": run.provider_code,
                "entry_count": int(rows_of.size),
                "parked_count": 0 if result is None else int(result.parked[rows_of].sum()),
                "report_columns": encode(
                    clock_start=arrays.rtt_clock_start[rows_of],
                    imd_decile=arrays.imd_decile[rows_of],
                    ethnic_group=arrays.ethnic_group[rows_of],
                    inclusion_groups=loaded.inclusion_groups[rows_of],
                    priority=arrays.priority_code[rows_of],
                    parked=parked[rows_of],
                ),
            }
        )
    if rows:
        session.execute(insert(RankingRunList), rows)
