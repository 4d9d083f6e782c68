"""Signal handlers installed for a block of code and put back after it (the one way the CLI and the server do it)."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterable, Iterator

__all__ = ["handling"]


@contextlib.contextmanager
def handling(signums: Iterable[int], handler: Callable) -> Iterator[None]:
    """``handler`` for each of ``signums`` while the block runs, the previous handlers afterwards; outside the main
    thread (a test running a command or the server in a thread), signals are left alone."""
    try:
        previous = {s: signal.signal(s, handler) for s in signums}
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)
