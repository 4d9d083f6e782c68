"""The errors factopinion raises for a user to read: one base class, one line each, with the exit code the command
line gives them. Anything else escaping is a bug."""

from __future__ import annotations

__all__ = [
    "FactopinionError",
    "DataError",
    "ModelError",
    "OutputError",
    "OptionError",
    "OutputExists",
    "WorkerDied",
    "MissingExtra",
    "ClusterError",
]


class FactopinionError(Exception):
    """Base of every error meant for a user: its message is one line, fit to show as it is."""

    exit_code = 1


class DataError(FactopinionError, ValueError):
    """Input that cannot be used: unreadable, malformed, or not what the operation needs."""


class ModelError(FactopinionError, RuntimeError):
    """A model that cannot be loaded or used."""


class OutputError(FactopinionError, OSError):
    """An output that cannot be written."""


class OutputExists(OutputError):
    """The output path exists and replacing it was not asked for."""

    def __init__(self, path: object):
        self.path = path
        super().__init__(f"{path} already exists")

    def __reduce__(self):  # raised in one process and re-raised in another (Dask workers): keep the message
        return type(self), (self.path,)


class OptionError(FactopinionError, ValueError):
    """An option value that does not make sense (the command line reports it as a usage error)."""

    exit_code = 2


class WorkerDied(FactopinionError, RuntimeError):
    """A worker process of a batch run was killed (what an out-of-memory kill looks like)."""

    def __init__(self) -> None:
        super().__init__("a worker process died (out of memory?)")

    def __reduce__(self):  # re-raised in another process: rebuilt without arguments, as it is made
        return type(self), ()


class MissingExtra(FactopinionError, ImportError):
    """An optional extra that a feature needs is not installed; the message names the ``pip install`` command."""


class ClusterError(FactopinionError, RuntimeError):
    """A Dask cluster that cannot be used: a scheduler that does not answer, a local cluster that does not start."""
