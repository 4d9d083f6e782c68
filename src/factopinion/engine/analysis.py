"""The model's dictionary and a batch of sentences analysed once for every block: lowercased once,
tokenised once per tokenisation, the signals' words found once."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from itertools import chain, count, repeat
from re import _constants, _parser  # type: ignore[attr-defined]  # the regular expression parser (3.11+)
from typing import Any

import numpy as np

from .bytescan import TOKEN_PATTERN, ByteIndex, ByteScan, usable

WORD = re.compile(r"\w+")  # the signals' words: runs of word characters of the lowercased sentence
# Token patterns whose tokens, in a sentence with none of the listed characters, are exactly its \w+ runs (the
# tokens are runs of word characters joined by those characters, or one of them alone): there the tokens are found
# with the quicker \w+ and are the signals' words too.
_PLAIN_WHERE_NONE_OF = {TOKEN_PATTERN: re.compile(r"['’?!]")}


# Categories of characters that lowercasing leaves alone and makes of no other character (punctuation and
# separators; not symbols: "Ⓐ" lowercases to "ⓐ"): a sentence holds one as written exactly where it holds it lowercased.
_CASELESS = "PZ"


class Dictionary:
    """Every string the model's blocks look up (vocabulary words, cue words, lexicon words), each with an id. A
    batch looks each of its tokens up once; each block reads the ids through its own tables, indexed by id, whose
    last entry answers for an unknown token (id -1)."""

    def __init__(self, strings: Iterable[str]):
        self.index = dict(zip(dict.fromkeys(strings), count(), strict=False))
        self.size = len(self.index)
        self._bytes: ByteIndex | None = None

    @property
    def bytes(self) -> ByteIndex:
        """The dictionary as a hash table of its strings' bytes, for the byte scan (built the first time)."""
        if self._bytes is None:
            self._bytes = ByteIndex(self.index)
        return self._bytes

    def ids(self, strings: Iterable[str]) -> np.ndarray:
        return np.fromiter(map(self.index.__getitem__, strings), dtype=np.intp)

    def table(self, fill: Any, dtype: Any = np.intp, width: int | None = None) -> np.ndarray:
        return np.full(self.size + 1 if width is None else (self.size + 1, width), fill, dtype=dtype)


class Tokens:
    """A batch's tokens under one tokenisation, flat: each token's dictionary id (-1 if unknown) and its row; a
    row's tokens are contiguous and in order. ``lists`` gives them per sentence, as strings (``read_lists`` reads
    them again where they were found without being kept)."""

    def __init__(
        self,
        ids: np.ndarray,
        rows: np.ndarray,
        lists: list[list[str]] | None = None,
        read_lists: Callable[[], list[list[str]]] | None = None,
    ):
        self.ids, self.rows, self._lists, self._read_lists = ids, rows, lists, read_lists

    @property
    def lists(self) -> list[list[str]]:
        if self._lists is None:
            self._lists = self._read_lists() if self._read_lists is not None else []
        return self._lists

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

    def merged(self, other: Tokens) -> Tokens:
        """These tokens and ``other``'s (of other rows), in row order; both in row order."""
        at = np.searchsorted(self.rows, other.rows)
        return Tokens(np.insert(self.ids, at, other.ids), np.insert(self.rows, at, other.rows))


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
    tokenisation gives both. A batch of ``bytescan.MIN_BATCH`` sentences or more is tokenised by the byte scan
    (``bytescan``): the same tokens, ids and rows, in the same order."""

    def __init__(self, sentences: Sequence[str], dictionary: Dictionary, word_source: Tokenizer | None = None):
        self.sentences = list(sentences)
        self.size = len(self.sentences)
        self.dictionary, self.word_source = dictionary, word_source
        self._tokens: dict[tuple, Tokens] = {}
        self._lowered: list[str] | None = None
        self._words: Tokens | None = None
        self._special: dict[re.Pattern[str], list[int]] = {}
        self._joined: tuple[str, np.ndarray] | None = None
        self._scan: ByteScan | None = None
        # the token pattern's tokens the scan looked up: their spans (in order) and ids, for the words to reuse
        self._looked_up: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @property
    def lowered(self) -> list[str]:
        if self._lowered is None:
            self._lowered = [s.lower() for s in self.sentences]
        return self._lowered

    def special_rows(self, special: re.Pattern[str]) -> list[int]:
        """The rows whose lowercased sentence has one of ``special``'s characters (searched once per batch)."""
        found = self._special.get(special)
        if found is None:
            search = special.search
            found = self._special[special] = [i for i, s in enumerate(self.lowered) if search(s) is not None]
        return found

    def rows_with(self, characters: re.Pattern[str]) -> list[int]:
        """The rows whose sentence (as written) holds a match of ``characters`` (a character class): one search
        of the whole batch, so a regular expression that needs one of them is run on those rows only."""
        found = self._special.get(characters)
        if found is None and usable(self.size):
            listed = _needed(list(_parser.parse(characters.pattern, characters.flags)))
            if listed and all(unicodedata.category(c)[0] in _CASELESS for c in listed):
                found = self._special[characters] = self.scan.rows_holding("".join(sorted(listed)))
        if found is None:
            if self._joined is None:
                lengths = np.fromiter(map(len, self.sentences), dtype=np.int64, count=self.size) + 1
                self._joined = ("\n".join(self.sentences), np.cumsum(lengths) - lengths)
            text, starts = self._joined
            at = np.fromiter((m.start() for m in characters.finditer(text)), dtype=np.int64)
            at = at[~np.isin(at, starts[1:] - 1)]  # not the line breaks that join the sentences
            found = self._special[characters] = sorted(set((np.searchsorted(starts, at, side="right") - 1).tolist()))
        return found

    def tokens(self, tokenizer: Tokenizer) -> Tokens:
        """Every sentence's tokens under ``tokenizer`` (before stop words are dropped)."""
        found = self._tokens.get(tokenizer.key)
        if found is None:
            findall = tokenizer.pattern.findall
            if tokenizer.special is not None and tokenizer.pattern.pattern == TOKEN_PATTERN and usable(self.size):
                scanned = self._scanned(self.scan.tokens(), findall, remember=True)

                sentences = self.sentences  # not self: the Tokens are kept in self, and a cycle would outlive the
                # batch while scoring turns the cyclic collector off (hundreds of MiB over a long run)

                def read() -> list[list[str]]:  # the tokens as strings: only n-grams of three words need them
                    return [findall(s.lower()) for s in sentences]

                found = self._tokens[tokenizer.key] = Tokens(scanned.ids, scanned.rows, read_lists=read)
                return found
            if tokenizer.special is not None:
                special = bytearray(self.size)
                for i in self.special_rows(tokenizer.special):
                    special[i] = 1
                words = WORD.findall
                lists = [findall(s) if flag else words(s) for s, flag in zip(self.lowered, special, strict=True)]
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
                self._words = (
                    self._scanned(self.scan.words(), WORD.findall)
                    if usable(self.size)
                    else Tokens.of([WORD.findall(s) for s in lowered], self.dictionary)
                )
            else:  # the tokens of the sentences without the special characters, then the words of the others
                tokens, special = self.tokens(source), source.special
                assert special is not None
                fast = usable(self.size) and source.pattern.pattern == TOKEN_PATTERN
                others = self.scan.rows_with_apostrophes_or_marks() if fast else self.special_rows(special)
                if not others:
                    self._words = tokens
                else:
                    plain = np.ones(self.size, dtype=bool)
                    plain[others] = False
                    kept = plain[tokens.rows]
                    rest = (
                        self._scanned(self.scan.words(), WORD.findall, others)
                        if usable(self.size)
                        else Tokens.of([WORD.findall(lowered[i]) for i in others], self.dictionary, others)
                    )
                    self._words = Tokens(
                        np.concatenate([tokens.ids[kept], rest.ids]), np.concatenate([tokens.rows[kept], rest.rows])
                    )
        return self._words

    def words_with_inner_apostrophes(self) -> Tokens | None:
        """The matches of ``\\w+(?:['’]\\w+)*`` in the lowercased sentences, from the byte scan, in row order; none
        for the rows in ``scan.unsafe``. None where the batch does not take the accelerated path. In a sentence
        without an apostrophe, "?" or "!", they are the project's tokens (its ``\\w+`` runs): taken from there."""
        if not usable(self.size):
            return None
        scan, source = self.scan, self.word_source
        starts, stops = scan.words_with_inner_apostrophes()
        rows = scan.rows(starts)
        wanted = np.ones(self.size, dtype=bool)
        wanted[scan.unsafe] = False
        shared: Tokens | None = None
        if source is not None and source.pattern.pattern == TOKEN_PATTERN:
            tokens = self.tokens(source)
            plain = wanted.copy()
            plain[scan.rows_with_apostrophes_or_marks()] = False
            kept = plain[tokens.rows]
            shared = Tokens(tokens.ids[kept], tokens.rows[kept])
            wanted &= ~plain
        if not wanted.all():
            kept = wanted[rows]
            starts, stops, rows = starts[kept], stops[kept], rows[kept]
        found = Tokens(self._ids(starts, stops), rows)
        return found if shared is None else shared.merged(found)

    def split_words(self, index: ByteIndex) -> tuple[np.ndarray, np.ndarray] | None:
        """Per sentence, how many words ``str.split()`` gives of it, lowercased, and how many of those ``index``
        holds; None where the batch does not take the byte scan (``usable``)."""
        if not usable(self.size):
            return None
        scan = self.scan
        starts, stops = scan.spaced_words()
        short = np.flatnonzero(stops - starts <= index.longest)
        held = starts[short[scan.look_up(starts[short], stops[short], index) >= 0]]
        return scan.counts(starts), scan.counts(held)

    @property
    def scan(self) -> ByteScan:
        """The batch's lowercased sentences scanned as bytes (``bytescan``), once."""
        if self._scan is None:
            self._scan = ByteScan(self.lowered)
        return self._scan

    def _ids(self, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
        """The ids of the scan's tokens at ``starts``..``stops``: a span the token pattern's tokens already have
        (the same bytes, so the same id) takes its id from them; the others are looked up."""
        if self._looked_up is None or not len(starts) or not len(self._looked_up[0]):
            return self.scan.look_up(starts, stops, self.dictionary.bytes)
        known_starts, known_stops, known_ids = self._looked_up
        at = np.minimum(np.searchsorted(known_starts, starts), len(known_starts) - 1)
        same = (known_starts.take(at) == starts) & (known_stops.take(at) == stops)
        ids = known_ids.take(at)
        if not same.all():
            rest = np.flatnonzero(~same)
            ids[rest] = self.scan.look_up(starts[rest], stops[rest], self.dictionary.bytes)
        return ids

    def _scanned(
        self,
        spans: tuple[np.ndarray, np.ndarray],
        reference: Callable[[str], list[str]],
        rows: list[int] | None = None,
        *,
        remember: bool = False,
    ) -> Tokens:
        """The tokens at the scan's ``spans`` (of the rows ``rows``, or all), with the reference tokeniser's tokens
        of the rows the scan leaves out; with ``remember``, the spans and ids looked up are kept for ``_ids``."""
        starts, stops = spans
        at = self.scan.rows(starts)
        unsafe = self.scan.unsafe
        if rows is not None or unsafe:
            wanted = np.zeros(self.size, dtype=bool)
            wanted[rows if rows is not None else slice(None)] = True
            unsafe = [i for i in unsafe if wanted[i]]
            wanted[self.scan.unsafe] = False
            kept = wanted[at]
            starts, stops, at = starts[kept], stops[kept], at[kept]
        found = Tokens(self._ids(starts, stops), at)
        if remember:
            self._looked_up = (starts, stops, found.ids)
        if not unsafe:
            return found
        return found.merged(Tokens.of([reference(self.lowered[i]) for i in unsafe], self.dictionary, unsafe))


def word_offsets(sentence: str) -> list[tuple[str, int, int]]:
    """The signals' words of ``sentence`` with their offsets in it (lowercasing can change a text's length)."""
    lowered = sentence.lower()
    to_original = offset_map(sentence, lowered, str.lower)
    if to_original is None:  # pragma: no cover - str.lower works character by character
        return []
    return [(m.group(), to_original[m.start()], to_original[m.end() - 1] + 1) for m in WORD.finditer(lowered)]


# -- which characters a regular expression needs ----------------------------------------------------------------

_RANGE_LIMIT = 64  # a character range wider than this is not spelled out (and gives no prefilter)


def prefilter(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """A character class of which every match of ``pattern`` holds at least one character (so a text without any
    cannot match), or None where the pattern does not tell (a class such as ``\\d``, case-insensitive matching,
    a part that may match nothing)."""
    if pattern.flags & re.IGNORECASE:
        return None
    needed = _needed(list(_parser.parse(pattern.pattern, pattern.flags)))
    if not needed:
        return None
    return re.compile("[" + "".join(re.escape(c) for c in sorted(needed)) + "]")


def _needed(items: list) -> frozenset[str] | None:
    """The characters one of which a match of the sequence ``items`` must hold: the first item's that has any."""
    for op, av in items:
        found = _needed_by(op, av)
        if found is not None:
            return found
    return None


def _needed_by(op: Any, av: Any) -> frozenset[str] | None:
    c = _constants
    if op is c.LITERAL:
        return frozenset(chr(av))
    if op is c.IN:
        chars: set[str] = set()
        for kind, value in av:
            if kind is c.LITERAL:
                chars.add(chr(value))
            elif kind is c.RANGE and value[1] - value[0] < _RANGE_LIMIT:
                chars.update(map(chr, range(value[0], value[1] + 1)))
            else:  # a negated class, a category such as \d, a wide range
                return None
        return frozenset(chars)
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
        low, _, sub = av
        return _needed(list(sub)) if low >= 1 else None
    if op is c.SUBPATTERN:
        return _needed(list(av[-1]))
    if op is c.ATOMIC_GROUP:
        return _needed(list(av))
    if op is c.BRANCH:
        branches = [_needed(list(branch)) for branch in av[1]]
        if any(branch is None for branch in branches):
            return None
        return frozenset().union(*branches)  # type: ignore[arg-type]
    return None  # anchors and lookarounds match no character; anything else is not looked into
