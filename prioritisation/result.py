"""The engine's output: columnar arrays aligned with the input, plus explanation helpers.

Why columnar: the API pages through it, the database bulk-stores it and the impact simulator
compares two of them with array arithmetic. Scores and components are exact multiples of
0.01 day: the float ``*_days`` arrays are the ``*_centidays`` integers divided by 100, except
``score``, the float sum of the components (so they add up to it exactly).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from prioritisation.coded import CodedPtl
from prioritisation.guardrails import range_of, rtt_weeks
from prioritisation.inputs import PtlArrays, StrArray
from prioritisation.rulebook import RuleBook
from prioritisation.scoring import COMPONENTS, BoolArray, IntArray

FloatArray = NDArray[np.float64]
OVERRIDE_STATUSES = ("", "applied", "ignored_parked", "ignored_protected")
PARKED_REASONS = ("", "patient_deferred", "active_monitoring")


def _expand(names: tuple[str, ...], index: NDArray[np.integer[Any]]) -> StrArray:
    return np.array(names, dtype=str)[index] if names else np.full(len(index), "", dtype="<U1")


@dataclass(frozen=True, eq=False, slots=True)
class RankingResult:
    """One row per input entry. ``rank`` is 1..list_size within the entry's list (provider,
    treatment function, pathway stage) and 0 for parked entries."""

    census_date: np.datetime64
    list_id: IntArray
    list_keys: tuple[tuple[str, str, str], ...]
    rank: IntArray
    conventional_rank: IntArray
    list_size: IntArray
    parked: BoolArray
    parked_reason_index: IntArray
    priority_index: IntArray
    priority_names: tuple[str, ...]
    priority_defaulted: BoolArray
    wait_days: IntArray
    score_centidays: IntArray
    component_centidays: Mapping[str, IntArray]
    uplift_uncapped_centidays: IntArray
    cap_centidays: IntArray
    capped: BoolArray
    protected: BoolArray
    protection_reason_index: NDArray[np.int16]
    protection_reasons: tuple[str, ...]
    rule_set_index: IntArray
    rule_set_ids: tuple[str, ...]
    rule_set_versions: tuple[str, ...]
    override_kind: StrArray
    override_status_index: IntArray
    coded: CodedPtl
    rules: RuleBook
    ranked_order: NDArray[np.intp]
    conventional_ranked_order: NDArray[np.intp]

    def __len__(self) -> int:
        return len(self.rank)

    # String columns are stored as small integer codes and expanded on demand: building
    # million-row string arrays would cost more than scoring.

    @property
    def priority_code(self) -> StrArray:
        """The priority code ranked by (a blank code shows as the code it was ranked as)."""
        return _expand(self.priority_names, self.priority_index)

    @property
    def parked_reason(self) -> StrArray:
        """Why an entry is parked: patient_deferred (P5/P6), active_monitoring (31/32) or ""."""
        return _expand(PARKED_REASONS, self.parked_reason_index)

    @property
    def protection_reason(self) -> StrArray:
        """The reason code that places the entry in its range, e.g. past_52_weeks,
        past_priority_target (ordered by score, so not protected), last_chance; "" for the
        routine range and parked entries."""
        return _expand(self.protection_reasons, self.protection_reason_index)

    @property
    def tier(self) -> StrArray:
        """The range of wait that orders the entry within its band (docs/scoring.md §4):
        long_wait, last_chance, past_target, target_margin or routine; "" when parked."""
        names = tuple(range_of(name) for name in self.protection_reasons)
        tiers = _expand(names, self.protection_reason_index)
        return np.where(self.parked, "", tiers)

    @property
    def rule_set(self) -> StrArray:
        """The rule set applied: a treatment function code or "default"."""
        return _expand(self.rule_set_ids, self.rule_set_index)

    @property
    def rule_set_version(self) -> StrArray:
        return _expand(self.rule_set_versions, self.rule_set_index)

    @property
    def override_status(self) -> StrArray:
        """What happened to a requested override: applied, ignored_parked, ignored_protected."""
        return _expand(OVERRIDE_STATUSES, self.override_status_index)

    @property
    def wait_weeks(self) -> IntArray:
        """Whole weeks as RTT reporting counts them (0 for days 0-7, W from day 7W+1)."""
        return rtt_weeks(self.wait_days)

    @property
    def inputs(self) -> PtlArrays:
        """The entries ranked, as strings (aligned with every array here)."""
        return self.coded.arrays

    @property
    def pathway_id(self) -> StrArray:
        return self.coded.pathway_id

    @property
    def score(self) -> FloatArray:
        """Score in days: wait plus capped equity uplift plus any clinician adjustment.

        The float sum of :meth:`components` left to right in ``COMPONENTS`` order, so the
        reported components add up to it exactly; it can differ from ``score_centidays / 100``
        in the last binary digit. ``score_centidays`` is what the ranking uses.
        """
        total = np.zeros(len(self), np.float64)
        for name in COMPONENTS:
            total += self.component(name)
        return total

    @property
    def uplift_uncapped(self) -> FloatArray:
        """The scaled equity components' sum before the cap, in days (centidays / 100)."""
        return self.uplift_uncapped_centidays / 100.0

    def component(self, name: str) -> FloatArray:
        """One component in days (see ``COMPONENTS``); together they sum to ``score``."""
        return self.component_centidays[name] / 100.0

    def components(self) -> dict[str, FloatArray]:
        """Every component in days, in ``COMPONENTS`` order."""
        return {name: self.component(name) for name in COMPONENTS}

    @property
    def wait(self) -> FloatArray:
        return self.component("wait")

    @property
    def deprivation(self) -> FloatArray:
        return self.component("deprivation")

    @property
    def ethnicity(self) -> FloatArray:
        return self.component("ethnicity")

    @property
    def core20(self) -> FloatArray:
        return self.component("core20")

    @property
    def inclusion(self) -> FloatArray:
        return self.component("inclusion")

    @property
    def clinical_area(self) -> FloatArray:
        return self.component("clinical_area")

    @property
    def cap(self) -> FloatArray:
        """The (zero or negative) adjustment the cap made."""
        return self.component("cap")

    @property
    def override(self) -> FloatArray:
        return self.component("override")

    @property
    def list_key(self) -> StrArray:
        """The entry's list as "provider/treatment function/stage"."""
        keys = np.array(["/".join(key) for key in self.list_keys], dtype=str)
        return keys[self.list_id]

    def order(self, include_parked: bool = False) -> NDArray[np.intp]:
        """Indices sorted by list, then rank; parked entries (by list, then pathway) last."""
        if not include_parked:
            return self.ranked_order
        parked = np.flatnonzero(self.parked)
        parked = parked[np.lexsort((self.pathway_id[parked], self.list_id[parked]))]
        return np.concatenate([self.ranked_order, parked])

    def conventional_order(self) -> NDArray[np.intp]:
        """Indices of the ranked entries sorted by list, then conventional rank."""
        return self.conventional_ranked_order

    def explain(
        self,
        indices: Iterable[int] | NDArray[np.intp],
        specialty_names: Mapping[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """Explanation records (with a plain-English sentence) for the given entries."""
        from prioritisation.explain import explain_entries

        return explain_entries(self, [int(i) for i in indices], specialty_names or {})
