"""News calibration folded into the logistic regression's coefficients."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn
from scipy.special import expit, logit
from sklearn.linear_model import LogisticRegression

from factopinion.training.calibration import NewsCalibratedLogisticRegression

RNG = np.random.default_rng(3)
X = RNG.normal(size=(200, 4))
Y = np.where(X[:, 0] + 0.5 * X[:, 1] + RNG.normal(scale=0.8, size=200) > 0.6, "opinion", "fact")
COMMON = dict(C=2.0, solver="liblinear", random_state=13, max_iter=2000)


def test_no_calibration_is_plain_logistic_regression():
    for class_weight in (None, "balanced"):
        plain = LogisticRegression(class_weight=class_weight, **COMMON).fit(X, Y)
        ours = NewsCalibratedLogisticRegression(class_weight=class_weight, **COMMON).fit(X, Y)
        assert np.array_equal(ours.coef_, plain.coef_) and np.array_equal(ours.intercept_, plain.intercept_)


def test_temperature_and_prior_with_balanced_weights():
    plain = LogisticRegression(class_weight="balanced", **COMMON).fit(X, Y)
    ours = NewsCalibratedLogisticRegression(class_weight="balanced", temperature=2.5, prior=0.35, **COMMON).fit(X, Y)
    assert np.allclose(ours.coef_, plain.coef_ / 2.5)
    assert np.allclose(ours.intercept_, plain.intercept_ / 2.5 + logit(0.35))  # training prior 0.5: logit 0
    assert ours.calibration_["training_prior"] == pytest.approx(0.5)
    z = plain.decision_function(X)
    assert np.allclose(ours.predict_proba(X)[:, 1], expit(z / 2.5 + logit(0.35)))


def test_prior_shift_without_class_weights_removes_the_training_share():
    share = float(np.mean(Y == "opinion"))
    plain = LogisticRegression(**COMMON).fit(X, Y)
    ours = NewsCalibratedLogisticRegression(prior=0.5, **COMMON).fit(X, Y)
    assert ours.calibration_["training_prior"] == pytest.approx(share)
    assert np.allclose(ours.intercept_, plain.intercept_ + logit(0.5) - logit(share))
    weighted = NewsCalibratedLogisticRegression(prior=0.5, **COMMON).fit(
        X, Y, sample_weight=np.where(Y == "fact", 3, 1)
    )
    assert weighted.calibration_["training_prior"] == pytest.approx(share / (share + 3 * (1 - share)))


def test_parameters_clone_and_validation():
    model = NewsCalibratedLogisticRegression(temperature=2.0, prior=0.3)
    params = sklearn.clone(model).get_params()
    assert params["temperature"] == 2.0 and params["prior"] == 0.3
    with pytest.raises(ValueError, match="temperature"):
        NewsCalibratedLogisticRegression(temperature=0).fit(X, Y)
    with pytest.raises(ValueError, match="prior"):
        NewsCalibratedLogisticRegression(prior=1.0).fit(X, Y)
