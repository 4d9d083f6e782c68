"""Training the pipeline on labeled files, with cross-validated figures in its metadata."""

from __future__ import annotations

import platform
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict
from sklearn.pipeline import FeatureUnion, Pipeline

from .. import __version__
from ..document import LABELS
from ..engine.bytescan import TOKEN_PATTERN  # words, apostrophes kept inside them, "?" and "!"
from ..engine.vectors import VectorSet
from ..errors import DataError
from ..model import Model
from .calibration import NewsCalibratedLogisticRegression
from .datasets import data_files, files_sha256, read_labeled_files
from .evaluation import (
    base_rate_brier,
    brier_score,
    classification_report,
    expected_calibration_error,
    reliability_table,
)
from .features import StyleFeatures
from .lexicon import LexiconFeatures, load_lexicon
from .vectors import StaticVectorFeatures
from .voice import VoiceFeatures, default_voice_words

__all__ = ["DEFAULT_SEED", "build_pipeline", "train", "train_default", "cross_validate"]

DEFAULT_SEED = 13


# The default model's settings (see docs/model-card.md). Issue 10 moved them toward real news: word
# unigrams without the commonest words (max_df: in more than 7% of the corpus's sentences), three lexicon signals
# (lexicon.py), and probabilities calibrated for news: a temperature dividing the log-odds and the share of opinion
# the probabilities assume (calibration.py). Issue 19 added the six voice signals (engine/blocks/voice.py) and dense
# features from static word vectors (training/vectors.py). Lexicon and voice signals, max_df, temperature and prior
# are documented hyper-parameters chosen with the CheckThat! train_en set (evaluation only: no weight is fitted on
# it) and confirmed on its dev set. The prior is train_en's opinion share (0.36) rounded to 0.05, within the 25-35%
# of news; the temperature follows calibration.choose_temperature (the smallest on a 0.25 grid whose train_en Brier
# score is within 0.002 of the grid's minimum): 2.5 for this model on the 17,645-sentence corpus.
DEFAULT_PARAMS: dict = {
    "ngram_range": (1, 1),
    "min_df": 2,
    "max_df": 0.07,
    "sublinear_tf": True,
    "C": 2.0,
    "class_weight": "balanced",
    "style": ("attribution", "quotation", "opening_quote", "first_person", "second_person", "modal", "question"),
    "style_weight": 0.3,
    "lexicon": ("max_subjectivity", "max_valence", "evaluative_share"),
    "lexicon_weight": 1.0,
    "voice": (
        "first_person_view",
        "evaluative_predicate",
        "recommendation",
        "evaluative_quoted_only",
        "scare_quotes",
        "stance_opening",
    ),
    "voice_weight": 1.0,
    "temperature": 2.5,
    "prior": 0.35,
    # Dense features from static word vectors (training/vectors.py, CONTRIBUTING.md: static word vectors).
    "dense": "minilm-l6-static-256",
    "dense_weight": 1.0,
}


def build_pipeline(
    seed: int = DEFAULT_SEED,
    *,
    ngram_range: tuple[int, int] = DEFAULT_PARAMS["ngram_range"],
    min_df: int = DEFAULT_PARAMS["min_df"],
    max_df: float = DEFAULT_PARAMS["max_df"],
    sublinear_tf: bool = DEFAULT_PARAMS["sublinear_tf"],
    C: float = DEFAULT_PARAMS["C"],
    class_weight: str | None = DEFAULT_PARAMS["class_weight"],
    style: tuple[str, ...] | None = DEFAULT_PARAMS["style"],
    style_weight: float = DEFAULT_PARAMS["style_weight"],
    lexicon: tuple[str, ...] | None = DEFAULT_PARAMS["lexicon"],
    lexicon_weight: float = DEFAULT_PARAMS["lexicon_weight"],
    voice: tuple[str, ...] | None = DEFAULT_PARAMS["voice"],
    voice_weight: float = DEFAULT_PARAMS["voice_weight"],
    temperature: float = DEFAULT_PARAMS["temperature"],
    prior: float | None = DEFAULT_PARAMS["prior"],
    lexicon_table: dict | None = None,
    dense: str | VectorSet | None = DEFAULT_PARAMS["dense"],
    dense_weight: float = DEFAULT_PARAMS["dense_weight"],
) -> Pipeline:
    """The untrained model: TF-IDF word n-grams (plus stylistic, lexicon and voice signals, and optionally dense
    features) into a logistic regression calibrated for news (``temperature``, ``prior``: see calibration.py).
    ``lexicon`` names the lexicon signals (lexicon.LEXICON_SIGNALS); their word table is ``lexicon_table``, by
    default the vendored lexicon, and is carried inside the pipeline, as are the voice signals' word lists (their
    evaluative words from the same table). ``voice`` names the voice signals (voice.VOICE_SIGNALS). ``dense`` adds
    dense features from static word vectors (a ``VectorSet``, or the name of a shipped one) at ``dense_weight``
    (training/vectors.py)."""
    words = TfidfVectorizer(
        ngram_range=ngram_range,
        min_df=min_df,
        max_df=max_df,
        sublinear_tf=sublinear_tf,
        token_pattern=TOKEN_PATTERN,
        lowercase=True,
        dtype=np.float64,
    )
    parts = [("words", words)] + ([("style", StyleFeatures(style, style_weight))] if style else [])
    table = load_lexicon() if lexicon_table is None and (lexicon or voice) else lexicon_table
    if lexicon:
        parts.append(("lexicon", LexiconFeatures(table, tuple(lexicon), lexicon_weight)))
    if voice:
        assert table is not None
        parts.append(("voice", VoiceFeatures(tuple(voice), voice_weight, default_voice_words(table))))
    if dense is not None:
        parts.append(("dense", StaticVectorFeatures(dense, dense_weight)))
    classifier = NewsCalibratedLogisticRegression(
        C=C,
        class_weight=class_weight,
        max_iter=2000,
        solver="liblinear",
        random_state=seed,
        temperature=temperature,
        prior=prior,
    )
    return Pipeline([("features", FeatureUnion(parts)), ("classifier", classifier)])


def _groups(frame: pd.DataFrame) -> np.ndarray:
    """Cross-validation groups: the two sentences of a minimal pair stay on the same side of a split."""
    pair = frame["pair_id"] if "pair_id" in frame.columns else pd.Series("", index=frame.index)
    own = (
        frame["file"].astype(str) + ":" + frame.index.astype(str)
        if "file" in frame.columns
        else frame.index.astype(str)
    )
    return np.where(pair.fillna("").astype(str) != "", pair.astype(str), own)


def cross_validate(pipeline: Pipeline, frame: pd.DataFrame, folds: int = 5, seed: int = DEFAULT_SEED) -> dict:
    """Out-of-fold figures for ``pipeline`` on ``frame`` (columns ``sentence``, ``label``), pairs kept together: the
    classification report of the labels, and under ``calibration`` how its probabilities fare on held-out corpus
    sentences (ECE, Brier beside the base rate, the reliability table)."""
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    probabilities = cross_val_predict(
        sklearn.clone(pipeline),
        frame["sentence"].tolist(),
        frame["label"].to_numpy(),
        groups=_groups(frame),
        cv=splitter,
        method="predict_proba",
    )[:, 1]
    predicted = np.where(probabilities > 0.5, LABELS[1], LABELS[0])  # as LogisticRegression.predict decides
    gold = frame["label"].tolist()
    calibration = {
        "ece": expected_calibration_error(gold, probabilities),
        "brier": brier_score(gold, probabilities),
        "base_rate_brier": base_rate_brier(gold),
        "reliability": reliability_table(gold, probabilities),
    }
    return {"folds": folds, **classification_report(gold, list(predicted)), "calibration": calibration}


def train(
    files: Sequence[str | Path],
    *,
    seed: int = DEFAULT_SEED,
    cv_folds: int = 5,
    data_root: Path | None = None,
    pipeline: Pipeline | None = None,
    text_column: str | None = None,
    label_column: str = "label",
    quoting: str | Mapping[Path, str] = "auto",
) -> Model:
    """Fit the pipeline on every row of ``files`` and return the model with its metadata. ``quoting``: see
    ``datasets.read_labeled_files``."""
    paths = [Path(f) for f in files]
    frame = read_labeled_files(paths, text_column=text_column, label_column=label_column, quoting=quoting)
    counts = frame["label"].value_counts()
    if len(counts) < 2:
        raise DataError("the training data needs both fact and opinion sentences")
    if cv_folds and (counts.min() < cv_folds or len(set(_groups(frame))) < cv_folds):
        raise DataError(
            f"{cv_folds}-fold cross-validation needs at least {cv_folds} sentences of each label "
            f"(this data has {counts.get('fact', 0)} fact, {counts.get('opinion', 0)} opinion); "
            "use fewer folds, or 0 to skip it"
        )
    pipeline = _common_word_cut_for(pipeline or build_pipeline(seed), len(frame), cv_folds)
    try:
        fitted = sklearn.clone(pipeline).fit(frame["sentence"].tolist(), frame["label"].to_numpy())
        cv = cross_validate(pipeline, frame, cv_folds, seed) if cv_folds else None
    except ValueError as error:
        if "no terms remain" not in str(error):
            raise
        min_df = pipeline.get_params().get("features__words__min_df", "min_df")
        raise DataError(f"too little training data: too few words occur in at least {min_df} sentences") from None
    metadata = {
        "factopinion_version": __version__,
        "sklearn_version": sklearn.__version__,
        "python_version": platform.python_version(),
        "seed": seed,
        "training_data": {
            "files": [
                {"name": str(p.relative_to(data_root)) if data_root else p.name, "rows": rows}
                for p, rows in zip(paths, frame.attrs["rows"], strict=True)
            ],
            "sha256": files_sha256(paths, data_root),
            "rows": len(frame),
            "class_counts": {label: int(counts.get(label, 0)) for label in LABELS},
        },
        "pipeline": _describe(fitted),
    }
    if cv:
        metadata["cross_validation"] = cv
    return Model(fitted, metadata)


def _common_word_cut_for(pipeline: Pipeline, rows: int, cv_folds: int) -> Pipeline:
    """The pipeline, without its common-word cut (a fractional ``max_df``) where the data is too small for it: where
    ``max_df`` of the sentences (of a cross-validation fold's training part) is fewer than ``min_df``, so that
    no word could both be common enough and rare enough."""
    params = pipeline.get_params()
    max_df, min_df = params.get("features__words__max_df"), params.get("features__words__min_df", 1)
    if not isinstance(max_df, float) or max_df >= 1.0:
        return pipeline
    fitted_rows = rows * (1 - 1 / cv_folds) if cv_folds else rows
    floor = min_df if isinstance(min_df, int) else min_df * fitted_rows
    if max_df * fitted_rows >= floor:
        return pipeline
    return sklearn.clone(pipeline).set_params(features__words__max_df=1.0)


def train_default(data_dir: Path, *, seed: int = DEFAULT_SEED, cv_folds: int = 5) -> Model:
    """Train the default model on every labeled file in ``data_dir`` (the bundled ``data/`` folder)."""
    return train(data_files(data_dir), seed=seed, cv_folds=cv_folds, data_root=data_dir)


def _describe(pipeline: Pipeline) -> dict:
    """The pipeline's steps and their JSON-representable parameters."""
    described: dict[str, object] = {}
    for name, value in pipeline.get_params(deep=True).items():
        if isinstance(value, (str, int, float, bool, type(None))):
            described[name] = value
        elif isinstance(value, tuple) and all(isinstance(v, (int, float, str)) for v in value):
            described[name] = list(value)
    described["steps"] = [f"{name}: {type(step).__name__}" for name, step in pipeline.steps]
    parts = dict(pipeline.named_steps["features"].transformer_list)
    described["features"] = list(parts)
    if isinstance(parts.get("lexicon"), LexiconFeatures):
        table = parts["lexicon"].lexicon
        described["lexicon"] = {
            "words": len(table if table is not None else load_lexicon()),
            "source": "factopinion/lexicons/lexicon.tsv (TextBlob/pattern en-sentiment.xml, PDDL; VADER, MIT)",
        }
    if isinstance(parts.get("voice"), VoiceFeatures):
        lists = parts["voice"].words
        described["voice"] = {"word_lists": {key: len(words) for key, words in (lists or {}).items()}}
    calibration = getattr(pipeline.steps[-1][1], "calibration_", None)
    if calibration:
        described["calibration"] = calibration
    return described
