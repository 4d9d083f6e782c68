"""Atomic output files: written to a hidden temporary file beside the target, which takes its name only when
complete, so an interrupted run never leaves a partial file under the target's name."""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .data import DataError

__all__ = ["atomic_output", "same_file", "terminate_as_exit"]


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name the same existing file (through links, ``..`` or symlinks)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


@contextlib.contextmanager
def atomic_output(path: str | Path, *, overwrite: bool = False, buffer_size: int = 1 << 20) -> Iterator[BinaryIO]:
    """Yield a binary file that becomes ``path`` when the block ends without an exception.

    Without ``overwrite`` an existing ``path`` is never replaced (checked before and, through a hard link, at the
    moment the file takes its name). On any exception, KeyboardInterrupt and SystemExit included, the temporary
    file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path} is a directory")
    if not overwrite and os.path.lexists(path):
        raise DataError(f"{path} already exists (use --force to overwrite it)")
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    except OSError as err:
        raise DataError(f"cannot write {path}: {err.strerror or err}") from None
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb", buffering=buffer_size) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        _publish(tmp, path, overwrite)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _publish(tmp: str, path: Path, overwrite: bool) -> None:
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # fails if path appeared meanwhile: never clobber without overwrite
    except FileExistsError:
        raise DataError(f"{path} already exists (use --force to overwrite it)") from None
    except OSError:  # a file system without hard links
        if os.path.lexists(path):
            raise DataError(f"{path} already exists (use --force to overwrite it)") from None
        os.replace(tmp, path)


@contextlib.contextmanager
def terminate_as_exit() -> Iterator[None]:
    """Turn SIGTERM (and SIGHUP) into ``SystemExit`` while the block runs, so cleanup code runs on ``kill``."""

    def handler(signum, frame):
        raise SystemExit(128 + signum)

    wanted = [s for s in (signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None]
    try:
        previous = {s: signal.signal(s, handler) for s in wanted}
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)
