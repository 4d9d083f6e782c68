"""CSV and TSV: read as records (``csvstream``, lossless), and written anew from another format's rows."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from .columns import ChunkRows, Columns, cell_text, indexed_chunk
from .csvstream import BadRecord, CellFormat, Chunk, RecordReader, RecordWriter


@dataclass
class CsvRows:
    """A chunk of CSV/TSV records (their text as in the file), parsed when another format writes them."""

    records: list[str]
    dialect: dict

    def values(self, rows: Sequence[int], columns: Sequence[int], target: str) -> list[list[object]]:
        parsed = [row or [""] for row in csv.reader(self.records, **self.dialect)]  # [] is a one-column blank
        return [[parsed[row][c] for c in columns] for row in rows]


class DelimitedReader:
    """CSV/TSV records (``csvstream.RecordReader``) as chunks and blocks for a sink of another format."""

    def __init__(self, stream: Any, *, name: str, **options: Any):
        """``options``: ``RecordReader``'s (delimiter, encoding, skip_bad, quoting, pad_short)."""
        self.records = RecordReader(stream, name=name, **options)
        self.name = name
        self.header = self.records.header
        self._dialect = {"delimiter": self.records.delimiter, "quoting": self.records.quoting, "strict": True}
        self.has_bom = self.records.has_bom
        self.schema = None
        self.typed = False  # its values are text

    @property
    def blank_lines(self) -> int:
        return self.records.blank_lines

    @property
    def skipped(self) -> list[BadRecord]:
        return self.records.skipped

    def chunks(
        self, text_column: str, max_rows: int, reserved: Mapping[str, str] | None = None
    ) -> Iterator[tuple[Chunk, CsvRows]]:
        column = self.header.index(text_column)
        for chunk in self.records.chunks(column, max_rows):
            block = CsvRows(chunk.records, self._dialect)
            yield indexed_chunk(len(chunk.texts), chunk.texts, chunk.numbers), block


class DelimitedSink:
    """CSV/TSV rows written anew (quoted only where needed) from another format's input."""

    def __init__(self, stream: BinaryIO, columns: Columns, *, delimiter: str, encoding: str):
        self._columns = columns
        self._cells = CellFormat(delimiter, csv.QUOTE_MINIMAL, "\n")
        self._writer = RecordWriter(stream, encoding=encoding)
        self._writer.write(self._cells.row(columns.output_names))

    def write(self, block: ChunkRows, rows: list[int], values: list[list[str]]) -> None:
        columns, row_of = self._columns, self._cells.row
        out = []
        for inputs, added in zip(block.values(rows, columns.kept_indexes, "CSV"), values, strict=True):
            cells = [cell_text(value) for value in inputs]
            for position, k in columns.replaced:
                cells[position] = added[k]
            out.append(row_of(cells + [added[k] for k in columns.appended]))
        self._writer.write("".join(out))

    def close(self) -> None:
        self._writer.close()


def reader(stream: Any, *, name: str, **options: Any) -> DelimitedReader:
    return DelimitedReader(stream, name=name, **options)


def sink(stream: BinaryIO, columns: Columns, reader: Any, *, delimiter: str, encoding: str) -> DelimitedSink:
    return DelimitedSink(stream, columns, delimiter=delimiter, encoding=encoding)
