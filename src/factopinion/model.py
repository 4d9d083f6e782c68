"""A trained model: one scikit-learn Pipeline with its metadata; scoring text with it, and saving and reading it."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import joblib
import numpy as np
from sklearn.pipeline import Pipeline

from .atomic import atomic_output
from .document import LABELS, Document, ScoredSentence, label_for
from .errors import ModelError, OutputError
from .naming import is_signal
from .text import Span, segment

if TYPE_CHECKING:  # explain is imported when a sentence is explained, not for plain scoring
    import pandas as pd

    from .explain import Explanation

__all__ = ["Model", "SentenceScores", "read_model", "MODEL_FILE", "METADATA_FILE"]

MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
Unit = Literal["sentence", "document", "cell"]


@dataclass(frozen=True)
class SentenceScores:
    """The sentences of many texts, split as ``score`` splits them (headings skipped), and the opinion probability
    of each: ``probabilities[bounds[i]:bounds[i + 1]]`` are those of ``spans[i]``, the sentences of text ``i``."""

    spans: list[tuple[Span, ...]]
    probabilities: np.ndarray
    bounds: np.ndarray  # len(spans) + 1 offsets into probabilities

    def counts(self) -> np.ndarray:
        """Sentences per text."""
        return np.diff(self.bounds)

    def per_text(self, values: np.ndarray) -> np.ndarray:
        """The sum of ``values`` (one per sentence) over each text's sentences."""
        cumulative = np.concatenate([[0.0], np.cumsum(values, dtype=float)])
        return cumulative[self.bounds[1:]] - cumulative[self.bounds[:-1]]

    def documents(self, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per text: sentences, opinion sentences, their share and the mean opinion probability (NaN for a text
        without sentences)."""
        counts = self.counts()
        opinion = np.rint(self.per_text(self.probabilities >= threshold)).astype(np.int64)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(counts > 0, opinion / counts, np.nan)
            mean = np.where(counts > 0, self.per_text(self.probabilities) / counts, np.nan)
        return counts, opinion, share, mean


class Model:
    """A trained fact/opinion classifier: a scikit-learn ``Pipeline`` whose classes are ``fact`` and ``opinion``."""

    def __init__(self, pipeline: Pipeline, metadata: dict | None = None):
        classes = list(getattr(pipeline, "classes_", []))
        if classes != list(LABELS):
            raise ModelError(f"not a fact/opinion model (its classes are {classes or 'unknown'})")
        self.pipeline = pipeline
        self.metadata = metadata if isinstance(metadata, dict) else {}

    def predict_proba(self, sentences: Sequence[str]) -> np.ndarray:
        """Class probabilities, one row per sentence, columns ``fact`` and ``opinion`` (scikit-learn's order)."""
        return self.pipeline.predict_proba(list(sentences))

    def opinion_probability(self, sentences: Sequence[str]) -> np.ndarray:
        """The probability that each sentence is opinion."""
        if not len(sentences):
            return np.zeros(0)
        return self.predict_proba(sentences)[:, 1]

    def predict(self, sentences: Sequence[str], threshold: float = 0.5) -> list[str]:
        """``fact`` or ``opinion`` for each sentence; opinion where its probability is at least ``threshold``."""
        return [label_for(p, threshold) for p in self.opinion_probability(sentences)]

    def score(self, text: str, threshold: float = 0.5) -> Document:
        """Split ``text`` into sentences and classify each one."""
        parts = segment(text)
        probabilities = self.opinion_probability([s.text for s in parts.sentences])
        sentences = [
            ScoredSentence(i, s.start, s.end, s.text, label_for(p, threshold), round(float(p), 6))
            for i, (s, p) in enumerate(zip(parts.sentences, probabilities, strict=True))
        ]
        return Document(
            sentences,
            threshold,
            text,
            parts.paragraphs,
            parts.headings,
            bylines=parts.bylines,
            datelines=parts.datelines,
        )

    def sentence_scores(self, texts: Iterable[str]) -> SentenceScores:
        """Split every text into sentences (as ``score`` does: headings are not sentences) and score them all in
        one ``predict_proba`` call."""
        spans = [segment(text).sentences if text else () for text in texts]
        flat = [span.text for cell in spans for span in cell]
        bounds = np.zeros(len(spans) + 1, dtype=np.int64)
        np.cumsum([len(cell) for cell in spans], out=bounds[1:])
        return SentenceScores(spans, self.opinion_probability(flat), bounds)

    def label_series(self, series: Iterable, unit: Unit = "sentence", threshold: float = 0.5) -> pd.DataFrame:
        """Label a pandas Series (or any sequence) of texts, vectorised: one ``predict_proba`` call for all of it.

        ``unit="cell"``: each value as one unit (``label``, ``opinion_probability``), one row per value.
        ``unit="document"``: each value split into sentences as ``score`` splits them; one row per value with
        ``sentences``, ``opinion_sentences``, ``opinion_share`` and ``mean_opinion_probability``.
        ``unit="sentence"``: one row per sentence (``sentence_index``, ``start``, ``end``, ``sentence``, ``label``,
        ``opinion_probability``), the value's index label repeated, as ``Series.explode`` does; a value without
        sentences keeps one row of missing values.

        The result's index is the input's (a plain sequence gets a ``RangeIndex``). A missing value (None, NaN)
        or a blank one gets missing results, never an error; other non-text values are read as ``str(value)``.
        """
        import pandas as pd

        values = series if isinstance(series, pd.Series) else pd.Series(list(series), dtype=object)
        missing = values.isna().to_numpy()
        texts = ["" if gone else str(value) for value, gone in zip(values.tolist(), missing, strict=True)]
        present = np.array([bool(text.strip()) for text in texts], dtype=bool)
        index = values.index
        if unit == "cell":
            probability = np.full(len(texts), np.nan)
            probability[present] = self.opinion_probability([t for t, p in zip(texts, present, strict=True) if p])
            labels = np.where(probability >= threshold, "opinion", "fact").astype(object)
            labels[~present] = None
            return pd.DataFrame({"label": labels, "opinion_probability": np.round(probability, 6)}, index=index)
        if unit not in ("sentence", "document"):
            raise ValueError(f"unit must be 'sentence', 'document' or 'cell', not {unit!r}")
        scores = self.sentence_scores(texts)
        if unit == "document":
            counts, opinion, share, mean = scores.documents(threshold)
            return pd.DataFrame(
                {
                    "sentences": _integers(counts, present),
                    "opinion_sentences": _integers(opinion, present),
                    "opinion_share": np.where(present, share, np.nan),
                    "mean_opinion_probability": np.where(present, np.round(mean, 6), np.nan),
                },
                index=index,
            )
        counts = scores.counts()
        rows = np.repeat(np.arange(len(texts)), np.maximum(counts, 1))
        has = np.repeat(counts > 0, np.maximum(counts, 1))
        probability = np.full(len(rows), np.nan)
        probability[has] = scores.probabilities
        labels = np.where(probability >= threshold, "opinion", "fact").astype(object)
        labels[~has] = None
        probability = np.round(probability, 6)
        numbers = np.full((3, len(rows)), -1, dtype=np.int64)
        sentences: list[str | None] = [None] * len(rows)
        at = np.flatnonzero(has)
        flat = [span for cell in scores.spans for span in cell]
        numbers[0, at] = np.concatenate([np.arange(n) for n in counts if n]) if flat else []
        numbers[1, at] = [span.start for span in flat]
        numbers[2, at] = [span.end for span in flat]
        for k, span in zip(at.tolist(), flat, strict=True):
            sentences[k] = span.text
        columns = {name: _integers(numbers[i], has) for i, name in enumerate(("sentence_index", "start", "end"))}
        return pd.DataFrame(
            {**columns, "sentence": sentences, "label": labels, "opinion_probability": probability},
            index=index.take(rows),
        )

    def explain(self, sentences: Sequence[str]) -> list[Explanation]:
        """Why each sentence scores as it does: every term's contribution to its log-odds of opinion."""
        from .explain import Explainer

        return Explainer(self.pipeline).explain(sentences)

    def describe(self, *, source: str, top: int = 15) -> dict:
        """A JSON-ready description of the model (loaded from ``source``): metadata, features and its ``top``
        strongest terms per label (all of them for 0)."""
        from .explain import Explainer

        explainer = Explainer(self.pipeline)
        names = [str(name) for name in explainer.names]
        strongest = explainer.strongest_terms(top or len(names))
        return {
            "source": source,
            "classes": [str(c) for c in self.pipeline.classes_],
            "features": {
                "total": int(explainer.coef.size),
                "terms": sum(1 for name in names if not is_signal(name)),
                "signals": [name for name in names if is_signal(name)],
            },
            "intercept": round(explainer.intercept, 6),
            "strongest": {
                label: [{"term": term, "coefficient": round(weight, 6)} for term, weight in items]
                for label, items in strongest.items()
            },
            "metadata": self.metadata,
        }

    def save(self, directory: str | Path, *, overwrite: bool = True) -> Path:
        """Write ``model.joblib`` and ``metadata.json`` into ``directory``, each atomically."""
        directory = Path(directory)
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise OutputError(f"cannot create {directory}: {err.strerror or err}") from None
        with atomic_output(directory / MODEL_FILE, overwrite=overwrite) as f:
            joblib.dump(self.pipeline, f, compress=3)
        text = json.dumps(self.metadata, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        with atomic_output(directory / METADATA_FILE, overwrite=overwrite) as f:
            f.write(text.encode("utf-8"))
        return directory


def _integers(values: np.ndarray, valid: np.ndarray):
    """A nullable ``Int64`` pandas array: ``values`` where ``valid``, missing elsewhere."""
    import pandas as pd

    return pd.arrays.IntegerArray(np.asarray(values, dtype=np.int64), ~np.asarray(valid, dtype=bool))


def read_model(path: str | Path) -> Model:
    """Load the model at ``path`` (a model folder or a ``.joblib`` file); a ``ModelError`` for anything that is not
    a usable factopinion model. A joblib file is code: load only models you trust."""
    path = Path(path)
    directory, model_file = (path, path / MODEL_FILE) if path.is_dir() else (path.parent, path)
    metadata_path = directory / METADATA_FILE
    try:
        metadata = json.loads(metadata_path.read_text("utf-8")) if metadata_path.is_file() else {}
    except (OSError, ValueError) as err:
        raise ModelError(f"{metadata_path}: unreadable metadata ({err})") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pipeline = joblib.load(model_file)
    except FileNotFoundError:
        raise ModelError(f"{model_file}: no such model file") from None
    except Exception as err:  # unpickling can raise almost anything on a foreign or corrupt file
        raise ModelError(f"{model_file}: not a loadable model ({type(err).__name__}: {err})".strip()) from None
    if not isinstance(pipeline, Pipeline):
        raise ModelError(f"{model_file}: not a scikit-learn Pipeline (found {type(pipeline).__name__})")
    try:
        model = Model(pipeline, metadata)
        smoke = model.predict_proba(["A smoke test: the model must score this sentence.", "What a disgrace!"])
        if not np.isfinite(smoke).all() or not ((smoke >= 0) & (smoke <= 1)).all():
            raise ModelError("its probabilities are not numbers between 0 and 1 (NaN or infinite weights?)")
    except ModelError as err:
        raise ModelError(f"{model_file}: {err}") from None
    except Exception as err:  # saved by other code: a pipeline that unpickles but cannot run here
        raise ModelError(f"{model_file}: the model does not run with this version ({type(err).__name__})") from None
    return model
