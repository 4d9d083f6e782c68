"""The lexicon signals (how subjective and how strongly valenced a sentence's words are, from a word table): each
signal is one row of ``MEASURES``, which says what it holds, computes it and names the words behind it; the block
(``LexiconSignals``) is what the model file holds and what ``training.lexicon.LexiconFeatures`` computes through."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ...errors import ModelError
from ..analysis import Analysis, Dictionary, word_offsets
from ..fields import Fields, array_data
from .base import EMPTY_FLOAT, EMPTY_INT, Block, TermSpans, Triplets

__all__ = ["STRONG", "MEASURES", "Measure", "LexiconSignals"]

# A word is strongly evaluative when its subjectivity or its absolute valence reaches this (the default).
STRONG = 0.5


class WordScores:
    """The table's scores of a batch's words (``rows`` says whose), summarised per sentence. Sums run in word order,
    as Python's ``sum`` does, so means are the same to the last bit. NaN (unknown) compares False with everything."""

    def __init__(self, rows: np.ndarray, subjectivity: np.ndarray, valence: np.ndarray, size: int, strong: float):
        self.rows, self.size = rows, size
        self.s, self.v = subjectivity, valence
        self.hits = np.bincount(rows, minlength=size)
        with np.errstate(invalid="ignore"):
            self.magnitude = np.abs(valence)
            self.subjective, self.valenced = subjectivity >= strong, self.magnitude >= strong
        self.strong_words = self.subjective | self.valenced

    def count(self, where: np.ndarray) -> np.ndarray:
        return np.bincount(self.rows[where], minlength=self.size)

    def mean(self, scores: np.ndarray) -> np.ndarray:
        known = scores == scores  # not NaN
        count = self.count(known)
        return np.bincount(self.rows[known], scores[known], minlength=self.size) / np.where(count > 0, count, 1)

    def max(self, scores: np.ndarray, where: np.ndarray) -> np.ndarray:
        highest = np.full(self.size, -np.inf)
        np.maximum.at(highest, self.rows[where], scores[where])
        return np.where(self.count(where) > 0, highest, 0.0)


class Extremes(NamedTuple):
    """A sentence's extreme scores and the strong threshold, against which ``Measure.explains`` picks words."""

    subjectivity: float  # highest subjectivity
    magnitude: float  # highest absolute valence
    most: float  # highest valence
    least: float  # lowest valence
    strong: float


@dataclass(frozen=True)
class Measure:
    """One lexicon signal: its name for a reader (``plain``, what explanations show), what it holds for a sentence
    (``{strong}`` is the strong threshold), its value for every sentence of a batch from its words' scores and
    per-word divisor, and whether a word of given subjectivity and valence explains it."""

    plain: str
    meaning: str
    value: Callable[[WordScores, np.ndarray], np.ndarray]
    explains: Callable[[float, float, Extremes], bool]


# name -> Measure, in the transformer's default column order. A sentence without a word of the table has 0 for
# every measure.
MEASURES: dict[str, Measure] = {
    "subjectivity": Measure(
        "subjective wording",
        "mean subjectivity (0..1) of the words that have one",
        lambda w, per_word: w.mean(w.s),
        lambda s, v, top: s > 0,
    ),
    "max_subjectivity": Measure(
        "strongly subjective word",
        "highest subjectivity of its words",
        lambda w, per_word: w.max(w.s, w.s == w.s),
        lambda s, v, top: s == top.subjectivity > 0,
    ),
    "subjective_share": Measure(
        "many subjective words",
        "share of its words with subjectivity >= {strong}",
        lambda w, per_word: w.count(w.subjective) / per_word,
        lambda s, v, top: s >= top.strong,
    ),
    "valence": Measure(
        "emotionally charged wording",
        "mean absolute valence (0..1) of the words that have one",
        lambda w, per_word: w.mean(w.magnitude),
        lambda s, v, top: abs(v) > 0,
    ),
    "max_valence": Measure(
        "strongly evaluative word",
        "highest absolute valence of its words",
        lambda w, per_word: w.max(w.magnitude, w.v == w.v),
        lambda s, v, top: abs(v) == top.magnitude > 0,
    ),
    "evaluative_share": Measure(
        "many evaluative words",
        "share of its words with subjectivity or absolute valence >= {strong}",
        lambda w, per_word: w.count(w.strong_words) / per_word,
        lambda s, v, top: s >= top.strong or abs(v) >= top.strong,
    ),
    "evaluative": Measure(
        "an evaluative word",
        "whether any word has subjectivity or absolute valence >= {strong}",
        lambda w, per_word: (w.count(w.strong_words) > 0).astype(np.float64),
        lambda s, v, top: s >= top.strong or abs(v) >= top.strong,
    ),
    "subjective_words": Measure(
        "several subjective words",
        "number of words with subjectivity >= {strong}, up to 3, divided by 3",
        lambda w, per_word: np.minimum(3, w.count(w.subjective)) / 3,
        lambda s, v, top: s >= top.strong,
    ),
    "valenced_words": Measure(
        "several emotionally charged words",
        "number of words with absolute valence >= {strong}, up to 3, divided by 3",
        lambda w, per_word: np.minimum(3, w.count(w.valenced)) / 3,
        lambda s, v, top: abs(v) >= top.strong,
    ),
    "positive": Measure(
        "praising word",
        "highest positive valence of its words",
        lambda w, per_word: w.max(w.v, w.v > 0),
        lambda s, v, top: v == top.most > 0,
    ),
    "negative": Measure(
        "condemning word",
        "highest negative valence of its words, as a positive number",
        lambda w, per_word: w.max(-w.v, w.v < 0),
        lambda s, v, top: v == top.least < 0,
    ),
}


class LexiconSignals(Block):
    """``training.lexicon.LexiconFeatures`` as data: signals from the words (lowercased ``\\w+`` runs) found in a
    word -> (subjectivity, valence) table, either unknown (NaN) for a word; valence is signed. Each signal is one
    of ``MEASURES``, times ``weight``, and 0 for a sentence without a word in the table. A word is strong when its
    subjectivity or its absolute valence is at least ``strong``."""

    kind = "lexicon_signals"

    def __init__(
        self,
        *,
        signals: list[dict],
        words: list[str],
        subjectivity: np.ndarray,
        valence: np.ndarray,
        coef: np.ndarray,
        strong: float,
        weight: float = 1.0,
        name: str = "lexicon",
    ):
        super().__init__(name, [s["name"] for s in signals], coef, weight)
        unknown = [s["measure"] for s in signals if s["measure"] not in MEASURES]
        if unknown:
            raise ModelError(f"lexicon block {name!r}: unknown measure {unknown[0]!r}")
        if len(subjectivity) != len(words) or len(valence) != len(words):
            raise ModelError(f"lexicon block {name!r}: one subjectivity and one valence per word are needed")
        self.definitions, self.words, self.strong = signals, words, strong
        self.subjectivity, self.valence = subjectivity, valence

    @classmethod
    def of_table(
        cls, table: dict[str, tuple[float, float]], measures: Iterable[str], names: Iterable[str], **settings
    ) -> LexiconSignals:
        """The block of a ``{word: (subjectivity, valence)}`` table and the ``measures`` named ``names``."""
        words = list(table)
        scores = np.array([table[word] for word in words], dtype=np.float64).reshape(-1, 2)
        signals = [{"name": name, "measure": measure} for name, measure in zip(names, measures, strict=True)]
        return cls(signals=signals, words=words, subjectivity=scores[:, 0], valence=scores[:, 1], **settings)

    @functools.cached_property
    def index(self) -> dict[str, int]:
        """word -> its row of the table, for explanations (built when first needed)."""
        return dict(zip(self.words, range(len(self.words)), strict=True))

    def lookups(self) -> Iterable[str]:
        return self.words

    def bind(self, dictionary: Dictionary) -> None:
        self.entry = dictionary.table(-1)  # id -> the word's row of the table
        self.entry[dictionary.ids(self.words)] = np.arange(len(self.words))

    def triplets(self, batch: Analysis) -> Triplets:
        if not self.definitions:
            return EMPTY_INT, EMPTY_INT, EMPTY_FLOAT
        words = batch.words
        entries = self.entry[words.ids]
        hit = entries >= 0
        rows, lengths = words.rows[hit], np.bincount(words.rows, minlength=batch.size)
        scores = WordScores(rows, self.subjectivity[entries[hit]], self.valence[entries[hit]], batch.size, self.strong)
        per_word = np.where(lengths > 0, lengths, 1).astype(np.float64)
        with np.errstate(invalid="ignore"):  # comparisons with NaN are False, as in Python
            columns = [MEASURES[s["measure"]].value(scores, per_word) for s in self.definitions]
        table = np.column_stack(columns) * self.weight
        table[scores.hits == 0] = 0.0  # a sentence without a word of the table has no lexicon signal
        rows_, columns_ = np.nonzero(table)
        return rows_.astype(np.intp), columns_.astype(np.intp), table[rows_, columns_]

    def spans(self, sentence: str) -> TermSpans:
        """The words behind each signal (``Measure.explains``): the strongest for the ``max_``, ``positive`` and
        ``negative`` signals, the subjective, valenced or strong words for the others."""
        found = [(word, (a, b)) for word, a, b in word_offsets(sentence) if word in self.index]
        scores = [(span, self.subjectivity[self.index[w]], self.valence[self.index[w]]) for w, span in found]
        top = Extremes(
            subjectivity=max((s for _, s, _ in scores if s == s), default=0.0),
            magnitude=max((abs(v) for _, _, v in scores if v == v), default=0.0),
            most=max((v for _, _, v in scores if v == v), default=0.0),
            least=min((v for _, _, v in scores if v == v), default=0.0),
            strong=self.strong,
        )
        spans: TermSpans = {}
        for signal in self.definitions:
            explains = MEASURES[signal["measure"]].explains
            chosen = [span for span, s, v in scores if explains(s, v, top)]
            if chosen:
                spans[signal["name"]] = chosen
        return spans

    def _data(self) -> dict:
        return {
            "strong": self.strong,
            "signals": self.definitions,
            "words": self.words,
            "subjectivity": array_data(self.subjectivity),
            "valence": array_data(self.valence),
        }

    @classmethod
    def from_data(cls, fields: Fields) -> LexiconSignals:
        signals = [{"name": s.text("name"), "measure": s.text("measure")} for s in fields.objects("signals")]
        words = fields.strings("words")
        return cls(
            signals=signals,
            words=words,
            subjectivity=fields.array("subjectivity", len(words), finite=False),
            valence=fields.array("valence", len(words), finite=False),
            coef=fields.array("coef", len(signals)),
            strong=fields.number("strong"),
            weight=fields.number("weight", 1.0),
            name=fields.text("name"),
        )
