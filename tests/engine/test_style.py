"""Stylistic signals: the fast cue-word lookup agrees with the documented patterns the explanations show."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factopinion.bundled import bundled_data_dir
from factopinion.training.datasets import data_files, read_labeled_files
from factopinion.training.features import CUE_WORDS, STYLE_PATTERNS, StyleFeatures

CUE_TOKENS = sorted({word for cues in CUE_WORDS.values() for cue in cues for word in cue.split()})
PIECES = [*CUE_TOKENS, "Said", "SHOULD", "I'm", "we’re", "unsaid", "mustard", "you_", "2024", "pointed", "to"]
SEPARATORS = [" ", "  ", ", ", "-", "'", "’", "“", "”", "\n", "?", "! ", ".", "_"]


def reference(signals: tuple[str, ...], texts: list[str]) -> np.ndarray:
    return np.array([[float(STYLE_PATTERNS[s].search(t) is not None) for s in signals] for t in texts])


@pytest.fixture(scope="module")
def corpus_sentences() -> list[str]:
    return read_labeled_files(data_files(bundled_data_dir()))["sentence"].tolist()


def test_signals_match_their_patterns_on_the_whole_corpus(corpus_sentences):
    features = StyleFeatures().fit(corpus_sentences)
    assert np.array_equal(features.transform(corpus_sentences).toarray(), reference(features.signals, corpus_sentences))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PIECES), st.sampled_from(SEPARATORS)), max_size=12))
def test_signals_match_their_patterns_on_cue_heavy_text(parts):
    text = "".join(word + sep for word, sep in parts)
    features = StyleFeatures()
    assert np.array_equal(features.transform([text]).toarray(), reference(features.signals, [text]))


def test_each_signal_fires_on_its_cue_and_is_scaled():
    features = StyleFeatures(("attribution", "modal", "first_person", "question"), weight=0.3)
    rows = features.transform(
        ["Officials pointed out the gap.", "Ministers need to act.", "We disagree", "Is it over?”", "Plain text."]
    ).toarray()
    assert rows.tolist() == [
        [0.3, 0.0, 0.0, 0.0],
        [0.0, 0.3, 0.0, 0.0],
        [0.0, 0.0, 0.3, 0.0],
        [0.0, 0.0, 0.0, 0.3],
        [0.0, 0.0, 0.0, 0.0],
    ]


def test_cue_phrases_need_adjacent_words():
    (row,) = StyleFeatures(("attribution",)).transform(["He pointed at the map and then out of the window."]).toarray()
    assert row.tolist() == [0.0]


@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from(list("ab '\"“”‘’«» \n\t\u00a0\u2003.,")), max_size=10))
def test_the_quotation_pattern_is_its_plainer_form(text):
    plainer = re.compile(r"[“”\"‘«»]|(?:^|\s)'|'(?=\s|$)")
    assert (STYLE_PATTERNS["quotation"].search(text) is None) == (plainer.search(text) is None)


def test_unknown_signal_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown style signals \\['rhyme'\\]; choose from attribution, quotation"):
        StyleFeatures(("rhyme",)).fit(["x"])
