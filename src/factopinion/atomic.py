"""Writing an output file safely: a regular file (or a new one) is written to a hidden temporary file beside it,
which takes its name only when complete, so an interrupted run never leaves a partial file under that name and
never harms what was there; a device, FIFO or socket is written into directly, never replaced."""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import io
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from .errors import OutputError, OutputExists

__all__ = [
    "atomic_output",
    "check_writable",
    "defer_while_creating",
    "hidden_name",
    "part_prefix_of",
    "Publication",
    "same_file",
    "PART_SUFFIX",
]

PART_SUFFIX = ".part"
NAME_MAX = 255  # bytes in a file name (ext4, XFS, btrfs, tmpfs)
_RANDOM = 8  # the characters tempfile adds to a temporary name


def hidden_name(name: str, suffix: str, *, reserve: int = 0) -> str:
    """The hidden companion name ``.NAME<suffix>`` of a file ``name`` (its temporary file, its manifest), within the
    255-byte limit of a file name with ``reserve`` bytes to spare: a name too long for it keeps its start and gets a
    hash of the whole name in place of its end, so two long names never share a companion."""
    whole = f".{name}{suffix}"
    if len(os.fsencode(whole)) + reserve <= NAME_MAX:
        return whole
    digest = hashlib.sha256(os.fsencode(name)).hexdigest()[:16]
    room = NAME_MAX - reserve - len(os.fsencode(f".~{digest}{suffix}"))
    start = os.fsencode(name)[:room].decode(sys.getfilesystemencoding(), "surrogateescape")
    while len(os.fsencode(start)) > room:  # a character cut in half
        start = start[:-1]
    return f".{start}~{digest}{suffix}"


def part_prefix(name: str) -> str:
    """The start of the names of ``name``'s temporary files (``.NAME.<random>.part``)."""
    return hidden_name(name, ".", reserve=_RANDOM + len(PART_SUFFIX))


def part_prefix_of(entry: str) -> str | None:
    """The ``part_prefix`` of the file whose temporary file the file name ``entry`` would be, or None where it
    cannot be one: ``entry`` is one of NAME's temporary files where this is ``part_prefix(NAME)`` (not one of
    ``NAME.gz``'s, say)."""
    if not entry.endswith(PART_SUFFIX) or len(entry) <= _RANDOM + len(PART_SUFFIX):
        return None
    return entry[: -_RANDOM - len(PART_SUFFIX)]


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name the same existing file (through links, ``..`` or symlinks)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_writable(path: str | Path, *, overwrite: bool = False) -> bool:
    """Check that ``path`` may be written before any work is done; True where it is a device, FIFO or socket
    (written into directly). A symlink counts as what it points to. Raises ``OutputExists`` for an existing
    regular file without ``overwrite``, ``OutputError`` for a directory or a name ending in a slash."""
    name = os.fspath(path)
    if name.endswith(os.sep):
        raise OutputError(f"{name}: not a file name (it ends with {os.sep})")
    try:
        mode = os.stat(name).st_mode
    except FileNotFoundError:
        _check_folder(name)
        return False
    except OSError as err:
        raise OutputError(f"cannot write {name}: {err.strerror or err}") from None
    if stat.S_ISDIR(mode):
        raise OutputError(f"{name} is a directory")
    if not stat.S_ISREG(mode):
        return True
    if not overwrite:
        raise OutputExists(name)
    _check_folder(name)
    return False


def _check_folder(name: str) -> None:
    """Refuse, before any work, a new or replaced file whose folder (or the nearest existing folder above it, which
    would hold the new ones) cannot be written: read-only, or not ours."""
    folder = os.path.dirname(os.path.realpath(name))
    while not os.path.exists(folder) and os.path.dirname(folder) != folder:
        folder = os.path.dirname(folder)
    if os.path.isdir(folder) and not os.access(folder, os.W_OK):
        raise OutputError(f"cannot write {name}: the folder {folder} is read-only or not writable")


@contextlib.contextmanager
def atomic_output(
    path: str | Path,
    *,
    overwrite: bool = False,
    buffer_size: int = 1 << 20,
    durable: bool = True,
    later: Publication | None = None,
) -> Iterator[BinaryIO]:
    """Yield a binary file that becomes ``path`` when the block ends without an exception; ``durable``: its bytes
    reach the disk (``fsync``) before it takes the name (not needed where losing a whole file to a crash is
    harmless, such as a manifest that ``--resume`` then does not find).

    Without ``overwrite`` an existing ``path`` is never replaced (checked before and, through a hard link, at the
    moment the file takes its name). A symlink to a regular file is followed: its target is replaced, keeping its
    permission bits, as is any replaced file's. A device, FIFO or socket at ``path`` is written into directly. On
    any exception, KeyboardInterrupt and SystemExit included, the temporary file is removed and ``path`` is left
    as it was.

    With ``later``, the complete file is not synced nor named yet: ``later.publish()`` does both, for all the files
    it holds at once.
    """
    if check_writable(path, overwrite=overwrite):
        with _open_special(path, buffer_size) as file:
            yield file
        return
    target = Path(os.path.realpath(path))
    _defer_signals(True)  # a signal between the file's creation and the try below would leave it behind
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=part_prefix(target.name), suffix=PART_SUFFIX)
    except OSError as err:
        _defer_signals(False)
        raise OutputError(f"cannot write {path}: {err.strerror or err}") from None
    kept = False
    try:
        _defer_signals(False)  # a signal that came meanwhile ends the run here, where the file is removed
        os.fchmod(fd, _mode_for(target))
        with io.BufferedWriter(_Named(io.FileIO(fd, "wb"), path), buffer_size) as file:
            yield file
            file.flush()
            if durable and later is None:
                _Named.check(path, os.fsync, file.fileno())
        if later is not None:
            later.add(tmp, target, overwrite, path)
            kept = True
        else:
            _publish(tmp, target, overwrite, path)
    finally:
        if not kept:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


class Publication:
    """Complete output files (``atomic_output(..., later=this)``) that take their names together: one sync of
    their file system for all of them (``syncfs``, or ``sync`` where there is none) before they are named, where
    each would otherwise be synced on its own (``fsync``: a journal commit each, most of the cost of writing a
    small file). Until ``publish``, each is a hidden temporary file beside its name; ``withdraw`` drops one,
    ``abandon`` all that are left (as after an error: their names keep what they had)."""

    def __init__(self) -> None:
        self._pending: dict[str, tuple[str, Path, bool]] = {}  # path as given -> (temporary file, target, overwrite)

    def add(self, tmp: str, target: Path, overwrite: bool, path: str | Path) -> None:
        """Hold the complete temporary file ``tmp`` for the name ``path`` (the file ``target``)."""
        self.withdraw(path)
        self._pending[os.fspath(path)] = (tmp, target, overwrite)

    def withdraw(self, path: str | Path) -> None:
        """Drop the file waiting for the name ``path``, if any."""
        pending = self._pending.pop(os.fspath(path), None)
        if pending is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(pending[0])

    def publish(self) -> dict[str, OutputError]:
        """Sync the files and give each its name; the error of each that could not take it, by its path."""
        if not self._pending:
            return {}
        failed: dict[str, OutputError] = {}
        try:
            _sync({os.path.dirname(target) for _, target, _ in self._pending.values()})
        except OSError as err:
            failed = {path: OutputError(f"cannot write {path}: {err.strerror or err}") for path in self._pending}
        for path, (tmp, target, overwrite) in list(self._pending.items()):
            try:
                if path not in failed:
                    _publish(tmp, target, overwrite, path)
            except OutputExists as err:
                failed[path] = err
            except OSError as err:
                failed[path] = OutputError(f"cannot write {path}: {err.strerror or err}")
            finally:
                del self._pending[path]
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
        return failed

    def abandon(self) -> None:
        """Drop every file still waiting for its name."""
        for path in list(self._pending):
            self.withdraw(path)


def _sync(folders: set[str]) -> None:
    """Make what was written to the file systems of ``folders`` durable: ``syncfs`` on Linux, one call per file
    system, else ``sync``."""
    syncfs = getattr(_libc(), "syncfs", None)
    if syncfs is None:
        os.sync()
        return
    done: set[int] = set()
    for folder in sorted(folders):
        fd = os.open(folder, os.O_RDONLY)
        try:
            device = os.fstat(fd).st_dev
            if device not in done:
                if syncfs(fd) != 0:
                    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
                done.add(device)
        finally:
            os.close(fd)


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover - no C library to load
        return None


@contextlib.contextmanager
def _open_special(path: str | Path, buffer_size: int) -> Iterator[BinaryIO]:
    try:
        raw = io.FileIO(path, "wb")
    except OSError as err:
        raise OutputError(f"cannot write {path}: {err.strerror or err}") from None
    with io.BufferedWriter(_Named(raw, path), buffer_size) as file:
        yield file
        file.flush()


class _Named(io.RawIOBase):
    """The raw writes of an output file, a failure (disk full, an I/O error) reported as an ``OutputError`` that
    names the output; a closed pipe stays a ``BrokenPipeError``."""

    def __init__(self, file: io.FileIO, path: str | Path):
        self._file, self._path = file, path

    @staticmethod
    def check(path: str | Path, call, *args):
        """``call(*args)``, an ``OSError`` from it reported as an ``OutputError`` naming ``path``."""
        try:
            return call(*args)
        except BrokenPipeError:
            raise
        except OSError as err:
            if isinstance(err, OutputError):
                raise
            raise OutputError(f"cannot write {path}: {err.strerror or err}") from None

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        return self.check(self._path, self._file.write, data)

    def fileno(self) -> int:
        return self._file.fileno()

    def seekable(self) -> bool:
        return self._file.seekable()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._file.close()


_deferring = False
_deferred: list[Callable[[], None]] = []


def defer_while_creating(action: Callable[[], None]) -> bool:
    """For a signal handler that ends the run (``action`` raises): while a temporary file is being created, keep
    ``action`` for later and return True, so that the file is known, and removed, when the run ends."""
    if _deferring:
        _deferred.append(action)
    return _deferring


def _defer_signals(on: bool) -> None:
    """Start deferring, or stop and act on a signal that came meanwhile (its action raises)."""
    global _deferring
    _deferring = on
    if not on and _deferred:
        action = _deferred[0]
        _deferred.clear()
        action()


def _mode_for(target: Path) -> int:
    """The permission bits of the file being replaced, else those the umask gives a new file."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _publish(tmp: str, target: Path, overwrite: bool, path: str | Path) -> None:
    if overwrite:
        os.replace(tmp, target)
        return
    try:
        os.link(tmp, target)  # fails if the target appeared meanwhile: never clobber without overwrite
    except FileExistsError:
        raise OutputExists(path) from None
    except OSError:  # a file system without hard links
        if os.path.lexists(target):
            raise OutputExists(path) from None
        os.replace(tmp, target)
