"""The table formats ``label`` reads and writes, registered once: each is a ``Format`` (its name, file name
suffixes, how help names it, whether it is text) whose module reads and writes it. The ``--format`` choices, the
help that lists the formats, which files a folder contributes and which format a file name implies all derive from
``FORMATS``: adding a format is one module (``reader`` and ``sink``, as ``jsonl.py`` has them) and one
``register`` line below.

Lossless means, per format: CSV/TSV byte for byte (``csvstream``); JSON Lines: every key and value of each object
kept exactly (the object's own text, with the added keys appended before its closing brace); Parquet: the input
schema and values kept, the added columns typed. A reader yields ``(Chunk, rows)`` pairs: the chunk (texts, and
record numbers that index the rows) goes to the workers, the rows (the chunk's input rows, ``columns.ChunkRows``)
stay in the main process until a sink writes them. A format's module is imported when a file of it is read or
written, not when the formats are listed (``--help``).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO

from ..errors import DataError

__all__ = [
    "FORMATS",
    "SUFFIXES",
    "Format",
    "TableFormat",
    "format_of",
    "formats_listed",
    "open_reader",
    "open_sink",
    "register",
    "resolve_formats",
]


@dataclass(frozen=True)
class Format:
    """A table format: ``name`` (``--format``), the file name ``suffixes`` that imply it, its ``title`` in help
    (with its suffixes spelled out where ``spell_suffixes``), ``text`` (a text format: may be gzipped, is read
    front to back, and is what standard output gets), and ``module``, the module that reads and writes it (its
    ``reader(stream, *, name, delimiter, encoding, skip_bad, quoting)`` and ``sink(stream, columns, reader, *,
    delimiter, encoding)``; relative to this package, or absolute)."""

    name: str
    suffixes: tuple[str, ...]
    title: str
    module: str
    text: bool = True
    delimiter: str | None = None
    spell_suffixes: bool = False

    @property
    def help_title(self) -> str:
        return f"{self.title} ({', '.join(self.suffixes)})" if self.spell_suffixes else self.title

    def implementation(self) -> ModuleType:
        return importlib.import_module(self.module, __package__)


FORMATS: dict[str, Format] = {}
# file name suffix -> format name, in the order the formats were registered
SUFFIXES: dict[str, str] = {}


def register(fmt: Format) -> Format:
    """Add ``fmt`` to ``FORMATS`` (a format registered again under its name replaces the old one)."""
    FORMATS[fmt.name] = fmt
    for suffix, name in list(SUFFIXES.items()):
        if name == fmt.name:
            del SUFFIXES[suffix]
    SUFFIXES.update(dict.fromkeys(fmt.suffixes, fmt.name))
    return fmt


register(Format("csv", (".csv",), "CSV", ".delimited", delimiter=","))
register(Format("tsv", (".tsv", ".tab"), "TSV", ".delimited", delimiter="\t"))
register(Format("jsonl", (".jsonl", ".ndjson"), "JSON Lines", ".jsonl", spell_suffixes=True))
register(Format("parquet", (".parquet",), "Parquet", ".parquet", text=False))


def formats_listed(conjunction: str, *, suffixes: bool = False, text: bool | None = None) -> str:
    """The formats' titles as a list for help text: ``CSV, TSV, JSON Lines and Parquet`` (with each format's own
    suffixes where ``suffixes`` and it spells them; only text or only binary formats where ``text`` says)."""
    titles = [f.help_title if suffixes else f.title for f in FORMATS.values() if text is None or f.text == text]
    return _listing(titles, conjunction)


def _listing(words: Iterable[str], conjunction: str) -> str:
    *rest, last = words
    return f"{', '.join(rest)} {conjunction} {last}" if rest else last


# -- which format ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableFormat:
    """A table format (a name of ``FORMATS``), gzip-compressed or not."""

    kind: str
    gzip: bool = False

    @property
    def delimited(self) -> bool:
        return FORMATS[self.kind].delimiter is not None

    def delimiter(self, given: str | None) -> str:
        """The delimiter given, else the format's own (tab for TSV), else comma."""
        return given or FORMATS[self.kind].delimiter or ","

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
    ``- -o out.tsv`` reads TSV), else CSV. The output: its extension, else the input's format (CSV for a binary
    format such as Parquet: standard output gets text). gzip only where a name ends ``.gz`` (compressed input is
    also recognised by its first bytes), and only for text formats.
    """
    in_kind, in_gzip = format_of(source) if source is not None else (None, False)
    out_kind, out_gzip = format_of(destination) if destination is not None else (None, False)
    inherited = out_kind if source is None and out_kind and FORMATS[out_kind].delimiter else None
    kind = given or in_kind or inherited or "csv"
    source_format = TableFormat(kind, in_gzip)
    sink_format = TableFormat(out_kind or (kind if FORMATS[kind].text else "csv"), out_gzip)
    for fmt, name in ((source_format, source), (sink_format, destination)):
        if not FORMATS[fmt.kind].text and fmt.gzip:
            raise DataError(f"{name}: {FORMATS[fmt.kind].title} compresses its own columns; drop the .gz")
    return source_format, sink_format


# -- reading and writing -----------------------------------------------------------------------------------------------


def open_reader(
    stream: Any, fmt: TableFormat, *, name: str, delimiter: str | None, encoding: str, skip_bad: bool, quoting: str,
    pad_short: bool = False, field_limit: int | None = None,
) -> Any:  # fmt: skip
    """A reader of ``fmt`` (``chunks``, ``header``, ``blank_lines``, ``skipped``) over ``stream``: for a text
    format, the bytes ``streams.open_input`` gives; for another, the file itself. ``pad_short`` (short CSV/TSV rows
    read with their missing trailing fields empty) goes only to a reader that takes it: the delimited ones;
    ``field_limit``, the longest cell (CSV/TSV) or row (JSON Lines) read, to the text formats."""
    reader = FORMATS[fmt.kind].implementation().reader
    extra: dict[str, Any] = {}
    if pad_short:
        if FORMATS[fmt.kind].module != ".delimited":
            raise DataError(f"{name}: --pad-short-rows is for CSV and TSV rows, not {FORMATS[fmt.kind].title}")
        extra["pad_short"] = True
    if field_limit is not None:  # the readers' own limit otherwise (``csvstream.FIELD_LIMIT``)
        extra["field_limit"] = field_limit
    return reader(
        stream,
        name=name,
        delimiter=fmt.delimiter(delimiter),
        encoding=encoding,
        skip_bad=skip_bad,
        quoting=quoting,
        **extra,
    )


def open_sink(fmt: TableFormat, stream: BinaryIO, columns: Any, reader: Any, *, delimiter: str, encoding: str) -> Any:
    """The sink (``write``, ``close``) that writes ``fmt`` rows into ``stream`` for rows read by ``reader``."""
    return FORMATS[fmt.kind].implementation().sink(stream, columns, reader, delimiter=delimiter, encoding=encoding)
