"""The static word vectors block: a sentence's known words' vectors (lowercased ``\\w+`` runs, in a ``VectorSet``)
summed and divided by the square root of their number (``engine.vectors.sentence_vectors``), times ``weight``:
what ``training.vectors.StaticVectorFeatures`` computes. The set is kept in two files beside ``model.json`` (or
among the sets that ship with factopinion), whose SHA-256 the block records; reading refuses files that do not
match. Scoring needs one number per word, the vector's dot product with the coefficients
(``engine.vectors.sentence_sums``); explanations show the block as one term, ``[word meanings]``.

Since format version 3 the block records those numbers (``scores``, computed by ``VectorSet.dot`` when the model is
exported): scoring then reads the set's words but not its vectors, whose ``.npy`` file is read, and checked, only
for explanations (``triplets``) or to save the set beside a model. A version 2 block, without them, computes them
from the vectors when it is read."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..analysis import Analysis, Dictionary
from ..fields import Fields, array_data
from ..vectors import VectorSet, sentence_sums, sentence_vectors
from .base import Block, TermSpans, Triplets


class StaticVectors(Block):
    """Dense features from static word vectors (see the module's docstring)."""

    kind = "static_vectors"
    format_version = 3
    term = "[word meanings]"

    def __init__(
        self,
        *,
        vectors: VectorSet,
        coef: np.ndarray,
        weight: float = 1.0,
        name: str = "dense",
        scores: np.ndarray | None = None,
    ):
        super().__init__(name, [f"[word meanings {i + 1}]" for i in range(vectors.dims)], coef, weight)
        self.vectors = vectors
        # each word's share of the log-odds, before the sentence's scale: as recorded, or computed
        self.scores = vectors.dot(self.coef) if scores is None else scores

    def lookups(self) -> Iterable[str]:
        return self.vectors.words

    def bind(self, dictionary: Dictionary) -> None:
        self.entry = dictionary.table(-1)  # id -> the word's row of the vectors
        self.entry[dictionary.ids(self.vectors.words)] = np.arange(len(self.vectors.words))

    def _known(self, batch: Analysis) -> tuple[np.ndarray, np.ndarray]:
        words = batch.words
        entries = self.entry[words.ids]
        hit = entries >= 0
        return words.rows[hit], entries[hit]

    def triplets(self, batch: Analysis) -> Triplets:
        rows, entries = self._known(batch)
        known = self.vectors.take(entries)  # the batch's words' vectors, not the whole set's
        dense = sentence_vectors(rows, np.arange(len(entries)), batch.size, known) * self.weight
        at, columns = np.nonzero(dense)
        return at.astype(np.intp), columns.astype(np.intp), dense[at, columns]

    def log_odds(self, batch: Analysis) -> np.ndarray:
        rows, entries = self._known(batch)
        return sentence_sums(rows, entries, batch.size, self.scores) * self.weight

    def spans(self, sentence: str) -> TermSpans:
        """None: the block's one term stands for all the sentence's known words together."""
        return {}

    def files(self) -> dict[str, bytes]:
        """The vector set's files, unless the very set ships with factopinion (found there)."""
        return {} if self.vectors.is_shipped else dict(self.vectors.files)

    def _data(self) -> dict:
        return {"vectors": self.vectors.name, "sha256": self.vectors.sha256, "scores": array_data(self.scores)}

    @classmethod
    def from_data(cls, fields: Fields) -> StaticVectors:
        name = fields.text("vectors")
        digests = Fields(fields.get("sha256", (dict,)), f"{fields.where}.sha256")
        recorded = "scores" in fields.data  # version 3: the vectors are read only where they are needed
        files = {f: digests.text(f) for f in (f"{name}.json", f"{name}.npy")}
        vectors = VectorSet.find(name, files, fields.folder, defer=recorded)
        return cls(
            vectors=vectors,
            coef=fields.array("coef", vectors.dims),
            weight=fields.number("weight", 1.0),
            name=fields.text("name"),
            scores=fields.array("scores", len(vectors.words)) if recorded else None,
        )
