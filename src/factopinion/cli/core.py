"""What every command shares at run time: user errors turned into one line (exit 2 for option errors, 1 for the
rest, 130 for Ctrl-C) in one place, ``Command.invoke``; standard output owned so that a failure to write it is
reported; signals turned into exits so that cleanup runs.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import signal
import sys
from collections.abc import Iterator

import click

from ..errors import FactopinionError, OptionError, OutputError, OutputExists
from ..interrupts import handling

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def one_line(message: str) -> str:
    from .render import terminal_safe

    return terminal_safe(" ".join(str(message).split()))


class Command(click.Command):
    """A command whose user errors become one-line messages: exit 2 for option errors, 1 for the rest, 130 for
    Ctrl-C, 128 + N for the signals ``signals_as_exit`` handles; a closed pipe on standard output ends it quietly,
    any other failure to write it is an error."""

    def invoke(self, ctx: click.Context):
        try:
            with signals_as_exit():  # so that a kill removes a temporary output file, in every command
                result = super().invoke(ctx)
            _flush_stdout()
            return result
        except OutputExists as err:
            raise click.ClickException(f"{one_line(str(err))} (use --force to overwrite it)") from None
        except OptionError as err:
            raise click.UsageError(one_line(str(err)), ctx) from None
        except FactopinionError as err:
            raise click.ClickException(one_line(str(err))) from None
        except BrokenPipeError:
            _quiet_stdout()
            raise click.exceptions.Exit(0) from None
        except OSError as err:
            where = f": {err.filename}" if err.filename else ""
            raise click.ClickException(one_line(f"{err.strerror or err}{where}")) from None
        except UnicodeEncodeError as err:  # an undecodable byte of an argument or file name, say, in an output
            bad = one_line(err.object[err.start : err.end])
            raise click.ClickException(f"cannot write the output: {bad} cannot be encoded in {err.encoding}") from None
        except KeyboardInterrupt:
            # one line on what was left: a command may say (ctx.meta["interrupted"]); outputs are atomic otherwise
            left = ctx.meta.get("interrupted")
            with contextlib.suppress(Exception):
                click.echo(f"factopinion: interrupted: {left() if left else 'nothing written'}", err=True)
            raise click.exceptions.Exit(130) from None


class Group(click.Group):
    command_class = Command


def _flush_stdout() -> None:
    """Flush standard output, so that a failure to write it is reported here rather than by Python at exit."""
    with contextlib.suppress(ValueError, AttributeError):  # closed or replaced
        sys.stdout.flush()


def _quiet_stdout() -> None:
    """Point standard output at /dev/null, so the exit-time flush after a closed pipe does not complain."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


class _Stdout(io.RawIOBase):
    """The descriptor under standard output (None: the process was started with it closed, ``>&-``). A failure
    to write it (a full disk, a closed descriptor) is an ``OutputError`` naming standard output, after which what
    is written is dropped, so that Python's exit-time flush is quiet; a closed pipe stays a ``BrokenPipeError``."""

    def __init__(self, fd: int | None):
        self._fd, self.failed = fd, False

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self._fd is not None and os.isatty(self._fd)

    def fileno(self) -> int:
        if self._fd is None:
            raise OSError(errno.EBADF, "standard output is closed")
        return self._fd

    def write(self, data) -> int:
        if self.failed:
            return len(data)
        try:
            return os.write(self.fileno(), data)
        except BrokenPipeError:
            raise
        except OSError as err:
            self.failed = True
            reason = "it is closed" if err.errno == errno.EBADF else err.strerror or str(err)
            raise OutputError(f"cannot write standard output: {reason}") from None


def own_stdout() -> None:
    """Put standard output (the process's own descriptor, or none) under ``_Stdout``, keeping its encoding."""
    old = sys.stdout
    try:
        fd = None if old is None else old.fileno()
    except (OSError, ValueError, AttributeError):  # not a descriptor (embedded, captured): leave it alone
        return
    global _ORIGINAL_STDOUT
    _ORIGINAL_STDOUT = old  # kept, so that it is never finalised
    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(_Stdout(fd)),
        encoding=getattr(old, "encoding", None) or "utf-8",
        errors=getattr(old, "errors", None) or "strict",
        line_buffering=bool(getattr(old, "line_buffering", False)),
    )


_ORIGINAL_STDOUT = None


@contextlib.contextmanager
def signals_as_exit() -> Iterator[None]:
    """Turn SIGTERM, SIGHUP, SIGQUIT and SIGUSR1/2 into ``SystemExit`` while the block runs, so cleanup code (the
    removal of a temporary output file) runs on ``kill``."""

    from ..atomic import defer_while_creating

    def end(signum: int) -> None:
        raise SystemExit(128 + signum)

    def handler(signum, frame):
        if not defer_while_creating(lambda: end(signum)):
            end(signum)

    names = ("SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")
    with handling([getattr(signal, name) for name in names if hasattr(signal, name)], handler):
        yield
