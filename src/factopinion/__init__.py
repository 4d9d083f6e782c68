"""factopinion: tell reported fact from editorial opinion in news text, sentence by sentence.

The names below are imported when first used, so that ``import factopinion`` (and the command line's ``--help``)
does not pay for scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Document": "document",
    "ScoredSentence": "document",
    "Cue": "document",
    "Model": "model",
    "load_model": "bundled",
    "Span": "text",
    "split_sentences": "text",
    "FactopinionError": "errors",
    "DataError": "errors",
    "ModelError": "errors",
}

__all__ = [
    "Cue",
    "DataError",
    "Document",
    "FactopinionError",
    "Model",
    "ModelError",
    "ScoredSentence",
    "Span",
    "load_model",
    "split_sentences",
    "__version__",
]

if TYPE_CHECKING:
    from .bundled import load_model
    from .document import Cue, Document, ScoredSentence
    from .errors import DataError, FactopinionError, ModelError
    from .model import Model
    from .text import Span, split_sentences


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
