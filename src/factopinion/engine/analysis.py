"""The model's dictionary and a batch of sentences analysed once for every block: lowercased once,
tokenised once per tokenisation, the signals' words found once."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from itertools import chain, count, repeat
from typing import Any

import numpy as np

WORD = re.compile(r"\w+")  # the signals' words: runs of word characters of the lowercased sentence
# Token patterns whose tokens, in a sentence with none of the listed characters, are exactly its \w+ runs (the
# tokens are runs of word characters joined by those characters, or one of them alone): there the tokens are found
# with the quicker \w+ and are the signals' words too.
_PLAIN_WHERE_NONE_OF = {r"(?u)\b\w[\w'’]*\b|[?!]": re.compile(r"['’?!]")}


class Dictionary:
    """Every string the model's blocks look up (vocabulary words, cue words, lexicon words), each with an id. A
    batch looks each of its tokens up once; each block reads the ids through its own tables, indexed by id, whose
    last entry answers for an unknown token (id -1)."""

    def __init__(self, strings: Iterable[str]):
        self.index = dict(zip(dict.fromkeys(strings), count(), strict=False))
        self.size = len(self.index)

    def ids(self, strings: Iterable[str]) -> np.ndarray:
        return np.fromiter(map(self.index.__getitem__, strings), dtype=np.intp)

    def table(self, fill: Any, dtype: Any = np.intp, width: int | None = None) -> np.ndarray:
        return np.full(self.size + 1 if width is None else (self.size + 1, width), fill, dtype=dtype)


class Tokens:
    """A batch's tokens under one tokenisation, flat: each token's dictionary id (-1 if unknown) and its row; a
    row's tokens are contiguous and in order. ``lists`` keeps them per sentence, as strings, where they were read."""

    def __init__(self, ids: np.ndarray, rows: np.ndarray, lists: list[list[str]] | None = None):
        self.ids, self.rows, self.lists = ids, rows, lists or []

    @classmethod
    def of(cls, lists: list[list[str]], dictionary: Dictionary, rows: Sequence[int] | None = None) -> Tokens:
        flat = list(chain.from_iterable(lists))
        ids = np.fromiter(map(dictionary.index.get, flat, repeat(-1)), dtype=np.intp, count=len(flat))
        at = np.arange(len(lists)) if rows is None else np.asarray(rows, dtype=np.intp)
        return cls(ids, np.repeat(at, list(map(len, lists))), lists)

    def pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The ids of each two consecutive tokens of a row, and the row."""
        same = self.rows[:-1] == self.rows[1:]
        return self.ids[:-1][same], self.ids[1:][same], self.rows[:-1][same]


def _strip_accents_unicode(text: str) -> str:  # as scikit-learn's strip_accents_unicode
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _strip_accents_ascii(text: str) -> str:  # as scikit-learn's strip_accents_ascii
    return unicodedata.normalize("NFKD", text).encode("ASCII", "ignore").decode("ASCII")


STRIP_ACCENTS: dict[str | None, Callable[[str], str] | None] = {
    None: None,
    "unicode": _strip_accents_unicode,
    "ascii": _strip_accents_ascii,
}


class Tokenizer:
    """A TF-IDF block's tokenisation: lowercase, strip accents, then every match of the token pattern (its group,
    if it has one), as scikit-learn's word analyzer does."""

    def __init__(self, pattern: re.Pattern[str], lowercase: bool, strip_accents: str | None):
        self.pattern, self.lowercase, self.strip_accents = pattern, lowercase, strip_accents
        self.accents = STRIP_ACCENTS[strip_accents]
        self.key = (pattern.pattern, pattern.flags, lowercase, strip_accents)
        plain = lowercase and strip_accents is None and pattern.flags == re.UNICODE
        self.special = _PLAIN_WHERE_NONE_OF.get(pattern.pattern) if plain else None

    def preprocess(self, text: str) -> str:
        if self.lowercase:
            text = text.lower()
        return self.accents(text) if self.accents else text

    def with_offsets(self, sentence: str) -> list[tuple[str, int, int]] | None:
        """Each token with its (start, end) in ``sentence``; None where preprocessing does not map characters to
        characters (then no spans can be given)."""
        processed = self.preprocess(sentence)
        to_original = offset_map(sentence, processed, self.preprocess)
        if to_original is None:
            return None
        group = 1 if self.pattern.groups == 1 else 0
        tokens = []
        for m in self.pattern.finditer(processed):  # as findall: a group that did not take part gives ""
            start, end = m.span(group) if m.start(group) != -1 else (m.start(), m.start())
            if end > start:
                tokens.append((m.group(group), to_original[start], to_original[end - 1] + 1))
            else:
                at = to_original[start] if start < len(to_original) else len(sentence)
                tokens.append(("", at, at))
        return tokens


def offset_map(original: str, processed: str, preprocess: Callable[[str], str]) -> Sequence[int] | None:
    """For each character of ``processed``, the offset of the character of ``original`` it came from; None where
    ``preprocess`` does not work character by character."""
    if len(processed) == len(original):
        return range(len(original))
    pieces = [preprocess(char) for char in original]
    if "".join(pieces) != processed:
        return None
    mapping = []
    for i, piece in enumerate(pieces):
        mapping.extend([i] * len(piece))
    return mapping


class Analysis:
    """The sentences of one scoring call and what the blocks read from them, each computed once: the lowercased
    sentences, their tokens under each tokenisation, and the signals' words (lowercased ``\\w+`` runs). With the
    project's token pattern, the tokens of a sentence without an apostrophe, "?" or "!" are its words, so one
    tokenisation gives both."""

    def __init__(self, sentences: Sequence[str], dictionary: Dictionary, word_source: Tokenizer | None = None):
        self.sentences = list(sentences)
        self.size = len(self.sentences)
        self.dictionary, self.word_source = dictionary, word_source
        self._tokens: dict[tuple, Tokens] = {}
        self._lowered: list[str] | None = None
        self._words: Tokens | None = None

    @property
    def lowered(self) -> list[str]:
        if self._lowered is None:
            self._lowered = [s.lower() for s in self.sentences]
        return self._lowered

    def tokens(self, tokenizer: Tokenizer) -> Tokens:
        """Every sentence's tokens under ``tokenizer`` (before stop words are dropped)."""
        found = self._tokens.get(tokenizer.key)
        if found is None:
            findall = tokenizer.pattern.findall
            if tokenizer.special is not None:
                special, words = tokenizer.special.search, WORD.findall
                lists = [words(s) if special(s) is None else findall(s) for s in self.lowered]
            elif tokenizer.lowercase and not tokenizer.accents:
                lists = [findall(s) for s in self.lowered]
            else:
                lists = [findall(tokenizer.preprocess(s)) for s in self.sentences]
            found = self._tokens[tokenizer.key] = Tokens.of(lists, self.dictionary)
        return found

    @property
    def words(self) -> Tokens:
        if self._words is None:
            source, lowered = self.word_source, self.lowered
            if source is None:
                self._words = Tokens.of([WORD.findall(s) for s in lowered], self.dictionary)
            else:  # the tokens of the sentences without the special characters, then the words of the others
                tokens, special = self.tokens(source), source.special
                assert special is not None
                others = [i for i, s in enumerate(lowered) if special.search(s) is not None]
                if not others:
                    self._words = tokens
                else:
                    plain = np.ones(self.size, dtype=bool)
                    plain[others] = False
                    kept = plain[tokens.rows]
                    rest = Tokens.of([WORD.findall(lowered[i]) for i in others], self.dictionary, others)
                    self._words = Tokens(
                        np.concatenate([tokens.ids[kept], rest.ids]), np.concatenate([tokens.rows[kept], rest.rows])
                    )
        return self._words


def word_offsets(sentence: str) -> list[tuple[str, int, int]]:
    """The signals' words of ``sentence`` with their offsets in it (lowercasing can change a text's length)."""
    lowered = sentence.lower()
    to_original = offset_map(sentence, lowered, str.lower)
    if to_original is None:  # pragma: no cover - str.lower works character by character
        return []
    return [(m.group(), to_original[m.start()], to_original[m.end() - 1] + 1) for m in WORD.finditer(lowered)]
