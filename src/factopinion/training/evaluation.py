"""Quality figures for predictions against gold labels: labels, probabilities, calibration, intervals.

Pure functions over arrays (numpy and sklearn.metrics). Gold labels may be ``fact``/``opinion`` strings or 0/1
(1 = opinion); probabilities are the model's probability of opinion.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
    roc_auc_score,
)

from ..document import LABELS

__all__ = [
    "classification_report",
    "as_binary",
    "macro_f1",
    "roc_auc",
    "expected_calibration_error",
    "reliability_table",
    "brier_score",
    "base_rate_brier",
    "opinion_share",
    "threshold_sweep",
    "bootstrap_interval",
    "probability_report",
    "misclassified",
    "by_group",
    "SWEEP_THRESHOLDS",
]

SWEEP_THRESHOLDS = tuple(round(0.1 * i, 1) for i in range(1, 10))  # 0.1, 0.2, ..., 0.9


def classification_report(gold: Sequence[str], predicted: Sequence[str]) -> dict:
    """Accuracy, per-class precision/recall/F1/support, macro-F1 and the confusion matrix (rows gold,
    columns predicted, both in ``LABELS`` order)."""
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, predicted, labels=list(LABELS), zero_division=0
    )
    return {
        "n": len(gold),
        "accuracy": round(float(accuracy_score(gold, predicted)), 4),
        "macro_f1": round(float(f1.mean()), 4),
        "per_class": {
            label: {
                "precision": round(float(precision[i]), 4),
                "recall": round(float(recall[i]), 4),
                "f1": round(float(f1[i]), 4),
                "support": int(support[i]),
            }
            for i, label in enumerate(LABELS)
        },
        "confusion_matrix": {
            "labels": list(LABELS),
            "matrix": confusion_matrix(gold, predicted, labels=list(LABELS)).tolist(),
        },
    }


def as_binary(labels) -> np.ndarray:
    """Gold or predicted labels as a 0/1 integer array (1 = opinion): ``fact``/``opinion`` strings, booleans or
    0/1 numbers."""
    values = np.asarray(labels)
    if values.dtype.kind in "USO":
        text = np.char.lower(values.astype(str))
        unknown = set(np.unique(text)) - {"fact", "opinion", "0", "1"}
        if unknown:
            raise ValueError(f"unknown labels {sorted(unknown)}; expected fact/opinion or 0/1")
        return np.isin(text, ("opinion", "1")).astype(np.int64)
    binary = values.astype(np.int64)
    if binary.size and not np.isin(binary, (0, 1)).all():
        raise ValueError("numeric labels must be 0 or 1")
    return binary


def _probabilities(probabilities) -> np.ndarray:
    p = np.asarray(probabilities, dtype=np.float64).ravel()
    if p.size and (np.isnan(p).any() or p.min() < 0 or p.max() > 1):
        raise ValueError("probabilities must lie in [0, 1]")
    return p


def macro_f1(gold, probabilities, threshold: float = 0.5) -> float:
    """Macro-F1 (mean of the fact and opinion F1) of labeling opinion where the probability is >= ``threshold``."""
    y, p = as_binary(gold), _probabilities(probabilities)
    return float(f1_score(y, (p >= threshold).astype(np.int64), labels=[0, 1], average="macro", zero_division=0))


def roc_auc(gold, probabilities) -> float:
    """Area under the ROC curve: the chance that a random opinion sentence scores above a random fact one
    (ties count half). NaN when only one class is present."""
    y, p = as_binary(gold), _probabilities(probabilities)
    if len(np.unique(y)) < 2:
        return float("nan")
    return float(roc_auc_score(y, p))


def reliability_table(gold, probabilities, bins: int = 10) -> list[dict]:
    """The reliability table over ``bins`` equal-width probability bins: for each bin its bounds, how many
    sentences fall in it, their mean predicted probability of opinion and their observed opinion share (None for an
    empty bin). Bin ``k`` holds probabilities in [k/bins, (k+1)/bins); 1.0 falls in the last bin."""
    y, p = as_binary(gold), _probabilities(probabilities)
    index = np.minimum((p * bins).astype(np.int64), bins - 1)
    counts = np.bincount(index, minlength=bins)
    observed = np.bincount(index, weights=y, minlength=bins)
    predicted = np.bincount(index, weights=p, minlength=bins)
    return [
        {
            "low": k / bins,
            "high": (k + 1) / bins,
            "n": int(counts[k]),
            "mean_predicted": float(predicted[k] / counts[k]) if counts[k] else None,
            "observed": float(observed[k] / counts[k]) if counts[k] else None,
        }
        for k in range(bins)
    ]


def expected_calibration_error(gold, probabilities, bins: int = 10) -> float:
    """ECE over the ``reliability_table``'s bins: the sentence-weighted mean of |observed opinion share - mean
    predicted probability| per bin."""
    y = as_binary(gold)
    if not y.size:
        return float("nan")
    table = reliability_table(y, probabilities, bins)
    return float(sum(row["n"] * abs(row["observed"] - row["mean_predicted"]) for row in table if row["n"]) / y.size)


def brier_score(gold, probabilities) -> float:
    """Mean squared difference between the probability of opinion and the 0/1 gold label."""
    y, p = as_binary(gold), _probabilities(probabilities)
    return float(np.mean((p - y) ** 2)) if y.size else float("nan")


def base_rate_brier(gold) -> float:
    """The Brier score of always predicting the gold opinion share ``s``: ``s * (1 - s)``. A model's Brier score
    below it means its probabilities carry information beyond the base rate."""
    y = as_binary(gold)
    if not y.size:
        return float("nan")
    share = y.mean()
    return float(share * (1 - share))


def opinion_share(labels_or_probabilities, threshold: float | None = None) -> float:
    """The share of opinion: of labels (``fact``/``opinion`` or 0/1), or with ``threshold`` of probabilities at
    or above it."""
    if threshold is None:
        y = as_binary(labels_or_probabilities)
    else:
        y = _probabilities(labels_or_probabilities) >= threshold
    return float(np.mean(y)) if len(y) else float("nan")


def threshold_sweep(gold, probabilities, thresholds: Sequence[float] = SWEEP_THRESHOLDS) -> list[dict]:
    """For each threshold: macro-F1, accuracy and the predicted opinion share of labeling opinion at or above it."""
    y, p = as_binary(gold), _probabilities(probabilities)
    rows = []
    for t in thresholds:
        predicted = (p >= t).astype(np.int64)
        rows.append(
            {
                "threshold": float(t),
                "macro_f1": float(f1_score(y, predicted, labels=[0, 1], average="macro", zero_division=0)),
                "accuracy": float(np.mean(predicted == y)) if y.size else float("nan"),
                "predicted_opinion_share": float(np.mean(predicted)) if y.size else float("nan"),
            }
        )
    return rows


def bootstrap_interval(
    metric: Callable[..., float],
    *arrays,
    resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """A percentile bootstrap interval for ``metric(*arrays)``: the arrays (of equal length) are resampled
    together, with replacement, ``resamples`` times with a fixed ``seed``. Resamples where the metric is NaN (an
    AUC on a resample with one class) are left out."""
    columns = [np.asarray(a) for a in arrays]
    n = len(columns[0])
    if any(len(c) != n for c in columns):
        raise ValueError("the arrays must have the same length")
    if n == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    drawn = [metric(*(c[pick] for c in columns)) for pick in (rng.integers(0, n, n) for _ in range(resamples))]
    values = np.asarray(drawn, dtype=np.float64)
    values = values[~np.isnan(values)]
    if not values.size:
        return float("nan"), float("nan")
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def probability_report(
    gold,
    probabilities,
    threshold: float = 0.5,
    *,
    bins: int = 10,
    thresholds: Sequence[float] = SWEEP_THRESHOLDS,
) -> dict:
    """The figures of probabilistic predictions: macro-F1 at ``threshold``, AUC, ECE, Brier and base-rate Brier,
    predicted and gold opinion share, and the threshold sweep."""
    y, p = as_binary(gold), _probabilities(probabilities)
    return {
        "n": int(y.size),
        "threshold": float(threshold),
        "macro_f1": macro_f1(y, p, threshold),
        "auc": roc_auc(y, p),
        "ece": expected_calibration_error(y, p, bins),
        "reliability": reliability_table(y, p, bins),
        "brier": brier_score(y, p),
        "base_rate_brier": base_rate_brier(y),
        "predicted_opinion_share": opinion_share(p, threshold),
        "gold_opinion_share": opinion_share(y),
        "threshold_sweep": threshold_sweep(y, p, thresholds),
    }


def misclassified(sentences: Sequence[str], gold, probabilities, threshold: float = 0.5) -> list[dict]:
    """The sentences labeled wrongly at ``threshold``, most confidently wrong first: index, sentence, gold and
    predicted label, probability of opinion."""
    y, p = as_binary(gold), _probabilities(probabilities)
    if not (len(sentences) == y.size == p.size):
        raise ValueError("sentences, gold labels and probabilities must have the same length")
    predicted = (p >= threshold).astype(np.int64)
    wrong = np.flatnonzero(predicted != y)
    order = sorted(wrong.tolist(), key=lambda i: (-abs(p[i] - threshold), i))
    return [
        {
            "index": i,
            "sentence": sentences[i],
            "gold": LABELS[y[i]],
            "predicted": LABELS[predicted[i]],
            "opinion_probability": float(p[i]),
        }
        for i in order
    ]


def by_group(groups: Sequence[str], gold, probabilities, threshold: float = 0.5) -> list[dict]:
    """The figures of each group of sentences (a kind, a topic, a source: one value of ``groups`` per sentence), in
    the order the groups first appear: how many sentences, how many of each gold label, accuracy at ``threshold``,
    the predicted opinion share and the mean probability of opinion."""
    y, p = as_binary(gold), _probabilities(probabilities)
    if not (len(groups) == y.size == p.size):
        raise ValueError("groups, gold labels and probabilities must have the same length")
    keys = np.asarray(groups, dtype=object)
    rows = []
    for group in dict.fromkeys(groups):
        mask = keys == group
        gold_in, p_in = y[mask], p[mask]
        predicted = (p_in >= threshold).astype(np.int64)
        rows.append(
            {
                "group": group,
                "n": int(mask.sum()),
                "gold": {LABELS[0]: int((gold_in == 0).sum()), LABELS[1]: int((gold_in == 1).sum())},
                "accuracy": float(np.mean(predicted == gold_in)),
                "predicted_opinion_share": float(np.mean(predicted)),
                "mean_opinion_probability": float(np.mean(p_in)),
            }
        )
    return rows
