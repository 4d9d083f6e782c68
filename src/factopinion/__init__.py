"""factopinion: tell reported fact from editorial opinion in news text, sentence by sentence.

The names below are imported when first used, so that ``import factopinion`` (and the command line's ``--help``)
does not pay for scikit-learn.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

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

# Modules that moved when the package was arranged in folders, by their old names. Their old import paths keep working
# (the same module object, so pickles that name ``factopinion.features.StyleFeatures`` load and documented imports
# such as ``from factopinion.batch import label_file`` run).
MOVED = {
    "batch": "labeling.batch",
    "calibration": "training.calibration",
    "csvstream": "tables.csvstream",
    "dask": "labeling.dask",
    "datasets": "training.datasets",
    "evaluation": "training.evaluation",
    "explain": "engine.explain",
    "export": "training.export",
    "features": "training.features",
    "fileset": "labeling.files",
    "formats": "cli.render",
    "lexicon": "training.lexicon",
    "scorer": "engine.scorer",
    "web": "sources",
}


class _MovedModules:
    """Finds ``factopinion.<old name>`` (``MOVED``) as the module at its new place, imported on first use."""

    @staticmethod
    def find_spec(fullname: str, path: object = None, target: object = None) -> importlib.machinery.ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        if package != __name__ or name not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(
            fullname, cast("Loader", _MovedModules), origin=f"{__name__}.{MOVED[name]}"
        )

    @staticmethod
    def create_module(spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(str(spec.origin))

    @staticmethod
    def exec_module(module: ModuleType) -> None:
        """The module ran where it lives now."""


if not any(finder is _MovedModules for finder in sys.meta_path):
    sys.meta_path.append(_MovedModules)

if TYPE_CHECKING:
    from importlib.abc import Loader

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
