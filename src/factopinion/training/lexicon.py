"""Lexicon signals: how subjective and how strongly valenced a sentence's words are, from word lexicons.

The word -> scores table is a plain dict parameter of the transformer, so a saved model carries it and scoring
reads no file and imports nothing beyond this module. The vendored table, ``lexicons/lexicon.tsv``, is built by
``scripts/build_lexicon.py`` from TextBlob's pattern-derived adjective lexicon (PDDL) and VADER's lexicon (MIT);
see ``lexicons/README.md``.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin

from ..naming import signal_name

__all__ = ["LexiconFeatures", "LEXICON_SIGNALS", "LEXICON_FILE", "load_lexicon"]

LEXICON_FILE = Path(__file__).resolve().parent.parent / "lexicons" / "lexicon.tsv"
_WORD = re.compile(r"\w+")  # as features.StyleFeatures tokenises (after lowercasing)

# A word is strongly evaluative when its subjectivity or its absolute valence reaches this.
STRONG = 0.5

# name -> what the column holds for a sentence (0 where no word of it is in the lexicon).
LEXICON_SIGNALS: dict[str, str] = {
    "subjectivity": "mean subjectivity (0..1) of the words that have one",
    "max_subjectivity": "highest subjectivity of its words",
    "subjective_share": f"share of its words with subjectivity >= {STRONG}",
    "valence": "mean absolute valence (0..1) of the words that have one",
    "max_valence": "highest absolute valence of its words",
    "evaluative_share": f"share of its words with subjectivity or absolute valence >= {STRONG}",
    "evaluative": f"whether any word has subjectivity or absolute valence >= {STRONG}",
    "subjective_words": f"number of words with subjectivity >= {STRONG}, up to 3, divided by 3",
    "valenced_words": f"number of words with absolute valence >= {STRONG}, up to 3, divided by 3",
    "positive": "highest positive valence of its words",
    "negative": "highest negative valence of its words, as a positive number",
}


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


class LexiconFeatures(TransformerMixin, BaseEstimator):
    """One column per signal in ``LEXICON_SIGNALS``, times ``weight``, from the words of each sentence (lowercased
    ``\\w+`` tokens, as ``StyleFeatures``). ``lexicon`` maps a word to ``(subjectivity, valence)``, either NaN
    where unknown; None uses the vendored lexicon (``load_lexicon()``), read when first needed. Stateless.

    Pass the table itself (as ``training.build_pipeline`` does) and a saved model carries it: scoring then reads no
    lexicon file.
    """

    def __init__(self, lexicon: dict | None = None, signals: tuple[str, ...] = tuple(LEXICON_SIGNALS), weight=1.0):
        self.lexicon = lexicon
        self.signals = signals
        self.weight = weight

    def fit(self, X, y=None):
        unknown = set(self.signals) - set(LEXICON_SIGNALS)
        if unknown:
            raise ValueError(f"unknown lexicon signals {sorted(unknown)}; choose from {', '.join(LEXICON_SIGNALS)}")
        return self

    def transform(self, X) -> sparse.csr_matrix:
        table = _vendored() if self.lexicon is None else self.lexicon
        functions = [_SIGNAL_OF[name] for name in self.signals]
        zeros = [0.0] * len(functions)
        find, get = _WORD.findall, table.get
        rows = []
        for text in X:
            tokens = find(text.lower())
            hits = [hit for hit in map(get, tokens) if hit is not None]
            rows.append([f(hits, len(tokens)) for f in functions] if hits else zeros)
        values = np.array(rows, dtype=np.float64).reshape(len(rows), len(functions))
        return sparse.csr_matrix(values * self.weight)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.array([signal_name(name) for name in self.signals], dtype=object)

    def find_spans(self, sentence: str) -> dict[str, list[tuple[int, int]]]:
        """Which words of ``sentence`` make each signal, for explanations: the words with the highest subjectivity
        or absolute valence for the ``max_`` signals, the strongly evaluative, subjective or valenced words for
        the others. Keys are the feature names, spans are (start, end) offsets into ``sentence``."""
        table = _vendored() if self.lexicon is None else self.lexicon
        lowered = sentence.lower()
        if len(lowered) != len(sentence):  # lowercasing changed the offsets (rare): no spans
            return {}
        found = [(m.span(), table[m.group()]) for m in _WORD.finditer(lowered) if m.group() in table]
        subjectivity = [(span, s) for span, (s, _) in found if s == s]
        valence = [(span, abs(v)) for span, (_, v) in found if v == v]
        top_s = max((s for _, s in subjectivity), default=0.0)
        top_v = max((v for _, v in valence), default=0.0)
        words = {
            "subjectivity": [span for span, s in subjectivity if s > 0],
            "max_subjectivity": [span for span, s in subjectivity if s == top_s > 0],
            "subjective_share": [span for span, s in subjectivity if s >= STRONG],
            "subjective_words": [span for span, s in subjectivity if s >= STRONG],
            "valence": [span for span, v in valence if v > 0],
            "max_valence": [span for span, v in valence if v == top_v > 0],
            "valenced_words": [span for span, v in valence if v >= STRONG],
        }
        signed = [(span, v) for span, (_, v) in found if v == v]
        most, least = max((v for _, v in signed), default=0.0), min((v for _, v in signed), default=0.0)
        words["positive"] = [span for span, v in signed if v == most > 0]
        words["negative"] = [span for span, v in signed if v == least < 0]
        strong = [span for span, (s, v) in found if s >= STRONG or abs(v) >= STRONG]
        words["evaluative_share"] = words["evaluative"] = strong
        return {signal_name(name): words[name] for name in self.signals if words[name]}


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


# signal -> its value from a sentence's lexicon hits ``(subjectivity, valence)``, NaN where unknown, and its number
# of tokens. NaN compares False with everything, and ``s == s`` is False only for NaN.
_SIGNAL_OF = {
    "subjectivity": lambda hits, n: _mean([s for s, _ in hits if s == s]),
    "max_subjectivity": lambda hits, n: max([s for s, _ in hits if s == s], default=0.0),
    "subjective_share": lambda hits, n: sum(1 for s, _ in hits if s >= STRONG) / n,
    "valence": lambda hits, n: _mean([abs(v) for _, v in hits if v == v]),
    "max_valence": lambda hits, n: max([abs(v) for _, v in hits if v == v], default=0.0),
    "evaluative_share": lambda hits, n: sum(1 for s, v in hits if s >= STRONG or abs(v) >= STRONG) / n,
    "evaluative": lambda hits, n: float(any(s >= STRONG or abs(v) >= STRONG for s, v in hits)),
    "subjective_words": lambda hits, n: min(3, sum(1 for s, _ in hits if s >= STRONG)) / 3,
    "valenced_words": lambda hits, n: min(3, sum(1 for _, v in hits if abs(v) >= STRONG)) / 3,
    "positive": lambda hits, n: max([v for _, v in hits if v > 0], default=0.0),
    "negative": lambda hits, n: -min([v for _, v in hits if v < 0], default=0.0),
}
