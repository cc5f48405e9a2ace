"""Failed offers by group on the equity dashboard: observed in the offer history, and predicted
by the active risk model for the same offers.

Why beside the waits: part of a deprivation gap is patients who are offered a date and cannot
take it; this shows which groups lose offers, and whether the model in use judges each group's
level right (a model that under-predicts a group would leave it short of support). Risk is
never a priority factor (docs/support-model.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from app.risk.evaluation import group_labels
from app.risk.features import AGE_BANDS, NOT_KNOWN, SEX_CODES
from app.risk.scoring import model_in_use
from app.risk.service import history_facts

DIMENSIONS: Final = ("imd_quintile", "ethnic_group", "sex", "age_band")
#: Groups in a fixed order per dimension (groups with no offers are left out).
GROUP_ORDER: Final[dict[str, tuple[str, ...]]] = {
    "imd_quintile": (
        "Q1 (most deprived)", "Q2", "Q3", "Q4", "Q5 (least deprived)", NOT_KNOWN,
    ),
    "ethnic_group": ("White", "Mixed", "Asian", "Black", "Other", NOT_KNOWN),
    "sex": SEX_CODES,
    "age_band": tuple(label for _, label in AGE_BANDS),
}  # fmt: skip


@dataclass(frozen=True)
class FailureGroup:
    group: str
    offers: int
    failed: int
    observed_rate: float
    predicted_rate: float | None


@dataclass(frozen=True)
class FailureRates:
    """One provider's (and specialty's) failed offers by group."""

    provider_code: str
    specialty: str | None
    offers: int
    failed: int
    observed_rate: float | None
    predicted_rate: float | None
    first_offer: str | None
    last_offer: str | None
    model_id: int | None
    empty: str | None
    """Why there is nothing (or nothing predicted) to show, in plain words; None otherwise."""
    dimensions: dict[str, list[FailureGroup]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "provider_code": self.provider_code,
            "specialty": self.specialty,
            "offers": self.offers,
            "failed": self.failed,
            "observed_rate": self.observed_rate,
            "predicted_rate": self.predicted_rate,
            "first_offer": self.first_offer,
            "last_offer": self.last_offer,
            "model_id": self.model_id,
            "predicted_for": "the same offers, as they stood when each was made",
            "empty": self.empty,
            "dimensions": {
                name: [vars(group) for group in groups] for name, groups in self.dimensions.items()
            },
        }


def _rates(
    labels: npt.NDArray[np.str_],
    failed: npt.NDArray[np.bool_],
    predicted: npt.NDArray[np.float64] | None,
    order: tuple[str, ...],
) -> list[FailureGroup]:
    present = set(np.unique(labels).tolist())
    groups = [g for g in order if g in present] + sorted(present - set(order))
    rows = []
    for group in groups:
        mine = labels == group
        rows.append(
            FailureGroup(
                group=group,
                offers=int(mine.sum()),
                failed=int(failed[mine].sum()),
                observed_rate=round(float(failed[mine].mean()), 4),
                predicted_rate=None
                if predicted is None
                else round(float(predicted[mine].mean()), 4),
            )
        )
    return rows


def failure_rates(
    session: Session, provider_code: str, *, specialty: str | None = None
) -> FailureRates:
    """Offers, observed and predicted failure rates per IMD quintile, ethnic group, sex and age
    band, over every stored offer of the provider (one specialty's when given) whose pathway
    is on a PTL."""
    facts = history_facts(session, provider_code)
    if specialty is not None and len(facts):
        keep = np.asarray(facts.specialty).astype(str) == specialty
        facts = type(facts)(
            **{
                name: value[keep] if isinstance(value, np.ndarray) else value
                for name, value in vars(facts).items()
            }
        )
    assert facts.failed is not None
    total = len(facts)
    if total == 0:
        where = f" in specialty {specialty}" if specialty else ""
        return FailureRates(
            provider_code, specialty, 0, 0, None, None, None, None, None,
            f"No offer history has been uploaded for {provider_code}{where}: upload past "
            "appointment and admission offers to see failure rates by group.",
        )  # fmt: skip
    in_use = model_in_use(session)
    predicted = None if in_use is None else in_use.model.predict(facts)
    failed = facts.failed.astype(np.bool_)
    days = np.sort(facts.offer_date.astype("datetime64[D]"))
    labels = group_labels(facts, np.ones(total, dtype=np.bool_))
    return FailureRates(
        provider_code=provider_code,
        specialty=specialty,
        offers=total,
        failed=int(failed.sum()),
        observed_rate=round(float(failed.mean()), 4),
        predicted_rate=None if predicted is None else round(float(predicted.mean()), 4),
        first_offer=str(days[0]),
        last_offer=str(days[-1]),
        model_id=None if in_use is None else in_use.model_id,
        empty=None
        if in_use is not None
        else "No risk model is active, so no failure rates are predicted: an administrator "
        "trains one and activates it with a reason.",
        dimensions={
            name: _rates(labels[name], failed, predicted, GROUP_ORDER[name]) for name in DIMENSIONS
        },
    )
