"""Label every row, every sentence or every document of a table: streamed in chunks, scored on a pool of worker
processes in input order, every input cell written back unchanged and the output written atomically.

One pipeline (``_label``): a reader's chunks go to a pool of workers, in order, and each chunk's output to a
sink. CSV/TSV into the same dialect reads records (``csvstream``) and the workers format each output row, the
input record's own bytes with the added values appended (``_SpliceSink``: byte for byte); every other pair of
formats (JSON Lines, Parquet, or CSV into another format; gzip either way) reads with the input format's reader
and the main process writes each chunk's rows, from its input rows and the values the workers computed, through
the output format's sink (``_TableSink``, ``tables``)."""

from __future__ import annotations

import codecs
import contextlib
import csv
import ctypes
import dataclasses
import functools
import gc
import io
import os
import re
import signal
import stat
import statistics
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO, Protocol, cast

import numpy as np

from ..atomic import Publication, atomic_output, same_file
from ..document import COLUMN_TYPES, UNITS, Unit, check_threshold, label_for
from ..engine.analysis import Analysis
from ..engine.bytescan import ByteIndex
from ..errors import DataError, OptionError, WorkerDied
from ..language import ENGLISH_ONLY, ENGLISH_WORDS, UNKNOWN, identify, identify_counted
from ..model import Model
from ..tables import registry as tables
from ..tables.columns import Columns
from ..tables.csvstream import (
    CHUNK_BYTES,
    BadRecord,
    CellFormat,
    Chunk,
    RecordWriter,
    check_delimiter,
    find_text_column,
    quoting_for,
)
from ..tables.delimited import DelimitedReader
from ..tables.streams import CountingReader, is_compressed, open_input, open_output
from ..text import segment, split_sentences

__all__ = [
    "BatchOptions",
    "BatchSummary",
    "ChunkCounts",
    "DOCUMENT_COLUMNS",
    "Progress",
    "ROW_COLUMNS",
    "SENTENCE_COLUMNS",
    "multi_sentence_advice",
    "label_stream",
    "label_file",
    "score_sentences",
]

# Told, as each chunk is written, the input bytes and rows it held (see label_stream).
Progress = Callable[[int, int], None]

# The columns each mode adds, in order (``document.UNITS``).
ROW_COLUMNS = UNITS["cell"].columns
SENTENCE_COLUMNS = UNITS["sentence"].columns
DOCUMENT_COLUMNS = UNITS["document"].columns
ADVICE_MEDIAN = 3  # in cell mode, a median of this many sentences per cell or more gets a warning
ADVICE_SAMPLE = 500  # cells of the first chunk counted for it, at most
ADVICE_CHARACTERS = 8192  # and about this many characters of them


@dataclass(frozen=True)
class BatchOptions:
    """How to read, score and write a file.

    Three modes: each cell is one unit (the default), each sentence is a row (``sentences``), or each cell is a
    document summarised by its sentences (``documents``). ``column_names`` renames added columns
    (``{"label": "verdict"}``); ``keep`` (with ``sentences`` or ``documents``) writes only those input columns;
    without it, every input column is written, except, with ``sentences``, the text column (each sentence row has
    its sentence and the number of its input row, not a copy of the whole text: name the column in ``keep`` to
    have it);
    ``html_column`` (with ``documents``) names a column of raw HTML pages, whose main text is scored.
    ``format`` is the input's format (``tables.FORMATS``) where its name does not tell it; ``delimiter`` None
    means tab for TSV, comma otherwise. ``jobs`` 0 means every core. A chunk holds at most ``chunk_rows`` rows and
    about ``chunk_bytes`` bytes of input (a longer row is a chunk of its own), and at most about ``2 * jobs + 1``
    chunks are held at once, and a cell holds at most ``max_cell`` characters (a longer one is a bad row; None: the
    readers' ``FIELD_LIMIT``, 1 Mi): so memory is bounded by bytes whatever the shape of the rows. ``languages`` are
    the languages scored (ISO 639-1 codes): a row identified as another language (``language.identify``) is left
    unscored, its label empty; None scores every row, whatever its language (the summary counts the rows not in
    English). ``advise`` (cell mode) looks at the first cells for whether they hold several sentences each, and
    says so (``multi_sentence_advice``): a group of small files asks it of its first file only.
    """

    text_column: str | None = None
    sentences: bool = False
    threshold: float = 0.5
    delimiter: str | None = None
    encoding: str = "utf-8"
    column_names: Mapping[str, str] = field(default_factory=dict)
    replace_columns: bool = False
    skip_bad_rows: bool = False
    pad_short_rows: bool = False
    jobs: int = 0
    chunk_rows: int = 4000
    chunk_bytes: int = CHUNK_BYTES
    max_cell: int | None = None
    documents: bool = False
    keep: tuple[str, ...] | None = None
    format: str | None = None
    quoting: str = "auto"
    html_column: str | None = None
    languages: tuple[str, ...] | None = ("en",)
    advise: bool = True

    def __post_init__(self) -> None:
        if self.sentences and self.documents:
            raise OptionError("choose --sentences or --documents, not both")
        if self.keep is not None:
            object.__setattr__(self, "keep", tuple(self.keep))
            if not (self.sentences or self.documents):
                raise OptionError("--keep needs --sentences or --documents (without them every column is kept)")
        if self.html_column is not None and not self.documents:
            raise OptionError("--html-column needs --documents: each page is scored as a document")
        if self.html_column is not None and self.text_column is not None:
            raise OptionError("give --text-column or --html-column, not both")
        if self.format is not None and self.format not in tables.FORMATS:
            raise OptionError(f"unknown format {self.format!r}; the formats are: {', '.join(tables.FORMATS)}")
        self.unit.output_names(self.column_names, self.unit.described)
        check_threshold(self.threshold)
        quoting_for(self.quoting)
        if self.delimiter is not None:
            check_delimiter(self.delimiter)
        if self.languages is not None:
            object.__setattr__(self, "languages", tuple(self.languages))
            if not self.languages or not all(re.fullmatch(r"[a-z]{2,3}", code) for code in self.languages):
                raise OptionError("--languages takes ISO 639-1 codes separated by commas, such as en or en,de")
        if min(self.chunk_rows, self.chunk_bytes, 1 if self.max_cell is None else self.max_cell) < 1 or self.jobs < 0:
            raise OptionError("chunk_rows, chunk_bytes and max_cell must be at least 1 and jobs at least 0")

    @property
    def unit(self) -> Unit:
        """What is labeled as one: ``sentences`` and ``documents`` choose the unit, else each cell."""
        return UNITS["sentence" if self.sentences else "document" if self.documents else "cell"]

    @property
    def mode(self) -> str:
        """``cell``, ``sentences`` or ``documents``."""
        return self.unit.mode

    @property
    def added_columns(self) -> tuple[str, ...]:
        """The columns this mode adds (before renaming)."""
        return self.unit.columns

    @property
    def source_column(self) -> str | None:
        """The column to score as named: the HTML column, else the text column (None: the default rule)."""
        return self.html_column or self.text_column


@dataclass(frozen=True, slots=True)
class ChunkCounts:
    """What labeling one chunk counted: input rows, rows with text, rows without, sentences, opinion units, rows
    in a language other than English (``language.identify``) and, of those, the rows left unscored for it."""

    rows: int = 0
    labeled: int = 0
    empty: int = 0
    sentences: int = 0
    opinion: int = 0
    not_english: int = 0
    unscored: int = 0


@dataclass
class BatchSummary:
    """What a run did: input rows written, rows with and without text, sentences, opinions, skipped records."""

    sentences_mode: bool = False
    rows: int = 0
    labeled: int = 0
    empty: int = 0
    sentences: int = 0
    opinion: int = 0
    not_english: int = 0
    unscored: int = 0
    blank_lines: int = 0
    skipped: list[BadRecord] = field(default_factory=list)
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def add(self, counts: ChunkCounts) -> None:
        """Count a labeled chunk in."""
        self.rows += counts.rows
        self.labeled += counts.labeled
        self.empty += counts.empty
        self.sentences += counts.sentences
        self.opinion += counts.opinion
        self.not_english += counts.not_english
        self.unscored += counts.unscored

    @property
    def opinion_share(self) -> float:
        units = self.sentences if self.sentences_mode else self.labeled
        return self.opinion / units if units else 0.0

    def line(self) -> str:
        """The one-line summary printed at the end of a run."""
        units = f", {_plural(self.sentences, 'sentence')}" if self.sentences_mode else ""
        foreign = f", {self.not_english:,} not English" if self.not_english else ""
        if self.unscored:
            foreign += f" ({self.unscored:,} left unscored)"
        text = (
            f"{_plural(self.rows, 'row')}{units}: {self.labeled:,} labeled, {self.empty:,} empty, "
            f"{self.opinion_share:.1%} opinion{foreign}, {self.seconds:.1f} s"
        )
        if self.blank_lines:
            text += f" ({self.blank_lines:,} blank lines dropped)"
        return text

    def not_english_line(self) -> str | None:
        """The warning, once per run, for rows not in English; None where there are none."""
        if not self.not_english:
            return None
        n = self.not_english
        rows = "row is" if n == 1 else "rows are"
        if self.unscored == n:
            return (
                f"{n:,} {rows} not in English and left unscored ({'its label is' if n == 1 else 'their labels are'} "
                f"empty; --score-any-language scores {'it' if n == 1 else 'them'}): {ENGLISH_ONLY}"
            )
        if self.unscored:
            return f"{n:,} {rows} not in English, {self.unscored:,} of them left unscored: {ENGLISH_ONLY}"
        return f"{n:,} {rows} not in English and {'was' if n == 1 else 'were'} scored anyway: {ENGLISH_ONLY}"

    def skipped_line(self, limit: int = 20) -> str:
        """The count and lines of the skipped records, for standard error."""
        shown = ", ".join(record.lines.removeprefix("line ").removeprefix("lines ") for record in self.skipped[:limit])
        more = f" and {len(self.skipped) - limit:,} more" if len(self.skipped) > limit else ""
        reasons = sorted({record.reason.split(":")[0] for record in self.skipped})
        count = len(self.skipped)
        rows = "row" if count == 1 else "rows"
        lines = "line" if count == 1 and "-" not in shown else "lines"  # one record may span several lines
        return f"skipped {count:,} bad {rows} at {lines} {shown}{more} ({'; '.join(reasons)})"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


# -- scoring and formatting: runs in the worker processes, or in-process with one job ------------------------------


@dataclass(frozen=True)
class _Task:
    """Everything a worker needs besides the chunks: sent once, when the worker starts. Without ``cells`` the
    worker returns each output row's record and added values, and the main process writes them (``tables``);
    ``columns`` says which input columns are written and where the added values go, ``html`` that the cells are
    web pages."""

    model: Model
    threshold: float
    sentences: bool
    columns: Columns
    cells: CellFormat | None
    dialect: dict
    documents: bool = False
    html: bool = False
    languages: tuple[str, ...] | None = ("en",)
    known_words: frozenset[str] = frozenset()  # the model's English vocabulary, for ``language.identify``
    # set: the workers encode the text they format (UTF-8, which encodes a text in pieces as in one), so it is not
    # pickled as text, decoded and encoded again by the main process
    encoding: str | None = None

    @property
    def appends(self) -> bool:
        """Whether each output row is its input record's own text with the added values appended (a CSV/TSV sink
        that keeps and replaces no column)."""
        return self.cells is not None and not (self.columns.replaced or self.columns.kept is not None)


_worker_task: _Task | None = None
# Stopping the workers at once (Ctrl-C): the parent sends STOP_SIGNAL; a chunk being labeled raises _Stopped, and
# so does every chunk after it. A worker is never killed: one killed while sending its result would leave half a
# message in the pipe, and the pool's reader waiting for the rest for ever.
STOP_SIGNAL = getattr(signal, "SIGUSR1", None)
_stopping = False
_in_chunk = False


class _Stopped(Exception):
    """A worker's chunk abandoned because the run is being stopped."""


def _stop(signum, frame) -> None:
    global _stopping
    _stopping = True
    if _in_chunk:
        raise _Stopped


def _init_worker(task: _Task) -> None:
    global _worker_task
    _worker_task = task
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the pool
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if STOP_SIGNAL is not None:
        signal.signal(STOP_SIGNAL, _stop)
    exit_with_parent()
    lean_memory()


# glibc's M_MMAP_THRESHOLD: blocks from this size up are mapped on their own and given back when freed. Left to
# itself, glibc raises the threshold to the largest block freed (up to 32 MiB), so a run's chunk-sized blocks (a
# megabyte of text, its pickle, its output) would come from heaps that grow with the blocks in flight and never
# shrink: fixed, the memory of a chunk is given back when the chunk is done (about 20 MiB less on an article
# archive, bench/memory.py). Not lower: at 256 KiB, the scorer's NumPy arrays were mapped and faulted in anew at every
# batch, and a run spent 10-15% more time (mostly system time); at 1 MiB, so were the main process's blocks of text,
# pickled chunks and outputs (about a megabyte each): 4 MiB took 7% off labeling 500,000 rows (the main process's
# system time 0.55 -> 0.24 s) for 5-40 MiB more at the peak (bench/memory.py: every shape still within 270 MiB).
_MMAP_THRESHOLD = 1 << 22


def lean_memory() -> None:
    """Give memory back as it is freed (glibc's mmap threshold fixed, see ``_MMAP_THRESHOLD``), and what is free now:
    called where a labeling process starts and before a pool's workers are forked (they inherit what is in use).
    Elsewhere than glibc, nothing."""
    gc.collect()
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None)
        libc.mallopt(-3, _MMAP_THRESHOLD)  # M_MMAP_THRESHOLD
        libc.malloc_trim(0)


def exit_with_parent() -> None:
    """On Linux, have the kernel end this worker if its parent dies (even by SIGKILL); elsewhere do nothing."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _label_in_worker(chunk: Chunk) -> tuple[object, ChunkCounts]:
    global _in_chunk
    assert _worker_task is not None, "the worker was not initialised"
    if _stopping:
        raise _Stopped
    _in_chunk = True
    try:
        return _label_chunk(_worker_task, chunk)
    finally:
        _in_chunk = False


def score_sentences(model: Model, texts: list[str], threshold: float) -> list[list[tuple[int, int, str, str]]]:
    """Score a chunk of cells sentence by sentence: per cell, ``(start, end, label, probability)`` of each of its
    sentences (as ``score`` finds them: headings left out), empty for a cell without any."""
    spans = [split_sentences(text) for text in texts]
    flat = [span.text for cell in spans for span in cell]
    scored = iter(_labels(model, flat, threshold))
    return [[(span.start, span.end, *next(scored)) for span in cell] for cell in spans]


def _labels(model: Model, texts: list[str], threshold: float) -> list[tuple[str, str]]:
    """Each text's label and probability, as strings."""
    return [(label_for(p, threshold), f"{p:.6f}") for p in model.opinion_probability(texts).tolist()]


@functools.cache
def _english_index() -> ByteIndex:
    return ByteIndex({word: n for n, word in enumerate(sorted(ENGLISH_WORDS))})


class _SplitWords:
    """Read from the scorer's batches (``Model.opinion_probability``'s ``each_batch``): how many words
    ``str.split()`` gives of each text and how many of those are English function words, for
    ``language.identify_counted``; -1 where a batch did not take the byte scan (or a model scored by
    scikit-learn read none)."""

    def __init__(self, size: int):
        self.words = np.full(size, -1, dtype=np.int64)
        self.english = np.full(size, -1, dtype=np.int64)

    def __call__(self, start: int, batch: Analysis) -> None:
        found = batch.split_words(_english_index())
        if found is not None:
            stop = start + batch.size
            self.words[start:stop], self.english[start:stop] = found


def score_documents(model: Model, texts: list[str], threshold: float) -> list[list[str]]:
    """Score a chunk of cells as documents: per cell, its sentences (as ``score`` splits them: headings are not
    sentences), opinion sentences, their share and the mean opinion probability, as strings. A blank cell gets
    empty strings; a cell without sentences (headings only) ``0``, ``0`` and empty strings."""
    counts, opinion, share, mean = model.sentence_scores(texts).documents(threshold)
    results = []
    for text, n, k, s, m in zip(texts, counts.tolist(), opinion.tolist(), share.tolist(), mean.tolist(), strict=True):
        if not text.strip():
            results.append(["", "", "", ""])
        else:
            results.append([str(n), str(k), f"{s:.6f}", f"{m:.6f}"] if n else ["0", "0", "", ""])
    return results


def multi_sentence_advice(texts: list[str]) -> str | None:
    """Advice for cell mode when the cells are clearly multi-sentence (a median of ``ADVICE_MEDIAN`` or more
    sentences among the first non-blank cells: up to ``ADVICE_SAMPLE`` of them and about ``ADVICE_CHARACTERS``),
    else None. Bounded by characters, so a file of a few hundred rows (one of many small files) pays milliseconds,
    not a split of every row."""
    counts, size = [], 0
    for text in texts[:ADVICE_SAMPLE]:
        if size >= ADVICE_CHARACTERS:
            break
        if text.strip():
            counts.append(len(segment(text).sentences))
            size += len(text)
    if not counts or (median := statistics.median(counts)) < ADVICE_MEDIAN:
        return None
    return (
        f"the cells hold {median:g} sentences each (median of the first {len(counts):,} non-empty rows) and each "
        "cell is labeled as one unit; --documents gives each row its sentence counts and opinion share, "
        "--sentences one row per sentence"
    )


def _label_documents(
    task: _Task, chunk: Chunk, texts: list[str], languages: list[str]
) -> tuple[list, list[list[str]], ChunkCounts]:
    values = [[*added, language] for added, language in zip(score_documents(task.model, texts, task.threshold),
                                                             languages, strict=True)]  # fmt: skip
    labeled = sum(1 for added in values if added[0] not in ("", "0"))
    sentences = sum(int(added[0]) for added in values if added[0])
    opinion = sum(int(added[1]) for added in values if added[1])
    return chunk.records, values, ChunkCounts(len(texts), labeled, len(texts) - labeled, sentences, opinion)


# A chunk's result holds at most about this many characters of formatted output; the sentence rows past it are
# sent as their spans and formatted by the writer, this many characters at a time. So memory is bounded by the
# chunk, not by its sentences times the width of their rows (each sentence row repeats its input row).
OUTPUT_BUDGET = 1 << 22


@dataclass(frozen=True, slots=True)
class _SentenceRows:
    """The sentence rows of one input record, not yet formatted: its text, row number, cell and sentences."""

    record: str
    number: int
    text: str
    spans: list[tuple[int, int, str, str]]  # (start, end, label, probability) per sentence
    language: str

    def values(self, first: int, stop: int) -> list[list[str]]:
        """The added values of sentence rows ``first`` to ``stop`` (one row of empty values for no sentence)."""
        if not self.spans:
            return [[str(self.number), "", "", "", "", "", "", self.language]]
        n, text, language = str(self.number), self.text, self.language
        return [
            [n, str(index), str(start), str(end), text[start:end], label, probability, language]
            for index, (start, end, label, probability) in enumerate(self.spans[first:stop], start=first)
        ]

    def size(self) -> int:
        """About how many characters its formatted rows take."""
        return (len(self.record) + 48) * max(1, len(self.spans)) + len(self.text)


def _label_chunk(task: _Task, chunk: Chunk) -> tuple[object, ChunkCounts]:
    """The chunk's output (see ``_chunk_output``) and its counts, with those of its rows' languages: each cell's
    language is identified once (a web page's from its main text), and a cell in a language ``task.languages``
    leaves out is scored as an empty one, but counted apart."""
    texts = chunk.texts
    if task.documents and task.html:
        from ..sources import page_text

        texts = [page_text(text) if text.strip() else "" for text in texts]
    whole = not (task.documents or task.sentences)  # each cell scored whole
    scores: list[float | None] = []  # (whole) each cell's probability, None for a blank one or one left unscored
    if whole:  # scored first: each cell's words are counted from the scorer's byte scan, for its language
        blank = [not text.strip() for text in texts]
        present = [text for text, empty in zip(texts, blank, strict=True) if not empty]
        split = _SplitWords(len(present))
        probabilities = iter(task.model.opinion_probability(present, each_batch=split).tolist())
        identified = iter(identify_counted(present, split.words.tolist(), split.english.tolist(), task.known_words))
        languages = ["" if empty else next(identified) for empty in blank]
        scores = [None if empty else next(probabilities) for empty in blank]
    else:
        languages = [identify(text, task.known_words) for text in texts]
    not_english = sum(1 for language in languages if language not in ("", "en", UNKNOWN))
    unscored = 0
    if task.languages is not None:
        scored = {"", UNKNOWN, *task.languages}
        unscored = sum(1 for language in languages if language not in scored)
        if unscored and whole:
            scores = [p if language in scored else None for p, language in zip(scores, languages, strict=True)]
        elif unscored:
            texts = [text if language in scored else "" for text, language in zip(texts, languages, strict=True)]
    if whole:
        output, counts = _cell_output(task, chunk, scores, languages)
    else:
        output, counts = _chunk_output(task, chunk, texts, languages)
    if task.encoding is not None and task.cells is not None:  # the pieces of a CSV/TSV sink's text
        pieces = cast(list, output)
        output = [_encoded(piece, task.encoding) if isinstance(piece, str) else piece for piece in pieces]
    return output, dataclasses.replace(counts, empty=counts.empty - unscored, not_english=not_english,
                                       unscored=unscored)  # fmt: skip


def _chunk_output(task: _Task, chunk: Chunk, texts: list[str], languages: list[str]) -> tuple[object, ChunkCounts]:
    """The chunk's output and its counts (rows, labeled, empty, sentences, opinion) with ``--documents`` or
    ``--sentences`` (cells scored whole: ``_cell_output``), ``texts`` scored (the cells' text, or what
    ``_label_chunk`` made of it) with their ``languages`` added. The output is, for a CSV/TSV sink, a list of
    pieces: formatted text and (past ``OUTPUT_BUDGET``) sentence rows still to format; without ``task.cells`` (a
    ``tables`` sink), the record and added values of each output row."""
    rows = len(chunk.records)
    if task.documents:
        document_records, document_values, counts = _label_documents(task, chunk, texts, languages)
        return _output(task, document_records, document_values), counts
    results = score_sentences(task.model, texts, task.threshold)
    pieces: list[str | _SentenceRows] = []
    records: list[str] = []
    values: list[list[str]] = []
    labeled = opinion = sentences = size = 0
    for record, text, number, spans, language in zip(chunk.records, texts, chunk.numbers, results, languages,
                                                     strict=True):  # fmt: skip
        labeled += bool(spans)
        sentences += len(spans)
        opinion += sum(1 for span in spans if span[2] == "opinion")
        rows_of = _SentenceRows(record, number, text, spans, language)
        if task.cells is not None:  # a CSV/TSV sink: past the budget, this record and the rest go unformatted
            size += rows_of.size()
            if size > OUTPUT_BUDGET:
                pieces.append(rows_of)
                continue
        cell_values = rows_of.values(0, len(spans))
        records.extend([record] * len(cell_values))
        values.extend(cell_values)
    counts = ChunkCounts(rows, labeled, rows - labeled, sentences, opinion)
    if task.cells is None:
        return (records, values), counts
    if records:
        pieces.insert(0, _format(task, records, values))
    return pieces, counts


def _cell_output(
    task: _Task, chunk: Chunk, scores: list[float | None], languages: list[str]
) -> tuple[object, ChunkCounts]:
    """The chunk's output and counts (see ``_chunk_output``) where each cell is scored whole: its label, probability
    and language; the first two empty for a cell without a score (blank, or in a language left unscored)."""
    rows, threshold = len(chunk.records), task.threshold
    labels = [None if p is None else label_for(p, threshold) for p in scores]
    labeled = rows - labels.count(None)
    counts = ChunkCounts(rows, labeled, rows - labeled, 0, labels.count("opinion"))
    if task.appends:  # straight into the text appended to each record
        assert task.cells is not None
        d = task.cells.delimiter
        appended = [
            f"{d}{d}{language}" if p is None else f"{label}{d}{p:.6f}{d}{language}"
            for p, label, language in zip(scores, labels, languages, strict=True)
        ]
        return [task.cells.append_all(chunk.records, appended)], counts
    added = [
        ["", "", language] if p is None else [str(label), f"{p:.6f}", language]
        for p, label, language in zip(scores, labels, languages, strict=True)
    ]
    return _output(task, chunk.records, added), counts


def _encoded(text: str, encoding: str) -> bytes:
    """``text`` in ``encoding``; a one-line error (as ``RecordWriter``'s) for a character it cannot hold."""
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as err:
        raise DataError(f"cannot write the output: {err}") from None


def _output(task: _Task, records: list, values: list[list[str]]) -> object:
    if task.cells is None:  # the main process writes the rows
        return records, values
    return [_format(task, records, values)]


def _formatted(task: _Task, pieces: list[str | bytes | _SentenceRows]) -> Iterator[str | bytes]:
    """A chunk's pieces of output as text (or encoded already), at most about ``OUTPUT_BUDGET`` characters at a
    time."""
    for piece in pieces:
        if isinstance(piece, (str, bytes)):
            yield piece
            continue
        kept, width = None, len(piece.record) + 48  # each row repeats the record
        if not task.appends:  # rows formatted anew: the record parsed once
            kept = _kept_cells(task, piece.record)
            width = sum(map(len, kept)) + 48 + len(piece.text) // max(1, len(piece.spans))
        step = max(1, OUTPUT_BUDGET // width)
        for first in range(0, max(1, len(piece.spans)), step):
            values = piece.values(first, first + step)
            yield _format(task, [piece.record] * len(values), values, kept)


def _input_bytes(chunk: Chunk, encoding: str) -> int:
    """How many bytes of input the chunk's records were (for progress; in characters if they do not encode)."""
    text = "".join(chunk.records)
    try:
        return len(text.encode(encoding, "surrogateescape"))
    except (UnicodeError, LookupError):
        return len(text)


def _format(task: _Task, records: list[str], values: list[list[str]], kept: list[str] | None = None) -> str:
    """Each record with its added values: appended to its own text, or, keeping or replacing columns, as a new
    row (``kept``: the kept cells of ``records``, all one record, parsed already)."""
    cells = task.cells
    assert cells is not None
    if not task.appends:
        return "".join(cells.row(row) for row in _rows(task, records, values, kept))
    if task.sentences:  # the sentence may need quoting
        values = [[cells.cell(v) for v in added] for added in values]
    return cells.append_all(records, list(map(cells.delimiter.join, values)))


def _rows(
    task: _Task, records: list[str], values: list[list[str]], parsed: list[str] | None = None
) -> Iterator[list[str]]:
    """Rows formatted anew: each record's kept cells, replaced columns overwritten, added values appended. A record
    repeated over its sentences is parsed once (``parsed``: the kept cells of ``records``, all one record)."""
    columns = task.columns
    previous, kept = (records[0], parsed) if parsed is not None and records else (None, [])
    for record, added in zip(records, values, strict=True):
        if record is not previous:
            kept, previous = _kept_cells(task, record), record
        row = kept.copy()
        for position, k in columns.replaced:
            row[position] = added[k]
        yield row + [added[k] for k in columns.appended]


def _kept_cells(task: _Task, record: str) -> list[str]:
    """The record's cells that its output rows keep (all of them where no column is left out)."""
    # a blank line (of a one-column file) is one empty cell
    row = next(csv.reader(io.StringIO(record, newline=""), **task.dialect), []) or [""]
    return row if task.columns.kept is None else [row[i] for i in task.columns.kept]


def _format_header(task: _Task, header_text: str) -> str:
    """The output header: the input's own text with the added names appended, or, keeping or replacing columns,
    formatted anew."""
    cells, columns = task.cells, task.columns
    assert cells is not None
    if not task.appends:
        return cells.row(columns.output_names)
    return cells.append(header_text, cells.delimiter.join(map(cells.cell, columns.added_names)))


class _Labeler:
    """Label chunks in order: in-process with one job, else on a pool with the task (model included) sent once
    to each worker."""

    def __init__(self, task: _Task, jobs: int):
        self.task = task
        self.max_pending = 2 * jobs if jobs > 1 else 1
        self._pool = None
        if jobs > 1:
            lean_memory()  # the workers are forked from this process: what it frees now, they do not inherit
            self._pool = ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(task,))

    def submit(self, chunk: Chunk) -> Future:
        if self._pool is not None:
            return self._pool.submit(_label_in_worker, chunk)
        future: Future = Future()
        future.set_result(_label_chunk(self.task, chunk))
        return future

    def close(self, *, abort: bool = False) -> None:
        """Stop the pool once the chunks in progress are done, or, with ``abort`` (an error, Ctrl-C, a signal), at
        once: the workers abandon the chunks whose output will never be written (see ``STOP_SIGNAL``)."""
        if self._pool is None:
            return
        if abort and STOP_SIGNAL is not None:
            for process in list((getattr(self._pool, "_processes", None) or {}).values()):
                with contextlib.suppress(OSError, TypeError):
                    os.kill(process.pid, STOP_SIGNAL)
        self._pool.shutdown(wait=True, cancel_futures=True)


# -- the run -------------------------------------------------------------------------------------------------------


def job_count(jobs: int) -> int:
    """The worker processes ``jobs`` asks for: itself, or with 0 every core this process may use."""
    if jobs > 0:
        return jobs
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def label_stream(
    source: BinaryIO,
    sink: BinaryIO,
    model: Model,
    options: BatchOptions | None = None,
    *,
    name: str = "input",
    progress: Progress | None = None,
    notify: Callable[[str], None] | None = None,
) -> BatchSummary:
    """Read CSV/TSV bytes from ``source``, write them with the added columns to ``sink``, return a summary.

    ``progress`` is called as each chunk is written with the input bytes and rows it held (so it follows the
    work done, not the reading ahead), and at the end with the bytes of the rest (header, blank lines, skipped
    rows); ``notify`` with a warning (also kept in the summary). Raises ``DataError`` for input that cannot be
    used (naming the line).
    """
    options = options or BatchOptions()
    started = time.perf_counter()
    records = _Records(source, name, options, counted=progress is not None)
    return _label(records, _SpliceSink.opener(sink, records, progress), model, options, notify, started)


class _Reader(Protocol):
    name: str
    header: list[str]

    @property
    def blank_lines(self) -> int: ...

    @property
    def skipped(self) -> list[BadRecord]: ...

    def chunks(
        self, text_column: str, max_rows: int, reserved: Mapping[str, str] | None = None, max_bytes: int = ...
    ) -> Iterator[tuple[Chunk, object]]: ...


class _Sink(Protocol):
    @property
    def cells(self) -> CellFormat | None:  # set: the workers format CSV/TSV rows in this dialect
        ...

    @property
    def dialect(self) -> dict: ...

    @property
    def encoding(self) -> str | None:  # set: the workers encode the formatted text in it
        ...

    def start(self, task: _Task) -> None: ...

    def write(self, output: object, context: object, counts: ChunkCounts) -> None: ...

    def close(self) -> None: ...


def _label(
    reader: _Reader,
    open_sink: Callable[[Columns], _Sink],
    model: Model,
    options: BatchOptions,
    notify: Callable[[str], None] | None,
    started: float,
) -> BatchSummary:
    """The one labeling pipeline: ``reader``'s chunks are scored on a pool of workers, in order, and each one's
    output goes to the sink, which writes its rows. The columns (the text column, those kept, where the added
    ones go) are planned once, from the reader's header, for the workers and the sink alike."""
    name = reader.name
    text_column = find_text_column(reader.header, options.source_column, name)
    keep = _kept(reader.header, options.keep, name)
    others = keep is None and options.sentences  # each sentence row carries the others, not the whole text again
    if others:
        keep = tuple(i for i, column in enumerate(reader.header) if column != text_column)
    unit = options.unit
    columns = Columns.plan(
        reader.header, keep, unit.columns, unit.output_names(options.column_names, unit.described),
        [COLUMN_TYPES[field] for field in unit.columns], options.replace_columns, others,
    )  # fmt: skip
    sink = open_sink(columns)
    task = _Task(model, options.threshold, options.sentences, columns, sink.cells, sink.dialect, options.documents,
                 options.html_column is not None, options.languages,
                 model.scorer.words if model.scorer is not None else frozenset(), sink.encoding)  # fmt: skip
    sink.start(task)
    summary = BatchSummary(sentences_mode=options.mode != "cell")
    chunks = reader.chunks(text_column, max(1, options.chunk_rows), columns.reserved(unit.columns), options.chunk_bytes)
    _pump(chunks, task, options, summary, sink.write, notify)
    sink.close()
    summary.blank_lines, summary.skipped = reader.blank_lines, reader.skipped
    summary.seconds = time.perf_counter() - started
    return summary


class _Records(DelimitedReader):
    """CSV/TSV records for a sink of the same dialect: each chunk goes to the workers with its records' text (not
    as rows to parse), and comes with its size in bytes where progress is counted."""

    def __init__(self, source: BinaryIO, name: str, options: BatchOptions, *, counted: bool):
        self.delimiter, self.counted = options.delimiter or ",", counted
        super().__init__(source, name=name, delimiter=self.delimiter, encoding=options.encoding,
                         skip_bad=options.skip_bad_rows, quoting=options.quoting,
                         pad_short=options.pad_short_rows, field_limit=options.max_cell)  # fmt: skip

    def chunks(  # type: ignore[override]
        self, text_column: str, max_rows: int, reserved: Mapping[str, str] | None = None, max_bytes: int = CHUNK_BYTES
    ) -> Iterator[tuple[Chunk, int]]:
        encoding = self.records.encoding
        for chunk in self.records.chunks(self.header.index(text_column), max_rows, max_bytes):
            yield chunk, _input_bytes(chunk, encoding) if self.counted else 0


class _SpliceSink:
    """CSV/TSV into the input's own dialect, byte for byte: the header, then each chunk's rows as the workers
    formatted them (each input record's own text with the added values appended, or, keeping or replacing
    columns, the row formatted anew); progress counts each chunk's input bytes as it is written."""

    def __init__(self, out: BinaryIO, records: _Records, progress: Progress | None):
        reader = records.records
        self.records, self.progress, self.reported = records, progress, 0
        self.cells = CellFormat(records.delimiter, reader.quoting, reader.line_terminator)
        self.dialect = {"delimiter": records.delimiter, "quoting": reader.quoting, "strict": True}
        self.writer = RecordWriter(out, encoding=reader.encoding, bom=reader.has_bom)
        self.encoding = "utf-8" if codecs.lookup(reader.encoding).name == "utf-8" else None

    @classmethod
    def opener(cls, out: BinaryIO, records: _Records, progress: Progress | None) -> Callable[[Columns], _SpliceSink]:
        return lambda columns: cls(out, records, progress)

    def start(self, task: _Task) -> None:
        self.task = task
        self.writer.write(_format_header(task, self.records.records.header_text))

    def write(self, pieces: object, size: object, counts: ChunkCounts) -> None:
        for text in _formatted(self.task, pieces):  # type: ignore[arg-type]
            self.writer.write(text)
        if self.progress is not None:
            self.progress(size, counts.rows)  # type: ignore[arg-type]
            self.reported += size  # type: ignore[operator]

    def close(self) -> None:
        read = self.records.records.bytes_read
        if self.progress is not None and read > self.reported:
            self.progress(read - self.reported, 0)
        self.writer.close()


class _TableSink:
    """Rows into a ``tables`` sink of any format: the main process writes each chunk's rows from its input rows
    and the values the workers computed; progress follows the reader's ``position`` as chunks are written."""

    cells: CellFormat | None = None
    dialect: dict = {}  # read, never changed
    encoding: str | None = None

    def __init__(self, sink: Any, progress: Progress | None, position: Callable[[], int]):
        self.sink, self.progress, self.position, self.reported = sink, progress, position, 0

    @classmethod
    def opener(
        cls, fmt: tables.TableFormat, out: BinaryIO, reader: _Reader, options: BatchOptions,
        progress: Progress | None, position: Callable[[], int],
    ) -> Callable[[Columns], _TableSink]:  # fmt: skip
        def open_sink(columns: Columns) -> _TableSink:
            sink = tables.open_sink(fmt, out, columns, reader, delimiter=fmt.delimiter(options.delimiter),
                                    encoding=options.encoding)  # fmt: skip
            return cls(sink, progress, position)

        return open_sink

    def start(self, task: _Task) -> None:
        pass

    def write(self, output: object, rows: object, counts: ChunkCounts) -> None:
        indexes, values = cast(tuple[list[int], list[list[str]]], output)
        self.sink.write(rows, indexes, values)
        if self.progress is not None:
            now = self.position()
            self.progress(max(0, now - self.reported), counts.rows)
            self.reported = max(self.reported, now)

    def close(self) -> None:
        self.sink.close()


def _pump(
    items: Iterator[tuple[Chunk, object]],
    task: _Task,
    options: BatchOptions,
    summary: BatchSummary,
    write: Callable[[object, object, ChunkCounts], None],
    notify: Callable[[str], None] | None,
) -> None:
    """Label the chunks in order and ``write`` each one's output with the object it came with (the input rows a
    ``tables`` sink needs, or the input bytes a progress bar counts) and its counts. In cell mode, the first chunk
    decides whether to advise another mode. An error, Ctrl-C or a signal stops the workers at once."""
    head = [item for item in (next(items, None), next(items, None)) if item is not None]
    if head and options.advise and options.mode == "cell" and (advice := multi_sentence_advice(head[0][0].texts)):
        summary.warnings.append(advice)
        if notify is not None:
            notify(advice)
    labeler = _Labeler(task, job_count(options.jobs) if len(head) > 1 else 1)  # a small input never starts a pool
    pending: deque[tuple[Future, object]] = deque()

    def flush_one() -> None:
        future, context = pending.popleft()
        output, counts = future.result()
        write(output, context, counts)
        summary.add(counts)

    try:
        for chunk, context in chain(head, items):
            pending.append((labeler.submit(chunk), context))
            while len(pending) > labeler.max_pending:
                flush_one()
        while pending:
            flush_one()
    except BrokenProcessPool:
        labeler.close(abort=True)
        raise WorkerDied() from None
    except BaseException:  # an error, Ctrl-C or a signal: nothing more will be written
        labeler.close(abort=True)
        raise
    labeler.close()


def _kept(header: list[str], keep: Iterable[str] | None, name: str) -> tuple[int, ...] | None:
    """The indexes of the ``keep`` columns in input order (None: every column); a ``DataError`` for a name the
    input does not have, or has twice."""
    if keep is None:
        return None
    for wanted in keep:
        if wanted not in header:
            raise DataError(f"{name}: no column {wanted!r} to keep; the columns are: {', '.join(header)}")
        if header.count(wanted) > 1:
            raise DataError(f"{name}: the header has {header.count(wanted)} columns named {wanted!r}")
    wanted_set = set(keep)
    return tuple(i for i, column in enumerate(header) if column in wanted_set)


def label_file(
    source: str | Path | BinaryIO,
    destination: str | Path | BinaryIO,
    model: Model,
    options: BatchOptions | None = None,
    *,
    overwrite: bool = False,
    progress: Progress | None = None,
    notify: Callable[[str], None] | None = None,
    stream_name: str = "standard input",
    later: Publication | None = None,
) -> BatchSummary:
    """Label ``source`` (a path or binary stream) into ``destination`` (a path, written atomically, or a binary
    stream), in the formats their names imply (CSV, TSV, JSON Lines, Parquet; ``.gz`` for gzip) or
    ``options.format`` for the input (``tables.resolve_formats``). The input file is only read; a destination
    that is the input is refused. ``notify`` gets warnings as they arise (they are in the summary too); errors
    name a stream ``stream_name``. With ``later``, a destination path is named by ``later.publish()``, with the
    other files it holds (``atomic.Publication``)."""
    options = options or BatchOptions()
    if isinstance(destination, (str, Path)) and _is_input(source, destination):
        name = source if isinstance(source, (str, Path)) else "standard input"
        raise DataError(f"refusing to write the output over the input file ({name} is {destination})")
    formats = tables.resolve_formats(
        str(source) if isinstance(source, (str, Path)) else None,
        str(destination) if isinstance(destination, (str, Path)) else None,
        options.format,
    )
    run = functools.partial(_label_to, model=model, options=options, formats=formats, overwrite=overwrite,
                            progress=progress, notify=notify, later=later)  # fmt: skip
    if not isinstance(source, (str, Path)):
        return run(source, destination, name=stream_name)
    try:
        handle = open(source, "rb")  # noqa: SIM115 (closed below)
    except OSError as err:
        raise DataError(f"cannot read {source}: {err.strerror or err}") from None
    with handle:
        if options.format is None:
            _refuse_workbook(handle, str(source))
        return run(handle, destination, name=str(source))


# The first bytes of spreadsheet files, which people name as tables: an Office Open XML or OpenDocument workbook is a
# zip file; an older Excel workbook an OLE2 compound file.
_WORKBOOK_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
_WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


def _refuse_workbook(handle: BinaryIO, name: str) -> None:
    """A ``DataError`` for a spreadsheet workbook (by its name or its first bytes), which no table reader here
    reads, instead of an undecodable-byte error on its first line."""
    head = handle.peek(8)[:8] if hasattr(handle, "peek") else b""
    if name.lower().endswith(_WORKBOOK_SUFFIXES) or head.startswith(_WORKBOOK_SIGNATURES):
        raise DataError(f"{name}: this looks like an Excel workbook: save it as CSV")


def _is_input(source: str | Path | BinaryIO, destination: str | Path) -> bool:
    """Whether ``destination`` is the file ``source`` reads (a path, or an open stream such as redirected stdin)."""
    if isinstance(source, (str, Path)):
        return same_file(source, destination)
    try:
        read, written = os.fstat(source.fileno()), os.stat(destination)
    except (OSError, ValueError, AttributeError):
        return False
    return stat.S_ISREG(read.st_mode) and (read.st_dev, read.st_ino) == (written.st_dev, written.st_ino)


def _label_to(source, destination, *, overwrite: bool, name: str, later: Publication | None, **kwargs) -> BatchSummary:
    if not isinstance(destination, (str, Path)):
        return _label_formats(source, destination, name=name, **kwargs)
    with atomic_output(destination, overwrite=overwrite, later=later) as sink:
        return _label_formats(source, sink, name=name, **kwargs)


def _label_formats(
    source: BinaryIO,
    sink: BinaryIO,
    *,
    model: Model,
    options: BatchOptions,
    formats: tuple[tables.TableFormat, tables.TableFormat],
    name: str,
    progress: Progress | None,
    notify: Callable[[str], None] | None,
) -> BatchSummary:
    """CSV/TSV into the same dialect through ``label_stream``; every other pair of formats through ``tables``."""
    source_format, sink_format = formats
    counter = CountingReader(source)
    read = functools.partial(tables.open_reader, name=name, delimiter=options.delimiter, encoding=options.encoding,
                             skip_bad=options.skip_bad_rows, quoting=options.quoting,
                             pad_short=options.pad_short_rows, field_limit=options.max_cell)  # fmt: skip
    with open_output(sink, sink_format) as out:
        if not tables.FORMATS[source_format.kind].text:  # read as the file it is (Parquet: from its end)
            whole = read(source, source_format)
            position: Callable[[], int] = lambda: whole.bytes_read  # noqa: E731
            return _label(whole, _TableSink.opener(sink_format, out, whole, options, progress, position), model,
                          options, notify, time.perf_counter())  # fmt: skip
        stream = open_input(counter, source_format, name)
        delimiter = source_format.delimiter(options.delimiter)
        if source_format.delimited and sink_format.delimited and sink_format.delimiter(options.delimiter) == delimiter:
            report = progress
            if progress is not None and is_compressed(stream):  # the file's bytes, not the text's
                report = lambda _, rows: progress(counter.take(), rows)  # noqa: E731
            options = dataclasses.replace(options, delimiter=delimiter)
            return label_stream(stream, out, model, options, name=name, progress=report, notify=notify)
        reader = read(stream, source_format)
        return _label(reader, _TableSink.opener(sink_format, out, reader, options, progress, lambda: counter.count),
                      model, options, notify, time.perf_counter())  # fmt: skip
