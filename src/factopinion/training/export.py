"""Exporting a fitted pipeline as the plain-data model (``scorer.LinearScorer``, saved as ``model.json``).

The pipeline is walked step by step: one feature step (a ``FeatureUnion``, or one transformer), then a binary
logistic regression. Each transformer kind has one small exporter in ``EXPORTERS`` that turns it into its
``scorer`` block; any other kind is refused with a ``ModelError`` naming it. The exported model is then checked
against the pipeline on a set of awkward sentences, so a transformer that no longer behaves as its exporter assumes
is refused rather than exported wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from ..engine.blocks.base import Block
from ..engine.blocks.tfidf import TfidfWords
from ..engine.blocks.vectors import StaticVectors
from ..engine.scorer import LinearScorer
from ..errors import ModelError
from .features import StyleFeatures
from .lexicon import LexiconFeatures
from .vectors import StaticVectorFeatures

__all__ = ["export_pipeline", "EXPORTERS", "PROBES", "TOLERANCE"]

TOLERANCE = 1e-9  # the largest difference in probability the exported model may show against the pipeline
# Sentences the export is checked on: empty, punctuation only, quotes, questions, cue phrases, apostrophes,
# accents, case changes that change a text's length, Greek final sigma, a long run.
PROBES = [
    "",
    "?!",
    "...",
    "The council said on Tuesday that it would cut bus fares by 5 percent, according to the minutes.",
    "“We must act now,” she said. Isn't it already too late?",
    "'Never again' – that's what we promised, and you know it!",
    "I think our leaders should resign; they have to go.",
    "İstanbul’s naïve café owners pointed out that the ΣΟΦΟΣ rule is unfair.",
    "Rock'n'roll isn't dead... or is it?",
    "the the the the the said said",
    "\t\n  ",
    "a disgrace " * 300,
]

Exporter = Callable[[Any, str, float, np.ndarray], Block]


def export_pipeline(pipeline: Any) -> LinearScorer:
    """The plain-data form of a fitted fact/opinion ``pipeline``; a ``ModelError`` for a pipeline it cannot
    reproduce exactly."""
    steps = getattr(pipeline, "steps", None)
    if not steps or len(steps) != 2:
        found = "no steps" if not steps else " -> ".join(type(step).__name__ for _, step in steps)
        raise ModelError(f"cannot export this model as data: expected features then a classifier, found {found}")
    (_, features), (_, classifier) = steps
    coef, intercept = _linear(classifier)
    parts = features.transformer_list if isinstance(features, FeatureUnion) else [("features", features)]
    weights = (features.transformer_weights or {}) if isinstance(features, FeatureUnion) else {}
    blocks, start = [], 0
    for name, part in parts:
        if isinstance(part, str) and part == "drop":
            continue
        exporter = next((e for kind, e in EXPORTERS if isinstance(part, kind)), None)
        if exporter is None:
            raise ModelError(
                f"cannot export this model as data: no exporter for its {name!r} step ({type(part).__name__}); "
                f"supported: {', '.join(kind.__name__ for kind, _ in EXPORTERS)}"
            )
        width = len(part.get_feature_names_out())
        blocks.append(exporter(part, name, float(weights.get(name, 1.0)), coef[start : start + width]))
        start += width
    if start != coef.size:
        raise ModelError(f"cannot export this model as data: {start} features for {coef.size} coefficients")
    scorer = LinearScorer(blocks, intercept, [str(c) for c in classifier.classes_])
    _check(pipeline, scorer)
    return scorer


def _linear(classifier: Any) -> tuple[np.ndarray, float]:
    coef = getattr(classifier, "coef_", None)
    if not isinstance(classifier, LogisticRegression) or coef is None or np.shape(coef)[0] != 1:
        raise ModelError(
            f"cannot export this model as data: its classifier ({type(classifier).__name__}) is not a binary "
            "linear model (a fitted LogisticRegression)"
        )
    return np.asarray(coef, dtype=np.float64).ravel(), float(np.ravel(classifier.intercept_)[0])


def _check(pipeline: Any, scorer: LinearScorer) -> None:
    expected = pipeline.predict_proba(PROBES)[:, 1]
    difference = float(np.max(np.abs(scorer.opinion_probability(PROBES) - expected)))
    if not difference <= TOLERANCE:
        raise ModelError(
            f"cannot export this model as data: the export differs from the pipeline by {difference:.3g} in probability"
        )


# One exporter per transformer kind ----------------------------------------------------------------------------


def _tfidf(vectorizer: TfidfVectorizer, name: str, weight: float, coef: np.ndarray) -> Block:
    custom = [option for option in ("preprocessor", "tokenizer") if getattr(vectorizer, option) is not None]
    if vectorizer.analyzer != "word" or custom or callable(vectorizer.strip_accents) or vectorizer.input != "content":
        raise ModelError(
            f"cannot export this model as data: its {name!r} vectorizer uses a custom or character analyzer"
        )
    if np.dtype(vectorizer.dtype) != np.float64:
        raise ModelError(f"cannot export this model as data: its {name!r} vectorizer computes in {vectorizer.dtype}")
    vocabulary = vectorizer.vocabulary_
    terms = [""] * len(vocabulary)
    for term, column in vocabulary.items():
        terms[column] = term
    stop_words = vectorizer.get_stop_words()
    return TfidfWords(
        terms=terms,
        idf=np.asarray(vectorizer.idf_, dtype=np.float64) if vectorizer.use_idf else None,
        coef=coef,
        token_pattern=vectorizer.token_pattern,
        ngram_range=tuple(vectorizer.ngram_range),
        lowercase=bool(vectorizer.lowercase),
        strip_accents=vectorizer.strip_accents,
        stop_words=None if stop_words is None else sorted(stop_words),
        binary=bool(vectorizer.binary),
        sublinear_tf=bool(vectorizer.sublinear_tf),
        norm=vectorizer.norm,
        weight=weight,
        name=name,
    )


def _signals(features: StyleFeatures | LexiconFeatures, name: str, weight: float, coef: np.ndarray) -> Block:
    return features.to_block(coef, weight, name)  # the transformer computes through this very block


def _vectors(features: StaticVectorFeatures, name: str, weight: float, coef: np.ndarray) -> Block:
    return StaticVectors(vectors=features.vectors_, coef=coef, weight=float(features.weight) * weight, name=name)


# (transformer class, exporter): the first class a step is an instance of decides its exporter.
EXPORTERS: list[tuple[type, Exporter]] = [
    (TfidfVectorizer, _tfidf),
    (StyleFeatures, _signals),
    (LexiconFeatures, _signals),
    (StaticVectorFeatures, _vectors),
]
