"""The ``factopinion`` command line, one module per command, over the Python API.

``main`` (the console script) and ``cli`` (the Click group) are imported when first used, so that importing this
package costs nothing more than Click.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import cli, main

__all__ = ["cli", "main"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module(".app", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
