"""JSON Lines: one JSON object per line, each kept exactly (its own text, the added keys appended before
its closing brace)."""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from ..encoding import text_codec
from ..errors import DataError
from .columns import ChunkRows, Columns, indexed_chunk, json_added, json_default
from .csvstream import CHUNK_BYTES, FIELD_LIMIT, LINE_LIMIT, BadRecord, Chunk, RecordWriter
from .streams import BLOCK_BYTES

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder(parse_int=lambda digits: 0)  # only the values' extents are wanted


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
        try:
            _, end = _DECODER.raw_decode(text, pos)
        except RecursionError:
            raise ValueError("nested too deeply to read") from None
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
    inserted before its closing brace, the last character before the trailing JSON white space (spaces, tabs,
    ``\r`` and ``\n`` in any order); every other character stays where it was."""
    end = len(line.rstrip(" \t\n\r"))
    inner, after = line[: end - 1], line[end:]
    separator = "" if inner.rstrip(" \t\n\r").endswith("{") else ", "
    return f"{inner}{separator}{members}}}{after if after.endswith(chr(10)) else after + chr(10)}"


@dataclass
class JsonRows:
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

    def __init__(
        self, stream: Any, *, name: str, encoding: str = "utf-8", skip_bad: bool = False, field_limit: int | None = None
    ):
        self.encoding = text_codec(encoding).name
        if self.encoding == "utf-8-sig":
            self.encoding = "utf-8"
        if "\n".encode(self.encoding) != b"\n":
            raise DataError(f"JSON Lines cannot be read as {encoding}: use UTF-8 or another ASCII-based encoding")
        self.name, self.skip_bad = name, skip_bad
        self.field_limit = FIELD_LIMIT if field_limit is None else field_limit
        self.skipped: list[BadRecord] = []
        self.blank_lines = 0
        self.bytes_read = 0
        self.has_bom = False
        self.schema = None
        self.typed = True  # its values are JSON: strings, numbers, booleans, arrays, objects
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
        """The physical lines, each with its ``\n``; a line longer than ``LINE_LIMIT`` bytes stops the run (as a
        CSV line does: ``/dev/zero`` is not JSON Lines), and a long line is gathered in linear time."""
        pieces: list[bytes] = []  # the start of the line not yet ended
        size, lines = 0, 0
        while block := self._stream.read(BLOCK_BYTES):
            self.bytes_read += len(block)
            parts = block.split(b"\n")
            if len(parts) > 1:
                pieces.append(parts[0])
                yield b"".join(pieces) + b"\n"
                for line in parts[1:-1]:
                    yield line + b"\n"
                lines += len(parts) - 1
                pieces, size = [], 0
            if parts[-1]:
                pieces.append(parts[-1])
                size += len(parts[-1])
                if size > LINE_LIMIT:
                    raise DataError(
                        f"{self.name}: line {lines + 1}: no line break in {LINE_LIMIT:,} bytes (a line longer than "
                        "the limit, or not a JSON Lines file)"
                    )
        if pieces:
            yield b"".join(pieces)

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
            if len(line) > self.field_limit:  # a row is one record: as long as a CSV cell may be, never parsed past it
                self._bad(number, f"a row over the --max-cell limit of {self.field_limit:,} characters")
                continue
            try:
                value = json.loads(line, parse_int=_integer)
            except RecursionError:
                self._bad(number, "nested too deeply to read")
                continue
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
        self, text_column: str, max_rows: int, reserved: Mapping[str, str] | None = None, max_bytes: int = CHUNK_BYTES
    ) -> Iterator[tuple[Chunk, JsonRows]]:
        """The objects in chunks of at most ``max_rows`` rows (and about ``max_bytes`` of lines), with the string
        at ``text_column`` of each. An object with a key in ``reserved`` (an added column's name, without
        --replace-columns: ``{name: field}``) is a ``DataError``."""
        block = JsonRows(self.header, [], [], [], self.name)
        texts: list[str] = []
        size = 0
        objects = self._objects if self._first is None else _prepend(self._first, self._objects)
        for number, line, value in objects:
            text = value.get(text_column)
            if text is not None and (not isinstance(text, str) or isinstance(text, Digits)):
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
            size += len(line)
            if len(texts) >= max_rows or size >= max_bytes:
                yield indexed_chunk(len(texts), texts, block.numbers.copy()), block
                block, texts, size = JsonRows(self.header, [], [], [], self.name), [], 0
        if texts:
            yield indexed_chunk(len(texts), texts, block.numbers.copy()), block


def _prepend(first, rest):
    yield first
    yield from rest


class Digits(str):
    """A JSON integer too long for Python's int from text (over 4,300 digits): its digits, as written."""


def _integer(digits: str) -> int | str:
    try:
        return int(digits)
    except ValueError:  # the digit limit of int(): the number stays as written
        return Digits(digits)


def _json_kind(value: object) -> str:
    return {str: "string", bool: "boolean", int: "number", float: "number", list: "array", dict: "object",
            Digits: "number"}.get(type(value), "null")  # fmt: skip


class JsonLinesSink:
    """JSON Lines: a JSON Lines input's objects as they were, the added keys appended (rebuilt from their members,
    each as written, where columns are kept or replaced); another format's rows as new objects."""

    def __init__(self, stream: BinaryIO, columns: Columns, *, encoding: str = "utf-8", bom: bool = False):
        self._columns = columns
        self._keys = [json.dumps(name, ensure_ascii=False) for name in columns.names]
        self._input_keys = [json.dumps(name, ensure_ascii=False) for name in columns.header]
        self._kept_names = None if columns.kept is None else {columns.header[i] for i in columns.kept}
        self._left_out = set(columns.header) - (self._kept_names or set()) if columns.others else None
        self._writer = RecordWriter(stream, encoding=encoding, bom=bom)

    def _added(self, added: list[str]) -> list[str]:
        return [json_added(value, kind) for value, kind in zip(added, self._columns.types, strict=True)]

    def write(self, block: ChunkRows, rows: list[int], values: list[list[str]]) -> None:
        if isinstance(block, JsonRows):
            self._writer.write("".join(self._objects(block, rows, values)))
            return
        columns, keys, out = self._columns, self._input_keys, []
        names = [keys[i] for i in columns.kept_indexes]
        for inputs, added in zip(block.values(rows, columns.kept_indexes, "JSON Lines"), values, strict=True):
            members = [json.dumps(value, ensure_ascii=False, default=json_default) for value in inputs]
            typed = self._added(added)
            for position, k in columns.replaced:
                members[position] = typed[k]
            pairs = [f"{key}: {value}" for key, value in zip(names, members, strict=True)]
            pairs += [f"{self._keys[k]}: {typed[k]}" for k in columns.appended]
            out.append("{" + ", ".join(pairs) + "}\n")
        self._writer.write("".join(out))

    def _objects(self, block: JsonRows, rows: list[int], values: list[list[str]]) -> Iterator[str]:
        names, kept, replace, left_out = self._columns.names, self._kept_names, self._columns.replace, self._left_out
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
            pairs, used = [], set()
            for key, raw_key, raw_value in members:
                if key in new and replace:  # every member of that name: an object may repeat a key
                    pairs.append(f"{raw_key}: {new[key]}")
                    used.add(key)
                elif kept is None or key in kept or (left_out is not None and key not in left_out):
                    pairs.append(f"{raw_key}: {raw_value}")
            pairs += [f"{json.dumps(name, ensure_ascii=False)}: {v}" for name, v in new.items() if name not in used]
            after = line[len(line.rstrip(" \t\r\n")) :]
            yield "{" + ", ".join(pairs) + "}" + (after if after.endswith("\n") else after + "\n")

    def close(self) -> None:
        self._writer.close()


def reader(
    stream: Any, *, name: str, encoding: str, skip_bad: bool, field_limit: int | None = None, **_: Any
) -> JsonLinesReader:
    return JsonLinesReader(stream, name=name, encoding=encoding, skip_bad=skip_bad, field_limit=field_limit)


def sink(stream: BinaryIO, columns: Columns, reader: Any, *, delimiter: str, encoding: str) -> JsonLinesSink:
    bom = isinstance(reader, JsonLinesReader) and reader.has_bom
    return JsonLinesSink(stream, columns, encoding="utf-8", bom=bom)
