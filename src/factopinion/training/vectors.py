"""Dense sentence features from static word vectors, as a scikit-learn transformer beside the TF-IDF words.

The features are defined once, in ``engine.vectors`` (``sentence_vectors``): the scorer's ``static_vectors`` block
computes the same numbers from the same definition, and ``export`` checks that the two agree.
"""

from __future__ import annotations

import re

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin

from ..engine.vectors import VectorSet, sentence_vectors, shipped

__all__ = ["StaticVectorFeatures", "DEFAULT_VECTORS"]

DEFAULT_VECTORS = "minilm-l6-static-256"  # scripts/distill_vectors.py's set, shipped in factopinion/vectors/
_WORD = re.compile(r"\w+")  # as features.StyleFeatures and the scorer read words (after lowercasing)


class StaticVectorFeatures(TransformerMixin, BaseEstimator):
    """One column per dimension of a ``VectorSet``: the vectors of a sentence's known words (lowercased ``\\w+``
    runs) summed and divided by the square root of their number, times ``weight``; zeros for a sentence without
    a known word. ``vectors`` is a set, or the name of one that ships with factopinion; the fitted transformer
    holds the set (``vectors_``). ``weight`` sets how loud the block is beside the unit-length TF-IDF rows (the
    shipped sets are scaled so that the corpus's sentences have features of mean length 1). Stateless."""

    def __init__(self, vectors: VectorSet | str = DEFAULT_VECTORS, weight: float = 1.0):
        self.vectors = vectors
        self.weight = weight

    def fit(self, X, y=None):
        self.vectors_ = shipped(self.vectors) if isinstance(self.vectors, str) else self.vectors
        return self

    def transform(self, X) -> sparse.csr_matrix:
        vectors: VectorSet = self.vectors_
        texts = list(X)
        get, find = vectors.index.get, _WORD.findall
        rows: list[int] = []
        entries: list[int] = []
        for row, text in enumerate(texts):
            known = [entry for entry in map(get, find(text.lower())) if entry is not None]
            entries += known
            rows += [row] * len(known)
        dense = sentence_vectors(
            np.array(rows, dtype=np.intp), np.array(entries, dtype=np.intp), len(texts), vectors.matrix
        )
        return sparse.csr_matrix(dense * self.weight)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.array([f"[word meanings {i + 1}]" for i in range(self.vectors_.dims)], dtype=object)
