"""The scikit-learn side: the feature transformers, the calibrated classifier, the pipeline and its training,
the labeled data sets, the quality figures, and the export of a fitted pipeline to the engine's data form.

The names of ``training.pipeline`` (``factopinion.training.train`` and the rest) are importable from here, as
before the package had folders; they are imported when first used (training imports scikit-learn and pandas).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .pipeline import (
        DEFAULT_PARAMS,
        DEFAULT_SEED,
        TOKEN_PATTERN,
        build_pipeline,
        cross_validate,
        train,
        train_default,
    )

__all__ = [
    "DEFAULT_PARAMS",
    "DEFAULT_SEED",
    "TOKEN_PATTERN",
    "build_pipeline",
    "cross_validate",
    "train",
    "train_default",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module(".pipeline", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
