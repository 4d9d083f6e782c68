"""The TF-IDF block: scikit-learn's ``TfidfVectorizer`` (word analyzer) as data."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from itertools import chain, repeat

import numpy as np

from ...errors import ModelError
from ..analysis import STRIP_ACCENTS, Analysis, Dictionary, Tokenizer, Tokens
from ..fields import Fields, array_data, compile_pattern
from .base import Block, PairTable, TermSpans, Triplets, dedup


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
        pattern = compile_pattern(token_pattern, flags, where)
        if pattern.groups > 1:
            raise ModelError(f"{where}: a token pattern with more than one group")
        if strip_accents not in STRIP_ACCENTS or norm not in ("l1", "l2", None):
            raise ModelError(f"{where}: unknown strip_accents {strip_accents!r} or norm {norm!r}")
        if not (1 <= ngram_range[0] <= ngram_range[1]):
            raise ModelError(f"{where}: bad n-gram range {list(ngram_range)}")
        if idf is not None and (len(idf) != len(terms) or not (idf > 0).all()):
            raise ModelError(f"{where}: the IDF weights must be positive, one per term")
        self.tokenizer = Tokenizer(pattern, lowercase, strip_accents)
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
        self.bigrams = PairTable(
            dictionary,
            dictionary.ids(self.firsts),
            dictionary.ids(self.seconds),
            np.array(self.split_columns, dtype=np.intp),
        )
        self.stopped = dictionary.table(False, bool)
        if self.stop_words:
            self.stopped[dictionary.ids(self.stop_words)] = True
        del self.firsts, self.seconds, self.split_columns  # in the tables now

    def triplets(self, batch: Analysis) -> Triplets:
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
        rows, columns, counts = dedup(np.concatenate(found_rows), np.concatenate(found_columns), len(self.names))
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

    def _longer(self, batch: Analysis) -> tuple[np.ndarray, np.ndarray]:
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

    def spans(self, sentence: str) -> TermSpans:
        tokens = self.tokenizer.with_offsets(sentence)
        if tokens is None:
            return {}
        if self.stop_words is not None:
            tokens = [t for t in tokens if t[0] not in self.stop_words]
        words = [token for token, _, _ in tokens]
        found: TermSpans = {}
        min_n, max_n = self.ngram_range
        for n in range(min_n, min(max_n, len(tokens)) + 1):
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
            "idf": None if self.idf is None else array_data(self.idf),
        }

    @classmethod
    def from_data(cls, fields: Fields) -> TfidfWords:
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
