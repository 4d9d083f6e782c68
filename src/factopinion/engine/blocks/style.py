"""The stylistic signals (attribution verbs, quotation marks, first and second person, modal verbs, ...): their
one definition (``CUE_WORDS``, ``STYLE_PATTERNS``), and their block (``StyleSignals``), which is what the model file
holds and what ``training.features.StyleFeatures`` computes through."""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

from ...errors import ModelError
from ...naming import signal_name
from ..analysis import Analysis, Dictionary, prefilter, word_offsets
from ..fields import Fields, compile_pattern
from .base import EMPTY_FLOAT, EMPTY_INT, Block, PairTable, TermSpans, Triplets, dedup

__all__ = ["CUE_WORDS", "PLAIN_NAMES", "STYLE_PATTERNS", "StyleSignals", "style_signals"]

# Signals given by cue words and phrases, matched case-insensitively as whole words.
CUE_WORDS: dict[str, tuple[str, ...]] = {
    "attribution": (
        "according to", "said", "says", "told", "tells", "stated", "states", "added", "adds", "announced",
        "reported", "claimed", "claims", "argued", "argues", "warned", "warns", "noted", "notes", "insisted",
        "insists", "acknowledged", "admitted", "wrote", "writes", "testified", "alleged", "confirmed", "denied",
        "declared", "stressed", "stresses", "emphasised", "emphasized", "emphasises", "emphasizes", "remarked",
        "explained", "asserted", "maintained", "contended", "contends", "suggested", "predicted", "estimated",
        "recalled", "conceded", "complained", "criticised", "criticized", "condemned", "praised", "accused",
        "urged", "described", "cautioned", "observed", "replied", "responded", "countered", "proclaimed",
        "expressed", "expressing", "denounced", "denigrated", "dismissed", "welcomed", "pledged", "vowed",
        "promised", "threatened", "blamed", "pointed out", "called for", "called on",
    ),
    "first_person": ("i", "me", "my", "mine", "we", "us", "our", "ours"),
    "second_person": ("you", "your", "yours"),
    "modal": ("should", "must", "ought", "shall", "need to", "needs to", "has to", "have to"),
}  # fmt: skip

# Signals given by punctuation and digits.
_MARK_PATTERNS: dict[str, str] = {
    # a quotation mark, or an apostrophe with a space or the text's edge on one side: the same as the plainer
    # [“”"‘«»]|(?:^|\s)'|'(?=\s|$), written so that every alternative starts with a mark, which is 3x faster to search
    "quotation": r"[“”\"‘«»]|'(?:(?<!\S')|(?!\S))",
    "opening_quote": r"^\s*[“\"‘«']",
    "question": r"\?[\"'”’)]*\s*$",
    "exclamation": r"!",
    "number": r"\d",
}


def _cue_pattern(cues: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(r"\W+".join(map(re.escape, cue.split())) for cue in cues)
    return re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)


# name -> pattern; a signal is on when its pattern occurs in the sentence (the explanations show these matches).
STYLE_PATTERNS: dict[str, re.Pattern[str]] = {
    "attribution": _cue_pattern(CUE_WORDS["attribution"]),
    "quotation": re.compile(_MARK_PATTERNS["quotation"]),
    "opening_quote": re.compile(_MARK_PATTERNS["opening_quote"]),
    "first_person": _cue_pattern(CUE_WORDS["first_person"]),
    "second_person": _cue_pattern(CUE_WORDS["second_person"]),
    "modal": _cue_pattern(CUE_WORDS["modal"]),
    "question": re.compile(_MARK_PATTERNS["question"]),
    "exclamation": re.compile(_MARK_PATTERNS["exclamation"]),
    "number": re.compile(_MARK_PATTERNS["number"]),
}


# name -> what a reader is told the signal is (explanations show it beside the words that triggered it).
PLAIN_NAMES: dict[str, str] = {
    "attribution": "attribution word",
    "quotation": "quotation mark",
    "opening_quote": "opens with a quotation",
    "first_person": "first person",
    "second_person": "addresses the reader",
    "modal": "recommending word",
    "question": "question mark",
    "exclamation": "exclamation mark",
    "number": "figure",
}


def style_signals(keys: Iterable[str]) -> list[dict]:
    """The block's definitions of the signals ``keys``: a cue-word signal as its single words and its two-word
    phrases as word pairs, any other as its regular expression."""
    signals: list[dict] = []
    for key in keys:
        if key in CUE_WORDS:
            cues = CUE_WORDS[key]
            words = [cue for cue in cues if " " not in cue]
            pairs = [cue.split() for cue in cues if len(cue.split()) == 2]
            signals.append({"name": signal_name(key), "words": words, "pairs": pairs})
        else:
            pattern = STYLE_PATTERNS[key]
            signals.append({"name": signal_name(key), "pattern": pattern.pattern, "flags": pattern.flags})
    return signals


class StyleSignals(Block):
    """``training.features.StyleFeatures`` as data: one column per signal, ``weight`` where it occurs, else 0. A
    cue-word signal occurs where one of its words, or two consecutive words of one of its pairs, is among the
    sentence's words (lowercased ``\\w+`` runs); a pattern signal where its regular expression matches the sentence
    as written."""

    kind = "style_signals"

    def __init__(self, signals: list[dict], coef: np.ndarray, weight: float = 1.0, name: str = "style"):
        super().__init__(name, [s["name"] for s in signals], coef, weight)
        self.definitions = signals
        self.word_columns: dict[str, list[int]] = {}
        self.pair_columns: dict[tuple[str, str], list[int]] = {}
        self.searches: list[tuple[int, re.Pattern[str], re.Pattern[str] | None]] = []
        for column, signal in enumerate(signals):
            if "pattern" in signal:
                pattern = compile_pattern(signal["pattern"], signal.get("flags", 0), f"style signal {signal['name']!r}")
                self.searches.append((column, pattern, prefilter(pattern)))
                continue
            for word in signal["words"]:
                self.word_columns.setdefault(word, []).append(column)
            for first, second in signal["pairs"]:
                self.pair_columns.setdefault((first, second), []).append(column)

    @classmethod
    def of_keys(cls, keys: Iterable[str], coef: np.ndarray, weight: float = 1.0, name: str = "style") -> StyleSignals:
        """The block of the signals ``keys`` (of ``STYLE_PATTERNS``)."""
        return cls(style_signals(keys), coef, weight, name)

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
        self.pairs = PairTable(
            dictionary, dictionary.ids(a for (a, _), _ in pairs), dictionary.ids(b for (_, b), _ in pairs), marks
        )

    def triplets(self, batch: Analysis) -> Triplets:
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
        sentences = batch.sentences
        for column, pattern, needed in self.searches:
            search = pattern.search
            candidates = range(batch.size) if needed is None else batch.rows_with(needed)
            matched = [row for row in candidates if search(sentences[row]) is not None]
            found_rows.append(np.array(matched, dtype=np.intp))
            found_columns.append(np.full(len(matched), column, dtype=np.intp))
        if not found_rows:
            return EMPTY_INT, EMPTY_INT, EMPTY_FLOAT
        rows, columns, _ = dedup(np.concatenate(found_rows), np.concatenate(found_columns), len(self.names))
        return rows, columns, np.full(len(rows), self.weight)

    def spans(self, sentence: str) -> TermSpans:
        found: TermSpans = {}
        words = word_offsets(sentence)
        for i, (word, start, end) in enumerate(words):
            for column in self.word_columns.get(word, ()):
                found.setdefault(self.names[column], []).append((start, end))
            if i + 1 < len(words):
                for column in self.pair_columns.get((word, words[i + 1][0]), ()):
                    found.setdefault(self.names[column], []).append((start, words[i + 1][2]))
        for column, pattern, _ in self.searches:
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
    def from_data(cls, fields: Fields) -> StyleSignals:
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


def _strip_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None
