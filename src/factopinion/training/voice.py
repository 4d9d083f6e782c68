"""The voice signals (``engine.blocks.voice``) as a scikit-learn transformer beside the TF-IDF words. The signals
are defined, and computed, once: by the engine's voice block."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..engine.blocks.voice import VOICE_SIGNALS, VoiceSignals, default_voice_words
from .lexicon import load_lexicon
from .signals import SignalFeatures

__all__ = ["VoiceFeatures", "VOICE_SIGNALS", "default_voice_words"]


class VoiceFeatures(SignalFeatures):
    """One column per signal of ``VOICE_SIGNALS`` (a first-person view, a verdict or a should/must in the author's
    voice, evaluative words only inside quotes, scare quotes, an opening stance adverb): ``weight`` where it is on,
    else 0. ``words`` are the signals' word lists (``default_voice_words``' plain form); None takes the defaults,
    their evaluative words from the vendored lexicon. Stateless.

    Pass the lists themselves (as ``training.build_pipeline`` does) and a saved model carries them. The columns are
    the engine's voice block's (``to_block``), the code that scores with the saved model."""

    KIND, KNOWN = "voice", VOICE_SIGNALS

    def __init__(
        self,
        signals: tuple[str, ...] = tuple(VOICE_SIGNALS),
        weight: float = 1.0,
        words: Mapping[str, Sequence] | None = None,
    ):
        self.signals = signals
        self.weight = weight
        self.words = words

    def to_block(self, coef: np.ndarray | None = None, weight: float = 1.0, name: str = "voice") -> VoiceSignals:
        words = default_voice_words(load_lexicon()) if self.words is None else self.words
        coef = np.zeros(len(self.signals)) if coef is None else coef
        return VoiceSignals.of_keys(self.signals, words, coef, float(self.weight) * weight, name)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.array([VOICE_SIGNALS[key].name for key in self.signals], dtype=object)
