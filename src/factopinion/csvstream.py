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
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from .encoding import text_codec
from .errors import DataError

__all__ = [
    "BadRecord",
    "CellFormat",
    "Chunk",
    "RecordReader",
    "RecordWriter",
    "BLOCK_BYTES",
    "FIELD_LIMIT",
    "TEXT_COLUMNS",
    "delimiter_for",
    "detect_quoting",
    "find_text_column",
]

BLOCK_BYTES = 1 << 20  # bytes read and decoded at a time
FIELD_LIMIT = 1 << 25  # characters in one cell; past this a quoted field is taken to be an unbalanced quote
_UNDECODABLE = re.compile("[\udc80-\udcff]")  # what the surrogateescape error handler turns a bad byte into
TEXT_COLUMNS = ("text", "sentence")  # the text column, looked for in this order when none is named


def delimiter_for(path: str | Path, delimiter: str | None = None) -> str:
    """The delimiter given, or the one implied by the file's extension (tab for .tsv/.tab, else comma)."""
    if delimiter:
        return "\t" if delimiter in ("\\t", "tab") else delimiter
    return "\t" if Path(str(path)).suffix.lower() in (".tsv", ".tab") else ","


def detect_quoting(sample: str, delimiter: str) -> Literal[0, 1, 2, 3]:
    """``csv.QUOTE_MINIMAL`` unless a tab-separated sample only parses with quotes taken literally, as in the
    CheckThat! files (a sentence may start with a quote character there)."""
    if delimiter != "\t":
        return csv.QUOTE_MINIMAL
    sample = sample[: sample.rfind("\n") + 1] or sample
    try:
        widths = {len(row) for row in csv.reader(io.StringIO(sample), delimiter="\t", strict=True)}
    except csv.Error:
        return csv.QUOTE_NONE
    return csv.QUOTE_MINIMAL if len(widths) <= 1 else csv.QUOTE_NONE


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

    ``skip_bad`` keeps going past malformed records and lists them in ``skipped``; otherwise the first one raises
    ``DataError`` naming its line. An unbalanced quote that swallows more than ``FIELD_LIMIT`` characters always
    stops the run, as nothing after it can be trusted.
    """

    def __init__(self, stream: BinaryIO, *, name: str, delimiter: str = ",", encoding: str = "utf-8",
                 skip_bad: bool = False):  # fmt: skip
        self.encoding = text_codec(encoding).name
        if self.encoding == "utf-8-sig":  # a BOM is read, and written back, whichever of the two is named
            self.encoding = "utf-8"
        if len(delimiter) != 1 or delimiter in '\r\n"':
            raise DataError(f"the delimiter must be one character other than a quote or line break, not {delimiter!r}")
        self.name = name
        self.delimiter = delimiter
        self.skip_bad = skip_bad
        self.skipped: list[BadRecord] = []
        self.blank_lines = 0
        self.bytes_read = 0
        self.has_bom = False
        self.complete = False  # whether the first block read was the whole input
        self._stream = stream
        self._undecodable: dict[int, int] = {}  # physical line -> first undecodable byte on it
        self._lines_seen = 0
        self._rows_seen = 0
        self._blocks_kept: list[tuple[int, list[str]]] = []  # (number of the first line, lines) of recent blocks
        csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))
        blocks = self._blocks()
        first = next(blocks, "")
        if not first.strip():
            raise DataError(f"{name} is empty: there is no header row")
        self.quoting = _quoting(first, delimiter, self.complete)
        self._reader = csv.reader(self._lines(first, blocks), delimiter=delimiter, quoting=self.quoting, strict=True)
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
        so ``complete`` tells whether the first block holds the whole input."""
        decoder = codecs.getincrementaldecoder(self.encoding)(errors="surrogateescape")
        carry, first = "", True
        raw = self._read()
        while True:
            following = self._read() if raw else b""
            final = not following
            text = carry + decoder.decode(raw, final=final)
            if first and self.encoding == "utf-8" and text.startswith("\ufeff"):
                self.has_bom, text = True, text[1:]
            if first:
                self.complete, first = final, False
            carry = ""
            if not final:
                cut = text.rfind("\n") + 1 or text.rfind("\r", 0, len(text) - 1) + 1
                carry, text = text[cut:], text[:cut]
            if text:
                yield text
            if final:
                return
            raw = following

    def _read(self) -> bytes:
        raw = self._stream.read(BLOCK_BYTES)
        self.bytes_read += len(raw)
        return raw

    def _lines(self, first: str, blocks: Iterator[str]) -> Iterator[str]:
        """Physical lines (``\\n``, ``\\r\\n`` or ``\\r``, kept), noting those with undecodable bytes."""
        block = first
        while block:
            lines = io.StringIO(block, newline="").readlines()
            if _UNDECODABLE.search(block):
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
        parts = []
        for block_start, block_lines in self._blocks_kept:
            lo = max(self._first_line, block_start) - block_start
            hi = min(self._last_line, block_start + len(block_lines) - 1) - block_start
            parts.extend(block_lines[lo : hi + 1])
        del self._blocks_kept[:-1]
        return "".join(parts)

    def _next_record(self) -> list[str] | None:
        """The next well-formed record (``[]`` for a blank line), or None at the end; bad ones raise or are skipped."""
        while True:
            try:
                cells = next(self._reader)
            except StopIteration:
                return None
            except csv.Error as err:
                self._advance()
                self._bad(_describe(err), fatal="field larger than" in str(err))
                continue
            self._advance()
            if self._undecodable and (byte := self._undecodable_byte()) is not None:
                self._bad(f"undecodable byte 0x{byte:02x} (not {self.encoding}; see --encoding)")
                continue
            return cells

    def _advance(self) -> None:
        """Note the physical lines of the record just read."""
        self._first_line, self._last_line = self._last_line + 1, self._reader.line_num
        if len(self._blocks_kept) > 1 and self._first_line >= self._blocks_kept[-1][0]:
            del self._blocks_kept[:-1]

    def _undecodable_byte(self) -> int | None:
        lines = range(self._first_line, self._last_line + 1)
        return next((self._undecodable[n] for n in lines if n in self._undecodable), None)

    def _bad(self, reason: str, fatal: bool = False) -> None:
        """Raise for the record just read, or note it as skipped."""
        record = BadRecord(self._first_line, self._last_line, reason)
        if fatal or not self.skip_bad or self._reading_header:
            raise DataError(f"{self.name}: line {record.first_line}: {reason}")
        self._rows_seen += 1
        self.skipped.append(record)

    def chunks(self, column: int, max_rows: int, max_bytes: int = 1 << 24) -> Iterator[Chunk]:
        """Data records in chunks of at most ``max_rows`` (and about ``max_bytes`` of input), with the cell of
        ``column`` of each."""
        width = len(self.header)
        chunk = Chunk([], [], [])
        chunk_start = self.bytes_read
        while True:
            cells = self._next_record()
            if cells is None:
                break
            if len(cells) != width:
                if not cells and width > 1:
                    self.blank_lines += 1
                    continue
                if cells or width != 1:
                    self._bad(f"{len(cells)} fields where the header has {width}")
                    continue
                cells = [""]  # a blank line in a one-column file is an empty cell
            self._rows_seen += 1
            if self._first_line == self._last_line:
                start, lines = self._blocks_kept[-1]
                chunk.records.append(lines[self._first_line - start])
            else:
                chunk.records.append(self._record_text())
            chunk.texts.append(cells[column])
            chunk.numbers.append(self._rows_seen)
            if len(chunk.records) >= max_rows or self.bytes_read - chunk_start >= max_bytes:
                yield chunk
                chunk, chunk_start = Chunk([], [], []), self.bytes_read
        if chunk.records:
            yield chunk


def _quoting(sample: str, delimiter: str, complete: bool) -> Literal[0, 1, 2, 3]:
    """``detect_quoting`` on a sample of whole records: the whole input, or the first block without a last
    record that the block's end may have cut inside a quoted multi-line cell."""
    if delimiter != "\t":
        return csv.QUOTE_MINIMAL
    if complete:
        return detect_quoting(sample if sample.endswith("\n") else sample + "\n", delimiter)
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, strict=True)
    whole = 0
    try:
        for _ in reader:
            whole = reader.line_num
    except csv.Error as err:
        if "unexpected end of data" in str(err) and whole:
            sample = "".join(io.StringIO(sample, newline="").readlines()[:whole])
    return detect_quoting(sample, delimiter)


def _describe(err: csv.Error) -> str:
    message = str(err)
    if "unexpected end of data" in message:
        return "unbalanced quote: a quoted field opens here and never closes"
    if "field larger than" in message:
        return f"unbalanced quote: a quoted field runs past {FIELD_LIMIT:,} characters"
    if "expected after" in message:
        return f"malformed quoting: {message} (a quote inside a quoted field must be doubled)"
    return f"malformed row: {message}"


class CellFormat:
    """Appends cells to a record's text in the file's delimiter and quoting style (quoted only where needed)."""

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
        body = record.rstrip("\r\n")
        return f"{body}{self.delimiter}{cells}{record[len(body) :] or self.line_terminator}"

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

    def write(self, text: str) -> None:
        try:
            data = self._encoder.encode(text)
        except UnicodeEncodeError as err:
            raise DataError(f"cannot write the output: {err}") from None
        self._stream.write(data)

    def close(self) -> None:
        """Finish the encoding and flush the stream, leaving it open."""
        self._stream.write(self._encoder.encode("", final=True))
        self._stream.flush()
