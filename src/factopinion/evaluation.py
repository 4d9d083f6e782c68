"""Quality figures for predictions against gold labels."""

from __future__ import annotations

from collections.abc import Sequence

from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from .document import LABELS

__all__ = ["classification_report"]


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
