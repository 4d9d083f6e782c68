"""The default model that ships with the package: where it and its training data live, and what happens when it
cannot be used (it is rebuilt from the bundled data into the user's cache)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import sklearn

from .datasets import data_files, files_sha256
from .errors import ModelError, OutputError
from .model import METADATA_FILE, MODEL_FILE, Model, read_model

__all__ = ["bundled_model_dir", "bundled_data_dir", "cache_dir", "load_model"]

_PACKAGE_DIR = Path(__file__).resolve().parent


def _resource_dir(name: str) -> Path:
    """A folder bundled in the installed package, or the repository's top-level one in a source checkout."""
    for candidate in (_PACKAGE_DIR / name, _PACKAGE_DIR.parent.parent / name):
        if candidate.is_dir():
            return candidate
    return _PACKAGE_DIR / name


def bundled_model_dir() -> Path:
    return _resource_dir("model")


def bundled_data_dir() -> Path:
    return _resource_dir("data")


def cache_dir() -> Path:
    """Where a rebuilt default model is kept: $FACTOPINION_CACHE_DIR, else $XDG_CACHE_HOME/factopinion."""
    if os.environ.get("FACTOPINION_CACHE_DIR"):
        return Path(os.environ["FACTOPINION_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "factopinion"


def _notify_stderr(message: str) -> None:
    print(f"factopinion: {message}", file=sys.stderr)


def load_model(path: str | Path | None = None, *, notify: Callable[[str], None] = _notify_stderr) -> Model:
    """Load the model at ``path`` (a model folder or a ``.joblib`` file), or the bundled default model.

    A joblib file is code: load only models you trust. If the bundled model was saved by another scikit-learn
    version, or is missing, it is rebuilt from the bundled data into ``cache_dir()`` and ``notify`` is told.
    """
    if path is not None:
        return read_model(path)
    bundled = bundled_model_dir()
    reason = _unusable_reason(bundled)
    if reason is None:
        try:
            return read_model(bundled)
        except ModelError as err:
            reason = str(err)
    data_dir = bundled_data_dir()
    fingerprint = files_sha256(data_files(data_dir), data_dir)[:12]
    target = cache_dir() / f"model-sklearn-{sklearn.__version__}-{fingerprint}"
    if _unusable_reason(target) is None:
        try:
            return read_model(target)
        except ModelError:
            pass
    notify(f"the bundled model is unusable ({reason}); rebuilding it from the bundled data into {target}")
    from .training import train_default  # only here: training imports pandas, which scoring never needs

    model = train_default(data_dir, cv_folds=0)
    try:
        model.save(target)
    except (OSError, OutputError) as err:
        notify(f"could not cache the rebuilt model in {target} ({getattr(err, 'strerror', None) or err})")
    return model


def _unusable_reason(directory: Path) -> str | None:
    if not (directory / MODEL_FILE).is_file():
        return "model file missing"
    try:
        metadata = json.loads((directory / METADATA_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return "metadata missing"
    saved = metadata.get("sklearn_version") if isinstance(metadata, dict) else None
    if saved != sklearn.__version__:
        return f"saved with scikit-learn {saved}, {sklearn.__version__} installed"
    return None
