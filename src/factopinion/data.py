"""Reading labeled sentence files: the project's CSVs, and other people's CSV/TSV such as CheckThat!."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

__all__ = [
    "LABELS",
    "DataError",
    "delimiter_for",
    "detect_quoting",
    "normalize_label",
    "read_labeled",
    "read_labeled_files",
    "data_files",
    "files_sha256",
]

LABELS = ("fact", "opinion")
_LABEL_ALIASES = {
    "fact": "fact", "obj": "fact", "objective": "fact", "0": "fact",
    "opinion": "opinion", "subj": "opinion", "subjective": "opinion", "1": "opinion",
}  # fmt: skip
TEXT_COLUMNS = ("sentence", "text")


class DataError(ValueError):
    """Input that cannot be used, with a message fit to show a user."""


def delimiter_for(path: str | Path, delimiter: str | None = None) -> str:
    """The delimiter given, or the one implied by the file's extension (tab for .tsv/.tab, else comma)."""
    if delimiter:
        return "\t" if delimiter in ("\\t", "tab") else delimiter
    return "\t" if Path(str(path)).suffix.lower() in (".tsv", ".tab") else ","


def detect_quoting(sample: str, delimiter: str) -> int:
    """``csv.QUOTE_MINIMAL`` unless a tab-separated sample only parses with quotes taken literally, as in the
    CheckThat! files (a sentence may start with a quote character there)."""
    if delimiter != "\t":
        return csv.QUOTE_MINIMAL
    sample = sample[: sample.rfind("\n") + 1] or sample
    try:
        widths = {len(row) for row in csv.reader(io.StringIO(sample), delimiter="\t", strict=True)}
    except csv.Error:
        return csv.QUOTE_NONE
    return csv.QUOTE_MINIMAL if len(widths) <= 1 else csv.QUOTE_NONE


def normalize_label(value: object) -> str:
    """Map ``fact``/``opinion``, ``OBJ``/``SUBJ`` or ``0``/``1`` (any case) to ``fact`` or ``opinion``."""
    label = _LABEL_ALIASES.get(str(value).strip().lower())
    if label is None:
        raise DataError(f"unknown label {value!r}; expected one of fact/opinion, OBJ/SUBJ, 0/1")
    return label


def read_labeled(path: str | Path, *, text_column: str | None = None, label_column: str = "label") -> pd.DataFrame:
    """Read one labeled CSV/TSV file into a frame with ``sentence`` and ``label`` (``fact``/``opinion``) columns,
    plus every other column it has."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except OSError as err:
        raise DataError(f"cannot read {path}: {err.strerror or err}") from None
    except UnicodeDecodeError as err:
        raise DataError(f"{path}: not UTF-8 (undecodable byte at offset {err.start})") from None
    delimiter = delimiter_for(path)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            quoting=detect_quoting(text[:1_000_000], delimiter),
            engine="python" if delimiter != "," else "c",
        )
    except (pd.errors.ParserError, csv.Error, ValueError) as err:
        raise DataError(f"{path}: malformed {'TSV' if delimiter == chr(9) else 'CSV'}: {str(err).strip()}") from None
    column = text_column or next((c for c in TEXT_COLUMNS if c in frame.columns), None)
    missing = [c for c in (column, label_column) if c is None or c not in frame.columns]
    if missing:
        wanted = text_column or "sentence or text"
        raise DataError(
            f"{path}: needs a text column ({wanted}) and a {label_column!r} column; "
            f"it has: {', '.join(map(str, frame.columns))}"
        )
    frame = frame.rename(columns={column: "sentence", label_column: "label"})
    frame = frame[frame["sentence"].str.strip() != ""].reset_index(drop=True)
    try:
        frame["label"] = frame["label"].map(normalize_label)
    except DataError as err:
        raise DataError(f"{path}: {err}") from None
    return frame


def read_labeled_files(paths: Iterable[str | Path]) -> pd.DataFrame:
    """Read and concatenate several labeled files; a ``file`` column records where each row came from."""
    frames = []
    for path in paths:
        frame = read_labeled(path)
        frame.insert(0, "file", Path(path).name)
        frames.append(frame)
    if not frames:
        raise DataError("no labeled files given")
    return pd.concat(frames, ignore_index=True)


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
