"""The table formats beside the CSV/TSV record path of ``csvstream``: which format a file is in, gzip on the text
formats, JSON Lines and Parquet readers, and sinks that write each chunk's rows in any format.

Lossless means, per format: CSV/TSV byte for byte (``csvstream``); JSON Lines: every key and value of each object
kept exactly (the object's own text, with the added keys appended before its closing brace); Parquet: the input
schema and values kept, the added columns typed. A reader yields ``(Chunk, block)`` pairs: the chunk (texts, and
record numbers that index the block) goes to the workers, the block (the chunk's input rows) stays in the main
process until a sink writes the rows. pyarrow is imported only for Parquet, and named in the error when missing.
"""

from __future__ import annotations

import base64
import codecs
import contextlib
import csv
import gzip
import json
import re
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol, cast

from ..encoding import text_codec
from ..errors import DataError
from .csvstream import BadRecord, CellFormat, Chunk, RecordReader, RecordWriter

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "FORMATS",
    "PARQUET_INSTALL",
    "Columns",
    "CountingReader",
    "DelimitedReader",
    "JsonLinesReader",
    "ParquetReader",
    "TableFormat",
    "append_members",
    "format_of",
    "object_members",
    "open_input",
    "open_output",
    "open_sink",
    "resolve_formats",
]

FORMATS = ("csv", "tsv", "jsonl", "parquet")
SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
PARQUET_INSTALL = "pip install 'factopinion[parquet]'"
BLOCK_BYTES = 1 << 20
ROW_GROUP_ROWS = 1 << 16  # rows per Parquet row group written (fewer at the end)
ROW_GROUP_BYTES = 1 << 26  # or this many bytes of Arrow data, whichever comes first
GZIP_LEVEL = 6  # gzip's own default: most of level 9's ratio at a fraction of its time


# -- which format ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableFormat:
    """A table format (one of ``FORMATS``), gzip-compressed or not."""

    kind: str
    gzip: bool = False

    @property
    def delimited(self) -> bool:
        return self.kind in ("csv", "tsv")

    def delimiter(self, given: str | None) -> str:
        """The delimiter given, else tab for TSV and comma for CSV."""
        return given or ("\t" if self.kind == "tsv" else ",")

    def __str__(self) -> str:
        return self.kind + (".gz" if self.gzip else "")


def format_of(path: str | Path) -> tuple[str | None, bool]:
    """The format a file name implies (None where its extension does not tell) and whether it ends ``.gz``."""
    name = Path(str(path)).name.lower()
    compressed = name.endswith(".gz")
    return SUFFIXES.get(Path(name.removesuffix(".gz")).suffix), compressed


def resolve_formats(source: str | None, destination: str | None, given: str | None) -> tuple[TableFormat, TableFormat]:
    """The input's and the output's format, from their file names (None: standard input or output).

    The input: ``given``, else its extension; standard input takes the output's CSV/TSV extension (so
    ``- -o out.tsv`` reads TSV), else CSV. The output: its extension, else the input's format (CSV for
    Parquet: standard output gets text). gzip only where a name ends ``.gz`` (compressed input is also recognised
    by its first bytes).
    """
    in_kind, in_gzip = format_of(source) if source is not None else (None, False)
    out_kind, out_gzip = format_of(destination) if destination is not None else (None, False)
    inherited = out_kind if source is None and out_kind in ("csv", "tsv") else None
    kind = given or in_kind or inherited or "csv"
    source_format = TableFormat(kind, in_gzip)
    sink_format = TableFormat(out_kind or ("csv" if kind == "parquet" else kind), out_gzip)
    for fmt, name in ((source_format, source), (sink_format, destination)):
        if fmt.kind == "parquet" and fmt.gzip:
            raise DataError(f"{name}: Parquet compresses its own columns; drop the .gz")
    return source_format, sink_format


# -- bytes in and out ------------------------------------------------------------------------------------------------


class CountingReader:
    """A binary stream that counts the bytes read through it (the progress of compressed input is its file's)."""

    def __init__(self, stream: BinaryIO):
        self._stream = stream
        self.count = 0
        self._taken = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.count += len(data)
        return data

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:  # so a reader can tell a regular file's size (and notice it shrink)
        return self._stream.fileno()

    def tell(self) -> int:
        return self._stream.tell()

    def take(self) -> int:
        """The bytes read since the last call."""
        delta, self._taken = self.count - self._taken, self.count
        return delta


class _Prefixed:
    """A stream with its first bytes, already read to recognise it, put back in front."""

    def __init__(self, prefix: bytes, stream: Any):
        self._prefix, self._stream = prefix, stream

    def read(self, size: int = -1) -> bytes:
        if not self._prefix:
            return self._stream.read(size)
        if size is None or size < 0:
            data, self._prefix = self._prefix + self._stream.read(), b""
            return data
        data, self._prefix = self._prefix[:size], self._prefix[size:]
        return data + (self._stream.read(size - len(data)) if len(data) < size else b"")

    def fileno(self) -> int:
        return self._stream.fileno()

    def tell(self) -> int:
        return self._stream.tell() - len(self._prefix)


class _Gunzip:
    """Decompressed gzip bytes; a damaged or truncated stream is a ``DataError`` naming the input."""

    def __init__(self, stream: Any, name: str):
        self._file = gzip.GzipFile(fileobj=stream, mode="rb")
        self._name = name

    def read(self, size: int = -1) -> bytes:
        try:
            return self._file.read(size)
        except EOFError:
            raise DataError(f"{self._name}: the gzip data is truncated (it ends before its end marker)") from None
        except (gzip.BadGzipFile, zlib.error) as err:
            raise DataError(f"{self._name}: damaged gzip data ({err})") from None


def open_input(stream: Any, fmt: TableFormat, name: str) -> Any:
    """The bytes of a text-format input: gunzipped when they start with gzip's magic number (named ``.gz`` or
    not); a ``.gz`` name without it, or a Parquet file read as text, is a ``DataError``."""
    head = b""
    while len(head) < 4 and (more := stream.read(4 - len(head))):
        head += more
    stream = _Prefixed(head, stream)
    if head[:2] == b"\x1f\x8b":
        return _Gunzip(stream, name)
    if fmt.gzip and head:
        raise DataError(f"{name} is not gzip-compressed, although its name ends in .gz")
    if head == b"PAR1":
        raise DataError(f"{name} is a Parquet file: name it .parquet or give --format parquet")
    return stream


def is_compressed(stream: Any) -> bool:
    """Whether ``stream`` (from ``open_input``) decompresses its input (its progress is then its file's bytes)."""
    return isinstance(stream, _Gunzip)


class _GzipSink:
    """Writes gzip-compressed bytes into a binary stream, reproducibly (no file name, no time stamp)."""

    def __init__(self, stream: BinaryIO):
        self._file = gzip.GzipFile(fileobj=stream, mode="wb", filename="", mtime=0, compresslevel=GZIP_LEVEL)
        self._stream = stream

    def write(self, data: bytes) -> int:
        return self._file.write(data)

    def flush(self) -> None:  # a full flush would cost ratio; the stream is finished on close
        pass

    def close(self) -> None:
        self._file.close()
        self._stream.flush()


@contextlib.contextmanager
def open_output(stream: BinaryIO, fmt: TableFormat) -> Iterator[BinaryIO]:
    """The binary stream to write ``fmt`` into: ``stream``, or a gzip stream into it, finished when the block
    ends without an exception (``stream`` itself is left open)."""
    if not fmt.gzip:
        yield stream
        return
    sink = _GzipSink(stream)
    yield sink  # type: ignore[misc]
    sink.close()


# -- JSON Lines ------------------------------------------------------------------------------------------------------

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def object_members(text: str) -> list[tuple[str, str, str]]:
    """The members of the JSON object ``text`` as ``(key, key as written, value as written)``, in order, each
    exactly as in the text. ``ValueError`` if ``text`` is not one JSON object."""
    pos = _WHITESPACE.match(text, 0).end()  # type: ignore[union-attr]
    if text[pos : pos + 1] != "{":
        raise ValueError("not a JSON object")
    pos = _WHITESPACE.match(text, pos + 1).end()  # type: ignore[union-attr]
    members: list[tuple[str, str, str]] = []
    if text[pos : pos + 1] == "}":
        return members
    while True:
        if text[pos : pos + 1] != '"':
            raise ValueError(f"expected a key at character {pos}")
        key, end = json.decoder.scanstring(text, pos + 1)  # type: ignore[attr-defined]
        raw_key = text[pos:end]
        pos = _WHITESPACE.match(text, end).end()  # type: ignore[union-attr]
        if text[pos : pos + 1] != ":":
            raise ValueError(f"expected ':' at character {pos}")
        pos = _WHITESPACE.match(text, pos + 1).end()  # type: ignore[union-attr]
        _, end = _DECODER.raw_decode(text, pos)
        members.append((key, raw_key, text[pos:end]))
        pos = _WHITESPACE.match(text, end).end()  # type: ignore[union-attr]
        if text[pos : pos + 1] == ",":
            pos = _WHITESPACE.match(text, pos + 1).end()  # type: ignore[union-attr]
            continue
        if text[pos : pos + 1] == "}":
            return members
        raise ValueError(f"expected ',' or '}}' at character {pos}")


def append_members(line: str, members: str) -> str:
    """``line`` (one JSON object, maybe with its line terminator) with ``members`` (``"key": value, ...``)
    inserted before its closing brace; every other character stays where it was."""
    body = line.rstrip("\r\n")
    terminator = line[len(body) :] or "\n"
    obj = body.rstrip(" \t")
    inner = obj[:-1]
    separator = "" if inner.rstrip(" \t\n\r").endswith("{") else ", "
    return f"{inner}{separator}{members}}}{body[len(obj) :]}{terminator}"


@dataclass
class JsonBlock:
    """A chunk of JSON Lines input: each object's line (its terminator kept) and its parsed value."""

    header: list[str]
    lines: list[str]
    objects: list[dict]
    numbers: list[int]
    name: str

    def values(self, rows: Sequence[int], columns: Sequence[int], target: str) -> list[list[object]]:
        known = set(self.header)
        names = [self.header[c] for c in columns]
        out = []
        for row in rows:
            obj = self.objects[row]
            if len(obj) > len(known) or not known.issuperset(obj):
                extra = next(key for key in obj if key not in known)
                raise DataError(
                    f"{self.name}: row {self.numbers[row]} has a key {extra!r} the first object has not; "
                    f"{target} output needs the first object's keys in every object"
                )
            out.append([obj.get(name) for name in names])
        return out


class JsonLinesReader:
    """Read JSON Lines (one object per line) from a binary stream: the first object's keys are the header.

    Blank lines are dropped and counted; a line that is not a JSON object, or whose text value is not a string
    (null is an empty cell), raises ``DataError`` naming its line, or with ``skip_bad`` is skipped and listed.
    """

    def __init__(self, stream: Any, *, name: str, encoding: str = "utf-8", skip_bad: bool = False):
        self.encoding = text_codec(encoding).name
        if self.encoding == "utf-8-sig":
            self.encoding = "utf-8"
        if "\n".encode(self.encoding) != b"\n":
            raise DataError(f"JSON Lines cannot be read as {encoding}: use UTF-8 or another ASCII-based encoding")
        self.name, self.skip_bad = name, skip_bad
        self.skipped: list[BadRecord] = []
        self.blank_lines = 0
        self.bytes_read = 0
        self.has_bom = False
        self._stream = stream
        self._rows = 0
        self._objects = self._read()
        self._first = next(self._objects, None)
        self.header: list[str] = list(self._first[2]) if self._first is not None else []
        if self._first is None and not self.skipped:
            raise DataError(f"{name} is empty: there is no JSON object")
        if self._first is None:
            raise DataError(f"{name}: no line is a JSON object")

    def _lines(self) -> Iterator[bytes]:
        carry = b""
        while block := self._stream.read(BLOCK_BYTES):
            self.bytes_read += len(block)
            lines = (carry + block).split(b"\n")
            carry = lines.pop()
            for line in lines:
                yield line + b"\n"
        if carry:
            yield carry

    def _read(self) -> Iterator[tuple[int, str, dict]]:
        """(line number, line, object) for each JSON object line."""
        for number, raw in enumerate(self._lines(), start=1):
            if number == 1 and raw.startswith(codecs.BOM_UTF8) and self.encoding == "utf-8":
                self.has_bom, raw = True, raw[len(codecs.BOM_UTF8) :]
            try:
                line = raw.decode(self.encoding)
            except UnicodeDecodeError as err:
                self._bad(number, f"undecodable byte 0x{raw[err.start]:02x} (not {self.encoding}; see --encoding)")
                continue
            if not line.strip():
                self.blank_lines += 1
                continue
            try:
                value = json.loads(line)
            except ValueError as err:
                self._bad(number, f"not JSON: {getattr(err, 'msg', err)}")
                continue
            if not isinstance(value, dict):
                self._bad(number, f"a JSON {_json_kind(value)}, not an object")
                continue
            yield number, line, value

    def _bad(self, number: int, reason: str) -> None:
        if not self.skip_bad:
            raise DataError(f"{self.name}: line {number}: {reason}")
        self.skipped.append(BadRecord(number, number, reason))

    def chunks(
        self, text_column: str, max_rows: int, reserved: Mapping[str, str] | None = None
    ) -> Iterator[tuple[Chunk, JsonBlock]]:
        """The objects in chunks of at most ``max_rows``, with the string at ``text_column`` of each. An object
        with a key in ``reserved`` (an added column's name, without --replace-columns: ``{name: field}``) is a
        ``DataError``."""
        block = JsonBlock(self.header, [], [], [], self.name)
        texts: list[str] = []
        objects = self._objects if self._first is None else _prepend(self._first, self._objects)
        for number, line, value in objects:
            text = value.get(text_column)
            if text is not None and not isinstance(text, str):
                self._bad(number, f"the {text_column!r} value is a JSON {_json_kind(text)}, not a string")
                continue
            if reserved and not reserved.keys().isdisjoint(value):
                key = next(key for key in reserved if key in value)
                raise DataError(
                    f"{self.name}: line {number}: the object already has a key {key!r}; rename the added one "
                    f"(--column {reserved[key]}=NEW_NAME) or give --replace-columns to overwrite it"
                )
            self._rows += 1
            block.lines.append(line)
            block.objects.append(value)
            block.numbers.append(self._rows)
            texts.append(text or "")
            if len(texts) >= max_rows:
                yield _chunk(len(texts), texts, block.numbers.copy()), block
                block, texts = JsonBlock(self.header, [], [], [], self.name), []
        if texts:
            yield _chunk(len(texts), texts, block.numbers.copy()), block


def _chunk(rows: int, texts: list[str], numbers: list[int]) -> Chunk:
    """A chunk for the workers whose records are the row indexes 0..rows-1 into its block (handed back with the
    values, for the sink), not the records' text."""
    return Chunk(cast(list[str], list(range(rows))), texts, numbers)


def _prepend(first, rest):
    yield first
    yield from rest


def _json_kind(value: object) -> str:
    return {str: "string", bool: "boolean", int: "number", float: "number", list: "array", dict: "object"}.get(
        type(value), "null"
    )


# -- CSV/TSV into another format ---------------------------------------------------------------------------------------


@dataclass
class CsvBlock:
    """A chunk of CSV/TSV records (their text as in the file), parsed when another format writes them."""

    records: list[str]
    dialect: dict

    def values(self, rows: Sequence[int], columns: Sequence[int], target: str) -> list[list[object]]:
        parsed = [row or [""] for row in csv.reader(self.records, **self.dialect)]  # [] is a one-column blank
        return [[parsed[row][c] for c in columns] for row in rows]


class DelimitedReader:
    """CSV/TSV records (``csvstream.RecordReader``) as chunks and blocks for a sink of another format."""

    def __init__(self, stream: Any, *, name: str, delimiter: str, encoding: str, skip_bad: bool, quoting: str = "auto"):
        self._reader = RecordReader(
            stream, name=name, delimiter=delimiter, encoding=encoding, skip_bad=skip_bad, quoting=quoting
        )
        self.name = name
        self.header = self._reader.header
        self._dialect = {"delimiter": delimiter, "quoting": self._reader.quoting, "strict": True}
        self.has_bom = self._reader.has_bom

    @property
    def blank_lines(self) -> int:
        return self._reader.blank_lines

    @property
    def skipped(self) -> list[BadRecord]:
        return self._reader.skipped

    def chunks(
        self, text_column: str, max_rows: int, reserved: Mapping[str, str] | None = None
    ) -> Iterator[tuple[Chunk, CsvBlock]]:
        column = self.header.index(text_column)
        for chunk in self._reader.chunks(column, max_rows):
            block = CsvBlock(chunk.records, self._dialect)
            yield _chunk(len(chunk.texts), chunk.texts, chunk.numbers), block


# -- Parquet -----------------------------------------------------------------------------------------------------------


def pyarrow_modules():
    """``(pyarrow, pyarrow.parquet)``; a ``DataError`` naming the install command where pyarrow is missing."""
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise DataError(f"Parquet needs pyarrow: {PARQUET_INSTALL}") from None
    return pyarrow, pyarrow.parquet


@dataclass
class ArrowBlock:
    """A chunk of Parquet input: one Arrow record batch."""

    batch: Any

    def values(self, rows: Sequence[int], columns: Sequence[int], target: str) -> list[list[object]]:
        taken = self.batch.take(_indices(rows)) if not _identity(rows, self.batch.num_rows) else self.batch
        lists = [taken.column(c).to_pylist() for c in columns]
        return [list(values) for values in zip(*lists, strict=True)] if lists else [[] for _ in rows]


class ParquetReader:
    """Read a Parquet file by row group (``iter_batches``): memory holds a row group, not the file."""

    def __init__(self, handle: BinaryIO, *, name: str, size: int | None = None):
        pa, pq = pyarrow_modules()
        self.name = name
        try:
            self._file = pq.ParquetFile(handle)
        except (pa.ArrowException, OSError) as err:
            raise DataError(f"{name}: not a readable Parquet file ({_first_line(err)})") from None
        self.schema = self._file.schema_arrow
        self.header: list[str] = list(self.schema.names)
        self.rows = self._file.metadata.num_rows
        self.blank_lines = 0
        self.skipped: list[BadRecord] = []
        self.has_bom = False
        self._size = size or 0
        self._done = 0

    @property
    def bytes_read(self) -> int:
        """The file's size times the share of its rows read (Parquet is not read front to back)."""
        return self._size * self._done // self.rows if self.rows else self._size

    def chunks(
        self, text_column: str, max_rows: int, reserved: Mapping[str, str] | None = None
    ) -> Iterator[tuple[Chunk, ArrowBlock]]:
        pa, _ = pyarrow_modules()
        column = self.header.index(text_column)
        kind = self.schema.field(column).type
        value_kind = kind.value_type if pa.types.is_dictionary(kind) else kind
        if not (pa.types.is_string(value_kind) or pa.types.is_large_string(value_kind) or pa.types.is_null(kind)
                or getattr(pa.types, "is_string_view", lambda _: False)(value_kind)):  # fmt: skip
            raise DataError(f"{self.name}: the column {text_column!r} holds {kind}, not text")
        return self._batches(column, max_rows)

    def _batches(self, column: int, max_rows: int) -> Iterator[tuple[Chunk, ArrowBlock]]:
        pa, _ = pyarrow_modules()
        try:
            for batch in self._file.iter_batches(batch_size=max_rows, use_pandas_metadata=False):
                texts = [text or "" for text in batch.column(column).to_pylist()]
                numbers = list(range(self._done + 1, self._done + 1 + batch.num_rows))
                self._done += batch.num_rows
                yield _chunk(batch.num_rows, texts, numbers), ArrowBlock(batch)
        except (pa.ArrowException, OSError) as err:
            raise DataError(f"{self.name}: unreadable Parquet data ({_first_line(err)})") from None


def _first_line(err: BaseException) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__


def _identity(rows: Sequence[int], n: int) -> bool:
    return len(rows) == n and all(i == row for i, row in enumerate(rows))


def _indices(rows: Sequence[int]):
    import pyarrow

    return pyarrow.array(rows, type=pyarrow.int64())


# -- sinks ---------------------------------------------------------------------------------------------------------


class Block(Protocol):
    def values(self, rows: Sequence[int], columns: Sequence[int], target: str) -> list[list[object]]:
        """The input values of ``columns`` (indexes into the header) of each of ``rows``."""
        ...


@dataclass(frozen=True)
class Columns:
    """What a sink writes for each output row: the kept input columns (``kept``: indexes into ``header``; None:
    all), those at ``replaced`` positions overwritten by added values, then the ``appended`` added values.
    ``names`` and ``types`` (``string``, ``int``, ``float``) are those of the added values; ``replace`` lets a
    JSON object's own key of an added name be overwritten in place."""

    header: list[str]
    kept: tuple[int, ...] | None
    names: list[str]
    types: list[str]
    replaced: list[tuple[int, int]]
    appended: list[int]
    replace: bool = False

    @property
    def kept_indexes(self) -> list[int]:
        return list(range(len(self.header))) if self.kept is None else list(self.kept)

    @property
    def output_names(self) -> list[str]:
        names = [self.header[i] for i in self.kept_indexes]
        for position, k in self.replaced:
            names[position] = self.names[k]
        return names + [self.names[k] for k in self.appended]


def _text(value: object) -> str:
    """An input value as a CSV cell: text as it is, null as an empty cell, the rest as JSON or ISO 8601 text."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool | int | float | list | dict):
        return json.dumps(value, ensure_ascii=False, default=_json_default)
    if isinstance(value, bytes):
        return _json_default(value)
    return str(value.isoformat() if hasattr(value, "isoformat") else value)


def _json_default(value: object) -> Any:
    """JSON for the values Parquet has and JSON has not: dates and times as ISO 8601, bytes as UTF-8 text or
    base64, decimals and the rest as their text."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(value).decode("ascii")
    return str(value)


def _json_text(value: object) -> str | None:
    """Text as it is, null as null, anything else as JSON."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def _json_added(value: str, kind: str) -> str:
    """An added value (as the workers format it) in JSON: null where empty, a number or a string."""
    if value == "":
        return "null"
    return value if kind != "string" else json.dumps(value, ensure_ascii=False)


class DelimitedSink:
    """CSV/TSV rows written anew (quoted only where needed) from another format's input."""

    def __init__(self, stream: BinaryIO, columns: Columns, *, delimiter: str, encoding: str):
        self._columns = columns
        self._cells = CellFormat(delimiter, csv.QUOTE_MINIMAL, "\n")
        self._writer = RecordWriter(stream, encoding=encoding)
        self._writer.write(self._cells.row(columns.output_names))

    def write(self, block: Block, rows: list[int], values: list[list[str]]) -> None:
        columns, row_of = self._columns, self._cells.row
        out = []
        for inputs, added in zip(block.values(rows, columns.kept_indexes, "CSV"), values, strict=True):
            cells = [_text(value) for value in inputs]
            for position, k in columns.replaced:
                cells[position] = added[k]
            out.append(row_of(cells + [added[k] for k in columns.appended]))
        self._writer.write("".join(out))

    def close(self) -> None:
        self._writer.close()


class JsonLinesSink:
    """JSON Lines: a JSON Lines input's objects as they were, the added keys appended (rebuilt from their members,
    each as written, where columns are kept or replaced); another format's rows as new objects."""

    def __init__(self, stream: BinaryIO, columns: Columns, *, encoding: str = "utf-8", bom: bool = False):
        self._columns = columns
        self._keys = [json.dumps(name, ensure_ascii=False) for name in columns.names]
        self._input_keys = [json.dumps(name, ensure_ascii=False) for name in columns.header]
        self._kept_names = None if columns.kept is None else {columns.header[i] for i in columns.kept}
        self._writer = RecordWriter(stream, encoding=encoding, bom=bom)

    def _added(self, added: list[str]) -> list[str]:
        return [_json_added(value, kind) for value, kind in zip(added, self._columns.types, strict=True)]

    def write(self, block: Block, rows: list[int], values: list[list[str]]) -> None:
        if isinstance(block, JsonBlock):
            self._writer.write("".join(self._objects(block, rows, values)))
            return
        columns, keys, out = self._columns, self._input_keys, []
        names = [keys[i] for i in columns.kept_indexes]
        for inputs, added in zip(block.values(rows, columns.kept_indexes, "JSON Lines"), values, strict=True):
            members = [json.dumps(value, ensure_ascii=False, default=_json_default) for value in inputs]
            typed = self._added(added)
            for position, k in columns.replaced:
                members[position] = typed[k]
            pairs = [f"{key}: {value}" for key, value in zip(names, members, strict=True)]
            pairs += [f"{self._keys[k]}: {typed[k]}" for k in columns.appended]
            out.append("{" + ", ".join(pairs) + "}\n")
        self._writer.write("".join(out))

    def _objects(self, block: JsonBlock, rows: list[int], values: list[list[str]]) -> Iterator[str]:
        names, kept, replace = self._columns.names, self._kept_names, self._columns.replace
        previous, members = -1, []
        for row, added in zip(rows, values, strict=True):
            typed = self._added(added)
            line = block.lines[row]
            if kept is None and not (replace and not block.objects[row].keys().isdisjoint(names)):
                yield append_members(line, ", ".join(f"{k}: {v}" for k, v in zip(self._keys, typed, strict=True)))
                continue
            if row != previous:
                members, previous = object_members(line), row
            new = dict(zip(names, typed, strict=True))
            pairs = []
            for key, raw_key, raw_value in members:
                if key in new and replace:
                    pairs.append(f"{raw_key}: {new.pop(key)}")
                elif kept is None or key in kept:
                    pairs.append(f"{raw_key}: {raw_value}")
            pairs += [f"{json.dumps(name, ensure_ascii=False)}: {value}" for name, value in new.items()]
            body = line.rstrip("\r\n")
            yield "{" + ", ".join(pairs) + "}" + (line[len(body) :] or "\n")

    def close(self) -> None:
        self._writer.close()


class ParquetSink:
    """Parquet: a Parquet input's columns as they were (schema, types and values), the added columns typed
    (string label, float probability, integer counts); another format's columns as text (CSV) or as pyarrow
    infers them from the first row group (JSON Lines). Written in row groups of ``ROW_GROUP_ROWS``."""

    def __init__(self, stream: BinaryIO, columns: Columns, *, schema: pa.Schema | None, infer: bool):
        self._pa, self._pq = pyarrow_modules()
        pa = self._pa
        self._stream, self._columns, self._infer = stream, columns, infer
        self._added_types = [
            {"string": pa.string(), "int": pa.int64(), "float": pa.float64()}[t] for t in columns.types
        ]
        self._schema = self._plan(schema) if schema is not None or not infer else None
        self._writer = None
        self._pending: list = []
        self._pending_rows = self._pending_bytes = 0

    def _plan(self, schema: pa.Schema | None):
        """The output schema: the kept input fields (all text for CSV input), then the added ones."""
        pa, columns = self._pa, self._columns
        kept = columns.kept_indexes
        fields = [schema.field(i) if schema is not None else pa.field(columns.header[i], pa.string()) for i in kept]
        for position, k in columns.replaced:
            fields[position] = pa.field(columns.names[k], self._added_types[k])
        fields += [pa.field(columns.names[k], self._added_types[k]) for k in columns.appended]
        metadata = schema.metadata if schema is not None and columns.kept is None and not columns.replaced else None
        return pa.schema(fields, metadata=metadata)

    def _added_arrays(self, values: list[list[str]]) -> list:
        pa, arrays = self._pa, []
        for k, kind in enumerate(self._columns.types):
            column = [added[k] for added in values]
            if kind == "int":
                arrays.append(pa.array([int(v) if v else None for v in column], pa.int64()))
            elif kind == "float":
                arrays.append(pa.array([float(v) if v else None for v in column], pa.float64()))
            else:
                arrays.append(pa.array([v or None for v in column], pa.string()))
        return arrays

    def write(self, block: Block, rows: list[int], values: list[list[str]]) -> None:
        pa, columns = self._pa, self._columns
        kept = columns.kept_indexes
        if isinstance(block, ArrowBlock):
            batch = block.batch if _identity(rows, block.batch.num_rows) else block.batch.take(_indices(rows))
            inputs = [batch.column(i) for i in kept]
        else:
            lists = block.values(rows, kept, "Parquet")
            by_column = [list(column) for column in zip(*lists, strict=True)] if lists else [[] for _ in kept]
            if self._schema is None:
                names = [columns.header[i] for i in kept]
                inputs = [self._array(column, name) for column, name in zip(by_column, names, strict=True)]
            else:
                inputs = [self._array(column, self._schema.field(p)) for p, column in enumerate(by_column)]
        added = self._added_arrays(values)
        arrays = list(inputs)
        for position, k in columns.replaced:
            arrays[position] = added[k]
        arrays += [added[k] for k in columns.appended]
        if self._schema is None:  # JSON Lines input: the first chunk's types, nulls as text
            names = columns.output_names
            fields = [
                pa.field(n, a.type if not pa.types.is_null(a.type) else pa.string())
                for n, a in zip(names, arrays, strict=True)
            ]
            self._schema = pa.schema(fields)
            arrays = [
                self._array(a.to_pylist(), f) if a.type != f.type else a for a, f in zip(arrays, fields, strict=True)
            ]
        table = pa.Table.from_arrays(arrays, schema=self._schema)
        self._pending.append(table)
        self._pending_rows += table.num_rows
        self._pending_bytes += table.nbytes
        if self._pending_rows >= ROW_GROUP_ROWS or self._pending_bytes >= ROW_GROUP_BYTES:
            self._flush()

    def _array(self, values: list, field):
        """An Arrow array of ``values``: of the field's type, or (a field's name) of the type pyarrow infers.
        Values that have no one Parquet type (mixed types, integers past 64 bits) go into a text column, the
        non-text ones as JSON."""
        pa = self._pa
        kind = None if isinstance(field, str) else field.type
        try:
            return pa.array(values, kind)
        except (pa.ArrowException, TypeError, ValueError, OverflowError) as err:
            if kind is None or pa.types.is_string(kind):
                return pa.array([_json_text(value) for value in values], pa.string())
            raise DataError(
                f"the values of {field.name!r} do not all fit its type {field.type} (from the first rows): "
                f"{_first_line(err)}"
            ) from None

    def _flush(self) -> None:
        if not self._pending:
            return
        table = self._pa.concat_tables(self._pending)
        self._pending, self._pending_rows, self._pending_bytes = [], 0, 0
        self._open().write_table(table, row_group_size=max(table.num_rows, 1))

    def _open(self):
        if self._writer is None:
            if self._schema is None:  # no rows at all: the names, as text
                self._schema = self._pa.schema(
                    [self._pa.field(name, self._pa.string()) for name in self._columns.output_names]
                )
            self._writer = self._pq.ParquetWriter(self._stream, self._schema)
        return self._writer

    def close(self) -> None:
        self._flush()
        self._open().close()
        self._stream.flush()


def open_sink(fmt: TableFormat, stream: BinaryIO, columns: Columns, reader: Any, *, delimiter: str, encoding: str):
    """The sink that writes ``fmt`` rows into ``stream`` for rows read by ``reader``."""
    if fmt.kind == "parquet":
        schema = reader.schema if isinstance(reader, ParquetReader) else None
        return ParquetSink(stream, columns, schema=schema, infer=isinstance(reader, JsonLinesReader))
    if fmt.kind == "jsonl":
        bom = isinstance(reader, JsonLinesReader) and reader.has_bom
        return JsonLinesSink(stream, columns, encoding="utf-8", bom=bom)
    return DelimitedSink(stream, columns, delimiter=delimiter, encoding=encoding)
