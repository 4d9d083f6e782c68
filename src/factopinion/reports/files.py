"""Reading score tables (what ``label`` writes: CSV, TSV, JSON Lines, Parquet, gzipped or not, or standard input)
into pandas, and writing a report table in the format its name implies, atomically."""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ..atomic import atomic_output
from ..errors import DataError
from ..tables.parquet import pyarrow_modules
from ..tables.registry import format_of

__all__ = ["read_scores", "write_table"]


def read_scores(paths: Sequence[str], *, table_format: str | None = None) -> pd.DataFrame:
    """The rows of every file in ``paths`` (``-``: standard input), one after another; cells are read as text, so
    identifiers keep their leading zeros. The format comes from ``table_format``, else each name's extension."""
    frames = [_read(path, table_format) for path in paths]
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _read(path: str, table_format: str | None) -> pd.DataFrame:
    kind, compressed = format_of(path) if path != "-" else (None, False)
    kind = table_format or kind or "csv"
    source: object = sys.stdin.buffer if path == "-" else path
    name = "standard input" if path == "-" else path
    compression = "gzip" if compressed else ("infer" if path != "-" else None)
    try:
        if kind in ("csv", "tsv"):
            return pd.read_csv(
                source,
                sep="\t" if kind == "tsv" else ",",
                dtype=str,
                keep_default_na=False,
                compression=compression,
                encoding="utf-8",
            )
        if kind == "jsonl":
            return pd.read_json(source, lines=True, dtype=False, compression=compression)
        if kind == "parquet":
            pyarrow_modules()  # names the install command where pyarrow is missing
            return pd.read_parquet(source)
    except (DataError, FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DataError(f"{name}: cannot read it as {kind}: {first}") from None
    raise DataError(f"{name}: unknown format {kind!r}")


def write_table(frame: pd.DataFrame, path: str | Path, *, overwrite: bool = False) -> None:
    """Write ``frame`` to ``path`` in the format its extension names (CSV where it names none), atomically; a
    device or FIFO is written into."""
    kind, compressed = format_of(path)
    kind = kind or "csv"
    buffer = io.BytesIO()
    if kind == "parquet":
        pyarrow_modules()
        frame.to_parquet(buffer, index=False)
    elif kind == "jsonl":
        buffer.write(frame.to_json(orient="records", lines=True, force_ascii=False).encode("utf-8"))
    else:
        frame.to_csv(buffer, index=False, sep="\t" if kind == "tsv" else ",", lineterminator="\n")
    data = buffer.getvalue()
    if compressed:
        import gzip

        data = gzip.compress(data, mtime=0)
    with atomic_output(path, overwrite=overwrite) as f:
        f.write(data)
