"""Cheap stylistic signals of the author's voice, as a scikit-learn transformer beside the TF-IDF words. The
signals are defined, and computed, once: by the engine's style block (``engine.blocks.style``)."""

from __future__ import annotations

import numpy as np

from ..engine.blocks.style import CUE_WORDS, STYLE_PATTERNS, StyleSignals
from .signals import SignalFeatures

__all__ = ["StyleFeatures", "STYLE_PATTERNS", "CUE_WORDS"]


class StyleFeatures(SignalFeatures):
    """One column per signal in ``STYLE_PATTERNS`` (attribution verbs, quotation marks, a sentence that opens with
    a quotation mark, first and second person, modal verbs of obligation, a closing question mark, exclamation
    marks, numbers): ``weight`` where the signal occurs in the sentence, else 0. ``weight`` sets how loud the
    signals are beside the unit-length TF-IDF rows. Stateless.

    The columns are the engine's style block's (``to_block``), the very code that scores with the saved model:
    cue-word signals are found with one tokenisation and set lookups rather than one regular expression each,
    which gives the same as searching ``STYLE_PATTERNS`` (a test checks it) at a fraction of the cost.
    """

    KIND, KNOWN = "style", STYLE_PATTERNS

    def __init__(self, signals: tuple[str, ...] = tuple(STYLE_PATTERNS), weight: float = 1.0):
        self.signals = signals
        self.weight = weight

    def to_block(self, coef: np.ndarray | None = None, weight: float = 1.0, name: str = "style") -> StyleSignals:
        coef = np.zeros(len(self.signals)) if coef is None else coef
        return StyleSignals.of_keys(self.signals, coef, float(self.weight) * weight, name)
