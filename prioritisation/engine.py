"""The one public entry point: score and rank a whole PTL under a rule book.

Why a single function: the API, the weekly batch and the impact simulator must all get
exactly the same order from the same inputs, so there is one path from arrays to ranks.
"""

from __future__ import annotations

from datetime import date

import numpy as np
from numpy.typing import NDArray

from prioritisation.capacity import NO_REACH, WeeklyCapacity
from prioritisation.coded import CodedPtl
from prioritisation.guardrails import RANGES, last_chance_candidates, protection
from prioritisation.inputs import Overrides, PtlArrays, override_centidays
from prioritisation.ordering import SortKeys, duplicate_pathways, order_score, ranks, sort_order
from prioritisation.result import OVERRIDE_STATUSES, PARKED_REASONS, RankingResult
from prioritisation.rulebook import RuleBook
from prioritisation.scoring import BoolArray, IntArray, RuleIndex, score_parts
from prioritisation.tables import PARKED, UNKNOWN, build_tables

BLOCK_PINNED, BLOCK_NORMAL, BLOCK_HELD_BACK = range(3)
"""Within a band: clinicians' pins first, then everyone else, then clinicians' hold-backs."""


def as_census_day(census_date: np.datetime64 | date | str) -> np.datetime64:
    """The census date as numpy days (a datetime is truncated to its date)."""
    if isinstance(census_date, np.datetime64):
        day: np.datetime64 = census_date.astype("datetime64[D]")
    elif isinstance(census_date, date):
        day = np.datetime64(census_date.isoformat()[:10], "D")
    else:
        day = np.datetime64(str(census_date)[:10], "D")
    if np.isnat(day):
        raise ValueError("census_date: a date is required")
    return day


def _override_effects(
    overrides: Overrides | None, n: int, parked: BoolArray, protected: BoolArray
) -> tuple[IntArray, IntArray, IntArray]:
    """(block, override centidays, status code) per entry.

    pin_ahead → the top of its priority band (a clinical decision, ahead of protected entries
    too); hold_back → the bottom of its band, refused for protected entries; adjust_uplift →
    an ``override`` component outside the equity cap, inside the ranges. Any override on a
    parked entry is ignored.
    """
    block = np.full(n, BLOCK_NORMAL, np.int64)
    cents = np.zeros(n, np.int64)
    status = np.zeros(n, np.int64)
    if overrides is None:
        return block, cents, status
    if len(overrides) != n:
        raise ValueError(f"overrides: {len(overrides)} entries for a PTL of {n}")
    kind = overrides.kind
    requested = kind != ""
    ignored_parked = requested & parked
    ignored_protected = (kind == "hold_back") & protected & ~parked
    applied = requested & ~ignored_parked & ~ignored_protected
    status[applied] = OVERRIDE_STATUSES.index("applied")
    status[ignored_parked] = OVERRIDE_STATUSES.index("ignored_parked")
    status[ignored_protected] = OVERRIDE_STATUSES.index("ignored_protected")
    block[applied & (kind == "pin_ahead")] = BLOCK_PINNED
    block[applied & (kind == "hold_back")] = BLOCK_HELD_BACK
    adjust = applied & (kind == "adjust_uplift")
    cents[adjust] = override_centidays(overrides.days[adjust])
    return block, cents, status


def conventional_order(coded: CodedPtl, band: IntArray) -> NDArray[np.intp]:
    """Every entry in conventional order: list, band (priority position), wait descending
    (clock start ascending), pathway id ascending (docs/scoring.md §5)."""
    return sort_order(SortKeys(coded.list_id, band, None, None, coded.clock, coded.pathway))


def _band_positions(order: NDArray[np.intp], group: IntArray) -> IntArray:
    """0-based position of every entry within its group (list and band) along ``order``."""
    n = len(order)
    position = np.zeros(n, np.int64)
    if not n:
        return position
    ordered = group[order]
    step = np.arange(n)
    change = np.ones(n, np.bool_)
    change[1:] = ordered[1:] != ordered[:-1]
    start = np.maximum.accumulate(np.where(change, step, 0))
    position[order] = step - start
    return position


def rank_ptl(
    arrays: PtlArrays | CodedPtl,
    rules: RuleBook,
    census_date: np.datetime64 | date | str,
    overrides: Overrides | None = None,
    capacity: WeeklyCapacity | None = None,
) -> RankingResult:
    """Score every entry and rank each list (provider, treatment function, pathway stage).

    ``arrays`` may be coded once beforehand (:class:`CodedPtl`) to rank the same entries
    repeatedly without re-coding their strings; the result is the same.
    ``capacity`` (patients booked per week per list and priority band) switches on the
    last-chance range for the lists it names. Raises ValueError for priority codes no rule set
    knows, a pathway id repeated within a list, or a rule set weighting by an IMD domain the
    input lacks. See docs/scoring.md.
    """
    census = as_census_day(census_date)
    coded = arrays if isinstance(arrays, CodedPtl) else CodedPtl.from_arrays(arrays)
    n = len(coded)
    list_id, list_keys = coded.lists()
    tfc, tfc_values = coded.treatment_function_code.codes, coded.treatment_function_code.values

    specialty = [rules.specialties.get(str(t)) for t in tfc_values]
    used_ids = sorted({s.rule_set_id for s in specialty if s is not None})
    rule_sets = [rules.default, *(rules.specialties[i] for i in used_ids)]
    row_of_tfc = np.array(
        [0 if s is None else 1 + used_ids.index(s.rule_set_id) for s in specialty], np.int64
    )
    rows = row_of_tfc[tfc] if n else np.zeros(0, np.int64)
    priority, priority_values = coded.priority_code.codes, coded.priority_code.values
    index = RuleIndex.build(rows, len(rule_sets), priority, len(priority_values))
    status, status_values = coded.rtt_status.codes, coded.rtt_status.values
    tables = build_tables(
        rule_sets,
        priority_codes=priority_values.tolist(),
        rtt_statuses=status_values.tolist(),
        inclusion_columns=coded.inclusion_groups.columns,
        clinical_area_columns=coded.clinical_areas.columns,
    )

    position = index.by_priority(tables.priority.position)
    unknown = position == UNKNOWN
    if unknown.any():
        codes = sorted(set(priority_values[priority[unknown]].tolist()))
        raise ValueError(
            f"priority codes not ranked or parked by the rule set: {codes} "
            f"({int(unknown.sum())} entries); map or reject them before ranking"
        )
    deferred = position == PARKED
    monitoring = index.pick(tables.parked_status, status) & ~deferred
    parked = deferred | monitoring
    parked_reason = np.zeros(n, np.int64)
    parked_reason[deferred] = PARKED_REASONS.index("patient_deferred")
    parked_reason[monitoring] = PARKED_REASONS.index("active_monitoring")

    pathway = coded.pathway
    duplicates = (
        np.zeros(0, np.int64)
        if coded.pathways_distinct
        else duplicate_pathways(list_id, pathway, len(list_keys))
    )
    if len(duplicates):
        examples = sorted(set(coded.pathway_id[duplicates].tolist()))[:5]
        raise ValueError(
            f"pathway ids repeated within a list ({len(duplicates)} entries), e.g. {examples}; "
            "deduplicate the PTL before ranking"
        )

    clock = coded.clock
    wait_days = np.maximum(census.astype(np.int64) - clock, 0)
    band_codes = tuple(rule.code for rule in rules.default.clinical_priority.ranked)
    band = np.where(parked, len(band_codes), position)
    conventional = conventional_order(coded, band)
    conventional_rank, _ = ranks(conventional, list_id, parked, len(list_keys))

    guard = protection(index=index, tables=tables, wait_days=wait_days, parked=parked)
    if capacity is not None:
        reach = capacity.reach_table(list_keys, band_codes)[
            list_id, np.minimum(band, len(band_codes) - 1)
        ]
        in_band = _band_positions(conventional, list_id * (len(band_codes) + 1) + band)
        within_reach = (reach != NO_REACH) & (in_band < reach) & ~parked
        candidates = last_chance_candidates(
            index=index, tables=tables, wait_days=wait_days, guard=guard
        )
        guard = guard.with_last_chance(within_reach & candidates)
    protected = guard.protected
    block, override_cents, override_status = _override_effects(overrides, n, parked, protected)
    parts = score_parts(
        index=index,
        tables=tables,
        wait_days=wait_days,
        imd_decile=coded.imd_decile,
        imd_domain_deciles=coded.imd_domain_deciles,
        ethnic_category=coded.ethnic_category,
        ethnic_group=coded.ethnic_group,
        inclusion=coded.inclusion_groups,
        clinical_areas=coded.clinical_areas,
        override_cents=override_cents,
        parked=parked,
    )
    tier = block * len(RANGES) + guard.range_index
    order = sort_order(SortKeys(list_id, band, tier, order_score(protected, parts), clock, pathway))
    rank, list_size = ranks(order, list_id, parked, len(list_keys))

    effective = tables.priority.effective_code
    priority_names = tuple(sorted(set(effective.ravel().tolist())))
    effective_index = np.searchsorted(np.array(priority_names, dtype=str), effective)
    return RankingResult(
        census_date=census,
        list_id=list_id,
        list_keys=list_keys,
        rank=rank,
        conventional_rank=conventional_rank,
        list_size=np.where(parked, 0, list_size),
        parked=parked,
        parked_reason_index=parked_reason,
        priority_index=index.by_priority(effective_index.astype(np.int64)),
        priority_names=priority_names,
        priority_defaulted=(priority_values == "")[priority],
        wait_days=wait_days,
        score_centidays=parts.score,
        component_centidays=parts.components,
        uplift_uncapped_centidays=parts.uplift_uncapped,
        cap_centidays=np.where(parked, 0, index.by_priority(tables.priority.cap_cents)),
        capped=parts.capped,
        protected=protected,
        protection_reason_index=guard.reason,
        protection_reasons=guard.reason_names,
        rule_set_index=index.rows,
        rule_set_ids=tuple(rs.rule_set_id for rs in rule_sets),
        rule_set_versions=tuple(rs.version for rs in rule_sets),
        override_kind=overrides.kind if overrides is not None else np.full(n, "", dtype="<U1"),
        override_status_index=override_status,
        coded=coded,
        rules=rules,
        ranked_order=order[~parked[order]],
        conventional_ranked_order=conventional[~parked[conventional]],
    )
