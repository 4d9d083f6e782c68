"""Cheap stylistic signals of the author's voice, as a scikit-learn transformer beside the TF-IDF words. The
signals are defined, and computed, once: by the engine's style block (``engine.blocks.style``)."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin

from ..engine.blocks.style import CUE_WORDS, STYLE_PATTERNS, StyleSignals
from ..naming import signal_name

__all__ = ["StyleFeatures", "STYLE_PATTERNS", "CUE_WORDS"]


class StyleFeatures(TransformerMixin, BaseEstimator):
    """One column per signal in ``STYLE_PATTERNS`` (attribution verbs, quotation marks, a sentence that opens with
    a quotation mark, first and second person, modal verbs of obligation, a closing question mark, exclamation
    marks, numbers): ``weight`` where the signal occurs in the sentence, else 0. ``weight`` sets how loud the
    signals are beside the unit-length TF-IDF rows. Stateless.

    The columns are the engine's style block's (``to_block``), the very code that scores with the saved model:
    cue-word signals are found with one tokenisation and set lookups rather than one regular expression each,
    which gives the same as searching ``STYLE_PATTERNS`` (a test checks it) at a fraction of the cost.
    """

    def __init__(self, signals: tuple[str, ...] = tuple(STYLE_PATTERNS), weight: float = 1.0):
        self.signals = signals
        self.weight = weight

    def fit(self, X, y=None):
        unknown = set(self.signals) - set(STYLE_PATTERNS)
        if unknown:
            raise ValueError(f"unknown style signals {sorted(unknown)}; choose from {', '.join(STYLE_PATTERNS)}")
        return self

    def to_block(self, coef: np.ndarray | None = None, weight: float = 1.0, name: str = "style") -> StyleSignals:
        """These signals as the engine's block, with the classifier's coefficients ``coef`` and the feature union's
        ``weight`` (what the model file holds)."""
        coef = np.zeros(len(self.signals)) if coef is None else coef
        return StyleSignals.of_keys(self.signals, coef, float(self.weight) * weight, name)

    def transform(self, X) -> sparse.csr_matrix:
        return sparse.csr_matrix(self.to_block().dense(X))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.array([signal_name(name) for name in self.signals], dtype=object)
