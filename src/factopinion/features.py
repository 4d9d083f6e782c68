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
        r"\b(?:according to|(?:said|says|told|tells|stated|states|added|adds|announced|reported|claimed|claims|"
        r"argued|argues|warned|warns|noted|notes|insisted|insists|acknowledged|admitted|wrote|writes|testified|"
        r"alleged|confirmed|denied|declared|stressed|stresses|emphasi[sz]ed|emphasi[sz]es|remarked|explained|"
        r"asserted|maintained|contended|contends|suggested|predicted|estimated|recalled|conceded|complained|"
        r"criticised|criticized|condemned|praised|accused|urged|described|cautioned|observed|replied|responded|"
        r"countered|proclaimed|expressed|expressing|denounced|denigrated|dismissed|welcomed|pledged|vowed|"
        r"promised|threatened|blamed|told reporters|pointed out|called for|called on)\b)",
        re.IGNORECASE,
    ),
    "quotation": re.compile(r"[“”\"‘«»]|(?:^|\s)'|'(?=\s|$)"),
    "first_person": re.compile(r"\b(?:I|I'm|I’m|I've|I’ve|me|my|mine|we|we're|we’re|us|our|ours)\b", re.IGNORECASE),
    "second_person": re.compile(r"\b(?:you|your|yours|you're|you’re)\b", re.IGNORECASE),
    "modal": re.compile(r"\b(?:should|must|ought|shall|needs? to|has to|have to)\b", re.IGNORECASE),
    "question": re.compile(r"\?[\"'”’)]*\s*$"),
    "exclamation": re.compile(r"!"),
    "number": re.compile(r"\d"),
}


class StyleFeatures(TransformerMixin, BaseEstimator):
    """One column per signal in ``STYLE_PATTERNS`` (attribution verbs, quotation marks, first and second person,
    modal verbs of obligation, a closing question mark, exclamation marks, numbers): ``weight`` where the signal
    occurs in the sentence, else 0. ``weight`` sets how loud the signals are beside the unit-length TF-IDF rows.
    Stateless."""

    def __init__(self, signals: tuple[str, ...] = tuple(STYLE_PATTERNS), weight: float = 1.0):
        self.signals = signals
        self.weight = weight

    def fit(self, X, y=None):
        unknown = set(self.signals) - set(STYLE_PATTERNS)
        if unknown:
            raise ValueError(f"unknown style signals {sorted(unknown)}; choose from {', '.join(STYLE_PATTERNS)}")
        return self

    def transform(self, X) -> sparse.csr_matrix:
        patterns = [STYLE_PATTERNS[name] for name in self.signals]
        rows = np.array(
            [[self.weight if pattern.search(text) else 0.0 for pattern in patterns] for text in X], dtype=np.float64
        ).reshape(-1, len(patterns))
        return sparse.csr_matrix(rows)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.array([f"[{name.replace('_', ' ')}]" for name in self.signals], dtype=object)
