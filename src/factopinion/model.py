"""A trained model and its metadata: scoring text with it, and saving and reading it.

A model folder holds ``model.json`` (the model as data: ``scorer``), ``metadata.json`` (how it was trained, its
figures) and ``model.joblib`` (the scikit-learn pipeline it was exported from, for retraining and inspection).
Scoring reads ``model.json`` only, with NumPy: no scikit-learn, and nothing that can run code. A pickled pipeline
runs whatever code it holds when it is loaded, so it is loaded only when asked for explicitly (``trust_code``), and
a pickle that ``model.json`` records is first checked against the SHA-256 recorded there.
"""

from __future__ import annotations

import hashlib
import io
import json
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .atomic import atomic_output
from .document import LABELS, Document, ScoredSentence, check_threshold, json_text, label_for, unit_named
from .engine.explain import Explainer, Explanation
from .engine.scorer import DATA_FILE, BatchReader, LinearScorer, read_model_bytes, read_scorer
from .errors import ModelError, OutputError
from .text import Span, segment

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Model", "SentenceScores", "read_model", "read_pipeline", "DATA_FILE", "MODEL_FILE", "METADATA_FILE"]

MODEL_FILE = "model.joblib"
MAX_METADATA_BYTES = 16 * 2**20  # metadata.json is a few kilobytes
METADATA_FILE = "metadata.json"
_SMOKE_TEST = ["A smoke test: the model must score this sentence.", "What a disgrace!"]
UnitName = Literal["sentence", "document", "cell"]  # document.UNITS


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
    """A trained fact/opinion classifier, from its data (a ``scorer.LinearScorer``) or from a fitted scikit-learn
    ``Pipeline`` whose classes are ``fact`` and ``opinion``.

    A pipeline is exported to data at once (``export``), and the data form scores; a pipeline that cannot be
    exported (another classifier, a transformer kind the exporter does not know) scores through scikit-learn, and
    cannot be explained or saved. ``pipeline`` is None for a model read from its data file.
    """

    def __init__(self, model: Any, metadata: dict | None = None):
        self.metadata = metadata if isinstance(metadata, dict) else {}
        self.pipeline: Any = None
        self.scorer: LinearScorer | None = None
        self.unexported: str | None = None  # why a pipeline has no data form
        if isinstance(model, LinearScorer):
            self.scorer = model
            classes = model.classes
        else:
            self.pipeline = model
            classes = [str(c) for c in getattr(model, "classes_", [])]
        if classes != list(LABELS):
            raise ModelError(f"not a fact/opinion model (its classes are {classes or 'unknown'})")
        if self.scorer is None:
            from .training.export import export_pipeline

            try:
                self.scorer = export_pipeline(model)
            except ModelError as err:
                self.unexported = str(err)
            except Exception as err:  # a pipeline too broken to walk; scoring it will say so
                self.unexported = f"it cannot be exported ({type(err).__name__}: {err})"

    @property
    def classes(self) -> list[str]:
        return list(LABELS)

    def as_data(self, purpose: str = "use") -> LinearScorer:
        """The model as data (what it scores with); a ``ModelError`` naming ``purpose`` where it has none."""
        if self.scorer is None:
            raise ModelError(f"cannot {purpose} this model: {self.unexported}")
        return self.scorer

    def predict_proba(self, sentences: Sequence[str]) -> np.ndarray:
        """Class probabilities, one row per sentence, columns ``fact`` and ``opinion`` (scikit-learn's order)."""
        if self.scorer is not None:
            return self.scorer.predict_proba(list(sentences))
        return self.pipeline.predict_proba(list(sentences))

    def opinion_probability(self, sentences: Sequence[str], each_batch: BatchReader | None = None) -> np.ndarray:
        """The probability that each sentence is opinion. ``each_batch`` reads the scorer's batches
        (``LinearScorer.log_odds``); a model scored by scikit-learn never calls it."""
        if not len(sentences):
            return np.zeros(0)
        if self.scorer is not None:
            return self.scorer.opinion_probability(list(sentences), each_batch)
        return self.predict_proba(sentences)[:, 1]

    def predict(self, sentences: Sequence[str], threshold: float = 0.5) -> list[str]:
        """``fact`` or ``opinion`` for each sentence; opinion where its probability is at least ``threshold``."""
        check_threshold(threshold)
        return [label_for(p, threshold) for p in self.opinion_probability(sentences)]

    def score(self, text: str, threshold: float = 0.5) -> Document:
        """Split ``text`` into sentences and classify each one (opinion where its probability is at least
        ``threshold``)."""
        check_threshold(threshold)
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

    def label_series(self, series: Iterable, unit: UnitName = "sentence", threshold: float = 0.5) -> pd.DataFrame:
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

        columns = unit_named(unit).series_columns
        check_threshold(threshold)
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
            return pd.DataFrame(dict(zip(columns, [labels, np.round(probability, 6)], strict=True)), index=index)
        scores = self.sentence_scores(texts)
        if unit == "document":
            counts, opinion, share, mean = scores.documents(threshold)
            values_of = [
                _integers(counts, present),
                _integers(opinion, present),
                np.where(present, share, np.nan),
                np.where(present, np.round(mean, 6), np.nan),
            ]
            return pd.DataFrame(dict(zip(columns, values_of, strict=True)), index=index)
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
        values_of = [*(_integers(numbers[i], has) for i in range(3)), sentences, labels, probability]
        return pd.DataFrame(dict(zip(columns, values_of, strict=True)), index=index.take(rows))

    def explain(self, sentences: Sequence[str]) -> list[Explanation]:
        """Why each sentence scores as it does: every term's contribution to its log-odds of opinion."""
        return Explainer(self.as_data("explain")).explain(sentences)

    def describe(self, *, source: str, top: int = 15) -> dict:
        """A JSON-ready description of the model (loaded from ``source``): metadata, features and its ``top``
        strongest terms per label (all of them for 0)."""
        scorer = self.as_data("describe")
        explainer = Explainer(scorer)
        strongest = explainer.strongest_terms(top or len(scorer.names))
        signals = scorer.signal_names
        terms = sum(len(block.names) for block in scorer.blocks if not block.signals)
        return {
            "source": source,
            "classes": self.classes,
            "features": {"total": len(scorer.names), "terms": terms, "signals": signals},
            "intercept": round(scorer.intercept, 6),
            "strongest": {
                label: [{"term": term, "coefficient": round(weight, 6)} for term, weight in items]
                for label, items in strongest.items()
            },
            "metadata": self.metadata,
        }

    def save(self, directory: str | Path, *, overwrite: bool = True) -> Path:
        """Write ``model.json``, ``metadata.json`` and, for a model with a pipeline, ``model.joblib`` into
        ``directory``, each atomically; ``model.json`` records the pickle's SHA-256. A model with word vectors
        that do not ship with factopinion gets their two files there too (``engine.vectors``)."""
        scorer = self.as_data("save")
        directory = Path(directory)
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise OutputError(f"cannot create {directory}: {err.strerror or err}") from None
        about: dict[str, Any] = {key: value for key, value in scorer.about.items() if key != "pipeline"}
        for key in ("factopinion_version", "sklearn_version"):
            if key in self.metadata:
                about[key] = self.metadata[key]
        training = self.metadata.get("training_data")
        if isinstance(training, dict) and "sha256" in training:
            about["training_data_sha256"] = training["sha256"]
        if self.pipeline is not None:
            import joblib

            buffer = io.BytesIO()
            joblib.dump(self.pipeline, buffer, compress=3)
            pickled = buffer.getvalue()
            with atomic_output(directory / MODEL_FILE, overwrite=overwrite) as f:
                f.write(pickled)
            about["pipeline"] = {"file": MODEL_FILE, "sha256": hashlib.sha256(pickled).hexdigest()}
        for name, data in scorer.files().items():  # word vectors, before the model file that records their SHA-256
            with atomic_output(directory / name, overwrite=overwrite) as f:
                f.write(data)
        with atomic_output(directory / DATA_FILE, overwrite=overwrite) as f:
            f.write(scorer.to_json(about))
        text = json_text(self.metadata, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        with atomic_output(directory / METADATA_FILE, overwrite=overwrite) as f:
            f.write(text.encode("utf-8"))
        return directory


def _integers(values: np.ndarray, valid: np.ndarray):
    """A nullable ``Int64`` pandas array: ``values`` where ``valid``, missing elsewhere."""
    import pandas as pd

    return pd.arrays.IntegerArray(np.asarray(values, dtype=np.int64), ~np.asarray(valid, dtype=bool))


def _metadata(directory: Path) -> dict:
    path = directory / METADATA_FILE
    if not path.is_file():
        return {}
    try:
        return json.loads(read_model_bytes(path, limit=MAX_METADATA_BYTES).decode("utf-8"))
    except (ValueError, RecursionError) as err:
        raise ModelError(f"{path}: unreadable metadata ({err})") from None


def _checked(model: Model, where: Path) -> Model:
    try:
        smoke = model.predict_proba(_SMOKE_TEST)
        if not np.isfinite(smoke).all() or not ((smoke >= 0) & (smoke <= 1)).all():
            raise ModelError("its probabilities are not numbers between 0 and 1 (NaN or infinite weights?)")
    except ModelError as err:
        raise ModelError(f"{where}: {err}") from None
    except Exception as err:  # saved by other code: a model that loads but cannot run here
        raise ModelError(f"{where}: the model does not run with this version ({type(err).__name__})") from None
    return model


def read_model(path: str | Path, *, trust_code: bool = False) -> Model:
    """Load the model at ``path``: a model folder (its ``model.json``), a ``model.json`` file, or, with
    ``trust_code``, a pickled pipeline (a ``.joblib`` file, or a folder with only ``model.joblib``).

    Anything that is not a usable factopinion model is a ``ModelError``. Without ``trust_code`` a pickle is never
    unpickled: unpickling runs whatever code the file holds.
    """
    path = Path(path)
    if path.is_dir():
        directory, data, pickled = path, path / DATA_FILE, path / MODEL_FILE
        if not data.is_file() and not pickled.is_file():
            raise ModelError(f"{path}: no model here (no {DATA_FILE})")
    else:
        directory, data, pickled = path.parent, path, path
    if data.suffix.lower() == ".json" and (data.is_file() or not path.is_dir()):
        return _checked(Model(read_scorer(data), _metadata(directory)), data)
    if not pickled.is_file():
        raise ModelError(f"{pickled}: no such model file")
    if not trust_code:
        raise ModelError(
            f"refusing to unpickle {pickled}: a pickled model can run any code when it is loaded; "
            f"use a model folder with {DATA_FILE}, or pass --trust-model-code if you trust this file"
        )
    return _checked(Model(_unpickle(pickled, _recorded_sha256(pickled)), _metadata(directory)), pickled)


def read_pipeline(directory: str | Path) -> Any:
    """The scikit-learn pipeline saved beside a ``model.json`` (``model.joblib``), unpickled only after its bytes
    match the SHA-256 that ``model.json`` records for it; a ``ModelError`` otherwise."""
    directory = Path(directory)
    pickled = directory / MODEL_FILE
    expected = _recorded_sha256(pickled)
    if expected is None:
        raise ModelError(f"{directory / DATA_FILE} records no SHA-256 for {MODEL_FILE}: refusing to unpickle it")
    return _unpickle(pickled, expected)


def _recorded_sha256(pickled: Path) -> str | None:
    """The SHA-256 that the ``model.json`` beside ``pickled`` records for it, if there is one."""
    data = pickled.parent / DATA_FILE
    if not data.is_file():
        return None
    record = read_scorer(data).about.get("pipeline")
    if isinstance(record, dict) and record.get("file") == pickled.name and isinstance(record.get("sha256"), str):
        return record["sha256"]
    return None


def _unpickle(pickled: Path, expected_sha256: str | None) -> Any:
    raw = read_model_bytes(pickled)
    if expected_sha256 is not None and hashlib.sha256(raw).hexdigest() != expected_sha256:
        raise ModelError(f"{pickled} does not match the SHA-256 recorded in {DATA_FILE}: refusing to unpickle it")
    import joblib
    from sklearn.pipeline import Pipeline

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pipeline = joblib.load(io.BytesIO(raw))  # the bytes checked, not the file again
    except Exception as err:  # unpickling can raise almost anything on a foreign or corrupt file
        raise ModelError(f"{pickled}: not a loadable model ({type(err).__name__}: {err})".strip()) from None
    if not isinstance(pipeline, Pipeline):
        raise ModelError(f"{pickled}: not a scikit-learn Pipeline (found {type(pipeline).__name__})")
    return pipeline
