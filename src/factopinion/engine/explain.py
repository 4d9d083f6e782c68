"""Why a sentence scores as it does: each term's exact share of the model's log-odds of opinion.

The model is linear, so its log-odds for a sentence is ``intercept + sum(x_j * w_j)`` over the sentence's features
``x`` (TF-IDF weights of word n-grams, stylistic and lexicon signals) and the classifier's coefficients ``w``. Each
term's contribution is its ``x_j * w_j``: positive pushes toward opinion, negative toward fact. The features, and
where each term occurs in the sentence, come from the model's data (``scorer``): the very numbers it scores with.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..document import Cue, Cues, Document, ExplainSettings
from ..naming import is_signal
from .scorer import LinearScorer, sigmoid
from .signals import plain_name

__all__ = [
    "Explanation",
    "Explainer",
    "WordCue",
    "explain",
    "explain_document",
    "net_by_word",
    "DEFAULT_CUES",
    "CUE_ORDER",
]

DEFAULT_CUES = 5
CUE_ORDER = ("opinion", "fact")  # the order cues are listed in: toward opinion first
_CHUNK = 1000  # sentences explained at a time by explain_document, to bound memory


@dataclass(frozen=True, slots=True)
class Explanation:
    """Every term with a non-zero contribution to one sentence's score, strongest toward opinion first.

    ``intercept + sum(t.contribution for t in terms) == log_odds`` up to rounding error.
    """

    sentence: str
    intercept: float
    log_odds: float
    terms: tuple[Cue, ...]

    @property
    def opinion_probability(self) -> float:
        return float(sigmoid(np.array(self.log_odds)))

    def toward(self, label: str, top: int | None = DEFAULT_CUES) -> list[Cue]:
        """The terms pushing toward ``label`` ("opinion" or "fact"), strongest first; all of them if ``top`` is
        None or 0."""
        if label not in CUE_ORDER:
            raise ValueError(f"unknown label {label!r}; expected one of {', '.join(CUE_ORDER)}")
        if label == "opinion":
            cues = [t for t in self.terms if t.contribution > 0]
        else:
            cues = [t for t in reversed(self.terms) if t.contribution < 0]
        return cues[:top] if top else cues

    def cues(self, top: int | None = DEFAULT_CUES) -> Cues:
        """The strongest terms toward each label, opinion first."""
        return {label: tuple(self.toward(label, top)) for label in CUE_ORDER}


def _scorer(model: Any) -> LinearScorer:
    """The data form of a ``Model`` (or a ``LinearScorer`` itself)."""
    if isinstance(model, LinearScorer):
        return model
    as_data = getattr(model, "as_data", None)
    if as_data is None:
        raise TypeError(f"expected a Model or a LinearScorer, not {type(model).__name__}")
    return as_data("explain")


class Explainer:
    """Explains a linear fact/opinion model (a ``Model``, or its ``LinearScorer``). Build once per model;
    ``explain`` is vectorised."""

    def __init__(self, model: Any):
        self.scorer = _scorer(model)
        self.coef = self.scorer.coef
        self.intercept = self.scorer.intercept
        self.names = self.scorer.names
        # the term each column is shown as: its own name, or its block's one term (the dense features' dimensions
        # mean nothing one by one: their contributions are added up and shown as "[word meanings]")
        self.terms = [block.term or name for block in self.scorer.blocks for name in block.names]
        self.merged = any(block.term for block in self.scorer.blocks)

    def explain(self, sentences: Sequence[str]) -> list[Explanation]:
        """One ``Explanation`` per sentence."""
        sentences = list(sentences)
        if not sentences:
            return []
        features = self.scorer.features(sentences)
        contributions = features.values * self.coef[features.columns]
        log_odds = np.bincount(features.rows, contributions, minlength=len(sentences)) + self.intercept
        explanations = []
        for i, sentence in enumerate(sentences):
            lo, hi = features.bounds[i], features.bounds[i + 1]
            explanations.append(
                self._explain_row(sentence, features.columns[lo:hi], contributions[lo:hi], float(log_odds[i]))
            )
        return explanations

    def _explain_row(self, sentence: str, columns: np.ndarray, contributions: np.ndarray, log_odds: float):
        names = self.terms
        pairs = zip(columns.tolist(), contributions.tolist(), strict=True)
        if self.merged:
            summed: dict[str, float] = {}
            for j, c in pairs:
                summed[names[j]] = summed.get(names[j], 0.0) + c
            ranked = sorted((-c, term, c) for term, c in summed.items() if c != 0.0)
        else:
            ranked = sorted((-c, names[j], c) for j, c in pairs if c != 0.0)
        spans = self.scorer.spans(sentence) if ranked else {}
        terms = []
        for _, term, contribution in ranked:
            found = tuple(spans.get(term, ()))
            terms.append(Cue(term, _as_written(sentence, found[0]) if found else "", contribution, found))
        return Explanation(sentence, self.intercept, log_odds, tuple(terms))

    def strongest_terms(self, top: int = 15) -> dict[str, list[tuple[str, float]]]:
        """The model's terms with the largest coefficients toward each label, strongest first."""
        pairs = [
            (name, float(c))
            for name, term, c in zip(self.names, self.terms, self.coef.tolist(), strict=True)
            if c != 0.0 and name == term  # not the dimensions of dense features
        ]
        opinion = sorted((p for p in pairs if p[1] > 0), key=lambda p: (-p[1], p[0]))
        fact = sorted((p for p in pairs if p[1] < 0), key=lambda p: (p[1], p[0]))
        return {"opinion": opinion[:top], "fact": fact[:top]}


def _as_written(sentence: str, span: tuple[int, int]) -> str:
    """The sentence's text at ``span``, runs of whitespace as one space."""
    text = sentence[span[0] : span[1]]
    return text if text.isprintable() and "  " not in text else " ".join(text.split())


def explain(model: Any, sentences: Sequence[str]) -> list[Explanation]:
    """Explain each sentence's score under ``model`` (a ``Model`` or a ``LinearScorer``)."""
    return Explainer(model).explain(sentences)


def explain_document(model: Any, document: Document, top: int | None = DEFAULT_CUES) -> Document:
    """A copy of ``document`` whose sentences carry ``log_odds`` and ``cues`` (the ``top`` terms toward each label;
    all when ``top`` is 0 or None). ``model`` is a ``Model`` or a ``LinearScorer``."""
    explainer = Explainer(model)
    sentences = []
    for first in range(0, len(document.sentences), _CHUNK):
        chunk = document.sentences[first : first + _CHUNK]
        explanations = explainer.explain([s.sentence for s in chunk])
        sentences += [
            replace(s, log_odds=e.log_odds, cues=e.cues(top)) for s, e in zip(chunk, explanations, strict=True)
        ]
    return replace(document, sentences=sentences, explained=ExplainSettings(explainer.intercept, top or 0))


@dataclass(frozen=True, slots=True)
class WordCue:
    """One word of a sentence (or one mark: "?", a quotation mark) and the net contribution of every term over it
    to the log-odds of opinion: a word n-gram's contribution is shared among its words, a signal's among the words
    that triggered it. ``text`` is the word as first written, ``spans`` every occurrence (same lowercased text),
    ``signals`` the plain-language names of the signals among its terms, strongest first. A signal that points
    at no text is one ``WordCue`` of its own, with its plain name as ``text`` and no spans."""

    text: str
    contribution: float
    spans: tuple[tuple[int, int], ...]
    signals: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return "opinion" if self.contribution > 0 else "fact"


_TOKEN = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]")


def net_by_word(sentence: str, terms: Sequence[Cue]) -> list[WordCue]:
    """Each word's net contribution from ``terms`` (all of a sentence's terms, as ``Explanation.terms`` or cues
    explained with ``top`` 0), strongest toward opinion first, so that no word is shown on both sides."""
    tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(sentence)]
    totals: dict[str, float] = {}
    written: dict[str, str] = {}
    spans: dict[str, set[tuple[int, int]]] = {}
    signals: dict[str, dict[str, float]] = {}
    for term in terms:
        covered = [
            [(start, end, word) for start, end, word in tokens if start < span_end and end > span_start]
            for span_start, span_end in term.spans
        ]
        covered = [words for words in covered if words]
        if not covered:
            key = plain_name(term.term)
            totals[key] = totals.get(key, 0.0) + term.contribution
            written.setdefault(key, key)
            spans.setdefault(key, set())
            continue
        for words in covered:
            share = term.contribution / len(covered) / len(words)
            for start, end, word in words:
                key = word.lower()
                totals[key] = totals.get(key, 0.0) + share
                if key not in written or start < min(spans[key])[0]:
                    written[key] = word
                spans.setdefault(key, set()).add((start, end))
                if is_signal(term.term):
                    named = signals.setdefault(key, {})
                    name = plain_name(term.term)
                    named[name] = named.get(name, 0.0) + abs(share)
    cues = [
        WordCue(
            written[key] if any(c.isalnum() for c in written[key]) or key not in signals else _strongest(signals[key]),
            total,
            tuple(sorted(spans[key])),
            tuple(sorted(signals.get(key, {}), key=lambda name: -signals[key][name])),
        )
        for key, total in totals.items()
        if total != 0.0
    ]
    return sorted(cues, key=lambda cue: (-cue.contribution, cue.text))


def _strongest(named: dict[str, float]) -> str:
    return max(named, key=lambda name: named[name])
