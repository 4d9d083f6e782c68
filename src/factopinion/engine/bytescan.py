"""The accelerated path for a batch's two common tokenisations and their dictionary ids: the project's token pattern
(``(?u)\\b\\w[\\w'’]*\\b|[?!]``) and the signals' words (``\\w+`` runs), both of the lowercased sentences.

The batch's sentences are joined into one UTF-8 buffer and scanned with NumPy (each byte classed as a word character, an
apostrophe or "?"/"!"; tokens are found from where the classes change); the batch's distinct tokens are then found by
Arrow's hash (``dictionary_encode``), and only those are looked up in the dictionary (Arrow's ``index_in`` would hash
the whole dictionary at every call: about 1.7 ms, more than a batch of 500 sentences' whole lookup). It gives exactly
the reference path's tokens (``re``), by construction, on the sentences it reads: those whose word characters are all
ASCII, where Python's ``\\w`` is ``[0-9A-Za-z_]`` and every other character separates tokens (except "’", an apostrophe
of the token pattern). ``ByteScan.unsafe`` lists the other sentences (a letter or digit beyond ASCII), which the caller
tokenises with the reference path. Used where pyarrow is installed and a batch has at least ``MIN_BATCH`` sentences
(below that, importing Arrow costs more than it saves).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Mapping
from types import ModuleType

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
_RIGHT_QUOTE = np.frombuffer("’".encode(), np.uint8)  # E2 80 99: E2 only ever starts a character in UTF-8
_PADDING = b"\0\0\0"  # after the last sentence, so that a character's following bytes can always be read


@functools.cache
def arrow() -> ModuleType | None:
    """``pyarrow`` where it is installed, else None (the reference path is used)."""
    try:
        import pyarrow
        import pyarrow.compute  # noqa: F401 - index_in
    except ImportError:  # pragma: no cover - pyarrow is in the test extra
        return None
    return pyarrow


def usable(size: int) -> bool:
    """Whether a batch of ``size`` sentences takes this path."""
    return size >= MIN_BATCH and arrow() is not None


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
        self.classes = _CLASSES.take(data)
        self.unsafe: list[int] = []
        self.leads = self.codes = np.empty(0, dtype=np.int64)
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
        """The (start, stop) byte offsets of the runs of word characters, in order."""
        word = np.concatenate(([False], self.classes == _WORD, [False]))
        change = np.flatnonzero(word[1:] != word[:-1])
        return change[0::2], change[1::2]

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
        """The sentences holding "'", "’", "?" or "!" (those whose tokens are not just their words)."""
        return self._rows_of(np.flatnonzero((self.classes == _APOSTROPHE) | (self.classes == _MARK)))

    def rows_holding(self, characters: str) -> list[int]:
        """The sentences holding one of ``characters``."""
        ascii_bytes = np.frombuffer("".join(c for c in characters if c.isascii()).encode(), dtype=np.uint8)
        at = np.flatnonzero(np.isin(self.data[: len(self.data) - len(_PADDING)], ascii_bytes))
        others = [ord(c) for c in characters if not c.isascii()]
        if others and len(self.codes):
            at = np.concatenate((at, self.leads[np.isin(self.codes, others)]))
        return self._rows_of(at)

    def _rows_of(self, at: np.ndarray) -> list[int]:
        """The sentences the byte offsets ``at`` are in, each once, in order."""
        return np.unique(np.searchsorted(self.ends, at)).tolist()

    def rows(self, starts: np.ndarray) -> np.ndarray:
        """The sentence of each byte offset of ``starts`` (in order)."""
        counts = np.diff(np.searchsorted(starts, self.ends), prepend=0)
        return np.repeat(np.arange(self.size, dtype=np.intp), counts)

    def look_up(self, starts: np.ndarray, stops: np.ndarray, index: Mapping[str, int]) -> np.ndarray:
        """The ids of the tokens at ``starts``..``stops`` in ``index`` (string -> id), -1 where unknown."""
        pa = arrow()
        assert pa is not None
        lengths = stops - starts
        offsets = np.zeros(len(starts) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        at = np.arange(offsets[-1], dtype=np.int64) - np.repeat(offsets[:-1] - starts, lengths)
        strings = pa.Array.from_buffers(
            pa.large_string(), len(starts), [None, pa.py_buffer(offsets), pa.py_buffer(self.data[at])]
        )
        # the system allocator: the memory goes back as the labeling workers' allocator is tuned to (lean_memory)
        encoded = pa.compute.dictionary_encode(strings, memory_pool=pa.system_memory_pool())
        distinct = encoded.dictionary.to_pylist()
        ids = np.fromiter(map(index.get, distinct, itertools.repeat(-1)), dtype=np.intp, count=len(distinct))
        return ids[encoded.indices.to_numpy()]
