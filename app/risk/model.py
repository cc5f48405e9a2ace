"""Train, validate and score the failed-offer model: two estimators compared on later offers.

Validation is time-based: the model is fitted on offers made before a cut-off and judged on
the offers made after it, as it will be used (on offers not yet made). Both candidates,
a calibrated logistic regression and histogram gradient boosting, are judged on the same
later offers; the one with the lower Brier score is kept. On a long history the candidates
are compared after fitting on a random sample of ``COMPARISON_OFFERS`` earlier offers, and only
the chosen one is fitted on all of them and judged again: fitting boosted trees on every
earlier offer of a 1,000,000-offer history took longer than a whole training may. The model
stored is the one fitted on the earlier offers, not refitted on the whole window, so the
figures stored with it are the figures of the very model in use. The comparison is stored
with the model, so the choice is on record.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from app.risk.evaluation import evaluate
from app.risk.features import FeatureSpec, OfferFacts, build_matrix

Estimator = Literal["logistic", "gradient_boosting"]
ESTIMATORS: Final[tuple[Estimator, ...]] = ("logistic", "gradient_boosting")
#: Share of the window's offers (the latest) held out for validation.
DEFAULT_VALIDATION_SHARE: Final = 0.25
#: Default predicted risk above which a patient is offered support (see support-model.md).
DEFAULT_SUPPORT_THRESHOLD: Final = 0.25
#: Fewest offers a model is trained on: fewer gives figures too noisy to act on.
MIN_OFFERS: Final = 500
#: Most earlier offers the candidates are compared on; the chosen one is then fitted on all.
COMPARISON_OFFERS: Final = 200_000


class TrainingError(ValueError):
    """The history cannot give a usable model (too few offers, no failures, ...)."""


@dataclass(frozen=True)
class EthnicityGovernance:
    """Leave to use ethnicity as a feature: the same record an ethnicity uplift needs.

    Without one, ethnicity never enters the model (it is still used to report figures by
    ethnic group, which is how a model's fairness is checked).
    """

    evidence_reference: str
    approved_by: str
    review_date: date

    def check(self, today: date) -> None:
        """TrainingError unless every part is given and the review date is still ahead."""
        problems = [
            f"{name}: required to use ethnicity as a feature"
            for name in ("evidence_reference", "approved_by")
            if not getattr(self, name).strip()
        ]
        if self.review_date <= today:
            problems.append(
                f"review_date: {self.review_date.isoformat()} has passed; the use of ethnicity "
                "must be reviewed before it is used again"
            )
        if problems:
            raise TrainingError("; ".join(problems))

    def as_dict(self) -> dict[str, str]:
        return {
            "evidence_reference": self.evidence_reference,
            "approved_by": self.approved_by,
            "review_date": self.review_date.isoformat(),
        }


@dataclass(frozen=True)
class TrainedModel:
    """A fitted estimator, its features and the figures that justify using it."""

    estimator_name: Estimator
    estimator: Any
    spec: FeatureSpec
    metrics: dict[str, Any]

    def predict(self, facts: OfferFacts) -> npt.NDArray[np.float64]:
        """The probability that each offer fails."""
        if len(facts) == 0:
            return np.zeros(0, dtype=np.float64)
        matrix = build_matrix(facts, self.spec)
        return np.asarray(self.estimator.predict_proba(matrix)[:, 1], dtype=np.float64)

    def dumps(self) -> bytes:
        """The fitted estimator as bytes, for the model store (only ever read back by us)."""
        return pickle.dumps(self.estimator, protocol=pickle.HIGHEST_PROTOCOL)


def _candidate(name: Estimator, seed: int) -> Any:
    if name == "logistic":
        logistic = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=500))
        return CalibratedClassifierCV(logistic, method="sigmoid", cv=3)
    return HistGradientBoostingClassifier(
        max_iter=150, learning_rate=0.1, early_stopping=False, random_state=seed
    )


def train(
    facts: OfferFacts,
    *,
    ethnicity: EthnicityGovernance | None = None,
    today: date | None = None,
    threshold: float = DEFAULT_SUPPORT_THRESHOLD,
    validation_share: float = DEFAULT_VALIDATION_SHARE,
    estimators: tuple[Estimator, ...] = ESTIMATORS,
    seed: int = 0,
) -> TrainedModel:
    """Fit both candidates on earlier offers, judge them on later ones, keep the better one.

    Ethnicity is a feature only with a valid ``ethnicity`` governance record.
    """
    if ethnicity is not None:
        ethnicity.check(today or date.today())
    if facts.failed is None:
        raise TrainingError("training needs the outcome of every offer")
    if len(facts) < MIN_OFFERS:
        raise TrainingError(f"{len(facts)} offers: at least {MIN_OFFERS} are needed")
    failed = facts.failed.astype(np.int64)
    if failed.min() == failed.max():
        raise TrainingError("every offer has the same outcome: nothing to learn")
    spec = FeatureSpec.learn(facts, ethnicity=ethnicity is not None)
    matrix = build_matrix(facts, spec)
    days = facts.offer_date.astype("datetime64[D]")
    cutoff = np.sort(days)[int(len(days) * (1 - validation_share))]
    early, late = days < cutoff, days >= cutoff
    if failed[early].min() == failed[early].max() or failed[late].min() == failed[late].max():
        raise TrainingError("the earlier or later offers hold only one outcome")
    earlier = np.flatnonzero(early)
    sample = earlier
    if len(earlier) > COMPARISON_OFFERS:
        rng = np.random.default_rng(seed)
        sample = np.sort(rng.choice(earlier, COMPARISON_OFFERS, replace=False))
    if failed[sample].min() == failed[sample].max():
        raise TrainingError("the sampled earlier offers hold only one outcome")
    compared: dict[str, dict[str, Any]] = {}
    fitted: dict[str, Any] = {}
    for name in estimators:
        fitted[name] = _candidate(name, seed).fit(matrix[sample], failed[sample])
        predicted = fitted[name].predict_proba(matrix[late])[:, 1]
        compared[name] = evaluate(facts, late, predicted, threshold=threshold)
    chosen = min(estimators, key=lambda name: compared[name]["overall"]["brier"])
    final, figures = fitted[chosen], compared[chosen]
    if len(sample) < len(earlier):
        final = _candidate(chosen, seed).fit(matrix[early], failed[early])
        predicted = final.predict_proba(matrix[late])[:, 1]
        figures = evaluate(facts, late, predicted, threshold=threshold)
    metrics = {
        "chosen": chosen,
        "why": "lower Brier score on the later (held-out) offers",
        "fitted_on": "the earlier offers (the figures below are this model's own)",
        "compared_on_offers": len(sample),
        "threshold": threshold,
        "ethnicity_governance": ethnicity.as_dict() if ethnicity is not None else None,
        "validation": {
            "cutoff": str(cutoff),
            "train_offers": int(early.sum()),
            "test_offers": int(late.sum()),
            "train_window": [str(days[early].min()), str(days[early].max())],
            "test_window": [str(days[late].min()), str(days[late].max())],
        },
        "window": [str(days.min()), str(days.max())],
        "offers": len(facts),
        "failure_rate": float(failed.mean()),
        "candidates": {name: compared[name]["overall"] for name in estimators},
        **figures,
    }
    return TrainedModel(chosen, final, spec, metrics)


def load(
    estimator_name: Estimator, blob: bytes, spec: dict[str, Any], metrics: dict[str, Any]
) -> TrainedModel:
    """A stored model back from the model store's bytes (written by :meth:`TrainedModel.dumps`)."""
    return TrainedModel(estimator_name, pickle.loads(blob), FeatureSpec.from_dict(spec), metrics)
