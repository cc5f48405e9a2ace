"""Bulk storage of a run's results: one row per entry, no ORM object per row.

Columns are built with numpy from the engine's arrays and written by :mod:`app.bulk_write`
(binary ``COPY`` on PostgreSQL, ``executemany`` on SQLite).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from app.bulk_write import bulk_insert, columns_of
from app.ptl_arrays import LoadedPtl
from prioritisation import COMPONENTS, RankingResult

#: Stored columns, in insert order (the names of ``models.rankings.RankingResult``).
RESULT_COLUMNS: tuple[str, ...] = (
    "run_id",
    "pathway_id",
    "entry_id",
    "provider_code",
    "treatment_function_code",
    "pathway_stage",
    "priority_code",
    "priority_defaulted",
    "site_code",
    "list_size",
    "rank",
    "list_position",
    "conventional_rank",
    "wait_days",
    "score",
    *COMPONENTS,
    "uplift_uncapped",
    "cap_days",
    "protected",
    "protection_reason",
    "capped",
    "parked",
    "parked_reason",
    "rule_set_key",
    "rule_set_version",
    "rule_version_id",
    "override_id",
    "override_kind",
    "override_status",
    "rtt_clock_start",
    "imd_decile",
    "imd_measure_decile",
    "imd_source",
    "imd_edition",
    "ethnic_category",
    "ethnic_group",
    "inclusion_groups",
    "clinical_areas",
    "rtt_status",
    "priority_set_date",
)


def list_positions(result: RankingResult) -> NDArray[np.int64]:
    """``rank`` for ranked entries; parked entries numbered after their list's ranked ones.

    Parked entries follow in pathway-id order, so (list, position) is unique and a page
    can resume from it.
    """
    n = len(result)
    positions = result.rank.astype(np.int64).copy()
    parked = np.flatnonzero(result.parked)
    if not len(parked):
        return positions
    ranked_per_list = np.bincount(
        result.list_id[~result.parked], minlength=len(result.list_keys)
    ).astype(np.int64)
    parked = parked[np.lexsort((result.pathway_id[parked], result.list_id[parked]))]
    lists = result.list_id[parked]
    starts = np.flatnonzero(np.r_[True, lists[1:] != lists[:-1]])
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(parked)]))
    within = np.arange(len(parked)) - group_start
    positions[parked] = ranked_per_list[lists] + 1 + within
    assert len(positions) == n
    return positions


def _nullable_text(values: NDArray[Any]) -> NDArray[Any]:
    out = values.astype(object)
    out[values == ""] = None
    return out


def _deciles(values: NDArray[np.int8]) -> NDArray[Any]:
    out = values.astype(np.int64).astype(object)
    out[values <= 0] = None
    return out


def measure_deciles(result: RankingResult) -> NDArray[np.int8]:
    """The decile each entry's deprivation rule read (overall IMD or the rule's domain)."""
    inputs = result.inputs
    out = inputs.imd_decile.copy()
    for index, rule_set_id in enumerate(result.rule_set_ids):
        measure = result.rules.rule_set_for(rule_set_id).deprivation.imd_measure
        if measure == "overall":
            continue
        rows = result.rule_set_index == index
        out[rows] = inputs.imd_domain_deciles[measure][rows]
    return out


def result_columns(
    run_id: int,
    result: RankingResult,
    loaded: LoadedPtl,
    *,
    rule_versions: Mapping[str, int | None],
    override_ids: NDArray[Any],
) -> dict[str, NDArray[Any]]:
    """Every stored column as an array of database-ready values (None for NULL)."""
    n = len(result)
    inputs = result.inputs
    rule_set = result.rule_set
    version_ids = np.array([rule_versions.get(k) for k in result.rule_set_ids], dtype=object)
    columns: dict[str, NDArray[Any]] = {
        "run_id": np.full(n, run_id, dtype=object),
        "pathway_id": inputs.pathway_id,
        "entry_id": loaded.entry_ids,
        "provider_code": inputs.provider_code,
        "treatment_function_code": inputs.treatment_function_code,
        "pathway_stage": inputs.pathway_stage,
        "priority_code": result.priority_code,
        "priority_defaulted": result.priority_defaulted,
        "site_code": _nullable_text(loaded.site_code),
        "list_size": result.list_size,
        "rank": result.rank,
        "list_position": list_positions(result),
        "conventional_rank": result.conventional_rank,
        "wait_days": result.wait_days,
        "score": result.score,
        **{name: result.component(name) for name in COMPONENTS},
        "uplift_uncapped": result.uplift_uncapped,
        "cap_days": result.cap_centidays / 100.0,
        "protected": result.protected,
        "protection_reason": result.protection_reason,
        "capped": result.capped,
        "parked": result.parked,
        "parked_reason": result.parked_reason,
        "rule_set_key": rule_set,
        "rule_set_version": result.rule_set_version,
        "rule_version_id": version_ids[result.rule_set_index] if n else version_ids[:0],
        "override_id": override_ids,
        "override_kind": result.override_kind,
        "override_status": result.override_status,
        "rtt_clock_start": inputs.rtt_clock_start,
        "imd_decile": _deciles(inputs.imd_decile),
        "imd_measure_decile": _deciles(measure_deciles(result)),
        "imd_source": loaded.imd_source,
        "imd_edition": _nullable_text(loaded.imd_edition),
        "ethnic_category": inputs.ethnic_category,
        "ethnic_group": inputs.ethnic_group,
        "inclusion_groups": loaded.inclusion_groups,
        "clinical_areas": loaded.clinical_areas,
        "rtt_status": _nullable_text(inputs.rtt_status),
        "priority_set_date": loaded.priority_set_date,
    }
    missing = set(RESULT_COLUMNS) ^ set(columns)
    if missing:
        raise AssertionError(f"result columns out of step: {sorted(missing)}")
    return columns


def insert_results(session: Session, columns: Mapping[str, NDArray[Any]], n: int) -> None:
    """Append ``n`` result rows inside the caller's transaction."""
    bulk_insert(session.connection(), "ranking_results", RESULT_COLUMNS, n, columns_of(columns))
