"""The results of scoring: the labels, a scored sentence with its cue words, and a scored document that keeps its
text, paragraphs and headings. Typed until ``formats`` or ``html`` renders them."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import OptionError
from .naming import is_signal
from .text import Span

__all__ = [
    "COLUMN_TYPES",
    "LABELS",
    "SCORED_FIELDS",
    "UNITS",
    "Cue",
    "Document",
    "ExplainSettings",
    "PageInfo",
    "ScoredSentence",
    "Unit",
    "check_threshold",
    "json_text",
    "label_for",
    "unit_named",
]

LABELS = ("fact", "opinion")  # scikit-learn's class order: predict_proba's columns
SCORED_FIELDS = ("index", "start", "end", "sentence", "label", "opinion_probability")
Spans = tuple[tuple[int, int], ...]


def label_for(probability: float, threshold: float) -> str:
    """``opinion`` where ``probability`` is at least ``threshold``, else ``fact``."""
    return "opinion" if probability >= threshold else "fact"


def check_threshold(threshold: float) -> float:
    """``threshold`` if it is a probability (0 to 1), else an ``OptionError`` (NaN included)."""
    if not 0.0 <= threshold <= 1.0:
        raise OptionError(f"the threshold must be between 0 and 1, not {threshold}")
    return threshold


# -- what is labeled as one, and the columns labeling adds for it ----------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """What is labeled as one: each cell of a table (or value of a Series), each sentence, or each cell as a
    document summarised by its sentences. ``mode`` is its name in ``label``'s messages (``sentences``: the option
    ``--sentences``), ``columns`` what ``label`` adds to each output row, in order."""

    name: str
    mode: str
    columns: tuple[str, ...]

    @property
    def series_columns(self) -> tuple[str, ...]:
        """What ``Model.label_series`` and ``label_dataframe`` add: a frame keeps its index, so no ``row``; and no
        ``language``, which ``label`` identifies (``language.identify``)."""
        return tuple(column for column in self.columns if column not in ("row", "language"))

    @property
    def described(self) -> str:
        """How a message names it: ``with --sentences``, ``without --sentences or --documents``."""
        return "without --sentences or --documents" if self.name == "cell" else f"with --{self.mode}"

    def output_names(self, renames: Mapping[str, str], where: str, *, frame: bool = False) -> list[str]:
        """The output name of each added column (of ``series_columns`` for a ``frame``), ``renames`` applied
        (``{"label": "verdict"}``); an ``OptionError`` for a rename of a column it does not add (``where`` names
        the unit in the message: ``with --sentences``) or for two added columns with one name."""
        added = self.series_columns if frame else self.columns
        unknown = [name for name in renames if name not in added]
        if unknown:
            raise OptionError(
                f"no added column {unknown[0]!r} to rename {where}; the added columns are: {', '.join(added)}"
            )
        names = [renames.get(column, column) for column in added]
        twice = next((name for name in names if names.count(name) > 1), None)
        if twice is not None:
            raise OptionError(f"two added columns would both be named {twice!r}")
        return names


UNITS = {
    unit.name: unit
    for unit in (
        Unit("cell", "cell", ("label", "opinion_probability", "language")),
        Unit(
            "sentence",
            "sentences",
            ("row", "sentence_index", "start", "end", "sentence", "label", "opinion_probability", "language"),
        ),
        Unit(
            "document",
            "documents",
            ("sentences", "opinion_sentences", "opinion_share", "mean_opinion_probability", "language"),
        ),
    )
}
# The type of each added column, for the typed formats (JSON Lines, Parquet).
COLUMN_TYPES = {
    "label": "string",
    "opinion_probability": "float",
    "row": "int",
    "sentence_index": "int",
    "start": "int",
    "end": "int",
    "sentence": "string",
    "sentences": "int",
    "opinion_sentences": "int",
    "opinion_share": "float",
    "mean_opinion_probability": "float",
    "language": "string",
}


def unit_named(name: str) -> Unit:
    """The unit called ``name`` (``cell``, ``sentence``, ``document``), else an ``OptionError``."""
    if name not in UNITS:
        raise OptionError(f"unit must be one of {', '.join(UNITS)}, not {name!r}")
    return UNITS[name]


@dataclass(frozen=True, slots=True)
class Cue:
    """One term of a sentence and its contribution to the log-odds of opinion (negative: toward fact)."""

    term: str  # the model's name for it: a lowercased word n-gram, or a bracketed stylistic signal "[modal]"
    text: str  # as it appears in the sentence (its first occurrence), or "" where it maps to no text
    contribution: float
    spans: Spans = ()  # (start, end) offsets of every occurrence, relative to the sentence

    @property
    def label(self) -> str:
        return "opinion" if self.contribution > 0 else "fact"

    @property
    def display(self) -> str:
        """How to show the term to a reader: its text in the sentence ("must"), a signal with what triggered it
        ("[modal: must]"), else its name."""
        if is_signal(self.term) and self.text:
            return f"{self.term[:-1]}: {self.text}]"
        return self.text or self.term

    def to_dict(self) -> dict:
        return {
            "term": self.term,
            "text": self.text,
            "contribution": round(self.contribution, 6),
            "spans": [list(span) for span in self.spans],
        }


# The strongest cues of a sentence toward each label, opinion first, strongest first.
Cues = Mapping[str, Sequence[Cue]]


@dataclass(frozen=True, slots=True)
class ScoredSentence:
    """One sentence of a scored text; ``text[start:end] == sentence``. ``log_odds`` and ``cues`` are set when the
    document was explained (``explain.explain_document``)."""

    index: int
    start: int
    end: int
    sentence: str
    label: str
    opinion_probability: float
    log_odds: float | None = field(default=None, compare=False)
    cues: Cues | None = field(default=None, compare=False)

    def to_dict(self) -> dict:
        """The sentence's fields (``SCORED_FIELDS``), then ``log_odds`` and ``cues`` where it was explained."""
        row: dict = {name: getattr(self, name) for name in SCORED_FIELDS}
        if self.log_odds is not None:
            row["log_odds"] = round(self.log_odds, 6)
        if self.cues is not None:
            row["cues"] = {label: [cue.to_dict() for cue in items] for label, items in self.cues.items()}
        return row


@dataclass(frozen=True, slots=True)
class ExplainSettings:
    """How a document was explained: the model's intercept and how many cues per label were kept (0: all)."""

    intercept: float
    cues_per_label: int

    def to_dict(self) -> dict:
        return {"intercept": round(self.intercept, 6), "cues_per_label": self.cues_per_label or "all"}


@dataclass(frozen=True, slots=True)
class PageInfo:
    """What a web page says about its article, beside the text: title, byline, date (ISO 8601) and address, each
    None where unknown. The title is shown, never scored."""

    title: str | None = None
    byline: str | None = None
    date: str | None = None
    url: str | None = None

    def to_dict(self) -> dict:
        return {"title": self.title, "byline": self.byline, "date": self.date, "url": self.url}


@dataclass(frozen=True, slots=True)
class Document:
    """A scored text: its sentences and their summary, and the text itself with its paragraphs and the units that
    are not scored: headings (short unpunctuated lines), bylines ("By Maria Duarte") and datelines ("LONDON,
    March 3 (Reuters) —"). ``page`` is set for the main text extracted from a web page; the offsets then refer to
    that text."""

    sentences: list[ScoredSentence]
    threshold: float
    text: str = ""
    paragraphs: tuple[tuple[int, int], ...] = ()
    headings: tuple[Span, ...] = ()
    explained: ExplainSettings | None = None
    page: PageInfo | None = None
    bylines: tuple[Span, ...] = ()
    datelines: tuple[Span, ...] = ()

    @property
    def headline(self) -> str | None:
        """The heading the text opens with (before any sentence, byline or dateline), if it opens with one."""
        if not self.headings:
            return None
        first = self.headings[0].start
        others = [units[0].start for units in (self.sentences, self.bylines, self.datelines) if units]
        return self.headings[0].text if all(first < start for start in others) else None

    @property
    def opinion_count(self) -> int:
        return sum(s.label == "opinion" for s in self.sentences)

    @property
    def summary(self) -> dict:
        n = len(self.sentences)
        return {
            "sentences": n,
            "opinion": self.opinion_count,
            "fact": n - self.opinion_count,
            "opinion_share": round(self.opinion_count / n, 4) if n else 0.0,
        }

    def to_dict(self) -> dict:
        data = {
            "threshold": self.threshold,
            "summary": self.summary,
            "sentences": [s.to_dict() for s in self.sentences],
        }
        if self.explained is not None:
            data["explain"] = self.explained.to_dict()
        if self.page is not None:  # the offsets refer to the extracted text, which a reader has not got
            data["page"] = self.page.to_dict()
            data["text"] = self.text
        return data


def json_text(value: Any, **options: Any) -> str:
    """``value`` as strict JSON: a number that is not finite (an AUC of one class, a mean of nothing) is ``null``,
    never the ``NaN`` or ``Infinity`` that Python writes and JSON parsers refuse."""
    return json.dumps(_finite(value), allow_nan=False, **options)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value
