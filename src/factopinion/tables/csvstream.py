"""Lossless streaming of CSV/TSV files: records read with the exact text they had in the file, counted by
physical input line, malformed records reported (or skipped) by line, and new cells appended to each record's
original text.

The input part of every output line is the input record's own text: the header, every cell (any Unicode,
embedded newlines, quotes, delimiters, spaces, number-like and null-like strings), its quoting and its line
terminator are written back as they were, and a UTF-8 byte-order mark is kept. Only what is appended is newly
formatted (quoted only where needed). Not kept: blank lines between the rows of a multi-column file (dropped and
counted), skipped bad rows, and a missing line break at the very end (one is added).
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import BinaryIO, Literal

from ..encoding import byte_order, text_codec
from ..errors import DataError, OptionError

__all__ = [
    "BadRecord",
    "CellFormat",
    "Chunk",
    "RecordReader",
    "RecordWriter",
    "BLOCK_BYTES",
    "FIELD_LIMIT",
    "LINE_LIMIT",
    "TEXT_COLUMNS",
    "delimiter_for",
    "check_delimiter",
    "detect_quoting",
    "quoting_for",
    "splits_into_rows",
    "QUOTINGS",
    "find_text_column",
]

BLOCK_BYTES = 1 << 20  # bytes read and decoded at a time
# Characters in one cell, by default (``label --max-cell``): a longer cell is a bad record. Labeling a cell takes
# some 20-45 bytes per character of it in memory (its text, its sentences, its analysis), and a run holds a few chunks
# at once, so the longest cell bounds a run's memory: with cells of up to 1 Mi characters, every shape of input stays
# within about 350 MiB at the default settings (bench/memory.py). A whole news article is some 5,000 characters.
FIELD_LIMIT = 1 << 20
# A chunk of rows ends at about this many bytes of input (or at its row limit): the readers' default. About
# 2 * jobs + 1 chunks are in memory at once, and a worker's analysis of a chunk takes some 40 bytes per character
# (scored in batches, ``engine.scorer``), so a file of whole articles stays in the same few hundred MiB as one of
# one-line cells (``labeling.batch``, bench/memory.py).
CHUNK_BYTES = 1 << 20
LINE_LIMIT = 1 << 27  # characters in one physical line (128 Mi): past this without a line break the run stops
_UNDECODABLE = re.compile("[\udc80-\udcff]")  # what the surrogateescape error handler turns a bad byte into
TEXT_COLUMNS = ("text", "sentence")  # the text column, looked for in this order when none is named


def delimiter_for(path: str | Path, delimiter: str | None = None) -> str:
    """The delimiter given, or the one implied by the file's extension (tab for .tsv/.tab, else comma)."""
    if delimiter:
        return "\t" if delimiter in ("\\t", "tab") else delimiter
    return "\t" if Path(str(path)).suffix.lower() in (".tsv", ".tab") else ","


QUOTINGS = ("auto", "csv", "none")  # --quoting: decide from the data, quotes as in CSV, quotes taken literally
# A sample in which every quote character sits in a properly quoted field: one that starts with a quote, ends with
# one before a tab or a line break, and doubles the quotes inside.
# No possessive quantifiers (*+): early 3.11 releases match them wrongly (Debian 12's 3.11.2 finds a clean field of
# 3 characters at the start of 'now",x', 3.11.7 none). None is needed: a field's alternatives cannot both match, so
# nothing backtracks far.
_QUOTED_FIELDS = re.compile(r'(?:(?:"[^"]*(?:""[^"]*)*"|[^\t\r\n"]*)(?:\t|\r\n|\n|\r|\Z))*')
_OPEN_FIELD = re.compile(r'"[^"]*(?:""[^"]*)*\Z')  # a quoted field that a sample's end cuts


def quoting_for(mode: str) -> Literal[0, 3] | None:
    """The ``csv`` quoting of ``--quoting`` MODE: ``csv`` quotes as in CSV, ``none`` takes quotes literally,
    ``auto`` (None) decides from the data (``detect_quoting``)."""
    if mode not in QUOTINGS:
        raise OptionError(f"--quoting must be one of {', '.join(QUOTINGS)}, not {mode!r}")
    if mode == "auto":
        return None
    return csv.QUOTE_MINIMAL if mode == "csv" else csv.QUOTE_NONE


def detect_quoting(sample: str, delimiter: str, *, complete: bool = True) -> Literal[0, 3]:
    """How to read quotes in a file that starts with ``sample`` (the whole file if ``complete``).

    CSV is always read with quotes. A TSV file is read with quotes (``csv.QUOTE_MINIMAL``) only on evidence that
    cannot mislead: every quote character in the sample sits in a properly quoted field, and no quoted field
    holds a line break where each of the lines, read with quotes taken literally, would be a row of the header's
    width (as when one CheckThat! sentence opens a quotation and a later one closes it). Otherwise quotes are taken
    literally (``csv.QUOTE_NONE``). A TSV sample without quotes is read with quotes; ``RecordReader`` checks the rest
    of the file as it reads (see ``splits_into_rows``).
    """
    if delimiter != "\t" or '"' not in sample:
        return csv.QUOTE_MINIMAL
    if not complete:  # drop a last line that the sample's end may have cut
        sample = sample[: max(sample.rfind("\n"), sample.rfind("\r", 0, len(sample) - 1)) + 1]
    rest = sample[_QUOTED_FIELDS.match(sample).end() :]  # type: ignore[union-attr]  # (it matches "" at least)
    if rest and (complete or not _OPEN_FIELD.match(rest)):
        return csv.QUOTE_NONE
    lines = io.StringIO(sample, newline="").readlines()
    reader = csv.reader(iter(lines), delimiter=delimiter, strict=True)
    width, start = 0, 0
    try:
        for row in reader:
            width = width or len(row)
            if splits_into_rows(lines[start : reader.line_num], width, delimiter):
                return csv.QUOTE_NONE
            start = reader.line_num
    except csv.Error:  # the quoted field the sample's end cuts: its lines so far
        if splits_into_rows(lines[start:], width, delimiter):
            return csv.QUOTE_NONE
    return csv.QUOTE_MINIMAL


def splits_into_rows(lines: list[str], width: int, delimiter: str) -> bool:
    """Whether a record of several physical ``lines`` (with quotes) would be as many rows of ``width`` fields if
    its quotes were taken literally: then the quotes cannot be told from literal ones, and merging those rows into
    one would be a guess."""
    return len(lines) > 1 and all(line.rstrip("\r\n").count(delimiter) + 1 == width for line in lines)


def check_delimiter(delimiter: str) -> str:
    """``delimiter``, or an ``OptionError`` if it is not one character that can never be part of an added value:
    a quote or line break, a letter or digit, ``.``, ``-`` or white space other than tab (and the ASCII
    separators 0x1c-0x1f) would collide with the labels, probabilities and numbers appended unquoted to every row."""
    if len(delimiter) != 1 or delimiter in '\r\n"':
        raise OptionError(f"the delimiter must be one character other than a quote or line break, not {delimiter!r}")
    if delimiter.isalnum() or delimiter in ".-" or (delimiter.isspace() and delimiter not in "\t\x1c\x1d\x1e\x1f"):
        raise OptionError(
            f"the delimiter {delimiter!r} could be part of the added values (labels, probabilities, numbers): "
            "choose one that is not a letter, digit, '.', '-' or white space other than tab"
        )
    return delimiter


def find_text_column(header: list[str], wanted: str | None, name: str, *, exclude: str | None = None) -> str:
    """The column that holds the text: ``wanted``, else the first of ``TEXT_COLUMNS`` in ``header``. ``exclude``
    (the label column) cannot be it. A ``DataError`` that lists the columns otherwise."""
    columns = ", ".join(header)
    if wanted is None:
        wanted = next((c for c in TEXT_COLUMNS if c in header and c != exclude), None)
        if wanted is None:
            hint = _delimiter_hint(header, name)
            raise DataError(hint or f"{name}: no text or sentence column; give --text-column, one of: {columns}")
    if wanted == exclude:
        raise DataError(f"{name}: {wanted!r} is the label column; give the text column with --text-column")
    if wanted not in header:
        raise DataError(_delimiter_hint(header, name) or f"{name}: no column {wanted!r}; the columns are: {columns}")
    if header.count(wanted) > 1:
        raise DataError(f"{name}: the header has {header.count(wanted)} columns named {wanted!r}")
    return wanted


_DELIMITERS = ",;\t|"  # looked for in a one-column header that holds no text column


def _delimiter_hint(header: list[str], name: str) -> str | None:
    """The error for a header read as one column that holds another likely delimiter (a semicolon CSV read with
    commas, a TSV read as CSV): it names the delimiter seen most in it and the option that sets it."""
    if len(header) != 1 or (seen := max(_DELIMITERS, key=header[0].count)) not in header[0]:
        return None
    shown = header[0] if len(header[0]) <= 60 else header[0][:57] + "..."
    what, option = ("tab", "tab") if seen == "\t" else (f"{seen!r}", f"'{seen}'")
    return (
        f"{name}: the header is one column, {shown!r}; the delimiter seen most in it is {what}: "
        f"give --delimiter {option}"
    )


@dataclass(frozen=True, slots=True)
class BadRecord:
    """A record that could not be read: its first and last physical line and why."""

    first_line: int
    last_line: int
    reason: str

    @property
    def lines(self) -> str:
        """``line 7`` or, for a record over several lines, ``lines 7-9``."""
        if self.first_line == self.last_line:
            return f"line {self.first_line}"
        return f"lines {self.first_line}-{self.last_line}"


@dataclass(slots=True)
class Chunk:
    """Consecutive data records: their text as in the file (with line terminator), their text-column cell, and
    their 1-based numbers among the input's data rows."""

    records: list[str]
    texts: list[str]
    numbers: list[int]


class RecordReader:
    """Read a header and data records from a binary CSV/TSV stream, a block of bytes at a time.

    ``skip_bad`` keeps going past malformed records, from the end of each (see ``_end_of_bad_record``), and lists
    them in ``skipped``; otherwise the first one raises ``DataError`` naming its line. A cell may hold up to
    ``field_limit`` characters (``FIELD_LIMIT`` by default) and a physical line ``LINE_LIMIT``: a longer cell is a
    bad record, a longer line stops the run. ``quoting`` is ``auto`` (see ``detect_quoting``), ``csv`` or ``none``.
    """

    def __init__(self, stream: BinaryIO, *, name: str, delimiter: str = ",", encoding: str = "utf-8",
                 skip_bad: bool = False, quoting: str = "auto", pad_short: bool = False,
                 field_limit: int | None = None):  # fmt: skip
        self.encoding = text_codec(encoding).name  # made exact (byte order, mark) by the first bytes read
        self._encoding_asked = encoding
        check_delimiter(delimiter)
        self.name = name
        self.delimiter = delimiter
        self.skip_bad = skip_bad
        self.pad_short = pad_short  # a record short of trailing fields gets them, empty (delimiters added)
        self.skipped: list[BadRecord] = []
        self.blank_lines = 0
        self.bytes_read = 0
        self.has_bom = False
        self.complete = False  # whether the first block read was the whole input
        self._stream = stream
        self._size = _regular_size(stream)  # bytes left to read in a regular file: less at the end is an error
        self._undecodable: dict[int, int] = {}  # physical line -> first undecodable byte on it
        self._lines_seen = 0
        self._rows_seen = 0
        self._blocks_kept: list[tuple[int, list[str]]] = []  # (number of the first line, lines) of recent blocks
        self._line_base = 0  # physical lines before the current csv reader's first (see _end_of_bad_record)
        self.field_limit = FIELD_LIMIT if field_limit is None else field_limit
        csv.field_size_limit(self.field_limit)  # the csv module's, for the process: one run reads at a time
        blocks = self._blocks()
        first = next(blocks, "")
        blank, blank_chars = [], 0  # blocks of blank lines before the header: the sample starts after them
        while first and not first.strip():
            blank.append(first)
            blank_chars += len(first)
            if blank_chars > LINE_LIMIT:
                raise DataError(f"{name}: no header row in the first {LINE_LIMIT:,} characters, only blank lines")
            first = next(blocks, "")
        if not first.strip():
            raise DataError(f"{name} is empty: there is no header row")
        if blank:
            first, self.complete = "".join(blank) + first, False
        chosen = quoting_for(quoting)
        self.quoting = detect_quoting(first, delimiter, complete=self.complete) if chosen is None else chosen
        # Reading TSV with quotes on the evidence of the first block: each later multi-line record is checked too.
        self._check_splits = chosen is None and delimiter == "\t" and self.quoting == csv.QUOTE_MINIMAL
        self._line_iter = self._lines(first, blocks)
        self._dialect = {"delimiter": delimiter, "quoting": self.quoting, "strict": True}
        self._reader = csv.reader(self._line_iter, **self._dialect)  # type: ignore[arg-type]
        field = f'"[^"]*(?:""[^"]*)*"|[^{re.escape(delimiter)}\r\n"]*'
        self._clean_fields = re.compile(f"(?:(?:{field})(?:{re.escape(delimiter)}|\r\n|\n|\r|\\Z))*")
        self._first_line = self._last_line = 0
        self._reading_header = True
        header = self._next_record()
        while header is not None and not header:  # blank lines before the header
            header = self._next_record()
        if header is None:
            raise DataError(f"{name}: there is no header row")
        self.header: list[str] = header
        self.header_text = self._record_text()
        self.line_terminator = "\r\n" if self.header_text.endswith("\r\n") else "\n"
        self._reading_header = False

    # -- decoding -------------------------------------------------------------------------------------------------

    def _blocks(self) -> Iterator[str]:
        """Decoded text in blocks that end at a line break (so ``\\r\\n`` is never split); one block is read ahead,
        so ``complete`` tells whether the first block holds the whole input. The first bytes settle the codec and
        its byte-order mark (kept, and written back); a line longer than ``LINE_LIMIT`` characters stops the run
        instead of growing without bound (``label /dev/zero``)."""
        raw = self._read()
        self.encoding, mark = byte_order(self._encoding_asked, raw)
        self.has_bom, offset = bool(mark), 0
        decoder = codecs.getincrementaldecoder(self.encoding)(errors="surrogateescape")
        tail: list[str] = []  # text after the last line break, not yet yielded
        tail_chars, first = 0, True
        while True:
            following = self._read() if raw else b""
            final = not following
            text = self._decode(decoder, raw[mark:] if first else raw, final, offset + (mark if first else 0))
            offset += len(raw)
            if first:
                self.complete, first = final, False
            raw = following
            if final:
                if tail or text:
                    yield "".join(tail) + text
                return
            cut = text.rfind("\n") + 1 or text.rfind("\r", 0, len(text) - 1) + 1
            if not cut:
                tail.append(text)
                tail_chars += len(text)
                if tail_chars > LINE_LIMIT:
                    raise DataError(
                        f"{self.name}: line {self._lines_seen + 1}: no line break in {LINE_LIMIT:,} characters "
                        "(a line longer than the limit, or not a CSV/TSV file)"
                    )
                continue
            block = "".join(tail) + text[:cut]
            tail, tail_chars = [text[cut:]], len(text) - cut
            yield block

    def _decode(self, decoder: codecs.IncrementalDecoder, raw: bytes, final: bool, offset: int) -> str:
        """``raw`` decoded; an error naming the byte offset where bytes cannot be decoded even with
        ``surrogateescape`` (a lone UTF-16 surrogate, say)."""
        buffered = len(decoder.getstate()[0])
        try:
            return decoder.decode(raw, final=final)
        except UnicodeDecodeError as err:
            where = offset - buffered + err.start
            raise DataError(
                f"{self.name} is not {self.encoding}: undecodable bytes at byte offset {where:,} ({err.reason}; "
                "see --encoding)"
            ) from None

    def _read(self) -> bytes:
        try:
            raw = self._stream.read(BLOCK_BYTES)
        except OSError as err:
            raise DataError(f"cannot read {self.name}: {err.strerror or err}") from None
        self.bytes_read += len(raw)
        if not raw and self._size is not None and self.bytes_read < self._size:
            raise DataError(
                f"{self.name} shrank while it was read: {self._size:,} bytes at the start, only {self.bytes_read:,} "
                "could be read (was it truncated or rewritten?)"
            )
        return raw

    def _lines(self, first: str, blocks: Iterator[str]) -> Iterator[str]:
        """Physical lines (``\\n``, ``\\r\\n`` or ``\\r``, kept), noting those with undecodable bytes."""
        block = first
        while block:
            lines = io.StringIO(block, newline="").readlines()
            if _has_undecodable(block):
                for number, line in enumerate(lines, start=self._lines_seen + 1):
                    if match := _UNDECODABLE.search(line):
                        self._undecodable[number] = ord(match.group()) - 0xDC00
            self._blocks_kept.append((self._lines_seen + 1, lines))
            self._lines_seen += len(lines)
            yield from lines
            block = next(blocks, "")

    # -- records --------------------------------------------------------------------------------------------------

    def _record_text(self) -> str:
        """The text of the record just read, lines ``_first_line`` to ``_last_line``, as it was in the file."""
        start, lines = self._blocks_kept[-1]
        if self._first_line >= start:
            return "".join(lines[self._first_line - start : self._last_line - start + 1])
        text = "".join(self._record_lines())
        del self._blocks_kept[:-1]
        return text

    def _next_record(self) -> list[str] | None:
        """The next well-formed record (``[]`` for a blank line), or None at the end; bad ones raise or are skipped."""
        while True:
            try:
                cells = next(self._reader)
            except StopIteration:
                return None
            except csv.Error as err:
                self._advance()
                self._bad(self._end_of_bad_record(err))
                continue
            self._advance()
            if self._undecodable and (byte := self._undecodable_byte()) is not None:
                self._bad(f"undecodable byte 0x{byte:02x} (not {self.encoding}; see --encoding)")
                continue
            return cells

    def _advance(self) -> None:
        """Note the physical lines of the record just read."""
        self._first_line = first = self._last_line + 1
        self._last_line = self._line_base + self._reader.line_num
        kept = self._blocks_kept
        if len(kept) > 1 and first >= kept[-1][0]:
            del kept[:-1]

    def _end_of_bad_record(self, err: csv.Error) -> str:
        """Read on to the end of the malformed record just read, and say what is wrong with it.

        The csv reader stops at the line where it found the fault, perhaps inside the record's quoted cell. With
        quotes, the record runs on while a cell is open (an odd number of quote characters since its start) and
        over every following line that does not start cleanly (a quote outside a properly quoted field: the
        continuation of a cell whose inner quote was not doubled); reading resumes at the first line that does.
        A continuation line of a bad record is never taken for a row, and the record's lines are all named. A cell
        open at the end of the input is an unbalanced quote.
        """
        larger = "field larger than" in str(err)
        if self.quoting != csv.QUOTE_NONE and not self._reading_header and (self.skip_bad or larger):
            # The record's extent is found here, from its first line, whatever lines the csv reader consumed
            # before it gave up (that differs between Python releases): those are looked at again first.
            first, *consumed = self._record_lines()
            self._last_line = self._first_line
            inside = first.count('"') % 2 == 1
            following = chain(consumed, self._line_iter)
            while (line := next(following, None)) is not None:
                if not inside and self._starts_cleanly(line):
                    self._line_base = self._last_line  # the csv reader goes on from this line
                    self._reader = csv.reader(chain([line], following), **self._dialect)  # type: ignore[arg-type]
                    break
                inside = line.count('"') % 2 == 0  # inside a cell at its start (or taken to be): odd quotes close it
                self._last_line += 1
                del self._blocks_kept[:-1]  # the lines still to look at again are in ``consumed``
            if inside:
                return "unbalanced quote: a quoted field opens here and never closes"
        if larger:
            return f"a cell over the --max-cell limit of {self.field_limit:,} characters"
        return _describe(err)

    def _starts_cleanly(self, line: str) -> bool:
        """Whether every quote of ``line`` sits in a properly quoted field (the last may run on to later lines)."""
        rest = line[self._clean_fields.match(line).end() :]  # type: ignore[union-attr]  # (it matches "" at least)
        return not rest or _OPEN_FIELD.match(rest) is not None

    def _record_lines(self) -> Iterator[str]:
        """The physical lines of the record just read, from the blocks kept."""
        for block_start, block_lines in self._blocks_kept:
            lo = max(self._first_line, block_start) - block_start
            hi = min(self._last_line, block_start + len(block_lines) - 1) - block_start
            yield from block_lines[lo : hi + 1]

    def _undecodable_byte(self) -> int | None:
        lines = range(self._first_line, self._last_line + 1)
        return next((self._undecodable[n] for n in lines if n in self._undecodable), None)

    def _bad(self, reason: str) -> None:
        """Raise for the record just read, or note it as skipped."""
        record = BadRecord(self._first_line, self._last_line, reason)
        if not self.skip_bad or self._reading_header:
            raise DataError(f"{self.name}: line {record.first_line}: {reason}")
        self._rows_seen += 1
        self.skipped.append(record)

    def chunks(self, column: int, max_rows: int, max_bytes: int = CHUNK_BYTES) -> Iterator[Chunk]:
        """Data records in chunks of at most ``max_rows`` (and about ``max_bytes`` of input), with the cell of
        ``column`` of each."""
        width = len(self.header)
        chunk = Chunk([], [], [])
        chunk_start = self.bytes_read
        next_record = self._next_record
        while True:
            cells = next_record()
            if cells is None:
                break
            missing = 0
            if len(cells) != width:
                if not cells and width > 1:
                    self.blank_lines += 1
                    continue
                if cells and self.pad_short and len(cells) < width:
                    missing = width - len(cells)
                    cells += [""] * missing
                elif cells or width != 1:
                    hint = "; --pad-short-rows reads it with the missing trailing fields empty" if cells and len(
                        cells) < width else ""  # fmt: skip
                    self._bad(f"{len(cells)} fields where the header has {width}{hint}")
                    continue
                else:
                    cells = [""]  # a blank line in a one-column file is an empty cell
            self._rows_seen += 1
            if (first := self._first_line) == self._last_line:
                start, lines = self._blocks_kept[-1]
                chunk.records.append(lines[first - start])
            else:
                record = self._record_text()
                if self._check_splits and splits_into_rows(io.StringIO(record, newline="").readlines(), width, "\t"):
                    raise DataError(
                        f"{self.name}: lines {self._first_line}-{self._last_line}: a quoted cell spans lines that "
                        "would each be a row if its quotes were literal; give --quoting none (quotes literal, as in "
                        "CheckThat! files) or --quoting csv"
                    )
                chunk.records.append(record)
            if missing:  # the record's own text, then the empty fields it lacked, then its line break
                record = chunk.records[-1]
                body = record.rstrip("\r\n")
                chunk.records[-1] = body + self.delimiter * missing + record[len(body) :]
            chunk.texts.append(cells[column])
            chunk.numbers.append(self._rows_seen)
            if len(chunk.records) >= max_rows or self.bytes_read - chunk_start >= max_bytes:
                yield chunk
                chunk, chunk_start = Chunk([], [], []), self.bytes_read
        if chunk.records:
            yield chunk


def _has_undecodable(text: str) -> bool:
    """Whether ``text`` holds a character ``surrogateescape`` made of an undecodable byte: a lone surrogate, which
    UTF-8 cannot encode (encoding a block is some four times quicker than searching it)."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _UNDECODABLE.search(text) is not None
    return False


def _regular_size(stream: BinaryIO) -> int | None:
    """The bytes left to read in ``stream`` if it is a regular file (None for a pipe, terminal or device)."""
    try:
        info = os.fstat(stream.fileno())
        return info.st_size - stream.tell() if stat.S_ISREG(info.st_mode) else None
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return None


def _describe(err: csv.Error) -> str:
    message = str(err)
    if "unexpected end of data" in message:
        return "unbalanced quote: a quoted field opens here and never closes"
    if "expected after" in message:
        return f"malformed quoting: {message} (a quote inside a quoted field must be doubled)"
    return f"malformed row: {message}"


class CellFormat:
    """Appends cells to a record's text in the file's delimiter and quoting style (quoted only where needed).

    Labels, probabilities and numbers are appended as they are: ``check_delimiter`` refuses every delimiter that
    could be part of them. Any other value (a sentence, a column name) goes through ``cell``."""

    def __init__(self, delimiter: str, quoting: int, line_terminator: str):
        self.delimiter, self.quoting, self.line_terminator = delimiter, quoting, line_terminator
        self._special = (delimiter, '"', "\r", "\n") if quoting != csv.QUOTE_NONE else (delimiter, "\r", "\n")

    def cell(self, value: str) -> str:
        """``value`` as a cell: quoted, with quotes doubled, if it holds the delimiter, a quote or a line break."""
        if not any(c in value for c in self._special):
            return value
        if self.quoting == csv.QUOTE_NONE:
            raise DataError(f"cannot write {value!r} in this unquoted TSV: it holds a tab or a line break")
        return '"' + value.replace('"', '""') + '"'

    def append(self, record: str, cells: str) -> str:
        """``record`` (as read, maybe with its line terminator) with ``cells`` (already formatted) appended."""
        return self.append_all([record], [cells])

    def append_all(self, records: list[str], cells: list[str]) -> str:
        """Each of ``records`` with its ``cells`` appended (``append``), as one text."""
        delimiter, terminator = self.delimiter, self.line_terminator
        pieces = []
        for record, added in zip(records, cells, strict=True):
            body = record.rstrip("\r\n")
            pieces.append(f"{body}{delimiter}{added}{record[len(body) :] or terminator}")
        return "".join(pieces)

    def row(self, cells: list[str]) -> str:
        """A whole row of plain values, formatted, with the line terminator."""
        return self.delimiter.join(map(self.cell, cells)) + self.line_terminator


class RecordWriter:
    """Encode text to a binary stream in the input's encoding, with its byte-order mark; never closes the stream."""

    def __init__(self, stream: BinaryIO, *, encoding: str, bom: bool = False):
        self._stream = stream
        self._encoder = codecs.getincrementalencoder(encoding)(errors="strict")
        if bom:
            self._stream.write(self._encoder.encode("\ufeff"))

    def write(self, text: str | bytes) -> None:
        """Write ``text``, or bytes encoded already (in a codec that encodes a text in pieces as in one)."""
        if isinstance(text, bytes):
            self._stream.write(text)
            return
        try:
            data = self._encoder.encode(text)
        except UnicodeEncodeError as err:
            raise DataError(f"cannot write the output: {err}") from None
        self._stream.write(data)

    def close(self) -> None:
        """Finish the encoding and flush the stream, leaving it open."""
        self._stream.write(self._encoder.encode("", final=True))
        self._stream.flush()
