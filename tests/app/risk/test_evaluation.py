"""Per-group figures equal fairlearn's MetricFrame, computed without its per-value Python path."""

import math

import numpy as np
from fairlearn.metrics import MetricFrame

from app.risk.evaluation import GROUP_METRICS, RATE_METRICS, group_figures


def _same(a: float | None, b: float) -> bool:
    return (a is None and math.isnan(b)) or (a is not None and math.isclose(a, b, abs_tol=1e-12))


def test_group_figures_equal_metric_frame():
    rng = np.random.default_rng(4)
    n = 5_000
    labels = rng.choice(np.array(["1", "2", "3", "4", "5", "unknown"]), n)
    predicted = rng.uniform(0, 0.6, n)
    observed = (rng.uniform(size=n) < predicted).astype(np.int64)
    # One group with a single outcome: its AUC is undefined (None), as MetricFrame's is NaN.
    observed[labels == "unknown"] = 0
    flagged = predicted >= 0.25
    mine = group_figures(observed, predicted, flagged, labels)
    scores = MetricFrame(
        metrics=dict(GROUP_METRICS), y_true=observed, y_pred=predicted, sensitive_features=labels
    ).by_group
    rates = MetricFrame(
        metrics=dict(RATE_METRICS),
        y_true=observed,
        y_pred=flagged.astype(np.int64),
        sensitive_features=labels,
    ).by_group
    assert [entry["group"] for entry in mine] == [str(g) for g in scores.index]
    for entry in mine:
        expected = {**scores.loc[entry["group"]].to_dict(), **rates.loc[entry["group"]].to_dict()}
        assert entry["offers"] == int(expected["offers"])
        for name in ("auc", "brier", "observed_rate", "predicted_rate", *RATE_METRICS):
            assert _same(entry[name], float(expected[name])), (entry["group"], name)
        assert math.isclose(
            entry["calibration_gap"], expected["predicted_rate"] - expected["observed_rate"]
        )
    assert next(e for e in mine if e["group"] == "unknown")["auc"] is None
