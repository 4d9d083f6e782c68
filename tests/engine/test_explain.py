"""Explanations: every term's contribution, exact against the model's log-odds, with offsets into the sentence."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest
import sklearn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import MaxAbsScaler
from sklearn.tree import DecisionTreeClassifier

from factopinion import Document, Model, ModelError, load_model
from factopinion.bundled import bundled_data_dir, bundled_pipeline
from factopinion.cli.render import format_cues
from factopinion.document import Cue
from factopinion.engine.explain import Explainer, explain, explain_document
from factopinion.training import build_pipeline
from factopinion.training.features import StyleFeatures

EXTRA_SENTENCES = [
    "Or are we too late?",
    "It should resign, and you know it!",
    "“We will not back down,” the minister said on Tuesday.",
    "The İstanbul office reported 42 new cases; the café’s owner declined to comment.",
    "Naïve hopes   won't   save\nthe region.",
    "?!",
    "",
    "the the the the the",
]


@pytest.fixture(scope="module")
def bundled() -> Model:
    return load_model(notify=lambda message: None)


@pytest.fixture(scope="module")
def reference(bundled) -> Pipeline:
    """The pipeline the bundled model was exported from (its SHA-256 checked before it is unpickled)."""
    return bundled_pipeline()


def _pipeline(model: Model, reference: Pipeline) -> Pipeline:
    return model.pipeline if model.pipeline is not None else reference


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    frame = pd.read_csv(bundled_data_dir() / "seed.csv", dtype=str, keep_default_na=False)
    return frame["sentence"].tolist() + EXTRA_SENTENCES


@pytest.fixture(scope="module")
def tuned(sentences) -> Model:
    """A model with other settings than the bundled one: no style block, trigrams, stop words, accents stripped,
    a token pattern with a capturing group, and weights on the feature union."""
    words = TfidfVectorizer(
        ngram_range=(1, 3),
        stop_words=["the", "a", "of"],
        strip_accents="unicode",
        token_pattern=r"(?u)\b(\w\w+)\b",
        sublinear_tf=False,
    )
    union = FeatureUnion([("words", words), ("style", StyleFeatures())], transformer_weights={"style": 0.5})
    pipeline = Pipeline([("features", union), ("classifier", LogisticRegression(C=2.0, max_iter=500))])
    rng = random.Random(3)
    labels = [rng.choice(["fact", "opinion"]) for _ in sentences]
    return Model(pipeline.fit(sentences, labels))


def _check_exact(model: Model, sentences: list[str], pipeline: Pipeline | None = None) -> None:
    explanations = explain(model, sentences)
    log_odds = (pipeline or model.pipeline).decision_function(sentences)
    probabilities = model.opinion_probability(sentences)
    assert len(explanations) == len(sentences)
    for explanation, expected, probability in zip(explanations, log_odds, probabilities, strict=True):
        total = explanation.intercept + sum(cue.contribution for cue in explanation.terms)
        assert total == pytest.approx(expected, abs=1e-9)
        assert explanation.log_odds == pytest.approx(expected, abs=1e-9)
        assert explanation.opinion_probability == pytest.approx(probability, abs=1e-12)


def test_contributions_and_intercept_reproduce_the_log_odds(bundled, reference, sentences):
    sample = random.Random(7).sample(sentences, 30) + EXTRA_SENTENCES
    _check_exact(bundled, sample, reference)
    scored = bundled.as_data().log_odds(sample)
    assert [e.log_odds for e in explain(bundled, sample)] == pytest.approx(scored.tolist(), abs=1e-12)


def test_contributions_are_exact_for_a_model_with_other_settings(tuned, sentences):
    _check_exact(tuned, random.Random(8).sample(sentences, 25) + EXTRA_SENTENCES)


def test_a_model_without_style_features_is_explained(sentences):
    labels = ["opinion" if "should" in s or "?" in s else "fact" for s in sentences]
    labels[0], labels[1] = "fact", "opinion"
    model = Model(build_pipeline(style=False, lexicon=None).fit(sentences, labels))
    _check_exact(model, sentences[:10] + EXTRA_SENTENCES)
    names = {cue.term for e in model.explain(EXTRA_SENTENCES) for cue in e.terms}
    assert names and not any(name.startswith("[") for name in names)


def test_a_pipeline_the_exporter_does_not_know_scores_but_is_not_explained(sentences):
    labels = ["opinion" if i % 2 else "fact" for i in range(len(sentences))]
    pipeline = Pipeline([("words", TfidfVectorizer()), ("scale", MaxAbsScaler()), ("classifier", LogisticRegression())])
    model = Model(pipeline.fit(sentences, labels))
    assert model.scorer is None and "expected features then a classifier" in model.unexported
    np.testing.assert_array_equal(model.predict_proba(sentences[:5]), pipeline.predict_proba(sentences[:5]))
    with pytest.raises(ModelError, match="cannot explain this model: cannot export"):
        model.explain(sentences[:1])


def _tokens(vectorizer: TfidfVectorizer, text: str) -> list[str]:
    stop = vectorizer.get_stop_words() or set()
    return [t for t in vectorizer.build_tokenizer()(vectorizer.build_preprocessor()(text)) if t not in stop]


@pytest.mark.parametrize("fixture", ["bundled", "tuned"])
def test_word_spans_point_at_the_terms_in_the_sentence(fixture, request, reference, sentences):
    model = request.getfixturevalue(fixture)
    vectorizer = _pipeline(model, reference).named_steps["features"].transformer_list[0][1]
    checked = 0
    for explanation in model.explain(sentences):
        for cue in explanation.terms:
            if cue.term.startswith("["):
                continue
            assert cue.spans, f"no span for {cue.term!r} in {explanation.sentence!r}"
            for start, end in cue.spans:
                assert " ".join(_tokens(vectorizer, explanation.sentence[start:end])) == cue.term
                checked += 1
            first = explanation.sentence[cue.spans[0][0] : cue.spans[0][1]]
            assert cue.text == " ".join(first.split())
    assert checked > 500


def test_spans_survive_a_lowercase_that_changes_the_length(tuned):
    sentence = "İstanbul Naïve reporters said İİ things"
    (explanation,) = tuned.explain([sentence])
    by_term = {cue.term: cue for cue in explanation.terms}
    assert "istanbul" in by_term
    start, end = by_term["istanbul"].spans[0]
    assert sentence[start:end] == "İstanbul"
    start, end = by_term["naive"].spans[0]
    assert sentence[start:end] == "Naïve"


def test_style_signals_are_bracketed_and_point_at_their_trigger(bundled):
    sentence = "Should we say “no” to that?"
    (explanation,) = bundled.explain([sentence])
    by_term = {cue.term: cue for cue in explanation.terms}
    question = by_term["[question]"]
    assert question.text == "?" and question.spans == ((len(sentence) - 1, len(sentence)),)
    assert by_term["[first person]"].text == "we"
    assert by_term["[modal]"].text == "Should" and by_term["[modal]"].spans == ((0, 6),)
    opening, closing = sentence.index("“"), sentence.index("”")
    assert by_term["[quotation]"].spans == ((opening, opening + 1), (closing, closing + 1))
    assert question.display == "[question: ?]"


def test_repeated_terms_are_summed_into_one_cue_with_every_occurrence(bundled):
    (explanation,) = bundled.explain(["China said China would act, and China did."])
    china = [cue for cue in explanation.terms if cue.term == "china"]
    assert len(china) == 1
    assert china[0].spans == ((0, 5), (11, 16), (32, 37))


def test_toward_orders_by_strength_and_respects_top(bundled):
    (explanation,) = bundled.explain(["The council said on Tuesday that the plan is a disgrace and must be dropped."])
    opinion, fact = explanation.toward("opinion", None), explanation.toward("fact", 0)
    assert opinion and fact
    assert all(c.contribution > 0 for c in opinion) and all(c.contribution < 0 for c in fact)
    assert [c.contribution for c in opinion] == sorted((c.contribution for c in opinion), reverse=True)
    assert [c.contribution for c in fact] == sorted(c.contribution for c in fact)
    assert len(opinion) + len(fact) == len(explanation.terms)
    assert explanation.toward("opinion", 2) == opinion[:2]
    with pytest.raises(ValueError, match="expected one of opinion, fact"):
        explanation.toward("neutral")


def test_explanations_are_deterministic(bundled, sentences):
    assert bundled.explain(sentences) == bundled.explain(list(reversed(sentences)))[::-1]


def test_explain_of_no_sentences_is_empty(bundled):
    assert bundled.explain([]) == []


def test_a_non_linear_model_cannot_be_explained(sentences):
    labels = ["opinion" if "?" in s else "fact" for s in sentences]
    labels[0] = "opinion"
    pipeline = Pipeline([("words", TfidfVectorizer()), ("classifier", DecisionTreeClassifier(random_state=0))])
    model = Model(pipeline.fit(sentences, labels))
    with pytest.raises(ModelError, match="not a binary linear model"):
        model.explain(["Anything."])


def test_explain_document_adds_cues_and_log_odds(bundled):
    document = bundled.score("The council met on Tuesday. It should resign at once!")
    explained = explain_document(bundled, document, top=2)
    assert [s.sentence for s in explained.sentences] == [s.sentence for s in document.sentences]
    assert explained.sentences == document.sentences  # extras do not take part in equality
    row = explained.to_dict()["sentences"][1]
    assert list(row)[:6] == ["index", "start", "end", "sentence", "label", "opinion_probability"]
    assert set(row["cues"]) == {"opinion", "fact"}
    assert 0 < len(row["cues"]["opinion"]) <= 2 and len(row["cues"]["fact"]) <= 2
    assert row["cues"]["opinion"][0]["text"] == "should"  # the word, or the [modal] signal it triggers
    assert explained.to_dict()["explain"] == {
        "intercept": pytest.approx(Explainer(bundled).intercept, abs=1e-6),
        "cues_per_label": 2,
    }
    assert "cues" not in document.to_dict()["sentences"][0]  # the original is left as it was


def test_all_cues_add_up_in_the_json_form(bundled):
    document = explain_document(bundled, bundled.score("Critics say the tax is unfair. It is a disgrace."), top=0)
    data = document.to_dict()
    for row in data["sentences"]:
        total = data["explain"]["intercept"] + sum(c["contribution"] for cues in row["cues"].values() for c in cues)
        assert total == pytest.approx(row["log_odds"], abs=1e-4)


def test_strongest_terms(bundled, reference):
    strongest = Explainer(bundled).strongest_terms(10)
    assert len(strongest["opinion"]) == len(strongest["fact"]) == 10
    opinion = [w for _, w in strongest["opinion"]]
    fact = [w for _, w in strongest["fact"]]
    assert opinion == sorted(opinion, reverse=True) and min(opinion) > 0
    assert fact == sorted(fact) and max(fact) < 0
    coef = reference.named_steps["classifier"].coef_.ravel()
    assert opinion[0] == pytest.approx(coef.max()) and fact[0] == pytest.approx(coef.min())


def test_format_cues_is_one_line():
    cues = {
        "opinion": [Cue("[modal]", "must", 2.5, ((3, 7),)), Cue("disgrace", "disgrace", 1.25)],
        "fact": [],
    }
    assert format_cues(cues) == "opinion: [modal: must] +2.500, disgrace +1.250; fact: -"


def test_to_dict_of_a_document_without_extras_is_unchanged(bundled):
    document = bundled.score("The council met on Tuesday.")
    assert isinstance(document, Document)
    assert list(document.to_dict()["sentences"][0]) == [
        "index", "start", "end", "sentence", "label", "opinion_probability"
    ]  # fmt: skip


def test_retrained_bundled_settings_give_the_same_explanations(sentences):
    labels = ["opinion" if i % 3 == 0 else "fact" for i in range(len(sentences))]
    first = Model(sklearn.clone(build_pipeline()).fit(sentences, labels))
    second = Model(sklearn.clone(build_pipeline()).fit(sentences, labels))
    a, b = first.explain(sentences[:5]), second.explain(sentences[:5])
    assert a == b
    assert np.isfinite([e.log_odds for e in a]).all()


SENTENCE_TEXT = st.lists(
    st.sampled_from(list("abcXYZ iIİıßéÉ’'\"“”?!.,;0123456789\n\t-") + ["should", " said ", "we", "  ", "naïve"]),
    max_size=30,
).map("".join)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sentence=SENTENCE_TEXT)
def test_any_text_is_explained_exactly_with_true_spans(bundled, reference, tuned, sentence):
    for model in (bundled, tuned):
        pipeline = _pipeline(model, reference)
        (explanation,) = model.explain([sentence])
        total = explanation.intercept + sum(cue.contribution for cue in explanation.terms)
        assert total == pytest.approx(pipeline.decision_function([sentence])[0], abs=1e-9)
        vectorizer = pipeline.named_steps["features"].transformer_list[0][1]
        for cue in explanation.terms:
            for start, end in cue.spans:
                assert 0 <= start <= end <= len(sentence)
                if not cue.term.startswith("["):
                    assert " ".join(_tokens(vectorizer, sentence[start:end])) == cue.term
