"""How good the model is on held-out offers, overall and per group.

Per group (IMD quintile, ethnic group, sex, age band) it reports the offers, observed and
predicted failure rates, AUC, Brier score, calibration gap, and the true- and false-positive
rates at the support threshold. A group is **flagged** when, with enough offers to tell, the
model ranks it markedly worse (AUC at least ``AUC_DROP`` below the median of its dimension's
groups) or misjudges its level (predicted and observed failure rates apart by at least
``CALIBRATION_GAP``).

The per-group figures are the ones fairlearn's ``MetricFrame`` gives (the same sklearn and
fairlearn metric functions, applied to each group's offers; a test holds them equal), computed
from one sort of the offers by group. ``MetricFrame`` itself passes every value through Python
(``np.stack`` per metric, per group): on the 250,000 held-out offers of a 1,000,000-offer
history that alone took longer than the whole training may.
"""

from __future__ import annotations

import math
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from fairlearn.metrics import false_positive_rate, true_positive_rate
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, roc_auc_score

from app.risk.features import OfferFacts, age_band, ethnic_group, imd_quintile

AUC_DROP: Final = 0.05
CALIBRATION_GAP: Final = 0.05
#: Fewest offers in a group for its figures to be judged (smaller groups are shown, not flagged).
MIN_GROUP_OFFERS: Final = 200
CALIBRATION_BINS: Final = 10


def _auc(y_true: npt.NDArray[Any], y_score: npt.NDArray[Any]) -> float:
    if len(np.unique(y_true)) < 2:
        return math.nan
    return float(roc_auc_score(y_true, y_score))


def _brier(y_true: npt.NDArray[Any], y_score: npt.NDArray[Any]) -> float:
    return float(brier_score_loss(y_true, y_score))


def _observed(y_true: npt.NDArray[Any], y_score: npt.NDArray[Any]) -> float:
    return float(np.mean(y_true))


def _predicted(y_true: npt.NDArray[Any], y_score: npt.NDArray[Any]) -> float:
    return float(np.mean(y_score))


def _count(y_true: npt.NDArray[Any], y_score: npt.NDArray[Any]) -> int:
    return len(y_true)


def group_labels(facts: OfferFacts, rows: npt.NDArray[np.bool_]) -> dict[str, npt.NDArray[np.str_]]:
    """The group each held-out offer belongs to, per dimension."""
    return {
        "imd_quintile": imd_quintile(facts.imd_decile[rows]),
        "ethnic_group": ethnic_group(facts.ethnic_category[rows]),
        "sex": np.asarray(facts.sex[rows]).astype(str),
        "age_band": age_band(facts.age_years[rows]),
    }


GROUP_METRICS: Final = {
    "offers": _count,
    "auc": _auc,
    "brier": _brier,
    "observed_rate": _observed,
    "predicted_rate": _predicted,
}
"""Figures of the predicted risks, per group."""
RATE_METRICS: Final = {
    "true_positive_rate": true_positive_rate,
    "false_positive_rate": false_positive_rate,
}
"""Figures of the support decision (risk at or above the threshold), per group."""


def group_figures(
    observed: npt.NDArray[np.int64],
    predicted: npt.NDArray[np.float64],
    flagged: npt.NDArray[np.bool_],
    labels: npt.NDArray[np.str_],
) -> list[dict[str, Any]]:
    """Each group's figures (groups in sorted order), without flags."""
    groups, inverse = np.unique(labels, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(groups) + 1))
    decided = flagged.astype(np.int64)
    entries: list[dict[str, Any]] = []
    for index, group in enumerate(groups.tolist()):
        members = order[bounds[index] : bounds[index + 1]]
        truth, risk = observed[members], predicted[members]
        entry: dict[str, Any] = {"group": str(group)}
        entry.update({name: _plain(f(truth, risk)) for name, f in GROUP_METRICS.items()})
        entry.update({name: _plain(f(truth, decided[members])) for name, f in RATE_METRICS.items()})
        entry["offers"] = len(members)
        entry["calibration_gap"] = entry["predicted_rate"] - entry["observed_rate"]
        entries.append(entry)
    return entries


def evaluate(
    facts: OfferFacts,
    rows: npt.NDArray[np.bool_],
    predicted: npt.NDArray[np.float64],
    *,
    threshold: float,
) -> dict[str, Any]:
    """Overall and per-group figures for the offers ``rows`` of ``facts`` and their risks."""
    assert facts.failed is not None
    observed = facts.failed[rows].astype(np.int64)
    flagged = predicted >= threshold
    overall = {
        "offers": len(observed),
        "auc": _auc(observed, predicted),
        "brier": _brier(observed, predicted),
        "observed_rate": float(observed.mean()),
        "predicted_rate": float(predicted.mean()),
        "true_positive_rate": float(true_positive_rate(observed, flagged.astype(np.int64))),
        "false_positive_rate": float(false_positive_rate(observed, flagged.astype(np.int64))),
        "share_flagged": float(flagged.mean()),
    }
    fraction, mean_predicted = calibration_curve(
        observed, predicted, n_bins=CALIBRATION_BINS, strategy="quantile"
    )
    curve = [
        {"predicted": round(float(p), 4), "observed": round(float(o), 4)}
        for p, o in zip(mean_predicted, fraction, strict=True)
    ]
    by_group: dict[str, list[dict[str, Any]]] = {}
    warnings: list[str] = []
    for dimension, labels in group_labels(facts, rows).items():
        entries = group_figures(observed, predicted, flagged, labels)
        peers = [
            e["auc"] for e in entries if e["auc"] is not None and e["offers"] >= MIN_GROUP_OFFERS
        ]
        typical = float(np.median(peers)) if peers else math.nan
        for entry in entries:
            entry["flags"] = _flags(entry, typical)
            warnings += [f"{dimension} {entry['group']}: {flag}" for flag in entry["flags"]]
        by_group[dimension] = entries
    return {
        "overall": overall,
        "calibration_curve": curve,
        "by_group": by_group,
        "flagged_groups": warnings,
    }


def _flags(entry: dict[str, Any], typical_auc: float) -> list[str]:
    """Why a group's figures are markedly worse than its peers' (none if too few offers).

    AUC is compared with the median AUC of the dimension's groups, not with the overall
    figure: within a group defined by a predictive feature (IMD quintile) the model has less
    to tell apart, so every group's AUC sits below the overall one.
    """
    if entry["offers"] < MIN_GROUP_OFFERS:
        return []
    flags: list[str] = []
    auc = entry["auc"]
    if auc is not None and not math.isnan(typical_auc) and auc <= typical_auc - AUC_DROP:
        flags.append(f"AUC {auc:.3f} is markedly below the groups' median {typical_auc:.3f}")
    gap = entry["calibration_gap"]
    if abs(gap) >= CALIBRATION_GAP:
        way = "over" if gap > 0 else "under"
        flags.append(
            f"{way}-predicts failure: predicted {entry['predicted_rate']:.3f}, "
            f"observed {entry['observed_rate']:.3f}"
        )
    return flags


def _plain(value: Any) -> Any:
    """numpy and NaN values as JSON-safe Python values (NaN → None)."""
    number = float(value)
    if math.isnan(number):
        return None
    return number
