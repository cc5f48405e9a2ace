"""The documented features of the failed-offer model, built for many offers at once.

Every feature describes the offer as it stood when it was made, so nothing the model sees
comes from after the offer (``docs/support-model.md`` lists them):

- age band, sex and IMD decile of the patient;
- failures of the pathway's earlier offers and of the patient's earlier offers (any pathway);
- specialty (treatment function), stage (admitted or not), lead time and wait so far.

Ethnicity is a feature only when ``FeatureSpec.ethnicity`` is set, which the service allows
only under a governance record (evidence, approver, review date), as for an ethnicity uplift.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

FloatMatrix = npt.NDArray[np.float64]

#: Age bands (lower bounds in years) used as a feature and for per-group metrics.
AGE_BANDS: Final[tuple[tuple[int, str], ...]] = (
    (0, "0-17"),
    (18, "18-39"),
    (40, "40-64"),
    (65, "65-79"),
    (80, "80+"),
)
SEX_CODES: Final = ("1", "2", "9", "X")
STAGES: Final = ("admitted", "non_admitted")
#: Earlier failures beyond this add nothing more (few patients have more; it bounds leverage).
FAILURE_CAP: Final = 5
#: Broad ethnic groups of the NHS ethnic category codes (first letter), for metrics by group.
ETHNIC_GROUPS: Final[dict[str, str]] = {
    **dict.fromkeys("ABC", "White"),
    **dict.fromkeys("DEFG", "Mixed"),
    **dict.fromkeys("HJKL", "Asian"),
    **dict.fromkeys("MNP", "Black"),
    **dict.fromkeys("RS", "Other"),
}
NOT_KNOWN: Final = "Not known"


@dataclass(frozen=True)
class OfferFacts:
    """Offers and their pathway's patient, one element per offer (inputs to the features).

    ``imd_decile`` 0 means unknown; ``ethnic_category`` is read only when governed.
    """

    pathway_key: npt.NDArray[Any]
    patient_key: npt.NDArray[Any]
    offer_date: npt.NDArray[np.datetime64]
    appointment_date: npt.NDArray[np.datetime64]
    clock_start: npt.NDArray[np.datetime64]
    age_years: npt.NDArray[np.float64]
    sex: npt.NDArray[Any]
    imd_decile: npt.NDArray[np.int64]
    specialty: npt.NDArray[Any]
    stage: npt.NDArray[Any]
    ethnic_category: npt.NDArray[Any]
    failed: npt.NDArray[np.bool_] | None = None
    #: Earlier failures, when given directly (scoring open pathways); else counted here.
    pathway_failures: npt.NDArray[np.int64] | None = None
    patient_failures: npt.NDArray[np.int64] | None = None

    def __len__(self) -> int:
        return len(self.offer_date)


@dataclass(frozen=True)
class FeatureSpec:
    """What the model's columns are: the specialty vocabulary and whether ethnicity is in."""

    specialties: tuple[str, ...]
    ethnicity: bool = False
    names: tuple[str, ...] = field(default=())

    @classmethod
    def learn(
        cls, facts: OfferFacts, *, ethnicity: bool = False, min_count: int = 50
    ) -> FeatureSpec:
        """Specialties with at least ``min_count`` offers get a column; the rest share one."""
        codes, counts = np.unique(np.asarray(facts.specialty).astype(str), return_counts=True)
        kept = tuple(sorted(str(code) for code in codes[counts >= min_count]))
        spec = cls(specialties=kept, ethnicity=ethnicity)
        return cls(specialties=kept, ethnicity=ethnicity, names=tuple(spec._names()))

    def _names(self) -> list[str]:
        names = [f"age_band={label}" for _, label in AGE_BANDS]
        names += [f"sex={code}" for code in SEX_CODES]
        names += ["deprivation", "imd_unknown"]
        names += ["pathway_earlier_failures", "patient_earlier_failures"]
        names += [f"specialty={code}" for code in self.specialties] + ["specialty=other"]
        names += [f"stage={stage}" for stage in STAGES]
        names += ["lead_weeks", "wait_weeks"]
        if self.ethnicity:
            names += [f"ethnic_group={group}" for group in _ETHNIC_LABELS]
        return names

    def as_dict(self) -> dict[str, Any]:
        return {
            "specialties": list(self.specialties),
            "ethnicity": self.ethnicity,
            "names": list(self.names),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureSpec:
        return cls(
            specialties=tuple(data["specialties"]),
            ethnicity=bool(data["ethnicity"]),
            names=tuple(data["names"]),
        )


_ETHNIC_LABELS: Final = ("White", "Mixed", "Asian", "Black", "Other", NOT_KNOWN)


def age_band(age_years: npt.NDArray[np.float64]) -> npt.NDArray[np.str_]:
    """The age band label of each age."""
    bounds = np.array([lower for lower, _ in AGE_BANDS[1:]], dtype=np.float64)
    labels = np.array([label for _, label in AGE_BANDS])
    return labels[np.searchsorted(bounds, age_years, side="right")]


def ethnic_group(codes: npt.NDArray[Any]) -> npt.NDArray[np.str_]:
    """Broad group of each ethnic category code ("Not known" for Z, 99 or blank)."""
    first = np.array([str(code)[:1].upper() for code in np.asarray(codes).tolist()])
    return np.array([ETHNIC_GROUPS.get(letter, NOT_KNOWN) for letter in first.tolist()])


def imd_quintile(decile: npt.NDArray[np.int64]) -> npt.NDArray[np.str_]:
    """``Q1 (most deprived)`` … ``Q5``, or ``Not known`` for decile 0."""
    labels = np.array([NOT_KNOWN, "Q1 (most deprived)", "Q2", "Q3", "Q4", "Q5 (least deprived)"])
    return labels[(np.asarray(decile) + 1) // 2]


def earlier_failures(
    key: npt.NDArray[Any],
    offer_date: npt.NDArray[np.datetime64],
    appointment_date: npt.NDArray[np.datetime64],
    failed: npt.NDArray[np.bool_],
) -> npt.NDArray[np.int64]:
    """For each offer, how many offers with the same ``key`` had failed when it was made.

    An earlier offer counts once its date has passed (appointment before this offer date):
    only then was its failure known. Vectorised: failed offers' (key, date) pairs are sorted
    once and each offer's count is two binary searches.
    """
    size = len(key)
    if size == 0:
        return np.zeros(0, dtype=np.int64)
    _, codes = np.unique(np.asarray(key).astype(str), return_inverse=True)
    span = np.int64(1 << 20)  # days: far more than any history holds
    base = np.datetime64("1990-01-01", "D")
    offered = (offer_date.astype("datetime64[D]") - base).astype(np.int64)
    booked = (appointment_date.astype("datetime64[D]") - base).astype(np.int64)
    codes = codes.astype(np.int64)
    events = np.sort(codes[failed] * span + booked[failed])
    upto = np.searchsorted(events, codes * span + offered, side="left")
    group = np.searchsorted(events, codes * span, side="left")
    return (upto - group).astype(np.int64)


def build_matrix(facts: OfferFacts, spec: FeatureSpec) -> FloatMatrix:
    """The feature matrix (one row per offer, columns as ``spec.names``)."""
    size = len(facts)
    columns: list[npt.NDArray[np.float64]] = []
    bands = age_band(np.asarray(facts.age_years, dtype=np.float64))
    columns += [(bands == label).astype(np.float64) for _, label in AGE_BANDS]
    sex = np.asarray(facts.sex).astype(str)
    columns += [(sex == code).astype(np.float64) for code in SEX_CODES]
    decile = np.asarray(facts.imd_decile, dtype=np.int64)
    known = decile > 0
    columns.append(np.where(known, (10 - decile) / 9.0, 0.5))
    columns.append((~known).astype(np.float64))
    pathway, patient = _failures(facts)
    columns.append(np.minimum(pathway, FAILURE_CAP).astype(np.float64))
    columns.append(np.minimum(patient, FAILURE_CAP).astype(np.float64))
    specialty = np.asarray(facts.specialty).astype(str)
    listed = np.zeros(size, dtype=np.bool_)
    for code in spec.specialties:
        hit = specialty == code
        listed |= hit
        columns.append(hit.astype(np.float64))
    columns.append((~listed).astype(np.float64))
    stage = np.asarray(facts.stage).astype(str)
    columns += [(stage == value).astype(np.float64) for value in STAGES]
    lead = (facts.appointment_date - facts.offer_date).astype("timedelta64[D]").astype(np.int64)
    wait = (facts.offer_date - facts.clock_start).astype("timedelta64[D]").astype(np.int64)
    columns.append(np.clip(lead, 0, 365) / 7.0)
    columns.append(np.clip(wait, 0, 3 * 365) / 7.0)
    if spec.ethnicity:
        groups = ethnic_group(facts.ethnic_category)
        columns += [(groups == label).astype(np.float64) for label in _ETHNIC_LABELS]
    matrix = np.column_stack(columns) if columns else np.zeros((size, 0))
    if spec.names and matrix.shape[1] != len(spec.names):
        raise ValueError("the feature matrix does not match the model's feature names")
    return np.ascontiguousarray(matrix, dtype=np.float64)


def _failures(facts: OfferFacts) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    if facts.pathway_failures is not None and facts.patient_failures is not None:
        return facts.pathway_failures, facts.patient_failures
    if facts.failed is None:
        raise ValueError("earlier failures need either the outcomes or the counts")
    when = (facts.offer_date, facts.appointment_date, facts.failed)
    return earlier_failures(facts.pathway_key, *when), earlier_failures(facts.patient_key, *when)
