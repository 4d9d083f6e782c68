"""The model as data: a linear model's whole behaviour (vocabulary, IDF weights, coefficients, the settings of its
signals) in one JSON file, ``model.json``, scored with the standard library and NumPy only.

A model is an intercept and a list of feature blocks, one per transformer of the trained pipeline (``export``
writes them), one module per kind under ``blocks/``: TF-IDF word n-grams, stylistic, lexicon and voice signals,
static word vectors (kept in files of their own beside ``model.json``, whose SHA-256 it records). Each
block computes its columns of the feature matrix for a batch of sentences as (row, column, value) triplets, and its
coefficients weigh them::

    log_odds = intercept + sum over blocks of sum(value * coef[column])

The same triplets give the score and, term by term, its explanation (``explain``). A batch is analysed once for
every block (``analysis.Analysis``): each sentence is lowercased once and tokenised once, and the signals' words
come from the TF-IDF tokens. Reading a file cannot run code: it is JSON, checked against the SHA-256 it records,
and every value is validated before use (``fields``); anything wrong is one ``ModelError``.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError
from .analysis import Analysis, Dictionary
from .blocks.base import EMPTY_FLOAT, EMPTY_INT, Block, TermSpans
from .blocks.lexicon import LexiconSignals
from .blocks.style import StyleSignals
from .blocks.tfidf import TfidfWords
from .blocks.vectors import StaticVectors
from .blocks.voice import VoiceSignals
from .fields import Fields

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "DATA_FILE",
    "Analysis",
    "BatchReader",
    "Block",
    "TfidfWords",
    "StyleSignals",
    "LexiconSignals",
    "VoiceSignals",
    "BLOCKS",
    "Features",
    "LinearScorer",
    "read_scorer",
    "sigmoid",
]

FORMAT = "factopinion-model"
FORMAT_VERSION = 3  # the newest version this reads and writes; a model is written with the oldest that holds it
DATA_FILE = "model.json"
# Sentences scored at a time, to bound memory: at most this many, and at most about this many characters (a
# batch's analysis takes some 40 bytes per character, so a few long cells, such as whole articles, fill it: a
# quarter of a million characters keep it near 10 MiB in each worker, and batches that size score as fast).
_CHUNK = 10_000
_CHUNK_CHARS = 1 << 18


def sigmoid(log_odds: np.ndarray) -> np.ndarray:
    """The probability for each log-odds, without overflow at either end."""
    z = np.asarray(log_odds, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


BLOCKS: dict[str, type[Block]] = {
    cls.kind: cls for cls in (TfidfWords, StyleSignals, LexiconSignals, VoiceSignals, StaticVectors)
}


# -- the model -----------------------------------------------------------------------------------------------------


class Features:
    """A batch's non-zero features: ``rows``, ``columns`` (of the whole model) and ``values``, row by row."""

    def __init__(self, size: int, rows: np.ndarray, columns: np.ndarray, values: np.ndarray):
        order = np.argsort(rows, kind="stable")
        self.size, self.rows, self.columns, self.values = size, rows[order], columns[order], values[order]
        self.bounds = np.searchsorted(self.rows, np.arange(size + 1))

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.bounds[i], self.bounds[i + 1]
        return self.columns[lo:hi], self.values[lo:hi]


BatchReader = Callable[[int, Analysis], object]  # called with each scored batch: its first sentence's index, itself


class LinearScorer:
    """A linear fact/opinion model as data: ``intercept`` plus the blocks' weighted features is the log-odds of
    opinion. ``about`` is what the file records of where it came from (the pickled pipeline's SHA-256, versions)."""

    def __init__(self, blocks: list[Block], intercept: float, classes: Sequence[str], about: dict | None = None):
        self.blocks, self.intercept, self.classes = blocks, float(intercept), list(classes)
        self.about = about or {}
        self.offsets = np.cumsum([0] + [len(b.names) for b in blocks]).tolist()
        self.names = [name for block in blocks for name in block.names]
        self.coef = np.concatenate([b.coef for b in blocks]) if blocks else EMPTY_FLOAT
        self.dictionary = Dictionary(chain.from_iterable(block.lookups() for block in blocks))
        for block in blocks:
            block.bind(self.dictionary)
        sources = [b.tokenizer for b in blocks if isinstance(b, TfidfWords) and b.tokenizer.special is not None]
        self._word_source = sources[0] if sources else None

    # scoring

    def _batch(self, sentences: Sequence[str]) -> Analysis:
        return Analysis(sentences, self.dictionary, self._word_source)

    def log_odds(self, sentences: Sequence[str], each_batch: BatchReader | None = None) -> np.ndarray:
        """The log-odds of opinion of each sentence. ``each_batch`` is called with the index of each batch's first
        sentence and its ``Analysis``, once the batch is scored, to read more from it (``Analysis.split_words``)."""
        sentences = list(sentences)
        out = np.empty(len(sentences))
        with _no_cyclic_gc():  # a batch makes millions of objects and no cycles: the collector would only scan them
            for lo, hi in _batches(sentences):
                batch = self._batch(sentences[lo:hi])
                z = np.zeros(batch.size)
                for block in self.blocks:
                    z += block.log_odds(batch)
                out[lo:hi] = z + self.intercept
                if each_batch is not None:
                    each_batch(lo, batch)
        return out

    def opinion_probability(self, sentences: Sequence[str], each_batch: BatchReader | None = None) -> np.ndarray:
        return sigmoid(self.log_odds(sentences, each_batch))

    def predict_proba(self, sentences: Sequence[str]) -> np.ndarray:
        """Class probabilities, columns in ``classes`` order (fact, opinion), as scikit-learn's ``predict_proba``."""
        p = self.opinion_probability(sentences)
        return np.column_stack([1.0 - p, p])

    # explaining

    def features(self, sentences: Sequence[str]) -> Features:
        """The non-zero features of each sentence (what ``log_odds`` weighs), for explanations."""
        batch = self._batch(sentences)
        parts = [block.triplets(batch) for block in self.blocks]
        return Features(
            batch.size,
            np.concatenate([rows for rows, _, _ in parts] + [EMPTY_INT]),
            np.concatenate(
                [columns + offset for (_, columns, _), offset in zip(parts, self.offsets, strict=False)] + [EMPTY_INT]
            ),
            np.concatenate([values for _, _, values in parts] + [EMPTY_FLOAT]),
        )

    def spans(self, sentence: str) -> TermSpans:
        """Where each term of the model occurs in ``sentence``: term -> (start, end) offsets."""
        found: TermSpans = {}
        for block in self.blocks:
            found.update(block.spans(sentence))
        return found

    @functools.cached_property
    def words(self) -> frozenset[str]:
        """The single words among its word terms (the English vocabulary it was trained on)."""
        return frozenset(term for block in self.blocks if block.kind == "tfidf_words" for term in block.names
                         if " " not in term)  # fmt: skip

    @property
    def signal_names(self) -> list[str]:
        """The names of the signals (a block shown as one term, such as the dense features, by that term)."""
        return [name for b in self.blocks if b.signals for name in ([b.term] if b.term else b.names)]

    # the file

    def to_json(self, about: Mapping[str, Any] | None = None) -> bytes:
        """The model file's bytes: a header (format, version, the SHA-256 of the model's bytes), then the model."""
        body = {
            "classes": self.classes,
            "intercept": self.intercept,
            "blocks": [block.data() for block in self.blocks],
            "about": dict(about if about is not None else self.about),
        }
        encoded = json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
        version = max([1] + [block.format_version for block in self.blocks])
        return _header(hashlib.sha256(encoded).hexdigest(), version) + encoded + b"}\n"

    def files(self) -> dict[str, bytes]:
        """The files the model keeps beside its ``model.json`` (name -> bytes): its word vectors, where they do not
        ship with factopinion."""
        return {name: data for block in self.blocks for name, data in block.files().items()}

    @classmethod
    def from_json(cls, raw: bytes, where: str = DATA_FILE, folder: Path | None = None) -> LinearScorer:
        """Read a model file's bytes; a ``ModelError`` for anything but a valid, intact model of this format (any
        version up to ``FORMAT_VERSION``). ``folder`` is where the file is, for the files a block keeps beside it."""
        try:
            document = json.loads(raw)
        except (ValueError, RecursionError) as err:
            raise ModelError(f"{where}: not a factopinion model file (not JSON: {err})") from None
        header = Fields(document, where)
        if document.get("format") != FORMAT:
            raise ModelError(f"{where}: not a factopinion model file (format {document.get('format')!r})")
        version = header.get("format_version", (int,))
        if version not in range(1, FORMAT_VERSION + 1):
            raise ModelError(
                f"{where}: model file format version {version}; this factopinion reads versions 1 to {FORMAT_VERSION}"
            )
        digest = header.text("sha256")
        prefix = _header(digest, version)
        if not (raw.startswith(prefix) and raw.endswith(b"}\n")) or (
            hashlib.sha256(raw[len(prefix) : -2]).hexdigest() != digest
        ):
            raise ModelError(f"{where}: the model does not match the SHA-256 it records (damaged or edited)")
        body = Fields(header.get("model", (dict,)), f"{where}: model", folder)
        blocks = []
        for fields in body.objects("blocks"):
            kind = fields.text("kind")
            if kind not in BLOCKS:
                raise ModelError(f"{fields.where}: unknown feature block kind {kind!r}")
            try:
                blocks.append(BLOCKS[kind].from_data(fields))
            except ModelError as err:
                raise ModelError(f"{where}: {err}") from None
        classes = body.strings("classes")
        about = body.get("about", (dict,), {})
        return cls(blocks, body.number("intercept"), classes, about)


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """The cyclic garbage collector off for the block (reference counting still frees everything), as it was
    after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _batches(sentences: list[str]) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of consecutive batches of at most ``_CHUNK`` sentences and about ``_CHUNK_CHARS``
    characters (a single longer sentence is a batch of its own)."""
    lo, chars = 0, 0
    for i, sentence in enumerate(sentences):
        chars += len(sentence)
        if i > lo and (i - lo >= _CHUNK or chars > _CHUNK_CHARS):
            yield lo, i
            lo, chars = i, len(sentence)
    if lo < len(sentences):
        yield lo, len(sentences)


def _header(digest: str, version: int) -> bytes:
    return f'{{"format":"{FORMAT}","format_version":{version},"sha256":"{digest}","model":'.encode()


MAX_MODEL_BYTES = 256 * 2**20  # the shipped model.json is 0.6 MB; a model a thousand times larger still fits
_HEADER_START = f'{{"format":"{FORMAT}",'.encode()


def read_model_bytes(path: Path, *, start: bytes = b"", limit: int | None = None) -> bytes:
    """The bytes of a model file: a ``ModelError`` where it is missing or unreadable, or over ``limit`` bytes
    (``MAX_MODEL_BYTES`` by default). With ``start``, a file longer than 4 KiB must begin with it, checked before
    the rest is read (a shorter one is read whole, for the parser to say what is wrong with it)."""
    limit = MAX_MODEL_BYTES if limit is None else limit
    try:
        with open(path, "rb") as f:
            raw = f.read(4096)
            if len(raw) == 4096 and not raw.startswith(start):
                raise ModelError(f"{path}: not a factopinion model file (it does not start as one)")
            raw += f.read(limit + 1 - len(raw))
    except FileNotFoundError:
        raise ModelError(f"{path}: no such model file") from None
    except OSError as err:
        raise ModelError(f"{path}: cannot read it ({err.strerror or err})") from None
    if len(raw) > limit:
        raise ModelError(f"{path}: over {limit:,} bytes, more than a model file holds; not read further")
    return raw


def read_scorer(path: str | Path) -> LinearScorer:
    """Read the model file at ``path`` (a ``model.json``)."""
    path = Path(path)
    return LinearScorer.from_json(read_model_bytes(path, start=_HEADER_START), str(path), path.parent)
