"""Glue between the ``label`` command and the batch API: option parsing, the output target, the progress bar,
and quiet endings on a closed pipe or a kill."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import click

from .atomic import same_file, terminate_as_exit
from .batch import ROW_FIELDS, SENTENCE_FIELDS
from .data import DataError

__all__ = ["column_names", "output_target", "batch_progress", "clean_endings"]


def column_names(renames: tuple[str, ...]) -> dict[str, str]:
    """``("label=verdict", ...)`` as ``{"label": "verdict"}``; names the valid fields on a mistake."""
    fields = dict.fromkeys((*SENTENCE_FIELDS, *ROW_FIELDS))
    names = {}
    for item in renames:
        key, sep, value = item.partition("=")
        if not sep or not value:
            raise click.BadParameter(f"expected FIELD=NAME, got {item!r}", param_hint="--column")
        if key not in fields:
            choices = ", ".join(fields)
            raise click.BadParameter(f"no added column {key!r}; choose from: {choices}", param_hint="--column")
        names[key] = value
    return names


def output_target(output: str, source: Path | BinaryIO, force: bool) -> Path | BinaryIO:
    """Standard output for '-', else the output path, refused if it is the input or exists without ``force``."""
    if output == "-":
        return sys.stdout.buffer
    path = Path(output)
    if isinstance(source, Path) and (same_file(source, path) or source.resolve() == path.resolve()):
        raise DataError(f"refusing to write the output over the input file {source}")
    if path.is_dir():
        raise DataError(f"{path} is a directory")
    if os.path.lexists(path) and not force:
        raise DataError(f"{path} already exists (use --force to overwrite it)")
    return path


def _input_size(source: Path | BinaryIO) -> int | None:
    try:
        size = source.stat().st_size if isinstance(source, Path) else os.fstat(source.fileno()).st_size
    except (OSError, ValueError, AttributeError):
        return None
    return size or None


@contextlib.contextmanager
def batch_progress(source: Path | BinaryIO, quiet: bool) -> Iterator[Callable[[int], None] | None]:
    """A progress bar by bytes of input on standard error, when that is a terminal (and not ``quiet``)."""
    size = None if quiet or not sys.stderr.isatty() else _input_size(source)
    if size is None:
        yield None
        return
    with click.progressbar(length=size, label="labeling", file=sys.stderr) as bar:
        yield bar.update


@contextlib.contextmanager
def clean_endings() -> Iterator[None]:
    """End quietly (exit 0) when the reader of standard output goes away, as in ``| head``; and let SIGTERM end
    the run through the normal cleanup, so no partial output file is left."""
    try:
        with terminate_as_exit():
            yield
    except BrokenPipeError:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # so the exit-time flush of stdout does not complain
        raise SystemExit(0) from None
