"""A trained model: one scikit-learn Pipeline with its metadata; scoring text with it, and saving and reading it."""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import joblib
import numpy as np
from sklearn.pipeline import Pipeline

from .atomic import atomic_output
from .document import LABELS, Document, ScoredSentence, label_for
from .errors import ModelError, OutputError
from .features import is_signal
from .text import segment

if TYPE_CHECKING:  # explain is imported when a sentence is explained, not for plain scoring
    from .explain import Explanation

__all__ = ["Model", "read_model", "MODEL_FILE", "METADATA_FILE"]

MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"


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
        model.predict_proba(["A smoke test: the model must score this sentence."])
    except ModelError as err:
        raise ModelError(f"{model_file}: {err}") from None
    except Exception as err:  # saved by other code: a pipeline that unpickles but cannot run here
        raise ModelError(f"{model_file}: the model does not run with this version ({type(err).__name__})") from None
    return model
