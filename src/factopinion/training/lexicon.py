"""Lexicon signals: how subjective and how strongly valenced a sentence's words are, from word lexicons, as a
scikit-learn transformer. The signals are defined, and computed, once: by the engine's lexicon block
(``engine.blocks.lexicon.MEASURES``, one row per signal).

The word -> scores table is a plain dict parameter of the transformer, so a saved model carries it and scoring
reads no file and imports nothing beyond this module. The vendored table, ``lexicons/lexicon.tsv``, is built by
``scripts/build_lexicon.py`` from TextBlob's pattern-derived adjective lexicon (PDDL) and VADER's lexicon (MIT);
see ``lexicons/README.md``.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..engine.blocks.lexicon import MEASURES, STRONG, LexiconSignals
from .signals import SignalFeatures

__all__ = ["LexiconFeatures", "LEXICON_SIGNALS", "LEXICON_FILE", "STRONG", "load_lexicon"]

LEXICON_FILE = Path(__file__).resolve().parent.parent / "lexicons" / "lexicon.tsv"
# name -> what the column holds for a sentence (0 where no word of it is in the lexicon): the engine's measures.
LEXICON_SIGNALS: dict[str, str] = {name: measure.meaning.format(strong=STRONG) for name, measure in MEASURES.items()}


@lru_cache(maxsize=1)
def _vendored() -> dict[str, tuple[float, float]]:
    return _read_table(LEXICON_FILE)


def load_lexicon(path: str | Path | None = None) -> dict[str, tuple[float, float]]:
    """The lexicon as ``{word: (subjectivity, valence)}``, NaN where a source lacks the word. Valence is
    VADER's, else TextBlob's polarity. Default: the vendored ``lexicons/lexicon.tsv``."""
    return dict(_vendored() if path is None else _read_table(Path(path)))


def _read_table(path: Path) -> dict[str, tuple[float, float]]:
    lines = path.read_text("utf-8").splitlines()
    header = lines[0].split("\t")
    if header[:4] != ["word", "subjectivity", "polarity", "valence"]:
        raise ValueError(f"{path}: unexpected header {header}")
    table = {}
    for line in lines[1:]:
        word, subjectivity, polarity, valence = line.split("\t")[:4]
        valence = valence or polarity
        table[word] = (float(subjectivity) if subjectivity else math.nan, float(valence) if valence else math.nan)
    return table


class LexiconFeatures(SignalFeatures):
    """One column per signal in ``LEXICON_SIGNALS``, times ``weight``, from the words of each sentence (lowercased
    ``\\w+`` tokens, as ``StyleFeatures``). ``lexicon`` maps a word to ``(subjectivity, valence)``, either NaN
    where unknown; None uses the vendored lexicon (``load_lexicon()``), read when first needed. Stateless.

    Pass the table itself (as ``training.build_pipeline`` does) and a saved model carries it: scoring then reads no
    lexicon file. The columns are the engine's lexicon block's (``to_block``), the code that scores with the saved
    model.
    """

    KIND, KNOWN = "lexicon", LEXICON_SIGNALS

    def __init__(self, lexicon: dict | None = None, signals: tuple[str, ...] = tuple(LEXICON_SIGNALS), weight=1.0):
        self.lexicon = lexicon
        self.signals = signals
        self.weight = weight

    def to_block(self, coef: np.ndarray | None = None, weight: float = 1.0, name: str = "lexicon") -> LexiconSignals:
        """These signals and their word table as the engine's block (see ``SignalFeatures.to_block``)."""
        return LexiconSignals.of_table(
            _vendored() if self.lexicon is None else self.lexicon,
            self.signals,
            [str(name) for name in self.get_feature_names_out()],
            coef=np.zeros(len(self.signals)) if coef is None else coef,
            strong=float(STRONG),
            weight=float(self.weight) * weight,
            name=name,
        )
