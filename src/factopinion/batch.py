"""Label every row, or every sentence, of a CSV/TSV file: streamed in chunks, scored on a pool of worker processes
in input order, every input cell written back unchanged (see ``csvstream``) and the output written atomically."""

from __future__ import annotations

import contextlib
import csv
import ctypes
import io
import os
import signal
import stat
import time
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import BinaryIO

from .atomic import atomic_output, same_file
from .csvstream import BadRecord, CellFormat, Chunk, RecordReader, RecordWriter, find_text_column
from .document import label_for
from .errors import DataError, OptionError
from .language import ENGLISH_ONLY, looks_english
from .model import Model
from .text import split_sentences

__all__ = [
    "BatchOptions",
    "BatchSummary",
    "ChunkCounts",
    "Progress",
    "ROW_COLUMNS",
    "SENTENCE_COLUMNS",
    "label_stream",
    "label_file",
    "score_texts",
]

# Told, as each chunk is written, the input bytes and rows it held (see label_stream).
Progress = Callable[[int, int], None]

# Rows whose language is checked: all of the first LANGUAGE_ALL_ROWS, then one in LANGUAGE_STRIDE.
LANGUAGE_ALL_ROWS = 1000
LANGUAGE_STRIDE = 8

# The columns each mode adds, in order.
ROW_COLUMNS = ("label", "opinion_probability")
SENTENCE_COLUMNS = ("row", "sentence_index", "start", "end", "sentence", "label", "opinion_probability")


@dataclass(frozen=True)
class BatchOptions:
    """How to read, score and write a file.

    ``column_names`` renames added columns (``{"label": "verdict"}``); ``jobs`` 0 means every core;
    ``chunk_rows`` bounds memory: at most about ``2 * jobs + 1`` chunks are held at once.
    """

    text_column: str | None = None
    sentences: bool = False
    threshold: float = 0.5
    delimiter: str = ","
    encoding: str = "utf-8"
    column_names: Mapping[str, str] = field(default_factory=dict)
    replace_columns: bool = False
    skip_bad_rows: bool = False
    jobs: int = 0
    chunk_rows: int = 4000

    def __post_init__(self) -> None:
        added = self.added_columns
        unknown = [name for name in self.column_names if name not in added]
        if unknown:
            mode = "with --sentences" if self.sentences else "without --sentences"
            raise OptionError(
                f"no added column {unknown[0]!r} to rename {mode}; the added columns are: {', '.join(added)}"
            )
        names = [self.column_names.get(f, f) for f in added]
        twice = next((name for name in names if names.count(name) > 1), None)
        if twice is not None:
            raise OptionError(f"two added columns would both be named {twice!r}")
        if not 0.0 <= self.threshold <= 1.0:  # also refuses NaN
            raise OptionError(f"the threshold must be between 0 and 1, not {self.threshold}")
        if self.chunk_rows < 1 or self.jobs < 0:
            raise OptionError("chunk_rows must be at least 1 and jobs at least 0")

    @property
    def added_columns(self) -> tuple[str, ...]:
        """The columns this mode adds (before renaming)."""
        return SENTENCE_COLUMNS if self.sentences else ROW_COLUMNS


@dataclass(frozen=True, slots=True)
class ChunkCounts:
    """What labeling one chunk counted: input rows, rows with text, rows without, sentences, opinion units, and
    and of the rows whose language was checked (see ``_language_counts``), how many and how many do not look like
    English (``language.looks_english``)."""

    rows: int = 0
    labeled: int = 0
    empty: int = 0
    sentences: int = 0
    opinion: int = 0
    language_checked: int = 0
    not_english: int = 0


@dataclass
class BatchSummary:
    """What a run did: input rows written, rows with and without text, sentences, opinions, skipped records."""

    sentences_mode: bool = False
    rows: int = 0
    labeled: int = 0
    empty: int = 0
    sentences: int = 0
    opinion: int = 0
    language_checked: int = 0
    not_english: int = 0
    blank_lines: int = 0
    skipped: list[BadRecord] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, counts: ChunkCounts) -> None:
        """Count a labeled chunk in."""
        self.rows += counts.rows
        self.labeled += counts.labeled
        self.empty += counts.empty
        self.sentences += counts.sentences
        self.opinion += counts.opinion
        self.language_checked += counts.language_checked
        self.not_english += counts.not_english

    @property
    def opinion_share(self) -> float:
        units = self.sentences if self.sentences_mode else self.labeled
        return self.opinion / units if units else 0.0

    def line(self) -> str:
        """The one-line summary printed at the end of a run."""
        units = f", {_plural(self.sentences, 'sentence')}" if self.sentences_mode else ""
        foreign = f", {self._not_english_text()} not English" if self.not_english else ""
        text = (
            f"{_plural(self.rows, 'row')}{units}: {self.labeled:,} labeled, {self.empty:,} empty, "
            f"{self.opinion_share:.1%} opinion{foreign}, {self.seconds:.1f} s"
        )
        if self.blank_lines:
            text += f" ({self.blank_lines:,} blank lines dropped)"
        return text

    @property
    def not_english_rows(self) -> int:
        """Rows with text that does not look like English: counted where every row was checked, else estimated
        from the rows checked."""
        if not self.language_checked:
            return 0
        return round(self.not_english * self.labeled / self.language_checked)

    @property
    def not_english_estimated(self) -> bool:
        return self.language_checked < self.labeled

    def _not_english_text(self) -> str:
        return f"{'about ' if self.not_english_estimated else ''}{self.not_english_rows:,}"

    def not_english_line(self) -> str | None:
        """The warning, once per run, for rows that do not look like English; None where there are none."""
        if not self.not_english:
            return None
        n = self.not_english_rows
        rows = "row does" if n == 1 and not self.not_english_estimated else "rows do"
        sample = (
            f" (from one row in {LANGUAGE_STRIDE} after the first {LANGUAGE_ALL_ROWS:,})" * self.not_english_estimated
        )
        return f"{self._not_english_text()} {rows} not look like English{sample}: {ENGLISH_ONLY}"

    def skipped_line(self, limit: int = 20) -> str:
        """The count and lines of the skipped records, for standard error."""
        shown = ", ".join(record.lines.removeprefix("line ").removeprefix("lines ") for record in self.skipped[:limit])
        more = f" and {len(self.skipped) - limit:,} more" if len(self.skipped) > limit else ""
        reasons = sorted({record.reason.split(":")[0] for record in self.skipped})
        count = len(self.skipped)
        rows, lines = ("row", "line") if count == 1 and "-" not in shown else ("rows", "lines")
        return f"skipped {count:,} bad {rows} at {lines} {shown}{more} ({'; '.join(reasons)})"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


# -- columns -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    """Where the added values go: appended to each record's own text, or (``replaced``) over input columns, in
    which case the row is formatted anew."""

    names: list[str]  # the output name of each added value
    appended: list[int]  # indexes of the added values appended, in order
    replaced: list[tuple[int, int]]  # (input column, index of the added value) pairs

    @classmethod
    def plan(cls, header: list[str], fields: tuple[str, ...], names: Mapping[str, str], replace: bool) -> _Layout:
        out_names = [names.get(f, f) for f in fields]
        appended, replaced = [], []
        for k, out_name in enumerate(out_names):
            if out_name not in header:
                appended.append(k)
            elif replace:
                replaced.append((header.index(out_name), k))
            else:
                raise DataError(
                    f"the input already has a column {out_name!r}; rename the added one "
                    f"(--column {fields[k]}=NEW_NAME) or give --replace-columns to overwrite it"
                )
        return cls(out_names, appended, replaced)

    @property
    def added_names(self) -> list[str]:
        """The names of the appended columns."""
        return [self.names[k] for k in self.appended]

    def header(self, header: list[str]) -> list[str]:
        """The output header, for the rows that are formatted anew."""
        header = header.copy()
        for position, k in self.replaced:
            header[position] = self.names[k]
        return header + self.added_names


# -- scoring and formatting: runs in the worker processes, or in-process with one job ------------------------------


@dataclass(frozen=True)
class _Task:
    """Everything a worker needs besides the chunks: sent once, when the worker starts."""

    model: Model
    threshold: float
    sentences: bool
    layout: _Layout
    cells: CellFormat
    dialect: dict


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
    _exit_with_parent()


def _exit_with_parent() -> None:
    """On Linux, have the kernel end this worker if its parent dies (even by SIGKILL); elsewhere do nothing."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _label_in_worker(chunk: Chunk) -> tuple[str, ChunkCounts]:
    global _in_chunk
    assert _worker_task is not None, "the worker was not initialised"
    if _stopping:
        raise _Stopped
    _in_chunk = True
    try:
        return _label_chunk(_worker_task, chunk)
    finally:
        _in_chunk = False


def score_texts(model: Model, texts: list[str], threshold: float, sentences: bool) -> list:
    """Score a chunk of cells.

    One ``[label, probability]`` pair of strings per cell (empty strings for a blank cell); with ``sentences``, a
    list of ``(start, end, label, probability)`` per cell, one per sentence (empty for a cell without any).
    """
    if sentences:
        spans = [split_sentences(text) for text in texts]  # the sentences score finds: headings left out
        flat = [span.text for cell in spans for span in cell]
        scored = iter(_labels(model, flat, threshold))
        return [[(span.start, span.end, *next(scored)) for span in cell] for cell in spans]
    present = [i for i, text in enumerate(texts) if text.strip()]
    results = [["", ""]] * len(texts)
    for i, pair in zip(present, _labels(model, [texts[i] for i in present], threshold), strict=True):
        results[i] = pair
    return results


def _labels(model: Model, texts: list[str], threshold: float) -> list[list[str]]:
    probabilities = model.opinion_probability(texts).tolist()
    return [[label_for(p, threshold), f"{p:.6f}"] for p in probabilities]


def _label_chunk(task: _Task, chunk: Chunk) -> tuple[str, ChunkCounts]:
    """The chunk's output text, and its counts: rows, labeled, empty, sentences, opinion."""
    results = score_texts(task.model, chunk.texts, task.threshold, task.sentences)
    records, values = [], []
    labeled = opinion = sentences = 0
    if task.sentences:
        for record, text, number, spans in zip(chunk.records, chunk.texts, chunk.numbers, results, strict=True):
            labeled += bool(spans)
            sentences += len(spans)
            for index, (start, end, label, probability) in enumerate(spans):
                records.append(record)
                values.append([str(number), str(index), str(start), str(end), text[start:end], label, probability])
                opinion += label == "opinion"
            if not spans:
                records.append(record)
                values.append([str(number), "", "", "", "", "", ""])
    else:
        records, values = chunk.records, results
        labeled = sum(1 for label, _ in results if label)
        opinion = sum(1 for label, _ in results if label == "opinion")
    checked, not_english = _language_counts(chunk)
    counts = ChunkCounts(
        len(chunk.records), labeled, len(chunk.records) - labeled, sentences, opinion, checked, not_english
    )
    return _format(task, records, values), counts


def _language_counts(chunk: Chunk) -> tuple[int, int]:
    """How many of the chunk's cells with text were checked for their language, and how many of those do not look
    like English: every one among the first ``LANGUAGE_ALL_ROWS`` rows, then one row in ``LANGUAGE_STRIDE`` (a
    tenth of scoring a sentence is too much to spend on each of millions). Chosen by row number, so the figures
    do not depend on --jobs or --chunk-size."""
    checked = not_english = 0
    for number, text in zip(chunk.numbers, chunk.texts, strict=True):
        if (number <= LANGUAGE_ALL_ROWS or number % LANGUAGE_STRIDE == 0) and text.strip():
            checked += 1
            not_english += looks_english(text) is False
    return checked, not_english


def _format(task: _Task, records: list[str], values: list[list[str]]) -> str:
    """Each record with its added values: appended to its own text, or, replacing columns, as a new row."""
    cells, layout = task.cells, task.layout
    if layout.replaced:
        rows = csv.reader(io.StringIO("".join(records), newline=""), **task.dialect)
        out = []
        for row, added in zip(rows, values, strict=True):
            for position, k in layout.replaced:
                row[position] = added[k]
            out.append(cells.row(row + [added[k] for k in layout.appended]))
        return "".join(out)
    if task.sentences:  # the sentence may need quoting
        values = [[cells.cell(v) for v in added] for added in values]
    join = cells.delimiter.join
    return "".join(cells.append(record, join(added)) for record, added in zip(records, values, strict=True))


def _format_header(task: _Task, header: list[str], header_text: str) -> str:
    cells, layout = task.cells, task.layout
    if layout.replaced:
        return cells.row(layout.header(header))
    return cells.append(header_text, cells.delimiter.join(map(cells.cell, layout.added_names)))


class _Labeler:
    """Label chunks in order: in-process with one job, else on a pool with the task (model included) sent once
    to each worker."""

    def __init__(self, task: _Task, jobs: int):
        self.task = task
        self.max_pending = 2 * jobs if jobs > 1 else 1
        self._pool = ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(task,)) if jobs > 1 else None

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


def _jobs(jobs: int) -> int:
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
) -> BatchSummary:
    """Read CSV/TSV bytes from ``source``, write them with the added columns to ``sink``, return a summary.

    ``progress`` is called as each chunk is written with the input bytes and rows it held (so it follows the
    work done, not the reading ahead), and at the end with the bytes of the rest (header, blank lines, skipped
    rows). Raises ``DataError`` for input that cannot be used (naming the line).
    """
    options = options or BatchOptions()
    started = time.perf_counter()
    reader = RecordReader(
        source, name=name, delimiter=options.delimiter, encoding=options.encoding, skip_bad=options.skip_bad_rows
    )
    column = reader.header.index(find_text_column(reader.header, options.text_column, name))
    layout = _Layout.plan(reader.header, options.added_columns, options.column_names, options.replace_columns)
    cells = CellFormat(options.delimiter, reader.quoting, reader.line_terminator)
    dialect = {"delimiter": options.delimiter, "quoting": reader.quoting, "strict": True}
    task = _Task(model, options.threshold, options.sentences, layout, cells, dialect)
    writer = RecordWriter(sink, encoding=reader.encoding, bom=reader.has_bom)
    writer.write(_format_header(task, reader.header, reader.header_text))
    summary = BatchSummary(sentences_mode=options.sentences)
    reported = 0

    def write(item: tuple[Future, int]) -> None:
        nonlocal reported
        future, size = item
        rows = _write(future, writer, summary)
        if progress is not None:
            progress(size, rows)
            reported += size

    chunks = reader.chunks(column, max(1, options.chunk_rows))
    head = [c for c in (next(chunks, None), next(chunks, None)) if c is not None]
    labeler = _Labeler(task, _jobs(options.jobs) if len(head) > 1 else 1)  # a small input never starts a pool
    pending: deque[tuple[Future, int]] = deque()
    try:
        for chunk in chain(head, chunks):
            size = _input_bytes(chunk, reader.encoding) if progress is not None else 0
            pending.append((labeler.submit(chunk), size))
            while len(pending) > labeler.max_pending:
                write(pending.popleft())
        while pending:
            write(pending.popleft())
        if progress is not None and reader.bytes_read > reported:
            progress(reader.bytes_read - reported, 0)
    except BaseException:  # an error, Ctrl-C or a signal: nothing more will be written
        labeler.close(abort=True)
        raise
    labeler.close()
    writer.close()
    summary.blank_lines, summary.skipped = reader.blank_lines, reader.skipped
    summary.seconds = time.perf_counter() - started
    return summary


def _write(future: Future, writer: RecordWriter, summary: BatchSummary) -> int:
    """Write a labeled chunk and count it in; its number of input rows."""
    text, counts = future.result()
    writer.write(text)
    summary.add(counts)
    return counts.rows


def _input_bytes(chunk: Chunk, encoding: str) -> int:
    """How many bytes of input the chunk's records were (for progress; in characters if they do not encode)."""
    text = "".join(chunk.records)
    try:
        return len(text.encode(encoding, "surrogateescape"))
    except (UnicodeError, LookupError):
        return len(text)


def label_file(
    source: str | Path | BinaryIO,
    destination: str | Path | BinaryIO,
    model: Model,
    options: BatchOptions | None = None,
    *,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> BatchSummary:
    """Label ``source`` (a path or binary stream) into ``destination`` (a path, written atomically, or a binary
    stream). The input file is only read; a destination that is the input is refused."""
    if isinstance(destination, (str, Path)) and _is_input(source, destination):
        name = source if isinstance(source, (str, Path)) else "standard input"
        raise DataError(f"refusing to write the output over the input file ({name} is {destination})")
    if not isinstance(source, (str, Path)):
        return _label_to(source, destination, model, options, overwrite, progress, name="standard input")
    try:
        handle = open(source, "rb")  # noqa: SIM115 (closed below)
    except OSError as err:
        raise DataError(f"cannot read {source}: {err.strerror or err}") from None
    with handle:
        return _label_to(handle, destination, model, options, overwrite, progress, name=str(source))


def _is_input(source: str | Path | BinaryIO, destination: str | Path) -> bool:
    """Whether ``destination`` is the file ``source`` reads (a path, or an open stream such as redirected stdin)."""
    if isinstance(source, (str, Path)):
        return same_file(source, destination)
    try:
        read, written = os.fstat(source.fileno()), os.stat(destination)
    except (OSError, ValueError, AttributeError):
        return False
    return stat.S_ISREG(read.st_mode) and (read.st_dev, read.st_ino) == (written.st_dev, written.st_ino)


def _label_to(source, destination, model, options, overwrite, progress, *, name: str) -> BatchSummary:
    if not isinstance(destination, (str, Path)):
        return label_stream(source, destination, model, options, name=name, progress=progress)
    with atomic_output(destination, overwrite=overwrite) as sink:
        return label_stream(source, sink, model, options, name=name, progress=progress)
