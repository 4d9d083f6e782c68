"""What every format's reader and sink share: a chunk's input rows (``ChunkRows``), the output's column
layout (``Columns``), and input values as text or JSON."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from ..errors import DataError
from .csvstream import Chunk


def indexed_chunk(rows: int, texts: list[str], numbers: list[int]) -> Chunk:
    """A chunk for the workers whose records are the row indexes 0..rows-1 into its block (handed back with the
    values, for the sink), not the records' text."""
    return Chunk(cast(list[str], list(range(rows))), texts, numbers)


class ChunkRows(Protocol):
    def values(self, rows: Sequence[int], columns: Sequence[int], target: str) -> list[list[object]]:
        """The input values of ``columns`` (indexes into the header) of each of ``rows``."""
        ...


@dataclass(frozen=True)
class Columns:
    """The output's columns: the kept input columns (``kept``: indexes into ``header``; None: all), those at
    ``replaced`` positions (of the kept columns) overwritten by added values, then the ``appended`` added values.
    ``names`` and ``types`` (``string``, ``int``, ``float``) are those of the added values; ``replace`` lets a
    JSON object's own key of an added name be overwritten in place. Every sink writes rows this way, and so do the
    workers that format CSV/TSV rows themselves."""

    header: list[str]
    kept: tuple[int, ...] | None
    names: list[str]
    types: list[str]
    replaced: list[tuple[int, int]]
    appended: list[int]
    replace: bool = False

    @classmethod
    def plan(
        cls,
        header: list[str],
        kept: tuple[int, ...] | None,
        fields: Sequence[str],
        names: Sequence[str],
        types: Sequence[str],
        replace: bool,
    ) -> Columns:
        """Where the added ``fields`` (output ``names``, ``types``) go: appended, or with ``replace`` over the kept
        input column of their name; a ``DataError`` for a name the kept input columns have, without ``replace``."""
        kept_header = header if kept is None else [header[i] for i in kept]
        appended, replaced = [], []
        for k, name in enumerate(names):
            if name not in kept_header:
                appended.append(k)
            elif replace:  # every column of that name: a header may repeat one
                replaced += [(position, k) for position, column in enumerate(kept_header) if column == name]
            else:
                raise DataError(
                    f"the input already has a column {name!r}; rename the added one "
                    f"(--column {fields[k]}=NEW_NAME) or give --replace-columns to overwrite it"
                )
        return cls(list(header), kept, list(names), list(types), replaced, appended, replace)

    @property
    def added_names(self) -> list[str]:
        """The names of the appended columns."""
        return [self.names[k] for k in self.appended]

    def reserved(self, fields: Sequence[str]) -> dict[str, str]:
        """The added columns' names an input row must not have as its own (``{name: field}``; a JSON object's
        keys are checked row by row): none with ``replace``, else those of the kept columns' names or all."""
        if self.replace:
            return {}
        wanted = None if self.kept is None else {self.header[i] for i in self.kept}
        return {name: field for name, field in zip(self.names, fields, strict=True) if wanted is None or name in wanted}

    @property
    def kept_indexes(self) -> list[int]:
        return list(range(len(self.header))) if self.kept is None else list(self.kept)

    @property
    def output_names(self) -> list[str]:
        names = [self.header[i] for i in self.kept_indexes]
        for position, k in self.replaced:
            names[position] = self.names[k]
        return names + [self.names[k] for k in self.appended]


def cell_text(value: object) -> str:
    """An input value as a CSV cell: text as it is, null as an empty cell, the rest as JSON or ISO 8601 text."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool | int | float | list | dict):
        return json.dumps(value, ensure_ascii=False, default=json_default)
    if isinstance(value, bytes):
        return json_default(value)
    return str(value.isoformat() if hasattr(value, "isoformat") else value)


def json_default(value: object) -> Any:
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


def json_text(value: object) -> str | None:
    """Text as it is, null as null, anything else as JSON."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=json_default)


def json_added(value: str, kind: str) -> str:
    """An added value (as the workers format it) in JSON: null where empty, a number or a string."""
    if value == "":
        return "null"
    return value if kind != "string" else json.dumps(value, ensure_ascii=False)
