"""Reading the model file's values, each checked as it is read: a wrong one is one ``ModelError`` naming it."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError


class Fields:
    """A JSON object's fields, each checked for its type as it is read; a wrong one is a ``ModelError`` naming it."""

    def __init__(self, data: Any, where: str, folder: Path | None = None):
        if not isinstance(data, dict):
            raise ModelError(f"{where}: expected an object, found {type(data).__name__}")
        self.data, self.where, self.folder = data, where, folder  # folder: where the model file is, if read from one

    def get(self, key: str, kinds: tuple[type, ...], default: Any = ...) -> Any:
        """The field ``key``, one of ``kinds``; ``default`` where it is missing (or null, for a default of None)."""
        value = self.data.get(key)
        if value is None and (key not in self.data or default is None):
            if default is ...:
                raise ModelError(f"{self.where}: {key!r} is missing")
            return default
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise ModelError(f"{self.where}: {key!r} has the wrong type ({type(value).__name__})")
        return value

    def text(self, key: str, default: Any = ...) -> Any:
        return self.get(key, (str,), default)

    def number(self, key: str, default: Any = ...) -> float:
        try:
            value = float(self.get(key, (int, float), default))
        except OverflowError:  # a whole number of hundreds of digits
            value = float("inf")
        if not np.isfinite(value):
            raise ModelError(f"{self.where}: {key!r} is not a finite number")
        return value

    def strings(self, key: str, default: Any = ...) -> Any:
        value = self.get(key, (list,), default)
        if value is not None and not set(map(type, value)) <= {str}:
            raise ModelError(f"{self.where}: {key!r} must be a list of strings")
        return value

    def objects(self, key: str) -> list[Fields]:
        items = enumerate(self.get(key, (list,)))
        return [Fields(item, f"{self.where}.{key}[{i}]", self.folder) for i, item in items]

    def array(self, key: str, size: int, *, finite: bool = True) -> np.ndarray:
        """A float64 array stored as ``{"dtype": "<f8", "base64": ...}`` (exact, and quick to read)."""
        field = Fields(self.get(key, (dict,)), f"{self.where}.{key}")
        if field.text("dtype") != "<f8":
            raise ModelError(f"{field.where}: unsupported dtype {field.data['dtype']!r} (expected '<f8')")
        try:
            raw = base64.b64decode(field.text("base64"), validate=True)
        except ValueError:
            raise ModelError(f"{field.where}: not valid base64") from None
        if len(raw) != 8 * size:
            raise ModelError(f"{field.where}: {len(raw) // 8} values where {size} are needed")
        values = np.frombuffer(raw, dtype="<f8").astype(np.float64)
        if np.isinf(values).any() or finite and np.isnan(values).any():
            raise ModelError(f"{field.where}: values must be finite numbers{'' if finite else ' or NaN'}")
        return values


def array_data(values: np.ndarray) -> dict:
    return {"dtype": "<f8", "base64": base64.b64encode(np.asarray(values, dtype="<f8").tobytes()).decode("ascii")}


FLAGS = re.IGNORECASE | re.MULTILINE | re.DOTALL | re.UNICODE | re.VERBOSE | re.ASCII  # not DEBUG, LOCALE


def compile_pattern(pattern: str, flags: int, where: str) -> re.Pattern[str]:
    if flags & ~FLAGS:
        raise ModelError(f"{where}: unsupported regular expression flags {flags}")
    try:
        return re.compile(pattern, flags)
    except (re.error, ValueError, TypeError, OverflowError) as err:
        raise ModelError(f"{where}: not a valid regular expression ({err})") from None
