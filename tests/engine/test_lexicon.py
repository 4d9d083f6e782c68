"""Lexicon signals: hand-computed rows, the vendored table, and a trained model that carries its table."""

from __future__ import annotations

import importlib.util
import math
import re
import subprocess
import sys

import numpy as np
import pytest
from helpers import ROOT

from factopinion.bundled import bundled_data_dir
from factopinion.training import DEFAULT_PARAMS, build_pipeline
from factopinion.training import lexicon as lexicon_module
from factopinion.training.datasets import data_files, read_labeled_files
from factopinion.training.lexicon import LEXICON_FILE, LEXICON_SIGNALS, STRONG, LexiconFeatures, load_lexicon

NAN = math.nan
TABLE = {"shameful": (NAN, -0.6), "good": (0.6, 0.5), "new": (0.4, NAN), "plan": (0.0, 0.1)}


def test_signals_by_hand():
    features = LexiconFeatures(TABLE, tuple(LEXICON_SIGNALS), weight=1.0)
    (row,) = features.transform(["A shameful, GOOD new plan."]).toarray()  # 5 tokens, 4 of them in the table
    values = dict(zip(LEXICON_SIGNALS, row.tolist(), strict=True))
    assert values["subjectivity"] == pytest.approx((0.6 + 0.4 + 0.0) / 3)
    assert values["max_subjectivity"] == pytest.approx(0.6)
    assert values["subjective_share"] == pytest.approx(1 / 5)  # "good"
    assert values["valence"] == pytest.approx((0.6 + 0.5 + 0.1) / 3)
    assert values["max_valence"] == pytest.approx(0.6)
    assert values["evaluative_share"] == pytest.approx(2 / 5)  # "shameful", "good"
    assert values["evaluative"] == 1.0
    assert values["subjective_words"] == pytest.approx(1 / 3)
    assert values["valenced_words"] == pytest.approx(2 / 3)
    assert values["positive"] == pytest.approx(0.5)
    assert values["negative"] == pytest.approx(0.6)


def test_weight_scales_and_unknown_words_give_zeros():
    features = LexiconFeatures(TABLE, ("max_subjectivity", "evaluative"), weight=0.5)
    rows = features.transform(["It is good.", "Nothing here at all.", ""]).toarray()
    assert rows.tolist() == [[0.3, 0.5], [0.0, 0.0], [0.0, 0.0]]
    assert features.get_feature_names_out().tolist() == ["[max subjectivity]", "[evaluative]"]


def test_tokenised_as_the_style_signals():
    # lowercased \w+ tokens: "good" inside "good-looking" and "GOOD" count, "goodness" does not
    features = LexiconFeatures(TABLE, ("max_subjectivity",))
    rows = features.transform(["good-looking", "GOOD", "goodness", "good_will"]).toarray()
    assert rows.ravel().tolist() == [0.6, 0.6, 0.0, 0.0]


def test_spans_of_the_words_behind_each_signal():
    features = LexiconFeatures(TABLE, ("max_subjectivity", "max_valence", "evaluative_share"))
    sentence = "A shameful, GOOD new plan."
    spans = features.to_block().spans(sentence)  # what the explanations of a model with these signals show
    assert {name: [sentence[a:b] for a, b in found] for name, found in spans.items()} == {
        "[max subjectivity]": ["GOOD"],
        "[max valence]": ["shameful"],
        "[evaluative share]": ["shameful", "GOOD"],
    }


def test_unknown_signal_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown lexicon signals.*max_subjectivity"):
        LexiconFeatures(TABLE, ("loudness",)).fit(["x"])


def test_vendored_table():
    table = load_lexicon()
    assert len(table) > 8000
    assert table["good"][0] == pytest.approx(0.6)  # TextBlob subjectivity
    assert table["good"][1] == pytest.approx(0.475)  # VADER valence 1.9 / 4
    assert math.isnan(table["shameful"][0]) and table["shameful"][1] < 0
    assert all(isinstance(w, str) and w == w.lower() for w in table)
    assert (LEXICON_FILE.parent / "LICENSE-VADER.txt").is_file()
    assert "PDDL" in (LEXICON_FILE.parent / "README.md").read_text("utf-8")


@pytest.mark.skipif(
    importlib.util.find_spec("textblob") is None or importlib.util.find_spec("vaderSentiment") is None,
    reason="rebuilding the lexicon needs textblob and vaderSentiment (pip install textblob vaderSentiment)",
)
def test_vendored_table_matches_its_sources():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_lexicon.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_trained_pipeline_carries_its_table_and_reads_no_file(monkeypatch, tmp_path):
    texts = ["The plan is good and fair.", "The council met on Monday.", "What a shameful mess.", "Prices rose 3%."]
    pipeline = build_pipeline(**{**DEFAULT_PARAMS, "min_df": 1, "max_df": 1.0}).fit(
        texts * 3, ["opinion", "fact", "opinion", "fact"] * 3
    )
    part = dict(pipeline.named_steps["features"].transformer_list)["lexicon"]
    assert isinstance(part.lexicon, dict) and len(part.lexicon) > 8000
    expected = pipeline.predict_proba(texts)
    monkeypatch.setattr(lexicon_module, "LEXICON_FILE", tmp_path / "missing.tsv")
    lexicon_module._vendored.cache_clear()
    try:
        with pytest.raises(FileNotFoundError):  # the vendored table is gone for real
            lexicon_module.load_lexicon()
        assert np.array_equal(pipeline.predict_proba(texts), expected)
    finally:
        lexicon_module._vendored.cache_clear()


# An independent reference for exactness: each signal in plain Python over the sentence's words, as the transformer
# computed it before it computed through the engine's block (NaN compares False; ``s == s`` is False only for NaN).
def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


REFERENCE = {
    "subjectivity": lambda hits, n: _mean([s for s, _ in hits if s == s]),
    "max_subjectivity": lambda hits, n: max([s for s, _ in hits if s == s], default=0.0),
    "subjective_share": lambda hits, n: sum(1 for s, _ in hits if s >= STRONG) / n,
    "valence": lambda hits, n: _mean([abs(v) for _, v in hits if v == v]),
    "max_valence": lambda hits, n: max([abs(v) for _, v in hits if v == v], default=0.0),
    "evaluative_share": lambda hits, n: sum(1 for s, v in hits if s >= STRONG or abs(v) >= STRONG) / n,
    "evaluative": lambda hits, n: float(any(s >= STRONG or abs(v) >= STRONG for s, v in hits)),
    "subjective_words": lambda hits, n: min(3, sum(1 for s, _ in hits if s >= STRONG)) / 3,
    "valenced_words": lambda hits, n: min(3, sum(1 for _, v in hits if abs(v) >= STRONG)) / 3,
    "positive": lambda hits, n: max([v for _, v in hits if v > 0], default=0.0),
    "negative": lambda hits, n: -min([v for _, v in hits if v < 0], default=0.0),
}


def reference(table: dict, signals: tuple[str, ...], weight: float, texts: list[str]) -> np.ndarray:
    rows = []
    for text in texts:
        tokens = re.findall(r"\w+", text.lower())
        hits = [table[token] for token in tokens if token in table]
        rows.append([REFERENCE[name](hits, len(tokens)) if hits else 0.0 for name in signals])
    return np.array(rows, dtype=np.float64).reshape(len(texts), len(signals)) * weight


def test_every_signal_has_a_reference():
    assert set(REFERENCE) == set(LEXICON_SIGNALS)


def test_signals_match_the_reference_exactly_on_the_corpus():
    texts = read_labeled_files(data_files(bundled_data_dir()))["sentence"].tolist()
    texts += ["", "?!", "İstanbul’s naïve café", "ΣΟΦΟΣ good BAD", "good " * 200, "Great, BAD — said; dull day"]
    table = load_lexicon()
    for signals, weight in [(tuple(LEXICON_SIGNALS), 1.0), (("max_subjectivity", "evaluative_share"), 0.8)]:
        got = LexiconFeatures(table, signals, weight).transform(texts).toarray()
        # to 1e-12: a mean summed in another order (NumPy 2.5's reductions against Python's sum) may differ
        # in its last bits (more over a long sentence), while a wrong signal differs by far more
        np.testing.assert_allclose(got, reference(table, signals, weight, texts), rtol=1e-12, atol=0)
