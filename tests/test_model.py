import json
import shutil

import joblib
import numpy as np
import pytest

from factopinion import ModelError, load_model
from factopinion import bundled as bundled_module
from factopinion.bundled import bundled_data_dir, bundled_model_dir
from factopinion.engine.scorer import FORMAT_VERSION
from factopinion.model import DATA_FILE, METADATA_FILE, MODEL_FILE
from factopinion.training import build_pipeline, train
from factopinion.training.datasets import read_labeled


def test_bundled_model_has_metadata():
    meta = json.loads((bundled_model_dir() / METADATA_FILE).read_text(encoding="utf-8"))
    assert meta["sklearn_version"]
    assert len(meta["training_data"]["sha256"]) == 64
    assert set(meta["training_data"]["class_counts"]) == {"fact", "opinion"}
    assert 0.5 < meta["cross_validation"]["macro_f1"] <= 1
    assert meta["pipeline"]["features__words__ngram_range"]


def test_predict_proba_follows_scikit_learn_conventions(model):
    sentences = ["The council voted 7-2 on Tuesday.", "This is a disgrace and the mayor must resign."]
    proba = model.predict_proba(sentences)
    assert proba.shape == (2, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert model.classes == ["fact", "opinion"] and model.pipeline is None  # scored from its data
    assert model.predict(sentences) == ["fact", "opinion"]
    assert model.predict(sentences, threshold=0.0) == ["opinion", "opinion"]


def test_score_returns_sentences_with_offsets(model):
    text = "Mr. Lee said the plant will close.  \n\nIt is a scandal. Who will pay?"
    document = model.score(text)
    assert [s.sentence for s in document.sentences] == [
        "Mr. Lee said the plant will close.",
        "It is a scandal.",
        "Who will pay?",
    ]
    for s in document.sentences:
        assert text[s.start : s.end] == s.sentence
        assert s.label == ("opinion" if s.opinion_probability >= 0.5 else "fact")
    assert document.summary["sentences"] == 3
    assert document.summary["opinion"] + document.summary["fact"] == 3


def test_seed_sentences_are_labeled_by_section():
    seed = read_labeled(bundled_data_dir() / "seed.csv")
    assert len(seed) == 38
    assert (seed.loc[seed["section"] == "Strategic Alliance", "label"] == "opinion").all()
    assert (seed.loc[seed["section"] != "Strategic Alliance", "label"] == "fact").all()
    assert (seed["section"] == "Strategic Alliance").sum() == 14


def test_seed_labels_follow_the_strategic_alliance_heading(seed_article):
    seed = read_labeled(bundled_data_dir() / "seed.csv")
    heading = seed_article.index("\nStrategic Alliance\n")
    for sentence, label in zip(seed["sentence"], seed["label"], strict=True):
        assert label == ("opinion" if seed_article.index(sentence) > heading else "fact")


def test_training_is_deterministic(tmp_path):
    files = [bundled_data_dir() / "seed.csv"]
    first = train(files, cv_folds=0, seed=7)
    second = train(files, cv_folds=0, seed=7)
    probe = ["NATO must act now.", "Stoltenberg spoke in Tokyo on Wednesday.", "Or are we too late?"]
    np.testing.assert_array_equal(first.predict_proba(probe), second.predict_proba(probe))
    first.save(tmp_path / "a")
    second.save(tmp_path / "b")
    assert (tmp_path / "a" / METADATA_FILE).read_bytes() == (tmp_path / "b" / METADATA_FILE).read_bytes()
    reloaded = load_model(tmp_path / "a")
    np.testing.assert_array_equal(reloaded.predict_proba(probe), first.predict_proba(probe))


def test_cross_validation_keeps_pairs_together(tmp_path):
    data = tmp_path / "pairs.csv"
    rows = ["sentence,label,pair_id"]
    for i in range(20):
        rows.append(f"The council approved budget number {i} on Tuesday.,fact,p{i}")
        rows.append(f"Budget number {i} is a shameful waste of money.,opinion,p{i}")
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    model = train([data], cv_folds=4)
    assert model.metadata["cross_validation"]["n"] == 40
    assert model.metadata["training_data"]["class_counts"] == {"fact": 20, "opinion": 20}


def test_foreign_or_corrupt_model_files_give_clear_errors(tmp_path):
    corrupt = tmp_path / "corrupt.joblib"
    corrupt.write_bytes(b"this is not a pickle")
    with pytest.raises(ModelError, match="refusing to unpickle"):
        load_model(corrupt)
    with pytest.raises(ModelError, match="not a loadable model"):
        load_model(corrupt, trust_code=True)
    foreign = tmp_path / "foreign.joblib"
    joblib.dump({"weights": [1, 2, 3]}, foreign)
    with pytest.raises(ModelError, match="not a scikit-learn Pipeline"):
        load_model(foreign, trust_code=True)
    wrong_classes = tmp_path / "classes.joblib"
    joblib.dump(build_pipeline(min_df=1, max_df=1.0).fit(["a b", "c d"], ["x", "y"]), wrong_classes)
    with pytest.raises(ModelError, match="not a fact/opinion model"):
        load_model(wrong_classes, trust_code=True)


def test_a_scikit_learn_upgrade_does_not_rebuild_the_bundled_model(tmp_path, monkeypatch):
    other = tmp_path / "bundled"
    shutil.copytree(bundled_model_dir(), other)
    meta = json.loads((other / METADATA_FILE).read_text())
    meta["sklearn_version"] = "0.0.1"
    (other / METADATA_FILE).write_text(json.dumps(meta))
    (other / MODEL_FILE).write_bytes(b"a pickle that must never be loaded")
    monkeypatch.setattr(bundled_module, "bundled_model_dir", lambda: other)
    said = []
    model = load_model(notify=said.append)
    assert said == [] and model.pipeline is None and model.metadata["sklearn_version"] == "0.0.1"


@pytest.mark.slow
def test_a_damaged_bundled_model_is_rebuilt_into_the_cache(tmp_path, monkeypatch):
    damaged = tmp_path / "bundled"
    shutil.copytree(bundled_model_dir(), damaged)
    raw = bytearray((damaged / DATA_FILE).read_bytes())
    raw[len(raw) // 2] ^= 1
    (damaged / DATA_FILE).write_bytes(bytes(raw))
    monkeypatch.setattr(bundled_module, "bundled_model_dir", lambda: damaged)
    monkeypatch.setenv("FACTOPINION_CACHE_DIR", str(tmp_path / "cache"))
    said = []
    rebuilt = load_model(notify=said.append)
    assert len(said) == 1 and "rebuilding" in said[0] and "SHA-256" in said[0]
    assert rebuilt.predict(["The minister resigned on Friday.", "What a shameful, cowardly decision!"]) == [
        "fact",
        "opinion",
    ]
    (cached,) = (tmp_path / "cache").glob(f"model-v{FORMAT_VERSION}-*/{DATA_FILE}")
    assert (cached.parent / MODEL_FILE).is_file()
    (cached.parent / MODEL_FILE).write_bytes(b"planted: never unpickled")
    said.clear()
    again = load_model(notify=said.append)  # the second time the cached rebuild is used silently, as data
    assert said == [] and again.pipeline is None
    np.testing.assert_allclose(again.predict_proba(["It rained."]), rebuilt.predict_proba(["It rained."]), atol=1e-12)


@pytest.mark.slow
def test_missing_bundled_model_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setattr(bundled_module, "bundled_model_dir", lambda: tmp_path / "nothing")
    monkeypatch.setenv("FACTOPINION_CACHE_DIR", str(tmp_path / "cache"))
    said = []
    assert load_model(notify=said.append).predict(["Is this really the best we can do?"]) == ["opinion"]
    assert "no such model file" in said[0]


def test_model_that_unpickles_but_cannot_run_is_refused(tmp_path):
    pipeline = build_pipeline(min_df=1, max_df=1.0).fit(
        ["It rained on Monday.", "What a disgrace!"], ["fact", "opinion"]
    )
    del pipeline.named_steps["features"].transformer_list[0][1].vocabulary_
    broken = tmp_path / "broken.joblib"
    joblib.dump(pipeline, broken)
    with pytest.raises(ModelError, match="does not run with this version"):
        load_model(broken, trust_code=True)


@pytest.mark.parametrize("threshold", [-0.1, 1.5, float("nan")])
def test_every_entry_point_checks_the_threshold_alike(model, threshold):
    from factopinion.errors import OptionError
    from factopinion.labeling.batch import BatchOptions

    message = f"the threshold must be between 0 and 1, not {threshold}"
    for call in (
        lambda: model.score("It rained.", threshold=threshold),
        lambda: model.predict(["It rained."], threshold=threshold),
        lambda: model.label_series(["It rained."], unit="cell", threshold=threshold),
        lambda: BatchOptions(threshold=threshold),
    ):
        with pytest.raises(OptionError) as raised:
            call()
        assert str(raised.value) == message
