"""Progress on standard error while ``label`` runs: a bar by bytes, or a running count for a pipe."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import click

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

    from ..labeling.batch import Progress


def _input_size(source: Path | BinaryIO) -> int | None:
    try:
        size = source.stat().st_size if isinstance(source, Path) else os.fstat(source.fileno()).st_size
    except (OSError, ValueError, AttributeError):
        return None
    return size or None


@contextlib.contextmanager
def batch_progress(source: Path | BinaryIO, quiet: bool) -> Iterator[Progress | None]:
    """Progress on standard error, when that is a terminal (and not ``quiet``): for input of known size, a bar by
    bytes with the time left; for a pipe (no end to measure against), the rows and bytes labeled so far."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    size = _input_size(source)
    if size is None:
        counter = _RunningCount(sys.stderr)
        try:
            yield counter.update
        finally:
            counter.close()
        return
    with bytes_bar(size) as update:
        yield update


@contextlib.contextmanager
def bytes_bar(size: int) -> Iterator[Progress]:
    """A progress bar on standard error by input bytes (of ``size``), showing the rows labeled."""
    bar: ProgressBar[int] = click.progressbar(
        length=size,
        label="labeling",
        file=sys.stderr,
        item_show_func=lambda done: None if done is None else f"{done:,} rows",
    )
    rows = 0

    def update(n_bytes: int, n_rows: int) -> None:
        nonlocal rows
        rows += n_rows
        bar.update(n_bytes, current_item=rows)

    with bar:
        yield update


class _RunningCount:
    """A one-line count of the rows and bytes labeled, redrawn in place at most five times a second."""

    def __init__(self, stream, interval: float = 0.2):
        self._clock = time.monotonic
        self._stream, self._interval = stream, interval
        self._started = self._clock()
        self._drawn = float("-inf")
        self.rows = self.bytes = 0

    def update(self, n_bytes: int, n_rows: int) -> None:
        self.rows += n_rows
        self.bytes += n_bytes
        if self._clock() - self._drawn >= self._interval:
            self._draw()

    def _draw(self) -> None:
        self._drawn = self._clock()
        seconds = self._drawn - self._started
        line = f"labeling: {self.rows:,} rows, {_size(self.bytes)} read, {seconds:.0f} s"
        self._stream.write(f"\r{line}\x1b[K")
        self._stream.flush()

    def close(self) -> None:
        if self.rows or self.bytes:
            self._draw()
            self._stream.write("\n")
            self._stream.flush()


def _size(n_bytes: int) -> str:
    """``n_bytes`` for people: 512 B, 3.4 kB, 1.2 MB, 2.0 GB."""
    value, unit = float(n_bytes), "B"
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            break
        value /= 1000
    return f"{n_bytes} B" if unit == "B" else f"{value:.1f} {unit}"


@contextlib.contextmanager
def files_progress(size: int) -> Iterator[Progress | None]:
    """A progress bar by bytes of all the inputs, with the rows labeled, on standard error (none for a size of 0)."""
    if not size:
        yield None
        return
    with bytes_bar(size) as update:
        yield update
