"""Preview a draft: how the current list's ranks would shift, overall, per list and per group.

Why before publication: the domain asks that the impact of a rule change on each group be
shown before it takes effect (in the spirit of HEAT). ``compare_rankings`` is the seam: it
turns two rankings of the same entries plus group labels into the preview, so an impact
simulation can later add its own section beside it without touching the loading code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from app.ptl_arrays import load_open_ptl
from app.rules.errors import InvalidRequest
from app.rules.in_force import rules_in_force
from app.rules.service import get_draft
from app.rules.validation import validate_document
from models.base import utcnow
from models.rules import DEFAULT_SPECIALTY
from prioritisation import PtlArrays, RankingResult, RuleBook, rank_ptl
from prioritisation.codes import ETHNIC_GROUPS

IMD_QUINTILES = ("1", "2", "3", "4", "5", "unknown")
ETHNIC_GROUP_ORDER = (*ETHNIC_GROUPS, "not_stated", "not_known", "unknown")
Labels = NDArray[np.str_]


@dataclass(frozen=True, slots=True)
class Shift:
    """How far ranks moved among ``entries`` (absolute changes, in places)."""

    entries: int
    moved: int
    mean_abs_change: float
    median_abs_change: float
    max_abs_change: int


@dataclass(frozen=True, slots=True)
class ListShift:
    provider_code: str
    treatment_function_code: str
    pathway_stage: str
    shift: Shift


@dataclass(frozen=True, slots=True)
class GroupShift:
    """A group's movement: rank change is draft minus current (negative = seen earlier);
    position percentile is 100 x rank / list size (lower = nearer the front)."""

    group: str
    entries: int
    mean_rank_change: float | None
    share_moved_earlier: float | None
    share_moved_later: float | None
    mean_percentile_before: float | None
    mean_percentile_after: float | None
    percentile_change: float | None


@dataclass(frozen=True, slots=True)
class Guardrails:
    protected_entries: int
    protected_moved_back: int
    """Entries protected under either rule set that the draft moves later *behind an
    unprotected entry* of their list and priority: must be 0."""
    protected_moved_later_among_protected: int
    """Protected entries moved later only by other protected entries gaining uplift."""
    lost_protection: int
    """Entries protected under the rules in force but not under the draft."""
    priority_order_kept: bool
    """No entry is ranked ahead of a more urgent priority in its list."""


@dataclass(frozen=True, slots=True)
class PreviewBody:
    entries_compared: int
    parked_excluded: int
    overall: Shift
    lists: list[ListShift]
    by_imd_quintile: list[GroupShift]
    by_ethnic_group: list[GroupShift]
    guardrails: Guardrails
    extra: dict[str, object] = field(default_factory=dict)


def _shift(change: NDArray[np.int64]) -> Shift:
    magnitude = np.abs(change)
    if not len(magnitude):
        return Shift(0, 0, 0.0, 0.0, 0)
    return Shift(
        entries=len(magnitude),
        moved=int(np.count_nonzero(magnitude)),
        mean_abs_change=round(float(magnitude.mean()), 3),
        median_abs_change=float(np.median(magnitude)),
        max_abs_change=int(magnitude.max()),
    )


def _mean(values: NDArray[np.float64]) -> float | None:
    return round(float(values.mean()), 3) if len(values) else None


def _share(mask: NDArray[np.bool_]) -> float | None:
    return round(float(mask.mean()), 4) if len(mask) else None


def _group_shifts(
    labels: Labels,
    change: NDArray[np.int64],
    before: NDArray[np.float64],
    after: NDArray[np.float64],
    order: Sequence[str],
) -> list[GroupShift]:
    present = [str(g) for g in np.unique(labels).tolist()]
    groups = [*order, *sorted(g for g in present if g not in order)]
    out: list[GroupShift] = []
    for group in groups:
        mask = labels == group
        n = int(mask.sum())
        moved = change[mask]
        out.append(
            GroupShift(
                group=group,
                entries=n,
                mean_rank_change=_mean(moved.astype(np.float64)),
                share_moved_earlier=_share(moved < 0),
                share_moved_later=_share(moved > 0),
                mean_percentile_before=_mean(before[mask]),
                mean_percentile_after=_mean(after[mask]),
                percentile_change=_mean(after[mask] - before[mask]),
            )
        )
    return out


def _behind_unprotected(result: RankingResult, rows: NDArray[np.intp]) -> NDArray[np.bool_]:
    """For ``rows``, whether some unprotected entry of the same list and priority is ahead."""
    band = result.list_id * max(len(result.priority_names), 1) + result.priority_index
    ranked = ~result.parked
    unprotected = ranked & ~result.protected
    first_unprotected = np.full(int(band.max(initial=0)) + 1, np.iinfo(np.int64).max)
    np.minimum.at(first_unprotected, band[unprotected], result.rank[unprotected])
    return np.asarray(result.rank[rows] > first_unprotected[band[rows]])


def _priority_order_kept(result: RankingResult) -> bool:
    ranked_codes = [rule.code for rule in result.rules.default.clinical_priority.ranked]
    position = np.array(
        [ranked_codes.index(c) if c in ranked_codes else -1 for c in result.priority_names] or [0],
        dtype=np.int64,
    )[result.priority_index]
    order = result.ranked_order
    same_list = result.list_id[order][1:] == result.list_id[order][:-1]
    backwards = position[order][1:] < position[order][:-1]
    return not bool((same_list & backwards).any())


def _guardrails(current: RankingResult, draft: RankingResult, rows: NDArray[np.intp]) -> Guardrails:
    change = draft.rank[rows] - current.rank[rows]
    later = change > 0
    protected_now, protected_draft = current.protected[rows], draft.protected[rows]
    behind = _behind_unprotected(draft, rows)
    return Guardrails(
        protected_entries=int(protected_draft.sum()),
        protected_moved_back=int(((protected_now | protected_draft) & later & behind).sum()),
        protected_moved_later_among_protected=int((protected_draft & later & ~behind).sum()),
        lost_protection=int((protected_now & ~protected_draft).sum()),
        priority_order_kept=_priority_order_kept(draft),
    )


def compare_rankings(
    current: RankingResult, draft: RankingResult, groups: Mapping[str, Labels]
) -> PreviewBody:
    """The preview of ``draft`` against ``current`` (two rankings of the same entries).

    ``groups`` holds per-entry labels under ``imd_quintile`` and ``ethnic_group``. Entries
    parked under either rule set are not compared (they hold no rank).
    """
    if len(current) != len(draft):
        raise ValueError("compare_rankings: the two rankings must cover the same entries")
    rows = np.flatnonzero(~current.parked & ~draft.parked)
    change = (draft.rank[rows] - current.rank[rows]).astype(np.int64)
    before = 100.0 * current.rank[rows] / np.maximum(current.list_size[rows], 1)
    after = 100.0 * draft.rank[rows] / np.maximum(draft.list_size[rows], 1)
    list_id = current.list_id[rows]
    lists = []
    for i in np.unique(list_id).tolist():
        provider, treatment_function, stage = current.list_keys[i]
        lists.append(ListShift(provider, treatment_function, stage, _shift(change[list_id == i])))
    return PreviewBody(
        entries_compared=len(rows),
        parked_excluded=len(current) - len(rows),
        overall=_shift(change),
        lists=lists,
        by_imd_quintile=_group_shifts(
            groups["imd_quintile"][rows], change, before, after, IMD_QUINTILES
        ),
        by_ethnic_group=_group_shifts(
            groups["ethnic_group"][rows], change, before, after, ETHNIC_GROUP_ORDER
        ),
        guardrails=_guardrails(current, draft, rows),
    )


def group_labels(arrays: PtlArrays) -> dict[str, Labels]:
    """IMD quintile (from the overall decile; 0 → "unknown") and ethnic broad group labels."""
    decile = arrays.imd_decile.astype(np.int64)
    quintile = np.array(IMD_QUINTILES, dtype=str)[np.where(decile > 0, (decile - 1) // 2, 5)]
    ethnic = np.where(arrays.ethnic_group == "", "unknown", arrays.ethnic_group)
    return {"imd_quintile": quintile, "ethnic_group": ethnic.astype(str)}


@dataclass(frozen=True, slots=True)
class DraftPreview:
    """A preview with what it compared: the draft, the versions in force, the list scored."""

    specialty: str
    draft_version: int
    compared_with_version_id: int | None
    provider_code: str
    census_date: date
    body: PreviewBody


def preview_draft(
    session: Session,
    specialty: str,
    draft_id: int,
    *,
    provider_code: str,
    census_date: date,
    imd_edition: str,
) -> DraftPreview:
    """Rank the provider's open list under the rules in force and with the draft substituted.

    A specialty draft scores that specialty's entries; a ``default`` draft scores every
    specialty that has no rule set of its own.
    """
    draft = get_draft(session, specialty, draft_id)
    now = utcnow()
    rule_set = validate_document(session, specialty, draft.document, now)
    in_force = rules_in_force(session, now)
    current_rules = in_force.rulebook
    if specialty == DEFAULT_SPECIALTY:
        draft_rules = RuleBook(default=rule_set, specialties=current_rules.specialties)
    else:
        draft_rules = current_rules.with_specialty(rule_set)
    loaded = load_open_ptl(
        session,
        provider_code,
        specialties=None if specialty == DEFAULT_SPECIALTY else [specialty],
        imd_edition=imd_edition,
        pathway_order=True,
    )
    arrays = loaded.arrays
    if specialty == DEFAULT_SPECIALTY:
        own = list(current_rules.specialties)
        arrays = arrays.take(np.flatnonzero(~np.isin(arrays.treatment_function_code, own)))
    try:
        current = rank_ptl(arrays, current_rules, census_date)
        proposed = rank_ptl(arrays, draft_rules, census_date)
    except ValueError as exc:
        raise InvalidRequest(f"the list cannot be ranked: {exc}") from exc
    return DraftPreview(
        specialty=specialty,
        draft_version=draft.version,
        compared_with_version_id=in_force.versions.get(specialty, in_force.versions["default"]),
        provider_code=provider_code,
        census_date=census_date,
        body=compare_rankings(current, proposed, group_labels(arrays)),
    )
