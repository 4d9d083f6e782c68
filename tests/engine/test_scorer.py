"""The model as data (``model.json``): exactly the pipeline's probabilities, whatever the text; a file that cannot
run code and refuses to be read when it is malformed or edited; and the exporter's refusals."""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import math
import random
import string

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import LinearSVC

from factopinion import ModelError, load_model
from factopinion.bundled import bundled_data_dir, bundled_model_dir, bundled_pipeline
from factopinion.engine.blocks.lexicon import MEASURES
from factopinion.engine.scorer import DATA_FILE, FORMAT, FORMAT_VERSION, LexiconSignals, LinearScorer, read_scorer
from factopinion.model import Model
from factopinion.training import TOKEN_PATTERN
from factopinion.training.datasets import data_files, read_labeled, read_labeled_files
from factopinion.training.export import PROBES, export_pipeline
from factopinion.training.features import CUE_WORDS, StyleFeatures

TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def bundled() -> Model:
    return load_model(notify=lambda message: None)


@pytest.fixture(scope="module")
def pipeline():
    return bundled_pipeline()


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    return read_labeled_files(data_files(bundled_data_dir()))["sentence"].tolist()


def _tuned_pipelines(sentences: list[str]) -> list[Pipeline]:
    """Pipelines with other settings than the bundled one, each fitted on ``sentences`` with arbitrary labels."""
    rng = random.Random(5)
    labels = [rng.choice(["fact", "opinion"]) for _ in sentences]
    variants = [
        FeatureUnion(
            [
                (
                    "words",
                    TfidfVectorizer(
                        ngram_range=(1, 3),
                        stop_words=["the", "a", "of"],
                        strip_accents="unicode",
                        token_pattern=r"(?u)\b(\w\w+)\b",
                        sublinear_tf=False,
                    ),
                ),
                ("style", StyleFeatures()),
            ],
            transformer_weights={"style": 0.5, "words": 1.5},
        ),
        FeatureUnion(
            [
                ("words", TfidfVectorizer(ngram_range=(2, 2), binary=True, norm="l1", use_idf=False, lowercase=False)),
                ("style", StyleFeatures(("attribution", "modal", "exclamation", "number"), weight=2.0)),
            ]
        ),
        FeatureUnion([("words", TfidfVectorizer(strip_accents="ascii", token_pattern=TOKEN_PATTERN, norm=None))]),
        TfidfVectorizer(ngram_range=(1, 2), token_pattern=TOKEN_PATTERN, sublinear_tf=True, stop_words="english"),
        TfidfVectorizer(ngram_range=(1, 3), token_pattern=r"(?u)\w+ \w+|\w+", min_df=2),  # tokens with spaces
    ]
    return [Pipeline([("features", v), ("classifier", LogisticRegression(C=3.0, max_iter=500))]).fit(sentences, labels) for v in variants]  # fmt: skip


@pytest.fixture(scope="module")
def tuned(corpus) -> list[tuple[Pipeline, LinearScorer]]:
    sample = random.Random(1).sample(corpus, 1500)
    return [(p, LinearScorer.from_json(export_pipeline(p).to_json())) for p in _tuned_pipelines(sample)]


def _assert_exact(scorer: LinearScorer, pipeline: Pipeline, sentences: list[str]) -> None:
    expected = pipeline.predict_proba(sentences)
    got = scorer.predict_proba(sentences)
    assert got.shape == expected.shape
    worst = int(np.argmax(np.abs(got - expected).max(axis=1))) if sentences else 0
    assert np.abs(got - expected).max(initial=0.0) <= TOLERANCE, f"differs on {sentences[worst]!r}"


# -- exactness ---------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_bundled_model_file_reproduces_the_pipeline_on_all_of_data(bundled, pipeline, corpus):
    _assert_exact(bundled.as_data(), pipeline, corpus)
    np.testing.assert_allclose(bundled.as_data().log_odds(corpus), pipeline.decision_function(corpus), atol=1e-9)


def test_the_bundled_model_file_reproduces_the_pipeline_on_the_shared_sets(bundled, pipeline, checkthat_dir):
    for name in ("dev_en.tsv", "train_en.tsv"):
        sentences = read_labeled(checkthat_dir / name)["sentence"].tolist()
        assert len(sentences) > 400
        _assert_exact(bundled.as_data(), pipeline, sentences)


@pytest.mark.slow
def test_other_settings_are_reproduced(tuned, corpus):
    sample = random.Random(2).sample(corpus, 300) + PROBES
    for pipeline, scorer in tuned:
        _assert_exact(scorer, pipeline, sample)


EDGE_CASES = [
    "",
    " ",
    "?",
    "!!!",
    "'",
    "''",
    "“”",
    "...",
    "\n",
    "'tis the season, isn't it?' she asked.",
    "Rock'n'roll’s 'dead'' — or is it?!",
    "ΣΊΣΥΦΟΣ ΚΑΙ ΟΔΥΣΣΕΑΣ. Ὀδυσσεύς",
    "İSTANBUL ıi İi ﬁnal ß ẞ",
    "١٢٣ ٤٥٦ said ۷۸۹",
    "according to according to called on called for",
    "_ __ _a a_ 1_000",
    "emoji 😀 said 👍🏽 we",
    "\u200b\u200d zero\u00a0width\u2003spaces",
    "a" * 10_000,
    "we should " * 5_000,
    " ".join(CUE_WORDS["attribution"]) * 20,
]


def test_edge_cases_are_reproduced(bundled, pipeline, tuned):
    _assert_exact(bundled.as_data(), pipeline, EDGE_CASES)
    for other, scorer in tuned:
        _assert_exact(scorer, other, EDGE_CASES)


PIECES = st.sampled_from(
    [
        "said",
        "according",
        "to",
        "we",
        "you",
        "should",
        "must",
        "need",
        "I",
        "İ",
        "naïve",
        "café",
        "ΣΟΦΟΣ",
        "isn't",
        "’s",
        "'",
        "’",
        "“",
        "”",
        '"',
        "?",
        "!",
        "?!",
        " ",
        "  ",
        "\n",
        "\t",
        ".",
        ",",
        "—",
        "2024",
        "_",
        "the",
        "a",
        "of",
        "disgrace",
        "Tuesday",
        "ﬁ",
        "ß",
    ]  # fmt: skip
)
TEXT = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=string.punctuation + "“”‘’«»¿¡…—–·", max_size=40),
    st.lists(PIECES, max_size=40).map("".join),
)


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(TEXT, min_size=1, max_size=6))
def test_any_text_is_scored_exactly(bundled, pipeline, tuned, sentences):
    _assert_exact(bundled.as_data(), pipeline, sentences)
    for other, scorer in tuned:
        _assert_exact(scorer, other, sentences)


@pytest.mark.slow
def test_big_batches_are_scored_in_chunks_exactly(bundled, corpus):
    scorer = bundled.as_data()
    many = corpus * 3  # more than one chunk
    np.testing.assert_array_equal(scorer.log_odds(many)[: len(corpus)], scorer.log_odds(corpus))
    assert scorer.log_odds([]).shape == (0,)


# -- the file ----------------------------------------------------------------------------------------------------


def test_the_bundled_file_has_a_format_version_and_checks_its_sha256():
    raw = (bundled_model_dir() / DATA_FILE).read_bytes()
    document = json.loads(raw)
    assert document["format"] == FORMAT and document["format_version"] in range(1, FORMAT_VERSION + 1)
    assert len(document["sha256"]) == 64
    about = document["model"]["about"]
    assert about["pipeline"]["file"] == "model.joblib" and len(about["pipeline"]["sha256"]) == 64
    metadata = json.loads((bundled_model_dir() / "metadata.json").read_text("utf-8"))
    assert about["training_data_sha256"] == metadata["training_data"]["sha256"]
    assert [block["kind"] for block in document["model"]["blocks"]][:2] == ["tfidf_words", "style_signals"]


def test_a_round_trip_is_byte_for_byte(bundled):
    raw = (bundled_model_dir() / DATA_FILE).read_bytes()
    assert LinearScorer.from_json(raw).to_json() == raw


def _rewritten(raw: bytes, change) -> bytes:
    """``raw`` with its model changed by ``change`` and its SHA-256 recomputed (a well-formed file with bad data)."""
    document = json.loads(raw)
    change(document["model"])
    encoded = json.dumps(document["model"], ensure_ascii=False, separators=(",", ":")).encode()
    header = f'{{"format":"{FORMAT}","format_version":{FORMAT_VERSION},"sha256":"{hashlib.sha256(encoded).hexdigest()}"'
    return header.encode() + b',"model":' + encoded + b"}\n"


def _set(path: str, value):
    def change(model: dict) -> None:
        *parents, last = path.split("/")
        target = model
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        target[int(last) if last.isdigit() else last] = value

    return change


def _nan_array(n: int) -> dict:
    return {"dtype": "<f8", "base64": base64.b64encode(np.full(n, math.nan).tobytes()).decode()}


BAD_FILES = [
    (lambda raw: b"", "not JSON"),
    (lambda raw: raw[: len(raw) // 2], "not JSON"),
    (lambda raw: b"[1, 2, 3]", "expected an object"),
    (lambda raw: b'{"format": "pickle"}', "format 'pickle'"),
    (lambda raw: raw.replace(b'"format_version":1', b'"format_version":9', 1), "format version 9"),
    (lambda raw: raw.replace(b"said", b"SAID", 1), "does not match the SHA-256"),
    (lambda raw: raw.replace(b'"model":', b'"model": ', 1), "does not match the SHA-256"),
    (lambda raw: _rewritten(raw, _set("blocks/0/kind", "pickle")), "unknown feature block kind 'pickle'"),
    (lambda raw: _rewritten(raw, _set("blocks/0/token_pattern", "(")), "not a valid regular expression"),
    (lambda raw: _rewritten(raw, _set("blocks/0/token_pattern", "(a)(b)")), "more than one group"),
    (lambda raw: _rewritten(raw, _set("blocks/0/terms", 7)), "'terms' has the wrong type"),
    (lambda raw: _rewritten(raw, _set("blocks/0/coef/base64", "!!!")), "not valid base64"),
    (lambda raw: _rewritten(raw, _set("blocks/0/coef/dtype", "object")), "unsupported dtype"),
    (lambda raw: _rewritten(raw, _set("blocks/1/coef", _nan_array(7))), "finite numbers"),
    (lambda raw: _rewritten(raw, _set("blocks/0/ngram_range", [2, 1])), "bad n-gram range"),
    (lambda raw: _rewritten(raw, _set("blocks/1/signals/0/pairs", [["a"]])), "two-word lists"),
    (lambda raw: _rewritten(raw, _set("blocks/1/signals/1/flags", "x")), "'flags' has the wrong type"),
    (lambda raw: _rewritten(raw, _set("blocks/1/signals/1/flags", 128)), "unsupported regular expression flags"),
    (lambda raw: _rewritten(raw, _set("intercept", "1")), "'intercept' has the wrong type"),
    (lambda raw: _rewritten(raw, _set("blocks", {})), "'blocks' has the wrong type"),
    (lambda raw: _rewritten(raw, _set("classes", ["ham", "spam"])), "not a fact/opinion model"),
]


@pytest.mark.parametrize(("damage", "message"), BAD_FILES)
def test_a_malformed_file_is_one_model_error(tmp_path, damage, message):
    raw = (bundled_model_dir() / DATA_FILE).read_bytes()
    path = tmp_path / DATA_FILE
    path.write_bytes(damage(raw))
    with pytest.raises(ModelError, match=message) as caught:
        load_model(path)
    assert "\n" not in str(caught.value)


def test_a_missing_or_unreadable_file_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="no such model file"):
        read_scorer(tmp_path / DATA_FILE)
    (tmp_path / DATA_FILE).mkdir()
    with pytest.raises(ModelError, match="cannot read it"):
        read_scorer(tmp_path / DATA_FILE)


def test_a_model_with_only_data_saves_and_reads_back(bundled, tmp_path):
    bundled.save(tmp_path / "copy")
    assert sorted(p.name for p in (tmp_path / "copy").iterdir()) == ["metadata.json", DATA_FILE]
    copy = load_model(tmp_path / "copy")
    assert "pipeline" not in copy.as_data().about
    np.testing.assert_array_equal(copy.predict_proba(PROBES), bundled.predict_proba(PROBES))


# -- the exporter ------------------------------------------------------------------------------------------------


def _lengths(texts) -> np.ndarray:
    return np.array([[len(t)] for t in texts], dtype=np.float64)


def _fit(features, classifier=None) -> Pipeline:
    sentences = ["It rained on Monday.", "What a disgrace this is!", "The council said so.", "We must act now."]
    labels = ["fact", "opinion", "fact", "opinion"]
    steps = [("features", features), ("classifier", classifier or LogisticRegression())]
    return Pipeline(steps).fit(sentences, labels)


@pytest.mark.parametrize(
    ("pipeline", "message"),
    [
        (lambda: _fit(CountVectorizer()), "no exporter for its 'features' step \\(CountVectorizer\\)"),
        (
            lambda: _fit(FeatureUnion([("words", TfidfVectorizer()), ("f", FunctionTransformer(_lengths))])),
            "no exporter for its 'f' step",
        ),
        (lambda: _fit(TfidfVectorizer(), LinearSVC()), "not a binary linear model"),
        (lambda: _fit(TfidfVectorizer(analyzer="char")), "custom or character analyzer"),
        (lambda: _fit(TfidfVectorizer(tokenizer=str.split, token_pattern=None)), "custom or character analyzer"),
        (lambda: _fit(TfidfVectorizer(dtype=np.float32)), "computes in"),
    ],
)
def test_the_exporter_refuses_what_it_cannot_reproduce(pipeline, message):
    with pytest.raises(ModelError, match=message):
        export_pipeline(pipeline())


def test_a_pipeline_that_is_not_exported_cannot_be_saved(tmp_path):
    model = Model(_fit(CountVectorizer()))
    assert model.predict(["It rained."]) in (["fact"], ["opinion"])
    with pytest.raises(ModelError, match="cannot save this model: cannot export"):
        model.save(tmp_path / "out")


class LouderStyle(StyleFeatures):
    """A style transformer that no longer behaves as the exporter assumes StyleFeatures does."""

    def transform(self, X):
        return super().transform(X) * 2


def test_the_exporter_checks_itself_against_the_pipeline():
    pipeline = _fit(FeatureUnion([("words", TfidfVectorizer()), ("style", LouderStyle())]))
    with pytest.raises(ModelError, match="differs from the pipeline by"):
        export_pipeline(pipeline)
    assert export_pipeline(_fit(FeatureUnion([("words", TfidfVectorizer()), ("style", StyleFeatures())])))


# -- the lexicon block -------------------------------------------------------------------------------------------


def test_lexicon_signals_by_hand():
    words = ["great", "bad", "said", "dull"]
    table = np.array([[0.75, 0.8], [0.6, -0.7], [math.nan, 0.1], [0.9, math.nan]])
    measures = list(MEASURES)
    block = LexiconSignals(
        signals=[{"name": f"[{m}]", "measure": m} for m in measures],
        words=words,
        subjectivity=table[:, 0],
        valence=table[:, 1],
        coef=np.ones(len(measures)),
        strong=0.7,
        weight=2.0,
    )
    scorer = LinearScorer([block], 0.0, ["fact", "opinion"])
    features = scorer.features(["Great, BAD — said; dull day", "nothing here", ""])
    columns, values = features.row(0)
    got = dict(zip((measures[c] for c in columns), values.tolist(), strict=True))
    n = 5  # words: great bad said dull day
    expected = {
        "subjectivity": (0.75 + 0.6 + 0.9) / 3,
        "max_subjectivity": 0.9,
        "subjective_share": 2 / n,  # great, dull
        "valence": (0.8 + 0.7 + 0.1) / 3,
        "max_valence": 0.8,
        "evaluative_share": 3 / n,  # great, bad (|valence|), dull
        "evaluative": 1.0,
        "subjective_words": 2 / 3,
        "valenced_words": 2 / 3,
        "positive": 0.8,
        "negative": 0.7,
    }
    assert got == pytest.approx({k: 2.0 * v for k, v in expected.items()}, abs=1e-15)
    assert len(features.row(1)[0]) == len(features.row(2)[0]) == 0
    spans = scorer.spans("Great, BAD — said; dull day")
    assert spans["[max_subjectivity]"] == [(19, 23)] and spans["[negative]"] == [(7, 10)]
    assert spans["[evaluative]"] == [(0, 5), (7, 10), (19, 23)]


def test_lexicon_features_are_reproduced_exactly(corpus):
    lexicon = importlib.import_module("factopinion.training.lexicon")
    sample = random.Random(4).sample(corpus, 1000)
    labels = ["opinion" if i % 3 else "fact" for i in range(len(sample))]
    for signals in [tuple(lexicon.LEXICON_SIGNALS), ("max_subjectivity", "max_valence", "evaluative_share")]:
        union = FeatureUnion(
            [
                ("words", TfidfVectorizer(token_pattern=TOKEN_PATTERN, sublinear_tf=True)),
                ("style", StyleFeatures(weight=0.3)),
                ("lexicon", lexicon.LexiconFeatures(lexicon.load_lexicon(), signals, 0.8)),
            ]
        )
        fitted = Pipeline([("features", union), ("classifier", LogisticRegression(max_iter=500))]).fit(sample, labels)
        scorer = LinearScorer.from_json(export_pipeline(fitted).to_json())
        _assert_exact(scorer, fitted, corpus[:3000] + EDGE_CASES + PROBES)
