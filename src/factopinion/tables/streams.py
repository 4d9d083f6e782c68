"""Bytes in and out of a table file: counting what is read, recognising gzip by its first bytes (and a
Parquet file read as text), and writing gzip reproducibly."""

from __future__ import annotations

import contextlib
import gzip
import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

from ..errors import DataError

if TYPE_CHECKING:
    from .registry import TableFormat


BLOCK_BYTES = 1 << 20
GZIP_LEVEL = 6  # gzip's own default: most of level 9's ratio at a fraction of its time


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
