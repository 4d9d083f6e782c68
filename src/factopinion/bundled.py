"""The default model that ships with the package: where it and its training data live, and what happens when it
cannot be used (it is rebuilt from the bundled data into the user's cache).

The default model, and a rebuilt one in the cache, are read from their data files (``model.json``) only: their
pickles are never loaded, so a scikit-learn upgrade does not force a rebuild and a file planted in the cache cannot
run code."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .engine.scorer import FORMAT_VERSION
from .errors import ModelError, OutputError
from .model import DATA_FILE, Model, read_model, read_pipeline

__all__ = ["bundled_model_dir", "bundled_data_dir", "bundled_pipeline", "cache_dir", "load_model"]

_PACKAGE_DIR = Path(__file__).resolve().parent


def _resource_dir(packaged: str, checkout: str) -> Path:
    """A folder bundled in the installed package (``packaged``, see pyproject.toml), or the repository's
    top-level one (``checkout``) in a source checkout."""
    for candidate in (_PACKAGE_DIR / packaged, _PACKAGE_DIR.parent.parent / checkout):
        if candidate.is_dir():
            return candidate
    return _PACKAGE_DIR / packaged


def bundled_model_dir() -> Path:
    """The default model's folder (``default_model/`` in the wheel, beside the module ``model``: not named alike)."""
    return _resource_dir("default_model", "model")


def bundled_data_dir() -> Path:
    return _resource_dir("data", "data")


def cache_dir() -> Path:
    """Where a rebuilt default model is kept: $FACTOPINION_CACHE_DIR, else $XDG_CACHE_HOME/factopinion."""
    if os.environ.get("FACTOPINION_CACHE_DIR"):
        return Path(os.environ["FACTOPINION_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "factopinion"


def _notify_stderr(message: str) -> None:
    print(f"factopinion: {message}", file=sys.stderr)


def load_model(
    path: str | Path | None = None,
    *,
    trust_code: bool = False,
    notify: Callable[[str], None] = _notify_stderr,
) -> Model:
    """Load the model at ``path`` (see ``model.read_model``; a pickled model needs ``trust_code``), or the bundled
    default model.

    The default model is read from its ``model.json``. If that is missing or unusable, the model is rebuilt from
    the bundled data into ``cache_dir()`` (and read from there next time), and ``notify`` is told.
    """
    if path is not None:
        return read_model(path, trust_code=trust_code)
    try:
        return read_model(bundled_model_dir() / DATA_FILE)
    except ModelError as err:
        reason = str(err)
    from .training.datasets import data_files, files_sha256  # only here: reading a model never needs it

    data_dir = bundled_data_dir()
    fingerprint = files_sha256(data_files(data_dir), data_dir)[:12]
    target = cache_dir() / f"model-v{FORMAT_VERSION}-{fingerprint}"
    if (target / DATA_FILE).is_file():
        try:
            return read_model(target / DATA_FILE)
        except ModelError:
            pass
    notify(f"the bundled model is unusable ({reason}); rebuilding it from the bundled data into {target}")
    from .training.pipeline import train_default  # only here: training imports pandas, which scoring never needs

    model = train_default(data_dir, cv_folds=0)
    try:
        model.save(target)
    except (OSError, OutputError) as err:
        notify(f"could not cache the rebuilt model in {target} ({getattr(err, 'strerror', None) or err})")
    return model


def bundled_pipeline() -> Any:
    """The bundled model's scikit-learn pipeline (``model.joblib``), unpickled only once its SHA-256 matches the one
    ``model.json`` records (for retraining, inspection and the exactness tests; scoring never needs it)."""
    return read_pipeline(bundled_model_dir())
