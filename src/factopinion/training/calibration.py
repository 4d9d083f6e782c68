"""A logistic regression whose probabilities are calibrated for news, folded into its coefficients.

Trained on our corpus (balanced classes, mostly clear-cut sentences), the model's log-odds are too large for real
news and its prior is the corpus's 50/50, while news runs at roughly a third opinion. Two documented
hyper-parameters correct that: a ``temperature`` T that divides the log-odds, and the ``prior`` share of opinion
the probabilities assume. After the ordinary fit::

    coef_      <- coef_ / T
    intercept_ <- intercept_ / T + logit(prior) - logit(training prior)

where the training prior is the opinion share the fit saw after class (and sample) weighting: 0.5 with balanced
class weights, so the shift is ``logit(prior)``. The result is still a plain linear model, so ``predict_proba``,
the exact log-odds of ``explain.py`` and any plain-data scorer need nothing new. ``prior=None`` keeps the
training prior; ``temperature=1, prior=None`` is exactly ``LogisticRegression``.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.utils.class_weight import compute_sample_weight

__all__ = ["NewsCalibratedLogisticRegression", "logit", "choose_temperature", "TEMPERATURES"]


def logit(p: float) -> float:
    return math.log(p / (1 - p))


TEMPERATURES = tuple(float(t) for t in np.round(np.arange(1.0, 4.01, 0.25), 2))  # the grid the temperature is chosen on


def choose_temperature(
    log_odds, gold, prior: float, temperatures=TEMPERATURES, tolerance: float = 0.002
) -> tuple[float, list[tuple[float, float]]]:
    """The documented rule for the temperature: the smallest ``T`` of the grid whose Brier score on a news set
    (``log_odds``: the uncalibrated model's, ``gold``: 0/1 opinion) is within ``tolerance`` of the grid's lowest,
    with the log-odds divided by ``T`` and shifted to ``prior`` (from a 50/50 training prior, as balanced class
    weights give). The smallest: as sharp as the news set allows. Returns ``T`` and every (T, Brier)."""
    z, y = np.asarray(log_odds, dtype=np.float64), np.asarray(gold, dtype=np.float64)
    shift = logit(prior)
    scores = [(float(t), float(np.mean((1 / (1 + np.exp(-(z / t + shift))) - y) ** 2))) for t in temperatures]
    best = min(brier for _, brier in scores)
    return min(t for t, brier in scores if brier <= best + tolerance), scores


class NewsCalibratedLogisticRegression(LogisticRegression):
    """``LogisticRegression`` (binary) plus ``temperature`` and ``prior``, applied to ``coef_`` and ``intercept_``
    at the end of ``fit``. ``calibration_`` records what was applied."""

    def __init__(
        self,
        penalty="deprecated",
        *,
        C=1.0,
        l1_ratio=0.0,
        dual=False,
        tol=1e-4,
        fit_intercept=True,
        intercept_scaling=1,
        class_weight=None,
        random_state=None,
        solver="lbfgs",
        max_iter=100,
        verbose=0,
        warm_start=False,
        n_jobs=None,
        temperature: float = 1.0,
        prior: float | None = None,
    ):
        super().__init__(
            penalty=penalty,
            C=C,
            l1_ratio=l1_ratio,
            dual=dual,
            tol=tol,
            fit_intercept=fit_intercept,
            intercept_scaling=intercept_scaling,
            class_weight=class_weight,
            random_state=random_state,
            solver=solver,
            max_iter=max_iter,
            verbose=verbose,
            warm_start=warm_start,
            n_jobs=n_jobs,
        )
        self.temperature = temperature
        self.prior = prior

    def fit(self, X, y, sample_weight=None):
        if not (isinstance(self.temperature, (int, float)) and self.temperature > 0):
            raise ValueError(f"temperature must be a positive number, not {self.temperature!r}")
        if self.prior is not None and not (0 < self.prior < 1):
            raise ValueError(f"prior must lie strictly between 0 and 1, not {self.prior!r}")
        super().fit(X, y, sample_weight=sample_weight)
        if len(self.classes_) != 2:
            raise ValueError("NewsCalibratedLogisticRegression is binary only")
        trained = self._training_prior(y, sample_weight)
        shift = 0.0 if self.prior is None else logit(self.prior) - logit(trained)
        self.coef_ = self.coef_ / self.temperature
        self.intercept_ = self.intercept_ / self.temperature + shift
        self.calibration_ = {
            "temperature": float(self.temperature),
            "prior": None if self.prior is None else float(self.prior),
            "training_prior": trained,
            "intercept_shift": shift,
        }
        return self

    def _training_prior(self, y, sample_weight) -> float:
        """The weighted share of the positive class (``classes_[1]``) the fit saw."""
        y = np.asarray(y)
        weight = compute_sample_weight(self.class_weight, y) if self.class_weight is not None else np.ones(len(y))
        if sample_weight is not None:
            weight = weight * np.asarray(sample_weight, dtype=np.float64)
        positive = float(weight[y == self.classes_[1]].sum())
        return positive / float(weight.sum())
