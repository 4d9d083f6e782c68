"""The model: one scikit-learn Pipeline with its metadata, loading, saving and scoring of text."""

from __future__ import annotations

import json
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING

import joblib
import numpy as np
import sklearn
from sklearn.pipeline import Pipeline

from .atomic import atomic_output
from .text import split_sentences

if TYPE_CHECKING:
    from .explain import Explanation

__all__ = [
    "Model",
    "ModelError",
    "ScoredSentence",
    "Document",
    "load_model",
    "bundled_model_dir",
    "bundled_data_dir",
    "cache_dir",
    "MODEL_FILE",
    "METADATA_FILE",
]

MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
_PACKAGE_DIR = Path(__file__).resolve().parent


class ModelError(RuntimeError):
    """A model that cannot be loaded or used, with a message fit to show a user."""


@dataclass(frozen=True, slots=True)
class ScoredSentence:
    """One sentence of a scored text; ``text[start:end] == sentence``."""

    index: int
    start: int
    end: int
    sentence: str
    label: str
    opinion_probability: float
    extras: dict = field(default_factory=dict, compare=False)  # more fields, such as ``cues`` from explain.py

    def to_dict(self) -> dict:
        """The sentence's fields, then its extras."""
        return {**{f.name: getattr(self, f.name) for f in fields(self) if f.name != "extras"}, **self.extras}


@dataclass(frozen=True, slots=True)
class Document:
    """The sentences of a scored text and their summary."""

    sentences: list[ScoredSentence]
    threshold: float
    extras: dict = field(default_factory=dict)

    @property
    def opinion_count(self) -> int:
        return sum(s.label == "opinion" for s in self.sentences)

    @property
    def summary(self) -> dict:
        n = len(self.sentences)
        return {
            "sentences": n,
            "opinion": self.opinion_count,
            "fact": n - self.opinion_count,
            "opinion_share": round(self.opinion_count / n, 4) if n else 0.0,
        }

    def to_dict(self) -> dict:
        return {
            "threshold": self.threshold,
            "summary": self.summary,
            "sentences": [s.to_dict() for s in self.sentences],
            **self.extras,
        }


class Model:
    """A trained fact/opinion classifier: a scikit-learn ``Pipeline`` whose classes are ``fact`` and ``opinion``."""

    def __init__(self, pipeline: Pipeline, metadata: dict | None = None):
        classes = list(getattr(pipeline, "classes_", []))
        if classes != ["fact", "opinion"]:
            raise ModelError(f"not a fact/opinion model (its classes are {classes or 'unknown'})")
        self.pipeline = pipeline
        self.metadata = metadata or {}

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
        spans = split_sentences(text)
        probabilities = self.opinion_probability([s.text for s in spans])
        sentences = [
            ScoredSentence(i, s.start, s.end, s.text, label_for(p, threshold), round(float(p), 6))
            for i, (s, p) in enumerate(zip(spans, probabilities, strict=True))
        ]
        return Document(sentences, threshold)

    def explain(self, sentences: Sequence[str]) -> list[Explanation]:
        """Why each sentence scores as it does: every term's contribution to its log-odds of opinion."""
        from .explain import explain

        return explain(self, sentences)

    def save(self, directory: str | Path) -> Path:
        """Write ``model.joblib`` and ``metadata.json`` into ``directory``, each atomically."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        with atomic_output(directory / MODEL_FILE, overwrite=True) as f:
            joblib.dump(self.pipeline, f, compress=3)
        text = json.dumps(self.metadata, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        with atomic_output(directory / METADATA_FILE, overwrite=True) as f:
            f.write(text.encode("utf-8"))
        return directory


def label_for(probability: float, threshold: float) -> str:
    return "opinion" if probability >= threshold else "fact"


def _resource_dir(name: str) -> Path:
    """A folder bundled in the installed package, or the repository's top-level one in a source checkout."""
    for candidate in (_PACKAGE_DIR / name, _PACKAGE_DIR.parent.parent / name):
        if candidate.is_dir():
            return candidate
    return _PACKAGE_DIR / name


def bundled_model_dir() -> Path:
    return _resource_dir("model")


def bundled_data_dir() -> Path:
    return _resource_dir("data")


def cache_dir() -> Path:
    """Where a rebuilt default model is kept: $FACTOPINION_CACHE_DIR, else $XDG_CACHE_HOME/factopinion."""
    if os.environ.get("FACTOPINION_CACHE_DIR"):
        return Path(os.environ["FACTOPINION_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "factopinion"


def _read(directory: Path, model_file: Path) -> Model:
    """Load a saved model; raise ModelError for anything that is not a usable factopinion model."""
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


def _notify_stderr(message: str) -> None:
    print(f"factopinion: {message}", file=sys.stderr)


def load_model(path: str | Path | None = None, *, notify: Callable[[str], None] = _notify_stderr) -> Model:
    """Load the model at ``path`` (a model folder or a ``.joblib`` file), or the bundled default model.

    A joblib file is code: load only models you trust. If the bundled model was saved by another scikit-learn
    version, or is missing, it is rebuilt from the bundled data into ``cache_dir()`` and ``notify`` is told.
    """
    if path is not None:
        path = Path(path)
        if path.is_dir():
            return _read(path, path / MODEL_FILE)
        return _read(path.parent, path)
    return _load_default(notify)


def _load_default(notify: Callable[[str], None]) -> Model:
    bundled = bundled_model_dir()
    reason = _unusable_reason(bundled)
    if reason is None:
        try:
            return _read(bundled, bundled / MODEL_FILE)
        except ModelError as err:
            reason = str(err)
    from .data import data_files, files_sha256
    from .training import train_default  # training needs the data files; import only when rebuilding

    data_dir = bundled_data_dir()
    fingerprint = files_sha256(data_files(data_dir), data_dir)[:12]
    target = cache_dir() / f"model-sklearn-{sklearn.__version__}-{fingerprint}"
    if _unusable_reason(target) is None:
        try:
            return _read(target, target / MODEL_FILE)
        except ModelError:
            pass
    notify(f"the bundled model is unusable ({reason}); rebuilding it from the bundled data into {target}")
    model = train_default(data_dir=data_dir, cv_folds=0)
    try:
        model.save(target)
    except OSError as err:
        notify(f"could not cache the rebuilt model in {target} ({err.strerror or err})")
    return model


def _unusable_reason(directory: Path) -> str | None:
    if not (directory / MODEL_FILE).is_file():
        return "model file missing"
    try:
        saved = json.loads((directory / METADATA_FILE).read_text("utf-8")).get("sklearn_version")
    except (OSError, ValueError):
        return "metadata missing"
    if saved != sklearn.__version__:
        return f"saved with scikit-learn {saved}, {sklearn.__version__} installed"
    return None
