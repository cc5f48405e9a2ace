"""The failed-offer model recovers the synthetic history's known mechanism, with honest figures."""

import datetime

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from app.demo import generate_ptl
from app.demo.offers import generate_offers, offer_facts
from app.risk import model as model_module
from app.risk.features import FeatureSpec, build_matrix, earlier_failures
from app.risk.model import TrainingError, load, train

CENSUS = datetime.date(2026, 12, 1)


@pytest.fixture(scope="module")
def history():
    ptl = generate_ptl(20_000, seed=11, census_date=CENSUS)
    offers = generate_offers(ptl, census_date=CENSUS)
    return ptl, offers, offer_facts(ptl, offers)


@pytest.fixture(scope="module")
def model(history):
    return train(history[2])


def test_earlier_failures_count_only_offers_whose_date_had_passed():
    key = np.array(["a", "a", "a", "b", "a"])
    offered = np.array(["2026-01-01", "2026-02-01", "2026-03-01", "2026-03-01", "2026-03-01"])
    booked = np.array(["2026-01-10", "2026-03-05", "2026-03-20", "2026-03-09", "2026-03-02"])
    failed = np.array([True, True, False, True, True])
    counts = earlier_failures(
        key, offered.astype("datetime64[D]"), booked.astype("datetime64[D]"), failed
    )
    # The 2026-02-01 offer (date 03-05) had not failed yet when the 03-01 offers were made.
    assert counts.tolist() == [0, 1, 1, 0, 1]


def test_model_recovers_the_mechanism(history, model):
    _, offers, facts = history
    metrics = model.metrics
    late = facts.offer_date >= np.datetime64(metrics["validation"]["cutoff"])
    oracle = roc_auc_score(facts.failed[late], offers["true_probability"][late])
    overall = metrics["overall"]
    # Discrimination close to the best any model can reach on this history.
    assert overall["auc"] >= oracle - 0.02, (overall["auc"], oracle)
    assert abs(overall["predicted_rate"] - overall["observed_rate"]) < 0.02
    assert overall["brier"] < float(np.var(facts.failed[late]))  # better than the base rate
    predicted = model.predict(facts)
    assert np.corrcoef(predicted, offers["true_probability"])[0, 1] > 0.9
    for point in metrics["calibration_curve"]:
        assert abs(point["predicted"] - point["observed"]) < 0.05


def test_risk_rises_with_deprivation_and_earlier_failures(history, model):
    facts = history[2]
    predicted = model.predict(facts)
    by_decile = [predicted[facts.imd_decile == d].mean() for d in range(1, 11)]
    assert by_decile[0] > by_decile[4] > by_decile[9]
    matrix = build_matrix(facts, model.spec)
    prior = matrix[:, model.spec.names.index("pathway_earlier_failures")]
    assert (
        predicted[prior >= 2].mean() > predicted[prior == 1].mean() > predicted[prior == 0].mean()
    )


def test_validation_is_time_based_and_both_estimators_are_compared(model):
    metrics = model.metrics
    train_window, test_window = (
        metrics["validation"]["train_window"],
        metrics["validation"]["test_window"],
    )
    assert train_window[1] < metrics["validation"]["cutoff"] <= test_window[0]
    assert set(metrics["candidates"]) == {"logistic", "gradient_boosting"}
    chosen = metrics["chosen"]
    assert metrics["candidates"][chosen]["brier"] == min(
        c["brier"] for c in metrics["candidates"].values()
    )


def test_figures_by_group_cover_every_dimension(model):
    groups = model.metrics["by_group"]
    assert set(groups) == {"imd_quintile", "ethnic_group", "sex", "age_band"}
    imd = {entry["group"]: entry for entry in groups["imd_quintile"]}
    most, least = imd["Q1 (most deprived)"], imd["Q5 (least deprived)"]
    assert most["observed_rate"] > least["observed_rate"]
    assert most["true_positive_rate"] >= least["true_positive_rate"]
    for entries in groups.values():
        for entry in entries:
            assert {"auc", "brier", "calibration_gap", "false_positive_rate"} <= set(entry)
            assert abs(entry["calibration_gap"]) < 0.05 or entry["offers"] < 200 or entry["flags"]


def test_stored_figures_are_the_stored_models_own(history, model):
    facts = history[2]
    late = facts.offer_date >= np.datetime64(model.metrics["validation"]["cutoff"])
    predicted = model.predict(facts)[late]
    observed = facts.failed[late].astype(np.int64)
    assert model.metrics["overall"]["brier"] == pytest.approx(np.mean((predicted - observed) ** 2))


def test_a_long_history_compares_on_a_sample_then_fits_the_chosen_on_all(history, monkeypatch):
    facts = history[2]
    monkeypatch.setattr(model_module, "COMPARISON_OFFERS", 3_000)
    sampled = train(facts)
    metrics = sampled.metrics
    assert metrics["compared_on_offers"] == 3_000 < metrics["validation"]["train_offers"]
    late = facts.offer_date >= np.datetime64(metrics["validation"]["cutoff"])
    predicted = sampled.predict(facts)[late]
    observed = facts.failed[late].astype(np.int64)
    # The stored figures are the chosen estimator's fitted on every earlier offer ...
    assert metrics["overall"]["brier"] == pytest.approx(np.mean((predicted - observed) ** 2))
    # ... not the sample fit's, which the comparison keeps.
    assert metrics["candidates"][metrics["chosen"]]["brier"] != metrics["overall"]["brier"]


def test_a_markedly_miscalibrated_group_is_flagged(history):
    facts = history[2]
    # Women's offers in the later window fail far more often than the model could know.
    rng = np.random.default_rng(1)
    failed = facts.failed.copy()
    late = facts.offer_date >= np.sort(facts.offer_date)[int(len(failed) * 0.75)]
    women = np.asarray(facts.sex).astype(str) == "2"
    failed[late & women & (rng.random(len(failed)) < 0.3)] = True
    skewed = train(
        facts.__class__(**{**facts.__dict__, "failed": failed}), estimators=("logistic",)
    )
    assert any(
        flag.startswith("sex 2: under-predicts") for flag in skewed.metrics["flagged_groups"]
    )


def test_ethnicity_stays_out_unless_asked(history, model):
    assert not any(name.startswith("ethnic") for name in model.spec.names)
    governed = FeatureSpec.learn(history[2], ethnicity=True)
    assert any(name.startswith("ethnic_group=") for name in governed.names)


def test_a_stored_model_scores_the_same(history, model):
    facts = history[2]
    again = load(model.estimator_name, model.dumps(), model.spec.as_dict(), model.metrics)
    np.testing.assert_array_equal(again.predict(facts), model.predict(facts))


def test_too_little_history_is_refused(history):
    facts = history[2]
    small = facts.__class__(
        **{k: (v[:100] if v is not None else None) for k, v in facts.__dict__.items()}
    )
    with pytest.raises(TrainingError, match="at least 500"):
        train(small)


def test_ethnicity_needs_its_governance_record(history):
    from app.risk.model import EthnicityGovernance

    facts = history[2]
    lapsed = EthnicityGovernance(
        "Trust equity review 2026/14", "Dr A Lead", datetime.date(2026, 1, 1)
    )
    with pytest.raises(TrainingError, match="review_date"):
        train(facts, ethnicity=lapsed, today=CENSUS)
    unsigned = EthnicityGovernance("Trust equity review 2026/14", " ", datetime.date(2027, 6, 1))
    with pytest.raises(TrainingError, match="approved_by"):
        train(facts, ethnicity=unsigned, today=CENSUS)
    governed = EthnicityGovernance(
        "Trust equity review 2026/14", "Dr A Lead", datetime.date(2027, 6, 1)
    )
    used = train(facts, ethnicity=governed, today=CENSUS, estimators=("logistic",))
    assert any(name.startswith("ethnic_group=") for name in used.spec.names)
    assert used.metrics["ethnicity_governance"]["approved_by"] == "Dr A Lead"
