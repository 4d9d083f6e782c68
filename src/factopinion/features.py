"""Cheap stylistic signals of the author's voice, as a scikit-learn transformer beside the TF-IDF words."""

from __future__ import annotations

import re

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin

__all__ = ["StyleFeatures", "STYLE_PATTERNS"]

# name -> pattern; each feature is 1.0 when the pattern occurs in the sentence.
STYLE_PATTERNS: dict[str, re.Pattern[str]] = {
    "attribution": re.compile(
        r"\b(?:said|says|told|according to|stated|added|announced|reported|claimed|argued|warned|noted|"
        r"insisted|acknowledged|wrote|testified|alleged|confirmed|denied|declared)\b",
        re.IGNORECASE,
    ),
    "quotation": re.compile(r"[“”\"]|(?:^|\s)'|'(?=\s|$)"),
    "first_person": re.compile(r"\b(?:I|I'm|I’m|I've|I’ve|me|my|mine|we|we're|we’re|us|our|ours)\b", re.IGNORECASE),
    "second_person": re.compile(r"\b(?:you|your|yours|you're|you’re)\b", re.IGNORECASE),
    "modal": re.compile(r"\b(?:should|must|ought|shall|needs? to|has to|have to)\b", re.IGNORECASE),
    "question": re.compile(r"\?[\"'”’)]*\s*$"),
    "exclamation": re.compile(r"!"),
    "number": re.compile(r"\d"),
}


class StyleFeatures(TransformerMixin, BaseEstimator):
    """One binary column per entry of ``STYLE_PATTERNS``: attribution verbs, quotation marks, first and second
    person, modal verbs of obligation, a closing question mark, exclamation marks and numbers. Stateless."""

    def fit(self, X, y=None):
        return self

    def transform(self, X) -> sparse.csr_matrix:
        rows = np.array(
            [[1.0 if pattern.search(text) else 0.0 for pattern in STYLE_PATTERNS.values()] for text in X],
            dtype=np.float64,
        ).reshape(-1, len(STYLE_PATTERNS))
        return sparse.csr_matrix(rows)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.array([f"[{name.replace('_', ' ')}]" for name in STYLE_PATTERNS], dtype=object)
