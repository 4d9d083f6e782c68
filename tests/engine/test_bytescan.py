"""The accelerated tokenising path (``engine.bytescan``: a NumPy scan of the batch's bytes, ids from a hash table of
the dictionary's bytes) gives exactly the reference path's tokens, ids and scores, on real and adversarial text;
sentences it cannot read go to the reference path."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factopinion import load_model
from factopinion.bundled import bundled_data_dir
from factopinion.engine import analysis, bytescan
from factopinion.engine.scorer import LinearScorer
from factopinion.training import TOKEN_PATTERN
from factopinion.training.datasets import data_files, read_labeled_files

ADVERSARIAL = [
    "",
    " ",
    "?!",
    "Café crème’s “best” 中文 😀 👍🏽 👨‍👩‍👧",
    "e\u0301te\u0301 it’s ‘quoted’ '' ' ’’ a''b a’’b 'tis o' ?'? !'!",
    "\ud800 a lone surrogate, and \udfff another",
    "x\x00y \x00",
    "a" * 20_000 + "'s " + "b" * 5_000,
    "ＡＢＣ ３ ٣ ² ¼ K İstanbul ß ǅ ª º µ",
    "new\nline\ttab\u00a0nbsp\u2009thin\r\n",
    "don’t?!won't... rock’n’roll ’90s '90s o’ ’",
    "__init__ _a_ 9_9 a_b’c_d",
    "The U.S.-led plan — worth £5bn (€6bn) — “is a disgrace,” she said… ★★★",
    "ÀÉÎ straße ŒUVRE Ǆ ﬁ ﬀ",  # lowercasing changes some of these (and their lengths)
    "«Bonjour» ‹hi› „quote“ ‚q‘ – — ― ‐ ‑ • · ′ ″",
    "مرحبا שלום Привет γειά",
    "tab\tsep|pipe;semi:colon/slash\\back",
    "'' '' ''",
    "’’’’",
]
# characters where Python's \w, lowercasing and the token pattern are delicate, and anything else
TRICKY = "aZ09_ '’‘“”?!.,-\n\t\x00\u00a0\u0301éßİǅ²٣中😀\u200d"


@pytest.fixture(scope="module")
def scorer() -> LinearScorer:
    return load_model(notify=lambda message: None).as_data()


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    return read_labeled_files(data_files(bundled_data_dir()))["sentence"].tolist()


def _both_paths(scorer: LinearScorer, sentences: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[dict, dict]:
    """What the reference path and the accelerated path give for ``sentences`` as one batch (whatever its size)."""
    found = []
    for fast in (False, True):
        monkeypatch.setattr(analysis, "usable", lambda size, fast=fast: fast)
        batch = analysis.Analysis(sentences, scorer.dictionary, scorer._word_source)
        assert scorer._word_source is not None
        tokens, words = batch.tokens(scorer._word_source), batch.words
        assert (batch._scan is not None) == fast
        found.append(
            {
                "tokens": (tokens.ids.tolist(), tokens.rows.tolist()),
                "words": (words.ids.tolist(), words.rows.tolist()),
                "lists": tokens.lists,
                "log_odds": scorer.log_odds(sentences),
            }
        )
    return found[0], found[1]


def _assert_same(reference: dict, fast: dict) -> None:
    assert fast["tokens"] == reference["tokens"]
    assert fast["words"] == reference["words"]
    assert fast["lists"] == reference["lists"]
    assert np.array_equal(fast["log_odds"], reference["log_odds"])  # bit for bit


def test_the_default_models_token_pattern_is_the_one_accelerated():
    assert bytescan.TOKEN_PATTERN == TOKEN_PATTERN


def test_real_text_gives_the_same_tokens_ids_and_scores(scorer, corpus, monkeypatch):
    reference, fast = _both_paths(scorer, corpus[:6000], monkeypatch)
    _assert_same(reference, fast)
    assert len(fast["tokens"][0]) > 50_000


def test_adversarial_text_gives_the_same_tokens_ids_and_scores(scorer, corpus, monkeypatch):
    sentences = corpus[:200] + ADVERSARIAL + [s.upper() for s in ADVERSARIAL] + corpus[200:400]
    _assert_same(*_both_paths(scorer, sentences, monkeypatch))
    _assert_same(*_both_paths(scorer, ADVERSARIAL[:1], monkeypatch))  # a batch of one empty sentence


def test_only_sentences_with_word_characters_beyond_ascii_are_left_to_the_reference_path(corpus):
    lowered = [s.lower() for s in ADVERSARIAL]
    scan = bytescan.ByteScan(lowered)
    left = {lowered[i] for i in scan.unsafe}
    assert left == {s for s in lowered if any(c.isalnum() for c in s if ord(c) > 127)}
    assert "the u.s.-led plan — worth £5bn (€6bn) — “is a disgrace,” she said… ★★★" not in left  # read by the scan
    real = bytescan.ByteScan([s.lower() for s in corpus])
    assert len(real.unsafe) < 0.01 * len(corpus)  # news text: nearly all read by the scan


def test_the_scans_token_spans_are_the_token_patterns_matches():
    texts = ["it’s 'a'' b'c ?!x", "", "’tis  o’ a’’", "é?a"]
    lowered = [t.lower() for t in texts]
    scan = bytescan.ByteScan(lowered)
    starts, stops = scan.tokens()
    data = scan.data.tobytes()
    found = [data[a:b].decode() for a, b in zip(starts.tolist(), stops.tolist(), strict=True)]
    rows = scan.rows(starts).tolist()
    assert scan.unsafe == [3]
    expected = [(row, t) for row, s in enumerate(lowered[:3]) for t in analysis.re.findall(TOKEN_PATTERN, s)]
    assert [(r, t) for r, t in zip(rows, found, strict=True) if r != 3] == expected
    assert expected[:6] == [(0, "it’s"), (0, "a"), (0, "b'c"), (0, "?"), (0, "!"), (0, "x")]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.one_of(st.text(alphabet=st.sampled_from(TRICKY), max_size=40), st.text(max_size=20)),
        min_size=1,
        max_size=12,
    )
)
def test_any_text_gives_the_same_tokens_ids_and_scores(scorer, monkeypatch, sentences):
    _assert_same(*_both_paths(scorer, sentences, monkeypatch))


def test_small_batches_take_the_reference_path():
    assert not bytescan.usable(bytescan.MIN_BATCH - 1) and bytescan.usable(bytescan.MIN_BATCH)


def _ids_of(index: bytescan.ByteIndex, strings: list[str]) -> list[int]:
    """What ``index`` gives for each of ``strings``, read from one buffer as the scan reads tokens."""
    encoded = [s.encode("utf-8", "surrogatepass") for s in strings]
    data = np.frombuffer(b"\n".join(encoded) + bytescan._PADDING, dtype=np.uint8)
    lengths = np.array([len(e) for e in encoded], dtype=np.int64)
    starts = np.cumsum(lengths + 1) - lengths - 1
    return index.ids_of(data, starts, starts + lengths).tolist()


def test_the_byte_index_gives_exactly_the_dictionarys_ids(scorer):
    """Every string of a real dictionary gets its id; strings that share a prefix, a length, all but one byte or
    their first 8-byte word with one of them, or are longer than any, get -1."""
    strings = [*scorer.dictionary.index, "", "a\x00b", "it’s", "ü", "x" * 40, "abcdefgh", "abcdefghi"]
    dictionary = {s: i for i, s in enumerate(dict.fromkeys(strings))}
    index = bytescan.ByteIndex(dictionary)
    near = [s[:-1] for s in dictionary] + [s + "s" for s in dictionary] + [s[:-1] + "#" for s in dictionary if s]
    near += ["abcdefgz", "abcdefghz", "abcdefghij", "x" * 41, "x" * 39, "a", "a\x00", "it'"]
    queries = [s for s in dict.fromkeys(list(dictionary) + near) if s]  # (a token is never empty)
    assert _ids_of(index, queries) == [dictionary.get(s, -1) for s in queries]
    assert index.width == 5 and len(queries) > 3 * len(dictionary) - 100
    assert _ids_of(bytescan.ByteIndex({}), ["a", "the"]) == [-1, -1]  # an empty dictionary


def test_strings_whose_hashes_collide_take_another_mix():
    """Two 16-byte strings made to have the same hash under the first mix: the index uses the next, and each still
    gets its own id."""
    mix, rng = int(bytescan._MIXES[0]), np.random.default_rng(0)

    def printable() -> int:
        return int.from_bytes(bytes(rng.integers(33, 127, 8).tolist()), "little")

    for _ in range(1_000_000):  # first words f, g and second words a, b with f * mix + a = g * mix + b (mod 2**64)
        f, g, b = printable(), printable(), printable()
        a = (b + (g - f) * mix) % 2**64
        if all(33 <= c < 127 for c in a.to_bytes(8, "little")):
            break
    one = (f.to_bytes(8, "little") + a.to_bytes(8, "little")).decode()
    two = (g.to_bytes(8, "little") + b.to_bytes(8, "little")).decode()
    assert (f * mix + a) % 2**64 == (g * mix + b) % 2**64 and one != two
    index = bytescan.ByteIndex({one: 0, two: 1, "other": 2})
    assert index.mix == bytescan._MIXES[1]
    assert _ids_of(index, [two, one, "other", one[:8]]) == [1, 0, 2, -1]


def test_the_wide_white_space_is_every_character_beyond_ascii_that_str_split_splits_on():
    assert bytescan._WIDE_SPACES.tolist() == [c for c in range(128, 0x110000) if chr(c).isspace()]
    assert np.flatnonzero(bytescan._SPACE).tolist() == [c for c in range(128) if chr(c).isspace()]


SPLIT_TRICKY = TRICKY + " \x1c\x1d\x1e\x1f\x0b\x0c\r\x85\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000\u200b\ud800"
SMALL_INDEX = {word: n for n, word in enumerate(["the", "of", "and", "x", "é", "中", "because", "a'b"])}


def _split_reference(lowered: list[str]) -> tuple[list[int], list[int]]:
    words = [s.split() for s in lowered]
    return [len(w) for w in words], [sum(1 for word in w if word in SMALL_INDEX) for w in words]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet=st.sampled_from(SPLIT_TRICKY), max_size=40),
            st.lists(st.sampled_from([*SMALL_INDEX, " ", "\t", "\u3000", "\x85", "The", "OF"]), max_size=12).map(
                "".join
            ),
            st.text(max_size=20),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_the_scans_spaced_words_are_the_words_str_split_gives(sentences):
    lowered = [s.lower() for s in sentences]
    scan = bytescan.ByteScan(lowered)
    starts, stops = scan.spaced_words()
    data = scan.data.tobytes()
    found = [data[a:b].decode("utf-8", "surrogatepass") for a, b in zip(starts.tolist(), stops.tolist(), strict=True)]
    rows = scan.rows(starts).tolist()
    assert list(zip(rows, found, strict=True)) == [(row, w) for row, s in enumerate(lowered) for w in s.split()]
    counts = analysis.Analysis(sentences * bytescan.MIN_BATCH, analysis.Dictionary([])).split_words(
        bytescan.ByteIndex(SMALL_INDEX)
    )
    assert counts is not None
    words, held = _split_reference(lowered * bytescan.MIN_BATCH)
    assert (counts[0].tolist(), counts[1].tolist()) == (words, held)


def test_split_words_counts_real_text_and_leaves_small_batches_to_the_caller(corpus):
    sentences = corpus[:3000] + ADVERSARIAL
    counts = analysis.Analysis(sentences, analysis.Dictionary([])).split_words(bytescan.ByteIndex(SMALL_INDEX))
    assert counts is not None
    assert (counts[0].tolist(), counts[1].tolist()) == _split_reference([s.lower() for s in sentences])
    assert sum(counts[1].tolist()) > 1000  # "the", "of", "and" are found
    small = analysis.Analysis(sentences[: bytescan.MIN_BATCH - 1], analysis.Dictionary([]))
    assert small.split_words(bytescan.ByteIndex(SMALL_INDEX)) is None
