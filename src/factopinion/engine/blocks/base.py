"""What every feature block is: its columns, coefficients and weight, its data in the model file, its
(row, column, value) triplets for an analysed batch, and where its terms occur in a sentence."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

import numpy as np

from ...errors import ModelError
from ..analysis import Analysis, Dictionary
from ..fields import Fields, array_data

EMPTY_INT = np.zeros(0, dtype=np.intp)
EMPTY_FLOAT = np.zeros(0)

TermSpans = dict[str, list[tuple[int, int]]]
# The (row, column, value) triplets of a batch's non-zero features, columns counted within the block.
Triplets = tuple[np.ndarray, np.ndarray, np.ndarray]


class Block:
    """One transformer's columns of the feature matrix. A subclass has a ``kind`` (its name in the file), reads and
    writes its data, names the strings it looks up (``lookups``) and builds its tables over the model's dictionary
    (``bind``), computes its (row, column, value) triplets for a batch, and says where its terms occur in a
    sentence. ``weight`` multiplies every value (the transformer's own weight times the feature union's)."""

    kind: ClassVar[str]
    signals: ClassVar[bool] = True  # whether the columns are signals ("[modal]") rather than word n-grams
    format_version: ClassVar[int] = 1  # the oldest model file version that holds this kind of block
    term: ClassVar[str | None] = None  # where set, explanations show the block's columns together as this one term

    def __init__(self, name: str, names: list[str], coef: np.ndarray, weight: float):
        if len(coef) != len(names):
            raise ModelError(f"{self.kind} block {name!r}: {len(coef)} coefficients for {len(names)} columns")
        self.name, self.names, self.coef, self.weight = name, names, np.asarray(coef, dtype=np.float64), weight

    def lookups(self) -> Iterable[str]:
        return ()

    def bind(self, dictionary: Dictionary) -> None:
        """Build the block's tables over ``dictionary`` (which holds every string of ``lookups``)."""

    def triplets(self, batch: Analysis) -> Triplets:
        raise NotImplementedError

    def log_odds(self, batch: Analysis) -> np.ndarray:
        """The block's share of each sentence's log-odds: ``sum(value * coef[column])`` over its triplets."""
        rows, columns, values = self.triplets(batch)
        return np.bincount(rows, values * self.coef[columns], minlength=batch.size)

    def files(self) -> dict[str, bytes]:
        """Files the block keeps beside ``model.json`` (name -> bytes)."""
        return {}

    def dense(self, sentences: Sequence[str]) -> np.ndarray:
        """The block's columns for ``sentences``, on its own (over a dictionary of its own lookups), as a dense
        array, a row per sentence: what its scikit-learn transformer returns. Binds the block."""
        dictionary = Dictionary(self.lookups())
        self.bind(dictionary)
        batch = Analysis(sentences, dictionary)
        rows, columns, values = self.triplets(batch)
        table = np.zeros((batch.size, len(self.names)))
        table[rows, columns] = values
        return table

    def spans(self, sentence: str) -> TermSpans:
        """Where each of the block's terms occurs in ``sentence``: term -> (start, end) offsets."""
        raise NotImplementedError

    def data(self) -> dict:
        """The block's JSON form (``from_data`` reads it back)."""
        data = {"kind": self.kind, "name": self.name, "weight": self.weight, **self._data()}
        return {**data, "coef": array_data(self.coef)}

    def _data(self) -> dict:
        raise NotImplementedError

    @classmethod
    def from_data(cls, fields: Fields) -> Block:
        raise NotImplementedError


class PairTable:
    """Two-word keys (pairs of dictionary ids) -> a row of values, looked up for many pairs at once."""

    def __init__(self, dictionary: Dictionary, firsts: np.ndarray, seconds: np.ndarray, values: np.ndarray):
        self.size = dictionary.size
        self.starts, self.ends = dictionary.table(False, bool), dictionary.table(False, bool)
        self.starts[firsts], self.ends[seconds] = True, True
        keys = firsts.astype(np.int64) * self.size + seconds
        order = np.argsort(keys, kind="stable")
        self.keys, self.values = keys[order], values[order]

    def find(self, firsts: np.ndarray, seconds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which of the pairs are keys (their indexes), and their values."""
        candidate = np.flatnonzero(self.starts[firsts] & self.ends[seconds])
        if not len(self.keys) or not len(candidate):
            return EMPTY_INT, self.values[:0]
        query = firsts[candidate].astype(np.int64) * self.size + seconds[candidate]
        at = np.minimum(np.searchsorted(self.keys, query), len(self.keys) - 1)
        hit = self.keys[at] == query
        return candidate[hit], self.values[at[hit]]


def dedup(rows: np.ndarray, columns: np.ndarray, width: int) -> Triplets:
    """The distinct (row, column) pairs, in row then column order, and how often each occurs."""
    if not len(rows):
        return EMPTY_INT, EMPTY_INT, EMPTY_INT
    keys = rows * width + columns
    keys.sort(kind="stable")  # quick here: the rows come in runs
    first = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    counts = np.diff(first, append=len(keys))
    distinct = keys[first]
    rows = distinct // width
    return rows, distinct - rows * width, counts
