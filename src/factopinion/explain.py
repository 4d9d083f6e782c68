"""Why a sentence scores as it does: each term's exact share of the model's log-odds of opinion.

The model is linear, so its log-odds for a sentence is ``intercept + sum(x_j * w_j)`` over the sentence's features
``x`` (TF-IDF weights of word n-grams, stylistic signals) and the classifier's coefficients ``w``. Each term's
contribution is its ``x_j * w_j``: positive pushes toward opinion, negative toward fact. Everything is read from the
fitted pipeline (vocabulary, token pattern, n-gram range), so a retuned model is explained the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy import sparse
from scipy.special import expit
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline

from .document import Cue, Cues, Document, ExplainSettings
from .errors import ModelError
from .features import STYLE_PATTERNS, StyleFeatures
from .lexicon import LexiconFeatures
from .naming import is_signal, signal_name

__all__ = ["Explanation", "Explainer", "explain", "explain_document", "DEFAULT_CUES", "CUE_ORDER"]

DEFAULT_CUES = 5
CUE_ORDER = ("opinion", "fact")  # the order cues are listed in: toward opinion first
# A feature block's way of finding where its terms occur: sentence -> {term: sentence-relative spans}.
SpanFinder = Callable[[str], Mapping[str, Sequence[tuple[int, int]]]]
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
        return float(expit(self.log_odds))

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


@dataclass(frozen=True, slots=True)
class _Block:
    """A slice of the feature columns produced by one transformer, and how its terms map to sentence text."""

    names: np.ndarray
    find_spans: SpanFinder | None


class Explainer:
    """Explains a fitted linear fact/opinion pipeline. Build once per model; ``explain`` is vectorised."""

    def __init__(self, pipeline: Pipeline):
        classifier = pipeline.steps[-1][1]
        coef = getattr(classifier, "coef_", None)
        intercept = getattr(classifier, "intercept_", None)
        if coef is None or intercept is None or np.ndim(coef) != 2 or np.shape(coef)[0] != 1:
            raise ModelError(
                f"cannot explain this model: its classifier ({type(classifier).__name__}) is not a binary linear model"
            )
        self.pipeline = pipeline
        self.featurizer = pipeline[:-1]
        self.coef = np.asarray(coef, dtype=np.float64).ravel()
        self.intercept = float(np.ravel(intercept)[0])
        self.blocks = _blocks(self.featurizer)
        width = sum(len(block.names) for block in self.blocks)
        if width != self.coef.size:
            raise ModelError(f"cannot explain this model: {width} feature names for {self.coef.size} coefficients")
        self.names = np.concatenate([block.names for block in self.blocks]).astype(object)
        self.term_of = [str(name) for name in self.names]
        self.block_of = np.repeat(np.arange(len(self.blocks)), [len(b.names) for b in self.blocks]).tolist()

    def explain(self, sentences: Sequence[str]) -> list[Explanation]:
        """One ``Explanation`` per sentence."""
        sentences = list(sentences)
        if not sentences:
            return []
        features = sentences
        for _, step in self.featurizer.steps:  # step by step: a sliced Pipeline does not count as fitted
            features = step.transform(features)
        features = sparse.csr_matrix(features, dtype=np.float64)
        features.sum_duplicates()
        log_odds = np.asarray(features @ self.coef).ravel() + self.intercept
        return [
            self._explain_row(sentence, features.indices[lo:hi], features.data[lo:hi], float(z))
            for sentence, lo, hi, z in zip(sentences, features.indptr[:-1], features.indptr[1:], log_odds, strict=True)
        ]

    def _explain_row(self, sentence: str, columns: np.ndarray, values: np.ndarray, log_odds: float) -> Explanation:
        contributions = (values * self.coef[columns]).tolist()
        ranked = sorted(
            (-c, self.term_of[j], j, c) for j, c in zip(columns.tolist(), contributions, strict=True) if c != 0.0
        )
        found: dict[int, Mapping[str, Sequence[tuple[int, int]]]] = {}
        terms = []
        for _, term, column, contribution in ranked:
            block = self.block_of[column]
            if block not in found:
                finder = self.blocks[block].find_spans
                found[block] = finder(sentence) if finder else {}
            spans = tuple(found[block].get(term, ()))
            terms.append(Cue(term, _as_written(sentence, spans[0]) if spans else "", contribution, spans))
        return Explanation(sentence, self.intercept, log_odds, tuple(terms))

    def strongest_terms(self, top: int = 15) -> dict[str, list[tuple[str, float]]]:
        """The model's terms with the largest coefficients toward each label, strongest first."""
        pairs = [(str(name), float(c)) for name, c in zip(self.names, self.coef, strict=True) if c != 0.0]
        opinion = sorted((p for p in pairs if p[1] > 0), key=lambda p: (-p[1], p[0]))
        fact = sorted((p for p in pairs if p[1] < 0), key=lambda p: (p[1], p[0]))
        return {"opinion": opinion[:top], "fact": fact[:top]}


def _as_written(sentence: str, span: tuple[int, int]) -> str:
    """The sentence's text at ``span``, runs of whitespace as one space."""
    text = sentence[span[0] : span[1]]
    return text if text.isprintable() and "  " not in text else " ".join(text.split())


def explain(pipeline: Pipeline, sentences: Sequence[str]) -> list[Explanation]:
    """Explain each sentence's score under the fitted ``pipeline``."""
    return Explainer(pipeline).explain(sentences)


def explain_document(pipeline: Any, document: Document, top: int | None = DEFAULT_CUES) -> Document:
    """A copy of ``document`` whose sentences carry ``log_odds`` and ``cues`` (the ``top`` terms toward each label;
    all when ``top`` is 0 or None). ``pipeline`` is the fitted pipeline, or a ``Model`` holding one."""
    explainer = Explainer(getattr(pipeline, "pipeline", pipeline))
    sentences = []
    for first in range(0, len(document.sentences), _CHUNK):
        chunk = document.sentences[first : first + _CHUNK]
        explanations = explainer.explain([s.sentence for s in chunk])
        sentences += [
            replace(s, log_odds=e.log_odds, cues=e.cues(top)) for s, e in zip(chunk, explanations, strict=True)
        ]
    return replace(document, sentences=sentences, explained=ExplainSettings(explainer.intercept, top or 0))


# Feature blocks ------------------------------------------------------------------------------------------------


def _blocks(featurizer: Pipeline) -> list[_Block]:
    """The feature blocks of the pipeline's featurizing steps, in column order."""
    steps = featurizer.steps
    if len(steps) == 1:
        transformer = steps[0][1]
        if isinstance(transformer, FeatureUnion):
            return [
                _block(part)
                for _, part in transformer.transformer_list
                if not (isinstance(part, str) and part == "drop")
            ]
        return [_block(transformer)]
    # Several steps in a row (e.g. a scaler after the vectoriser): the terms are known, not where they occur.
    return [_Block(_bracketed(featurizer.get_feature_names_out()), None)]


def _block(transformer) -> _Block:
    if isinstance(transformer, str):
        raise ModelError(f"cannot explain this model: a {transformer!r} feature step has no feature names")
    if isinstance(transformer, CountVectorizer):  # TfidfVectorizer too
        return _Block(np.asarray(transformer.get_feature_names_out(), dtype=object), _word_span_finder(transformer))
    names = np.asarray(transformer.get_feature_names_out(), dtype=object)
    if isinstance(transformer, StyleFeatures):
        return _Block(names, _style_span_finder(names))
    if isinstance(transformer, LexiconFeatures):
        return _Block(names, transformer.find_spans)
    return _Block(_bracketed(names), None)


def _bracketed(names) -> np.ndarray:
    return np.asarray([n if is_signal(str(n)) else f"[{n}]" for n in names], dtype=object)


def _style_span_finder(names: np.ndarray) -> SpanFinder:
    """Where each stylistic signal was triggered: the stripped spans of its pattern's matches."""
    patterns = {signal_name(key): pattern for key, pattern in STYLE_PATTERNS.items()}
    patterns = {name: patterns[name] for name in names if name in patterns}

    def find(sentence: str) -> dict[str, list[tuple[int, int]]]:
        found = {}
        for name, pattern in patterns.items():
            spans: list[tuple[int, int]] = []
            for m in pattern.finditer(sentence):
                span = _strip_span(sentence, *m.span())
                if span and spans and span[0] <= spans[-1][1]:  # "2024" is one number, not four digits
                    spans[-1] = (spans[-1][0], max(span[1], spans[-1][1]))
                elif span:
                    spans.append(span)
            if spans:
                found[name] = spans
        return found

    return find


def _strip_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _word_span_finder(vectorizer: CountVectorizer) -> SpanFinder | None:
    """Re-tokenise a sentence as ``vectorizer`` does, keeping each token's offsets, and build its word n-grams.

    With a custom tokenizer or analyzer, or a preprocessor that does not work character by character, the terms
    are still explained, without spans.
    """
    if vectorizer.analyzer != "word" or vectorizer.tokenizer is not None:
        return None
    pattern = re.compile(vectorizer.token_pattern)
    group = 1 if pattern.groups == 1 else 0
    preprocess = vectorizer.build_preprocessor()
    stop_words = vectorizer.get_stop_words()
    min_n, max_n = vectorizer.ngram_range

    def find(sentence: str) -> dict[str, list[tuple[int, int]]]:
        processed = preprocess(sentence)
        to_original = _offset_map(sentence, processed, preprocess)
        if to_original is None:
            return {}
        tokens = []
        for m in pattern.finditer(processed):  # as the vectorizer's findall: a group that did not match gives ""
            start, end = m.span(group) if m.start(group) != -1 else (m.start(), m.start())
            if end > start:
                tokens.append((m.group(group), to_original[start], to_original[end - 1] + 1))
            else:
                at = to_original[start] if start < len(to_original) else len(sentence)
                tokens.append(("", at, at))
        if stop_words is not None:
            tokens = [t for t in tokens if t[0] not in stop_words]
        words = [token for token, _, _ in tokens]
        spans: dict[str, list[tuple[int, int]]] = {}
        for n in range(min_n, max_n + 1):
            for i in range(len(tokens) - n + 1):
                term = words[i] if n == 1 else " ".join(words[i : i + n])
                spans.setdefault(term, []).append((tokens[i][1], tokens[i + n - 1][2]))
        return spans

    return find


def _offset_map(original: str, processed: str, preprocess: Callable[[str], str]) -> Sequence[int] | None:
    """For each character of ``processed``, the offset of the character of ``original`` it came from; None where
    ``preprocess`` does not work character by character."""
    if len(processed) == len(original):
        return range(len(original))
    pieces = [preprocess(char) for char in original]
    if "".join(pieces) != processed:
        return None
    mapping = []
    for i, piece in enumerate(pieces):
        mapping.extend([i] * len(piece))
    return mapping
