"""Dense features from static word vectors: the engine's block scores exactly as the pipeline's transformer, the
vector files are plain data checked against the SHA-256 the model records, and the same data give the same model."""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import random
import re
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factopinion import ModelError
from factopinion.bundled import bundled_data_dir, bundled_model_dir
from factopinion.engine.explain import Explainer
from factopinion.engine.scorer import DATA_FILE, LinearScorer, StaticVectors
from factopinion.engine.vectors import SHIPPED_DIR, VectorSet, sentence_sums, sentence_vectors, shipped
from factopinion.model import Model, read_model
from factopinion.training.datasets import data_files, read_labeled_files
from factopinion.training.export import PROBES, export_pipeline
from factopinion.training.pipeline import build_pipeline
from factopinion.training.vectors import DEFAULT_VECTORS, StaticVectorFeatures

TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def sample() -> tuple[list[str], list[str]]:
    """Corpus sentences with arbitrary labels (the tests check agreement, not quality)."""
    sentences = read_labeled_files(data_files(bundled_data_dir()))["sentence"].tolist()
    rng = random.Random(3)
    chosen = rng.sample(sentences, 600)
    return chosen, [rng.choice(["fact", "opinion"]) for _ in chosen]


@pytest.fixture(scope="module")
def small_set(sample) -> VectorSet:
    """A vector set over the sample's words (random vectors): not shipped, so a saved model carries its files."""
    words = sorted({w for s in sample[0] for w in re.findall(r"\w+", s.lower())})
    vectors = np.random.default_rng(0).standard_normal((len(words), 12)).astype(np.float16)
    return VectorSet("test-set-12", words, vectors, {"made_by": "tests/test_vectors.py"})


@pytest.fixture(scope="module")
def fitted(sample, small_set):
    return build_pipeline(dense=small_set, dense_weight=0.7).fit(*sample)


def _model_dir(tmp_path, pipeline) -> tuple:
    model = Model(pipeline, {})
    model.save(tmp_path)
    return model, tmp_path


# -- the one definition ------------------------------------------------------------------------------------------


def test_a_sentence_is_the_sum_of_its_known_words_vectors_over_the_root_of_their_number(small_set):
    features = StaticVectorFeatures(small_set, weight=2.0).fit([])
    known = [w for w in ("the", "council", "said") if w in small_set.index]
    sentence = " ".join(known + ["zzzunknownzzz"]).upper()  # case and an unknown word change nothing
    expected = small_set.matrix[[small_set.index[w] for w in known]].sum(axis=0) / np.sqrt(len(known)) * 2.0
    assert np.allclose(features.transform([sentence]).toarray()[0], expected, rtol=0, atol=1e-12)
    assert not features.transform(["", "zzzunknownzzz ?!"]).toarray().any()


def test_the_scorer_needs_one_number_per_word_for_the_same_value(small_set):
    rng = np.random.default_rng(1)
    rows = np.sort(rng.integers(0, 50, 400))
    entries = rng.integers(0, len(small_set.words), 400)
    coef = rng.standard_normal(small_set.dims)
    full = sentence_vectors(rows, entries, 60, small_set.matrix) @ coef
    assert np.allclose(sentence_sums(rows, entries, 60, small_set.dot(coef)), full, rtol=0, atol=1e-12)
    fresh = VectorSet(small_set.name, small_set.words, small_set.vectors)  # no float64 matrix made yet
    assert np.array_equal(fresh.take(entries), small_set.matrix[entries]) and "matrix" not in fresh.__dict__


# -- exactness: the engine against the pipeline ------------------------------------------------------------------


def test_the_exported_model_scores_as_the_pipeline(fitted, sample, small_set, tmp_path):
    _, folder = _model_dir(tmp_path, fitted)
    loaded = read_model(folder)
    sentences = sample[0] + PROBES
    expected = fitted.predict_proba(sentences)[:, 1]
    assert np.max(np.abs(export_pipeline(fitted).opinion_probability(sentences) - expected)) <= TOLERANCE
    assert np.max(np.abs(loaded.opinion_probability(sentences) - expected)) <= TOLERANCE
    (block,) = [b for b in loaded.as_data().blocks if isinstance(b, StaticVectors)]
    assert block.weight == 0.7 and block.vectors.sha256 == small_set.sha256


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=80), min_size=1, max_size=6))
def test_the_engine_equals_the_pipeline_on_any_text(fitted, texts):
    scorer = export_pipeline(fitted)
    expected = fitted.predict_proba(texts)[:, 1]
    assert np.max(np.abs(scorer.opinion_probability(texts) - expected)) <= TOLERANCE


def test_the_explanation_shows_the_dense_features_as_one_term_that_adds_up(fitted):
    scorer = export_pipeline(fitted)
    sentence = "The council said the plan is a disgrace."
    (explanation,) = Explainer(scorer).explain([sentence])
    terms = [t.term for t in explanation.terms]
    assert terms.count("[word meanings]") == 1 and not any(t.startswith("[word meanings ") for t in terms)
    total = explanation.intercept + sum(t.contribution for t in explanation.terms)
    assert abs(total - explanation.log_odds) < 1e-9
    assert abs(explanation.log_odds - scorer.log_odds([sentence])[0]) < 1e-9
    strongest = Explainer(scorer).strongest_terms(1000)
    assert not any(name.startswith("[word meanings") for items in strongest.values() for name, _ in items)
    assert scorer.signal_names.count("[word meanings]") == 1


# -- the files -----------------------------------------------------------------------------------------------------


def test_a_saved_model_keeps_the_vector_files_beside_model_json_as_plain_data(fitted, small_set, tmp_path):
    _, folder = _model_dir(tmp_path, fitted)
    names = {"test-set-12.json", "test-set-12.npy"}
    assert names <= {p.name for p in folder.iterdir()}
    raw = (folder / "test-set-12.npy").read_bytes()
    array = np.load(io.BytesIO(raw), allow_pickle=False)  # numbers only: no pickle inside
    assert array.dtype == np.dtype("<f2") and array.shape == (len(small_set.words), 12)
    header = json.loads((folder / "test-set-12.json").read_text("utf-8"))
    assert header["words"] == small_set.words and header["vectors_sha256"] == hashlib.sha256(raw).hexdigest()
    document = json.loads((folder / DATA_FILE).read_bytes())
    assert document["format_version"] == 3  # a model with word vectors needs version 3; others are still written as 1
    (block,) = [b for b in document["model"]["blocks"] if b["kind"] == "static_vectors"]
    assert block["sha256"] == {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in names}


def _damage(path) -> None:
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x01  # one bit of the last vector, or of the header's end
    path.write_bytes(bytes(data))


def test_a_changed_vector_words_file_is_refused_with_one_line(fitted, tmp_path):
    _, folder = _model_dir(tmp_path, fitted)
    _damage(folder / "test-set-12.json")
    with pytest.raises(ModelError, match="does not match the SHA-256 the model records") as caught:
        read_model(folder)
    assert "\n" not in str(caught.value)


def test_a_changed_vectors_file_is_refused_before_its_vectors_are_used(fitted, sample, tmp_path):
    """Scoring reads each word's score from model.json and the words from the set's .json, both checked: the .npy
    is read, and checked, where the vectors are needed (explaining, saving the set), and refused there."""
    _, folder = _model_dir(tmp_path, fitted)
    _damage(folder / "test-set-12.npy")
    loaded = read_model(folder)
    expected = fitted.predict_proba(sample[0])[:, 1]
    assert np.max(np.abs(loaded.opinion_probability(sample[0]) - expected)) <= TOLERANCE
    for use in (
        lambda: loaded.explain(["The council said the plan is a disgrace."]),
        lambda: loaded.save(tmp_path / "b"),
    ):
        with pytest.raises(ModelError, match="test-set-12.npy does not match the SHA-256 the model records") as caught:
            use()
        assert "\n" not in str(caught.value)
    (folder / "test-set-12.npy").unlink()
    with pytest.raises(ModelError, match="cannot read these word vectors"):
        read_model(folder).explain(["The council said so."])


def test_a_vectors_file_the_words_file_does_not_name_is_refused_at_once(fitted, small_set, tmp_path):
    _, folder = _model_dir(tmp_path, fitted)
    header = json.loads((folder / "test-set-12.json").read_bytes())
    header["vectors_sha256"] = "0" * 64
    (folder / "test-set-12.json").write_text(json.dumps(header))
    document = json.loads((folder / DATA_FILE).read_bytes())
    (block,) = [b for b in document["model"]["blocks"] if b["kind"] == "static_vectors"]
    block["sha256"]["test-set-12.json"] = hashlib.sha256((folder / "test-set-12.json").read_bytes()).hexdigest()
    _rewrite(folder / DATA_FILE, document)
    with pytest.raises(ModelError, match="test-set-12.npy does not match the SHA-256 the model records"):
        read_model(folder)


def _rewrite(path, document: dict) -> None:
    """Write ``document`` (a model file's JSON) back with its SHA-256 and version as written."""
    body = json.dumps(document["model"], ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    header = (
        f'{{"format":"{document["format"]}","format_version":{document["format_version"]},'
        f'"sha256":"{hashlib.sha256(body).hexdigest()}","model":'
    )
    path.write_bytes(header.encode() + body + b"}\n")


def test_the_block_records_each_words_score_exactly_as_computed_from_the_vectors(fitted, sample, tmp_path):
    _, folder = _model_dir(tmp_path, fitted)
    (block,) = [b for b in read_model(folder).as_data().blocks if isinstance(b, StaticVectors)]
    assert np.array_equal(block.scores, block.vectors.dot(block.coef))  # bit for bit
    document = json.loads((folder / DATA_FILE).read_bytes())
    (data,) = [b for b in document["model"]["blocks"] if b["kind"] == "static_vectors"]
    data["scores"]["base64"] = data["scores"]["base64"][:-16]  # two values short
    _rewrite(folder / DATA_FILE, document)
    with pytest.raises(ModelError, match="scores"):
        read_model(folder)


def test_a_version_2_model_without_the_words_scores_reads_and_scores_the_same(fitted, sample, tmp_path):
    model, folder = _model_dir(tmp_path, fitted)
    document = json.loads((folder / DATA_FILE).read_bytes())
    (data,) = [b for b in document["model"]["blocks"] if b["kind"] == "static_vectors"]
    del data["scores"]
    document["format_version"] = 2
    old = tmp_path / "old"
    old.mkdir()
    for name in ("test-set-12.json", "test-set-12.npy"):
        (old / name).write_bytes((folder / name).read_bytes())
    _rewrite(old / DATA_FILE, document)
    sentences = sample[0] + PROBES
    assert np.array_equal(
        read_model(old).opinion_probability(sentences), read_model(folder).opinion_probability(sentences)
    )
    _damage(old / "test-set-12.npy")  # a version 2 block computes the scores from the vectors: checked at once
    with pytest.raises(ModelError, match="does not match the SHA-256 the model records"):
        read_model(old)


def test_a_missing_vector_file_is_refused_with_one_line(fitted, tmp_path):
    _, folder = _model_dir(tmp_path, fitted)
    (folder / "test-set-12.json").unlink()
    with pytest.raises(ModelError, match="word vectors 'test-set-12' are not beside") as caught:
        read_model(folder)
    assert "\n" not in str(caught.value)


def test_vectors_recorded_nowhere_are_refused(fitted):
    raw = export_pipeline(fitted).to_json()
    with pytest.raises(ModelError, match="not among this factopinion's vector sets"):
        LinearScorer.from_json(raw)  # from bytes alone: the set is not beside a model, nor shipped


def test_a_vector_file_that_holds_a_pickle_or_nan_is_refused(small_set, tmp_path):
    small_set_files = dict(small_set.files)
    for name, data in small_set_files.items():
        (tmp_path / name).write_bytes(data)
    assert VectorSet.read(tmp_path, "test-set-12").words == small_set.words
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    pickled = buffer.getvalue()
    header = json.loads(small_set_files["test-set-12.json"])
    header["vectors_sha256"] = hashlib.sha256(pickled).hexdigest()
    (tmp_path / "test-set-12.npy").write_bytes(pickled)
    (tmp_path / "test-set-12.json").write_text(json.dumps(header))
    with pytest.raises(ModelError, match="not a .npy array of numbers"):
        VectorSet.read(tmp_path, "test-set-12")
    nan = small_set.vectors.copy()
    nan[0, 0] = np.nan
    with pytest.raises(ModelError, match="finite"):
        StaticVectors(vectors=VectorSet("nan-set", small_set.words, nan), coef=np.ones(12))


@pytest.mark.parametrize(
    ("words", "message"),
    [(["a", "a"], "distinct"), (["Upper"], "lowercase"), (["two words"], "\\\\w\\+ runs"), (["ok\n"], "runs")],
)
def test_a_vocabulary_must_be_distinct_lowercase_words(words, message):
    with pytest.raises(ModelError, match=message):
        VectorSet("bad", words, np.zeros((len(words), 2), dtype=np.float16))


# -- the shipped set and determinism ----------------------------------------------------------------------------------


def test_the_shipped_set_is_plain_checked_data_with_its_origin():
    vectors = shipped(DEFAULT_VECTORS)
    assert vectors.is_shipped and vectors.dims == 256 and len(vectors.words) > 30_000
    assert {"encoder", "encoder_package", "encoder_licence", "recipe"} <= set(vectors.about)
    assert "Apache-2.0" in vectors.about["encoder_licence"]
    for name, data in vectors.files.items():  # what the set writes is what ships, byte for byte
        assert (SHIPPED_DIR / name).read_bytes() == data
    pickled = pickle.dumps(vectors)
    assert len(pickled) < 1000  # a pipeline's pickle names the shipped set, it does not copy it
    assert str(SHIPPED_DIR).encode() not in pickled and b"pathlib" not in pickled  # nor where it was installed
    unpickled = pickle.loads(pickled)
    assert unpickled.sha256 == vectors.sha256 and unpickled.words == vectors.words
    assert unpickled._vectors is None  # read (and checked) where first used, as in a worker that only scores
    assert np.array_equal(unpickled.vectors, vectors.vectors)


def test_the_shipped_pipeline_names_no_path_of_the_machine_that_trained_it():
    pickled = zlib.decompress((bundled_model_dir() / "model.joblib").read_bytes())  # joblib's compress=3 is zlib
    assert b"_shipped_set" in pickled and b"pathlib" not in pickled


@pytest.mark.slow
def test_a_model_with_the_shipped_set_scores_as_its_pipeline_and_keeps_no_copy(sample, tmp_path):
    pipeline = build_pipeline(dense=DEFAULT_VECTORS).fit(*sample)
    model, folder = _model_dir(tmp_path, pipeline)
    assert not list(folder.glob("*.npy"))  # found among the shipped sets, by name and SHA-256
    loaded = read_model(folder)
    expected = pipeline.predict_proba(sample[0] + PROBES)[:, 1]
    assert np.max(np.abs(loaded.opinion_probability(sample[0] + PROBES) - expected)) <= TOLERANCE


def test_the_same_data_and_seed_give_the_same_model_file(sample, small_set, tmp_path):
    first = build_pipeline(dense=small_set).fit(*sample)
    second = build_pipeline(dense=small_set).fit(*sample)
    assert export_pipeline(first).to_json() == export_pipeline(second).to_json()
    Model(first, {}).save(tmp_path / "a")
    Model(second, {}).save(tmp_path / "b")
    for name in ("model.json", "test-set-12.json", "test-set-12.npy"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
