"""What the signal transformers share: a scikit-learn transformer whose columns are an engine block's (its
``to_block``), so that training computes every signal with the very code that scores with the saved model."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin

from ..engine.blocks.base import Block
from ..naming import signal_name

__all__ = ["SignalFeatures"]


class SignalFeatures(TransformerMixin, BaseEstimator):
    """One column per signal of ``signals`` (among ``KNOWN``, named in errors as ``KIND`` signals), ``weight``
    times its value. Stateless: ``fit`` checks the signals' names; ``transform`` runs the block of ``to_block``."""

    KIND: str
    KNOWN: Mapping[str, object]
    signals: tuple[str, ...]
    weight: float

    def fit(self, X, y=None):
        unknown = set(self.signals) - set(self.KNOWN)
        if unknown:
            raise ValueError(f"unknown {self.KIND} signals {sorted(unknown)}; choose from {', '.join(self.KNOWN)}")
        return self

    def to_block(self, coef: np.ndarray | None = None, weight: float = 1.0, name: str = "") -> Block:
        """These signals as the engine's block, with the classifier's coefficients ``coef`` and the feature union's
        ``weight`` (what the model file holds)."""
        raise NotImplementedError

    def transform(self, X) -> sparse.csr_matrix:
        return sparse.csr_matrix(self.to_block().dense(X))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.array([signal_name(name) for name in self.signals], dtype=object)
