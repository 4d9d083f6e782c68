"""Parquet: read by row group, written in row groups, schema and types kept, the added columns typed;
pyarrow is imported only here, and named in the error when missing."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from ..errors import DataError
from .columns import ChunkRows, Columns, indexed_chunk, json_text
from .csvstream import BadRecord, Chunk

if TYPE_CHECKING:
    import pyarrow as pa


PARQUET_INSTALL = "pip install 'factopinion[parquet]'"
ROW_GROUP_ROWS = 1 << 16  # rows per Parquet row group written (fewer at the end)
ROW_GROUP_BYTES = 1 << 26  # or this many bytes of Arrow data, whichever comes first


def pyarrow_modules():
    """``(pyarrow, pyarrow.parquet)``; a ``DataError`` naming the install command where pyarrow is missing."""
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise DataError(f"Parquet needs pyarrow: {PARQUET_INSTALL}") from None
    return pyarrow, pyarrow.parquet


@dataclass
class ArrowRows:
    """A chunk of Parquet input: one Arrow record batch (``first``: the number of its first row)."""

    batch: Any
    name: str = "the input"
    first: int = 1

    def values(self, rows: Sequence[int], columns: Sequence[int], target: str) -> list[list[object]]:
        taken = self.batch.take(_indices(rows)) if not _identity(rows, self.batch.num_rows) else self.batch
        numbers = [self.first + row for row in rows]
        lists = [_values(taken.column(c), self.name, taken.schema.names[c], numbers) for c in columns]
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
        self.typed = True  # its values are typed by its schema
        self._size = size or 0
        self._done = 0

    @property
    def bytes_read(self) -> int:
        """The file's size times the share of its rows read (Parquet is not read front to back)."""
        return self._size * self._done // self.rows if self.rows else self._size

    def chunks(
        self, text_column: str, max_rows: int, reserved: Mapping[str, str] | None = None
    ) -> Iterator[tuple[Chunk, ArrowRows]]:
        pa, _ = pyarrow_modules()
        column = self.header.index(text_column)
        kind = self.schema.field(column).type
        value_kind = kind.value_type if pa.types.is_dictionary(kind) else kind
        if not (pa.types.is_string(value_kind) or pa.types.is_large_string(value_kind) or pa.types.is_null(kind)
                or getattr(pa.types, "is_string_view", lambda _: False)(value_kind)):  # fmt: skip
            raise DataError(f"{self.name}: the column {text_column!r} holds {kind}, not text")
        return self._batches(column, max_rows)

    def _batches(self, column: int, max_rows: int) -> Iterator[tuple[Chunk, ArrowRows]]:
        pa, _ = pyarrow_modules()
        try:
            for batch in self._file.iter_batches(batch_size=max_rows, use_pandas_metadata=False):
                numbers = list(range(self._done + 1, self._done + 1 + batch.num_rows))
                values = _values(batch.column(column), self.name, self.header[column], numbers)
                texts = [text or "" for text in values]
                self._done += batch.num_rows
                yield indexed_chunk(batch.num_rows, texts, numbers), ArrowRows(batch, self.name, numbers[0])
        except (pa.ArrowException, OSError) as err:
            raise DataError(f"{self.name}: unreadable Parquet data ({_first_line(err)})") from None


def _values(array: Any, name: str, column: str, numbers: Sequence[int]) -> list:
    """``array``'s values as Python objects; a ``DataError`` naming the row where a string is not UTF-8 (Parquet
    requires it, but a writer can break that; Arrow then fails on the whole batch)."""
    try:
        return array.to_pylist()
    except UnicodeDecodeError:
        pass
    pa, _ = pyarrow_modules()
    import pyarrow.compute as pc

    kind = array.type.value_type if pa.types.is_dictionary(array.type) else array.type
    raw = pc.cast(array.dictionary_decode() if pa.types.is_dictionary(array.type) else array, pa.large_binary())
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        for number, value in zip(numbers, raw.to_pylist(), strict=True):
            try:
                (value or b"").decode("utf-8")
            except UnicodeDecodeError as err:
                raise DataError(
                    f"{name}: row {number}: the column {column!r} holds bytes that are not UTF-8 "
                    f"(0x{value[err.start]:02x} at byte {err.start}), which Parquet strings must be"
                ) from None
    raise DataError(f"{name}: the column {column!r} holds text that is not UTF-8 (in a nested value)")


def _first_line(err: BaseException) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__


def _identity(rows: Sequence[int], n: int) -> bool:
    return len(rows) == n and all(i == row for i, row in enumerate(rows))


def _indices(rows: Sequence[int]):
    import pyarrow

    return pyarrow.array(rows, type=pyarrow.int64())


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

    def write(self, block: ChunkRows, rows: list[int], values: list[list[str]]) -> None:
        pa, columns = self._pa, self._columns
        kept = columns.kept_indexes
        if isinstance(block, ArrowRows):
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
                return pa.array([json_text(value) for value in values], pa.string())
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


def reader(stream: BinaryIO, *, name: str, **_: Any) -> ParquetReader:
    return ParquetReader(_seekable(stream, name), name=name, size=_size(stream))


def sink(stream: BinaryIO, columns: Columns, reader: Any, *, delimiter: str, encoding: str) -> ParquetSink:
    schema = reader.schema if isinstance(reader, ParquetReader) else None
    return ParquetSink(stream, columns, schema=schema, infer=getattr(reader, "typed", False))


def _seekable(source: BinaryIO, name: str) -> BinaryIO:
    try:
        seekable = source.seekable()
    except (AttributeError, ValueError, OSError):
        seekable = False
    if not seekable:
        raise DataError(f"{name}: Parquet is read from the end of the file, not from a pipe: give the file's name")
    return source


def _size(source: BinaryIO) -> int | None:
    try:
        return os.fstat(source.fileno()).st_size
    except (OSError, ValueError, AttributeError):
        return None
