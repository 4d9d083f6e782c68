"""The accelerated path for a batch's two common tokenisations and their dictionary ids: the project's token pattern
(``(?u)\\b\\w[\\w'’]*\\b|[?!]``) and the signals' words (``\\w+`` runs), both of the lowercased sentences.

The batch's sentences are joined into one UTF-8 buffer and scanned with NumPy (each byte classed as a word character, an
apostrophe or "?"/"!"; tokens are found from where the classes change). It gives exactly the reference path's tokens
(``re``), by construction, on the sentences it reads: those whose word characters are all ASCII, where Python's ``\\w``
is ``[0-9A-Za-z_]`` and every other character separates tokens (except "’", an apostrophe of the token pattern).
``ByteScan.unsafe`` lists the other sentences (a letter or digit beyond ASCII), which the caller tokenises with the
reference path.

The tokens' ids come from ``ByteIndex``, the dictionary as a hash table of its strings' UTF-8 bytes, NumPy only: each
token is read as 8-byte words straight from the buffer, hashed, found in the table and then compared with the entry it
found, length and every byte, so the ids are exactly the dictionary's (-1 for a token it does not hold), whatever the
hashes do. Used where a batch has at least ``MIN_BATCH`` sentences (a smaller one takes the regular expressions: the
scan's NumPy calls cost a fixed time per batch, and the table is built once per process, in some 15 ms).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

import numpy as np

# The project's token pattern, which this path reproduces (scikit-learn's default with apostrophes kept inside words,
# and "?" "!" as tokens of their own), of the lowercased sentences, accents kept; the training pipeline's too.
TOKEN_PATTERN = r"(?u)\b\w[\w'’]*\b|[?!]"
MIN_BATCH = 256

_WORD, _APOSTROPHE, _MARK = 1, 2, 3  # byte classes; 0 separates
_CLASSES = np.zeros(256, dtype=np.uint8)
_CLASSES[np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz", np.uint8)] = _WORD
_CLASSES[ord("'")] = _APOSTROPHE
_CLASSES[[ord("?"), ord("!")]] = _MARK
_APOSTROPHE_OR_MARK = np.zeros(4, dtype=bool)  # by byte class
_APOSTROPHE_OR_MARK[[_APOSTROPHE, _MARK]] = True
_MARKS = np.zeros(256, dtype=bool)  # ASCII punctuation and NUL: rare in text, so their places are kept
_MARKS[np.frombuffer(b"\0!\"#$%&'()*+,-./:;<=>?@[\\]^`{|}~", np.uint8)] = True
_RIGHT_QUOTE = np.frombuffer("’".encode(), np.uint8)  # E2 80 99: E2 only ever starts a character in UTF-8
# after the last sentence, so that a character's following bytes, and 8 bytes from any token's start, can be read
_PADDING = b"\0" * 8
# White space as ``str.split`` has it: in ASCII (tab, line breaks, the separators 0x1c-0x1f, space), and beyond
_SPACE = np.zeros(256, dtype=bool)
_SPACE[[code for code in range(128) if chr(code).isspace()]] = True
_WIDE_SPACES = np.array([0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000])


def usable(size: int) -> bool:
    """Whether a batch of ``size`` sentences takes this path."""
    return size >= MIN_BATCH


@functools.cache
def _unreadable(code: int) -> bool:
    """Whether the character ``code`` (beyond ASCII) is a word character for ``re`` (a lone surrogate is not: it is
    read, as three bytes that separate tokens)."""
    return re.match(r"\w", chr(code)) is not None


class ByteScan:
    """A batch's lowercased sentences as one buffer of UTF-8 bytes, each sentence followed by a newline, each byte
    classed; ``unsafe`` lists the sentences the scan cannot read (their tokens are dropped, for the reference path
    to give)."""

    def __init__(self, lowered: list[str]):
        self.size = len(lowered)
        lengths = np.fromiter(map(len, lowered), dtype=np.int64, count=self.size)
        self.ends = np.cumsum(lengths + 1) - 1  # where the newline after each sentence is (in bytes, once read)
        encoded = ("\n".join(lowered) + "\n").encode("utf-8", "surrogatepass") + _PADDING
        self.data = data = np.frombuffer(encoded, dtype=np.uint8)
        self.text = data[: len(data) - len(_PADDING)]  # the sentences' bytes, without the padding
        self.classes = _CLASSES.take(data)
        self.unsafe: list[int] = []
        self.leads = self.codes = np.empty(0, dtype=np.int64)
        self._marks: np.ndarray | None = None  # where the ASCII punctuation is (``_MARKS``), once asked for
        self._words: tuple[np.ndarray, np.ndarray] | None = None
        self._apostrophes_or_marks: list[int] | None = None
        if self.size and len(encoded) - len(_PADDING) > self.ends[-1] + 1:  # a character beyond ASCII
            self._read_beyond_ascii()

    def _read_beyond_ascii(self) -> None:
        data = self.data
        continuation = np.flatnonzero((data & 0xC0) == 0x80)  # the bytes after a character's first
        # the sentences' ends in bytes: each character offset plus the bytes of the characters before it
        self.ends += np.searchsorted(continuation - np.arange(len(continuation)), self.ends, side="right")
        lead = np.flatnonzero(data >= 0xC0)
        first = data[lead].astype(np.int64)
        b1, b2, b3 = ((data[lead + k] & 0x3F).astype(np.int64) for k in (1, 2, 3))
        code = np.where(
            first < 0xE0,
            (first & 0x1F) << 6 | b1,
            np.where(first < 0xF0, (first & 0x0F) << 12 | b1 << 6 | b2, (first & 0x07) << 18 | b1 << 12 | b2 << 6 | b3),
        )
        self.leads, self.codes = lead, code  # the characters beyond ASCII: where each starts, and what it is
        quote = lead[code == ord("’")]
        for k in range(3):
            self.classes[quote + k] = _APOSTROPHE
        bad = [c for c in np.unique(code).tolist() if _unreadable(c)]
        if bad:
            at = lead[np.isin(code, bad)]
            self.unsafe = self._rows_of(at)

    def words(self) -> tuple[np.ndarray, np.ndarray]:
        """The (start, stop) byte offsets of the runs of word characters, in order (found once: every
        tokenisation starts from them)."""
        if self._words is None:
            self._words = _runs(self.classes == _WORD)
        return self._words

    def spaced_words(self) -> tuple[np.ndarray, np.ndarray]:
        """The (start, stop) byte offsets of the runs of characters other than white space: the words
        ``str.split()`` gives, in order."""
        space = _SPACE.take(self.text)
        if len(self.codes):
            wide = np.isin(self.codes, _WIDE_SPACES)
            if wide.any():  # two bytes each below U+0800, three from there
                at, codes = self.leads[wide], self.codes[wide]
                space[at] = space[at + 1] = True
                space[at[codes >= 0x800] + 2] = True
        return _runs(~space)

    def tokens(self) -> tuple[np.ndarray, np.ndarray]:
        """The (start, stop) byte offsets of the token pattern's tokens, in order: each "?" and "!", and each run of
        word characters and apostrophes from its first word character to its last (runs of word characters with
        only apostrophes between them, joined)."""
        starts, stops = self.words()
        after = np.flatnonzero(self.classes[stops[:-1]] == _APOSTROPHE)  # runs followed by an apostrophe
        if len(after):
            apostrophes = np.flatnonzero(self.classes == _APOSTROPHE)
            gap_starts, gap_stops = stops[after], starts[after + 1]
            inside = np.searchsorted(apostrophes, gap_stops) - np.searchsorted(apostrophes, gap_starts)
            joined = after[inside == gap_stops - gap_starts]
            if len(joined):
                starts, stops = np.delete(starts, joined + 1), np.delete(stops, joined)
        marks = np.flatnonzero(self.classes == _MARK)
        if len(marks):
            at = np.searchsorted(starts, marks)
            starts, stops = np.insert(starts, at, marks), np.insert(stops, at, marks + 1)
        return starts, stops

    def words_with_inner_apostrophes(self) -> tuple[np.ndarray, np.ndarray]:
        """The (start, stop) byte offsets of the runs of word characters joined by single apostrophes ("it's",
        "rock’n’roll"): the matches of ``\\w+(?:['’]\\w+)*``, in order."""
        starts, stops = self.words()
        after = np.flatnonzero(self.classes[stops[:-1]] == _APOSTROPHE)  # runs followed by an apostrophe
        gap = starts[after + 1] - stops[after]
        joined = after[(gap == 1) | ((gap == len(_RIGHT_QUOTE)) & (self.data[stops[after]] == _RIGHT_QUOTE[0]))]
        return np.delete(starts, joined + 1), np.delete(stops, joined)

    def rows_with_apostrophes_or_marks(self) -> list[int]:
        """The sentences holding "'", "’", "?" or "!" (those whose tokens are not just their words), found once."""
        if self._apostrophes_or_marks is None:
            self._apostrophes_or_marks = self._rows_of(np.flatnonzero(_APOSTROPHE_OR_MARK.take(self.classes)))
        return self._apostrophes_or_marks

    def positions(self, byte: int) -> np.ndarray:
        """The offsets of ``byte`` in the sentences (not in the padding after them)."""
        return np.flatnonzero(self.text == byte)

    def rows_holding(self, characters: str) -> list[int]:
        """The sentences holding one of ``characters``."""
        return self._rows_of(self._holding(characters))

    def _holding(self, characters: str) -> np.ndarray:
        """The offsets of the characters of ``characters`` (of the first byte of those beyond ASCII): those in ASCII
        in order, then the others."""
        wanted = np.zeros(256, dtype=bool)
        wanted[np.frombuffer("".join(c for c in characters if c.isascii()).encode(), dtype=np.uint8)] = True
        if not (wanted & ~_MARKS).any():  # only marks: among the batch's marks, found once
            if self._marks is None:
                self._marks = np.flatnonzero(_MARKS.take(self.text))
            at = self._marks[wanted.take(self.data[self._marks])]
        else:
            at = np.flatnonzero(wanted.take(self.text))
        others = [ord(c) for c in characters if not c.isascii()]
        if others and len(self.codes):
            at = np.concatenate((at, self.leads[np.isin(self.codes, others)]))
        return at

    def quotation_marks(self, apostrophes: str, marks: str) -> list[int]:
        """The sentences holding one of ``marks``, or one of ``apostrophes`` that does not have a word character on
        both sides (an apostrophe inside a word, as in "it's", is not a quotation mark); for sentences that are not
        ``unsafe`` (where a word character is an ASCII one)."""
        at = self._holding(apostrophes)
        before, after = at - 1, at + np.where(self.data[at] < 0x80, 1, 3)  # (those beyond ASCII: three bytes)
        inside = (before >= 0) & (self.classes[np.maximum(before, 0)] == _WORD) & (self.classes[after] == _WORD)
        return self._rows_of(np.concatenate((self._holding(marks), at[~inside])))

    def _rows_of(self, at: np.ndarray) -> list[int]:
        """The sentences the byte offsets ``at`` (in any order) are in, each once, in order."""
        holding = np.zeros(self.size + 1, dtype=bool)  # (+1: an offset in the padding, past the last sentence)
        holding[np.searchsorted(self.ends, at)] = True
        return np.flatnonzero(holding[: self.size]).tolist()

    def rows(self, starts: np.ndarray) -> np.ndarray:
        """The sentence of each byte offset of ``starts`` (in order)."""
        return np.repeat(np.arange(self.size, dtype=np.intp), self.counts(starts))

    def counts(self, starts: np.ndarray) -> np.ndarray:
        """How many of the byte offsets ``starts`` (in order) each sentence holds."""
        return np.diff(np.searchsorted(starts, self.ends), prepend=0)

    def look_up(self, starts: np.ndarray, stops: np.ndarray, index: ByteIndex) -> np.ndarray:
        """The ids of the tokens at ``starts``..``stops`` in ``index``, -1 where unknown."""
        return index.ids_of(self.data, starts, stops)


def _runs(inside: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (start, stop) offsets of the runs of True in ``inside``, in order."""
    change = np.flatnonzero(np.diff(inside, prepend=False, append=False))
    return change[0::2], change[1::2]


# Each folds a string's further 8-byte words into its hash: the first that gives a dictionary distinct hashes is used.
_MIXES = tuple(np.uint64(m) for m in (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xFF51AFD7ED558CCD))
_SPREAD = np.uint64(0xD6E8FEB86659FD93)  # spreads a hash over the table's slots (multiplicative hashing)
_KEEP = np.array([(1 << (8 * n)) - 1 for n in range(8)] + [(1 << 64) - 1], dtype=np.uint64)  # the first n bytes


class ByteIndex:
    """A dictionary (string -> id) as an open-addressing hash table of its strings' UTF-8 bytes, for looking up a
    buffer's tokens all at once with NumPy (``ids_of``). Exact: a token gets an entry's id only where the entry has
    its length and every one of its bytes."""

    def __init__(self, index: Mapping[str, int]):
        encoded = [string.encode("utf-8", "surrogatepass") for string in index]
        self.ids = np.fromiter(index.values(), dtype=np.intp, count=len(encoded))
        self.lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
        self.longest = max(map(len, encoded), default=0)  # bytes of the longest string
        self.width = max(1, -(-self.longest // 8))  # 8-byte words in it
        padded = b"".join(string.ljust(8 * self.width, b"\0") for string in encoded)
        words = np.frombuffer(padded, dtype="<u8").reshape(len(encoded), self.width)
        self.words = [np.ascontiguousarray(words[:, k]) for k in range(self.width)]
        longer = [np.flatnonzero(self.lengths > 8 * k) for k in range(1, self.width)]
        further = [(strings, self.words[k][strings]) for k, strings in enumerate(longer, start=1)]
        for self.mix in _MIXES:  # strings of up to 8 bytes are their own hash; longer ones could, very rarely, collide
            self.hashes = _hashes(self.words[0], further, self.mix)
            if len(np.unique(self.hashes)) == len(self.hashes):
                break
        else:  # pragma: no cover - some 1e-11 for each of the mixes on a dictionary of 30,000 strings
            raise ValueError("the dictionary's strings have the same hash under every mix")
        bits = max(8, (4 * len(encoded)).bit_length())  # a quarter full at most: most look-ups take one probe
        self.shift, self.slots = np.uint64(64 - bits), (1 << bits) - 1
        self.table = np.full(1 << bits, -1, dtype=np.int32)  # slot -> entry, -1 for an empty slot
        self.probes = 0  # the furthest any entry is from its slot: a look-up probes no further
        for entry, slot in enumerate(self._slots(self.hashes).tolist()):
            step = 0
            while self.table[(slot + step) & self.slots] != -1:
                step += 1
            self.table[(slot + step) & self.slots] = entry
            self.probes = max(self.probes, step)
        # each slot's entry's hash, beside it; an empty slot's is 0, and a search that ends there finds nothing, the
        # hash matching or not (its entry is -1)
        self.slot_hashes = np.zeros(len(self.table), dtype=np.uint64)
        occupied = self.table >= 0
        self.slot_hashes[occupied] = self.hashes[self.table[occupied]]

    def _slots(self, hashes: np.ndarray) -> np.ndarray:
        return ((hashes * _SPREAD) >> self.shift).astype(np.intp)

    def ids_of(self, data: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
        """The ids of the byte strings ``data[start:stop]`` (``data`` followed by at least 7 more bytes), -1 for
        those the dictionary does not hold."""
        if not len(self.ids):  # an empty dictionary holds nothing
            return np.full(len(starts), -1, dtype=np.intp)
        words = np.ndarray(shape=(len(data) - 7,), dtype="<u8", buffer=data, strides=(1,))  # 8 bytes from each
        lengths = stops - starts
        first = words.take(starts) & _KEEP[np.minimum(lengths, 8)]
        further = []  # (tokens, their k-th word) for k = 1, 2, ...: the longer tokens' further words
        longer = np.flatnonzero(lengths > 8)
        for k in range(1, self.width):
            if not len(longer):
                break
            further.append((longer, words.take(starts[longer] + 8 * k) & _KEEP[np.minimum(lengths[longer] - 8 * k, 8)]))
            longer = longer[lengths[longer] > 8 * (k + 1)]
        hashes = _hashes(first, further, self.mix)
        slots = self._slots(hashes)
        entries = self.table.take(slots).astype(np.intp)  # the first probe, for every token at once
        hit = self.slot_hashes.take(slots) == hashes
        todo = np.flatnonzero(~hit & (entries >= 0))  # an empty slot ends a search
        entries[~hit] = -1
        for step in range(1, self.probes + 1):
            if not len(todo):
                break
            entry = self.table.take((slots[todo] + step) & self.slots)
            hit = self.slot_hashes.take((slots[todo] + step) & self.slots) == hashes[todo]
            entries[todo[hit]] = entry[hit]
            todo = todo[~hit & (entry >= 0)]
        at = np.maximum(entries, 0)
        same = (entries >= 0) & (self.lengths.take(at) == lengths) & (self.words[0].take(at) == first)
        for k, (tokens, word) in enumerate(further, start=1):
            same[tokens] &= self.words[k].take(at[tokens]) == word
        return np.where(same, self.ids.take(at), -1)


def _hashes(first: np.ndarray, further: list[tuple[np.ndarray, np.ndarray]], mix: np.uint64) -> np.ndarray:
    """Each string's hash from its first 8-byte word and its further words (the strings that have a k-th word, and
    that word, for k = 1, 2, ...)."""
    hashes = first.copy()
    for strings, word in further:
        hashes[strings] = hashes[strings] * mix + word
    return hashes
