"""The model as data: a linear model's whole behaviour (vocabulary, IDF weights, coefficients, the settings of its
signals) in one JSON file, ``model.json``, scored with the standard library and NumPy only.

A model is an intercept and a list of feature blocks, one per transformer of the trained pipeline (``export``
writes them): TF-IDF word n-grams, stylistic signals, lexicon signals. Each block computes its columns of the
feature matrix for a batch of sentences as (row, column, value) triplets, and its coefficients weigh them::

    log_odds = intercept + sum over blocks of sum(value * coef[column])

The same triplets give the score and, term by term, its explanation (``explain``). A batch is analysed once for
every block (``Batch``): each sentence is lowercased once and tokenised once, and the signals' words come from the
TF-IDF tokens. Reading a file cannot run code: it is JSON, checked against the SHA-256 it records, and every value
is validated before use; anything wrong is one ``ModelError``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import chain, count, repeat
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..errors import ModelError

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "DATA_FILE",
    "Batch",
    "Block",
    "TfidfWords",
    "StyleSignals",
    "LexiconSignals",
    "BLOCKS",
    "Features",
    "LinearScorer",
    "read_scorer",
    "sigmoid",
]

FORMAT = "factopinion-model"
FORMAT_VERSION = 1
DATA_FILE = "model.json"
_CHUNK = 10_000  # sentences scored at a time, to bound memory
_EMPTY_INT = np.zeros(0, dtype=np.intp)
_EMPTY_FLOAT = np.zeros(0)

Spans = dict[str, list[tuple[int, int]]]
# The (row, column, value) triplets of a batch's non-zero features, columns counted within the block.
Triplets = tuple[np.ndarray, np.ndarray, np.ndarray]


def sigmoid(log_odds: np.ndarray) -> np.ndarray:
    """The probability for each log-odds, without overflow at either end."""
    z = np.asarray(log_odds, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# -- reading values ------------------------------------------------------------------------------------------------


class _Fields:
    """A JSON object's fields, each checked for its type as it is read; a wrong one is a ``ModelError`` naming it."""

    def __init__(self, data: Any, where: str):
        if not isinstance(data, dict):
            raise ModelError(f"{where}: expected an object, found {type(data).__name__}")
        self.data, self.where = data, where

    def get(self, key: str, kinds: tuple[type, ...], default: Any = ...) -> Any:
        """The field ``key``, one of ``kinds``; ``default`` where it is missing (or null, for a default of None)."""
        value = self.data.get(key)
        if value is None and (key not in self.data or default is None):
            if default is ...:
                raise ModelError(f"{self.where}: {key!r} is missing")
            return default
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise ModelError(f"{self.where}: {key!r} has the wrong type ({type(value).__name__})")
        return value

    def text(self, key: str, default: Any = ...) -> Any:
        return self.get(key, (str,), default)

    def number(self, key: str, default: Any = ...) -> float:
        value = float(self.get(key, (int, float), default))
        if not np.isfinite(value):
            raise ModelError(f"{self.where}: {key!r} is not a finite number")
        return value

    def strings(self, key: str, default: Any = ...) -> Any:
        value = self.get(key, (list,), default)
        if value is not None and not set(map(type, value)) <= {str}:
            raise ModelError(f"{self.where}: {key!r} must be a list of strings")
        return value

    def objects(self, key: str) -> list[_Fields]:
        return [_Fields(item, f"{self.where}.{key}[{i}]") for i, item in enumerate(self.get(key, (list,)))]

    def array(self, key: str, size: int, *, finite: bool = True) -> np.ndarray:
        """A float64 array stored as ``{"dtype": "<f8", "base64": ...}`` (exact, and quick to read)."""
        field = _Fields(self.get(key, (dict,)), f"{self.where}.{key}")
        if field.text("dtype") != "<f8":
            raise ModelError(f"{field.where}: unsupported dtype {field.data['dtype']!r} (expected '<f8')")
        try:
            raw = base64.b64decode(field.text("base64"), validate=True)
        except ValueError:
            raise ModelError(f"{field.where}: not valid base64") from None
        if len(raw) != 8 * size:
            raise ModelError(f"{field.where}: {len(raw) // 8} values where {size} are needed")
        values = np.frombuffer(raw, dtype="<f8").astype(np.float64)
        if np.isinf(values).any() or finite and np.isnan(values).any():
            raise ModelError(f"{field.where}: values must be finite numbers{'' if finite else ' or NaN'}")
        return values


def _array(values: np.ndarray) -> dict:
    return {"dtype": "<f8", "base64": base64.b64encode(np.asarray(values, dtype="<f8").tobytes()).decode("ascii")}


_FLAGS = re.IGNORECASE | re.MULTILINE | re.DOTALL | re.UNICODE | re.VERBOSE | re.ASCII  # not DEBUG, LOCALE


def _compile(pattern: str, flags: int, where: str) -> re.Pattern[str]:
    if flags & ~_FLAGS:
        raise ModelError(f"{where}: unsupported regular expression flags {flags}")
    try:
        return re.compile(pattern, flags)
    except (re.error, ValueError, TypeError, OverflowError) as err:
        raise ModelError(f"{where}: not a valid regular expression ({err})") from None


# -- the model's dictionary, and a batch of sentences analysed once ------------------------------------------------

_WORD = re.compile(r"\w+")  # the signals' words: runs of word characters of the lowercased sentence
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


_STRIP_ACCENTS: dict[str | None, Callable[[str], str] | None] = {
    None: None,
    "unicode": _strip_accents_unicode,
    "ascii": _strip_accents_ascii,
}


class _Tokenizer:
    """A TF-IDF block's tokenisation: lowercase, strip accents, then every match of the token pattern (its group,
    if it has one), as scikit-learn's word analyzer does."""

    def __init__(self, pattern: re.Pattern[str], lowercase: bool, strip_accents: str | None):
        self.pattern, self.lowercase, self.strip_accents = pattern, lowercase, strip_accents
        self.accents = _STRIP_ACCENTS[strip_accents]
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
        to_original = _offset_map(sentence, processed, self.preprocess)
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


def _offset_map(original: str, processed: str, preprocess: Callable[[str], str]) -> Sequence[int] | None:
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


class Batch:
    """The sentences of one scoring call and what the blocks read from them, each computed once: the lowercased
    sentences, their tokens under each tokenisation, and the signals' words (lowercased ``\\w+`` runs). With the
    project's token pattern, the tokens of a sentence without an apostrophe, "?" or "!" are its words, so one
    tokenisation gives both."""

    def __init__(self, sentences: Sequence[str], dictionary: Dictionary, word_source: _Tokenizer | None = None):
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

    def tokens(self, tokenizer: _Tokenizer) -> Tokens:
        """Every sentence's tokens under ``tokenizer`` (before stop words are dropped)."""
        found = self._tokens.get(tokenizer.key)
        if found is None:
            findall = tokenizer.pattern.findall
            if tokenizer.special is not None:
                special, words = tokenizer.special.search, _WORD.findall
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
                self._words = Tokens.of([_WORD.findall(s) for s in lowered], self.dictionary)
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
                    rest = Tokens.of([_WORD.findall(lowered[i]) for i in others], self.dictionary, others)
                    self._words = Tokens(
                        np.concatenate([tokens.ids[kept], rest.ids]), np.concatenate([tokens.rows[kept], rest.rows])
                    )
        return self._words


# -- feature blocks ------------------------------------------------------------------------------------------------


class Block:
    """One transformer's columns of the feature matrix. A subclass has a ``kind`` (its name in the file), reads and
    writes its data, names the strings it looks up (``lookups``) and builds its tables over the model's dictionary
    (``bind``), computes its (row, column, value) triplets for a batch, and says where its terms occur in a
    sentence. ``weight`` multiplies every value (the transformer's own weight times the feature union's)."""

    kind: ClassVar[str]
    signals: ClassVar[bool] = True  # whether the columns are signals ("[modal]") rather than word n-grams

    def __init__(self, name: str, names: list[str], coef: np.ndarray, weight: float):
        if len(coef) != len(names):
            raise ModelError(f"{self.kind} block {name!r}: {len(coef)} coefficients for {len(names)} columns")
        self.name, self.names, self.coef, self.weight = name, names, np.asarray(coef, dtype=np.float64), weight

    def lookups(self) -> Iterable[str]:
        return ()

    def bind(self, dictionary: Dictionary) -> None:
        """Build the block's tables over ``dictionary`` (which holds every string of ``lookups``)."""

    def triplets(self, batch: Batch) -> Triplets:
        raise NotImplementedError

    def spans(self, sentence: str) -> Spans:
        """Where each of the block's terms occurs in ``sentence``: term -> (start, end) offsets."""
        raise NotImplementedError

    def data(self) -> dict:
        """The block's JSON form (``from_data`` reads it back)."""
        return {"kind": self.kind, "name": self.name, "weight": self.weight, **self._data(), "coef": _array(self.coef)}

    def _data(self) -> dict:
        raise NotImplementedError

    @classmethod
    def from_data(cls, fields: _Fields) -> Block:
        raise NotImplementedError


class _PairTable:
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
            return _EMPTY_INT, self.values[:0]
        query = firsts[candidate].astype(np.int64) * self.size + seconds[candidate]
        at = np.minimum(np.searchsorted(self.keys, query), len(self.keys) - 1)
        hit = self.keys[at] == query
        return candidate[hit], self.values[at[hit]]


def _dedup(rows: np.ndarray, columns: np.ndarray, width: int) -> Triplets:
    """The distinct (row, column) pairs, in row then column order, and how often each occurs."""
    if not len(rows):
        return _EMPTY_INT, _EMPTY_INT, _EMPTY_INT
    keys = rows * width + columns
    keys.sort(kind="stable")  # quick here: the rows come in runs
    first = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    counts = np.diff(first, append=len(keys))
    distinct = keys[first]
    rows = distinct // width
    return rows, distinct - rows * width, counts


class TfidfWords(Block):
    """scikit-learn's ``TfidfVectorizer`` (word analyzer): tokens of the token pattern after lowercasing and accent
    stripping, stop words dropped, n-grams (words joined by spaces) looked up in the vocabulary; the counts, binary
    or ``1 + log`` (``sublinear_tf``), times the IDF weights, then each row divided by its l2 or l1 norm.

    Unigrams and bigrams are found from the tokens' dictionary ids (a bigram term is a pair of ids, registered at
    each of its spaces, so a token holding a space still matches as scikit-learn's joined string would); longer
    n-grams are joined and looked up as strings."""

    kind = "tfidf_words"
    signals = False

    def __init__(
        self,
        *,
        terms: list[str],
        idf: np.ndarray | None,
        coef: np.ndarray,
        token_pattern: str,
        ngram_range: tuple[int, int] = (1, 1),
        lowercase: bool = True,
        strip_accents: str | None = None,
        stop_words: Iterable[str] | None = None,
        binary: bool = False,
        sublinear_tf: bool = False,
        norm: str | None = "l2",
        weight: float = 1.0,
        flags: int = 0,
        name: str = "words",
    ):
        super().__init__(name, terms, coef, weight)
        where = f"tfidf_words block {name!r}"
        pattern = _compile(token_pattern, flags, where)
        if pattern.groups > 1:
            raise ModelError(f"{where}: a token pattern with more than one group")
        if strip_accents not in _STRIP_ACCENTS or norm not in ("l1", "l2", None):
            raise ModelError(f"{where}: unknown strip_accents {strip_accents!r} or norm {norm!r}")
        if not (1 <= ngram_range[0] <= ngram_range[1]):
            raise ModelError(f"{where}: bad n-gram range {list(ngram_range)}")
        if idf is not None and (len(idf) != len(terms) or not (idf > 0).all()):
            raise ModelError(f"{where}: the IDF weights must be positive, one per term")
        self.tokenizer = _Tokenizer(pattern, lowercase, strip_accents)
        if len(set(terms)) != len(terms):
            raise ModelError(f"{where}: a term occurs twice in the vocabulary")
        self.idf, self.ngram_range, self.binary, self.sublinear_tf, self.norm = (
            idf,
            ngram_range,
            binary,
            sublinear_tf,
            norm,
        )
        self.stop_words = frozenset(stop_words) if stop_words is not None else None
        # every split of a term at one of its spaces (most have one: a word pair): words before, after, column
        spaced = [column for column, t in enumerate(terms) if " " in t]
        pairs = [column for column in spaced if terms[column].count(" ") == 1]
        halves = list(map(str.partition, (terms[column] for column in pairs), repeat(" ")))
        self.firsts, self.seconds = [h[0] for h in halves], [h[2] for h in halves]
        self.split_columns = pairs
        for column in set(spaced) - set(pairs):
            term = terms[column]
            for i in (i for i, c in enumerate(term) if c == " "):
                self.firsts.append(term[:i])
                self.seconds.append(term[i + 1 :])
                self.split_columns.append(column)

    @functools.cached_property
    def index(self) -> dict[str, int]:
        """term -> column, for n-grams of three words or more and for explanations (built when first needed)."""
        return dict(zip(self.names, range(len(self.names)), strict=True))

    def lookups(self) -> Iterable[str]:
        # every term, as one token could hold it (a token pattern may match spaces), and the words of the pairs
        return chain(self.names, self.firsts, self.seconds, self.stop_words or ())

    def bind(self, dictionary: Dictionary) -> None:
        self.unigram = dictionary.table(-1)  # id -> the column of the token as a term of its own
        self.unigram[dictionary.ids(self.names)] = np.arange(len(self.names))
        self.bigrams = _PairTable(
            dictionary,
            dictionary.ids(self.firsts),
            dictionary.ids(self.seconds),
            np.array(self.split_columns, dtype=np.intp),
        )
        self.stopped = dictionary.table(False, bool)
        if self.stop_words:
            self.stopped[dictionary.ids(self.stop_words)] = True
        del self.firsts, self.seconds, self.split_columns  # in the tables now

    def triplets(self, batch: Batch) -> Triplets:
        tokens = batch.tokens(self.tokenizer)
        ids, rows = tokens.ids, tokens.rows
        if self.stop_words:
            kept = ~self.stopped[ids]
            tokens = Tokens(ids[kept], rows[kept])
            ids, rows = tokens.ids, tokens.rows
        min_n, max_n = self.ngram_range
        found_rows, found_columns = [], []
        if min_n == 1:
            columns = self.unigram[ids]
            known = columns >= 0
            found_rows.append(rows[known])
            found_columns.append(columns[known])
        if min_n <= 2 <= max_n:
            firsts, seconds, pair_rows = tokens.pairs()
            at, columns = self.bigrams.find(firsts, seconds)
            found_rows.append(pair_rows[at])
            found_columns.append(columns)
        if max_n >= 3:
            longer_rows, longer_columns = self._longer(batch)
            found_rows.append(longer_rows)
            found_columns.append(longer_columns)
        rows, columns, counts = _dedup(np.concatenate(found_rows), np.concatenate(found_columns), len(self.names))
        values = np.ones(len(counts)) if self.binary else counts.astype(np.float64)
        if self.sublinear_tf and not self.binary:
            values = np.log(values) + 1.0
        if self.idf is not None:
            values = values * self.idf[columns]
        if self.norm is not None:
            sizes = values * values if self.norm == "l2" else np.abs(values)
            norms = np.bincount(rows, sizes, minlength=batch.size)
            if self.norm == "l2":
                norms = np.sqrt(norms)
            values = values / np.where(norms > 0, norms, 1.0)[rows]
        return rows, columns, values * self.weight if self.weight != 1.0 else values

    def _longer(self, batch: Batch) -> tuple[np.ndarray, np.ndarray]:
        """The n-grams of three words or more, joined and looked up as strings (scikit-learn's ``_word_ngrams``)."""
        get, join, stop = self.index.get, " ".join, self.stop_words
        rows: list[int] = []
        columns: list[int] = []
        for row, tokens in enumerate(batch.tokens(self.tokenizer).lists):
            if stop:
                tokens = [t for t in tokens if t not in stop]
            for n in range(max(3, self.ngram_range[0]), min(self.ngram_range[1], len(tokens)) + 1):
                found = [
                    c
                    for c in map(get, map(join, zip(*(tokens[k:] for k in range(n)), strict=False)), repeat(-1))
                    if c >= 0
                ]
                rows.extend(repeat(row, len(found)))
                columns.extend(found)
        return np.array(rows, dtype=np.intp), np.array(columns, dtype=np.intp)

    def spans(self, sentence: str) -> Spans:
        tokens = self.tokenizer.with_offsets(sentence)
        if tokens is None:
            return {}
        if self.stop_words is not None:
            tokens = [t for t in tokens if t[0] not in self.stop_words]
        words = [token for token, _, _ in tokens]
        found: Spans = {}
        min_n, max_n = self.ngram_range
        for n in range(min_n, max_n + 1):
            for i in range(len(tokens) - n + 1):
                term = words[i] if n == 1 else " ".join(words[i : i + n])
                if term in self.index:
                    found.setdefault(term, []).append((tokens[i][1], tokens[i + n - 1][2]))
        return found

    def _data(self) -> dict:
        return {
            "token_pattern": self.tokenizer.pattern.pattern,
            "flags": self.tokenizer.pattern.flags,
            "lowercase": self.tokenizer.lowercase,
            "strip_accents": self.tokenizer.strip_accents,
            "stop_words": None if self.stop_words is None else sorted(self.stop_words),
            "ngram_range": list(self.ngram_range),
            "binary": self.binary,
            "sublinear_tf": self.sublinear_tf,
            "norm": self.norm,
            "terms": self.names,
            "idf": None if self.idf is None else _array(self.idf),
        }

    @classmethod
    def from_data(cls, fields: _Fields) -> TfidfWords:
        terms = fields.strings("terms")
        ngram_range = fields.get("ngram_range", (list,))
        if len(ngram_range) != 2 or not all(type(n) is int for n in ngram_range):
            raise ModelError(f"{fields.where}: 'ngram_range' must be two whole numbers")
        return cls(
            terms=terms,
            idf=fields.array("idf", len(terms)) if fields.data.get("idf") is not None else None,
            coef=fields.array("coef", len(terms)),
            token_pattern=fields.text("token_pattern"),
            flags=fields.get("flags", (int,), 0),
            ngram_range=(ngram_range[0], ngram_range[1]),
            lowercase=fields.get("lowercase", (bool,)),
            strip_accents=fields.text("strip_accents", None),
            stop_words=fields.strings("stop_words", None),
            binary=fields.get("binary", (bool,)),
            sublinear_tf=fields.get("sublinear_tf", (bool,)),
            norm=fields.text("norm", None),
            weight=fields.number("weight", 1.0),
            name=fields.text("name", "words"),
        )


class StyleSignals(Block):
    """``features.StyleFeatures``: one column per signal, ``weight`` where it occurs, else 0. A cue-word signal
    occurs where one of its words, or two consecutive words of one of its pairs, is among the sentence's words
    (lowercased ``\\w+`` runs); a pattern signal where its regular expression matches the sentence as written."""

    kind = "style_signals"

    def __init__(self, signals: list[dict], coef: np.ndarray, weight: float = 1.0, name: str = "style"):
        super().__init__(name, [s["name"] for s in signals], coef, weight)
        self.definitions = signals
        self.word_columns: dict[str, list[int]] = {}
        self.pair_columns: dict[tuple[str, str], list[int]] = {}
        self.searches: list[tuple[int, re.Pattern[str]]] = []
        for column, signal in enumerate(signals):
            if "pattern" in signal:
                pattern = _compile(signal["pattern"], signal.get("flags", 0), f"style signal {signal['name']!r}")
                self.searches.append((column, pattern))
                continue
            for word in signal["words"]:
                self.word_columns.setdefault(word, []).append(column)
            for first, second in signal["pairs"]:
                self.pair_columns.setdefault((first, second), []).append(column)

    def lookups(self) -> Iterable[str]:
        yield from self.word_columns
        for pair in self.pair_columns:
            yield from pair

    def bind(self, dictionary: Dictionary) -> None:
        width = len(self.names)
        self.cue_of = dictionary.table(-1)  # id -> its row of ``cues``, the signals it is a cue word of
        self.cues = np.zeros((len(self.word_columns), width), dtype=bool)
        for i, (word, columns) in enumerate(self.word_columns.items()):
            self.cue_of[dictionary.index[word]] = i
            self.cues[i, columns] = True
        pairs = list(self.pair_columns.items())
        marks = np.zeros((len(pairs), width), dtype=bool)
        for i, (_, columns) in enumerate(pairs):
            marks[i, columns] = True
        self.pairs = _PairTable(
            dictionary, dictionary.ids(a for (a, _), _ in pairs), dictionary.ids(b for (_, b), _ in pairs), marks
        )

    def triplets(self, batch: Batch) -> Triplets:
        found_rows, found_columns = [], []
        if self.word_columns or self.pair_columns:
            words = batch.words
            cue = self.cue_of[words.ids]
            at = np.flatnonzero(cue >= 0)
            hit, columns = np.nonzero(self.cues[cue[at]])
            found_rows.append(words.rows[at[hit]])
            found_columns.append(columns)
            if self.pair_columns:
                firsts, seconds, pair_rows = words.pairs()
                at, marks = self.pairs.find(firsts, seconds)
                hit, columns = np.nonzero(marks)
                found_rows.append(pair_rows[at[hit]])
                found_columns.append(columns)
        for column, pattern in self.searches:
            search = pattern.search
            matched = [row for row, sentence in enumerate(batch.sentences) if search(sentence) is not None]
            found_rows.append(np.array(matched, dtype=np.intp))
            found_columns.append(np.full(len(matched), column, dtype=np.intp))
        if not found_rows:
            return _EMPTY_INT, _EMPTY_INT, _EMPTY_FLOAT
        rows, columns, _ = _dedup(np.concatenate(found_rows), np.concatenate(found_columns), len(self.names))
        return rows, columns, np.full(len(rows), self.weight)

    def spans(self, sentence: str) -> Spans:
        found: Spans = {}
        words = _word_offsets(sentence)
        for i, (word, start, end) in enumerate(words):
            for column in self.word_columns.get(word, ()):
                found.setdefault(self.names[column], []).append((start, end))
            if i + 1 < len(words):
                for column in self.pair_columns.get((word, words[i + 1][0]), ()):
                    found.setdefault(self.names[column], []).append((start, words[i + 1][2]))
        for column, pattern in self.searches:
            spans: list[tuple[int, int]] = []
            for m in pattern.finditer(sentence):
                span = _strip_span(sentence, *m.span())
                if span and spans and span[0] <= spans[-1][1]:  # "2024" is one number, not four digits
                    spans[-1] = (spans[-1][0], max(span[1], spans[-1][1]))
                elif span:
                    spans.append(span)
            if spans:
                found[self.names[column]] = spans
        return {name: sorted(spans) for name, spans in found.items()}

    def _data(self) -> dict:
        return {"signals": self.definitions}

    @classmethod
    def from_data(cls, fields: _Fields) -> StyleSignals:
        signals: list[dict] = []
        for signal in fields.objects("signals"):
            if "pattern" in signal.data:
                flags = signal.get("flags", (int,), 0)
                signals.append({"name": signal.text("name"), "pattern": signal.text("pattern"), "flags": flags})
                continue
            pairs = signal.get("pairs", (list,))
            if not all(isinstance(p, list) and len(p) == 2 and all(isinstance(w, str) for w in p) for p in pairs):
                raise ModelError(f"{signal.where}: 'pairs' must be a list of two-word lists")
            signals.append({"name": signal.text("name"), "words": signal.strings("words"), "pairs": pairs})
        return cls(signals, fields.array("coef", len(signals)), fields.number("weight", 1.0), fields.text("name"))


def _word_offsets(sentence: str) -> list[tuple[str, int, int]]:
    """The signals' words of ``sentence`` with their offsets in it (lowercasing can change a text's length)."""
    lowered = sentence.lower()
    to_original = _offset_map(sentence, lowered, str.lower)
    if to_original is None:  # pragma: no cover - str.lower works character by character
        return []
    return [(m.group(), to_original[m.start()], to_original[m.end() - 1] + 1) for m in _WORD.finditer(lowered)]


def _strip_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


class LexiconSignals(Block):
    """``lexicon.LexiconFeatures``: signals from the words (lowercased ``\\w+`` runs) found in a word ->
    (subjectivity, valence) table, either unknown (NaN) for a word; valence is signed. Each signal is one of
    ``MEASURES``, times ``weight``, and 0 for a sentence without a word in the table. A word is strong when its
    subjectivity or its absolute valence is at least ``strong``."""

    kind = "lexicon_signals"
    MEASURES = (
        "subjectivity",  # mean subjectivity of the words that have one
        "max_subjectivity",
        "subjective_share",  # words with subjectivity >= strong, per word of the sentence
        "valence",  # mean absolute valence of the words that have one
        "max_valence",  # highest absolute valence
        "evaluative_share",  # strong words per word of the sentence
        "evaluative",  # 1 where any word is strong
        "subjective_words",  # words with subjectivity >= strong, up to 3, divided by 3
        "valenced_words",  # words with absolute valence >= strong, up to 3, divided by 3
        "positive",  # highest positive valence
        "negative",  # highest negative valence, as a positive number
    )

    def __init__(
        self,
        *,
        signals: list[dict],
        words: list[str],
        subjectivity: np.ndarray,
        valence: np.ndarray,
        coef: np.ndarray,
        strong: float,
        weight: float = 1.0,
        name: str = "lexicon",
    ):
        super().__init__(name, [s["name"] for s in signals], coef, weight)
        unknown = [s["measure"] for s in signals if s["measure"] not in self.MEASURES]
        if unknown:
            raise ModelError(f"lexicon block {name!r}: unknown measure {unknown[0]!r}")
        if len(subjectivity) != len(words) or len(valence) != len(words):
            raise ModelError(f"lexicon block {name!r}: one subjectivity and one valence per word are needed")
        self.definitions, self.words, self.strong = signals, words, strong
        self.subjectivity, self.valence = subjectivity, valence

    @functools.cached_property
    def index(self) -> dict[str, int]:
        """word -> its row of the table, for explanations (built when first needed)."""
        return dict(zip(self.words, range(len(self.words)), strict=True))

    def lookups(self) -> Iterable[str]:
        return self.words

    def bind(self, dictionary: Dictionary) -> None:
        self.entry = dictionary.table(-1)  # id -> the word's row of the table
        self.entry[dictionary.ids(self.words)] = np.arange(len(self.words))

    def triplets(self, batch: Batch) -> Triplets:
        if not self.definitions:
            return _EMPTY_INT, _EMPTY_INT, _EMPTY_FLOAT
        words = batch.words
        entries = self.entry[words.ids]
        hit = entries >= 0
        rows, lengths = words.rows[hit], np.bincount(words.rows, minlength=batch.size)
        scores = _LexiconScores(rows, self.subjectivity[entries[hit]], self.valence[entries[hit]], batch.size)
        per_word = np.where(lengths > 0, lengths, 1).astype(np.float64)
        columns = [scores.measure(s["measure"], self.strong, per_word) for s in self.definitions]
        table = np.column_stack(columns) * self.weight
        table[scores.hits == 0] = 0.0  # a sentence without a word of the table has no lexicon signal
        rows_, columns_ = np.nonzero(table)
        return rows_.astype(np.intp), columns_.astype(np.intp), table[rows_, columns_]

    def spans(self, sentence: str) -> Spans:
        """The words behind each signal: the strongest for the ``max_``, ``positive`` and ``negative`` signals, the
        subjective, valenced or strong words for the others."""
        found = [(word, (a, b)) for word, a, b in _word_offsets(sentence) if word in self.index]
        scores = [(span, self.subjectivity[self.index[w]], self.valence[self.index[w]]) for w, span in found]
        top_s = max((s for _, s, _ in scores if s == s), default=0.0)
        top_v = max((abs(v) for _, _, v in scores if v == v), default=0.0)
        most = max((v for _, _, v in scores if v == v), default=0.0)
        least = min((v for _, _, v in scores if v == v), default=0.0)
        strong = self.strong
        picks: dict[str, Callable[[float, float], bool]] = {
            "subjectivity": lambda s, v: s > 0,
            "max_subjectivity": lambda s, v: s == top_s > 0,
            "subjective_share": lambda s, v: s >= strong,
            "subjective_words": lambda s, v: s >= strong,
            "valence": lambda s, v: abs(v) > 0,
            "max_valence": lambda s, v: abs(v) == top_v > 0,
            "valenced_words": lambda s, v: abs(v) >= strong,
            "positive": lambda s, v: v == most > 0,
            "negative": lambda s, v: v == least < 0,
            "evaluative_share": lambda s, v: s >= strong or abs(v) >= strong,
            "evaluative": lambda s, v: s >= strong or abs(v) >= strong,
        }
        spans: Spans = {}
        for signal in self.definitions:
            pick = picks[signal["measure"]]
            chosen = [span for span, s, v in scores if pick(s, v)]
            if chosen:
                spans[signal["name"]] = chosen
        return spans

    def _data(self) -> dict:
        return {
            "strong": self.strong,
            "signals": self.definitions,
            "words": self.words,
            "subjectivity": _array(self.subjectivity),
            "valence": _array(self.valence),
        }

    @classmethod
    def from_data(cls, fields: _Fields) -> LexiconSignals:
        signals = [{"name": s.text("name"), "measure": s.text("measure")} for s in fields.objects("signals")]
        words = fields.strings("words")
        return cls(
            signals=signals,
            words=words,
            subjectivity=fields.array("subjectivity", len(words), finite=False),
            valence=fields.array("valence", len(words), finite=False),
            coef=fields.array("coef", len(signals)),
            strong=fields.number("strong"),
            weight=fields.number("weight", 1.0),
            name=fields.text("name"),
        )


class _LexiconScores:
    """The table's scores of a batch's words (``rows`` says whose), summarised per sentence on demand. Sums run in
    word order, as Python's ``sum`` does, so means are the same to the last bit."""

    def __init__(self, rows: np.ndarray, subjectivity: np.ndarray, valence: np.ndarray, size: int):
        self.rows, self.subjectivity, self.valence, self.size = rows, subjectivity, valence, size
        self.hits = np.bincount(rows, minlength=size)

    def _count(self, where: np.ndarray) -> np.ndarray:
        return np.bincount(self.rows[where], minlength=self.size)

    def _mean(self, scores: np.ndarray) -> np.ndarray:
        known = scores == scores  # not NaN
        count = self._count(known)
        return np.bincount(self.rows[known], scores[known], minlength=self.size) / np.where(count > 0, count, 1)

    def _max(self, scores: np.ndarray, where: np.ndarray) -> np.ndarray:
        highest = np.full(self.size, -np.inf)
        np.maximum.at(highest, self.rows[where], scores[where])
        return np.where(self._count(where) > 0, highest, 0.0)

    def measure(self, name: str, strong: float, per_word: np.ndarray) -> np.ndarray:
        s, v = self.subjectivity, self.valence
        with np.errstate(invalid="ignore"):  # comparisons with NaN are False, as in Python
            magnitude = np.abs(v)
            subjective, valenced = s >= strong, magnitude >= strong
            if name == "subjectivity":
                return self._mean(s)
            if name == "max_subjectivity":
                return self._max(s, s == s)
            if name == "subjective_share":
                return self._count(subjective) / per_word
            if name == "valence":
                return self._mean(magnitude)
            if name == "max_valence":
                return self._max(magnitude, v == v)
            if name == "evaluative_share":
                return self._count(subjective | valenced) / per_word
            if name == "evaluative":
                return (self._count(subjective | valenced) > 0).astype(np.float64)
            if name == "subjective_words":
                return np.minimum(3, self._count(subjective)) / 3
            if name == "valenced_words":
                return np.minimum(3, self._count(valenced)) / 3
            if name == "positive":
                return self._max(v, v > 0)
            return self._max(-v, v < 0)  # negative: the most negative valence, as a positive number


BLOCKS: dict[str, type[Block]] = {cls.kind: cls for cls in (TfidfWords, StyleSignals, LexiconSignals)}


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


class LinearScorer:
    """A linear fact/opinion model as data: ``intercept`` plus the blocks' weighted features is the log-odds of
    opinion. ``about`` is what the file records of where it came from (the pickled pipeline's SHA-256, versions)."""

    def __init__(self, blocks: list[Block], intercept: float, classes: Sequence[str], about: dict | None = None):
        self.blocks, self.intercept, self.classes = blocks, float(intercept), list(classes)
        self.about = about or {}
        self.offsets = np.cumsum([0] + [len(b.names) for b in blocks]).tolist()
        self.names = [name for block in blocks for name in block.names]
        self.coef = np.concatenate([b.coef for b in blocks]) if blocks else _EMPTY_FLOAT
        self.dictionary = Dictionary(chain.from_iterable(block.lookups() for block in blocks))
        for block in blocks:
            block.bind(self.dictionary)
        sources = [b.tokenizer for b in blocks if isinstance(b, TfidfWords) and b.tokenizer.special is not None]
        self._word_source = sources[0] if sources else None

    # scoring

    def _batch(self, sentences: Sequence[str]) -> Batch:
        return Batch(sentences, self.dictionary, self._word_source)

    def log_odds(self, sentences: Sequence[str]) -> np.ndarray:
        """The log-odds of opinion of each sentence."""
        sentences = list(sentences)
        out = np.empty(len(sentences))
        for lo in range(0, len(sentences), _CHUNK):
            batch = self._batch(sentences[lo : lo + _CHUNK])
            z = np.zeros(batch.size)
            for block in self.blocks:
                rows, columns, values = block.triplets(batch)
                z += np.bincount(rows, values * block.coef[columns], minlength=batch.size)
            out[lo : lo + batch.size] = z + self.intercept
        return out

    def opinion_probability(self, sentences: Sequence[str]) -> np.ndarray:
        return sigmoid(self.log_odds(sentences))

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
            np.concatenate([rows for rows, _, _ in parts] + [_EMPTY_INT]),
            np.concatenate(
                [columns + offset for (_, columns, _), offset in zip(parts, self.offsets, strict=False)] + [_EMPTY_INT]
            ),
            np.concatenate([values for _, _, values in parts] + [_EMPTY_FLOAT]),
        )

    def spans(self, sentence: str) -> Spans:
        """Where each term of the model occurs in ``sentence``: term -> (start, end) offsets."""
        found: Spans = {}
        for block in self.blocks:
            found.update(block.spans(sentence))
        return found

    @property
    def signal_names(self) -> list[str]:
        return [name for block in self.blocks if block.signals for name in block.names]

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
        return _header(hashlib.sha256(encoded).hexdigest()) + encoded + b"}\n"

    @classmethod
    def from_json(cls, raw: bytes, where: str = DATA_FILE) -> LinearScorer:
        """Read a model file's bytes; a ``ModelError`` for anything but a valid, intact model of this format."""
        try:
            document = json.loads(raw)
        except (ValueError, RecursionError) as err:
            raise ModelError(f"{where}: not a factopinion model file (not JSON: {err})") from None
        header = _Fields(document, where)
        if document.get("format") != FORMAT:
            raise ModelError(f"{where}: not a factopinion model file (format {document.get('format')!r})")
        version = header.get("format_version", (int,))
        if version != FORMAT_VERSION:
            raise ModelError(
                f"{where}: model file format version {version}; this factopinion reads version {FORMAT_VERSION}"
            )
        digest = header.text("sha256")
        prefix = _header(digest)
        if not (raw.startswith(prefix) and raw.endswith(b"}\n")) or (
            hashlib.sha256(raw[len(prefix) : -2]).hexdigest() != digest
        ):
            raise ModelError(f"{where}: the model does not match the SHA-256 it records (damaged or edited)")
        body = _Fields(header.get("model", (dict,)), f"{where}: model")
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


def _header(digest: str) -> bytes:
    return f'{{"format":"{FORMAT}","format_version":{FORMAT_VERSION},"sha256":"{digest}","model":'.encode()


def read_model_bytes(path: Path) -> bytes:
    """The bytes of a model file; a ``ModelError`` where it is missing or unreadable."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ModelError(f"{path}: no such model file") from None
    except OSError as err:
        raise ModelError(f"{path}: cannot read it ({err.strerror or err})") from None


def read_scorer(path: str | Path) -> LinearScorer:
    """Read the model file at ``path`` (a ``model.json``)."""
    path = Path(path)
    return LinearScorer.from_json(read_model_bytes(path), str(path))
