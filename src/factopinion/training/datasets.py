"""Reading labeled sentence files (pandas): the project's CSVs, and other people's CSV/TSV such as CheckThat!."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ..encoding import decode_utf8
from ..errors import DataError
from ..tables.csvstream import delimiter_for, detect_quoting, find_text_column, quoting_for

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["normalize_label", "read_labeled", "read_labeled_files", "data_files", "files_sha256"]

_LABEL_ALIASES = {
    "fact": "fact", "obj": "fact", "objective": "fact", "0": "fact",
    "opinion": "opinion", "subj": "opinion", "subjective": "opinion", "1": "opinion",
}  # fmt: skip


def normalize_label(value: object) -> str:
    """Map ``fact``/``opinion``, ``OBJ``/``SUBJ`` or ``0``/``1`` (any case) to ``fact`` or ``opinion``."""
    label = _LABEL_ALIASES.get(str(value).strip().lower())
    if label is None:
        raise DataError(f"unknown label {value!r}; expected one of fact/opinion, OBJ/SUBJ, 0/1")
    return label


def read_labeled(
    path: str | Path, *, text_column: str | None = None, label_column: str = "label", quoting: str = "auto"
) -> pd.DataFrame:
    """Read one labeled CSV/TSV file into a frame with ``sentence`` and ``label`` (``fact``/``opinion``) columns,
    plus every other column it has. ``quoting`` is ``auto`` (decided from the whole file, see ``detect_quoting``),
    ``csv`` or ``none`` (quotes taken literally)."""
    import pandas as pd  # here, so that scoring never imports pandas

    chosen = quoting_for(quoting)
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise DataError(f"cannot read {path}: {err.strerror or err}") from None
    text = decode_utf8(raw, str(path))
    delimiter = delimiter_for(path)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            quoting=detect_quoting(text, delimiter) if chosen is None else chosen,
            engine="python" if delimiter != "," else "c",
        )
    except (pd.errors.ParserError, csv.Error, ValueError) as err:
        raise DataError(f"{path}: malformed {'TSV' if delimiter == chr(9) else 'CSV'}: {str(err).strip()}") from None
    columns = [str(c) for c in frame.columns]
    if label_column not in columns:
        raise DataError(f"{path}: no label column {label_column!r}; the columns are: {', '.join(columns)}")
    column = find_text_column(columns, text_column, str(path), exclude=label_column)
    frame = frame.rename(columns={column: "sentence", label_column: "label"})
    frame = frame[frame["sentence"].str.strip() != ""].reset_index(drop=True)
    try:
        frame["label"] = frame["label"].map(normalize_label)
    except DataError as err:
        raise DataError(f"{path}: {err}") from None
    return frame


def read_labeled_files(
    paths: Iterable[str | Path],
    *,
    text_column: str | None = None,
    label_column: str = "label",
    quoting: str | Mapping[Path, str] = "auto",
) -> pd.DataFrame:
    """Read and concatenate several labeled files; a ``file`` column records where each row came from (its base name,
    in place of any column of that name the files have), and ``attrs["rows"]`` the number of rows of each path, in
    order (two files can share a base name). ``quoting`` is one mode for all, or a mode per path (``auto`` for a
    path not in it)."""
    import pandas as pd

    frames = []
    for path in paths:
        mode = quoting if isinstance(quoting, str) else quoting.get(Path(path), "auto")
        frame = read_labeled(path, text_column=text_column, label_column=label_column, quoting=mode)
        frame = frame.drop(columns=["file"], errors="ignore")
        frame.insert(0, "file", Path(path).name)
        frames.append(frame)
    if not frames:
        raise DataError("no labeled files given")
    combined = pd.concat(frames, ignore_index=True)
    combined.attrs["rows"] = [len(frame) for frame in frames]
    return combined


def data_files(folder: Path) -> list[Path]:
    """Every labeled CSV/TSV file below ``folder``, in a stable order."""
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".csv", ".tsv") and p.is_file())


def files_sha256(paths: Iterable[Path], root: Path | None = None) -> str:
    """A SHA-256 over the names (relative to ``root``) and bytes of ``paths``: the training data's fingerprint."""
    digest = hashlib.sha256()
    for path in sorted(paths, key=lambda p: str(p.relative_to(root) if root else p.name)):
        name = str(path.relative_to(root)) if root else path.name
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
