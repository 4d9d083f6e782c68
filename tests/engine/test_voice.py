"""The voice signals (engine/blocks/voice.py): each signal on in the author's voice and off where the same words are
quoted or attributed; the transformer and the engine compute the same columns; the block survives the model file."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factopinion.bundled import bundled_data_dir
from factopinion.engine import analysis, bytescan
from factopinion.engine.blocks import voice
from factopinion.engine.blocks.voice import VOICE_SIGNALS, VoiceSignals, VoiceWords, default_voice_words, find_voice
from factopinion.engine.fields import Fields
from factopinion.engine.scorer import LinearScorer
from factopinion.errors import ModelError
from factopinion.training.datasets import data_files, read_labeled_files
from factopinion.training.lexicon import load_lexicon
from factopinion.training.voice import VoiceFeatures

LISTS = default_voice_words(load_lexicon())
WORDS = VoiceWords.from_lists(LISTS)


def on(sentence: str) -> set[str]:
    """The voice signals on in ``sentence``."""
    return set(find_voice(sentence, WORDS, list(VOICE_SIGNALS)))


def cues(sentence: str, key: str) -> list[str]:
    """The text of the spans that put signal ``key`` on in ``sentence``."""
    return [sentence.lower()[a:b] for a, b in find_voice(sentence, WORDS, [key]).get(key, [])]


# (sentence, the signal, whether it is on): the author's own voice against the same words quoted or attributed.
CASES = [
    ("I think the plan will fail.", "first_person_view", True),
    ("In my view, the law is unjust.", "first_person_view", True),
    ("We believe the council has lost its way.", "first_person_view", True),
    ("“I think the plan will fail,” the mayor said.", "first_person_view", False),
    ("In her view, the law is unjust, the senator said.", "first_person_view", False),
    ("I grew up in Leeds and moved to Hull in 1998.", "first_person_view", False),
    ("The plan is reckless.", "evaluative_predicate", True),
    ("The minister is a liar.", "evaluative_predicate", True),
    ("Frankly, it's a joke.", "evaluative_predicate", True),
    ("The bill was simply a disgrace.", "evaluative_predicate", True),
    ("The decision to close the library is shortsighted and cruel.", "evaluative_predicate", True),
    ("Critics called the plan reckless.", "evaluative_predicate", False),
    ("The plan is reckless, opposition leaders said on Wednesday.", "evaluative_predicate", False),
    ("“The plan is reckless,” she said.", "evaluative_predicate", False),
    ("Analysts think the plan is reckless.", "evaluative_predicate", False),
    ("The bridge is two kilometres long.", "evaluative_predicate", False),
    ("The bank should have acted sooner.", "recommendation", True),
    ("Ministers need to stop pretending the problem will go away.", "recommendation", True),
    ("The union said the bank should have acted sooner.", "recommendation", False),
    ("“We must act now,” she said.", "recommendation", False),
    ("The bank raised rates by a quarter point.", "recommendation", False),
    ("He called the deal “a disgrace”.", "evaluative_quoted_only", True),
    ("“It is a disaster for the town", "evaluative_quoted_only", True),
    ("The deal is a disgrace.", "evaluative_quoted_only", False),
    ("The “deal” is a disgrace.", "evaluative_quoted_only", False),
    ("He signed the deal on Monday.", "evaluative_quoted_only", False),
    ("The government’s ‘reform’ will cut 4,000 jobs.", "scare_quotes", True),
    ("The so-called reform will cut 4,000 jobs.", "scare_quotes", True),
    ('Its "experts" never visited the site.', "scare_quotes", True),
    ("The minister called it “a disgrace”.", "scare_quotes", False),
    ("She said: “Never.”", "scare_quotes", False),
    ("“We will not resign,” the board said in a statement on Monday.", "scare_quotes", False),
    ("He was called to the bar in 1998.", "scare_quotes", False),
    ("Frankly, the plan was never going to work.", "stance_opening", True),
    ("Of course, the minister knew all along.", "stance_opening", True),
    ("Make no mistake: this is a tax rise.", "stance_opening", True),
    ("The minister spoke frankly about the plan.", "stance_opening", False),
    ("“Frankly, it was a mistake,” he said.", "stance_opening", False),
    ("Of the 40 people hurt, six remain in hospital.", "stance_opening", False),
]


@pytest.mark.parametrize(("sentence", "key", "expected"), CASES, ids=[f"{k}:{s[:40]}" for s, k, _ in CASES])
def test_each_signal_in_the_authors_voice_and_not_when_quoted_or_attributed(sentence, key, expected):
    assert (key in on(sentence)) is expected


def test_the_readme_definitions_differ_by_voice_alone():
    assert on("The plan is reckless.") == {"evaluative_predicate"}
    assert on("Critics called the plan reckless.") == set()


def test_apostrophes_inside_words_are_not_quotation_marks():
    assert cues("It's a joke.", "evaluative_predicate") == ["it's a joke"]
    assert "evaluative_quoted_only" not in on("The players' union's offer was rejected.")
    assert "scare_quotes" not in on("Rock'n'roll isn't dead.")


def test_spans_name_the_cue_words():
    assert cues("The plan is simply reckless.", "evaluative_predicate") == ["is simply reckless"]
    assert cues("The plan is shortsighted and cruel.", "evaluative_predicate") == ["is shortsighted and cruel"]
    assert cues("The bridge is long and narrow and dangerous.", "evaluative_predicate") == []  # one join only
    assert cues("Frankly, it's a joke.", "stance_opening") == ["frankly"]
    assert cues("In my view, the law is unjust.", "first_person_view") == ["in my view"]
    assert cues("The government’s ‘reform’ will cut jobs.", "scare_quotes") == ["‘reform’"]
    assert cues("He called the deal “a disgrace”.", "evaluative_quoted_only") == ["disgrace"]


def test_a_quotation_that_runs_past_the_sentence_is_still_a_quotation():
    # the middle and the close of a quotation split across sentences carry no author's voice
    assert on("and we must fight it to the end,” he said.") == set()
    assert "recommendation" not in on("“We must fight it to the end")


def test_the_transformer_and_the_engine_block_give_the_same_columns():
    sentences = [s for s, _, _ in CASES] + ["", "?!", "İstanbul’s naïve café is a disgrace.", "a disgrace " * 50]
    features = VoiceFeatures(words=LISTS).fit(sentences)
    table = features.transform(sentences).toarray()
    expected = np.array([[key in on(s) for key in VOICE_SIGNALS] for s in sentences], dtype=float)
    assert np.array_equal(table, expected)
    assert list(features.get_feature_names_out()) == [signal.name for signal in VOICE_SIGNALS.values()]


def test_the_weight_scales_the_columns():
    table = VoiceFeatures(("stance_opening",), weight=0.5, words=LISTS).fit([]).transform(["Sadly, no.", "No."])
    assert table.toarray().tolist() == [[0.5], [0.0]]


def test_unknown_signals_are_refused():
    with pytest.raises(ValueError, match="unknown voice signals"):
        VoiceFeatures(("first_person",)).fit([])


def test_the_block_survives_the_model_file_and_its_spans_point_into_the_sentence():
    block = VoiceSignals.of_keys(VOICE_SIGNALS, LISTS, np.arange(1.0, 7.0), weight=0.8)
    scorer = LinearScorer([block], -0.5, ["fact", "opinion"])
    again = LinearScorer.from_json(scorer.to_json())
    sentences = [s for s, _, _ in CASES]
    assert np.array_equal(again.log_odds(sentences), scorer.log_odds(sentences))
    assert again.spans("Frankly, the plan is reckless.") == {
        "[verdict, author's voice]": [(18, 29)],
        "[opening stance adverb]": [(0, 7)],
    }
    sentence = "İstanbul’s plan is reckless."  # lowercasing "İ" makes two characters: spans still point into it
    ((start, end),) = again.spans(sentence)["[verdict, author's voice]"]
    assert sentence[start:end] == "is reckless"


def test_a_damaged_block_is_a_model_error():
    block = VoiceSignals.of_keys(["stance_opening"], LISTS, np.ones(1)).data()
    wrong_signal = {**block, "signals": [{"name": "[x]", "signal": "no_such_signal"}]}
    with pytest.raises(ModelError, match="unknown signal"):
        VoiceSignals.from_data(Fields(json.loads(json.dumps(wrong_signal)), "block"))
    missing = {**block, "words": {k: v for k, v in block["words"].items() if k != "copulas"}}
    with pytest.raises(ModelError, match="missing: copulas"):
        VoiceSignals.from_data(Fields(missing, "block"))
    not_lists = {**block, "words": {**block["words"], "modals": "should"}}
    with pytest.raises(ModelError, match="'modals' must hold strings"):
        VoiceSignals.from_data(Fields(not_lists, "block"))


class _CountingPattern:
    """A compiled pattern that counts the characters its searches were given to read."""

    def __init__(self, pattern):
        self.pattern, self.read = pattern, 0

    def _count(self, text: str, pos: int, endpos: int | None) -> None:
        self.read += max(0, min(len(text), len(text) if endpos is None else endpos) - pos)

    def findall(self, text, pos=0, endpos=None):
        self._count(text, pos, endpos)
        return self.pattern.findall(text, pos, len(text) if endpos is None else endpos)

    def finditer(self, text, pos=0, endpos=None):
        self._count(text, pos, endpos)
        return self.pattern.finditer(text, pos, len(text) if endpos is None else endpos)


def test_a_text_of_many_quotations_is_read_in_linear_time(monkeypatch):
    # one huge cell labeled as one unit: many scare-quoted words, and a closing mark near the end that blanks the
    # author's text before it (the worst case); the token searches read characters in proportion to the text
    counting = _CountingPattern(voice._TOKEN)
    monkeypatch.setattr(voice, "_TOKEN", counting)
    read = []
    for n in (200, 800):
        counting.read = 0
        text = "The “reform” is a word on the page. " * n + 'The end." Its “experts” never came.'
        assert "scare_quotes" in on(text)
        read.append(counting.read / len(text))
    assert read[1] < 1.2 * read[0], read  # per character of text: the same at four times the size


@pytest.mark.parametrize("window", [3, 8, voice._Tokens.WINDOW])
def test_the_last_tokens_before_a_quotation_are_those_a_full_search_finds(monkeypatch, window):
    # apostrophes, gap marks and white space in every order: the tokens found in a window before each position, or
    # (where it holds too few) among all the text's tokens, are what a search of the whole text before it gives, a
    # token cut by the window's start or by the position included
    monkeypatch.setattr(voice._Tokens, "WINDOW", window)
    rng = random.Random(3)
    alphabet = ["a", "b", "é", "'", "’", " ", "\n", "\x00", ",", ":", "1", "_", "\t"]
    for _ in range(1000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 120)))
        tokens = voice._Tokens(text)
        for end in range(len(text) + 1):
            assert tokens.last(end, 4) == voice._TOKEN.findall(text, 0, end)[-4:], (text, end)
            assert voice._last_mark(text, end) == (text[:end].rstrip() or " ")[-1].strip()


# -- many sentences at once ---------------------------------------------------------------------------------------

# sentences where the walk of each signal has edge cases: word lists at the start or the end, joins, fillers, phrases
# cut by the sentence's end, apostrophes inside and around words, reporting words and "so called"
EDGES = [
    "Frankly it is a disgrace.", "Of course, it's reckless", "Of", "of course", "so called experts", "So-called",
    "It is not simple and reckless", "It is simple and not reckless", "It is rather dull or reckless, and cruel",
    "is", "reckless", "The plan is", "It is a a a a reckless plan", "We think it is bad", "we", "i think",
    "Analysts expect it is reckless", "To expect it is reckless", "It's a disgrace, so called", "the so called plan",
    "In my view", "in my", "If you ask me it is bad", "I'm convinced", "i’m convinced", "Mark my words: it fails",
    "They should go", "We need to go", "need", "It's shouldn't", "she’s simply wrong", "it''s bad", "it's' bad",
    "Let's be clear", "let’s be", "Make no mistake", "make no", "The fact is", "Clearly.", "clearly, it is",
    "He called it reckless", "He said it is reckless", "It is reckless\nand cruel", "a\x00 is reckless",
    "Café owners say it is reckless", "It is RECKLESS!", "It is reckless?", "‘Reckless’ is the word", "",
    # quotations: the author's text around them, gap marks between words, sentences that open with one
    '"Reckless" is the word, he said.', 'The government\'s "reform" is a disgrace.', 'Analysts "say" expect it is bad',
    '"They" expect it is bad', 'He called it "reckless".', 'It is "reckless", she said', 'The so called "reform"',
    "“I think it is a disaster,” he said.", "It was a “disaster”", "«Absurd» is what it is", 'it ended." It is bad',
    'She said: "wrong".', 'Critics say it is "absurd" and "cruel".', 'We think "it" is reckless', "It is 'simply' bad",
    '"Of course" it is bad', 'Frankly "it" should go', 'They should "go"', 'The "plan" is "reckless"', '"',
    'it is "a disgrace', 'It is a disgrace"', "a ‘so-called’ ‘fair’ plan", 'In my "view" it is bad', 'I "think"',
    'It is, as they put it, "a reckless and cruel and absurd plan"', "“", "we ‘believe’ it is", '"x" "y" "z"',
]  # fmt: skip


def _one_by_one(block: VoiceSignals, sentences: list[str]) -> set[tuple[int, int]]:
    return {(row, block.column_of[key]) for row, s in enumerate(sentences) for key in find_voice(s, WORDS, block.keys)}


def _at_once(block: VoiceSignals, sentences: list[str], monkeypatch: pytest.MonkeyPatch) -> set[tuple[int, int]]:
    monkeypatch.setattr(analysis, "usable", lambda size: True)
    scorer = LinearScorer([block], 0.0, ["fact", "opinion"])
    batch = analysis.Analysis(sentences, scorer.dictionary)
    rows, columns, values = block.triplets(batch)
    assert batch._scan is not None and (values == block.weight).all()
    return set(zip(rows.tolist(), columns.tolist(), strict=True))


@pytest.fixture(scope="module")
def block() -> VoiceSignals:
    return VoiceSignals.of_keys(VOICE_SIGNALS, LISTS, np.arange(len(VOICE_SIGNALS), dtype=float) + 1.0)


def test_many_sentences_at_once_give_what_each_gives_alone(block, monkeypatch):
    corpus = read_labeled_files(data_files(bundled_data_dir()))["sentence"].tolist()[:4000]
    sentences = corpus + EDGES + [s.upper() for s in EDGES] + [s.lower() for s in corpus[:500]]
    expected = _one_by_one(block, sentences)
    assert len(expected) > 1000 and {column for _, column in expected} == set(range(len(VOICE_SIGNALS)))
    assert _at_once(block, sentences, monkeypatch) == expected


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.lists(st.sampled_from(sorted({w for s in EDGES for w in s.split()} | set(" '’\"“”‘«»,:")))).map(" ".join),
        min_size=1,
        max_size=8,
    )
)
def test_any_words_at_once_give_what_each_gives_alone(block, monkeypatch, sentences):
    assert _at_once(block, sentences, monkeypatch) == _one_by_one(block, sentences)


def test_the_scans_quotation_marks_are_those_the_regular_expression_finds():
    """``ByteScan.quotation_marks`` (which sentences hold a quotation mark, apostrophes inside words left out) finds
    what ``_QUOTE_MARK`` finds, sentence by sentence, on the sentences the scan reads."""
    rng = random.Random(5)
    alphabet = ["a", "Z", "9", "_", "'", "’", "‘", '"', "“", "”", "«", "»", " ", "\n", "-", "é", "—", "?"]
    for _ in range(200):
        lowered = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))).lower() for _ in range(50)]
        scan = bytescan.ByteScan(lowered)
        expected = [i for i, s in enumerate(lowered) if voice._QUOTE_MARK.search(s) and i not in scan.unsafe]
        found = [i for i in scan.quotation_marks(voice._MAY_QUOTE, voice._QUOTATION_MARKS) if i not in scan.unsafe]
        assert found == expected, lowered
